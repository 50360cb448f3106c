"""Receipts with fixed example data, for the printing tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pos_app.domain.money import Money
from pos_app.domain.receipts import Receipt, ReceiptLine, money_line

FULL_CARD_NUMBER = "6215943836307608"
REFERENCE = "3f9a1c2b-7d4e-4b1a-9c3e-2a7f5d8e6b10"
PENDING_MARK = "PENDING — not yet confirmed by LoyaltyDog; it will be sent exactly once"


def usd(text: str) -> Money:
    return Money(Decimal(text), "USD")


def redemption(**changes: Any) -> Receipt:
    """A confirmed gift-card redemption of $ 12.50 leaving $ 62.00 on the card."""
    receipt = Receipt(
        shop_name="Corner Coffee",
        terminal="till-1",
        cashier="Ana",
        at=datetime(2025, 3, 14, 9, 41, 7, tzinfo=UTC),
        title="Redemption",
        backend="LoyaltyDog",
        masked_card="•••• " + FULL_CARD_NUMBER[-4:],
        lines=(
            money_line("Paid with card", usd("12.50"), strong=True),
            money_line("Balance now", usd("62.00"), strong=True),
        ),
        reference=REFERENCE,
        footer="Thank you!",
    )
    return replace(receipt, **changes)


def pending(**changes: Any) -> Receipt:
    return redemption(
        mark=PENDING_MARK,
        lines=(
            money_line("Paid with card", usd("12.50"), strong=True),
            ReceiptLine("Balance now", "shown once confirmed"),
        ),
        **changes,
    )
