"""Sign-in, F12 and F10 on the real counter: a real till (journal in tmp_path), emulators over HTTP.

Every key goes where a cashier's would: window shortcuts once the main window is active, and
typing into whatever has focus in the sign-in and PIN dialogs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QWidget

from pos_app.domain import Provider
from pos_app.gui import app as gui_app
from pos_app.gui.dialogs import ManagerPinDialog, SignInDialog
from pos_app.gui.main_window import KEY_HINT, MainWindow
from pos_app.gui.shift_desk import ShiftDesk
from pos_app.gui.till_status import QueueCounts
from pos_app.journal.connectivity import BackendStatus, Reachability
from pos_app.sandbox.state import Sandbox
from pos_app.services.till import (
    TRAINING_CASHIER,
    TRAINING_CASHIER_PIN,
    TRAINING_MANAGER,
    TRAINING_MANAGER_PIN,
)
from pos_app.training import sandbox_config, sandbox_credentials
from tests.gui.conftest import MakeTill, Run, eventually
from tests.gui.counter import Counter
from tests.tills import MAIN_CARD

ALT = Qt.KeyboardModifier.AltModifier
LOCKED = "Too many wrong PINs; try again in 5 min"


@pytest.fixture
def stays_open(qapp: QApplication) -> Iterator[None]:
    """As in the app: closing the window ends the app's coroutine, not Qt's event loop."""
    before = qapp.quitOnLastWindowClosed()
    qapp.setQuitOnLastWindowClosed(False)
    try:
        yield
    finally:
        qapp.setQuitOnLastWindowClosed(before)


def label(parent: QWidget, name: str) -> str:
    found = parent.findChild(QLabel, name)
    assert found is not None, name
    return found.text()


def open_desk(till: Counter, run: Run, *, training: bool) -> ShiftDesk:
    """The shift desk as the app wires it; closed before the window goes at the end."""
    desk = ShiftDesk(till.view, till.core, till.screen, training=training)

    async def cleanup() -> None:
        desk.close()

    run.cleanups.append(cleanup)
    return desk


async def sign_in_dialog(till: Counter, desk: ShiftDesk) -> SignInDialog:
    dialog = desk.sign_in_dialog
    assert dialog is not None
    assert dialog.is_open
    await till.activate(dialog.dialog)
    return dialog


async def type_sign_in(till: Counter, desk: ShiftDesk, name: str, pin: str) -> SignInDialog:
    """Name, Tab, PIN, Enter: exactly the cashier's keys."""
    dialog = await sign_in_dialog(till, desk)
    line = dialog.name_input.lineEdit()
    assert line is not None
    if QApplication.focusWidget() is not dialog.name_input:
        dialog.name_input.setFocus()
    line.selectAll()
    QTest.keyClicks(dialog.name_input, name)
    till.press(Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.pin_input
    QTest.keyClicks(dialog.pin_input, pin)
    till.press(Qt.Key.Key_Return)
    return dialog


async def pin_dialog(desk: ShiftDesk) -> ManagerPinDialog:
    await eventually(lambda: desk.pin_dialog is not None)
    assert desk.pin_dialog is not None
    return desk.pin_dialog


async def refused_scan(till: Counter) -> None:
    """A scan while signed out: no lookup starts, and the screen says why."""
    looked: list[object] = []
    till.screen.lookupFinished.connect(looked.append)
    await till.scan(MAIN_CARD)
    await asyncio.sleep(0.3)
    till.screen.lookupFinished.disconnect(looked.append)
    assert looked == []
    assert till.view.message.text() == "Sign in first (F12)."


def test_sign_in_from_the_keyboard_opens_the_shift_and_names_the_cashier(
    make_till: MakeTill, run: Run
) -> None:
    till = make_till()

    async def body() -> None:
        desk = open_desk(till, run, training=False)
        dialog = await sign_in_dialog(till, desk)
        assert till.screen.sign_in_required
        assert till.view.terminal_label.text() == "till-1\nnobody signed in"
        assert dialog.pin_input.echoMode() is QLineEdit.EchoMode.Password
        assert QApplication.focusWidget() is dialog.name_input
        names = [dialog.name_input.itemText(i) for i in range(dialog.name_input.count())]
        assert names == [TRAINING_CASHIER, TRAINING_MANAGER]
        shift_text = label(dialog.dialog, "shiftLabel")
        assert shift_text == "No shift is open: signing in opens a new one."
        await refused_scan(till)

        # A wrong PIN is answered in the dialog; the PIN is cleared and asked again.
        await type_sign_in(till, desk, "an", "9999")  # "an" completes to "Ana"
        assert dialog.status_label.text() == "Wrong PIN, 4 tries left"
        assert dialog.pin_input.text() == ""
        assert QApplication.focusWidget() is dialog.pin_input
        assert dialog.name == TRAINING_CASHIER
        assert till.core.cashier is None

        QTest.keyClicks(dialog.pin_input, TRAINING_CASHIER_PIN)
        till.press(Qt.Key.Key_Return)
        assert not dialog.is_open
        shift = till.core.shifts.current()
        assert shift is not None
        assert shift.opened_by == TRAINING_CASHIER
        assert till.view.terminal_label.text() == "Ana\ncashier"
        assert till.view.message.text() == (
            f"Signed in as Ana (cashier). Shift {shift.shift_id} opened."
        )
        await eventually(lambda: QApplication.focusWidget() is till.view.lookup_input)
        result = await till.look_up(MAIN_CARD)  # the till works now
        assert any(m.provider is Provider.LOYALTYDOG for m in result.matches)
        assert till.view.key_hint.text() == KEY_HINT

    run(body())


def test_five_wrong_pins_lock_the_sign_in_and_an_unknown_name_counts_too(
    make_till: MakeTill, run: Run
) -> None:
    till = make_till()

    async def body() -> None:
        desk = open_desk(till, run, training=False)
        said = []
        for name in ("Mallory", TRAINING_CASHIER, "Mallory", TRAINING_MANAGER, TRAINING_CASHIER):
            dialog = await type_sign_in(till, desk, name, "9876")
            said.append(dialog.status_label.text())
        assert said == [
            "Wrong PIN, 4 tries left",  # an unknown name reads like a wrong PIN
            "Wrong PIN, 3 tries left",
            "Wrong PIN, 2 tries left",
            "Wrong PIN, 1 try left",
            LOCKED,
        ]
        dialog = await type_sign_in(till, desk, TRAINING_CASHIER, TRAINING_CASHIER_PIN)
        assert dialog.is_open
        assert dialog.status_label.text().startswith("Too many wrong PINs; try again in ")
        assert dialog.status_label.property("tone") == "error"
        assert till.core.cashier is None
        assert till.view.terminal_label.text() == "till-1\nnobody signed in"

    run(body())


@pytest.mark.usefixtures("stays_open")
def test_esc_cannot_dismiss_the_sign_in_and_close_tillcard_quits(
    make_till: MakeTill, run: Run
) -> None:
    till = make_till()

    async def body() -> None:
        desk = open_desk(till, run, training=False)
        dialog = await sign_in_dialog(till, desk)
        till.press(Qt.Key.Key_Escape)
        dialog.pin_input.setFocus()
        till.press(Qt.Key.Key_Escape)
        await asyncio.sleep(0.1)
        assert dialog.is_open
        assert dialog.dialog.isVisible()
        assert till.core.cashier is None
        assert till.view.window.isVisible()
        till.press(Qt.Key.Key_T, ALT)  # "Close Tillcard"
        await eventually(lambda: not dialog.is_open)
        await eventually(lambda: not till.view.window.isVisible())
        assert till.core.cashier is None

    run(body())


def test_f12_signs_out_and_the_till_refuses_scans_until_the_next_sign_in(
    make_till: MakeTill, run: Run
) -> None:
    till = make_till()

    async def body() -> None:
        desk = open_desk(till, run, training=True)
        assert till.core.cashier == TRAINING_CASHIER  # training signs in by itself
        await till.look_up(MAIN_CARD)
        await till.shortcut(Qt.Key.Key_F12)
        dialog = await sign_in_dialog(till, desk)
        assert till.core.cashier is None
        assert till.view.terminal_label.text() == "till-1\nnobody signed in"
        assert dialog.status_label.text() == "Ana signed out."
        assert till.view.card_stack.currentWidget() is till.view.ready_page  # card cleared
        (out,) = till.core.audit.recent(action="signed_out")
        assert out.cashier == TRAINING_CASHIER
        await refused_scan(till)

        await type_sign_in(till, desk, "training manager", TRAINING_MANAGER_PIN)
        assert not dialog.is_open
        assert till.view.terminal_label.text() == "Training manager\nmanager"
        assert till.view.message.text() == "Signed in as Training manager (manager)."
        assert till.core.is_manager

    run(body())


def test_f12_waits_while_an_operation_dialog_is_open(make_till: MakeTill, run: Run) -> None:
    till = make_till()

    async def body() -> None:
        desk = open_desk(till, run, training=True)
        await till.look_up(MAIN_CARD)
        await till.shortcut(Qt.Key.Key_F2)
        amount = till.dialog_widget(QLineEdit, "amountInput")
        await till.activate(amount.window())
        desk.switch_cashier()  # F12 cannot even reach the window under the dialog
        assert till.core.cashier == TRAINING_CASHIER
        assert desk.sign_in_dialog is None
        assert till.view.message.text() == (
            "Finish or close the open window first (Esc), then press F12."
        )
        till.press(Qt.Key.Key_Escape)
        await till.shortcut(Qt.Key.Key_F12)
        await sign_in_dialog(till, desk)
        assert till.core.cashier is None

    run(body())


def test_a_cashier_needs_a_manager_pin_for_the_shift_report(make_till: MakeTill, run: Run) -> None:
    till = make_till()

    async def body() -> None:
        desk = open_desk(till, run, training=True)
        assert not till.core.is_manager
        await till.shortcut(Qt.Key.Key_F10)
        asked = await pin_dialog(desk)
        await till.activate(asked.dialog)
        assert "Ana is signed in as a cashier." in label(asked.dialog, "reasonsLabel")
        QTest.keyClicks(asked.pin_input, TRAINING_CASHIER_PIN)  # her own PIN is not enough
        till.press(Qt.Key.Key_Return)
        assert asked.status_label.text() == "Wrong PIN, 4 tries left"
        till.press(Qt.Key.Key_Escape)
        await eventually(lambda: desk.pin_dialog is None)
        assert desk.report_view is None

        await till.shortcut(Qt.Key.Key_F10)
        asked = await pin_dialog(desk)
        await till.activate(asked.dialog)
        QTest.keyClicks(asked.pin_input, TRAINING_MANAGER_PIN)
        till.press(Qt.Key.Key_Return)
        await eventually(lambda: desk.report_view is not None)
        report = desk.report_view
        assert report is not None
        assert report.is_open
        assert report.manager == TRAINING_MANAGER
        assert till.core.cashier == TRAINING_CASHIER  # the manager approved, Ana stays
        accepted = till.core.audit.recent(action="manager_pin_accepted")
        assert accepted[0].cashier == TRAINING_MANAGER
        await till.activate(report.dialog)
        till.press(Qt.Key.Key_Escape)
        assert not report.is_open
        await eventually(lambda: QApplication.focusWidget() is till.view.lookup_input)

    run(body())


def test_a_manager_opens_the_report_without_a_second_pin(make_till: MakeTill, run: Run) -> None:
    till = make_till()

    async def body() -> None:
        desk = open_desk(till, run, training=False)
        await type_sign_in(till, desk, TRAINING_MANAGER, TRAINING_MANAGER_PIN)
        await till.shortcut(Qt.Key.Key_F10)
        assert desk.pin_dialog is None
        assert desk.report_view is not None
        assert desk.report_view.is_open
        assert desk.report_view.manager == TRAINING_MANAGER

    run(body())


def test_without_staff_nobody_signs_in_and_f10_says_how_to_set_a_manager_up(
    make_till: MakeTill, run: Run
) -> None:
    till = make_till(training=False)  # a real install before anyone is set up

    async def body() -> None:
        desk = open_desk(till, run, training=False)
        assert desk.sign_in_dialog is None
        assert not till.screen.sign_in_required
        assert till.view.terminal_label.text() == "till-1\nnobody signed in"
        result = await till.look_up(MAIN_CARD)
        assert result.matches
        await till.shortcut(Qt.Key.Key_F12)
        assert desk.sign_in_dialog is None
        assert "pos-app staff add" in till.view.message.text()
        await till.shortcut(Qt.Key.Key_F10)
        asked = await pin_dialog(desk)
        await till.activate(asked.dialog)
        QTest.keyClicks(asked.pin_input, "1234")
        till.press(Qt.Key.Key_Return)
        assert asked.status_label.text() == (
            "No manager PIN is set up on this till (pos-app manager-pin NAME)"
        )
        assert desk.report_view is None
        till.press(Qt.Key.Key_Escape)
        await eventually(lambda: desk.pin_dialog is None)

    run(body())


def sign_in_showing() -> bool:
    return any(
        w.objectName() == "signInDialog" and w.isVisible() for w in QApplication.topLevelWidgets()
    )


def _setup(sandbox_server: tuple[str, Sandbox], data_dir: Path) -> gui_app.Setup:
    url, sandbox = sandbox_server
    seed = sandbox.seed_summary()
    return gui_app.Setup(sandbox_config(seed, url), sandbox_credentials(seed), data_dir)


def test_training_app_starts_signed_in_on_the_lookup_field(
    sandbox_server: tuple[str, Sandbox], run: Run, tmp_path: Path
) -> None:
    view = MainWindow("till-1", training=True)
    setup = _setup(sandbox_server, tmp_path / "training")

    async def body() -> None:
        painted = asyncio.Event()
        painted.set()
        app_run = asyncio.ensure_future(gui_app._run(view, lambda: setup, painted))
        await eventually(lambda: "Ana" in view.terminal_label.text())
        assert view.terminal_label.text() == "Ana\ncashier"
        assert view.message.text().startswith("Training: signed in as Ana (cashier). Shift ")
        assert view.message.text().endswith(
            "F12 switches cashier — Ana 1234, Training manager 0000."
        )
        assert QApplication.activeModalWidget() is None
        await eventually(lambda: QApplication.focusWidget() is view.lookup_input)
        view.window.close()
        assert await asyncio.wait_for(app_run, 10) == 0

    run(body())
    db_dir = tmp_path / "training"
    from pos_app.journal.audit_trail import AuditTrail
    from pos_app.journal.database import open_journal

    db = open_journal(db_dir)
    try:
        actions = [line.action for line in reversed(AuditTrail(db, "till-1").recent())]
    finally:
        db.close()
    assert actions[-3:] == ["shift_opened", "signed_in", "signed_out"]  # signed out on close


def test_closing_the_window_during_sign_in_ends_the_app_cleanly(
    sandbox_server: tuple[str, Sandbox], run: Run, tmp_path: Path
) -> None:
    data_dir = tmp_path / "till"
    # Someone set up on this till: the real app asks for a sign-in at start.
    from pos_app.journal.database import open_journal
    from pos_app.journal.staff import Staff
    from pos_app.manager_pin import hash_pin

    db = open_journal(data_dir)
    try:
        Staff(db).set_person("Bea", hash_pin("2468"), manager=False)
    finally:
        db.close()
    view = MainWindow("till-1", training=False)
    setup = _setup(sandbox_server, data_dir)

    async def body() -> None:
        painted = asyncio.Event()
        painted.set()
        app_run = asyncio.ensure_future(gui_app._run(view, lambda: setup, painted))
        await eventually(sign_in_showing)
        assert view.terminal_label.text() == "till-1\nnobody signed in"
        assert view.message.text() == "Till locked: sign in to continue."
        view.window.close()
        assert await asyncio.wait_for(app_run, 10) == 0
        assert not sign_in_showing()

    run(body())


def test_the_fullest_header_still_fits_the_till_screen_with_a_long_name(
    qapp: QApplication,
) -> None:
    """Every back-end listed, both counts showing, training badge: the name shows in full."""
    now = datetime.now(UTC)
    view = MainWindow("training-till", training=True)
    try:
        view.show_backends(
            [BackendStatus(p, Reachability.ONLINE, None, now, None) for p in Provider]
        )
        view.show_counts(QueueCounts(pending=128, needs_attention=12, last_sync=now))
        view.show_cashier(TRAINING_MANAGER, "manager")
        view.window.resize(1280, 800)
        view.window.show()
        qapp.processEvents()
        label = view.terminal_label
        assert label.text() == "Training manager\nmanager"
        assert view.window.minimumSizeHint().width() <= 1280
        assert view.window.width() <= 1280
        # Shown whole: the header gives the label at least the height its text needs.
        assert label.height() >= label.heightForWidth(label.width())
        view.show_cashier(None)
        assert view.terminal_label.text() == "training-till\nnobody signed in"
        assert view.terminal_label.accessibleName() == "Till training-till, nobody signed in"
    finally:
        view.window.close()
        view.window.deleteLater()
