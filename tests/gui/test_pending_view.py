"""The "Pending and needs attention" view, from the keyboard only, against the emulators."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton, QWidget

from pos_app.gui.pending_view import PendingView
from pos_app.journal.pending_operations import EntryState
from pos_app.sandbox.state import Sandbox
from pos_app.services.till import TRAINING_MANAGER
from tests.gui.conftest import MakeTill, Run, eventually
from tests.gui.counter import Counter

ALT = Qt.KeyboardModifier.AltModifier


W = TypeVar("W", bound=QWidget)


def found(parent: QWidget, kind: type[W], name: str) -> W:
    widget = parent.findChild(kind, name)
    assert widget is not None, name
    return widget


def selected_key(view: PendingView) -> str | None:
    entry = view.selected()
    return None if entry is None else entry.key


def rows(view: PendingView) -> list[list[str]]:
    model = view.model
    return [
        [model.index(row, column).data() for column in range(model.columnCount())]
        for row in range(model.rowCount())
    ]


async def _go_offline_with_two_pending(till: Counter) -> tuple[Any, Any]:
    """A redemption and a stamp made during an outage: both PENDING, nothing sent."""
    gift = till.card(balance="100.00", status="active")
    ana = next(c for c in till.seed["leal"]["customers"] if c["id"] == 9001)["card_code"]
    await till.look_up(ana)
    await till.shortcut(Qt.Key.Key_Escape)
    await till.look_up(gift)
    till.faults("all", outage=True)
    await till.shortcut(Qt.Key.Key_F2)
    field = till.dialog_widget(QLineEdit, "amountInput")
    QTest.keyClicks(field, "10")
    redeem = await till.act(lambda: QTest.keyClick(field, Qt.Key.Key_Return))
    assert redeem.state == "pending", redeem.message
    till.press(Qt.Key.Key_Escape)
    await till.shortcut(Qt.Key.Key_Escape)
    await till.look_up(ana)  # from the card cache: the back-end is down
    await till.shortcut(Qt.Key.Key_F3)
    confirm = till.dialog_widget(QPushButton, "confirmButton")
    stamp = await till.act(lambda: QTest.keyClick(confirm, Qt.Key.Key_Return))
    assert stamp.state == "pending", stamp.message
    till.press(Qt.Key.Key_Escape)
    return redeem, stamp


def test_pending_view_retry_resolve_and_export_from_the_keyboard(
    make_till: MakeTill, sandbox_server: tuple[str, Sandbox], run: Run, tmp_path: Path
) -> None:
    # The engine waits 15-30 s after a failure, so only "Retry now" can send within the test.
    till = make_till(
        start=("engine",), config={"sync": {"first_retry_seconds": 30, "max_retry_seconds": 60}}
    )
    _, sandbox = sandbox_server

    async def body() -> None:
        redeem, stamp = await _go_offline_with_two_pending(till)
        number = till.card(balance="100.00", status="active")
        gift = next(c for c in sandbox.loyaltydog.cards if c.number == number)
        sandbox.loyaltydog.void(gift, reason="lost card", refund_reference=None)
        ops = till.core.operations
        for made in (redeem, stamp):  # each was tried once and is waiting out its back-off
            tried = lambda made=made: ops.get(made.reference).reason  # noqa: E731
            await eventually(tried, 5)
            assert ops.get(made.reference).state is EntryState.PENDING
        till.faults("all")  # back online, but the engine is still backing off

        await till.shortcut(Qt.Key.Key_F9)
        view = till.screen.pending_view
        assert view is not None
        await till.activate(view.dialog)
        assert QApplication.focusWidget() is view.table
        leal = till.core.operations.get(stamp.reference).masked
        assert [row[:4] for row in rows(view)] == [
            ["just now", f"Leal {leal}", "+1 stamp", "PENDING"],
            ["just now", f"LoyaltyDog •••• {number[-4:]}", "-$ 10.00", "PENDING"],
        ]
        assert all(row[4] for row in rows(view))  # the back-end's reason for each
        assert view.summary_label.text() == "2 pending · 0 need attention"
        assert selected_key(view) == stamp.reference  # newest first, selected
        assert view.retry_button.isEnabled()
        assert not view.resolve_button.isEnabled()

        # Export what the list shows.
        till.press(Qt.Key.Key_E, ALT)
        await eventually(lambda: view.file_dialog is not None and view.file_dialog.isVisible())
        target = tmp_path / "pending.csv"
        chooser = view.file_dialog
        assert chooser is not None
        await till.activate(chooser)
        name = found(chooser, QLineEdit, "fileNameEdit")
        assert QApplication.focusWidget() is name
        name.selectAll()
        QTest.keyClicks(name, str(target))
        till.press(Qt.Key.Key_Return)
        await eventually(lambda: target.exists())
        with target.open(newline="", encoding="utf-8") as saved:
            lines = list(csv.DictReader(saved))
        assert [(r["reference"], r["state"], r["provider"], r["kind"]) for r in lines] == [
            (stamp.reference, "pending", "leal", "stamp"),
            (redeem.reference, "pending", "loyaltydog", "redeem"),
        ]
        assert (lines[1]["amount"], lines[1]["currency"], lines[1]["units"]) == ("10.00", "USD", "")
        assert (lines[0]["amount"], lines[0]["units"]) == ("", "1")
        assert lines[1]["card"] == f"•••• {number[-4:]}"
        assert number not in target.read_text(encoding="utf-8")
        assert list(lines[0]) == [
            "reference", "created", "state", "provider", "kind", "card",
            "amount", "currency", "units", "reason", "note",
        ]  # fmt: skip
        assert "Saved 2 operations" in view.status_label.text()

        # Retry the redemption now: the card was voided meanwhile, so it needs attention.
        await till.activate(view.dialog)
        view.table.setFocus()
        till.press(Qt.Key.Key_Down)
        assert selected_key(view) == redeem.reference
        till.press(Qt.Key.Key_R, ALT)
        await eventually(lambda: ops.get(redeem.reference).state is EntryState.NEEDS_ATTENTION, 5)
        await eventually(lambda: rows(view)[1][3] == "NEEDS ATTENTION")
        assert "voided" in rows(view)[1][4]
        assert selected_key(view) == redeem.reference  # kept across the live reload
        assert not view.retry_button.isEnabled()
        assert view.resolve_button.isEnabled()
        await eventually(lambda: "1 NEEDS ATTENTION" in till.view.pending_indicator.text())
        assert till.view.message.text().startswith("NEEDS ATTENTION: ")

        # Retry the stamp now: it goes through and leaves the list.
        till.press(Qt.Key.Key_Up)
        assert selected_key(view) == stamp.reference
        till.press(Qt.Key.Key_R, ALT)
        await eventually(lambda: ops.get(stamp.reference).state is EntryState.DONE, 5)
        await eventually(lambda: len(rows(view)) == 1)
        assert [e["operation"] for e in till.ledger()] == ["stamp"]  # the redemption never applied

        # Resolve the redemption: a note and the manager's PIN.
        assert selected_key(view) == redeem.reference
        till.press(Qt.Key.Key_S, ALT)
        pin_dialog = await _pin_dialog(view)
        await till.activate(pin_dialog)
        note = found(pin_dialog, QLineEdit, "noteInput")
        pin = found(pin_dialog, QLineEdit, "pinInput")
        assert QApplication.focusWidget() is note
        QTest.keyClicks(note, "0000")  # typed into the note by mistake: no PIN yet
        till.press(Qt.Key.Key_Return)
        assert QApplication.focusWidget() is pin
        note.clear()
        till.press(Qt.Key.Key_Return)
        assert QApplication.focusWidget() is note
        QTest.keyClicks(note, "Customer paid $10 cash")
        till.press(Qt.Key.Key_Tab)
        assert QApplication.focusWidget() is pin
        QTest.keyClicks(pin, "0000")
        till.press(Qt.Key.Key_Return)
        await eventually(lambda: ops.get(redeem.reference).state is EntryState.RESOLVED)
        assert ops.get(redeem.reference).note == f"Customer paid $10 cash ({TRAINING_MANAGER})"
        await eventually(lambda: rows(view) == [])
        assert view.summary_label.text() == "Nothing waiting"
        assert view.status_label.text().startswith(f"Resolved by {TRAINING_MANAGER}")
        (audit,) = till.core.audit.recent(action="resolve")
        assert audit.cashier == TRAINING_MANAGER
        assert audit.result == "resolved"
        assert audit.detail["reference"] == redeem.reference
        assert audit.detail["note"] == "Customer paid $10 cash"
        await eventually(lambda: till.view.pending_indicator.text() == "F9  All synced")

        await till.activate(view.dialog)
        till.press(Qt.Key.Key_Escape)
        assert not view.is_open
        await eventually(lambda: QApplication.focusWidget() is till.view.lookup_input)

    run(body())


async def _pin_dialog(view: PendingView) -> QWidget:
    """The manager PIN dialog, opened on top of the view."""
    hits: list[QWidget] = []

    def search() -> bool:
        hits[:] = [
            button.window()
            for button in view.dialog.findChildren(QPushButton, "confirmButton")
            if button.window().objectName() == "managerPinDialog" and button.window().isVisible()
        ]
        return bool(hits)

    await eventually(search)
    return hits[0]


def test_f9_button_in_the_header_opens_the_view(till: Counter, run: Run) -> None:
    async def body() -> None:
        await eventually(lambda: till.view.pending_indicator.isVisible())
        assert till.view.pending_indicator.text() == "F9  All synced"
        QTest.mouseClick(till.view.pending_indicator, Qt.MouseButton.LeftButton)
        view = till.screen.pending_view
        assert view is not None
        assert view.is_open
        assert rows(view) == []
        assert not view.export_button.isEnabled()
        assert view.summary_label.text() == "Nothing waiting"
        view.close()

    run(body())
