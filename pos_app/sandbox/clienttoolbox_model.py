"""Records and number rules of the ClientToolbox emulator (no HTTP, no seed).

Money and points are ``Decimal`` throughout: gift-card style balances carry two decimals,
points and visits are whole numbers, exactly as a cashier would see them on a receipt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Literal

CampaignType = Literal["points", "giftcard", "events", "earned"]
CAMPAIGN_TYPES: tuple[CampaignType, ...] = ("points", "giftcard", "events", "earned")
MONEY_TYPES: frozenset[str] = frozenset({"giftcard", "earned"})
ALL_TYPE_NAMES: frozenset[str] = frozenset({*CAMPAIGN_TYPES, "buyx"})

CENT = Decimal("0.01")
ONE = Decimal(1)
ZERO = Decimal(0)
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"


class InputError(ValueError):
    """A request value the API refuses; the message goes back to the client verbatim."""


@dataclass
class Reward:
    id: str
    level: Decimal
    description: str
    reward_id: str = ""


@dataclass
class Promo:
    id: str
    operand: Literal["+", "x"]
    value: Decimal
    description: str


@dataclass
class Campaign:
    id: str
    name: str
    type: CampaignType
    currency: str
    glyph: str
    created_stamp: datetime
    points_ratio: Decimal | None = None
    reward_ratio: Decimal | None = None
    earned_per_event: Decimal | None = None
    opt_out: bool = False
    rewards: list[Reward] = field(default_factory=list)
    promos: list[Promo] = field(default_factory=list)

    @property
    def is_money(self) -> bool:
        return self.type in MONEY_TYPES

    def fmt(self, value: Decimal) -> str:
        """A balance or amount in this campaign's unit: money with cents, points as integers."""
        return fmt_money(value) if self.is_money else fmt_count(value)

    def equivalent(self, value: Decimal) -> Decimal:
        """The money value of a balance (points via ``reward_ratio``; visits have none)."""
        if self.is_money:
            return value
        if self.reward_ratio is None:
            return ZERO
        return value * self.reward_ratio

    def reward(self, reward_id: str) -> Reward | None:
        return next((r for r in self.rewards if r.id == reward_id), None)

    def promo(self, promo_id: str) -> Promo | None:
        return next((p for p in self.promos if p.id == promo_id), None)


@dataclass
class Customer:
    code: str
    card_number: str
    first_name: str
    last_name: str
    phone: str
    email: str
    street1: str
    street2: str
    city: str
    state: str
    postal_code: str
    country: str
    custom_date: date | None
    custom_field: str
    customer_username: str
    customer_password: str
    customer_pin: str
    registered: bool
    record_timestamp: datetime


@dataclass
class Transaction:
    id: str
    campaign_id: str
    code: str
    timestamp: datetime
    redeemed: bool
    amount: Decimal
    authorization: str
    user_name: str
    reward_id: str = ""
    deleted: bool = False


@dataclass
class Account:
    """One customer's standing in one campaign; ``redeemed`` is kept positive internally."""

    code: str
    campaign_id: str
    earned: Decimal = ZERO
    redeemed: Decimal = ZERO
    transactions: list[Transaction] = field(default_factory=list)

    @property
    def balance(self) -> Decimal:
        return self.earned - self.redeemed

    def apply(self, tx: Transaction, sign: int = 1) -> None:
        """Add (sign=1) or reverse (sign=-1) a transaction's effect on the totals."""
        if tx.redeemed:
            self.redeemed += sign * tx.amount
        else:
            self.earned += sign * tx.amount


_NUMBER_RE = re.compile(r"\s*(\d{0,12})(?:[.,](\d{0,6}))?\s*")


def parse_decimal(text: str, name: str) -> Decimal:
    """Accept ``9.95``, ``9,95``, ``.75`` or ``10`` (the API takes either decimal mark)."""
    match = _NUMBER_RE.fullmatch(text)
    if match is None or not (match.group(1) or match.group(2)):
        raise InputError(f"Invalid {name}: '{text}' is not a number")
    whole, frac = match.group(1) or "0", match.group(2) or ""
    return Decimal(f"{whole}.{frac}") if frac else Decimal(whole)


def parse_money(text: str, name: str) -> Decimal:
    """A positive money amount with at most two decimals (a grouped "1,234" is refused)."""
    value = parse_decimal(text, name)
    if value != value.quantize(CENT):
        raise InputError(f"Invalid {name}: '{text}' has more than two decimal places")
    if value <= 0:
        raise InputError(f"Invalid {name}: must be greater than zero")
    return value.quantize(CENT)


def parse_whole(text: str, name: str) -> Decimal:
    """A positive whole number of points."""
    value = parse_decimal(text, name)
    if value != value.to_integral_value():
        raise InputError(f"Invalid {name}: '{text}' is not a whole number")
    if value <= 0:
        raise InputError(f"Invalid {name}: must be greater than zero")
    return value.to_integral_value()


_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_iso_date(text: str, name: str) -> date:
    """Strictly ``YYYY-MM-DD``, the only date format the API takes as input."""
    try:
        if _DATE_RE.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise InputError(f"Invalid {name}: use YYYY-MM-DD")


def floor_int(value: Decimal) -> Decimal:
    return value.to_integral_value(rounding=ROUND_FLOOR)


def ceil_int(value: Decimal) -> Decimal:
    return value.to_integral_value(rounding=ROUND_CEILING)


def fmt_money(value: Decimal) -> str:
    return f"{value.quantize(CENT, rounding=ROUND_HALF_UP):f}"


def fmt_count(value: Decimal) -> str:
    return f"{value.to_integral_value(rounding=ROUND_HALF_UP):f}"


def fmt_trimmed(value: Decimal) -> str:
    """Two decimals at most, trailing zeros dropped: ``0.02``, ``6.02``, ``-6`` (report style)."""
    text = fmt_money(value)
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return "0" if text in {"-0", ""} else text


def fmt_grouped(value: Decimal, money: bool) -> str:
    """Thousands separators as in the totals report: ``4,437``, ``-3,010``, ``1,234.50``."""
    if money:
        return f"{value.quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"
    return f"{value.to_integral_value(rounding=ROUND_HALF_UP):,f}"


def fmt_timestamp(value: datetime) -> str:
    return value.strftime(TIMESTAMP_FORMAT)
