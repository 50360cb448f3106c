"""How journal entries read on screen, and the card preview with its pending operations."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from pos_app.domain import GiftCard, GiftCardStatus, Money, OperationKind, Provider
from pos_app.gui.queue_text import age_text, change_text, pending_preview
from pos_app.journal.database import open_journal
from pos_app.journal.pending_operations import Entry, EntryState, NewEntry, PendingOperations
from pos_app.services.lookup import gift_card_match


def usd(text: str) -> Money:
    return Money(Decimal(text), "USD")


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[PendingOperations]:
    db = open_journal(tmp_path)
    try:
        yield PendingOperations(db)
    finally:
        db.close()


def add(
    journal: PendingOperations,
    key: str,
    kind: OperationKind,
    *,
    provider: Provider = Provider.LOYALTYDOG,
    amount: Money | None = None,
    units: int | None = None,
) -> Entry:
    return journal.add(
        NewEntry(
            key=key,
            provider=provider,
            kind=kind,
            card="card-1",
            payload={},
            masked="•••• 9012",
            description=f"{kind.value} test",
            terminal="till-test",
            amount=amount,
            units=units,
        )
    )


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "just now"),
        (59, "just now"),
        (60, "1 min"),
        (3599, "59 min"),
        (3600, "1 h"),
        (3600 + 5 * 60, "1 h 5 min"),
        (86_400, "1 day"),
        (3 * 86_400 + 7, "3 days"),
        (-30, "just now"),  # a clock that stepped back
    ],
)
def test_ages_read_as_a_cashier_says_them(seconds: int, text: str) -> None:
    assert age_text(timedelta(seconds=seconds)) == text


def test_changes_are_signed_with_their_unit(journal: PendingOperations) -> None:
    redeem = add(journal, "a" * 8, OperationKind.REDEEM, amount=usd("60"))
    refund = add(journal, "b" * 8, OperationKind.REFUND, amount=usd("5"))
    stamp = add(journal, "c" * 8, OperationKind.ADD_STAMPS, provider=Provider.LEAL, units=1)
    reward = add(
        journal, "d" * 8, OperationKind.REDEEM_REWARD, provider=Provider.CLIENTTOOLBOX, units=100
    )
    assert change_text(redeem) == "-$ 60.00"
    assert change_text(refund) == "+$ 5.00"
    assert change_text(stamp) == "+1 stamp"
    assert change_text(reward) == "-100 points"
    assert change_text(replace(redeem, amount=Money(Decimal("1234.5"), "EUR")), ",") == (
        "-€ 1.234,50"
    )


def test_preview_subtracts_what_is_still_owed(journal: PendingOperations) -> None:
    card = GiftCard(
        id="a" * 24, number="4000123456789012", balance=usd("100"), status=GiftCardStatus.ACTIVE
    )
    match = gift_card_match(card)
    assert pending_preview(match, []) is None
    first = add(journal, "1" * 8, OperationKind.REDEEM, amount=usd("60"))
    second = add(journal, "2" * 8, OperationKind.REDEEM, amount=usd("15.50"))
    preview = pending_preview(match, [first, second])
    assert preview is not None
    assert preview.balance == usd("24.50")
    assert preview.operations == 2
    assert preview.text.startswith("PENDING — 2 operations will sync (-$ 60.00, -$ 15.50)")
    done = replace(second, state=EntryState.DONE)
    attention = replace(first, state=EntryState.NEEDS_ATTENTION)
    assert pending_preview(match, [done, attention]) is None  # not owed any more
