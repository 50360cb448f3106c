"""Errors the domain raises, as one family so callers can catch "bad value" in one place.

Every message is written for the person at the till: it says what is wrong and, where it can,
what to type instead. Callers show ``str(error)`` as it is.
"""

from __future__ import annotations


class DomainError(ValueError):
    """A value the domain refuses: cashier input, data from a back-end, or an operation."""


class MoneyError(DomainError):
    """An amount that cannot be money here (wrong format, out of range, wrong currency)."""


class CurrencyMismatchError(MoneyError):
    """Two amounts in different currencies were combined; the till never converts."""


class AmountEntryError(MoneyError):
    """The cashier typed something that is not an acceptable amount."""


class ApiAmountError(MoneyError):
    """A back-end sent an amount we cannot read safely, so we refuse rather than guess."""


class ReportNumberError(DomainError):
    """A number in a back-office report is not in the format its field uses."""


class CardNumberError(DomainError):
    """A scanned or typed code cannot be the kind of card number asked for."""


class OperationError(DomainError):
    """An operation the cashier asked for is not allowed on this card as we last saw it."""
