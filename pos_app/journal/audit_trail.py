"""Who did what, when, on which till, and how it ended: append-only (triggers refuse edits)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pos_app.journal.pending_operations import utc_now

__all__ = ["AuditLine", "AuditTrail"]


@dataclass(frozen=True)
class AuditLine:
    id: int
    at: datetime
    terminal: str
    cashier: str | None
    action: str
    detail: dict[str, Any]
    result: str | None


class AuditTrail:
    def __init__(self, db: sqlite3.Connection, terminal: str) -> None:
        self.db = db
        self.terminal = terminal

    def record(
        self,
        action: str,
        detail: Mapping[str, Any],
        result: str | None = None,
        *,
        cashier: str | None = None,
    ) -> None:
        """One line per cashier or manager action; the detail never holds a full card number."""
        with self.db:
            self.db.execute(
                "INSERT INTO audit (at, terminal, cashier, action, detail, result)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    utc_now().isoformat(timespec="microseconds"),
                    self.terminal,
                    cashier,
                    action,
                    json.dumps(dict(detail), sort_keys=True, default=str),
                    result,
                ),
            )

    def recent(
        self, limit: int = 200, action: str | None = None, *, actions: tuple[str, ...] = ()
    ) -> list[AuditLine]:
        """Newest first; ``action`` or ``actions`` narrow it to those kinds of line."""
        sql = "SELECT id, at, terminal, cashier, action, detail, result FROM audit"
        wanted = (action, *actions) if action is not None else actions
        args: list[Any] = list(wanted)
        if wanted:
            sql += f" WHERE action IN ({', '.join('?' for _ in wanted)})"
        rows = self.db.execute(sql + " ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
        return [
            AuditLine(i, datetime.fromisoformat(at), t, c, a, json.loads(d), r)
            for i, at, t, c, a, d, r in rows
        ]
