"""Offline at the counter: PENDING on screen, the manager PIN, the header following the sync.

Real window, real journal in tmp_path, the emulators over HTTP with their outage fault on.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPushButton

from pos_app.domain import Provider
from pos_app.gui.dialogs import ManagerPinDialog
from pos_app.journal.connectivity import Reachability
from pos_app.journal.pending_operations import EntryState
from pos_app.services.till import TRAINING_MANAGER
from tests.gui.conftest import MakeTill, Run, eventually
from tests.gui.counter import Counter
from tests.gui.test_pending_view import found


def ana(till: Counter) -> str:
    return str(next(c for c in till.seed["leal"]["customers"] if c["id"] == 9001)["card_code"])


async def _stamp(till: Counter) -> Any:
    await till.shortcut(Qt.Key.Key_F3)
    confirm = till.dialog_widget(QPushButton, "confirmButton")
    return await till.act(lambda: QTest.keyClick(confirm, Qt.Key.Key_Return))


def test_offline_stamp_is_pending_on_screen_then_syncs(till: Counter, run: Run) -> None:
    async def body() -> None:
        view = till.view
        await till.look_up(ana(till))
        assert view.stamp_progress.value() == 7
        till.faults("leal", outage=True)
        result = await _stamp(till)
        assert result.state == "pending", result.message
        banner = view.message.text()
        assert banner.startswith(f"PENDING — will sync · ref {result.reference[:8]}")
        assert view.message.property("tone") == "pending"
        status = till.dialog_widget(QLabel, "statusLabel")
        assert status.text() == banner
        assert status.property("tone") == "pending"
        assert view.pending_mark.isVisibleTo(view.window)
        assert "+1 stamp" in view.pending_mark.text()
        assert view.stamp_progress.value() == 8
        assert view.stamp_progress.format() == "8 of 10 stamps — PENDING"
        await eventually(lambda: "1 PENDING" in view.pending_indicator.text())
        assert view.pending_indicator.property("tone") == "warn"
        assert till.ledger() == []

        till.faults("leal")  # the outage ends; the running engine sends it on its own
        entry = till.core.operations
        await eventually(lambda: entry.get(result.reference).state is EntryState.DONE, 15)
        await eventually(lambda: view.pending_indicator.text() == "F9  All synced")
        await eventually(lambda: not view.pending_mark.isVisibleTo(view.window))
        assert view.pending_indicator.property("tone") == "ok"
        assert view.message.text().startswith("Synced: ")
        await eventually(lambda: view.stamp_progress.format() == "8 of 10 stamps")
        assert "Last sync" in view.last_sync_label.text()
        assert "No sync yet" not in view.last_sync_label.text()
        assert [e["operation"] for e in till.ledger()] == ["stamp"]

    run(body())


async def _redeem_offline(till: Counter, amount: str) -> tuple[list[Any], ManagerPinDialog]:
    """Type an amount over the offline cap; returns the pending results and the PIN dialog."""
    await till.shortcut(Qt.Key.Key_F2)
    field = till.dialog_widget(QLineEdit, "amountInput")
    QTest.keyClicks(field, amount)
    results: list[Any] = []
    till.screen.actionFinished.connect(results.append)
    QTest.keyClick(field, Qt.Key.Key_Return)
    await eventually(lambda: till.screen.pin_dialog is not None)
    dialog = till.screen.pin_dialog
    assert dialog is not None
    await till.activate(dialog.dialog)
    return results, dialog


def test_redeem_over_the_offline_cap_needs_the_manager_pin(make_till: MakeTill, run: Run) -> None:
    till = make_till(training=True)

    async def body() -> None:
        view = till.view
        await till.look_up(till.card(balance="100.00", status="active"))
        till.faults("loyaltydog", outage=True)
        results, dialog = await _redeem_offline(till, "60")
        reasons = found(dialog.dialog, QLabel, "reasonsLabel").text()
        assert "above $\N{NO-BREAK SPACE}50.00 need a manager PIN" in reasons
        pin = dialog.pin_input
        assert pin.echoMode() is QLineEdit.EchoMode.Password
        assert QApplication.focusWidget() is pin
        QTest.keyClicks(pin, "12a34")  # letters never get in
        assert pin.text() == "1234"
        QTest.keyClick(pin, Qt.Key.Key_Return)
        assert dialog.status_label.text() == "Wrong PIN, 4 tries left"
        assert pin.text() == ""
        assert dialog.is_open
        assert results == []
        for digit in "0000":  # the on-screen keypad, as a manager taps it
            key = found(dialog.dialog, QPushButton, f"keypad{digit}")
            QTest.mouseClick(key, Qt.MouseButton.LeftButton)
        assert pin.text() == "0000"
        QTest.keyClick(pin, Qt.Key.Key_Return)
        await eventually(lambda: results)
        result = results[0]
        assert result.state == "pending", result.message
        assert not dialog.is_open
        assert till.screen.pin_dialog is None
        assert view.message.text().startswith("PENDING — will sync")
        assert view.balance_value.text() == "$ 40.00"
        assert view.balance_value.property("tone") == "pending"
        assert view.balance_caption.text() == "Expected balance\nPENDING"
        assert "-$ 60.00" in view.pending_mark.text()
        override = till.core.audit.recent(action="manager_override")
        assert [(line.cashier, line.result) for line in override] == [
            (TRAINING_MANAGER, "approved")
        ]
        refused = till.core.audit.recent(action="manager_pin_refused")
        assert len(refused) == 1
        assert till.ledger() == []

    run(body())


def test_cancelling_the_pin_charges_nothing(make_till: MakeTill, run: Run) -> None:
    till = make_till(training=True)

    async def body() -> None:
        await till.look_up(till.card(balance="100.00", status="active"))
        till.faults("loyaltydog", outage=True)
        results, dialog = await _redeem_offline(till, "60")
        till.press(Qt.Key.Key_Escape)
        await eventually(lambda: results)
        assert results[0].state == "rejected"
        assert "Nothing was charged" in till.view.message.text()
        assert not dialog.is_open
        entry = till.core.operations.get(results[0].reference)
        assert entry.state is EntryState.CANCELLED
        assert till.view.balance_value.text() == "$ 100.00"
        assert not till.view.pending_mark.isVisibleTo(till.view.window)
        till.faults("loyaltydog")
        assert till.ledger() == []

    run(body())


def test_header_flips_offline_and_back_online(till: Counter, run: Run) -> None:
    async def body() -> None:
        status = till.view.backend_status
        monitor = till.core.monitor
        await eventually(lambda: status.text().count("●") == 3)
        assert "OFFLINE" not in status.text()
        assert status.property("tone") == "ok"
        till.faults("leal", outage=True)
        monitor.probe_soon(Provider.LEAL)
        await eventually(lambda: "✕ OFFLINE: Leal" in status.text())
        assert status.property("tone") == "bad"
        assert "● LoyaltyDog" in status.text()
        assert "Leal: OFFLINE since" in status.toolTip()
        till.faults("leal")
        monitor.probe_soon(Provider.LEAL)
        await eventually(lambda: monitor.status(Provider.LEAL).state is Reachability.ONLINE)
        await eventually(lambda: "OFFLINE" not in status.text())
        assert "● Leal" in status.text()
        assert status.property("tone") == "ok"

    run(body())


def test_offline_lookup_shows_the_cached_card_as_offline_data(till: Counter, run: Run) -> None:
    async def body() -> None:
        number = till.card(balance="100.00", status="active")
        await till.look_up(number)
        await till.shortcut(Qt.Key.Key_Escape)
        till.faults("all", outage=True)
        result = await till.look_up(number)
        assert [m.stale_seconds is not None for m in result.matches] == [True]
        view = till.view
        assert view.balance_value.text() == "$ 100.00"
        assert view.stale_label.isVisibleTo(view.window)
        assert view.stale_label.text().startswith("OFFLINE DATA — last seen 0 min ago")
        assert view.backend_status.text() == "✕ ALL OFFLINE:\nLoyaltyDog, Leal, ClientToolbox"
        till.faults("all")

    run(body())
