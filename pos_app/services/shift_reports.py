"""The end-of-shift report from the journal: the shift's window on this till, totalled."""

from __future__ import annotations

import csv
from pathlib import Path

from pos_app.domain.shift_report import Outcome, ShiftOperation, ShiftReport, shift_report
from pos_app.journal.pending_operations import Entry, EntryState
from pos_app.services.till import Till

__all__ = ["report_for", "write_csv"]

_OUTCOMES = {
    EntryState.DONE: Outcome.CONFIRMED,
    EntryState.PENDING: Outcome.PENDING,
    EntryState.IN_FLIGHT: Outcome.PENDING,
    EntryState.UNKNOWN: Outcome.PENDING,
    EntryState.HELD: Outcome.PENDING,
    EntryState.NEEDS_ATTENTION: Outcome.NEEDS_ATTENTION,
    EntryState.RESOLVED: Outcome.RESOLVED,
    EntryState.REJECTED: Outcome.NOT_DONE,
    EntryState.CANCELLED: Outcome.NOT_DONE,
}


def _operation(entry: Entry) -> ShiftOperation:
    return ShiftOperation(
        provider=entry.provider,
        kind=entry.kind,
        outcome=_OUTCOMES[entry.state],
        cashier=entry.cashier,
        amount=entry.amount,
        units=entry.units,
    )


def report_for(till: Till, shift_id: int | None = None) -> ShiftReport | None:
    """The open shift's report (so far), or a past shift's; None if there is no such shift."""
    facts = till.shifts.current() if shift_id is None else till.shifts.get(shift_id)
    if facts is None:
        return None
    entries = till.operations.made_between(facts.terminal, facts.opened_at, facts.closed_at)
    return shift_report(facts, (_operation(e) for e in entries))


def write_csv(report: ShiftReport, path: Path) -> None:
    """UTF-8 with a BOM, so a double-click opens it right in spreadsheet programs."""
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        csv.writer(out).writerows(report.csv_rows())
