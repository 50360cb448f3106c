"""The back office's Staff tab (Ctrl+5) on a real till and journal, driven from the keyboard."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from pos_app.gui.back_office import BackOfficeView
from pos_app.services.till import TRAINING_CASHIER, TRAINING_MANAGER
from tests.gui.conftest import MakeTill, Run, eventually
from tests.gui.counter import Counter
from tests.gui.test_back_office import office_desk

ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier
TRAINING_STAFF = [(TRAINING_CASHIER, "cashier"), (TRAINING_MANAGER, "manager")]


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def alt(key: Qt.Key) -> None:
    QTest.keyClick(focused(), key, ALT)


def type_text(text: str) -> None:
    QTest.keyClicks(focused(), text)


async def staff_tab(till: Counter, run: Run) -> BackOfficeView:
    office = office_desk(till, run).show(TRAINING_MANAGER)
    await till.activate(office.dialog)
    QTest.keyClick(office.dialog, Qt.Key.Key_5, CTRL)
    assert office.tabs.currentWidget().objectName() == "staffTab"
    assert office.staff.names() == TRAINING_STAFF
    return office


async def fill_and_save(name: str, pin: str, again: str, *, manager: bool = False) -> None:
    alt(Qt.Key.Key_N)
    QTest.keyClick(focused(), Qt.Key.Key_A, CTRL)
    type_text(name)
    alt(Qt.Key.Key_P)
    type_text(pin)
    alt(Qt.Key.Key_A)
    type_text(again)
    if manager:
        await tick_manager()
    QTest.keyClick(focused(), Qt.Key.Key_Return)


async def tick_manager() -> None:
    """Alt+M: a mnemonic animates the click, so the box is ticked a moment later."""
    alt(Qt.Key.Key_M)
    box = focused()
    assert box.objectName() == "staffManagerBox"
    await eventually(lambda: box.property("checked") is True)


def test_a_manager_adds_a_cashier_who_then_signs_in(make_till: MakeTill, run: Run) -> None:
    till = make_till(start=())

    async def body() -> None:
        office = await staff_tab(till, run)
        tab = office.staff
        await fill_and_save("Bea Lopez", "2468", "2468")
        await eventually(lambda: tab.label.property("tone") == "ok")
        assert tab.label.text() == "Bea Lopez may sign in on this till as cashier."
        assert tab.names() == sorted([("Bea Lopez", "cashier"), *TRAINING_STAFF])
        assert (tab.pin_input.text(), tab.pin_again_input.text(), tab.name_input.text()) == (
            "",
            "",
            "",
        )
        line = till.core.audit.recent(action="staff_set")[0]
        assert (line.cashier, line.detail) == (
            TRAINING_MANAGER,
            {"name": "Bea Lopez", "role": "cashier", "by": TRAINING_MANAGER},
        )
        assert till.core.sign_in("Bea Lopez", "2468").ok

    run(body())


def test_a_mistyped_pin_is_said_changes_nothing_and_is_not_kept(
    make_till: MakeTill, run: Run
) -> None:
    till = make_till(start=())

    async def body() -> None:
        office = await staff_tab(till, run)
        tab = office.staff
        await fill_and_save("Bo", "1357", "1375")
        await eventually(lambda: tab.label.property("tone") == "error")
        assert tab.label.text() == "The two PINs differ; nothing was changed"
        assert tab.names() == TRAINING_STAFF
        assert tab.name_input.text() == "Bo"  # the name stays for the retry
        assert (tab.pin_input.text(), tab.pin_again_input.text()) == ("", "")
        assert focused() is tab.pin_input
        assert till.core.audit.recent(action="staff_set") == []

    run(body())


def test_choosing_someone_gives_them_a_new_pin_or_removes_them(
    make_till: MakeTill, run: Run
) -> None:
    till = make_till(start=())

    async def body() -> None:
        office = await staff_tab(till, run)
        tab = office.staff
        alt(Qt.Key.Key_W)
        assert focused() is tab.table
        QTest.keyClick(tab.table, Qt.Key.Key_Home, CTRL)
        await eventually(lambda: tab.selected() == TRAINING_CASHIER)
        assert tab.name_input.text() == TRAINING_CASHIER
        assert not tab.manager_box.isChecked()
        # A promotion with a new PIN: the name is already in the form.
        alt(Qt.Key.Key_P)
        type_text("8642")
        QTest.keyClick(focused(), Qt.Key.Key_Return)  # Enter moves on to "PIN again"
        type_text("8642")
        QTest.keyClick(focused(), Qt.Key.Key_Tab)
        await tick_manager()
        QTest.keyClick(focused(), Qt.Key.Key_Return)  # Enter on the box saves too
        await eventually(lambda: tab.label.property("tone") == "ok")
        assert tab.label.text() == f"{TRAINING_CASHIER} has a new PIN and signs in as manager."
        assert tab.names() == [(TRAINING_CASHIER, "manager"), (TRAINING_MANAGER, "manager")]
        # The manager who is in the back office cannot remove themselves.
        assert focused() is tab.table  # after a save the list has the keyboard
        QTest.keyClick(tab.table, Qt.Key.Key_Down)
        await eventually(lambda: tab.selected() == TRAINING_CASHIER)
        QTest.keyClick(tab.table, Qt.Key.Key_Down)
        await eventually(lambda: tab.selected() == TRAINING_MANAGER)
        assert tab.manager_box.isChecked()  # choosing a manager fills the form as they are
        QTest.keyClick(tab.table, Qt.Key.Key_Delete)
        assert tab.label.property("tone") == "error"
        assert "cannot remove themselves" in tab.label.text()
        # Someone else can go; their past operations keep their name.
        QTest.keyClick(tab.table, Qt.Key.Key_Home, CTRL)
        await eventually(lambda: tab.selected() == TRAINING_CASHIER)
        QTest.keyClick(tab.table, Qt.Key.Key_Delete)
        assert tab.label.text().startswith(f"{TRAINING_CASHIER} can no longer sign in")
        assert tab.names() == [(TRAINING_MANAGER, "manager")]
        assert not till.core.sign_in(TRAINING_CASHIER, "8642").ok

    run(body())
