"""The last state of each card seen online, so a lookup still answers when the network is down.

The snapshot text is opaque here (the services write and read it); this module only keeps it
with the moment it was seen and the codes that found it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from pos_app.domain import Provider
from pos_app.journal.pending_operations import utc_now

__all__ = ["CachedCard", "CardCache"]


@dataclass(frozen=True)
class CachedCard:
    provider: Provider
    card: str
    snapshot: str
    seen_at: datetime

    def age_seconds(self, now: datetime | None = None) -> int:
        return max(0, int(((now or utc_now()) - self.seen_at).total_seconds()))


class CardCache:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def remember(
        self,
        provider: Provider,
        card: str,
        snapshot: str,
        *,
        code: str | None = None,
        seen_at: datetime | None = None,
    ) -> None:
        """Keep the newest state seen online (one row per card), and how it was found."""
        seen = (seen_at or utc_now()).isoformat(timespec="microseconds")
        with self.db:
            self.db.execute(
                "INSERT INTO card_cache (provider, card, snapshot, seen_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (provider, card) DO UPDATE SET snapshot = excluded.snapshot,"
                " seen_at = excluded.seen_at WHERE excluded.seen_at >= card_cache.seen_at",
                (provider.value, card, snapshot, seen),
            )
            if code:
                self.db.execute(
                    "INSERT OR IGNORE INTO card_codes (code, provider, card) VALUES (?, ?, ?)",
                    (code, provider.value, card),
                )

    def get(self, provider: Provider, card: str) -> CachedCard | None:
        row = self.db.execute(
            "SELECT provider, card, snapshot, seen_at FROM card_cache"
            " WHERE provider = ? AND card = ?",
            (provider.value, card),
        ).fetchone()
        return None if row is None else _cached(row)

    def recall(self, code: str, provider: Provider | None = None) -> list[CachedCard]:
        """Cards this code found before, newest sighting first."""
        sql = (
            "SELECT c.provider, c.card, c.snapshot, c.seen_at FROM card_codes k"
            " JOIN card_cache c ON c.provider = k.provider AND c.card = k.card WHERE k.code = ?"
        )
        args: list[str] = [code]
        if provider is not None:
            sql += " AND k.provider = ?"
            args.append(provider.value)
        rows = self.db.execute(sql + " ORDER BY c.seen_at DESC", args).fetchall()
        return [_cached(row) for row in rows]


def _cached(row: tuple[str, str, str, str]) -> CachedCard:
    provider, card, snapshot, seen_at = row
    return CachedCard(Provider(provider), card, snapshot, datetime.fromisoformat(seen_at))
