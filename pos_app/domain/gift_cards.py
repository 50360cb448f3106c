"""LoyaltyDog gift cards and their history, as the cashier sees them.

Statuses and transaction types are read tolerantly: the vendor's docs and enums disagree, so an
unknown value becomes ``UNKNOWN``/``OTHER`` while the text the server sent is kept for display.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from pos_app.domain._checks import (
    parse_enum,
    require_aware,
    require_id,
    require_optional_aware,
)
from pos_app.domain.card_number import last_four, mask
from pos_app.domain.errors import DomainError
from pos_app.domain.money import Money

__all__ = ["GiftCard", "GiftCardStatus", "GiftCardTransaction", "TransactionType"]

_MAX_LABEL: Final = 40


def _label(raw: str | None, fallback: str) -> str:
    """Upper-case text for a status badge, cut short so a strange value cannot break the layout."""
    text = (raw or "").strip().upper()
    return text[:_MAX_LABEL] if text else fallback


class GiftCardStatus(StrEnum):
    """The six LoyaltyDog card statuses, plus UNKNOWN for anything else the server sends."""

    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    EXPIRED = "expired"
    VOIDED = "voided"
    DEPLETED = "depleted"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, raw: object) -> GiftCardStatus:
        """Case- and space-insensitive; anything unrecognised (or not text) is UNKNOWN."""
        return parse_enum(cls, raw, cls.UNKNOWN, str.lower)


class TransactionType(StrEnum):
    """The 11 LoyaltyDog transaction types, plus OTHER for types added after this was written."""

    PURCHASE = "PURCHASE"
    ACTIVATION = "ACTIVATION"
    RELOAD = "RELOAD"
    REDEMPTION = "REDEMPTION"
    CONSOLIDATION = "CONSOLIDATION"
    VOID = "VOID"
    TRANSFER_OUT = "TRANSFER_OUT"
    TRANSFER_IN = "TRANSFER_IN"
    OWNERSHIP_TRANSFER = "OWNERSHIP_TRANSFER"
    RESEND_CODE = "RESEND_CODE"
    REFUND = "REFUND"
    OTHER = "OTHER"

    @classmethod
    def parse(cls, raw: object) -> TransactionType:
        """Case- and space-insensitive; anything unrecognised (or not text) is OTHER."""
        return parse_enum(cls, raw, cls.OTHER, str.upper)


_REFUSALS: Final[dict[GiftCardStatus, str]] = {
    GiftCardStatus.PENDING: "This card is not activated yet",
    GiftCardStatus.SUSPENDED: "This card is suspended",
    GiftCardStatus.EXPIRED: "This card has expired",
    GiftCardStatus.VOIDED: "This card was voided",
    GiftCardStatus.DEPLETED: "This card has no balance left",
}


@dataclass(frozen=True, kw_only=True)
class GiftCard:
    """A gift card as last read from LoyaltyDog: a snapshot, never updated in place.

    ``expires_at`` None means the server did not say; the card is then not refused for expiry.
    """

    id: str
    number: str
    balance: Money
    status: GiftCardStatus
    status_raw: str | None = None
    expires_at: datetime | None = None
    activated_at: datetime | None = None
    initial_value: Money | None = None
    owner_name: str | None = None
    owner_email: str | None = None
    owner_phone: str | None = None
    program_id: str | None = None
    suspended_reason: str | None = None

    def __post_init__(self) -> None:
        require_id(self.id, "gift card id")
        require_id(self.number, "gift card number")
        if not isinstance(self.balance, Money):
            raise TypeError("balance must be Money")
        if not isinstance(self.status, GiftCardStatus):
            raise TypeError("status must be a GiftCardStatus (use GiftCardStatus.parse)")
        require_optional_aware(self.expires_at, "expires_at")
        require_optional_aware(self.activated_at, "activated_at")
        if self.initial_value is not None and self.initial_value.currency != self.balance.currency:
            raise DomainError("A card's initial value and balance must be in the same currency")

    @property
    def currency(self) -> str:
        return self.balance.currency

    @property
    def masked_number(self) -> str:
        return mask(self.number)

    @property
    def last_four(self) -> str:
        return last_four(self.number)

    @property
    def status_label(self) -> str:
        """What the status badge says; an unknown status shows the server's own word."""
        if self.status is GiftCardStatus.UNKNOWN:
            return _label(self.status_raw, "UNKNOWN")
        return self.status.value.upper()

    def is_expired(self, now: datetime) -> bool:
        require_aware(now, "now")
        return self.expires_at is not None and self.expires_at <= now

    def redeem_refusal(self, now: datetime, amount: Money | None = None) -> str | None:
        """Why the cashier cannot take ``amount`` (or anything) from this card now, or None."""
        require_aware(now, "now")
        if self.status is GiftCardStatus.UNKNOWN:
            return f"This card's status is {self.status_label}; it cannot be used at the till"
        if self.status is not GiftCardStatus.ACTIVE:
            return _REFUSALS[self.status]
        if self.expires_at is not None and self.is_expired(now):
            return f"This card expired on {self.expires_at.date().isoformat()}"
        if not self.balance.is_positive:
            return "This card has no balance left"
        if amount is not None and amount > self.balance:
            return f"Not enough balance: {self.balance.format()} available"
        return None

    def is_redeemable(self, now: datetime) -> bool:
        """Active, not expired and with money on it: the rule that enables the Redeem key."""
        return self.redeem_refusal(now) is None

    def can_cover(self, amount: Money) -> bool:
        return amount <= self.balance


@dataclass(frozen=True, kw_only=True)
class GiftCardTransaction:
    """One line of a card's history; ``amount`` is signed (a redemption is negative)."""

    id: str
    type: TransactionType
    amount: Money
    created_at: datetime
    type_raw: str | None = None
    balance_before: Money | None = None
    balance_after: Money | None = None
    reference: str | None = None
    description: str | None = None
    pos_transaction_id: str | None = None

    def __post_init__(self) -> None:
        require_id(self.id, "transaction id")
        if not isinstance(self.type, TransactionType):
            raise TypeError("type must be a TransactionType (use TransactionType.parse)")
        if not isinstance(self.amount, Money):
            raise TypeError("amount must be Money")
        require_aware(self.created_at, "created_at")
        for balance in (self.balance_before, self.balance_after):
            if balance is not None and balance.currency != self.amount.currency:
                raise DomainError("A transaction's amounts must all be in the same currency")

    @property
    def type_label(self) -> str:
        """What the history column says; an unknown type shows the server's own word."""
        if self.type is TransactionType.OTHER:
            return _label(self.type_raw, "OTHER")
        return self.type.value

    @property
    def is_debit(self) -> bool:
        return self.amount.is_negative

    @property
    def is_credit(self) -> bool:
        return self.amount.is_positive

    @property
    def is_refundable(self) -> bool:
        """Only a redemption (money taken off the card) can be refunded back onto it."""
        return self.type is TransactionType.REDEMPTION and self.amount.is_negative

    @property
    def balances_add_up(self) -> bool | None:
        """before + amount == after, or None when the server left a balance out."""
        if self.balance_before is None or self.balance_after is None:
            return None
        return self.balance_before + self.amount == self.balance_after
