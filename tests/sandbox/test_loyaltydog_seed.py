"""The seeded account: what later tests and the training mode rely on being there."""

from __future__ import annotations

import itertools
import re
import time
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from pos_app.sandbox.loyaltydog import LoyaltyDogData
from pos_app.sandbox.loyaltydog_models import (
    GiftCardResponse,
    GiftCardStatus,
    GiftCardTransactionType,
    TransactionResponse,
)

TODAY = date(2026, 3, 14)


@pytest.fixture
def data() -> LoyaltyDogData:
    return LoyaltyDogData.seeded(0, TODAY)


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_summary_has_the_interface_keys(data: LoyaltyDogData) -> None:
    summary = data.seed_summary()
    counts = {card["role"]: card["transactionCount"] for card in summary["cards"]}
    assert counts["ten-thousand-transactions"] == 10_000
    assert counts["pending"] == 0
    assert counts["refundable"] == 3
    assert {"program_id", "username", "password", "cards"} <= set(summary)
    assert re.fullmatch(r"[0-9a-f]{24}", summary["program_id"])
    for card in summary["cards"]:
        assert {"id", "cardNumber", "securityCode", "balance", "status"} <= set(card)
        assert re.fullmatch(r"[0-9a-f]{24}", card["id"])
        assert re.fullmatch(r"\d{16}", card["cardNumber"])
        assert re.fullmatch(r"\d{6}", card["securityCode"])
        assert re.fullmatch(r"\d+\.\d\d", card["balance"])


def test_at_least_25_cards_covering_every_status(data: LoyaltyDogData) -> None:
    statuses = Counter(card["status"] for card in data.seed_summary()["cards"])
    assert sum(statuses.values()) >= 25
    assert set(statuses) == {status.value for status in GiftCardStatus}
    assert statuses == {
        "active": 14,
        "pending": 2,
        "suspended": 3,
        "expired": 2,
        "voided": 2,
        "depleted": 3,
    }


def test_card_numbers_and_ids_are_unique(data: LoyaltyDogData) -> None:
    cards = data.seed_summary()["cards"]
    assert len({c["cardNumber"] for c in cards}) == len(cards)
    assert len({c["id"] for c in cards}) == len(cards)
    assert any(c["cardNumber"].startswith("0") for c in cards)
    assert any(c["securityCode"].startswith("0") for c in cards)


def test_the_one_cent_card_is_active_with_exactly_a_cent(data: LoyaltyDogData) -> None:
    card = data.card_by_role("one-cent")
    assert card.status is GiftCardStatus.ACTIVE
    assert card.balance == Decimal("0.01")
    assert card.expires_at > datetime.combine(TODAY, datetime.min.time(), UTC)


def test_the_long_card_has_ten_thousand_consistent_transactions(data: LoyaltyDogData) -> None:
    card = data.card_by_role("ten-thousand-transactions")
    assert card.status is GiftCardStatus.ACTIVE
    rows = card.transactions
    assert len(rows) == 10_000
    assert rows[0].type is GiftCardTransactionType.ACTIVATION
    assert rows[0].amount == card.initial_value
    assert rows[-1].balance_after == card.balance == Decimal("498.37")
    assert all(a.balance_after == b.balance_before for a, b in itertools.pairwise(rows))
    assert all(a.created_at < b.created_at for a, b in itertools.pairwise(rows))
    assert len({row.id for row in rows}) == 10_000
    redeemed = -sum(r.amount for r in rows if r.type is GiftCardTransactionType.REDEMPTION)
    assert card.redeemed_total == redeemed
    TransactionResponse.model_validate(rows[1].as_json())


def test_every_seeded_history_ends_at_the_card_balance(data: LoyaltyDogData) -> None:
    for card in data.cards:
        if card.status is GiftCardStatus.PENDING:
            assert card.transactions == []
            assert card.balance == 0
            continue
        assert card.transactions[-1].balance_after == card.balance, card.role
        assert card.activated_at is not None
        for row in card.transactions:
            assert isinstance(row.amount, Decimal)
            assert row.balance_before + row.amount == row.balance_after


def test_money_is_decimal_everywhere(data: LoyaltyDogData) -> None:
    for card in data.cards:
        assert isinstance(card.balance, Decimal)
        assert isinstance(card.initial_value, Decimal)
        assert isinstance(card.redeemed_total, Decimal)


def test_cards_validate_against_the_vendor_card_model(data: LoyaltyDogData) -> None:
    for card in data.cards:
        model = GiftCardResponse.model_validate(card.as_json())
        assert model.cardNumber == card.number
        assert model.lastFourDigits == card.number[-4:]


def test_dates_follow_today(data: LoyaltyDogData) -> None:
    midnight = datetime.combine(TODAY, datetime.min.time(), UTC)
    for card in data.seed_summary()["cards"]:
        expires = _moment(card["expiresAt"])
        if card["status"] == "expired" or card["role"] == "past-expiry-active":
            assert expires < midnight, card["role"]
        else:
            assert expires > midnight, card["role"]
    later = LoyaltyDogData.seeded(0, date(2027, 1, 1)).card_by_role("active")
    assert (later.expires_at - data.card_by_role("active").expires_at).days == (
        date(2027, 1, 1) - TODAY
    ).days


def test_the_emulator_clock_is_moved_to_the_seeded_day(data: LoyaltyDogData) -> None:
    assert data.now().date() == TODAY


def test_seeded_history_is_older_than_anything_done_today(data: LoyaltyDogData) -> None:
    midnight = datetime.combine(TODAY, datetime.min.time(), UTC)
    latest = max(row.created_at for card in data.cards for row in card.transactions)
    assert latest < midnight
    assert max(card.created_at for card in data.cards) < midnight


def test_some_customers_hold_several_cards(data: LoyaltyDogData) -> None:
    owners = Counter(card.customer.id for card in data.cards if card.customer is not None)
    alice = next(c for c in data.customers if c.name == "Alice Martin")
    assert owners[alice.id] == 4
    assert sum(1 for count in owners.values() if count > 1) >= 4
    assert any(card.customer is None for card in data.cards)


def test_two_cards_share_their_last_four_digits(data: LoyaltyDogData) -> None:
    first = data.card_by_role("active").number
    twin = data.card_by_role("active-shared-last4").number
    assert first != twin
    assert first[-4:] == twin[-4:]


def test_ids_and_numbers_do_not_change_with_the_day() -> None:
    """Only dates follow ``today``; a card cached yesterday is found by the same id today."""
    one = LoyaltyDogData.seeded(0, TODAY).seed_summary()
    later = LoyaltyDogData.seeded(0, date(2027, 8, 1)).seed_summary()
    assert one["program_id"] == later["program_id"]
    assert [(c["id"], c["cardNumber"]) for c in one["cards"]] == [
        (c["id"], c["cardNumber"]) for c in later["cards"]
    ]
    assert one["cards"][0]["expiresAt"] != later["cards"][0]["expiresAt"]


def test_same_seed_same_data_other_seed_other_numbers() -> None:
    one = LoyaltyDogData.seeded(7, TODAY).seed_summary()
    again = LoyaltyDogData.seeded(7, TODAY).seed_summary()
    other = LoyaltyDogData.seeded(8, TODAY).seed_summary()
    assert one == again
    assert one["program_id"] != other["program_id"]
    assert [c["cardNumber"] for c in one["cards"]] != [c["cardNumber"] for c in other["cards"]]
    assert [c["balance"] for c in one["cards"]] == [c["balance"] for c in other["cards"]]


def test_seeding_and_the_long_history_are_fast() -> None:
    started = time.perf_counter()
    data = LoyaltyDogData.seeded(3, TODAY)
    seeded = time.perf_counter() - started
    started = time.perf_counter()
    card = data.card_by_role("ten-thousand-transactions")
    assert card.history_factory is not None  # not built by seeding nor by counting
    assert card.transaction_count == 10_000
    assert len(card.transactions) == 10_000
    materialised = time.perf_counter() - started
    assert seeded < 0.3
    assert materialised < 0.3
