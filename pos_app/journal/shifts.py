"""Shifts: a till's working period, opened at the first sign-in and closed by a manager.

At most one shift is open per till (a unique index says so, so two processes cannot both open
one). The end-of-shift report covers the operations the till made between opening and closing.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime

from pos_app.domain.shift_report import ShiftFacts
from pos_app.journal.pending_operations import utc_now

__all__ = ["Shifts"]

_COLUMNS = "id, terminal, opened_at, opened_by, closed_at, closed_by"


def _facts(row: tuple[object, ...]) -> ShiftFacts:
    shift_id, terminal, opened_at, opened_by, closed_at, closed_by = row
    return ShiftFacts(
        shift_id=int(str(shift_id)),
        terminal=str(terminal),
        opened_at=datetime.fromisoformat(str(opened_at)),
        opened_by=str(opened_by),
        closed_at=None if closed_at is None else datetime.fromisoformat(str(closed_at)),
        closed_by=None if closed_by is None else str(closed_by),
    )


def _stamp(moment: datetime) -> str:
    """UTC, like the operations' times; a naive time is refused before it reaches the file
    (read back, it would make every later look at this till's shifts raise)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a shift's times must be time-zone aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class Shifts:
    def __init__(self, db: sqlite3.Connection, terminal: str) -> None:
        self.db = db
        self.terminal = terminal

    def current(self) -> ShiftFacts | None:
        row = self.db.execute(
            f"SELECT {_COLUMNS} FROM shifts WHERE terminal = ? AND closed_at IS NULL",
            (self.terminal,),
        ).fetchone()
        return None if row is None else _facts(row)

    def open(self, by: str, at: datetime | None = None) -> tuple[ShiftFacts, bool]:
        """The open shift, opening one if there is none; True when this call opened it."""
        existing = self.current()
        if existing is not None:
            return existing, False
        inserted = True
        try:
            with self.db:
                self.db.execute(
                    "INSERT INTO shifts (terminal, opened_at, opened_by) VALUES (?, ?, ?)",
                    (self.terminal, _stamp(at or utc_now()), by),
                )
        except sqlite3.IntegrityError:  # another process on this till opened it just now
            inserted = False
        opened = self.current()
        assert opened is not None
        return opened, inserted

    def close(self, by: str, at: datetime | None = None) -> ShiftFacts | None:
        """Close the open shift; None if none was open (closing twice changes nothing)."""
        shift = self.current()
        if shift is None:
            return None
        closed_at = at or utc_now()
        replace(shift, closed_at=closed_at, closed_by=by)  # refuses a close before the opening
        with self.db:
            self.db.execute(
                "UPDATE shifts SET closed_at = ?, closed_by = ? WHERE id = ? AND closed_at IS NULL",
                (_stamp(closed_at), by, shift.shift_id),
            )
        return self.get(shift.shift_id)

    def get(self, shift_id: int) -> ShiftFacts | None:
        row = self.db.execute(
            f"SELECT {_COLUMNS} FROM shifts WHERE id = ? AND terminal = ?",
            (shift_id, self.terminal),
        ).fetchone()
        return None if row is None else _facts(row)

    def recent(self, limit: int = 20) -> list[ShiftFacts]:
        """Newest first, for picking a past shift's report."""
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM shifts WHERE terminal = ? ORDER BY id DESC LIMIT ?",
            (self.terminal, limit),
        ).fetchall()
        return [_facts(row) for row in rows]
