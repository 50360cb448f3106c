"""Ask "are you sure?" before an operation such as an undo or a refund.

Safety rule for ``danger=True``: Cancel is the default button and has the focus, so a stray
Enter (a habit, or a barcode scanner's trailing Enter) cancels. Confirming takes a deliberate
act: tapping the red button, its Alt mnemonic (Alt + the label's first letter, shown in the
hint; scanners never send Alt), or Tab to it and then Enter/Space. A plain letter key is not
used as a shortcut because a scanner typing a code could press it. Without ``danger`` the
confirm button is the default and Enter confirms.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QWidget

from pos_app.gui.dialogs._base import FormDialog

__all__ = ["ConfirmDialog", "with_mnemonic"]


def with_mnemonic(label: str) -> tuple[str, str | None]:
    """``label`` as button text with its first letter or digit as mnemonic, and that key.

    A literal ``&`` in the label is kept as text, never taken as a mnemonic marker.
    """
    escaped = label.replace("&", "&&")
    for index, char in enumerate(escaped):
        if char.isalnum():
            return f"{escaped[:index]}&{escaped[index:]}", char.upper()
    return escaped, None


class ConfirmDialog(FormDialog):
    """A yes/no question; emits ``confirmed()`` once when the cashier confirms."""

    confirmed = Signal()

    def __init__(
        self,
        parent: QWidget | None,
        *,
        title: str,
        text: str,
        confirm_label: str,
        danger: bool = False,
    ) -> None:
        super().__init__("confirm_dialog.ui", parent, title=title)
        self._danger = danger
        self._child(QLabel, "dialogTitle").setText(title)
        self._child(QLabel, "messageLabel").setText(text)
        button_text, key = with_mnemonic(confirm_label)
        self._confirm_text = button_text
        self._set_confirm_label(button_text)
        shortcut = f"Alt+{key}" if key else None
        self.confirm_button.setProperty("danger", danger)
        self.confirm_button.setToolTip(f"{confirm_label} ({shortcut or 'Enter'})")
        hint = self._child(QLabel, "hintLabel")
        if danger:
            how = f"press {shortcut}" if shortcut else "Tab to it and press Space"
            hint.setText(f"To confirm, tap “{confirm_label}” or {how}. Enter or Esc cancels.")
            self.confirm_button.setDefault(False)
            self.confirm_button.setAutoDefault(True)
            self.cancel_button.setDefault(True)
        else:
            hint.setText("Enter confirms · Esc cancels")
            self.cancel_button.setDefault(False)
            self.confirm_button.setDefault(True)

    @property
    def danger(self) -> bool:
        return self._danger

    def _confirm(self) -> None:
        self._send(self.confirmed)

    def _set_inputs_enabled(self, enabled: bool) -> None:
        """Nothing to edit: the question is the whole dialog."""

    def _initial_focus(self) -> QWidget:
        return self.cancel_button if self._danger else self.confirm_button
