"""Pick one reward to redeem on a stamp or points card.

Every reward is listed so the customer sees what they are saving towards; the ones the card
cannot pay for yet are shown disabled with what they need. Which ones are redeemable is decided
by the lookup service (``RewardOption.redeemable``), never here.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QWidget

from pos_app.gui.dialogs._base import FormDialog, Phase
from pos_app.services.lookup import RewardOption

__all__ = ["RewardDialog"]

NONE_REDEEMABLE_TEXT = "No reward can be redeemed yet."
NO_REWARDS_TEXT = "This card has no rewards."
_ID_ROLE = Qt.ItemDataRole.UserRole
_ARROWS = (Qt.Key.Key_Up, Qt.Key.Key_Down)


class RewardDialog(FormDialog):
    """Choose a reward; emits ``rewardChosen(reward_id)`` once, on confirm.

    With exactly one redeemable reward it is preselected, so Enter redeems it; with several,
    the cashier picks one (arrows, a tap, or a double tap which also confirms).
    """

    rewardChosen = Signal(str)

    def __init__(
        self,
        parent: QWidget | None,
        *,
        rewards: Sequence[RewardOption],
        balance_text: str,
        units: tuple[str, str] = ("stamp", "stamps"),
    ) -> None:
        super().__init__("reward_dialog.ui", parent, title="Redeem a reward")
        self.choices: QListWidget = self._child(QListWidget, "rewardChoices")
        self.hint_label: QLabel = self._child(QLabel, "hintLabel")
        self._child(QLabel, "balanceLabel").setText(balance_text)
        one, many = units
        redeemable: list[QListWidgetItem] = []
        for reward in rewards:
            cost = f"{reward.cost} {one if reward.cost == 1 else many}"
            item = QListWidgetItem(f"{reward.name} · {cost}")
            item.setData(_ID_ROLE, reward.id)
            if reward.redeemable:
                redeemable.append(item)
            else:
                item.setText(f"{reward.name} · needs {cost}")
                item.setFlags(
                    item.flags() & ~Qt.ItemFlag.ItemIsEnabled & ~Qt.ItemFlag.ItemIsSelectable
                )
            self.choices.addItem(item)
        if not rewards:
            self.hint_label.setText(NO_REWARDS_TEXT)
        elif not redeemable:
            self.hint_label.setText(NONE_REDEEMABLE_TEXT)
        if len(redeemable) == 1:
            self.choices.setCurrentItem(redeemable[0])
            self.choices.scrollToItem(redeemable[0])
        self.choices.itemSelectionChanged.connect(self._refresh)
        self.choices.itemDoubleClicked.connect(self._on_double_clicked)
        self.choices.installEventFilter(self)
        self._refresh()

    def selected_id(self) -> str | None:
        """The chosen reward's id, or None while nothing redeemable is selected."""
        for item in self.choices.selectedItems():
            if item.flags() & Qt.ItemFlag.ItemIsEnabled:
                return str(item.data(_ID_ROLE))
        return None

    def _refresh(self) -> None:
        self.confirm_button.setEnabled(
            self._phase is not Phase.BUSY and self.selected_id() is not None
        )

    def _on_double_clicked(self, item: QListWidgetItem) -> None:
        if item.flags() & Qt.ItemFlag.ItemIsEnabled:
            self._on_confirm_clicked()

    def _confirm(self) -> None:
        reward_id = self.selected_id()
        if reward_id is not None:
            self._send(self.rewardChosen, reward_id)

    def _set_inputs_enabled(self, enabled: bool) -> None:
        self.choices.setEnabled(enabled)

    def _initial_focus(self) -> QWidget:
        return self.choices

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """The first arrow press selects the highlighted row instead of skipping past it."""
        if (
            watched is self.choices
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in _ARROWS
            and not self.choices.selectedItems()
        ):
            current = self.choices.currentItem()
            if current is not None and current.flags() & Qt.ItemFlag.ItemIsEnabled:
                current.setSelected(True)
                return True
        return super().eventFilter(watched, event)
