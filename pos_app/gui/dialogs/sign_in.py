"""Cashier sign-in: a name (typed or picked) and a masked PIN, keyboard only.

The dialog checks nothing itself: it emits ``signInEntered`` and the caller asks the till, then
calls :meth:`SignInDialog.wrong_pin` with the till's words (tries left, lock-out) or closes it.
Esc never closes it, so a locked till cannot be dismissed into a usable one; closing the window
itself (or "Close Tillcard") ends the dialog without a sign-in, which the caller treats as quit.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, QRegularExpression, Qt, Signal
from PySide6.QtGui import QKeyEvent, QRegularExpressionValidator
from PySide6.QtWidgets import QComboBox, QCompleter, QLabel, QLineEdit, QWidget

from pos_app.gui.dialogs._base import FormDialog

__all__ = ["NAME_NEEDED_TEXT", "PIN_NEEDED_TEXT", "SignInDialog"]

NAME_NEEDED_TEXT = "Type or pick your name"
PIN_NEEDED_TEXT = "Enter your PIN"


class SignInDialog(FormDialog):
    """Emits ``signInEntered(name, pin)`` once per attempt; the caller answers each one."""

    signInEntered = Signal(str, str)

    def __init__(
        self,
        parent: QWidget | None,
        *,
        names: Sequence[str],
        title: str = "Sign in",
        shift_text: str = "",
    ) -> None:
        super().__init__("sign_in_dialog.ui", parent, title=title)
        self._child(QLabel, "dialogTitle").setText(title)
        shift_label = self._child(QLabel, "shiftLabel")
        shift_label.setText(shift_text)
        shift_label.setVisible(bool(shift_text))
        self.name_input: QComboBox = self._child(QComboBox, "nameInput")
        self.name_input.addItems(list(names))
        self.name_input.setCurrentIndex(-1)
        self.name_input.clearEditText()
        completer = QCompleter(list(names), self.name_input)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.InlineCompletion)
        self.name_input.setCompleter(completer)
        line = self.name_input.lineEdit()
        assert line is not None
        line.setPlaceholderText("Type your name")
        line.setMaxLength(60)
        line.returnPressed.connect(self._name_entered)
        line.textEdited.connect(lambda _text: self._set_status("", ""))
        self.pin_input: QLineEdit = self._child(QLineEdit, "pinInput")
        # Longer than any PIN on purpose: a card number scanned here by mistake is refused as
        # malformed (no try lost) instead of being cut down to a valid-looking 12-digit PIN.
        self.pin_input.setValidator(
            QRegularExpressionValidator(QRegularExpression("[0-9]{0,32}"), self.pin_input)
        )
        self.pin_input.textEdited.connect(lambda _text: self._set_status("", ""))

    @property
    def name(self) -> str:
        return " ".join(self.name_input.currentText().split())

    def say(self, text: str, tone: str = "") -> None:
        """A line for the cashier (why the till is locked, a closed shift); tone as in theme.qss."""
        self._set_status(text, tone)

    def wrong_pin(self, message: str) -> None:
        """The till refused: say why (tries left, lock-out), clear the PIN and ask again."""
        self.pin_input.clear()
        self.finish_error(message, retry=True)
        self.pin_input.setFocus(Qt.FocusReason.OtherFocusReason)

    def _name_entered(self) -> None:
        """Enter after the name moves on to the PIN rather than trying an empty one."""
        if self.name and not self.pin_input.text():
            self.pin_input.setFocus(Qt.FocusReason.TabFocusReason)

    def _confirm(self) -> None:
        if not self.name:
            self._set_status(NAME_NEEDED_TEXT, "error")
            self.name_input.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        pin = self.pin_input.text()
        if not pin:
            self._set_status(PIN_NEEDED_TEXT, "error")
            self.pin_input.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self._send(self.signInEntered, self.name, pin)

    def _set_inputs_enabled(self, enabled: bool) -> None:
        self.name_input.setEnabled(enabled)
        self.pin_input.setEnabled(enabled)

    def _initial_focus(self) -> QWidget:
        return self.pin_input if self.name else self.name_input

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Esc would leave the till unlocked behind a closed dialog: it does nothing here."""
        if (
            watched is self.dialog
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
        ):
            return True
        return super().eventFilter(watched, event)
