"""The cashier screen end to end: real window, real scanner filter, emulators over HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QListWidget, QPushButton

from pos_app.domain import Provider
from pos_app.gui.main_window import MainWindow
from pos_app.journal.connectivity import Reachability
from tests.gui.conftest import Run, eventually
from tests.gui.counter import Counter as Till


def test_scan_shows_the_gift_card_with_balance_status_and_history(till: Till, run: Run) -> None:
    number = till.card(balance="100.00", status="active")

    async def body() -> None:
        result = await till.look_up(number)
        assert len(result.matches) == 1
        view = till.view
        assert view.card_stack.currentWidget() is view.card_panel
        assert view.balance_value.text() == "$ 100.00"
        assert view.status_value.text() == "ACTIVE"
        assert view.card_title.text().endswith(number[-4:])
        assert number not in view.card_title.text()
        assert view.lookup_input.text() == number
        await eventually(lambda: view.history_table.model().rowCount() > 0)
        assert view.buttons["redeem"].isEnabled()
        assert not view.buttons["stamp"].isEnabled()

    run(body())


def test_typing_at_human_speed_then_enter_also_looks_up(till: Till, run: Run) -> None:
    number = till.card(balance="100.00", status="active")

    async def body() -> None:
        await till.look_up(number, gap=0.12)
        assert till.view.balance_value.text() == "$ 100.00"
        assert till.view.lookup_input.text() == number

    run(body())


async def _redeem(till: Till, text: str, *, enters: int = 1) -> Any:
    await till.shortcut(Qt.Key.Key_F2)
    amount = till.dialog_widget(QLineEdit, "amountInput")
    assert amount.text() == ""
    QTest.keyClicks(amount, text)

    def confirm() -> None:
        for _ in range(enters):
            QTest.keyClick(amount, Qt.Key.Key_Return)

    return await till.act(confirm)


def test_partial_redemption_from_the_keyboard(till: Till, run: Run) -> None:
    async def body() -> None:
        await till.look_up(till.card(balance="100.00", status="active"))
        result = await _redeem(till, "25.50")
        assert result.ok
        assert till.view.balance_value.text() == "$ 74.50"
        assert "New balance $ 74.50" in till.view.message.text()
        assert [(e["operation"], e["amount"]) for e in till.ledger()] == [("redeem", "25.50")]

    run(body())


def test_double_enter_sends_once(till: Till, run: Run) -> None:
    async def body() -> None:
        await till.look_up(till.card(balance="100.00", status="active"))
        await _redeem(till, "10", enters=3)
        await asyncio.sleep(0.3)
        assert len(till.ledger()) == 1
        assert till.view.balance_value.text() == "$ 90.00"

    run(body())


def test_over_balance_offers_the_whole_balance(till: Till, run: Run) -> None:
    async def body() -> None:
        await till.look_up(till.card(balance="0.01"))
        result = await _redeem(till, "5")
        assert result.ok
        assert "$ 4.99 remains to pay" in till.view.message.text()
        assert [(e["operation"], e["amount"]) for e in till.ledger()] == [("redeem", "0.01")]
        assert till.view.status_value.text() == "DEPLETED"

    run(body())


def test_suspended_card_cannot_be_redeemed(till: Till, run: Run) -> None:
    async def body() -> None:
        await till.look_up(till.card(status="suspended"))
        assert till.view.status_value.text() == "SUSPENDED"
        result = await _redeem(till, "1")
        assert result.state == "rejected"
        assert "suspended" in till.view.message.text().lower()
        assert till.ledger() == []

    run(body())


def test_add_stamps_and_redeem_a_reward(till: Till, run: Run) -> None:
    ana = next(c for c in till.seed["leal"]["customers"] if c["id"] == 9001)

    async def body() -> None:
        await till.look_up(ana["card_code"])
        view = till.view
        assert view.stamp_progress.isVisibleTo(view.window)
        assert view.stamp_progress.value() == 7
        await till.shortcut(Qt.Key.Key_F3)
        confirm = till.dialog_widget(QPushButton, "confirmButton")
        result = await till.act(lambda: QTest.keyClick(confirm, Qt.Key.Key_Return))
        assert result.ok, result.message
        assert view.stamp_progress.value() == 8
        till.press(Qt.Key.Key_Escape)  # the finished dialog has focus: Esc closes it
        assert not till.screen._dialog.is_open
        await till.shortcut(Qt.Key.Key_F4)
        choices = till.dialog_widget(QListWidget, "rewardChoices")
        for row in range(choices.count()):
            if "Free pastry" in choices.item(row).text():
                choices.setCurrentRow(row)
        result = await till.act(lambda: QTest.keyClick(choices, Qt.Key.Key_Return))
        assert result.ok, result.message
        assert view.stamp_progress.value() == 0
        assert [e["operation"] for e in till.ledger()] == ["stamp", "redeem_reward"]

    run(body())


def test_undo_last_redemption_with_confirmation(till: Till, run: Run) -> None:
    async def body() -> None:
        await till.look_up(till.card(balance="100.00", status="active"))
        await _redeem(till, "20")
        till.press(Qt.Key.Key_Escape)
        assert till.view.buttons["undo"].isEnabled()
        await till.shortcut(Qt.Key.Key_F8)
        confirm = till.dialog_widget(QPushButton, "confirmButton")
        result = await till.act(lambda: QTest.mouseClick(confirm, Qt.MouseButton.LeftButton))
        assert result.ok, result.message
        assert "given back" in till.view.message.text()
        assert till.view.balance_value.text() == "$ 100.00"
        assert [e["operation"] for e in till.ledger()] == ["redeem", "refund"]

    run(body())


def test_escape_returns_to_an_empty_lookup(till: Till, run: Run) -> None:
    async def body() -> None:
        await till.look_up(till.card(balance="100.00", status="active"))
        await till.shortcut(Qt.Key.Key_Escape)
        view = till.view
        assert view.card_stack.currentWidget() is view.ready_page
        assert view.lookup_input.text() == ""
        assert view.result_list.count() == 0
        assert QApplication.focusWidget() is view.lookup_input

    run(body())


def test_scan_while_the_amount_dialog_is_open_does_not_land_in_the_amount(
    till: Till, run: Run
) -> None:
    async def body() -> None:
        await till.look_up(till.card(balance="100.00", status="active"))
        await till.shortcut(Qt.Key.Key_F2)
        amount = till.dialog_widget(QLineEdit, "amountInput")
        amount.setFocus()
        await till.scan(till.card(status="suspended"))
        await asyncio.sleep(0.2)
        assert amount.text() == ""
        assert "ignored" in till.view.message.text()
        assert till.view.balance_value.text() == "$ 100.00"

    run(body())


def test_unknown_card_says_what_was_searched(till: Till, run: Run) -> None:
    async def body() -> None:
        result = await till.look_up("9999888877776666")
        assert result.matches == []
        text = till.view.message.text()
        assert "No card found" in text
        assert "LoyaltyDog" in text
        assert "9999888877776666" not in text

    run(body())


def test_one_backend_down_still_shows_the_others(till: Till, run: Run) -> None:
    httpx.post(f"{till.url}/_sandbox/faults", json={"api": "clienttoolbox", "outage": True})

    async def body() -> None:
        await till.look_up(till.card(balance="100.00", status="active"))
        assert till.view.balance_value.text() == "$ 100.00"
        assert "ClientToolbox" in till.view.message.text()
        assert "✕ OFFLINE: ClientToolbox" in till.view.backend_status.text()
        assert till.core.monitor.status(Provider.CLIENTTOOLBOX).state is Reachability.OFFLINE

    run(body())


def test_offline_data_is_labelled_with_its_age(qapp: QApplication) -> None:
    """A card shown from the cache carries its age in words, not just a colour."""
    from dataclasses import replace
    from decimal import Decimal

    from pos_app.domain import GiftCard, GiftCardStatus, Money
    from pos_app.services.lookup import gift_card_match

    card = GiftCard(
        id="a" * 24,
        number="4000123456789012",
        balance=Money(Decimal("12.50"), "USD"),
        status=GiftCardStatus.ACTIVE,
    )
    view = MainWindow("till-test", training=False)
    view.show_match(gift_card_match(card))
    assert not view.stale_label.isVisibleTo(view.window)
    view.show_match(replace(gift_card_match(card), stale_seconds=754))
    assert view.stale_label.isVisibleTo(view.window)
    assert view.stale_label.text() == "OFFLINE DATA — last seen 12 min ago"
    view.window.deleteLater()
