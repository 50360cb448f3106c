"""One till's services wired together: back-ends, journal, card cache, audit, sync, policy.

The GUI and every headless command open a :class:`Till` the same way, so an operation takes one
code path whether a cashier pressed F2 or a script ran ``pos-app redeem``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pos_app.config import AppConfig
from pos_app.domain import Provider, mask
from pos_app.domain.shift_report import ShiftFacts
from pos_app.journal.audit_trail import AuditTrail
from pos_app.journal.card_cache import CardCache
from pos_app.journal.connectivity import BackendStatus, ConnectivityMonitor, Reachability
from pos_app.journal.database import open_journal
from pos_app.journal.pending_operations import PendingOperations, utc_now
from pos_app.journal.shifts import Shifts
from pos_app.journal.staff import Staff
from pos_app.journal.sync import SYNC_LOCK_FILE, Backoff, SyncEngine
from pos_app.manager_pin import PinLockout, hash_pin, wait_text
from pos_app.providers.factory import Backends
from pos_app.services.delivery import deliveries_for
from pos_app.services.offline_cards import OfflineCards

log = logging.getLogger(__name__)
__all__ = [
    "TRAINING_CASHIER",
    "TRAINING_CASHIER_PIN",
    "TRAINING_MANAGER",
    "TRAINING_MANAGER_PIN",
    "SignIn",
    "Till",
]

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
TRAINING_CASHIER = "Ana"
TRAINING_CASHIER_PIN = "1234"


@functools.cache
def _no_one() -> str:
    """The hash an unknown name is checked against (made once, on the first unknown name)."""
    return hash_pin(f"{secrets.randbelow(10**12):012d}")


@dataclass(frozen=True)
class SignIn:
    ok: bool
    message: str
    name: str | None = None
    is_manager: bool = False
    shift: ShiftFacts | None = None


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
    shifts: Shifts
    cashier: str | None = None
    is_manager: bool = False  # the signed-in person may open manager-only screens
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
            shifts=Shifts(db, config.terminal.id),
        )
        engine.on_reachable = till._engine_saw
        listeners.append(till._monitor_saw)
        till.status_listeners = listeners
        if training:
            # Each one on its own: a training journal from before cashiers existed already has
            # the manager, and training must still sign its cashier in by itself.
            if till.staff.person(TRAINING_MANAGER) is None:
                till.staff.set_manager(TRAINING_MANAGER, hash_pin(TRAINING_MANAGER_PIN))
            if till.staff.person(TRAINING_CASHIER) is None:
                pin = hash_pin(TRAINING_CASHIER_PIN)
                till.staff.set_person(TRAINING_CASHIER, pin, manager=False)
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

    def settings_changed(self) -> None:
        """Settings were saved: secrets are read on each use, so ask every back-end again now;
        one that refused the old key and takes the new one sends its waiting work at once."""
        self.monitor.probe_soon()

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

    @property
    def needs_sign_in(self) -> bool:
        """Once anyone is set up on this till, nobody uses it without signing in."""
        return bool(self.staff.people())

    def sign_in(self, name: str, pin: str) -> SignIn:
        """Name and PIN; the first sign-in of a shift opens it. Same lock-out as manager PINs."""
        left = max(self._locked_by_history(), self.lockout.locked_for())
        if left > 0:
            message = f"Too many wrong PINs; try again in {wait_text(left)}"
            self.audit.record(PIN_LOCKED, {"sign_in": mask(name)}, message)
            return SignIn(False, message)
        person = self.staff.person(name)
        # What was typed goes into the audit trail; a card scanned into the name field by
        # mistake must not land there whole.
        typed = mask(name) if sum(ch.isdigit() for ch in name) >= 8 else name[:60]
        # An unknown name is checked against a hash no one knows the PIN of: it costs, counts
        # and reads exactly like a wrong PIN, so the dialog cannot be used to probe for names.
        check = self.lockout.attempt(pin, [person.pin_hash if person else _no_one()])
        if person is None or not check.ok:
            message = check.message if not check.ok else "Wrong PIN"
            self.audit.record(PIN_REFUSED, {"sign_in": typed}, message)
            return SignIn(False, message)
        self.audit.record(PIN_ACCEPTED, {"sign_in": person.name}, "accepted", cashier=person.name)
        self.cashier, self.is_manager = person.name, person.is_manager
        shift, opened = self.shifts.open(person.name)
        if opened:
            self.audit.record("shift_opened", {"shift": shift.shift_id}, cashier=person.name)
        self.audit.record(
            "signed_in", {"shift": shift.shift_id, "role": person.role}, cashier=person.name
        )
        greeting = f"Signed in as {person.name} ({person.role})."
        if opened:
            greeting += f" Shift {shift.shift_id} opened."
        return SignIn(True, greeting, person.name, person.is_manager, shift)

    def sign_out(self) -> None:
        if self.cashier is not None:
            self.audit.record("signed_out", {}, cashier=self.cashier)
        self.cashier, self.is_manager = None, False

    def close_shift(self, by: str) -> ShiftFacts | None:
        """A manager ends the shift (after its report); the next sign-in opens a new one."""
        closed = self.shifts.close(by)
        if closed is not None:
            self.audit.record("shift_closed", {"shift": closed.shift_id}, cashier=by)
        return closed

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
