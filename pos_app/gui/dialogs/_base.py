"""What every cashier dialog shares: its Designer form, the ``open()`` lifecycle and busy state.

A dialog goes EDITING -> BUSY -> DONE. The moment the cashier confirms, the dialog turns BUSY
before its signal is emitted, so a second Enter or a double tap can never send the operation
twice. The caller then shows the outcome in the dialog with :meth:`FormDialog.finish_ok` or
:meth:`FormDialog.finish_error`, after which Enter or Esc closes it, or simply calls
:meth:`FormDialog.close`. While BUSY, Esc and the window's close button are ignored so the
cashier sees the result; if no result comes within :attr:`FormDialog.busy_escape_ms` the
dialog offers a way out rather than trapping the till behind a modal window.
"""

from __future__ import annotations

from enum import Enum, auto
from typing import TypeVar

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, SignalInstance
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QLabel, QPushButton, QWidget

from pos_app.gui.forms import FormError, load_form

__all__ = ["FormDialog", "Phase"]

W = TypeVar("W", bound=QObject)

WORKING_TEXT = "Working…"
CLOSE_TEXT = "Close"
STILL_WORKING_TEXT = (
    "Still waiting for an answer. You may close this window; check the card before trying again."
)


class Phase(Enum):
    """Where the dialog is in its one-shot life; only EDITING lets the confirm signal out."""

    EDITING = auto()
    BUSY = auto()
    DONE = auto()


class FormDialog(QObject):
    """Owns one QDialog built from ``ui/<form>``; subclasses add inputs and the confirm signal.

    The wrapper is a child of its dialog, so it lives exactly as long as the dialog does, and
    the dialog deletes itself when closed: a dialog opened with ``open()`` never leaks.
    """

    #: How long BUSY may last before the cashier is offered a way to close the dialog anyway.
    busy_escape_ms: int = 45_000

    def __init__(self, form: str, parent: QWidget | None, *, title: str) -> None:
        dialog = load_form(form, parent)
        if not isinstance(dialog, QDialog):
            raise FormError(f"form {form} must have a QDialog at its root")
        super().__init__(dialog)
        self._dialog = dialog
        self._form = form
        self._phase = Phase.EDITING
        self._closed = False
        dialog.setWindowTitle(title)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.installEventFilter(self)
        dialog.finished.connect(self._on_finished)
        self.confirm_button: QPushButton = self._child(QPushButton, "confirmButton")
        self.cancel_button: QPushButton = self._child(QPushButton, "cancelButton")
        self.status_label: QLabel = self._child(QLabel, "statusLabel")
        self._confirm_text = self.confirm_button.text()
        self._cancel_text = self.cancel_button.text()
        self._busy_escape = QTimer(self)
        self._busy_escape.setSingleShot(True)
        self._busy_escape.timeout.connect(self._offer_escape)
        self.confirm_button.clicked.connect(self._on_confirm_clicked)
        self.cancel_button.clicked.connect(dialog.reject)
        self._set_status("", "")

    # --- what callers use -------------------------------------------------------------------

    @property
    def dialog(self) -> QDialog:
        return self._dialog

    @property
    def phase(self) -> Phase:
        return self._phase

    @property
    def is_open(self) -> bool:
        """False once the dialog has closed (it is then deleted: stop talking to it)."""
        return not self._closed

    def open(self) -> None:
        """Show window-modal without a nested event loop (the app runs on qasync)."""
        self._dialog.open()
        self._initial_focus().setFocus(Qt.FocusReason.OtherFocusReason)

    def close(self) -> None:
        """Close now, even while BUSY: the caller knows the operation is over."""
        if not self._closed:
            self._dialog.reject()

    def finish_ok(self, text: str) -> bool:
        """Show the operation's success; Enter or Esc then closes. False if already closed."""
        if self._closed:
            return False
        self._finish(text, "ok")
        return True

    def finish_pending(self, text: str) -> bool:
        """Show that the operation is saved and will sync (amber, never mistaken for done)."""
        if self._closed:
            return False
        self._finish(text, "pending")
        return True

    def finish_error(self, text: str, *, retry: bool = False) -> bool:
        """Show why it failed. ``retry`` (only when nothing reached the back-end) re-opens input.

        Returns False if the dialog was already closed.
        """
        if self._closed:
            return False
        if not retry:
            self._finish(text, "error")
            return True
        self._busy_escape.stop()
        self._phase = Phase.EDITING
        self._set_confirm_label(self._confirm_text)
        self.confirm_button.setEnabled(True)
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText(self._cancel_text)
        self._set_inputs_enabled(True)
        self._set_status(text, "error")
        self._refresh()
        self._initial_focus().setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    # --- for subclasses ---------------------------------------------------------------------

    def _child(self, kind: type[W], name: str) -> W:
        widget = self._dialog.findChild(kind, name)
        if widget is None:
            raise FormError(f"{self._form} has no {kind.__name__} named {name}")
        return widget

    def _confirm(self) -> None:
        """Validate the input and, if it is good, call :meth:`_send` with the signal's args."""
        raise NotImplementedError

    def _set_inputs_enabled(self, enabled: bool) -> None:
        """Enable or disable everything the cashier edits (not the confirm/cancel buttons)."""
        raise NotImplementedError

    def _initial_focus(self) -> QWidget:
        raise NotImplementedError

    def _refresh(self) -> None:
        """Recompute the live labels and the confirm button's text from the current input."""

    def _send(self, signal: SignalInstance, *args: object) -> None:
        """Turn BUSY first, then emit: a slot that finishes or closes at once still wins."""
        self._phase = Phase.BUSY
        self.confirm_button.setEnabled(False)
        self.cancel_button.setEnabled(False)
        self._set_inputs_enabled(False)
        self._set_status(WORKING_TEXT, "busy")
        self._busy_escape.start(self.busy_escape_ms)
        signal.emit(*args)

    def _set_confirm_label(self, text: str) -> None:
        self.confirm_button.setText(text)
        self.confirm_button.setAccessibleName(text.replace("&", ""))

    def _set_status(self, text: str, tone: str) -> None:
        """``tone`` picks the colour in theme.qss (busy, ok, pending, error); "" is neutral."""
        label = self.status_label
        label.setText(text)
        label.setProperty("tone", tone)
        self._repolish(label)

    @staticmethod
    def _repolish(widget: QWidget) -> None:
        """Re-apply theme.qss after a dynamic property it selects on has changed."""
        widget.style().unpolish(widget)
        widget.style().polish(widget)

    # --- internals --------------------------------------------------------------------------

    def _on_confirm_clicked(self) -> None:
        if self._phase is Phase.DONE:
            self._dialog.accept()
        elif self._phase is Phase.EDITING:
            self._confirm()

    def _finish(self, text: str, tone: str) -> None:
        self._busy_escape.stop()
        self._phase = Phase.DONE
        self._set_status(text, tone)
        self.cancel_button.hide()
        self._set_confirm_label(CLOSE_TEXT)
        self.confirm_button.setProperty("danger", False)
        self._repolish(self.confirm_button)
        self.confirm_button.setEnabled(True)
        self.confirm_button.setDefault(True)
        self.confirm_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _offer_escape(self) -> None:
        if self._phase is not Phase.BUSY or self._closed:
            return
        self._set_status(STILL_WORKING_TEXT, "busy")
        self.cancel_button.setText(CLOSE_TEXT)
        self.cancel_button.setEnabled(True)
        self.cancel_button.setFocus(Qt.FocusReason.OtherFocusReason)
        self._phase = Phase.DONE

    def _on_finished(self, _result: int) -> None:
        self._closed = True
        self._busy_escape.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """While BUSY, swallow Esc and the close button so the result stays on screen."""
        if watched is self._dialog and self._phase is Phase.BUSY:
            if event.type() == QEvent.Type.Close:
                event.ignore()
                return True
            if (
                event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent)
                and event.key() == Qt.Key.Key_Escape
            ):
                return True
        return super().eventFilter(watched, event)
