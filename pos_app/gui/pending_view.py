"""The "Pending and needs attention" view (F9): what this till still owes the back-ends.

Lightspeed's status page is the model: every operation not yet confirmed, newest first, with
its age, card, amount, state and the back-end's reason. A cashier can send one again now; a
manager resolves a needs-attention one with a note and their PIN (both go to the audit trail);
anyone can export the list as CSV for the back office. The list follows the sync engine live.

Keyboard: ↑/↓ pick a row, Alt+R retries, Alt+S resolves, Alt+E exports, Esc closes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDir, QItemSelectionModel, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QWidget,
)

from pos_app.gui.manager_approval import ask_manager
from pos_app.gui.pending_model import (
    AGE,
    AMOUNT,
    CARD,
    REASON,
    STATE,
    PendingModel,
    details_text,
    write_csv,
)
from pos_app.gui.queue_text import short_ref
from pos_app.gui.till_status import TillStatus
from pos_app.gui.view_dialog import ViewDialog
from pos_app.journal.pending_operations import Entry, EntryState
from pos_app.services.till import Till

log = logging.getLogger(__name__)

__all__ = ["PendingView"]

Spawn = Callable[[Coroutine[Any, Any, Any]], "asyncio.Task[Any]"]

#: Re-read the journal at most this often while the engine is busy (a drain is hundreds/s).
RELOAD_DELAY_MS = 200
#: Ages tick on even when nothing else changes.
TICK_MS = 30_000


class PendingView(ViewDialog):
    """Owns the dialog built from ``ui/pending_view.ui``; opened with ``open()``, never exec."""

    def __init__(
        self,
        parent: QWidget,
        till: Till,
        status: TillStatus,
        spawn: Spawn,
        *,
        separator: str = ".",
    ) -> None:
        super().__init__("pending_view.ui", parent)
        dialog = self._dialog
        self.till = till
        self.status = status
        self._spawn = spawn
        self.model = PendingModel(separator, self)
        self.table: QTableView = self._child(QTableView, "pendingTable")
        self.table.setModel(self.model)
        self.summary_label: QLabel = self._child(QLabel, "summaryLabel")
        self.detail_label: QLabel = self._child(QLabel, "detailLabel")
        self.status_label: QLabel = self._child(QLabel, "statusLabel")
        self.retry_button: QPushButton = self._child(QPushButton, "retryButton")
        self.resolve_button: QPushButton = self._child(QPushButton, "resolveButton")
        self.export_button: QPushButton = self._child(QPushButton, "exportButton")
        self.close_button: QPushButton = self._child(QPushButton, "closeButton")
        for button in (self.retry_button, self.resolve_button, self.export_button):
            button.setAutoDefault(False)
        self.close_button.setAutoDefault(False)
        self._size_columns()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.retry_button.clicked.connect(self.retry_selected)
        self.resolve_button.clicked.connect(self.resolve_selected)
        self.export_button.clicked.connect(self.export)
        self.close_button.clicked.connect(dialog.reject)
        selection = self.table.selectionModel()
        selection.currentRowChanged.connect(lambda *_: self._show_selected())
        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(RELOAD_DELAY_MS)
        self._reload_timer.timeout.connect(self.reload)
        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(self.model.tick)
        status.entryChanged.connect(self._soon)
        status.countsChanged.connect(self._soon)
        self._busy = False
        self.reload()

    # --- what callers use -----------------------------------------------------------------

    def selected(self) -> Entry | None:
        return self.model.entry(self.table.currentIndex().row())

    def select(self, key: str) -> bool:
        row = self.model.row_of(key)
        if row is None:
            return False
        self.table.selectionModel().setCurrentIndex(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        return True

    def reload(self) -> None:
        """Re-read the journal (newest first) and keep the cashier's row selected."""
        if self._closed:
            return
        current = self.selected()
        try:
            entries = self.till.operations.listing()
        except Exception:
            log.warning("pending list unavailable", exc_info=True)
            self._say("The list could not be read; try again in a moment.", "error")
            return
        self.model.reload(entries)
        if not (current is not None and self.select(current.key)) and entries:
            self.select(entries[0].key)
        waiting = sum(1 for e in entries if e.state is not EntryState.NEEDS_ATTENTION)
        attention = len(entries) - waiting
        self.summary_label.setText(
            f"{waiting} pending · {attention} need attention" if entries else "Nothing waiting"
        )
        self._show_selected()

    # --- actions ------------------------------------------------------------------------------

    def retry_selected(self) -> None:
        entry = self.selected()
        if entry is None or not entry.state.is_open:
            self._say("Pick a pending operation to retry.", "error")
            return
        self._spawn(self._retry(entry))

    async def _retry(self, entry: Entry) -> None:
        """Skip the back-off for this card and look at the network again now."""
        self.till.monitor.probe_soon(entry.provider)
        await self.till.engine.send_now(entry.key)
        self._say(f"Sending {short_ref(entry.key)} again now…", "busy")
        self.status.changed()

    def resolve_selected(self) -> None:
        entry = self.selected()
        if entry is None or entry.state is not EntryState.NEEDS_ATTENTION:
            self._say("Only an operation that needs attention can be resolved.", "error")
            return
        if self._busy:
            return
        self._spawn(self._resolve(entry))

    async def _resolve(self, entry: Entry) -> None:
        self._busy = True
        try:
            approval = await ask_manager(
                self._dialog,
                self.till.verify_manager,
                title=f"Resolve {entry.provider.label} {entry.masked}",
                reasons=[
                    f"{entry.description} (reference {short_ref(entry.key)})",
                    entry.reason or "The back-end did not take this operation",
                ],
                ask_note=True,
                confirm_label="Resolve",
            )
        finally:
            self._busy = False
        if approval is None or self._closed:
            return
        resolved = self.till.operations.resolve(entry.key, approval.note, approval.manager)
        self.till.audit.record(
            "resolve",
            {
                "reference": entry.key,
                "provider": entry.provider.value,
                "card": entry.masked,
                "what": entry.description,
                "reason": entry.reason,
                "note": approval.note,
            },
            "resolved" if resolved else "already closed",
            cashier=approval.manager,
        )
        if resolved:
            self._say(f"Resolved by {approval.manager}: {entry.description}.", "ok")
        else:
            self._say("That operation was already closed; nothing changed.", "error")
        self.status.changed()
        self.reload()
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def export(self) -> None:
        """Ask where (never a nested exec loop), then write what the list shows."""
        stamp = datetime.now().astimezone().strftime("%Y%m%d-%H%M")
        self.ask_save_path(
            "Export pending operations",
            "CSV files (*.csv)",
            "csv",
            QDir.homePath(),
            f"tillcard-pending-{stamp}.csv",
            self._write_csv,
        )

    def _write_csv(self, name: str) -> None:
        path = Path(name)
        try:
            count = write_csv(path, self.model.entries)
        except OSError as exc:
            log.warning("CSV export to %s failed: %s", path, exc)
            self._say(f"Could not save {path.name}: {exc.strerror or exc}.", "error")
            return
        word = "operation" if count == 1 else "operations"
        self._say(f"Saved {count} {word} to {path}.", "ok")

    # --- internals ----------------------------------------------------------------------------

    def _initial_focus(self) -> QWidget:
        return self.table

    def _before_open(self) -> None:
        self._tick.start()

    def _size_columns(self) -> None:
        """Fixed widths from sample text; the reason takes what is left."""
        self.table.ensurePolished()  # the theme's font, not the default one
        metrics = self.table.fontMetrics()
        header = self.table.horizontalHeader()
        for column, sample in (
            (AGE, "23 h 59 min"),
            (CARD, "ClientToolbox •••• 0000"),
            (AMOUNT, "-$ 10,000.00"),
            (STATE, "NEEDS ATTENTION"),
        ):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, metrics.horizontalAdvance(sample) + 32)
        header.setSectionResizeMode(REASON, QHeaderView.ResizeMode.Stretch)

    def _soon(self, *_args: object) -> None:
        if not self._closed and not self._reload_timer.isActive():
            self._reload_timer.start()

    def _show_selected(self) -> None:
        entry = self.selected()
        self.detail_label.setText(details_text(entry) if entry is not None else "")
        self.retry_button.setEnabled(entry is not None and entry.state.is_open)
        self.resolve_button.setEnabled(
            entry is not None and entry.state is EntryState.NEEDS_ATTENTION
        )
        self.export_button.setEnabled(self.model.rowCount() > 0)

    def _say(self, text: str, tone: str) -> None:
        label = self.status_label
        label.setText(text)
        label.setProperty("tone", tone)
        label.style().unpolish(label)
        label.style().polish(label)

    def _on_finished(self, result: int) -> None:
        super()._on_finished(result)
        self._tick.stop()
        self._reload_timer.stop()
        try:
            self.status.entryChanged.disconnect(self._soon)
            self.status.countsChanged.disconnect(self._soon)
        except (RuntimeError, TypeError):  # already gone with the window
            pass
