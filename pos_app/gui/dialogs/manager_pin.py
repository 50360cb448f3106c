"""A manager's PIN, asked when the offline policy or a resolution needs one.

The PIN is masked and only digits get in (keyboard or the on-screen keypad, which never takes
focus from the field). The dialog itself checks nothing: it emits ``pinEntered`` and the caller
verifies with the till, then calls :meth:`ManagerPinDialog.wrong_pin` (the field is cleared and
the till's words, with tries left or the lock-out time, are shown) or closes it. With
``ask_note`` a resolution note is required too, typed before the PIN.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import partial

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QWidget

from pos_app.gui.dialogs._base import FormDialog

__all__ = ["NOTE_NEEDED_TEXT", "PIN_NEEDED_TEXT", "ManagerPinDialog"]

PIN_NEEDED_TEXT = "Enter the manager PIN"
NOTE_NEEDED_TEXT = "Write what was done in the note first"
DIGITS = "0123456789"
NBSP = "\N{NO-BREAK SPACE}"


def _unbroken_money(text: str) -> str:
    """Keep "$ 50.00" on one line when the reason wraps (Money.format puts a space there)."""
    return re.sub(r"([^\w\s]) (\d)", rf"\1{NBSP}\2", text)


class ManagerPinDialog(FormDialog):
    """Emits ``pinEntered(pin, note)`` when the manager confirms (note is "" without a note)."""

    pinEntered = Signal(str, str)

    def __init__(
        self,
        parent: QWidget | None,
        *,
        title: str,
        reasons: Sequence[str],
        ask_note: bool = False,
        confirm_label: str = "Approve",
    ) -> None:
        super().__init__("manager_pin_dialog.ui", parent, title=title)
        self._ask_note = ask_note
        self.pin_input: QLineEdit = self._child(QLineEdit, "pinInput")
        self.note_input: QLineEdit = self._child(QLineEdit, "noteInput")
        self._child(QLabel, "dialogTitle").setText(title)
        reasons_label = self._child(QLabel, "reasonsLabel")
        reasons_label.setText("\n".join(f"• {_unbroken_money(reason)}" for reason in reasons))
        reasons_label.setVisible(bool(reasons))
        self._child(QLabel, "noteLabel").setVisible(ask_note)
        self.note_input.setVisible(ask_note)
        self.pin_input.setValidator(
            QRegularExpressionValidator(QRegularExpression("[0-9]{0,12}"), self.pin_input)
        )
        self._confirm_text = confirm_label
        self._set_confirm_label(confirm_label)
        self._keypad: list[QPushButton] = []
        for digit in DIGITS:
            button = self._child(QPushButton, f"keypad{digit}")
            button.clicked.connect(partial(self._type, digit))
            self._keypad.append(button)
        backspace = self._child(QPushButton, "keypadBackspace")
        backspace.clicked.connect(self._backspace)
        clear = self._child(QPushButton, "keypadClear")
        clear.clicked.connect(self.pin_input.clear)
        self._keypad += [backspace, clear]
        self.pin_input.textEdited.connect(lambda _text: self._set_status("", ""))

    @property
    def asks_note(self) -> bool:
        return self._ask_note

    def wrong_pin(self, message: str) -> None:
        """The till refused the PIN: say why (tries left, lock-out) and let them type again."""
        self.pin_input.clear()
        self.finish_error(message, retry=True)
        self.pin_input.setFocus(Qt.FocusReason.OtherFocusReason)

    def _backspace(self) -> None:
        """A Python slot: PySide cannot connect a signal to QLineEdit.backspace directly."""
        self.pin_input.backspace()

    def _type(self, digit: str) -> None:
        self.pin_input.insert(digit)
        self.pin_input.setFocus(Qt.FocusReason.OtherFocusReason)

    def _confirm(self) -> None:
        note = self.note_input.text().strip()
        if self._ask_note and not note:
            self._set_status(NOTE_NEEDED_TEXT, "error")
            self.note_input.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        pin = self.pin_input.text()
        if not pin:
            self._set_status(PIN_NEEDED_TEXT, "error")
            self.pin_input.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self._send(self.pinEntered, pin, note)

    def _set_inputs_enabled(self, enabled: bool) -> None:
        self.pin_input.setEnabled(enabled)
        self.note_input.setEnabled(enabled)
        for button in self._keypad:
            button.setEnabled(enabled)

    def _initial_focus(self) -> QWidget:
        if self._ask_note and not self.note_input.text().strip():
            return self.note_input
        return self.pin_input
