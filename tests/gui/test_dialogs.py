"""The cashier's dialogs on real widgets (offscreen): keys, taps, validation, one-shot signals."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pytest
from PySide6.QtCore import Qt, QtMsgType
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QWidget,
)
from pytestqt.qtbot import QtBot

from pos_app.domain.errors import AmountEntryError
from pos_app.domain.money import Money, parse_cashier_amount
from pos_app.domain.operations import MAX_STAMPS_PER_OPERATION
from pos_app.gui.dialogs import (
    DIALOG_FORMS,
    ConfirmDialog,
    FormDialog,
    ManagerPinDialog,
    Phase,
    RedeemDialog,
    RewardDialog,
    StampsDialog,
)
from pos_app.gui.dialogs._base import STILL_WORKING_TEXT, WORKING_TEXT
from pos_app.gui.dialogs.confirm import with_mnemonic
from pos_app.gui.dialogs.manager_pin import NOTE_NEEDED_TEXT, PIN_NEEDED_TEXT
from pos_app.gui.dialogs.reward import NONE_REDEEMABLE_TEXT
from pos_app.gui.forms import load_form, stylesheet
from pos_app.services.lookup import RewardOption

if TYPE_CHECKING:
    from pytestqt.logging import _QtMessageCapture

NBSP = "\N{NO-BREAK SPACE}"
BACKGROUND = 0xFAFAFA  # theme.qss: QWidget { background: #fafafa }
KEY = Qt.Key
MOD = Qt.KeyboardModifier
D = TypeVar("D", bound=FormDialog)
W = TypeVar("W", bound=QWidget)


def usd(text: str) -> Money:
    return Money(Decimal(text), "USD")


@pytest.fixture(autouse=True)
def no_qt_warnings(qtlog: _QtMessageCapture) -> Iterator[None]:
    """Qt's own warnings (bad tab order, unknown slots, QSS errors) fail the test too."""
    yield
    noisy = [
        record.message
        for record in qtlog.records
        if record.type in (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg)
        and "propagateSizeHints" not in record.message  # the offscreen plugin's own notice
    ]
    assert not noisy


@pytest.fixture
def host(qtbot: QtBot) -> QWidget:
    """Stands in for the main window: the theme reaches dialogs through their parent."""
    widget = QWidget()
    widget.setStyleSheet(stylesheet())
    widget.resize(1280, 800)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def opened(qtbot: QtBot, dialog: D) -> D:
    with qtbot.waitExposed(dialog.dialog):
        dialog.open()
    dialog.dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog.dialog)
    return dialog


def press(qtbot: QtBot, dialog: FormDialog, key: Qt.Key, modifier: MOD = MOD.NoModifier) -> None:
    """A key as the cashier presses it: delivered to whatever has the focus."""
    target = QApplication.focusWidget() or dialog.dialog
    qtbot.keyClick(target, key, modifier)


def child(dialog: FormDialog, kind: type[W], name: str) -> W:
    widget = dialog.dialog.findChild(kind, name)
    assert widget is not None, name
    return widget


def recorder(signal: object) -> list[tuple[object, ...]]:
    calls: list[tuple[object, ...]] = []
    signal.connect(lambda *args: calls.append(args))  # type: ignore[attr-defined]
    return calls


def finished_results(dialog: FormDialog) -> list[int]:
    results: list[int] = []
    dialog.dialog.finished.connect(results.append)
    return results


# --- forms -----------------------------------------------------------------------------------

ROOT_NAMES = {
    "redeem_dialog.ui": "redeemDialog",
    "stamps_dialog.ui": "stampsDialog",
    "reward_dialog.ui": "rewardDialog",
    "confirm_dialog.ui": "confirmDialog",
    "manager_pin_dialog.ui": "managerPinDialog",
}


@pytest.mark.parametrize("form", DIALOG_FORMS)
def test_every_dialog_form_loads(qtbot: QtBot, form: str) -> None:
    widget = load_form(form)
    qtbot.addWidget(widget)
    assert isinstance(widget, QDialog)
    assert widget.objectName() == ROOT_NAMES[form]
    for name in ("confirmButton", "cancelButton"):
        assert isinstance(widget.findChild(QPushButton, name), QPushButton)
    assert isinstance(widget.findChild(QLabel, "statusLabel"), QLabel)


# --- RedeemDialog ----------------------------------------------------------------------------


def redeem(
    qtbot: QtBot,
    host: QWidget,
    balance: str = "74.50",
    *,
    currency: str = "USD",
    separator: str = ".",
    maximum: str | None = None,
) -> RedeemDialog:
    dialog = RedeemDialog(
        host,
        title="Redeem from gift card •••• 4821",
        balance=Money(Decimal(balance), currency),
        decimal_separator=separator,
        maximum=Money(Decimal(maximum), currency) if maximum else None,
    )
    return opened(qtbot, dialog)


def test_redeem_starts_empty_with_title_and_balance(qtbot: QtBot, host: QWidget) -> None:
    dialog = redeem(qtbot, host)
    assert dialog.dialog.objectName() == "redeemDialog"
    assert dialog.dialog.windowTitle() == "Redeem from gift card •••• 4821"
    assert dialog.amount_input.text() == ""
    assert QApplication.focusWidget() is dialog.amount_input
    assert dialog.balance_after_label.text() == "Balance after: —"
    assert dialog.confirm_button.isDefault()


def test_typed_amount_and_enter_emit_exactly_once(qtbot: QtBot, host: QWidget) -> None:
    dialog = redeem(qtbot, host)
    calls = recorder(dialog.amountChosen)
    qtbot.keyClicks(dialog.amount_input, "12.5")
    press(qtbot, dialog, KEY.Key_Return)
    assert calls == [(usd("12.50"), None)]
    assert dialog.phase is Phase.BUSY
    assert not dialog.confirm_button.isEnabled()
    assert dialog.status_label.text() == WORKING_TEXT
    press(qtbot, dialog, KEY.Key_Return)
    press(qtbot, dialog, KEY.Key_Enter, MOD.KeypadModifier)
    qtbot.mouseDClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    assert calls == [(usd("12.50"), None)]


def test_double_click_on_confirm_emits_once(qtbot: QtBot, host: QWidget) -> None:
    dialog = redeem(qtbot, host)
    calls = recorder(dialog.amountChosen)
    qtbot.keyClicks(dialog.amount_input, "20")
    qtbot.mouseDClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    assert calls == [(usd("20.00"), None)]


def test_comma_decimal_separator(qtbot: QtBot, host: QWidget) -> None:
    dialog = redeem(qtbot, host, currency="EUR", separator=",")
    calls = recorder(dialog.amountChosen)
    assert child(dialog, QPushButton, "keypadPoint").text() == ","
    qtbot.keyClicks(dialog.amount_input, "12,50")
    assert dialog.balance_after_label.text() == "Balance after: € 62,00"
    press(qtbot, dialog, KEY.Key_Return)
    assert calls == [(Money(Decimal("12.50"), "EUR"), None)]


def test_keypad_taps_build_the_amount(qtbot: QtBot, host: QWidget) -> None:
    dialog = redeem(qtbot, host)
    calls = recorder(dialog.amountChosen)

    def tap(name: str) -> None:
        button = dialog.dialog.findChild(QPushButton, name)
        assert button is not None
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    for name in ("keypad1", "keypad2", "keypadPoint", "keypad5"):
        tap(name)
    assert dialog.amount_input.text() == "12.5"
    assert dialog.balance_after_label.text() == "Balance after: $ 62.00"
    assert QApplication.focusWidget() is dialog.amount_input  # a tap never steals the focus
    tap("keypadBackspace")
    assert dialog.amount_input.text() == "12."
    tap("keypadClear")
    assert dialog.amount_input.text() == ""
    for digit in "0123456789":
        tap(f"keypad{digit}")
    assert dialog.amount_input.text() == "0123456789"
    tap("keypadClear")
    tap("keypad7")
    press(qtbot, dialog, KEY.Key_Return)
    assert calls == [(usd("7.00"), None)]


BAD_INPUTS = {
    "empty": "",
    "zero": "0",
    "negative": "-5",
    "three decimals": "0.001",
    "letters": "abc",
    "arabic-indic digits": "١٢٣",
    "10,000 characters": "9" * 10_000,
}


@pytest.mark.parametrize("text", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_shows_the_domain_message_and_emits_nothing(
    qtbot: QtBot, host: QWidget, text: str
) -> None:
    dialog = redeem(qtbot, host)
    # The field keeps at most maxLength characters (32): what it keeps must still be refused,
    # never cut down to a valid amount.
    kept = text[: dialog.amount_input.maxLength()]
    with pytest.raises(AmountEntryError) as refused:
        parse_cashier_amount(kept, ".")
    calls = recorder(dialog.amountChosen)
    if text.isascii() and len(text) < 50:
        qtbot.keyClicks(dialog.amount_input, text)
    else:
        QGuiApplication.clipboard().setText(text)
        qtbot.keyClick(dialog.amount_input, KEY.Key_V, MOD.ControlModifier)
    assert dialog.amount_input.text() == kept
    press(qtbot, dialog, KEY.Key_Return)
    assert calls == []
    assert dialog.amount_error.text() == str(refused.value)
    assert dialog.amount_error.text()
    assert dialog.phase is Phase.EDITING
    assert dialog.confirm_button.isEnabled()
    assert dialog.is_open


def test_domain_messages_are_the_ones_the_cashier_sees(qtbot: QtBot, host: QWidget) -> None:
    dialog = redeem(qtbot, host)
    for text, message in (
        ("", "Enter an amount like 12.50"),
        ("0", "The amount must be more than zero"),
        ("0.001", "Amounts have at most 2 decimals"),
        ("١٢٣", "Use the digits 0-9 on the keypad"),
    ):
        dialog.amount_input.setText(text)
        press(qtbot, dialog, KEY.Key_Return)
        assert dialog.amount_error.text() == message
        assert dialog.amount_input.accessibleDescription() == message
    qtbot.keyClicks(dialog.amount_input, "5")
    assert dialog.amount_error.text() == ""  # editing clears the old complaint


def test_maximum_is_enforced_by_the_domain(qtbot: QtBot, host: QWidget) -> None:
    dialog = redeem(qtbot, host, maximum="20.00")
    calls = recorder(dialog.amountChosen)
    qtbot.keyClicks(dialog.amount_input, "25")
    press(qtbot, dialog, KEY.Key_Return)
    assert calls == []
    assert dialog.amount_error.text() == "That amount is too large (max 20.00)"


def test_over_balance_offers_the_whole_balance(qtbot: QtBot, host: QWidget) -> None:
    dialog = redeem(qtbot, host, "37.50")
    calls = recorder(dialog.amountChosen)
    assert not dialog.offer_label.isVisible()
    width = dialog.confirm_button.width()
    qtbot.keyClicks(dialog.amount_input, "50")
    assert dialog.offer_label.isVisible()
    qtbot.wait(20)
    assert dialog.confirm_button.width() == width  # the tap target does not move while typing
    assert (
        dialog.offer_label.text().replace(NBSP, " ")
        == "Redeem the whole balance ($ 37.50) — $ 12.50 remains to pay"
    )
    assert dialog.balance_after_label.text() == "Balance after: $ 0.00"
    assert dialog.confirm_button.text() == "Redeem whole balance"
    press(qtbot, dialog, KEY.Key_Return)
    assert calls == [(usd("37.50"), usd("12.50"))]


def test_offer_disappears_when_the_amount_fits_again(qtbot: QtBot, host: QWidget) -> None:
    dialog = redeem(qtbot, host, "37.50")
    qtbot.keyClicks(dialog.amount_input, "50")
    qtbot.keyClick(dialog.amount_input, KEY.Key_Backspace)
    assert dialog.amount_input.text() == "5"
    assert not dialog.offer_label.isVisible()
    assert dialog.confirm_button.text() == "Redeem"
    assert dialog.balance_after_label.text() == "Balance after: $ 32.50"


def test_balance_after_updates_live(qtbot: QtBot, host: QWidget) -> None:
    dialog = redeem(qtbot, host)
    seen = []
    for char in "12.5":
        qtbot.keyClicks(dialog.amount_input, char)
        seen.append(dialog.balance_after_label.text())
    assert seen == [
        "Balance after: $ 73.50",
        "Balance after: $ 62.50",
        "Balance after: $ 62.50",
        "Balance after: $ 62.00",
    ]
    qtbot.keyClicks(dialog.amount_input, "x")
    assert dialog.balance_after_label.text() == "Balance after: —"


def test_escape_closes_without_emitting(qtbot: QtBot, host: QWidget) -> None:
    dialog = redeem(qtbot, host)
    calls = recorder(dialog.amountChosen)
    results = finished_results(dialog)
    qtbot.keyClicks(dialog.amount_input, "12.50")
    press(qtbot, dialog, KEY.Key_Escape)
    assert results == [QDialog.DialogCode.Rejected]
    assert calls == []
    assert not dialog.is_open
    assert dialog.finish_ok("too late") is False


def test_zero_balance_says_so_and_cannot_confirm(qtbot: QtBot, host: QWidget) -> None:
    dialog = redeem(qtbot, host, "0.00")
    calls = recorder(dialog.amountChosen)
    assert dialog.amount_error.text() == "This card has no balance left"
    assert not dialog.confirm_button.isEnabled()
    assert not dialog.amount_input.isEnabled()
    assert QApplication.focusWidget() is dialog.cancel_button
    press(qtbot, dialog, KEY.Key_Return)
    assert calls == []
    assert not dialog.is_open  # Enter on the focused Cancel closes


def test_busy_ignores_escape_then_shows_the_result(qtbot: QtBot, host: QWidget) -> None:
    dialog = redeem(qtbot, host)
    results = finished_results(dialog)
    qtbot.keyClicks(dialog.amount_input, "10")
    press(qtbot, dialog, KEY.Key_Return)
    press(qtbot, dialog, KEY.Key_Escape)
    dialog.dialog.close()
    assert dialog.dialog.isVisible()
    assert not dialog.cancel_button.isEnabled()
    assert dialog.finish_ok("Redeemed $ 10.00. New balance $ 64.50") is True
    assert dialog.status_label.text() == "Redeemed $ 10.00. New balance $ 64.50"
    assert dialog.status_label.property("tone") == "ok"
    assert dialog.confirm_button.text() == "Close"
    assert dialog.confirm_button.isEnabled()
    press(qtbot, dialog, KEY.Key_Return)
    assert results == [QDialog.DialogCode.Accepted]


def test_finish_error_without_retry_only_closes(qtbot: QtBot, host: QWidget) -> None:
    dialog = redeem(qtbot, host)
    calls = recorder(dialog.amountChosen)
    qtbot.keyClicks(dialog.amount_input, "10")
    press(qtbot, dialog, KEY.Key_Return)
    dialog.finish_error("The card was suspended")
    assert dialog.status_label.text() == "The card was suspended"
    assert dialog.status_label.property("tone") == "error"
    assert not dialog.amount_input.isEnabled()
    press(qtbot, dialog, KEY.Key_Return)
    assert calls == [(usd("10.00"), None)]
    assert not dialog.is_open


def test_finish_error_with_retry_lets_the_cashier_try_again(qtbot: QtBot, host: QWidget) -> None:
    dialog = redeem(qtbot, host)
    calls = recorder(dialog.amountChosen)
    qtbot.keyClicks(dialog.amount_input, "10")
    press(qtbot, dialog, KEY.Key_Return)
    dialog.finish_error("Not enough balance: $ 5.00 available", retry=True)
    assert dialog.phase is Phase.EDITING
    assert dialog.amount_input.isEnabled()
    assert dialog.confirm_button.text() == "Redeem"
    assert QApplication.focusWidget() is dialog.amount_input
    dialog.amount_input.selectAll()
    qtbot.keyClicks(dialog.amount_input, "5")
    press(qtbot, dialog, KEY.Key_Return)
    assert calls == [(usd("10.00"), None), (usd("5.00"), None)]


def test_a_slot_that_finishes_at_once_is_not_overwritten(qtbot: QtBot, host: QWidget) -> None:
    dialog = redeem(qtbot, host)
    dialog.amountChosen.connect(lambda amount, _rest: dialog.finish_ok(f"Queued {amount}"))
    qtbot.keyClicks(dialog.amount_input, "3")
    press(qtbot, dialog, KEY.Key_Return)
    assert dialog.status_label.text() == "Queued $ 3.00"
    assert dialog.phase is Phase.DONE


def test_a_slot_may_close_the_dialog_at_once(qtbot: QtBot, host: QWidget) -> None:
    dialog = redeem(qtbot, host)
    results = finished_results(dialog)
    dialog.amountChosen.connect(lambda *_: dialog.close())
    qtbot.keyClicks(dialog.amount_input, "3")
    press(qtbot, dialog, KEY.Key_Return)
    assert results == [QDialog.DialogCode.Rejected]


def test_a_result_that_never_comes_does_not_trap_the_till(qtbot: QtBot, host: QWidget) -> None:
    dialog = redeem(qtbot, host)
    dialog.busy_escape_ms = 30
    qtbot.keyClicks(dialog.amount_input, "3")
    press(qtbot, dialog, KEY.Key_Return)
    assert not dialog.cancel_button.isEnabled()
    qtbot.waitUntil(dialog.cancel_button.isEnabled, timeout=2000)
    assert dialog.status_label.text() == STILL_WORKING_TEXT
    press(qtbot, dialog, KEY.Key_Escape)
    assert not dialog.is_open


def test_maximum_in_another_currency_is_a_programming_error(host: QWidget) -> None:
    with pytest.raises(ValueError, match="currency"):
        RedeemDialog(host, title="x", balance=usd("1.00"), maximum=Money(Decimal(1), "EUR"))


# --- StampsDialog ----------------------------------------------------------------------------


def stamps(qtbot: QtBot, host: QWidget) -> StampsDialog:
    return opened(qtbot, StampsDialog(host, card_name="Coffee card", stamps=7, required=10))


def test_stamps_start_at_one_with_preview(qtbot: QtBot, host: QWidget) -> None:
    dialog = stamps(qtbot, host)
    assert dialog.dialog.objectName() == "stampsDialog"
    assert dialog.dialog.windowTitle() == "Add stamps — Coffee card"
    assert dialog.stamps_input.value() == 1
    assert dialog.preview_label.text() == "7 → 8 of 10"
    assert dialog.confirm_button.text() == "Add 1 stamp"
    assert QApplication.focusWidget() is dialog.stamps_input


def test_plus_minus_and_arrow_keys_step_the_count(qtbot: QtBot, host: QWidget) -> None:
    dialog = stamps(qtbot, host)
    steps = (
        (KEY.Key_Plus, MOD.NoModifier, 2),
        (KEY.Key_Plus, MOD.KeypadModifier, 3),
        (KEY.Key_Minus, MOD.NoModifier, 2),
        (KEY.Key_Up, MOD.NoModifier, 3),
        (KEY.Key_Down, MOD.NoModifier, 2),
        (KEY.Key_Plus, MOD.NoModifier, 3),
    )
    for key, modifier, expected in steps:
        press(qtbot, dialog, key, modifier)
        assert dialog.stamps_input.value() == expected
    assert dialog.preview_label.text() == "7 → 10 of 10"
    assert dialog.confirm_button.text() == "Add 3 stamps"


def test_stamps_stay_within_bounds(qtbot: QtBot, host: QWidget) -> None:
    dialog = stamps(qtbot, host)
    for _ in range(3):
        press(qtbot, dialog, KEY.Key_Minus)
    assert dialog.stamps_input.value() == 1
    assert not dialog.minus_button.isEnabled()
    for _ in range(MAX_STAMPS_PER_OPERATION + 5):
        press(qtbot, dialog, KEY.Key_Plus)
    assert dialog.stamps_input.value() == MAX_STAMPS_PER_OPERATION
    assert not dialog.plus_button.isEnabled()
    assert dialog.preview_label.text() == f"7 → {7 + MAX_STAMPS_PER_OPERATION} of 10"
    dialog.stamps_input.lineEdit().selectAll()
    qtbot.keyClicks(dialog.stamps_input, "99")
    assert dialog.stamps_input.value() <= MAX_STAMPS_PER_OPERATION


def test_stamp_buttons_step_without_taking_focus(qtbot: QtBot, host: QWidget) -> None:
    dialog = stamps(qtbot, host)
    qtbot.mouseClick(dialog.plus_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.plus_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.minus_button, Qt.MouseButton.LeftButton)
    assert dialog.stamps_input.value() == 2
    assert QApplication.focusWidget() is dialog.stamps_input


def test_stamps_enter_emits_once(qtbot: QtBot, host: QWidget) -> None:
    dialog = stamps(qtbot, host)
    calls = recorder(dialog.stampsChosen)
    press(qtbot, dialog, KEY.Key_Plus)
    press(qtbot, dialog, KEY.Key_Plus)
    press(qtbot, dialog, KEY.Key_Return)
    press(qtbot, dialog, KEY.Key_Return)
    qtbot.mouseDClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    press(qtbot, dialog, KEY.Key_Plus)
    assert calls == [(3,)]
    assert dialog.stamps_input.value() == 3
    assert not dialog.stamps_input.isEnabled()


def test_typed_stamp_count_is_used(qtbot: QtBot, host: QWidget) -> None:
    dialog = stamps(qtbot, host)
    calls = recorder(dialog.stampsChosen)
    dialog.stamps_input.lineEdit().selectAll()
    qtbot.keyClicks(dialog.stamps_input, "12")
    press(qtbot, dialog, KEY.Key_Return)
    assert calls == [(12,)]


def test_stamps_escape_closes_without_emitting(qtbot: QtBot, host: QWidget) -> None:
    dialog = stamps(qtbot, host)
    calls = recorder(dialog.stampsChosen)
    press(qtbot, dialog, KEY.Key_Escape)
    assert calls == []
    assert not dialog.is_open


# --- RewardDialog ----------------------------------------------------------------------------

MIXED = [
    RewardOption("r-coffee", "Free coffee", 8, True),
    RewardOption("r-lunch", "Free lunch", 20, False),
    RewardOption("r-cookie", "Cookie", 1, True),
]


def rewards(qtbot: QtBot, host: QWidget, options: list[RewardOption]) -> RewardDialog:
    dialog = RewardDialog(host, rewards=options, balance_text="8 of 10 stamps")
    return opened(qtbot, dialog)


def test_rewards_are_all_listed_with_their_cost(qtbot: QtBot, host: QWidget) -> None:
    dialog = rewards(qtbot, host, MIXED)
    assert dialog.dialog.objectName() == "rewardDialog"
    texts = [dialog.choices.item(row).text() for row in range(dialog.choices.count())]
    assert texts == ["Free coffee · 8 stamps", "Free lunch · needs 20 stamps", "Cookie · 1 stamp"]
    lunch = dialog.choices.item(1)
    assert not lunch.flags() & Qt.ItemFlag.ItemIsEnabled
    assert not lunch.flags() & Qt.ItemFlag.ItemIsSelectable


def test_several_redeemable_none_preselected(qtbot: QtBot, host: QWidget) -> None:
    dialog = rewards(qtbot, host, MIXED)
    calls = recorder(dialog.rewardChosen)
    assert dialog.selected_id() is None
    assert not dialog.confirm_button.isEnabled()
    press(qtbot, dialog, KEY.Key_Return)
    assert calls == []
    assert dialog.is_open


def test_disabled_reward_cannot_be_chosen(qtbot: QtBot, host: QWidget) -> None:
    dialog = rewards(qtbot, host, MIXED)
    calls = recorder(dialog.rewardChosen)
    lunch = dialog.choices.item(1)
    centre = dialog.choices.visualItemRect(lunch).center()
    viewport = dialog.choices.viewport()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=centre)
    lunch.setSelected(True)  # even forced, a disabled row is never what gets sent
    assert dialog.selected_id() is None
    assert not dialog.confirm_button.isEnabled()
    press(qtbot, dialog, KEY.Key_Return)
    assert calls == []


def test_arrows_skip_disabled_rewards_and_enter_picks(qtbot: QtBot, host: QWidget) -> None:
    dialog = rewards(qtbot, host, MIXED)
    calls = recorder(dialog.rewardChosen)
    assert QApplication.focusWidget() is dialog.choices
    press(qtbot, dialog, KEY.Key_Down)
    assert dialog.selected_id() == "r-coffee"
    press(qtbot, dialog, KEY.Key_Down)
    assert dialog.selected_id() == "r-cookie"
    press(qtbot, dialog, KEY.Key_Down)
    assert dialog.selected_id() == "r-cookie"
    press(qtbot, dialog, KEY.Key_Return)
    press(qtbot, dialog, KEY.Key_Return)
    assert calls == [("r-cookie",)]
    assert not dialog.choices.isEnabled()


def test_single_redeemable_reward_is_preselected(qtbot: QtBot, host: QWidget) -> None:
    options = [MIXED[1], MIXED[0]]
    dialog = rewards(qtbot, host, options)
    calls = recorder(dialog.rewardChosen)
    assert dialog.selected_id() == "r-coffee"
    assert dialog.confirm_button.isEnabled()
    press(qtbot, dialog, KEY.Key_Return)
    assert calls == [("r-coffee",)]


def test_double_tap_on_a_reward_redeems_it_once(qtbot: QtBot, host: QWidget) -> None:
    dialog = rewards(qtbot, host, MIXED)
    calls = recorder(dialog.rewardChosen)
    centre = dialog.choices.visualItemRect(dialog.choices.item(2)).center()
    qtbot.mouseDClick(dialog.choices.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseDClick(dialog.choices.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    assert calls == [("r-cookie",)]


def test_no_redeemable_reward_says_so(qtbot: QtBot, host: QWidget) -> None:
    dialog = rewards(qtbot, host, [MIXED[1]])
    assert dialog.hint_label.text() == NONE_REDEEMABLE_TEXT
    assert not dialog.confirm_button.isEnabled()


# --- ConfirmDialog ---------------------------------------------------------------------------


def confirm(qtbot: QtBot, host: QWidget, *, danger: bool) -> ConfirmDialog:
    dialog = ConfirmDialog(
        host,
        title="Undo redemption?",
        text="Put $ 12.50 back on gift card •••• 4821.",
        confirm_label="Undo redemption",
        danger=danger,
    )
    return opened(qtbot, dialog)


def test_dangerous_confirm_defaults_to_cancel(qtbot: QtBot, host: QWidget) -> None:
    dialog = confirm(qtbot, host, danger=True)
    calls = recorder(dialog.confirmed)
    assert dialog.dialog.objectName() == "confirmDialog"
    assert dialog.dialog.windowTitle() == "Undo redemption?"
    assert dialog.cancel_button.isDefault()
    assert not dialog.confirm_button.isDefault()
    assert QApplication.focusWidget() is dialog.cancel_button
    press(qtbot, dialog, KEY.Key_Return)
    assert calls == []
    assert not dialog.is_open


def test_dangerous_confirm_needs_its_mnemonic(qtbot: QtBot, host: QWidget) -> None:
    dialog = confirm(qtbot, host, danger=True)
    calls = recorder(dialog.confirmed)
    assert "Alt+U" in child(dialog, QLabel, "hintLabel").text()
    press(qtbot, dialog, KEY.Key_U)
    qtbot.wait(200)
    assert calls == []
    press(qtbot, dialog, KEY.Key_U, MOD.AltModifier)
    qtbot.waitUntil(lambda: calls == [()], timeout=2000)
    assert dialog.phase is Phase.BUSY


def test_dangerous_confirm_by_tab_and_enter(qtbot: QtBot, host: QWidget) -> None:
    dialog = confirm(qtbot, host, danger=True)
    calls = recorder(dialog.confirmed)
    press(qtbot, dialog, KEY.Key_Tab)
    assert QApplication.focusWidget() is dialog.confirm_button
    press(qtbot, dialog, KEY.Key_Return)
    assert calls == [()]


def test_plain_confirm_takes_enter(qtbot: QtBot, host: QWidget) -> None:
    dialog = confirm(qtbot, host, danger=False)
    calls = recorder(dialog.confirmed)
    assert dialog.confirm_button.isDefault()
    press(qtbot, dialog, KEY.Key_Return)
    press(qtbot, dialog, KEY.Key_Return)
    assert calls == [()]
    dialog.finish_ok("Redemption undone")
    assert dialog.confirm_button.property("danger") is False
    press(qtbot, dialog, KEY.Key_Escape)
    assert not dialog.is_open


def test_confirm_escape_never_confirms(qtbot: QtBot, host: QWidget) -> None:
    dialog = confirm(qtbot, host, danger=False)
    calls = recorder(dialog.confirmed)
    press(qtbot, dialog, KEY.Key_Escape)
    assert calls == []
    assert not dialog.is_open


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Undo redemption", ("&Undo redemption", "U")),
        ("Refund & close", ("&Refund && close", "R")),
        ("  2 stamps back", ("  &2 stamps back", "2")),
        ("→", ("→", None)),
    ],
)
def test_confirm_label_mnemonic(label: str, expected: tuple[str, str | None]) -> None:
    assert with_mnemonic(label) == expected


# --- ManagerPinDialog ------------------------------------------------------------------------

OVER_CAP = "Offline redemptions above $ 50.00 need a manager PIN"


def manager_pin(qtbot: QtBot, host: QWidget, *, ask_note: bool = False) -> ManagerPinDialog:
    dialog = ManagerPinDialog(
        host, title="Manager approval needed", reasons=[OVER_CAP], ask_note=ask_note
    )
    return opened(qtbot, dialog)


def test_pin_is_masked_digits_only_with_the_reasons_shown(qtbot: QtBot, host: QWidget) -> None:
    dialog = manager_pin(qtbot, host)
    shown = OVER_CAP.replace("$ ", f"${NBSP}")  # the amount never wraps away from its sign
    assert child(dialog, QLabel, "reasonsLabel").text() == f"• {shown}"
    assert not child(dialog, QLineEdit, "noteInput").isVisible()
    assert QApplication.focusWidget() is dialog.pin_input
    assert dialog.pin_input.echoMode() is QLineEdit.EchoMode.Password
    qtbot.keyClicks(dialog.pin_input, "1a2 b3-4")
    assert dialog.pin_input.text() == "1234"
    assert dialog.pin_input.displayText() != "1234"


def test_pin_keypad_types_without_taking_focus(qtbot: QtBot, host: QWidget) -> None:
    dialog = manager_pin(qtbot, host)
    calls = recorder(dialog.pinEntered)
    for name in ("keypad9", "keypad0", "keypad1", "keypadBackspace", "keypad2"):
        qtbot.mouseClick(child(dialog, QPushButton, name), Qt.MouseButton.LeftButton)
    assert dialog.pin_input.text() == "902"
    assert QApplication.focusWidget() is dialog.pin_input
    qtbot.mouseClick(child(dialog, QPushButton, "keypadClear"), Qt.MouseButton.LeftButton)
    assert dialog.pin_input.text() == ""
    press(qtbot, dialog, KEY.Key_Return)
    assert dialog.status_label.text() == PIN_NEEDED_TEXT
    assert calls == []
    qtbot.keyClicks(dialog.pin_input, "0000")
    assert dialog.status_label.text() == ""  # the complaint goes once they type
    press(qtbot, dialog, KEY.Key_Enter, MOD.KeypadModifier)
    press(qtbot, dialog, KEY.Key_Return)
    assert calls == [("0000", "")]
    assert dialog.phase is Phase.BUSY


def test_wrong_pin_clears_the_field_and_lets_them_try_again(qtbot: QtBot, host: QWidget) -> None:
    dialog = manager_pin(qtbot, host)
    calls = recorder(dialog.pinEntered)
    dialog.pinEntered.connect(lambda pin, _note: dialog.wrong_pin("Wrong PIN, 4 tries left"))
    qtbot.keyClicks(dialog.pin_input, "1234")
    press(qtbot, dialog, KEY.Key_Return)
    assert dialog.status_label.text() == "Wrong PIN, 4 tries left"
    assert dialog.status_label.property("tone") == "error"
    assert dialog.pin_input.text() == ""
    assert dialog.phase is Phase.EDITING
    assert QApplication.focusWidget() is dialog.pin_input
    qtbot.keyClicks(dialog.pin_input, "5678")
    press(qtbot, dialog, KEY.Key_Return)
    assert calls == [("1234", ""), ("5678", "")]


def test_a_resolution_needs_a_note_before_the_pin(qtbot: QtBot, host: QWidget) -> None:
    dialog = manager_pin(qtbot, host, ask_note=True)
    calls = recorder(dialog.pinEntered)
    assert QApplication.focusWidget() is dialog.note_input
    qtbot.keyClicks(dialog.pin_input, "0000")
    press(qtbot, dialog, KEY.Key_Return)
    assert dialog.status_label.text() == NOTE_NEEDED_TEXT
    assert QApplication.focusWidget() is dialog.note_input
    qtbot.keyClicks(dialog.note_input, "  Customer paid cash  ")
    press(qtbot, dialog, KEY.Key_Return)
    assert calls == [("0000", "Customer paid cash")]


def test_pin_escape_cancels_without_emitting(qtbot: QtBot, host: QWidget) -> None:
    dialog = manager_pin(qtbot, host)
    calls = recorder(dialog.pinEntered)
    results = finished_results(dialog)
    qtbot.keyClicks(dialog.pin_input, "0000")
    press(qtbot, dialog, KEY.Key_Escape)
    assert results == [QDialog.DialogCode.Rejected]
    assert calls == []
    assert not dialog.is_open


def test_finish_pending_is_amber_and_closes_on_enter(qtbot: QtBot, host: QWidget) -> None:
    dialog = redeem(qtbot, host)
    qtbot.keyClicks(dialog.amount_input, "10")
    press(qtbot, dialog, KEY.Key_Return)
    results = finished_results(dialog)
    assert dialog.finish_pending("PENDING — will sync")
    assert dialog.status_label.property("tone") == "pending"
    assert dialog.phase is Phase.DONE
    press(qtbot, dialog, KEY.Key_Return)
    assert results == [QDialog.DialogCode.Accepted]
    assert not dialog.finish_pending("again")


# --- all dialogs: keyboard, touch, looks -----------------------------------------------------

BUILDERS: dict[str, Callable[[QtBot, QWidget], FormDialog]] = {
    "redeem": lambda qtbot, host: redeem(qtbot, host, "37.50"),
    "stamps": stamps,
    "reward": lambda qtbot, host: rewards(qtbot, host, MIXED),
    "confirm": lambda qtbot, host: confirm(qtbot, host, danger=True),
    "manager_pin": lambda qtbot, host: manager_pin(qtbot, host, ask_note=True),
}
CONTROLS = (QPushButton, QLineEdit, QSpinBox, QListWidget)


def controls(dialog: FormDialog) -> list[QWidget]:
    found: list[QWidget] = []
    for kind in CONTROLS:
        found += [
            widget
            for widget in dialog.dialog.findChildren(kind)
            if widget.isVisible()
            and widget.isEnabled()
            and not isinstance(widget.parent(), QAbstractSpinBox)  # its spin box takes the focus
        ]
    return found


@pytest.mark.parametrize("name", BUILDERS)
def test_every_control_is_reachable_with_tab(qtbot: QtBot, host: QWidget, name: str) -> None:
    dialog = BUILDERS[name](qtbot, host)
    wanted = controls(dialog)
    assert len(wanted) >= 2
    visited: list[QWidget] = []
    for _ in range(3 * len(wanted)):
        focus = QApplication.focusWidget()
        assert focus is not None
        if focus not in visited:
            visited.append(focus)
        press(qtbot, dialog, KEY.Key_Tab)
    assert {id(w) for w in wanted} <= {id(w) for w in visited}
    assert visited[0] is dialog._initial_focus()
    for widget in wanted:
        assert widget.accessibleName(), widget.objectName()


@pytest.mark.parametrize("name", BUILDERS)
def test_buttons_are_big_enough_to_touch(qtbot: QtBot, host: QWidget, name: str) -> None:
    dialog = BUILDERS[name](qtbot, host)
    for button in dialog.dialog.findChildren(QPushButton):
        if button.isVisible():
            assert button.height() >= 56, button.objectName()
    assert dialog.confirm_button.font().pointSize() >= 20
    assert child(dialog, QLabel, "dialogTitle").font().pointSize() >= 24


@pytest.mark.parametrize("name", BUILDERS)
def test_screenshot_is_not_blank(qtbot: QtBot, host: QWidget, name: str, tmp_path: Path) -> None:
    dialog = BUILDERS[name](qtbot, host)
    if isinstance(dialog, RedeemDialog):
        qtbot.keyClicks(dialog.amount_input, "50")
    path = tmp_path / f"{name}_dialog.png"
    assert dialog.dialog.grab().save(str(path))
    image = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB32)
    assert image.width() >= 600
    assert image.height() >= 300
    pixels = memoryview(image.constBits()).cast("I")
    drawn = sum(1 for pixel in pixels if pixel & 0xFFFFFF != BACKGROUND)
    dark = sum(1 for pixel in pixels if all(pixel >> shift & 0xFF < 90 for shift in (0, 8, 16)))
    assert drawn > 0.03 * len(pixels)  # text, borders and buttons, not an empty window
    assert dark > 2_000  # plenty of dark, high-contrast text strokes
