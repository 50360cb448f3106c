"""How journal entries read on screen: state words, signed amounts, ages, and a card's preview.

Words, not colours, carry the meaning (a colour-blind cashier, a washed-out screen). Nothing
here decides anything: the journal says what is pending, this module only says it in words and
previews what the card will look like once the pending operations are applied.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pos_app.domain import Money, OperationKind, Provider
from pos_app.journal.pending_operations import Entry, EntryState
from pos_app.services.lookup import Match

__all__ = [
    "STATE_WORDS",
    "PendingPreview",
    "age_text",
    "change_text",
    "clock_text",
    "pending_preview",
    "short_ref",
]

STATE_WORDS: dict[EntryState, str] = {
    EntryState.HELD: "WAITING FOR MANAGER",
    EntryState.PENDING: "PENDING",
    EntryState.IN_FLIGHT: "SENDING",
    EntryState.UNKNOWN: "CHECKING",
    EntryState.DONE: "DONE",
    EntryState.REJECTED: "REFUSED",
    EntryState.NEEDS_ATTENTION: "NEEDS ATTENTION",
    EntryState.CANCELLED: "CANCELLED",
    EntryState.RESOLVED: "RESOLVED",
}

MINUS = "-"  # as Money.format and the history table write it


def short_ref(reference: str | None) -> str:
    """The 8 characters printed on receipts and accepted by ``pos-app queue``."""
    return (reference or "")[:8]


def _unit_word(entry: Entry, count: int) -> str:
    word = "stamp" if entry.provider is Provider.LEAL else "point"
    return word if count == 1 else f"{word}s"


def change_text(entry: Entry, separator: str = ".") -> str:
    """What the operation does to the card, signed: "-$ 60.00", "+1 stamp", "-100 points"."""
    if entry.amount is not None:
        sign = "+" if entry.kind is OperationKind.REFUND else MINUS
        return f"{sign}{entry.amount.format(separator)}"
    if entry.units is not None:
        sign = "+" if entry.kind is OperationKind.ADD_STAMPS else MINUS
        return f"{sign}{entry.units} {_unit_word(entry, entry.units)}"
    return ""


def age_text(age: timedelta) -> str:
    """Rounded down, as a cashier says it: "just now", "4 min", "2 h 5 min", "3 days"."""
    seconds = max(0, int(age.total_seconds()))
    if seconds < 60:
        return "just now"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days = hours // 24
    return "1 day" if days == 1 else f"{days} days"


def clock_text(moment: datetime | None) -> str:
    """Local HH:MM, with the date when it is not today (a till left on over night)."""
    if moment is None:
        return "never"
    local = moment.astimezone()
    if local.date() == datetime.now().astimezone().date():
        return f"{local:%H:%M}"
    return f"{local:%d/%m %H:%M}"


@dataclass(frozen=True)
class PendingPreview:
    """The card as it will be once its pending operations reach the back-end."""

    operations: int
    changes: tuple[str, ...]
    balance: Money | None = None
    stamps: int | None = None
    count: int | None = None

    @property
    def text(self) -> str:
        what = "operation" if self.operations == 1 else "operations"
        return (
            f"PENDING — {self.operations} {what} will sync ({', '.join(self.changes)}). "
            "The figure shown includes them."
        )


def pending_preview(
    match: Match, entries: Iterable[Entry], separator: str = "."
) -> PendingPreview | None:
    """None when nothing is waiting for this card; else the expected balance, stamps or points."""
    waiting = [e for e in entries if e.state.is_open or e.state is EntryState.HELD]
    if not waiting:
        return None
    balance = match.balance
    stamps = match.stamps
    count = match.count
    for entry in waiting:
        if entry.amount is not None and balance is not None:
            if entry.amount.currency == balance.currency:
                if entry.kind is OperationKind.REFUND:
                    balance = balance + entry.amount
                else:
                    balance = balance - entry.amount
        elif entry.units is not None:
            delta = entry.units if entry.kind is OperationKind.ADD_STAMPS else -entry.units
            if stamps is not None:
                stamps = max(0, stamps + delta)
            elif count is not None:
                count = max(0, count + delta)
    return PendingPreview(
        operations=len(waiting),
        changes=tuple(change_text(e, separator) for e in waiting),
        balance=balance,
        stamps=stamps,
        count=count,
    )
