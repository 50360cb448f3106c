"""Add stamps to a stamp card: how many, with a live "7 → 8 of 10" preview.

The count starts at 1 (the usual purchase) and stays within 1..MAX_STAMPS_PER_OPERATION, the
same bound :class:`~pos_app.domain.operations.AddStamps` enforces, so the dialog can never
offer a number the operation would refuse.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLabel, QPushButton, QSpinBox, QWidget

from pos_app.domain.operations import MAX_STAMPS_PER_OPERATION
from pos_app.gui.dialogs._base import FormDialog, Phase

__all__ = ["StampsDialog"]


def stamps_text(count: int) -> str:
    return "1 stamp" if count == 1 else f"{count} stamps"


class StampsDialog(FormDialog):
    """Choose how many stamps to add; emits ``stampsChosen(count)`` once, on confirm.

    ``+``/``-`` (main keyboard or numpad), Up/Down and the big on-screen buttons all step the
    count; digits can also be typed into the field.
    """

    stampsChosen = Signal(int)

    def __init__(
        self, parent: QWidget | None, *, card_name: str, stamps: int, required: int
    ) -> None:
        super().__init__("stamps_dialog.ui", parent, title=f"Add stamps — {card_name}")
        self._stamps = stamps
        self._required = required
        self.stamps_input: QSpinBox = self._child(QSpinBox, "stampsInput")
        self.preview_label: QLabel = self._child(QLabel, "stampsPreview")
        self.minus_button: QPushButton = self._child(QPushButton, "stampsMinus")
        self.plus_button: QPushButton = self._child(QPushButton, "stampsPlus")
        self._child(QLabel, "dialogTitle").setText(card_name)
        self.stamps_input.setRange(1, MAX_STAMPS_PER_OPERATION)
        self.stamps_input.setValue(1)
        self.stamps_input.valueChanged.connect(self._refresh)
        self.minus_button.clicked.connect(self.stamps_input.stepDown)
        self.plus_button.clicked.connect(self.stamps_input.stepUp)
        self.stamps_input.installEventFilter(self)
        self._refresh()

    def _refresh(self) -> None:
        count = self.stamps_input.value()
        self.preview_label.setText(f"{self._stamps} → {self._stamps + count} of {self._required}")
        self._set_confirm_label(f"Add {stamps_text(count)}")
        self.minus_button.setEnabled(self._phase is Phase.EDITING and count > 1)
        self.plus_button.setEnabled(
            self._phase is Phase.EDITING and count < MAX_STAMPS_PER_OPERATION
        )

    def _confirm(self) -> None:
        self.stamps_input.interpretText()
        self._send(self.stampsChosen, self.stamps_input.value())

    def _set_inputs_enabled(self, enabled: bool) -> None:
        self.stamps_input.setEnabled(enabled)
        self.minus_button.setEnabled(enabled)
        self.plus_button.setEnabled(enabled)
        if enabled:
            self._refresh()

    def _initial_focus(self) -> QWidget:
        return self.stamps_input

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """``+``/``-`` step the count wherever the focus is (a spin box would ignore them)."""
        if (
            self._phase is Phase.EDITING
            and watched in (self.stamps_input, self._dialog)
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
        ):
            if event.key() == Qt.Key.Key_Plus:
                self.stamps_input.stepUp()
                return True
            if event.key() == Qt.Key.Key_Minus:
                self.stamps_input.stepDown()
                return True
        return super().eventFilter(watched, event)
