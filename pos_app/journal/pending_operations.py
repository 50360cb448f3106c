"""Every change of value as a durable journal row, committed before the network sees it.

The row's key is the operation's idempotency key. Its state moves only forward along
``held -> pending -> in_flight -> done | rejected | unknown``, and an unknown outcome is
reconciled into ``done``, back to ``pending`` or into ``needs_attention``; nothing is ever
deleted, so the store owner can always account for every cent.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

from pos_app.domain import Money, OperationKind, Provider

__all__ = [
    "OPEN_STATES",
    "Entry",
    "EntryState",
    "NewEntry",
    "PendingOperations",
    "utc_now",
]


class EntryState(StrEnum):
    HELD = "held"  # waiting for a manager's PIN; never sent while held
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    UNKNOWN = "unknown"  # sent, answer lost: reconcile before anything else
    DONE = "done"
    REJECTED = "rejected"  # refused while the cashier was watching; nothing to follow up
    NEEDS_ATTENTION = "needs_attention"
    CANCELLED = "cancelled"  # never sent: the policy or the cashier stopped it
    RESOLVED = "resolved"  # a manager closed a needs-attention entry with a note

    @property
    def is_open(self) -> bool:
        """Still owed to a back-end: the sync engine must finish it."""
        return self in OPEN_STATES


OPEN_STATES: Final = frozenset({EntryState.PENDING, EntryState.IN_FLIGHT, EntryState.UNKNOWN})
_OPEN_SQL: Final = "('pending', 'in_flight', 'unknown')"


def utc_now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="microseconds")


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


@dataclass(frozen=True, kw_only=True)
class NewEntry:
    """What the till wants done, described well enough to send it after a restart."""

    key: str
    provider: Provider
    kind: OperationKind
    card: str  # the back-end's card key; entries of one card are sent in order
    payload: Mapping[str, Any]
    masked: str
    description: str
    terminal: str
    cashier: str | None = None
    amount: Money | None = None  # money taken (redeem) or given back (refund)
    units: int | None = None  # stamps added, or stamps/points spent on a reward
    created_at: datetime | None = None
    undo_of: str | None = None  # for an undo: the reference of the redemption it reverses


@dataclass(frozen=True, kw_only=True)
class Entry:
    key: str
    seq: int
    provider: Provider
    kind: OperationKind
    card: str
    payload: dict[str, Any]
    state: EntryState
    attempts: int
    next_attempt_at: datetime | None
    reason: str | None
    result: dict[str, Any] | None
    before: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    first_sent_at: datetime | None
    masked: str
    description: str
    terminal: str
    cashier: str | None
    amount: Money | None
    units: int | None
    offline: bool
    promised: bool
    note: str | None
    undo_of: str | None = None

    @property
    def reference(self) -> str:
        return self.key

    def age(self, now: datetime | None = None) -> timedelta:
        return (now or utc_now()) - self.created_at

    def as_json(self, now: datetime | None = None) -> dict[str, Any]:
        """The ``pos-app queue --json`` shape (contract keys first, extras after)."""
        return {
            "reference": self.key,
            "state": self.state.value,
            "provider": self.provider.value,
            "kind": self.kind.value,
            "age_seconds": max(0, int(self.age(now).total_seconds())),
            "card": self.masked,
            "description": self.description,
            "amount": None if self.amount is None else self.amount.to_api(),
            "currency": None if self.amount is None else self.amount.currency,
            "units": self.units,
            "attempts": self.attempts,
            "reason": self.reason,
            "offline": self.offline,
            "note": self.note,
        }


_COLUMNS: Final = (
    "key, seq, provider, kind, card, payload, state, attempts, next_attempt_at, reason, result,"
    " before, created_at, updated_at, first_sent_at, masked, description, terminal, cashier,"
    " amount, currency, units, offline, promised, note, undo_of"
)


def _entry(row: sqlite3.Row | tuple[Any, ...]) -> Entry:
    (
        key,
        seq,
        provider,
        kind,
        card,
        payload,
        state,
        attempts,
        next_attempt_at,
        reason,
        result,
        before,
        created_at,
        updated_at,
        first_sent_at,
        masked,
        description,
        terminal,
        cashier,
        amount,
        currency,
        units,
        offline,
        promised,
        note,
        undo_of,
    ) = row
    return Entry(
        key=key,
        seq=seq,
        provider=Provider(provider),
        kind=OperationKind(kind),
        card=card,
        payload=json.loads(payload),
        state=EntryState(state),
        attempts=attempts,
        next_attempt_at=_moment(next_attempt_at),
        reason=reason,
        result=None if result is None else json.loads(result),
        before=None if before is None else json.loads(before),
        created_at=datetime.fromisoformat(created_at),
        updated_at=datetime.fromisoformat(updated_at),
        first_sent_at=_moment(first_sent_at),
        masked=masked,
        description=description,
        terminal=terminal,
        cashier=cashier,
        amount=None if amount is None else Money(Decimal(amount), currency),
        units=units,
        offline=bool(offline),
        promised=bool(promised),
        note=note,
        undo_of=undo_of,
    )


class PendingOperations:
    """The operations table: one short transaction per state change, each fsynced (WAL, FULL).

    All methods run on the caller's thread and return quickly (one indexed statement or two),
    so the GUI's event loop can call them directly.
    """

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE, so two processes on one journal serialise instead of deadlocking."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.rollback()
            raise
        self.db.commit()

    # ------------------------------------------------------------------ writing

    def add(self, new: NewEntry, *, state: EntryState = EntryState.PENDING) -> Entry:
        """Commit the operation before anything is sent: the heart of "never lose"."""
        if state not in (EntryState.PENDING, EntryState.HELD):
            raise ValueError("a new entry starts pending or held")
        created = new.created_at or utc_now()
        now = utc_now()
        payload = dict(new.payload)
        with self._write() as db:
            (seq,) = db.execute(
                "INSERT INTO operations (key, seq, provider, kind, card, payload, state,"
                " created_at, updated_at, masked, description, terminal, cashier, amount,"
                " currency, units, undo_of) VALUES (?,"
                " (SELECT COALESCE(MAX(seq), 0) + 1 FROM operations),"
                " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
                (
                    new.key,
                    new.provider.value,
                    new.kind.value,
                    new.card,
                    json.dumps(payload, sort_keys=True),
                    state.value,
                    _iso(created),
                    _iso(now),
                    new.masked,
                    new.description,
                    new.terminal,
                    new.cashier,
                    None if new.amount is None else str(new.amount.amount),
                    None if new.amount is None else new.amount.currency,
                    new.units,
                    new.undo_of,
                ),
            ).fetchone()
        # Built from what was written rather than read back: enqueueing stays one round trip.
        return Entry(
            key=new.key,
            seq=seq,
            provider=new.provider,
            kind=new.kind,
            card=new.card,
            payload=payload,
            state=state,
            attempts=0,
            next_attempt_at=None,
            reason=None,
            result=None,
            before=None,
            created_at=created.astimezone(UTC),
            updated_at=now,
            first_sent_at=None,
            masked=new.masked,
            description=new.description,
            terminal=new.terminal,
            cashier=new.cashier,
            amount=new.amount,
            units=new.units,
            offline=False,
            promised=False,
            note=None,
            undo_of=new.undo_of,
        )

    def _move(
        self,
        key: str,
        state: EntryState,
        *,
        only_from: frozenset[EntryState] | None = None,
        **fields: Any,
    ) -> bool:
        """Change one entry (state and fields) in one commit; False if not in ``only_from``."""
        sets = ["state = ?", "updated_at = ?"]
        values: list[Any] = [state.value, _iso(utc_now())]
        for name, value in fields.items():
            sets.append(f"{name} = ?")
            if isinstance(value, datetime):
                value = _iso(value)
            elif isinstance(value, dict):
                value = json.dumps(value, sort_keys=True)
            values.append(value)
        sql = f"UPDATE operations SET {', '.join(sets)} WHERE key = ?"
        values.append(key)
        if only_from is not None:
            sql += f" AND state IN ({', '.join('?' for _ in only_from)})"
            values.extend(s.value for s in only_from)
        with self._write() as db:
            changed = db.execute(sql, values).rowcount
        return bool(changed)

    def hold(self, key: str) -> bool:
        """Keep an unsent entry from the sync engine while a manager decides about it."""
        return self._move(
            key, EntryState.HELD, only_from=frozenset({EntryState.PENDING}), next_attempt_at=None
        )

    def release(self, key: str, *, offline: bool = True) -> bool:
        """A held entry may now be sent (the manager approved, or no approval was needed)."""
        return self._move(
            key, EntryState.PENDING, only_from=frozenset({EntryState.HELD}), offline=int(offline)
        )

    def cancel(self, key: str, reason: str) -> bool:
        """Stop an entry never sent; refuses (False) once it may have reached a back-end."""
        return self._move(
            key,
            EntryState.CANCELLED,
            only_from=frozenset({EntryState.HELD, EntryState.PENDING}),
            reason=reason,
            next_attempt_at=None,
        )

    def add_facts(self, key: str, facts: dict[str, Any]) -> None:
        """Keep what the till learnt after the answer (e.g. the balance re-read) for receipts.

        Only adds: a fact the back-end itself answered is never overwritten.
        """
        with self._write() as db:
            row = db.execute("SELECT result FROM operations WHERE key = ?", (key,)).fetchone()
            if row is None:
                return
            result = json.loads(row[0]) if row[0] else {}
            merged = {**facts, **result}
            if merged != result:
                db.execute(
                    "UPDATE operations SET result = ? WHERE key = ?",
                    (json.dumps(merged, sort_keys=True), key),
                )

    def note_reason(self, key: str, reason: str) -> None:
        with self._write() as db:
            db.execute("UPDATE operations SET reason = ? WHERE key = ?", (reason, key))

    def mark_in_flight(self, key: str, before: dict[str, Any] | None) -> bool:
        """Recorded *before* the request leaves, so a crash now is read back as "unknown"."""
        now = utc_now()
        with self._write() as db:
            changed = db.execute(
                "UPDATE operations SET state = 'in_flight', attempts = attempts + 1,"
                " before = COALESCE(?, before), first_sent_at = COALESCE(first_sent_at, ?),"
                " updated_at = ?, next_attempt_at = NULL"
                " WHERE key = ? AND state IN ('pending', 'unknown')",
                (
                    None if before is None else json.dumps(before, sort_keys=True),
                    _iso(now),
                    _iso(now),
                    key,
                ),
            ).rowcount
        return bool(changed)

    def complete(self, key: str, result: dict[str, Any]) -> None:
        self._move(key, EntryState.DONE, result=result, reason=None, next_attempt_at=None)

    def retry_later(self, key: str, reason: str, at: datetime) -> None:
        """Not applied (the back-end said so or was never reached): safe to send again.

        Only an open entry moves: one the cashier held or cancelled while the engine was still
        reading the card before sending stays so ("Nothing was charged" must stay true).
        """
        self._move(
            key, EntryState.PENDING, only_from=OPEN_STATES, reason=reason, next_attempt_at=at
        )

    def outcome_unknown(self, key: str, reason: str, at: datetime) -> None:
        self._move(
            key, EntryState.UNKNOWN, only_from=OPEN_STATES, reason=reason, next_attempt_at=at
        )

    def refuse(self, key: str, reason: str, advice: str = "") -> EntryState:
        """A back-end said no: the cashier sees it now, or the manager sees it later.

        ``advice`` (what to do about it) is added only for the manager's needs-attention list;
        a cashier who is still watching already knows nothing happened.
        """
        later = f"{reason}. {advice}" if advice else reason
        with self._write() as db:
            db.execute(
                "UPDATE operations SET state = CASE WHEN promised = 1 THEN 'needs_attention'"
                " ELSE 'rejected' END, reason = CASE WHEN promised = 1 THEN ? ELSE ? END,"
                " next_attempt_at = NULL, updated_at = ? WHERE key = ?",
                (later, reason, _iso(utc_now()), key),
            )
        return self.get(key).state

    def needs_attention(self, key: str, reason: str, result: dict[str, Any] | None = None) -> None:
        fields: dict[str, Any] = {"reason": reason, "next_attempt_at": None}
        if result is not None:
            fields["result"] = result
        self._move(key, EntryState.NEEDS_ATTENTION, **fields)

    def promise(self, key: str) -> Entry:
        """The cashier was told PENDING: from now on a refusal must reach the manager.

        Atomic with the engine's writes, so a refusal that lands at the same moment is either
        seen by the cashier now or routed to needs-attention, never neither.
        """
        with self._write() as db:
            db.execute(
                f"UPDATE operations SET promised = 1 WHERE key = ? AND state IN {_OPEN_SQL}",
                (key,),
            )
        return self.get(key)

    def resolve(self, key: str, note: str, by: str | None) -> bool:
        """A manager closes a needs-attention entry; the note stays with it for the audit."""
        text = note.strip()
        if not text:
            raise ValueError("A resolution needs a note saying what was done")
        signed = f"{text} ({by})" if by else text
        return self._move(
            key,
            EntryState.RESOLVED,
            only_from=frozenset({EntryState.NEEDS_ATTENTION}),
            note=signed,
        )

    def retry_all_now(self) -> int:
        """Cut every back-off at once (one statement, one fsync, however long the queue)."""
        with self._write() as db:
            return db.execute(
                f"UPDATE operations SET next_attempt_at = NULL, updated_at = ?"
                f" WHERE state IN {_OPEN_SQL} AND next_attempt_at IS NOT NULL",
                (_iso(utc_now()),),
            ).rowcount

    def retry_provider_now(self, provider: Provider) -> int:
        """Cut the back-offs of one back-end's open entries: it answers again, so none of them
        should sit out a wait that was only about reaching it."""
        with self._write() as db:
            return db.execute(
                f"UPDATE operations SET next_attempt_at = NULL, updated_at = ?"
                f" WHERE provider = ? AND state IN {_OPEN_SQL} AND next_attempt_at IS NOT NULL",
                (_iso(utc_now()), provider.value),
            ).rowcount

    def retry_card_now(self, provider: Provider, card: str) -> int:
        """Cut the back-off of a whole card's queue: its head must go first (FIFO)."""
        with self._write() as db:
            return db.execute(
                f"UPDATE operations SET next_attempt_at = NULL, updated_at = ?"
                f" WHERE provider = ? AND card = ? AND state IN {_OPEN_SQL}",
                (_iso(utc_now()), provider.value, card),
            ).rowcount

    def recover_interrupted(self) -> int:
        """After a crash, an entry left in flight may or may not have been applied."""
        with self._write() as db:
            return db.execute(
                "UPDATE operations SET state = 'unknown', updated_at = ?,"
                " reason = 'Tillcard stopped while sending; checking with the back-end'"
                " WHERE state = 'in_flight'",
                (_iso(utc_now()),),
            ).rowcount

    # ------------------------------------------------------------------ reading

    def get(self, key: str) -> Entry:
        row = self.db.execute(f"SELECT {_COLUMNS} FROM operations WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return _entry(row)

    def find(self, reference: str) -> Entry | None:
        """By full reference or the 8-character short one printed for the cashier."""
        text = reference.strip().lower()
        if len(text) < 8:
            return None
        # A range on the primary key rather than LIKE (which is case-blind, so unindexed): a
        # scanned receipt finds its row at once in a journal of millions.
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM operations WHERE key >= ? AND key < ? ORDER BY seq LIMIT 2",
            (text, text + "\uffff"),
        ).fetchall()
        return _entry(rows[0]) if len(rows) == 1 else None

    def head(self, provider: Provider, card: str) -> Entry | None:
        """The oldest open entry of one card: per-card order is first in, first out."""
        row = self.db.execute(
            f"SELECT {_COLUMNS} FROM operations WHERE provider = ? AND card = ?"
            f" AND state IN {_OPEN_SQL} ORDER BY seq LIMIT 1",
            (provider.value, card),
        ).fetchone()
        return None if row is None else _entry(row)

    def due_cards(self, now: datetime) -> list[tuple[Provider, str]]:
        """Cards whose oldest open entry may be tried now, oldest first."""
        rows = self.db.execute(
            f"SELECT o.provider, o.card, o.next_attempt_at FROM operations o"
            f" JOIN (SELECT provider, card, MIN(seq) AS seq FROM operations"
            f" WHERE state IN {_OPEN_SQL} GROUP BY provider, card) h ON o.seq = h.seq"
            f" ORDER BY o.seq"
        ).fetchall()
        stamp = _iso(now) or ""
        return [(Provider(p), c) for p, c, at in rows if at is None or at <= stamp]

    def next_due(self) -> datetime | None:
        """When the earliest backed-off head ends its wait (None: no head is backing off)."""
        row = self.db.execute(
            f"SELECT MIN(o.next_attempt_at) FROM operations o"
            f" JOIN (SELECT provider, card, MIN(seq) AS seq FROM operations"
            f" WHERE state IN {_OPEN_SQL} GROUP BY provider, card) h ON o.seq = h.seq"
        ).fetchone()
        return None if row is None or row[0] is None else datetime.fromisoformat(row[0])

    def listing(
        self, states: frozenset[EntryState] | None = None, limit: int = 1000
    ) -> list[Entry]:
        """Newest first, for the pending / needs-attention view and ``pos-app queue``."""
        chosen = states or frozenset({*OPEN_STATES, EntryState.HELD, EntryState.NEEDS_ATTENTION})
        marks = ", ".join("?" for _ in chosen)
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM operations WHERE state IN ({marks}) ORDER BY seq DESC LIMIT ?",
            (*(s.value for s in chosen), limit),
        ).fetchall()
        return [_entry(row) for row in rows]

    def counts(self) -> dict[EntryState, int]:
        rows = self.db.execute("SELECT state, COUNT(*) FROM operations GROUP BY state").fetchall()
        return {EntryState(state): count for state, count in rows}

    def pending_money(self, currency: str) -> Money:
        """Redemptions no back-end has confirmed yet: the per-till cap's exposure."""
        rows = self.db.execute(
            f"SELECT amount FROM operations WHERE kind = 'redeem' AND currency = ?"
            f" AND (state IN {_OPEN_SQL} OR state = 'held')",
            (currency,),
        )
        total = sum((Decimal(a) for (a,) in rows), Decimal(0))
        return Money(total, currency)

    def spent_since(
        self, provider: Provider, card: str, since: datetime | None, currency: str | None
    ) -> tuple[Money | None, int]:
        """Money and reward units taken from a card that its cached state may not show yet.

        Counts entries still owed to the back-end, and those it confirmed after ``since`` (the
        moment the cached state was read), so two offline sales can never spend one balance.
        """
        rows = self.db.execute(
            f"SELECT kind, amount, currency, units FROM operations WHERE provider = ? AND card = ?"
            f" AND kind IN ('redeem', 'redeem_reward') AND (state IN {_OPEN_SQL}"
            f" OR state = 'held' OR (state = 'done' AND updated_at >= ?))",
            (provider.value, card, _iso(since) or ""),
        ).fetchall()
        money = Decimal(0)
        units = 0
        for kind, amount, row_currency, row_units in rows:
            if kind == "redeem" and amount is not None and row_currency == currency:
                money += Decimal(amount)
            elif kind == "redeem_reward":
                units += int(row_units or 0)
        return (None if currency is None else Money(money, currency)), units

    def undos_of(self, reference: str) -> list[Entry]:
        """Every undo attempted for a redemption, oldest first (one must never become two)."""
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM operations WHERE undo_of = ? ORDER BY seq", (reference,)
        ).fetchall()
        return [_entry(row) for row in rows]

    def made_between(
        self, terminal: str, start: datetime, end: datetime | None = None
    ) -> list[Entry]:
        """One till's operations from ``start`` up to (not including) ``end``, oldest first."""
        sql = f"SELECT {_COLUMNS} FROM operations WHERE terminal = ? AND created_at >= ?"
        args: list[Any] = [terminal, _iso(start)]
        if end is not None:
            sql += " AND created_at < ?"
            args.append(_iso(end))
        rows = self.db.execute(sql + " ORDER BY seq", args).fetchall()
        return [_entry(row) for row in rows]

    def last_made_by(self, terminal: str) -> Entry | None:
        """The newest operation this till made that a customer could hold a receipt for."""
        row = self.db.execute(
            f"SELECT {_COLUMNS} FROM operations WHERE terminal = ?"
            " AND state NOT IN ('held') ORDER BY seq DESC LIMIT 1",
            (terminal,),
        ).fetchone()
        return None if row is None else _entry(row)

    def pending_for(self, provider: Provider, card: str) -> list[Entry]:
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM operations WHERE provider = ? AND card = ?"
            f" AND state IN {_OPEN_SQL} ORDER BY seq",
            (provider.value, card),
        ).fetchall()
        return [_entry(row) for row in rows]

    def last_done_at(self) -> datetime | None:
        row = self.db.execute(
            "SELECT MAX(updated_at) FROM operations WHERE state = 'done'"
        ).fetchone()
        return _moment(row[0]) if row else None
