"""Receipts at the counter: scanning a receipt opens its operation, undo from there, Ctrl+P.

Real window, real journal in tmp_path, the emulators over HTTP; the undo's refund is checked
in the emulators' ledger, so a second refund of one redemption would show there.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit

from pos_app.domain import Provider
from pos_app.domain.receipts import receipt_code
from pos_app.gui.operation_view import OperationView
from pos_app.journal.pending_operations import EntryState, utc_now
from pos_app.services.till import TRAINING_MANAGER_PIN
from tests.gui.conftest import MakeTill, Run, eventually
from tests.gui.counter import Counter
from tests.printing.pdf_reading import only_page
from tests.tills import MAIN_CARD, find, usd


async def _redeemed(till: Counter, amount: str = "10.00") -> str:
    """A confirmed LoyaltyDog redemption made through the till's own actions; its reference."""
    match = await find(till.core, MAIN_CARD, Provider.LOYALTYDOG)
    result = await till.screen.actions.redeem(match, usd(amount))
    assert result.ok, result.message
    assert result.reference is not None
    return result.reference


async def _open_receipt(till: Counter, reference: str) -> OperationView:
    await till.scan(receipt_code(reference))
    await eventually(lambda: till.screen.receipts.operation_view is not None)
    view = till.screen.receipts.operation_view
    assert view is not None
    assert view.is_open
    return view


def _text(view: OperationView, name: str) -> str:
    label = view.dialog.findChild(QLabel, name)
    assert label is not None
    return str(label.text())


def _refunds(till: Counter) -> list[dict[str, Any]]:
    return [e for e in till.ledger() if e["operation"] == "refund"]


def test_a_scanned_receipt_opens_its_operation_and_undoes_it_once(till: Counter, run: Run) -> None:
    async def body() -> None:
        reference = await _redeemed(till, "12.50")
        view = await _open_receipt(till, reference)
        assert _text(view, "stateLabel").startswith("Done: confirmed by LoyaltyDog")
        assert reference in _text(view, "detailsLabel")
        assert "$ 12.50" in _text(view, "undoLabel")
        assert view.undo_possible
        # The scanner's Enter landed on Close's side: Cancel has the focus, not Undo.
        assert QApplication.focusWidget() is view.cancel_button

        QTest.keyClick(view.dialog, Qt.Key.Key_F8)
        await eventually(lambda: len(_refunds(till)) == 1, 15)
        await eventually(lambda: "Undone" in _text(view, "statusLabel"))
        refund = _refunds(till)[0]
        assert refund["amount"] == "12.50"
        undo = till.core.operations.undos_of(reference)
        assert [u.state for u in undo] == [EntryState.DONE]
        # The new receipt is on screen: the undo's own.
        await eventually(lambda: till.screen.receipts.preview is not None)
        preview = till.screen.receipts.preview
        assert preview.is_open
        preview.close()
        view.close()

        again = await _open_receipt(till, reference)
        assert not again.undo_possible
        assert "Already undone" in _text(again, "undoLabel")
        QTest.keyClick(again.dialog, Qt.Key.Key_F8)  # nothing happens: there is no undo
        assert again.is_open
        again.close()
        assert len(_refunds(till)) == 1

    run(body())


def test_f8_after_a_receipt_undo_refuses_a_second_refund(till: Counter, run: Run) -> None:
    async def body() -> None:
        match = await find(till.core, MAIN_CARD, Provider.LOYALTYDOG)
        till.view.add_results([match])
        await eventually(lambda: till.view.selected_match() is not None)
        result = await till.act(
            lambda: till.screen._act(None, till.screen.actions.redeem(match, usd("5.00")))
        )
        assert result.ok
        assert till.screen._undo is not None
        view = await _open_receipt(till, result.reference)
        QTest.keyClick(view.dialog, Qt.Key.Key_F8)
        await eventually(lambda: len(_refunds(till)) == 1, 15)
        await eventually(lambda: till.screen.receipts.preview is not None)
        till.screen.receipts.preview.close()
        view.close()
        # The counter still holds the last redemption's undo ticket; F8 must not refund twice.
        second = await till.screen.actions.undo(till.screen._undo)
        assert second.state == "rejected"
        assert "Already undone" in second.message
        assert len(_refunds(till)) == 1

    run(body())


def test_a_late_undo_needs_a_manager(till: Counter, run: Run) -> None:
    async def body() -> None:
        reference = await _redeemed(till, "7.00")
        # Age the redemption past the cashier's window by writing its time in the journal:
        # waiting 30 real minutes is not possible in a test.
        old = (utc_now() - timedelta(minutes=45)).isoformat(timespec="microseconds")
        db: sqlite3.Connection = till.core.db
        with db:
            db.execute("UPDATE operations SET created_at = ? WHERE key = ?", (old, reference))
        view = await _open_receipt(till, reference)
        assert "manager's PIN" in _text(view, "undoLabel")
        QTest.keyClick(view.dialog, Qt.Key.Key_F8)
        await eventually(lambda: _pin_dialog() is not None)
        pin = _pin_dialog()
        assert pin is not None
        QTest.keyClicks(pin, TRAINING_MANAGER_PIN)
        QTest.keyClick(pin, Qt.Key.Key_Return)
        await eventually(lambda: len(_refunds(till)) == 1, 15)
        lines = till.core.audit.recent(5, "manager_override")
        assert lines
        assert lines[0].detail["reference"] == reference
        await eventually(lambda: till.screen.receipts.preview is not None)
        till.screen.receipts.preview.close()
        view.close()

    run(body())


def _pin_dialog() -> QLineEdit | None:
    for widget in QApplication.topLevelWidgets():
        if widget.isVisible():
            found = widget.findChild(QLineEdit, "pinInput")
            if found is not None and found.isVisible():
                return found
    return None


def test_a_stamp_receipt_opens_without_undo(till: Counter, run: Run) -> None:
    async def body() -> None:
        card = next(c for c in till.seed["leal"]["customers"] if c["id"] == 9001)["card_code"]
        match = await find(till.core, str(card), Provider.LEAL)
        result = await till.screen.actions.add_stamps(match, 2)
        assert result.ok
        assert result.reference
        view = await _open_receipt(till, result.reference)
        assert not view.undo_possible
        assert _text(view, "undoLabel").startswith("No undo: Leal has no undo")
        view.close()

    run(body())


def test_an_unknown_receipt_says_so_and_looks_nothing_up(till: Counter, run: Run) -> None:
    async def body() -> None:
        results: list[Any] = []
        till.screen.lookupFinished.connect(results.append)
        await till.scan("TC0123456789AB")
        await eventually(lambda: "not in this till's journal" in till.view.message.text())
        assert till.screen.receipts.operation_view is None
        assert results == []
        assert till.view.lookup_input.text() == ""

    run(body())


def test_ctrl_p_reprints_the_last_receipt_and_counts_copies(till: Counter, run: Run) -> None:
    async def body() -> None:
        await till.activate(till.view.window)
        QTest.keyClick(till.view.window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
        assert "No receipt to print yet" in till.view.message.text()
        reference = await _redeemed(till, "3.00")
        QTest.keyClick(till.view.window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
        preview = till.screen.receipts.preview
        assert preview is not None
        assert preview.is_open
        preview.save_pdf(till.core.data_dir / "copy.pdf")
        assert (till.core.data_dir / "copy.pdf").stat().st_size > 1000
        rows = till.core.db.execute(
            "SELECT how FROM receipt_prints WHERE reference = ?", (reference,)
        ).fetchall()
        assert rows == [("pdf",)]
        assert receipt_code(reference) in till.view.message.text()
        preview.close()

    run(body())


def test_signed_out_the_counter_takes_no_scan(till: Counter, run: Run) -> None:
    async def body() -> None:
        till.screen.sign_in_required = True
        till.core.cashier = None
        results: list[Any] = []
        till.screen.lookupFinished.connect(results.append)
        await till.scan(MAIN_CARD)
        await eventually(lambda: "Sign in first" in till.view.message.text())
        assert results == []
        till.core.cashier = "Ana"
        result = await till.look_up(MAIN_CARD)
        assert result.matches

    run(body())


def test_printing_after_each_operation_says_when_there_is_no_printer(
    make_till: MakeTill, run: Run
) -> None:
    """This machine has no printer installed: a real condition, the one a new till meets."""
    till = make_till(config={"receipts": {"print_after_operation": True}})

    async def body() -> None:
        match = await find(till.core, MAIN_CARD, Provider.LOYALTYDOG)
        result = await till.act(
            lambda: till.screen._act(None, till.screen.actions.redeem(match, usd("2.00")))
        )
        assert result.ok, result.message
        shown = till.view.message.text()
        assert shown.startswith("Redeemed $ 2.00.")  # the operation's own answer stays first
        assert "The receipt did not print: No printer is set up" in shown
        assert "Ctrl+P shows it again." in shown
        printed = till.core.db.execute("SELECT COUNT(*) FROM receipt_prints").fetchone()
        assert printed == (0,)  # nothing was printed, so no copy was counted

    run(body())


def test_f7_prints_the_shown_cards_label_with_its_full_number(till: Counter, run: Run) -> None:
    async def body() -> None:
        await till.shortcut(Qt.Key.Key_F7)
        assert "Look a card up first" in till.view.message.text()
        await till.look_up(MAIN_CARD)
        await till.shortcut(Qt.Key.Key_F7)
        preview = till.screen.receipts.preview
        assert preview is not None
        assert preview.is_open
        assert preview.dialog.windowTitle() == "Card label •••• 7608"
        path = till.core.data_dir / "label.pdf"
        preview.save_pdf(path)
        assert MAIN_CARD in only_page(path).letters  # the label is the card itself
        (line,) = till.core.audit.recent(1, "card_label_printed")
        assert line.detail == {"card": "•••• 7608", "provider": "loyaltydog", "how": "pdf"}
        preview.close()

        leal = next(c for c in till.seed["leal"]["customers"] if c["id"] == 9001)["card_code"]
        await till.look_up(str(leal))
        await till.shortcut(Qt.Key.Key_F7)
        assert "Leal does not give Tillcard this card's number" in till.view.message.text()
        assert not till.screen.receipts.preview.is_open

    run(body())
