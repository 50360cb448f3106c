"""Take money off a gift card or stored-value balance: the amount dialog with its keypad.

The amount field starts empty on purpose: a prefilled amount invites Enter without reading.
What the cashier types is read only by :func:`parse_cashier_amount`, so the dialog refuses
exactly what the domain refuses, in the domain's words. The keypad buttons type into the field
without taking focus from it (they are still reachable with Tab); the keyboard works directly.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QWidget

from pos_app.domain.errors import AmountEntryError
from pos_app.domain.money import DEFAULT_MAXIMUM, Money, parse_cashier_amount
from pos_app.gui.dialogs._base import FormDialog

__all__ = ["RedeemDialog"]

NO_BALANCE_TEXT = "This card has no balance left"
REDEEM_TEXT = "Redeem"
REDEEM_WHOLE_TEXT = "Redeem whole balance"
DIGITS = "0123456789"
NBSP = "\N{NO-BREAK SPACE}"


class RedeemDialog(FormDialog):
    """Ask how much to redeem; emits ``amountChosen(amount, remainder)`` once, on confirm.

    ``remainder`` is None for a normal redemption. When the typed amount is more than the
    balance, confirming redeems the whole balance and ``remainder`` is what is still to pay.
    """

    amountChosen = Signal(object, object)

    def __init__(
        self,
        parent: QWidget | None,
        *,
        title: str,
        balance: Money,
        decimal_separator: str = ".",
        maximum: Money | None = None,
    ) -> None:
        if maximum is not None and maximum.currency != balance.currency:
            raise ValueError("maximum must be in the balance's currency")
        super().__init__("redeem_dialog.ui", parent, title=title)
        self._balance = balance
        self._separator = decimal_separator
        self._maximum = maximum.amount if maximum is not None else DEFAULT_MAXIMUM
        self.amount_input: QLineEdit = self._child(QLineEdit, "amountInput")
        self.amount_error: QLabel = self._child(QLabel, "amountError")
        self.balance_after_label: QLabel = self._child(QLabel, "balanceAfterLabel")
        self.offer_label: QLabel = self._child(QLabel, "offerLabel")
        self._child(QLabel, "dialogTitle").setText(title)
        self._child(QLabel, "balanceLabel").setText(f"Balance: {self._shown(balance)}")
        self._keypad: list[QPushButton] = []
        for digit in DIGITS:
            self._keypad_key(f"keypad{digit}", digit)
        self._keypad_key("keypadPoint", decimal_separator).setText(decimal_separator)
        backspace = self._child(QPushButton, "keypadBackspace")
        backspace.clicked.connect(self._backspace)
        clear = self._child(QPushButton, "keypadClear")
        clear.clicked.connect(self.amount_input.clear)
        self._keypad += [backspace, clear]
        self.amount_input.textChanged.connect(self._on_text_changed)
        self.offer_label.hide()
        self._reserve_confirm_width()
        if not balance.is_positive:
            self._set_inputs_enabled(False)
            self.confirm_button.setEnabled(False)
            self.confirm_button.setDefault(False)
            self.cancel_button.setDefault(True)
            self._show_error(NO_BALANCE_TEXT)
        self._refresh()

    @property
    def balance(self) -> Money:
        return self._balance

    def _reserve_confirm_width(self) -> None:
        """Size the confirm button for its longest label, so no button moves while typing."""
        button = self.confirm_button
        button.ensurePolished()
        widths = []
        for text in (REDEEM_WHOLE_TEXT, REDEEM_TEXT):
            button.setText(text)
            widths.append(button.sizeHint().width())
        button.setMinimumWidth(max(widths))

    def _keypad_key(self, name: str, text: str) -> QPushButton:
        button = self._child(QPushButton, name)
        button.clicked.connect(partial(self.amount_input.insert, text))
        self._keypad.append(button)
        return button

    def _backspace(self) -> None:
        self.amount_input.backspace()

    def _shown(self, money: Money) -> str:
        return money.format(self._separator)

    def _unbroken(self, money: Money) -> str:
        """For wrapped sentences: a no-break space keeps "$ 37.50" on one line."""
        return self._shown(money).replace(" ", NBSP)

    def _parse(self) -> Money:
        """The typed amount as Money, or AmountEntryError with the domain's message."""
        value = parse_cashier_amount(
            self.amount_input.text(), self._separator, maximum=self._maximum
        )
        return Money(value, self._balance.currency)

    def _show_error(self, text: str) -> None:
        self.amount_error.setText(text)
        self.amount_input.setAccessibleDescription(text)

    def _on_text_changed(self, _text: str) -> None:
        if self._balance.is_positive:
            self._show_error("")
        self._set_status("", "")
        self._refresh()

    def _refresh(self) -> None:
        """Live preview: the balance after, and the whole-balance offer when it is not enough."""
        try:
            amount = self._parse()
        except AmountEntryError:
            amount = None
        if amount is None or not self._balance.is_positive:
            self.balance_after_label.setText("Balance after: —")
            self.offer_label.hide()
            self._set_confirm_label(REDEEM_TEXT)
        elif amount > self._balance:
            remainder = amount - self._balance
            self.balance_after_label.setText(
                f"Balance after: {self._shown(Money.zero(self._balance.currency))}"
            )
            self.offer_label.setText(
                f"Redeem the whole balance ({self._unbroken(self._balance)}) — "
                f"{self._unbroken(remainder)} remains to pay"
            )
            self.offer_label.show()
            self._set_confirm_label(REDEEM_WHOLE_TEXT)
        else:
            self.balance_after_label.setText(
                f"Balance after: {self._shown(self._balance - amount)}"
            )
            self.offer_label.hide()
            self._set_confirm_label(REDEEM_TEXT)

    def _confirm(self) -> None:
        try:
            amount = self._parse()
        except AmountEntryError as error:
            self._show_error(str(error))
            self.amount_input.selectAll()
            self.amount_input.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        if amount > self._balance:
            self._send(self.amountChosen, self._balance, amount - self._balance)
        else:
            self._send(self.amountChosen, amount, None)

    def _set_inputs_enabled(self, enabled: bool) -> None:
        self.amount_input.setEnabled(enabled)
        for button in self._keypad:
            button.setEnabled(enabled)

    def _initial_focus(self) -> QWidget:
        if self._balance.is_positive:
            return self.amount_input
        return self.cancel_button
