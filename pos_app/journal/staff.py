"""Who works this till: cashiers and managers with their PIN hashes, in the user-only journal."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Final

from pos_app.journal.pending_operations import utc_now

__all__ = ["Person", "Staff"]

MAX_NAME = 60
#: ``scrypt$n$r$p$<salt>$<hash>`` as :func:`pos_app.manager_pin.hash_pin` writes it (a salt of
#: 16+ bytes, a 32-byte hash, both base64): a PIN can never pass for one behind ``scrypt$``.
_SCRYPT_HASH: Final = re.compile(
    r"scrypt\$[0-9]+\$[0-9]+\$[0-9]+\$[A-Za-z0-9+/]{22,}={0,2}\$[A-Za-z0-9+/]{43}="
)


@dataclass(frozen=True)
class Person:
    name: str
    pin_hash: str
    is_manager: bool

    @property
    def role(self) -> str:
        return "manager" if self.is_manager else "cashier"


def _clean(name: str) -> str:
    clean = " ".join(name.split())
    if not clean or len(clean) > MAX_NAME:
        raise ValueError(f"A name needs 1 to {MAX_NAME} characters")
    return clean


class Staff:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def set_person(self, name: str, pin_hash: str, *, manager: bool) -> str:
        """Add someone or change their PIN and role; only the scrypt hash is stored.

        Names are matched without regard to case, so "ana" cannot shadow "Ana" at sign-in.
        """
        clean = _clean(name)
        if not _SCRYPT_HASH.fullmatch(pin_hash):
            raise ValueError("Only a scrypt PIN hash may be stored")
        existing = self.db.execute(
            "SELECT name FROM staff WHERE name = ? COLLATE NOCASE", (clean,)
        ).fetchone()
        stored = str(existing[0]) if existing else clean
        with self.db:
            self.db.execute(
                "INSERT INTO staff (name, pin_hash, is_manager, created_at, active)"
                " VALUES (?, ?, ?, ?, 1) ON CONFLICT (name) DO UPDATE SET"
                " pin_hash = excluded.pin_hash, is_manager = excluded.is_manager, active = 1",
                (stored, pin_hash, int(manager), utc_now().isoformat()),
            )
        return stored

    def set_manager(self, name: str, pin_hash: str) -> str:
        return self.set_person(name, pin_hash, manager=True)

    def remove(self, name: str) -> bool:
        """Someone left: they can no longer sign in; their name stays on past operations."""
        with self.db:
            changed = self.db.execute(
                "UPDATE staff SET active = 0 WHERE name = ? COLLATE NOCASE AND active = 1",
                (_clean(name),),
            ).rowcount
        return bool(changed)

    def people(self) -> list[Person]:
        """Everyone who may sign in, by name."""
        rows = self.db.execute(
            "SELECT name, pin_hash, is_manager FROM staff WHERE active = 1"
            " ORDER BY name COLLATE NOCASE"
        ).fetchall()
        return [Person(str(n), str(h), bool(m)) for n, h, m in rows]

    def person(self, name: str) -> Person | None:
        try:
            clean = _clean(name)
        except ValueError:
            return None
        row = self.db.execute(
            "SELECT name, pin_hash, is_manager FROM staff WHERE name = ? COLLATE NOCASE"
            " AND active = 1",
            (clean,),
        ).fetchone()
        return None if row is None else Person(str(row[0]), str(row[1]), bool(row[2]))

    def managers(self) -> list[tuple[str, str]]:
        """(name, PIN hash) of every manager, by name."""
        return [(p.name, p.pin_hash) for p in self.people() if p.is_manager]
