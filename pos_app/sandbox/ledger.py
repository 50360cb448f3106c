"""Every value change the emulators applied, so tests can prove exactly-once delivery."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class LedgerEntry:
    api: str
    operation: str
    card: str
    amount: Decimal | None = None
    stamps: int | None = None
    idempotency_key: str | None = None
    reference: str | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def as_json(self) -> dict[str, Any]:
        return {
            "api": self.api,
            "operation": self.operation,
            "card": self.card,
            "amount": None if self.amount is None else f"{self.amount:.2f}",
            "stamps": self.stamps,
            "idempotency_key": self.idempotency_key,
            "reference": self.reference,
            "at": self.at.isoformat().replace("+00:00", "Z"),
        }


class Ledger:
    """Append-only list of applied changes; a replayed idempotent request must not add one."""

    def __init__(self) -> None:
        self._entries: list[LedgerEntry] = []
        self._lock = threading.Lock()

    def record(
        self,
        api: str,
        operation: str,
        card: str,
        *,
        amount: Decimal | None = None,
        stamps: int | None = None,
        idempotency_key: str | None = None,
        reference: str | None = None,
    ) -> LedgerEntry:
        entry = LedgerEntry(api, operation, card, amount, stamps, idempotency_key, reference)
        with self._lock:
            self._entries.append(entry)
        return entry

    def entries(self) -> list[LedgerEntry]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
