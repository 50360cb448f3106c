"""One till's services wired together: back-ends, journal, card cache, audit, sync, policy.

The GUI and every headless command open a :class:`Till` the same way, so an operation takes one
code path whether a cashier pressed F2 or a script ran ``pos-app redeem``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pos_app.config import AppConfig
from pos_app.domain import Provider
from pos_app.journal.audit_trail import AuditTrail
from pos_app.journal.card_cache import CardCache
from pos_app.journal.connectivity import BackendStatus, ConnectivityMonitor, Reachability
from pos_app.journal.database import open_journal
from pos_app.journal.pending_operations import PendingOperations, utc_now
from pos_app.journal.staff import Staff
from pos_app.journal.sync import SYNC_LOCK_FILE, Backoff, SyncEngine
from pos_app.manager_pin import PinLockout, hash_pin, wait_text
from pos_app.providers.factory import Backends
from pos_app.services.delivery import deliveries_for
from pos_app.services.offline_cards import OfflineCards

log = logging.getLogger(__name__)
__all__ = ["TRAINING_MANAGER", "TRAINING_MANAGER_PIN", "Till"]

PIN_MAX_FAILURES = 5
PIN_LOCK_SECONDS = 300.0
PIN_REFUSED, PIN_ACCEPTED, PIN_LOCKED = (
    "manager_pin_refused",
    "manager_pin_accepted",
    "manager_pin_locked",
)

#: Training mode's manager, so a trainee can practise an override (documented, not a secret).
TRAINING_MANAGER = "Training manager"
TRAINING_MANAGER_PIN = "0000"


@dataclass
class Till:
    config: AppConfig
    backends: Backends
    db: sqlite3.Connection
    data_dir: Path
    operations: PendingOperations
    cards: OfflineCards
    audit: AuditTrail
    staff: Staff
    engine: SyncEngine
    monitor: ConnectivityMonitor
    cashier: str | None = None
    lockout: PinLockout = field(
        default_factory=lambda: PinLockout(
            max_failures=PIN_MAX_FAILURES, lock_seconds=PIN_LOCK_SECONDS
        )
    )
    status_listeners: list[Callable[[BackendStatus], None]] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    def open(
        cls,
        data_dir: Path,
        config: AppConfig,
        backends: Backends,
        *,
        training: bool = False,
        backoff: Backoff | None = None,
    ) -> Till:
        """Open the journal (raises ``JournalUnavailable`` with a clear message) and wire it up."""
        db = open_journal(data_dir)
        operations = PendingOperations(db)
        sync = config.sync
        engine = SyncEngine(
            operations,
            deliveries_for(backends.gift_cards, backends.stamp_cards, backends.points),
            concurrency=sync.concurrency,
            backoff=backoff or Backoff(sync.first_retry_seconds, sync.max_retry_seconds),
            lock_path=data_dir / SYNC_LOCK_FILE,
        )
        listeners: list[Callable[[BackendStatus], None]] = []

        def tell_all(status: BackendStatus) -> None:
            for tell in list(listeners):
                tell(status)

        monitor = ConnectivityMonitor(backends.enabled(), on_change=tell_all)
        till = cls(
            config=config,
            backends=backends,
            db=db,
            data_dir=data_dir,
            operations=operations,
            cards=OfflineCards(CardCache(db)),
            audit=AuditTrail(db, config.terminal.id),
            staff=Staff(db),
            engine=engine,
            monitor=monitor,
        )
        engine.on_reachable = till._engine_saw
        listeners.append(till._monitor_saw)
        till.status_listeners = listeners
        if training and not till.staff.managers():
            till.staff.set_manager(TRAINING_MANAGER, hash_pin(TRAINING_MANAGER_PIN))
        return till

    @property
    def terminal(self) -> str:
        return self.config.terminal.id

    def _engine_saw(self, provider: Provider, ok: bool, reason: str | None) -> None:
        """Real traffic is the best probe: tell the monitor what the sync engine just saw."""
        if ok:
            self.monitor.report_ok(provider)
        else:
            self.monitor.report_failure(provider, reason or "unreachable")

    def _monitor_saw(self, status: BackendStatus) -> None:
        if status.state is Reachability.ONLINE:
            self.engine.resume(status.provider)

    def start(self) -> None:
        """Background sync and connectivity probes, on the running loop (the GUI's)."""
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self.engine.run(), name="sync engine"),
            loop.create_task(self.monitor.run(), name="connectivity monitor"),
        ]

    def verify_manager(self, pin: str) -> tuple[str | None, str]:
        """The approving manager's name, or None with the reason (wrong PIN, locked out).

        Wrong PINs are counted in the audit trail too, so the lock-out holds across every
        Tillcard process on this till (a script calling ``pos-app`` in a loop gains nothing).
        """
        managers = self.staff.managers()
        if not managers:
            return None, "No manager PIN is set up on this till (pos-app manager-pin NAME)"
        left = max(self._locked_by_history(), self.lockout.locked_for())
        if left > 0:
            message = f"Too many wrong PINs; try again in {wait_text(left)}"
            self.audit.record(PIN_LOCKED, {}, message, cashier=self.cashier)
            return None, message
        check = self.lockout.attempt(pin, [stored for _, stored in managers])
        if not check.ok or check.matched_index is None:
            self.audit.record(PIN_REFUSED, {}, check.message, cashier=self.cashier)
            return None, check.message
        name = managers[check.matched_index][0]
        self.audit.record(PIN_ACCEPTED, {}, "accepted", cashier=name)
        return name, check.message

    def _locked_by_history(self) -> float:
        """Seconds left if the last ``PIN_MAX_FAILURES`` PIN checks on this till all failed."""
        lines = self.audit.recent(PIN_MAX_FAILURES, actions=(PIN_REFUSED, PIN_ACCEPTED))
        if len(lines) < PIN_MAX_FAILURES or any(line.action != PIN_REFUSED for line in lines):
            return 0.0
        return PIN_LOCK_SECONDS - (utc_now() - lines[0].at).total_seconds()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        self.engine.release()
        await self.backends.aclose()
        self.db.close()
