"""Who may approve what: managers and their PIN hashes, kept in the user-only journal file."""

from __future__ import annotations

import sqlite3

from pos_app.journal.pending_operations import utc_now

__all__ = ["Staff"]


class Staff:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def set_manager(self, name: str, pin_hash: str) -> None:
        """Add a manager or change their PIN; only the scrypt hash is stored."""
        clean = name.strip()
        if not clean or len(clean) > 60:
            raise ValueError("A manager needs a name of 1 to 60 characters")
        if not pin_hash.startswith("scrypt$"):
            raise ValueError("Only a scrypt PIN hash may be stored")
        with self.db:
            self.db.execute(
                "INSERT INTO staff (name, pin_hash, is_manager, created_at) VALUES (?, ?, 1, ?)"
                " ON CONFLICT (name) DO UPDATE SET pin_hash = excluded.pin_hash, is_manager = 1",
                (clean, pin_hash, utc_now().isoformat()),
            )

    def managers(self) -> list[tuple[str, str]]:
        """(name, PIN hash) of every manager, by name."""
        rows = self.db.execute(
            "SELECT name, pin_hash FROM staff WHERE is_manager = 1 ORDER BY name"
        ).fetchall()
        return [(str(name), str(pin_hash)) for name, pin_hash in rows]
