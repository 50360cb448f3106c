"""Gift cards: tolerant status/type parsing and the redeemable rule."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from pos_app.domain import (
    DomainError,
    GiftCardStatus,
    Money,
    TransactionType,
)
from tests.domain.builders import NOW, gift_card, redemption_line, usd


class TestGiftCardStatus:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("active", GiftCardStatus.ACTIVE),
            ("ACTIVE", GiftCardStatus.ACTIVE),
            (" Suspended ", GiftCardStatus.SUSPENDED),
            ("pending", GiftCardStatus.PENDING),
            ("expired", GiftCardStatus.EXPIRED),
            ("voided", GiftCardStatus.VOIDED),
            ("depleted", GiftCardStatus.DEPLETED),
            ("frozen", GiftCardStatus.UNKNOWN),
            ("", GiftCardStatus.UNKNOWN),
            (None, GiftCardStatus.UNKNOWN),
            (1, GiftCardStatus.UNKNOWN),
        ],
    )
    def test_parse(self, raw: object, expected: GiftCardStatus) -> None:
        assert GiftCardStatus.parse(raw) is expected

    def test_unknown_status_shows_the_server_word(self) -> None:
        card = gift_card(status=GiftCardStatus.parse("frozen"), status_raw="frozen")
        assert card.status is GiftCardStatus.UNKNOWN
        assert card.status_label == "FROZEN"

    def test_unknown_status_without_text_says_unknown(self) -> None:
        assert gift_card(status=GiftCardStatus.UNKNOWN).status_label == "UNKNOWN"

    def test_label_is_cut_short(self) -> None:
        card = gift_card(status=GiftCardStatus.UNKNOWN, status_raw="x" * 500)
        assert card.status_label == "X" * 40

    def test_known_status_label(self) -> None:
        assert gift_card(status=GiftCardStatus.ACTIVE, status_raw="Active").status_label == "ACTIVE"


class TestTransactionType:
    def test_all_eleven_vendor_types(self) -> None:
        vendor = [
            "PURCHASE",
            "ACTIVATION",
            "RELOAD",
            "REDEMPTION",
            "CONSOLIDATION",
            "VOID",
            "TRANSFER_OUT",
            "TRANSFER_IN",
            "OWNERSHIP_TRANSFER",
            "RESEND_CODE",
            "REFUND",
        ]
        parsed = [TransactionType.parse(name) for name in vendor]
        assert [member.value for member in parsed] == vendor
        assert TransactionType.OTHER not in parsed

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("redemption", TransactionType.REDEMPTION),
            (" Reload ", TransactionType.RELOAD),
            ("CASHBACK", TransactionType.OTHER),
            (None, TransactionType.OTHER),
        ],
    )
    def test_parse(self, raw: object, expected: TransactionType) -> None:
        assert TransactionType.parse(raw) is expected

    def test_other_keeps_the_raw_text(self) -> None:
        line = redemption_line(type=TransactionType.OTHER, type_raw="cashback")
        assert line.type_label == "CASHBACK"
        assert redemption_line().type_label == "REDEMPTION"


class TestGiftCard:
    def test_display_properties(self) -> None:
        card = gift_card(number="0000 1234 5678 9012")
        assert card.masked_number == "•••• 9012"
        assert card.last_four == "9012"
        assert card.currency == "USD"

    def test_an_active_card_with_money_is_redeemable(self) -> None:
        card = gift_card()
        assert card.is_redeemable(NOW)
        assert card.redeem_refusal(NOW) is None
        assert card.redeem_refusal(NOW, usd("74.50")) is None

    @pytest.mark.parametrize(
        ("status", "reason"),
        [
            (GiftCardStatus.PENDING, "This card is not activated yet"),
            (GiftCardStatus.SUSPENDED, "This card is suspended"),
            (GiftCardStatus.EXPIRED, "This card has expired"),
            (GiftCardStatus.VOIDED, "This card was voided"),
            (GiftCardStatus.DEPLETED, "This card has no balance left"),
        ],
    )
    def test_other_statuses_are_not_redeemable(self, status: GiftCardStatus, reason: str) -> None:
        card = gift_card(status=status)
        assert not card.is_redeemable(NOW)
        assert card.redeem_refusal(NOW) == reason

    def test_unknown_status_is_not_redeemable(self) -> None:
        card = gift_card(status=GiftCardStatus.UNKNOWN, status_raw="frozen")
        assert card.redeem_refusal(NOW) == (
            "This card's status is FROZEN; it cannot be used at the till"
        )

    def test_expiry_is_checked_against_now(self) -> None:
        card = gift_card(expires_at=NOW + timedelta(minutes=1))
        assert card.is_redeemable(NOW)
        assert not card.is_expired(NOW)
        assert card.is_expired(NOW + timedelta(minutes=1))
        assert card.redeem_refusal(NOW + timedelta(days=1)) == "This card expired on 2025-03-09"

    def test_a_card_is_expired_from_its_expiry_instant(self) -> None:
        card = gift_card(expires_at=NOW)
        assert card.redeem_refusal(NOW - timedelta(microseconds=1)) is None
        assert card.redeem_refusal(NOW) == "This card expired on 2025-03-09"
        assert not card.is_redeemable(NOW)

    def test_no_expiry_date_means_not_expired(self) -> None:
        assert gift_card(expires_at=None).is_redeemable(NOW + timedelta(days=10_000))

    def test_empty_card_is_not_redeemable(self) -> None:
        card = gift_card(balance=usd("0"))
        assert card.redeem_refusal(NOW) == "This card has no balance left"

    def test_amount_above_balance(self) -> None:
        card = gift_card(balance=usd("74.50"))
        assert card.redeem_refusal(NOW, usd("74.51")) == "Not enough balance: $ 74.50 available"
        assert card.can_cover(usd("74.50"))
        assert not card.can_cover(usd("74.51"))

    def test_naive_times_are_refused(self) -> None:
        with pytest.raises(ValueError, match="time-zone aware"):
            gift_card(expires_at=datetime(2030, 1, 1))
        with pytest.raises(ValueError, match="time-zone aware"):
            gift_card().is_redeemable(datetime(2025, 1, 1))

    @pytest.mark.parametrize("field", ["id", "number"])
    def test_ids_must_be_strings(self, field: str) -> None:
        with pytest.raises(TypeError, match="must be a string"):
            gift_card(**{field: 6035551234569012})
        with pytest.raises(DomainError, match="is empty"):
            gift_card(**{field: " "})

    def test_status_must_be_parsed_first(self) -> None:
        with pytest.raises(TypeError, match="GiftCardStatus"):
            gift_card(status="active")

    def test_initial_value_currency_must_match(self) -> None:
        with pytest.raises(DomainError, match="same currency"):
            gift_card(initial_value=Money.from_api("100", "EUR"))

    def test_snapshot_is_immutable(self) -> None:
        card = gift_card()
        with pytest.raises(AttributeError):
            card.balance = usd("1")  # type: ignore[misc]


class TestGiftCardTransaction:
    def test_redemption_line(self) -> None:
        line = redemption_line()
        assert line.is_debit
        assert not line.is_credit
        assert line.is_refundable
        assert line.balances_add_up is True

    def test_balances_that_do_not_add_up_are_flagged(self) -> None:
        assert redemption_line(balance_after=usd("75.00")).balances_add_up is False
        assert redemption_line(balance_before=None).balances_add_up is None

    @pytest.mark.parametrize(
        ("kind", "amount"),
        [
            (TransactionType.ACTIVATION, "100.00"),
            (TransactionType.RELOAD, "20.00"),
            (TransactionType.CONSOLIDATION, "-10.00"),
            (TransactionType.REDEMPTION, "25.50"),
        ],
    )
    def test_only_redemptions_taking_money_are_refundable(
        self, kind: TransactionType, amount: str
    ) -> None:
        line = redemption_line(
            type=kind, amount=usd(amount), balance_before=None, balance_after=None
        )
        assert not line.is_refundable

    def test_amounts_share_a_currency(self) -> None:
        with pytest.raises(DomainError, match="same currency"):
            redemption_line(balance_after=Money.from_api("74.50", "EUR"))

    def test_created_at_must_be_aware(self) -> None:
        with pytest.raises(ValueError, match="time-zone aware"):
            redemption_line(created_at=datetime(2025, 1, 15, 10, 30))
