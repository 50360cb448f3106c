"""ClientToolbox campaigns: points, visits and stored value held by one customer.

A campaign's type decides what its balance *is*: ``giftcard`` and ``earned`` hold money (shown
with a currency, 2 decimals); ``points``, ``events`` and ``buyx`` hold whole counts. The balance
is therefore ``Money`` or ``int``, checked against the type, never a bare number to interpret.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from pos_app.domain._checks import (
    clean_text,
    parse_enum,
    require_aware,
    require_count,
    require_id,
)
from pos_app.domain.errors import DomainError, ReportNumberError
from pos_app.domain.money import Money
from pos_app.domain.report_numbers import parse_count

__all__ = [
    "CampaignBalance",
    "CampaignType",
    "PointsReward",
    "PointsTransaction",
    "parse_campaign_value",
    "points_reward_refusal",
]


class CampaignType(StrEnum):
    POINTS = "points"
    GIFTCARD = "giftcard"
    EVENTS = "events"
    EARNED = "earned"
    BUYX = "buyx"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, raw: object) -> CampaignType:
        """Case- and space-insensitive; anything unrecognised (or not text) is UNKNOWN."""
        return parse_enum(cls, raw, cls.UNKNOWN, str.lower)

    @property
    def holds_money(self) -> bool:
        """Stored value (gift card, earned "bucks"): redeemed by amount, shown as currency."""
        return self in _MONEY_TYPES

    @property
    def holds_count(self) -> bool:
        return self in _COUNT_TYPES

    def count_text(self, count: int) -> str:
        """``"120 points"``, ``"1 visit"``, ``"2 items"``; just the number for other types."""
        singular, plural = _UNITS.get(self, ("", ""))
        unit = singular if abs(count) == 1 else plural
        return f"{count:,} {unit}".rstrip()


_MONEY_TYPES: Final = frozenset({CampaignType.GIFTCARD, CampaignType.EARNED})
_COUNT_TYPES: Final = frozenset({CampaignType.POINTS, CampaignType.EVENTS, CampaignType.BUYX})
_UNITS: Final[dict[CampaignType, tuple[str, str]]] = {
    CampaignType.POINTS: ("point", "points"),
    CampaignType.EVENTS: ("visit", "visits"),
    CampaignType.BUYX: ("item", "items"),
}


def parse_campaign_value(campaign_type: CampaignType, value: object, currency: str) -> Money | int:
    """A balance or transaction amount read by the rule for the campaign's type.

    Money types go through :func:`~pos_app.domain.money.parse_api_amount`; count types through
    :func:`~pos_app.domain.report_numbers.parse_count`. For an UNKNOWN type a well-formed
    count is taken as a count and anything else must parse as money.
    """
    if campaign_type.holds_money:
        return Money.from_api(value, currency)
    if campaign_type.holds_count:
        return parse_count(value)
    try:
        return parse_count(value)
    except ReportNumberError:
        return Money.from_api(value, currency)


def _check_value(campaign_type: CampaignType, value: object, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, Money | int):
        raise TypeError(f"{what} must be Money or a whole number")
    if campaign_type.holds_money and not isinstance(value, Money):
        raise DomainError(f"A {campaign_type.value} campaign's {what} must be money")
    if campaign_type.holds_count and not isinstance(value, int):
        raise DomainError(f"A {campaign_type.value} campaign's {what} must be a whole number")


@dataclass(frozen=True, kw_only=True)
class CampaignBalance:
    """One customer's balance in one campaign (``customer_code`` is ClientToolbox's ``code``)."""

    campaign_id: str
    type: CampaignType
    name: str
    balance: Money | int
    customer_code: str | None = None
    card_number: str | None = None
    type_raw: str | None = None

    def __post_init__(self) -> None:
        require_id(self.campaign_id, "campaign id")
        if not isinstance(self.type, CampaignType):
            raise TypeError("type must be a CampaignType (use CampaignType.parse)")
        if not isinstance(self.name, str):
            raise TypeError("name must be text")
        _check_value(self.type, self.balance, "balance")
        if self.customer_code is not None:
            require_id(self.customer_code, "customer code")
        if self.card_number is not None:
            require_id(self.card_number, "card number")

    @property
    def money(self) -> Money | None:
        return self.balance if isinstance(self.balance, Money) else None

    @property
    def count(self) -> int | None:
        return None if isinstance(self.balance, Money) else self.balance

    @property
    def holds_money(self) -> bool:
        return isinstance(self.balance, Money)

    def format(self, decimal_separator: str = ".") -> str:
        """``"$ 9.95"``, ``"120 points"``, ``"1 visit"``: the balance with its unit."""
        if isinstance(self.balance, Money):
            return self.balance.format(decimal_separator)
        return self.type.count_text(self.balance)


@dataclass(frozen=True, kw_only=True)
class PointsReward:
    """A reward of a points or events campaign; ``level`` is what it costs in points or visits.

    ``id`` is the value ClientToolbox's ``redeem`` takes (not the optional ``reward_id``).
    """

    id: str
    level: int
    description: str

    def __post_init__(self) -> None:
        require_id(self.id, "reward id")
        require_count(self.level, "A reward's level")
        if not isinstance(self.description, str):
            raise TypeError("description must be text")

    def affordable_with(self, count: int) -> bool:
        return self.level <= count


def points_reward_refusal(
    balance: CampaignBalance, reward: PointsReward, pending_spent: int = 0
) -> str | None:
    """Why ``reward`` cannot be redeemed from ``balance`` now, or None if it can."""
    require_count(pending_spent, "pending_spent")
    if balance.type not in {CampaignType.POINTS, CampaignType.EVENTS} or balance.count is None:
        return f"{balance.name or 'This campaign'} has no rewards to redeem at the till"
    available = max(0, balance.count - pending_spent)
    if not reward.affordable_with(available):
        needed = balance.type.count_text(reward.level)
        have = balance.type.count_text(available)
        return f"'{reward.description}' needs {needed}; the customer has {have}"
    return None


@dataclass(frozen=True, kw_only=True)
class PointsTransaction:
    """A line of a campaign's history; ``redeemed`` is True for a spend (``Y``), False for earn.

    ``authorization`` holds the POS reference we sent, which is how an unknown outcome is
    reconciled (ClientToolbox has no idempotency key).
    """

    id: str
    date: datetime
    redeemed: bool
    amount: Money | int
    authorization: str | None = None

    def __post_init__(self) -> None:
        require_id(self.id, "transaction id")
        require_aware(self.date, "date")
        if not isinstance(self.redeemed, bool):
            raise TypeError("redeemed must be True or False")
        if isinstance(self.amount, bool) or not isinstance(self.amount, Money | int):
            raise TypeError("amount must be Money or a whole number")
        object.__setattr__(self, "authorization", clean_text(self.authorization))

    def matches_reference(self, reference: str) -> bool:
        """True if this line was written by the operation with that POS reference."""
        return self.authorization is not None and self.authorization == reference.strip()
