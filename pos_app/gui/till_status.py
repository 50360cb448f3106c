"""The till's background state as Qt signals: back-end reachability and the journal's counts.

The journal and the connectivity monitor know nothing about Qt (the CLI uses them too); they
call plain listeners. This object turns those calls into signals, so widgets connect the Qt way
and a listener called from another thread would still be delivered on the GUI thread. Engine
changes can come in bursts (a drain sends hundreds of operations a second), so the counts are
re-read at most every :data:`COUNTS_DELAY_MS`, never once per operation.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QObject, QTimer, Signal

from pos_app.journal.connectivity import BackendStatus
from pos_app.journal.pending_operations import Entry, EntryState
from pos_app.services.till import Till

log = logging.getLogger(__name__)

__all__ = ["COUNTS_DELAY_MS", "QueueCounts", "TillStatus"]

#: Coalesces bursts of engine changes into one re-count (and one repaint).
COUNTS_DELAY_MS = 150
#: Entries added by another process (``pos-app redeem``) are only seen by re-reading the file.
POLL_MS = 5_000

_WAITING = frozenset({EntryState.PENDING, EntryState.IN_FLIGHT, EntryState.UNKNOWN})


@dataclass(frozen=True)
class QueueCounts:
    """What the header shows about the journal."""

    pending: int = 0
    needs_attention: int = 0
    last_sync: datetime | None = None


class TillStatus(QObject):
    """Subscribes to one till's listeners; emits on the GUI thread."""

    backendChanged = Signal(object)  # BackendStatus
    entryChanged = Signal(object)  # Entry, as the sync engine moved it
    countsChanged = Signal(object)  # QueueCounts

    def __init__(self, till: Till, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.till = till
        self.counts = QueueCounts()
        self._recount = QTimer(self)
        self._recount.setSingleShot(True)
        self._recount.setInterval(COUNTS_DELAY_MS)
        self._recount.timeout.connect(self.refresh)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self.refresh)
        self._poll.start()
        till.status_listeners.append(self._on_status)
        till.engine.listeners.append(self._on_entry)

    def statuses(self) -> list[BackendStatus]:
        return self.till.monitor.statuses()

    def changed(self) -> None:
        """Something this process did changed the journal: re-count soon (coalesced)."""
        if not self._recount.isActive():
            self._recount.start()

    def refresh(self) -> QueueCounts:
        """Re-read the counts now (one GROUP BY) and tell the listeners if they changed."""
        try:
            counts = self.till.operations.counts()
        except Exception:  # a closed or failing journal must not take the screen down
            log.warning("journal counts unavailable", exc_info=True)
            return self.counts
        last = self.till.engine.last_success
        fresh = QueueCounts(
            pending=sum(counts.get(state, 0) for state in _WAITING),
            needs_attention=counts.get(EntryState.NEEDS_ATTENTION, 0),
            last_sync=last,
        )
        if fresh != self.counts:
            self.counts = fresh
            self.countsChanged.emit(fresh)
        return fresh

    def detach(self) -> None:
        """Stop listening (the window is closing); the till may outlive this object briefly."""
        self._poll.stop()
        self._recount.stop()
        if self._on_status in self.till.status_listeners:
            self.till.status_listeners.remove(self._on_status)
        if self._on_entry in self.till.engine.listeners:
            self.till.engine.listeners.remove(self._on_entry)

    def _on_status(self, status: BackendStatus) -> None:
        self.backendChanged.emit(status)

    def _on_entry(self, entry: Entry) -> None:
        self.entryChanged.emit(entry)
        self.changed()
