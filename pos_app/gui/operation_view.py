"""A past operation, opened by scanning its receipt: what it was, where it is, and its undo.

The undo button follows the confirm dialog's safety rule: Cancel has the focus, so the Enter a
scanner sends after the receipt code closes the view instead of giving money back. Undoing takes
F8, Alt+U or a tap on the red button.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from pos_app.domain.receipts import receipt_code
from pos_app.gui.dialogs._base import FormDialog, Phase
from pos_app.gui.queue_text import change_text
from pos_app.journal.pending_operations import Entry, EntryState
from pos_app.services.past_operations import UndoCheck

__all__ = ["OperationView", "state_text"]

_STATES = {
    EntryState.DONE: ("Done: confirmed by {label}.", "ok"),
    EntryState.PENDING: ("PENDING: waiting to be sent to {label}.", "pending"),
    EntryState.HELD: ("PENDING: waiting for a manager's decision.", "pending"),
    EntryState.IN_FLIGHT: ("PENDING: being sent to {label} now.", "pending"),
    EntryState.UNKNOWN: ("PENDING: checking with {label} whether it went through.", "pending"),
    EntryState.REJECTED: ("Not done: {label} refused it; nothing was charged.", "error"),
    EntryState.CANCELLED: ("Not done: cancelled before sending; nothing was charged.", "error"),
    EntryState.NEEDS_ATTENTION: ("NEEDS ATTENTION: {label} refused it after the sale.", "error"),
    EntryState.RESOLVED: ("Resolved by a manager.", "ok"),
}


def state_text(entry: Entry) -> tuple[str, str]:
    """The journal state in the cashier's words, and its tone (ok, pending, error)."""
    text, tone = _STATES[entry.state]
    return text.format(label=entry.provider.label), tone


def _details(entry: Entry, separator: str) -> str:
    rows = [
        ("When", f"{entry.created_at.astimezone():%Y-%m-%d %H:%M}"),
        ("Till", entry.terminal or "—"),
        ("Cashier", entry.cashier or "—"),
        ("Card", f"{entry.provider.label} {entry.masked}"),
        ("What", entry.description),
        ("Change", change_text(entry, separator)),
        ("Reference", entry.key),
    ]
    if entry.reason and entry.state is not EntryState.DONE:
        rows.append(("Reason", entry.reason))
    if entry.note:
        rows.append(("Manager's note", entry.note))
    cells = "".join(
        f"<tr><td style='padding-right:18px;color:#57606a'>{escape(k)}</td>"
        f"<td><b>{escape(v)}</b></td></tr>"
        for k, v in rows
    )
    return f"<table>{cells}</table>"


class OperationView(FormDialog):
    """Emits ``undoRequested`` once (then BUSY) and ``reprintRequested`` on each Ctrl+P."""

    undoRequested = Signal()
    reprintRequested = Signal()

    def __init__(
        self, parent: QWidget | None, entry: Entry, check: UndoCheck, *, separator: str = "."
    ) -> None:
        code = receipt_code(entry.key)
        super().__init__("operation_view.ui", parent, title=f"Receipt {code}")
        self.entry = entry
        self.check = check
        self._child(QLabel, "dialogTitle").setText(f"Receipt {code}")
        text, tone = state_text(entry)
        state = self._child(QLabel, "stateLabel")
        state.setText(text)
        state.setProperty("tone", tone)
        self._child(QLabel, "detailsLabel").setText(_details(entry, separator))
        undo_label = self._child(QLabel, "undoLabel")
        self.reprint_button: QPushButton = self._child(QPushButton, "reprintButton")
        self.reprint_button.clicked.connect(self.reprintRequested.emit)
        hint = self._child(QLabel, "hintLabel")
        self.confirm_button.setProperty("danger", True)
        self.confirm_button.setDefault(False)
        self.cancel_button.setDefault(True)
        if check.allowed:
            amount = entry.amount.format(separator) if entry.amount else ""
            who = " A manager's PIN will be asked." if check.needs_manager else ""
            undo_label.setText(f"Undo gives {amount} back to the card {entry.masked}.{who}")
            hint.setText("F8 or Alt+U undoes it · Ctrl+P reprints · Enter or Esc closes")
        else:
            self.confirm_button.hide()
            undo_label.setText(f"No undo: {check.reason}")
            hint.setText("Ctrl+P reprints · Enter or Esc closes")
        for key, slot in (("F8", self._on_undo_key), ("Ctrl+P", self.reprintRequested.emit)):
            shortcut = QShortcut(QKeySequence(key), self.dialog)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(slot)

    @property
    def undo_possible(self) -> bool:
        return self.check.allowed and self.confirm_button.isVisible()

    def _on_undo_key(self) -> None:
        if self.phase is Phase.EDITING:
            self._confirm()

    def _confirm(self) -> None:
        if self.check.allowed:
            self._send(self.undoRequested)

    def _set_inputs_enabled(self, enabled: bool) -> None:
        self.reprint_button.setEnabled(enabled)

    def _finish(self, text: str, tone: str) -> None:
        super()._finish(text, tone)
        self.reprint_button.setEnabled(True)

    def _initial_focus(self) -> QWidget:
        return self.cancel_button
