"""Receipts at the counter: reprint (Ctrl+P), a scanned receipt's operation, its undo, labels.

Every receipt comes from the journal (``services.receipts``), so what the preview shows is what
``pos-app receipt`` renders. Each print is counted: a reprint says which copy it is. An undo
started from a receipt goes through the same ``CardActions.undo`` as F8, after the checks of
``services.past_operations`` (never twice; a manager's PIN when it is late), and ends with the
new receipt on screen.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from pos_app.domain import CampaignBalance, GiftCard
from pos_app.domain.receipts import receipt_code
from pos_app.gui.main_window import MainWindow
from pos_app.gui.manager_approval import ask_manager
from pos_app.gui.operation_view import OperationView
from pos_app.journal.pending_operations import Entry
from pos_app.services.card_actions import ActionResult, CardActions
from pos_app.services.lookup import Match
from pos_app.services.past_operations import check_undo
from pos_app.services.receipts import last_receipt, receipt_for, record_print
from pos_app.services.till import Till

log = logging.getLogger(__name__)

__all__ = ["ReceiptDesk", "label_number"]

Spawn = Callable[[Coroutine[Any, Any, Any]], "asyncio.Task[Any]"]


def label_number(match: Match) -> str | None:
    """The number a card label carries: the card itself, so the one place it is printed whole."""
    subject = match.subject
    if isinstance(subject, GiftCard):
        return subject.number
    if isinstance(subject, CampaignBalance):
        return subject.card_number or subject.customer_code
    return None


class ReceiptDesk(QObject):
    """One per window. ``opened`` tells the counter screen which dialog is on top (Esc, scans)."""

    opened = Signal(object)  # the dialog wrapper now on top
    undone = Signal(object)  # ActionResult of an undo started from a receipt

    def __init__(self, view: MainWindow, till: Till, actions: CardActions, spawn: Spawn) -> None:
        super().__init__(view.window)
        self.view = view
        self.till = till
        self.actions = actions
        self.spawn = spawn
        self.preview: Any = None
        self.operation_view: OperationView | None = None

    @property
    def _separator(self) -> str:
        return self.till.config.terminal.decimal_separator

    # -- printing ----------------------------------------------------------------------------

    def preview_receipt(self, entry: Entry, parent: QWidget | None = None) -> None:
        """The print preview of one operation's receipt; every print or PDF counts a copy."""
        from pos_app.printing.receipt_print import paint_receipt

        till = self.till

        def paint(printer: Any, paper: Any) -> None:
            paint_receipt(printer, receipt_for(till, entry), paper)

        def printed(how: str) -> None:
            record_print(till, receipt_for(till, entry), how)
            self.view.show_message(f"Receipt {receipt_code(entry.key)} printed ({how}).", "ok")

        self._preview(
            parent or self.view.window,
            f"Receipt {receipt_code(entry.key)} — {entry.description}",
            paint,
            f"receipt-{receipt_code(entry.key)}.pdf",
            printed,
        )

    def _preview(
        self,
        parent: QWidget,
        title: str,
        paint: Callable[[Any, Any], None],
        pdf_name: str,
        printed: Callable[[str], None],
    ) -> None:
        """The till's paper and printer, and the counter told which dialog is on top."""
        from pos_app.gui.print_preview import PrintPreview

        receipts = self.till.config.receipts
        preview = PrintPreview(
            parent,
            title=title,
            paint=paint,
            paper=receipts.paper,
            pdf_name=pdf_name,
            printer_name=receipts.printer,
            on_printed=printed,
        )
        self.preview = preview
        preview.open()
        self.opened.emit(preview)

    def reprint_last(self) -> None:
        """Ctrl+P on the counter: the newest receipt of this till."""
        entry = last_receipt(self.till)
        if entry is None:
            self.view.show_message("No receipt to print yet: this till has made no operation.")
            return
        self.preview_receipt(entry)

    def print_after(self, result: ActionResult) -> str | None:
        """``[receipts] print_after_operation``: straight to the printer, no preview.

        Returns what went wrong, for the screen to add to the operation's own message.
        """
        if not self.till.config.receipts.print_after_operation or result.reference is None:
            return None
        if not (result.ok or result.pending):
            return None
        from pos_app.printing.receipt_print import print_receipt

        entry = self.till.operations.get(result.reference)
        slip = receipt_for(self.till, entry)
        config = self.till.config.receipts
        problem = print_receipt(slip, config.paper, config.printer)
        if problem is not None:
            return f"The receipt did not print: {problem} Ctrl+P shows it again."
        record_print(self.till, slip, config.printer or "default printer")
        return None

    def print_label(self, match: Match | None) -> None:
        """F7: a new label for a card issued or replaced (its barcode is the card number)."""
        if match is None:
            self.view.show_message("Look a card up first, then F7 prints its label.", "warn")
            return
        number = label_number(match)
        if number is None:
            self.view.show_message(
                f"{match.provider.label} does not give Tillcard this card's number; print its "
                "label from the back office.",
                "warn",
            )
            return
        from pos_app.printing.card_labels import CardLabel, paint_label

        label = CardLabel(
            shop_name=self.till.config.terminal.shop_name,
            backend=match.provider.label,
            card_number=number,
            holder=match.holder,
        )
        till = self.till

        def printed(how: str) -> None:
            till.audit.record(
                "card_label_printed",
                {"card": match.masked_number, "provider": match.provider.value, "how": how},
                cashier=till.cashier,
            )
            self.view.show_message(f"Card label for {match.masked_number} printed ({how}).", "ok")

        self._preview(
            self.view.window,
            f"Card label {match.masked_number}",
            lambda printer, _paper: paint_label(printer, label),
            f"card-label-{match.masked_number[-4:]}.pdf",
            printed,
        )

    # -- a scanned receipt -------------------------------------------------------------------

    def open_operation(self, entry: Entry) -> OperationView:
        check = check_undo(self.till, entry)
        view = OperationView(self.view.window, entry, check, separator=self._separator)
        view.reprintRequested.connect(lambda: self.preview_receipt(view.entry, view.dialog))
        view.undoRequested.connect(lambda: self.spawn(self._undo(view)))
        self.operation_view = view
        view.open()
        self.opened.emit(view)
        return view

    async def _undo(self, view: OperationView) -> None:
        till = self.till
        check = check_undo(till, view.entry)  # again: the journal may have moved meanwhile
        if not check.allowed or check.ticket is None:
            view.finish_error(f"No undo: {check.reason}")
            return
        if check.needs_manager:
            approval = await ask_manager(
                view.dialog,
                till.verify_manager,
                title="Manager approval needed",
                reasons=(check.reason,),
                confirm_label="Allow the undo",
            )
            if approval is None:
                view.finish_error("No manager approved the undo; nothing was changed.")
                return
            till.audit.record(
                "manager_override",
                {"reference": view.entry.key, "reasons": [check.reason], "undo": True},
                "approved",
                cashier=approval.manager,
            )
        result = await self.actions.undo(check.ticket)
        text = result.message
        if result.ok:
            view.finish_ok(f"{text} The new receipt is on screen.")
        elif result.pending:
            view.finish_pending(text)
        else:
            view.finish_error(text)
        self.undone.emit(result)
        if (result.ok or result.pending) and result.reference is not None:
            self.preview_receipt(till.operations.get(result.reference), view.dialog)
