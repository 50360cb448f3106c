"""Send journaled operations exactly once: in order per card, in parallel across cards.

The engine knows states, order, back-off and the two questions that decide safety: *was it
applied?* (the provider error class says, or reconciliation finds out) and *may it be sent
again?* (only if certainly not applied, or the back-end deduplicates by key). How a provider
sends or reconciles is a :class:`Delivery` supplied by the services layer.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final, Protocol

from filelock import FileLock, Timeout

from pos_app.domain import Provider
from pos_app.journal.pending_operations import (
    OPEN_STATES,
    Entry,
    EntryState,
    PendingOperations,
    utc_now,
)
from pos_app.providers.errors import (
    BackendError,
    BackendUnavailable,
    OutcomeUnknown,
    RateLimited,
    Unauthorized,
)

log = logging.getLogger(__name__)

__all__ = [
    "Ambiguous",
    "Applied",
    "Backoff",
    "Delivery",
    "DrainReport",
    "NotApplied",
    "SyncEngine",
]

SYNC_LOCK_FILE: Final = "sync.lock"
#: How often a till re-reads the journal for entries another process (the CLI) added.
POLL_SECONDS: Final = 2.0
#: How long sending pauses after the journal could not be written.
STALL_SECONDS: Final = 30


@dataclass(frozen=True)
class Applied:
    """Reconciliation found the operation on the back-end."""

    result: dict[str, Any]


@dataclass(frozen=True)
class NotApplied:
    """Reconciliation proved the back-end never acted: sending again is safe."""

    detail: str = ""


@dataclass(frozen=True)
class Ambiguous:
    """The evidence does not decide (another till changed the card): a person must look."""

    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)


Reconciled = Applied | NotApplied | Ambiguous


class Delivery(Protocol):
    """How one provider's operations are sent and checked; raises ``BackendError`` subclasses."""

    def idempotent(self, entry: Entry) -> bool:
        """True if the back-end deduplicates this entry's key (resending *is* reconciling)."""

    async def before_send(self, entry: Entry) -> dict[str, Any] | None:
        """Read what reconciliation will compare against, right before sending."""

    async def send(self, entry: Entry) -> dict[str, Any]:
        """Send once; the returned result is stored with the entry."""

    async def reconcile(self, entry: Entry) -> Reconciled: ...

    def advice(self, entry: Entry) -> str:
        """What a manager must do when a promised entry is refused at sync."""


@dataclass(frozen=True)
class Backoff:
    """Full-jitter exponential back-off (AWS architecture blog), capped."""

    first: float = 1.0
    cap: float = 300.0
    random: Callable[[float, float], float] = random.uniform

    def delay(self, failures: int) -> float:
        ceiling = min(self.cap, self.first * 2 ** min(max(failures - 1, 0), 20))
        return max(0.05, self.random(ceiling / 2, ceiling))


@dataclass
class DrainReport:
    done: int = 0
    rejected: int = 0
    needs_attention: int = 0
    waiting: int = 0

    def count(self, state: EntryState) -> None:
        if state is EntryState.DONE:
            self.done += 1
        elif state in (EntryState.REJECTED,):
            self.rejected += 1
        elif state is EntryState.NEEDS_ATTENTION:
            self.needs_attention += 1


Listener = Callable[[Entry], None]


def _settled(entry: Entry) -> bool:
    """An attempt has ended: finished, or back to waiting with a time for the next try."""
    if not entry.state.is_open:
        return entry.state is not EntryState.HELD
    return entry.state is not EntryState.IN_FLIGHT and entry.next_attempt_at is not None


class SyncEngine:
    """Drains the journal; one worker per card, at most ``concurrency`` cards at once."""

    def __init__(
        self,
        operations: PendingOperations,
        deliveries: dict[Provider, Delivery],
        *,
        concurrency: int = 16,
        backoff: Backoff | None = None,
        lock_path: Path | None = None,
    ) -> None:
        self.operations = operations
        self.deliveries = deliveries
        self.concurrency = concurrency
        self.backoff = backoff or Backoff()
        self.listeners: list[Listener] = []
        self.on_reachable: Callable[[Provider, bool, str | None], None] | None = None
        self.report = DrainReport()
        self._lock = FileLock(lock_path, timeout=0) if lock_path is not None else None
        self._holding = lock_path is None
        self._wake = asyncio.Event()
        self._busy: dict[tuple[Provider, str], asyncio.Task[None]] = {}
        self._paused: dict[Provider, datetime] = {}
        self._provider_failures: dict[Provider, int] = {}
        self._watchers: dict[str, list[asyncio.Future[Entry]]] = {}
        self.last_success: datetime | None = operations.last_done_at()
        self._stalled_until: datetime | None = None
        #: Why the journal could not be written, for the status bar (None: all well).
        self.journal_problem: str | None = None

    # ------------------------------------------------------------------ control

    def wake(self) -> None:
        """New work or a changed network: look again now instead of at the next poll."""
        self._wake.set()

    def resume(self, provider: Provider) -> None:
        """The connectivity monitor saw the back-end again: stop waiting out its pause, and
        its entries' back-offs, which after a long outage reach minutes past its return."""
        self._paused.pop(provider, None)
        self._provider_failures.pop(provider, None)
        try:
            cut = self.operations.retry_provider_now(provider)
        except sqlite3.Error as exc:
            self._journal_failed(exc)
            return
        if cut:
            log.info("%s answers again: %d waiting operation(s) go now", provider.label, cut)
        self.wake()

    def retry_now(self, key: str | None = None) -> None:
        """Retry now: forget the back-off of one entry's card (or of everything) and go."""
        if key is None:
            self.operations.retry_all_now()
            self._paused.clear()
            self._provider_failures.clear()
        else:
            entry = self.operations.get(key)
            self.operations.retry_card_now(entry.provider, entry.card)
            self._paused.pop(entry.provider, None)
        self.wake()

    @property
    def sending(self) -> bool:
        """False while another process on this journal holds the sync lock."""
        return self._holding

    def acquire(self) -> bool:
        """Take the journal's sync lock; only one process may send, or two could double-send."""
        if self._holding:
            return True
        assert self._lock is not None
        try:
            self._lock.acquire()
        except Timeout:
            return False
        self._holding = True
        recovered = self.operations.recover_interrupted()
        if recovered:
            log.warning("%d operation(s) were being sent when Tillcard stopped", recovered)
        return True

    def release(self) -> None:
        if self._lock is not None and self._holding:
            self._lock.release()
            self._holding = False

    async def settle(self, key: str, timeout: float) -> Entry:
        """The entry once an attempt has ended (finished, or waiting out a back-off).

        Returns the entry as it is when ``timeout`` ends otherwise. When another process holds
        the sync lock, its progress is only visible in the file, so the journal is re-read.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        entry = self.operations.get(key)
        if _settled(entry):
            return entry
        future: asyncio.Future[Entry] = loop.create_future()
        self._watchers.setdefault(key, []).append(future)
        try:
            while (left := deadline - loop.time()) > 0:
                step = left if self._holding else min(left, 0.25)
                try:
                    async with asyncio.timeout(step):
                        return await asyncio.shield(future)
                except TimeoutError:
                    entry = self.operations.get(key)
                    if _settled(entry):
                        return entry
            return self.operations.get(key)
        finally:
            waiting = self._watchers.get(key, [])
            if future in waiting:
                waiting.remove(future)
            if not waiting:
                self._watchers.pop(key, None)

    # ------------------------------------------------------------------ loops

    async def run(self) -> None:
        """Forever: the GUI's background sync (cancel the task to stop)."""
        try:
            while True:
                if not self.acquire():
                    await self._sleep(POLL_SECONDS)
                    continue
                await self._sleep(self._start_due())
        finally:
            await self._stop_workers()
            self.release()

    async def drain(self) -> DrainReport:
        """Until nothing is due: every entry is finished or waiting out a back-off."""
        self.report = DrainReport()
        if not self.acquire():
            raise RuntimeError("another Tillcard process is syncing this journal")
        while True:
            self._start_due()
            if not self._busy:
                break
            await asyncio.wait(list(self._busy.values()), return_when=asyncio.FIRST_COMPLETED)
        counts = self.operations.counts()
        self.report.waiting = sum(counts.get(state, 0) for state in OPEN_STATES)
        return self.report

    async def send_now(self, key: str) -> None:
        """Try one card's queue at once, skipping its back-off (the cashier is waiting)."""
        self.retry_now(key)
        entry = self.operations.get(key)
        if self.acquire():
            self._start_card((entry.provider, entry.card), force=True)

    async def _sleep(self, seconds: float) -> None:
        self._wake.clear()
        # Not wait_for: on Python 3.11 it swallows a cancel that lands just as the event is
        # set, and run() would then never stop (Till.close() and the app's exit would hang).
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.01, seconds)):
                await self._wake.wait()

    def _start_due(self) -> float:
        """Start a worker for every due card; return how long nothing new can become due.

        A paused back-end's cards are skipped without spinning: the wait is until its pause
        ends (or the next poll, which also picks up entries other processes added).
        """
        now = utc_now()
        wait = POLL_SECONDS
        if self._stalled_until is not None and self._stalled_until > now:
            return min(wait, (self._stalled_until - now).total_seconds())
        for card in self.operations.due_cards(now):
            if card in self._busy:
                continue
            if len(self._busy) >= self.concurrency:
                break  # a finishing worker wakes the loop
            paused = self._paused.get(card[0])
            if paused is not None and paused > now:
                wait = min(wait, (paused - now).total_seconds())
                continue
            self._start_card(card)
        due = self.operations.next_due()
        if due is not None and due > now:
            wait = min(wait, (due - now).total_seconds())
        return max(wait, 0.01)

    def _start_card(self, card: tuple[Provider, str], *, force: bool = False) -> None:
        # A worker that has returned but whose done-callback has not run yet counts as gone:
        # otherwise a cashier's send in that instant would start nothing and wait its patience.
        running = self._busy.get(card)
        if running is not None and not running.done():
            return
        if not force and len(self._busy) >= self.concurrency:
            return
        task = asyncio.create_task(self._work_card(card), name=f"sync {card[0].value}")
        self._busy[card] = task
        task.add_done_callback(functools.partial(self._finished, card))

    def _finished(self, card: tuple[Provider, str], task: asyncio.Task[None]) -> None:
        if self._busy.get(card) is task:  # not a newer worker started for the same card
            del self._busy[card]
        self.wake()

    async def _stop_workers(self) -> None:
        tasks = list(self._busy.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _work_card(self, card: tuple[Provider, str]) -> None:
        """First in, first out: a head still waiting keeps the card's later entries waiting."""
        provider, number = card
        while True:
            entry = self.operations.head(provider, number)
            if entry is None:
                return
            if entry.next_attempt_at is not None and entry.next_attempt_at > utc_now():
                return
            paused = self._paused.get(provider)
            if paused is not None and paused > utc_now():
                return
            try:
                await self._process(entry)
            except asyncio.CancelledError:
                raise
            except sqlite3.Error as exc:
                self._journal_failed(exc)
                return
            except Exception:
                # A bug must not lose the entry or stop the other cards: keep it for a retry.
                log.exception("sync of %s failed unexpectedly", entry.key[:8])
                try:
                    self._set_unknown(entry, "Tillcard hit an internal error while sending")
                except sqlite3.Error as exc:
                    self._journal_failed(exc)
                    return
            after = self.operations.get(entry.key)
            self._announce(after)
            # Let the screen paint between one card's commits and the next card's.
            await asyncio.sleep(0)
            if after.state.is_open:
                self._release_waiters(card)
                return

    def _journal_failed(self, exc: sqlite3.Error) -> None:
        """The journal cannot be written (disk full, read-only): stop sending for a while.

        Whatever was in flight stays recorded as in flight, which the next start reads as an
        unknown outcome and reconciles; sending more now would leave no record of it.
        """
        if self._stalled_until is None or self._stalled_until <= utc_now():
            log.error("journal cannot be written (%s); sending paused for %d s", exc, STALL_SECONDS)
        self._stalled_until = utc_now() + timedelta(seconds=STALL_SECONDS)
        self.journal_problem = str(exc)

    # ------------------------------------------------------------------ one entry

    async def _process(self, entry: Entry) -> None:
        delivery = self.deliveries.get(entry.provider)
        if delivery is None:
            self.operations.retry_later(
                entry.key,
                f"{entry.provider.label} is not enabled on this till",
                utc_now() + timedelta(seconds=self.backoff.cap),
            )
            return
        if entry.state is EntryState.IN_FLIGHT:
            # Only reachable when another process crashed mid-send and we took its lock late.
            self.operations.outcome_unknown(entry.key, "Interrupted while sending", utc_now())
            entry = self.operations.get(entry.key)
        if entry.state is EntryState.UNKNOWN and not delivery.idempotent(entry):
            try:
                verdict = await delivery.reconcile(entry)
            except BackendError as exc:
                self._failed_to_reach(entry, exc, keep=EntryState.UNKNOWN)
                return
            if isinstance(verdict, Applied):
                self._done(entry, verdict.result)
                return
            if isinstance(verdict, Ambiguous):
                self.operations.needs_attention(entry.key, verdict.reason, verdict.evidence)
                return
            log.info("%s was not applied; sending it again", entry.key[:8])
        await self._send(entry, delivery)

    async def _send(self, entry: Entry, delivery: Delivery) -> None:
        try:
            before = await delivery.before_send(entry)
        except BackendError as exc:
            self._failed_to_reach(entry, exc, keep=entry.state)
            return
        if not self.operations.mark_in_flight(entry.key, before):
            return  # cancelled or finished meanwhile
        self._announce(self.operations.get(entry.key))
        await asyncio.sleep(0)
        try:
            result = await delivery.send(entry)
        except OutcomeUnknown as exc:
            self._set_unknown(entry, exc.message)
            return
        except (BackendUnavailable, Unauthorized) as exc:
            self._failed_to_reach(entry, exc, keep=EntryState.PENDING)
            return
        except BackendError as exc:
            if exc.retry_safe:  # a garbled answer to a read: nothing applied
                self._failed_to_reach(entry, exc, keep=EntryState.PENDING)
                return
            state = self.operations.refuse(entry.key, exc.message, delivery.advice(entry))
            self._reachable(entry.provider, True, None)
            log.info("%s refused by %s: %s (%s)", entry.key[:8], exc.backend, exc, state)
            return
        self._done(entry, result)

    def _done(self, entry: Entry, result: dict[str, Any]) -> None:
        self.operations.complete(entry.key, result)
        self.last_success = utc_now()
        self.journal_problem = None
        self._reachable(entry.provider, True, None)

    def _set_unknown(self, entry: Entry, reason: str) -> None:
        self.operations.outcome_unknown(
            entry.key, reason, utc_now() + timedelta(seconds=self.backoff.delay(1))
        )

    def _failed_to_reach(self, entry: Entry, exc: BackendError, *, keep: EntryState) -> None:
        """Not applied: wait and try again; the whole back-end waits, not just this card."""
        failures = self._provider_failures.get(entry.provider, 0) + 1
        self._provider_failures[entry.provider] = failures
        delay = self.backoff.delay(failures)
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            delay = max(delay, exc.retry_after)
        at = utc_now() + timedelta(seconds=delay)
        # First: a 429 counts as reachable, and a monitor that sees the back-end come back
        # resumes its queue; the wait this answer asks for must be set after that, not undone.
        self._reachable(entry.provider, isinstance(exc, RateLimited), exc.message)
        self._paused[entry.provider] = at
        if keep is EntryState.UNKNOWN:
            self.operations.outcome_unknown(entry.key, exc.message, at)
        else:
            self.operations.retry_later(entry.key, exc.message, at)

    def _reachable(self, provider: Provider, ok: bool, reason: str | None) -> None:
        if ok and reason is None:
            self._provider_failures.pop(provider, None)
            self._paused.pop(provider, None)
        if self.on_reachable is not None:
            self.on_reachable(provider, ok, reason)

    def _release_waiters(self, card: tuple[Provider, str]) -> None:
        """Entries queued behind a head that must wait will not be tried now: say so."""
        for key, futures in list(self._watchers.items()):
            entry = self.operations.get(key)
            if (entry.provider, entry.card) == card and entry.state is EntryState.PENDING:
                for future in futures:
                    if not future.done():
                        future.set_result(entry)

    def _announce(self, entry: Entry) -> None:
        self.report.count(entry.state)
        if _settled(entry):
            for future in self._watchers.get(entry.key, []):
                if not future.done():
                    future.set_result(entry)
        for listener in list(self.listeners):
            try:
                listener(entry)
            except Exception:
                log.exception("a sync listener failed")
