"""Money as the till counts it: a Decimal amount in one currency, always 2 decimals, never a float.

Two parsers guard the two ways amounts come in:

- :func:`parse_api_amount` reads what the back-ends send (JSON strings or numbers, signed).
- :func:`parse_cashier_amount` reads what a cashier types, and refuses anything it would have to
  guess about, with a message the cashier can act on.

Rounding is ``ROUND_HALF_UP`` (0.005 becomes 0.01), the rule people expect at a till.
Every currency is kept to 2 decimals: all three back-ends work in cents.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Final

from pos_app.domain.errors import (
    AmountEntryError,
    ApiAmountError,
    CurrencyMismatchError,
    MoneyError,
)

__all__ = [
    "CENT",
    "DEFAULT_MAXIMUM",
    "LARGEST_AMOUNT",
    "Money",
    "currency_symbol",
    "parse_api_amount",
    "parse_cashier_amount",
]

CENT: Final = Decimal("0.01")
#: Beyond any real balance, sale or report total; bigger values are corrupt data, not money.
LARGEST_AMOUNT: Final = Decimal("999999999999.99")
#: Default ceiling for one amount typed at the till.
DEFAULT_MAXIMUM: Final = Decimal("100000.00")

_CONTEXT: Final = Context(prec=34, rounding=ROUND_HALF_UP, traps=[InvalidOperation])
_CURRENCY_RE: Final = re.compile(r"[A-Z]{3}")
_SYMBOLS: Final[dict[str, str]] = {
    "USD": "$",
    "CAD": "$",
    "AUD": "$",
    "NZD": "$",
    "MXN": "$",
    "EUR": "€",
    "GBP": "£",
    "BRL": "R$",
    "INR": "₹",
    "ZAR": "R",
}
_SEPARATORS: Final = (".", ",")


def currency_symbol(currency: str) -> str:
    """The symbol shown before an amount; unknown currencies show their ISO code instead."""
    return _SYMBOLS.get(currency, currency)


def _quantize(value: Decimal, *, from_api: bool = False) -> Decimal:
    """Round to cents, refusing non-finite and absurd values, and never keep a negative zero."""
    error = ApiAmountError if from_api else MoneyError
    not_finite, too_big = "An amount must be a finite number", "That amount is out of range"
    if from_api:
        not_finite = "Unexpected amount from the server: not a finite number"
        too_big = "Unexpected amount from the server: out of range"
    if not value.is_finite():
        raise error(not_finite)
    if abs(value) > LARGEST_AMOUNT:
        raise error(too_big)
    rounded = value.quantize(CENT, context=_CONTEXT)
    if abs(rounded) > LARGEST_AMOUNT:
        raise error(too_big)
    if rounded.is_zero():
        return Decimal("0.00")
    return rounded


def _check_separator(decimal_separator: str) -> None:
    if decimal_separator not in _SEPARATORS:
        raise ValueError(f"decimal_separator must be '.' or ',', not {decimal_separator!r}")


def _group(amount: Decimal, decimal_separator: str, grouping: bool) -> str:
    """Digits of ``abs(amount)`` with 2 decimals, optionally grouped by thousands."""
    text = f"{abs(amount):,.2f}" if grouping else f"{abs(amount):.2f}"
    if decimal_separator == ",":
        text = text.translate({ord(","): ".", ord("."): ","})
    return text


@dataclass(frozen=True, slots=True)
class Money:
    """An amount of one currency, rounded to cents; arithmetic only between the same currency."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, Decimal | int):
            raise TypeError(f"Money needs a Decimal amount, not {type(self.amount).__name__}")
        if not isinstance(self.currency, str):
            raise TypeError("The currency must be an ISO 4217 code such as 'USD'")
        currency = self.currency.strip().upper()
        if not _CURRENCY_RE.fullmatch(currency):
            raise MoneyError(f"Unknown currency code {self.currency[:10]!r}")
        object.__setattr__(self, "amount", _quantize(Decimal(self.amount)))
        object.__setattr__(self, "currency", currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def from_api(cls, value: object, currency: str) -> Money:
        """Money from a back-end value; the currency comes from the till's configuration."""
        return cls(parse_api_amount(value), currency)

    @classmethod
    def total(cls, amounts: Iterable[Money], currency: str) -> Money:
        """Sum of amounts, zero when there are none (so an empty list still has a currency)."""
        result = cls.zero(currency)
        for amount in amounts:
            result = result + amount
        return result

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatchError(
                f"Cannot combine {self.currency} with {other.currency}: the till never converts"
            )

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def __lt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.amount >= other.amount

    @property
    def is_zero(self) -> bool:
        return self.amount.is_zero()

    @property
    def is_positive(self) -> bool:
        return self.amount > 0

    @property
    def is_negative(self) -> bool:
        return self.amount < 0

    def format(self, decimal_separator: str = ".", *, grouping: bool = True) -> str:
        """For display: ``"$ 1,234.50"``, ``"€ 74,50"``, ``"-$ 25.50"`` (not for input fields)."""
        _check_separator(decimal_separator)
        sign = "-" if self.amount < 0 else ""
        digits = _group(self.amount, decimal_separator, grouping)
        return f"{sign}{currency_symbol(self.currency)} {digits}"

    def format_plain(self, decimal_separator: str = ".", *, signed: bool = False) -> str:
        """As a cashier would type it (``"74,50"``), or signed for history rows (``"+100.00"``).

        Without ``signed`` this is exactly what :func:`parse_cashier_amount` reads back.
        """
        _check_separator(decimal_separator)
        digits = _group(self.amount, decimal_separator, grouping=False)
        if self.amount < 0:
            return f"-{digits}"
        return f"+{digits}" if signed and self.amount > 0 else digits

    def to_api(self) -> str:
        """The request form every back-end accepts: dot decimal mark, exactly 2 decimals."""
        return f"{self.amount:.2f}"

    def __str__(self) -> str:
        return self.format()


# --- amounts from the back-ends ---------------------------------------------------------------

_API_TEXT_RE: Final = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")
_API_MAX_TEXT: Final = 40


def _shown(value: object) -> str:
    """A short, safe rendering of a bad value for an error message or a log line."""
    text = repr(value)
    return text if len(text) <= 30 else f"{text[:27]}..."


def parse_api_amount(value: object) -> Decimal:
    """Read a money value as a back-end sends it: ``"74.50"``, ``74.5``, ``100``, ``"-25.50"``.

    Floats go through ``str()`` (``74.5`` -> ``Decimal("74.50")``), so no binary artefacts leak in.
    Refuses bools, None, NaN, infinities, exponents in text, grouping marks, non-ASCII digits and
    anything else: a wrong balance is worse than a visible error.
    """
    if isinstance(value, bool) or value is None:
        raise ApiAmountError(f"Unexpected amount from the server: {_shown(value)}")
    if isinstance(value, int):
        if abs(value) > LARGEST_AMOUNT:
            raise ApiAmountError("Unexpected amount from the server: out of range")
        return _quantize(Decimal(value), from_api=True)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ApiAmountError(f"Unexpected amount from the server: {_shown(value)}")
        if abs(value) > LARGEST_AMOUNT:
            raise ApiAmountError("Unexpected amount from the server: out of range")
        return _quantize(Decimal(str(value)), from_api=True)
    if isinstance(value, Decimal):
        return _quantize(value, from_api=True)
    if isinstance(value, str):
        text = value.strip()
        if len(text) > _API_MAX_TEXT or not _API_TEXT_RE.fullmatch(text):
            raise ApiAmountError(f"Unexpected amount from the server: {_shown(value)}")
        return _quantize(Decimal(text), from_api=True)
    raise ApiAmountError(f"Unexpected amount from the server: {_shown(value)}")


# --- amounts typed by the cashier -------------------------------------------------------------

_MAX_ENTRY_LENGTH: Final = 24
_MAX_ENTRY_DIGITS: Final = 12
_CARD_NUMBER_DIGITS: Final = 12
_ENTRY_CHARS: Final = frozenset("0123456789.,-")
_ENTRY_RE: Final = re.compile(r"(-?)([0-9.,]+)")
_GROUPED_RES: Final = (
    re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?"),
    re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]*)?"),
)


def _is_foreign_digit(char: str) -> bool:
    """Digits and numerals outside 0-9 (Arabic-Indic, full-width, superscripts, fractions)."""
    return not char.isascii() and (char.isnumeric() or unicodedata.category(char) == "Nd")


def parse_cashier_amount(
    text: str,
    decimal_separator: str = ".",
    *,
    maximum: Decimal = DEFAULT_MAXIMUM,
    allow_zero: bool = False,
) -> Decimal:
    """Read an amount typed at the till, or raise :class:`AmountEntryError` with what to do.

    Accepts ``12``, ``12.5``, ``12,50``, ``.50`` and surrounding spaces. Either mark works as the
    decimal mark, except where it could be a thousands separator: ``1,234`` in a dot locale (or
    ``1.234`` in a comma locale) is refused, as is any grouped form such as ``1,234.50``. The
    cashier is asked to type ``1234.50``; guessing could take 1000 times the intended amount.
    Refuses signs (``-0`` too), more than 2 decimals, exponents, NaN/inf, letters, symbols,
    control characters, digits other than 0-9, values above ``maximum`` and card-number-like runs.
    """
    _check_separator(decimal_separator)
    if not isinstance(text, str):
        raise TypeError(f"Cashier input must be text, not {type(text).__name__}")
    if maximum <= 0:
        raise ValueError("maximum must be positive")

    enter_like = AmountEntryError(f"Enter an amount like 12{decimal_separator}50")
    grouped = AmountEntryError(f"Leave out thousands separators: type 1234{decimal_separator}50")
    entry = text.strip(" ")
    if not entry or len(entry) > _MAX_ENTRY_LENGTH:
        raise enter_like
    if any(_is_foreign_digit(char) for char in entry):
        raise AmountEntryError("Use the digits 0-9 on the keypad")
    if not set(entry) <= _ENTRY_CHARS:
        raise enter_like
    if entry.isdigit() and len(entry) >= _CARD_NUMBER_DIGITS:
        raise AmountEntryError("That looks like a card number, not an amount")
    match = _ENTRY_RE.fullmatch(entry)
    if match is None:
        raise enter_like
    sign, body = match.groups()

    marks = [char for char in body if char in _SEPARATORS]
    if len(marks) > 1:
        if any(pattern.fullmatch(body) for pattern in _GROUPED_RES):
            raise grouped
        raise enter_like
    whole, fraction = body, ""
    if marks:
        whole, fraction = body.split(marks[0])
        if not whole and not fraction:
            raise enter_like
        could_be_grouping = (
            marks[0] != decimal_separator
            and len(fraction) == 3
            and 1 <= len(whole) <= 3
            and not whole.startswith("0")
        )
        if could_be_grouping:
            raise grouped
    if len(whole) + len(fraction) > _MAX_ENTRY_DIGITS:
        raise enter_like
    if sign:
        raise AmountEntryError("The amount must be more than zero")
    if len(fraction) > 2:
        raise AmountEntryError("Amounts have at most 2 decimals")

    value = Decimal(f"{whole or '0'}.{fraction or '0'}").quantize(CENT, context=_CONTEXT)
    if value.is_zero() and not allow_zero:
        raise AmountEntryError("The amount must be more than zero")
    if value > maximum:
        shown = _group(maximum, decimal_separator, grouping=True)
        raise AmountEntryError(f"That amount is too large (max {shown})")
    return value if not value.is_zero() else Decimal("0.00")
