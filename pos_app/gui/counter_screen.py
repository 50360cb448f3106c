"""The cashier screen's controller: keys, scans and clicks become service calls.

Anki's operations pattern, small: each action runs as an asyncio task on the qasync loop, shows
progress while in flight, refuses to start twice, and ends in one cashier sentence. No business
rule lives here; the services and the domain decide, this module only sequences the screen.

Every change of value goes through the till's journal (``CardActions(till)``). An operation the
back-end has not confirmed yet ends PENDING: amber, in words, with its short reference, and the
card shows the figure it will have once synced. When the offline policy needs a manager, the
PIN dialog opens on top of the operation's dialog. The header follows the sync engine and the
connectivity monitor through :class:`~pos_app.gui.till_status.TillStatus`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QTreeWidgetItem

from pos_app.domain import CampaignBalance, GiftCard, Money, Provider
from pos_app.domain.policy import OfflineDecision
from pos_app.domain.receipts import names_an_operation
from pos_app.gui.dialogs import (
    ConfirmDialog,
    ManagerPinDialog,
    RedeemDialog,
    RewardDialog,
    StampsDialog,
)
from pos_app.gui.history_model import HistoryModel, prepare_history_view
from pos_app.gui.main_window import MainWindow
from pos_app.gui.manager_approval import ask_manager
from pos_app.gui.pending_view import PendingView
from pos_app.gui.queue_text import pending_preview, short_ref
from pos_app.gui.receipt_desk import ReceiptDesk
from pos_app.gui.till_status import TillStatus
from pos_app.journal.pending_operations import Entry, EntryState
from pos_app.providers.errors import BackendError
from pos_app.scanner import ScannerInput
from pos_app.services.card_actions import ActionResult, CardActions, UndoTicket
from pos_app.services.delivery import card_key
from pos_app.services.lookup import LookupInputError, LookupResult, Match, lookup
from pos_app.services.receipts import find_operation
from pos_app.services.till import Till

log = logging.getLogger(__name__)

RESULT_TONE = {"done": "ok", "pending": "pending", "rejected": "bad", "needs_attention": "bad"}
PENDING_BANNER = "PENDING — will sync"
#: After the sync engine finishes an operation on the shown card, wait this long for more.
REREAD_DELAY_MS = 300


class CounterScreen(QObject):
    """Wires the main window to lookup and card actions; one instance per window."""

    lookupFinished = Signal(object)  # LookupResult, for tests and automation
    actionFinished = Signal(object)  # ActionResult

    def __init__(
        self, view: MainWindow, till: Till, *, scanner: ScannerInput | None = None
    ) -> None:
        super().__init__(view.window)
        self.view = view
        self.till = till
        self.backends = till.backends
        self.actions = CardActions(till)
        self.config = config = till.config
        self.separator = config.terminal.decimal_separator
        self.scanner = scanner
        self.history = HistoryModel(None, parent=view.window, decimal_separator=self.separator)
        self.history.loadFailed.connect(
            lambda text: view.show_message(f"History could not be loaded: {text}", "warn")
        )
        prepare_history_view(view.history_table)
        view.history_table.setModel(self.history)
        view.size_history_columns()
        self.points_history = QStandardItemModel(0, 4, view.window)
        self.points_history.setHorizontalHeaderLabels(["Date", "Type", "Amount", "Reference"])
        self._tasks: set[asyncio.Task[Any]] = set()
        self._lookup_code: str | None = None
        # Which lookup the screen is showing: a newer scan (or Esc) makes an older one stale,
        # and a slow back-end's late answer must never land on the next customer's screen.
        self._lookup_serial = 0
        self._acting = False
        self._undo: UndoTicket | None = None
        self._dialog: Any = None
        self.pending_view: PendingView | None = None
        self.pin_dialog: ManagerPinDialog | None = None
        #: Set by the shift desk when staff exist: nothing is scanned or done while signed out.
        self.sign_in_required = False
        self._promised: set[str] = set()  # references this screen told the cashier were PENDING
        # A reconnect finishes a card's pending operations in a burst: re-read it once after.
        self._reread_timer = QTimer(self)
        self._reread_timer.setSingleShot(True)
        self._reread_timer.setInterval(REREAD_DELAY_MS)
        self._reread_timer.timeout.connect(self._reread_shown)
        self.status = TillStatus(till, view.window)
        self.status.backendChanged.connect(lambda _status: self._show_backends())
        self.status.countsChanged.connect(view.show_counts)
        self.status.entryChanged.connect(self._on_entry)
        self.receipts = ReceiptDesk(view, till, self.actions, self.spawn)
        self.receipts.opened.connect(self._on_receipt_dialog)
        self.receipts.undone.connect(lambda _result: self.status.changed())
        self._show_backends()
        view.show_counts(self.status.refresh())
        self._wire()

    # -- wiring -------------------------------------------------------------------------------

    def _wire(self) -> None:
        view = self.view
        view.lookup_input.returnPressed.connect(self._on_lookup_entered)
        view.find_button.clicked.connect(self._on_lookup_entered)
        view.result_list.currentItemChanged.connect(lambda *_: self._show_selected())
        view.result_list.itemActivated.connect(lambda *_: self._show_selected())
        view.training_cards.itemActivated.connect(self._on_training_card)
        view.training_cards.itemDoubleClicked.connect(self._on_training_card)
        view.pending_indicator.clicked.connect(self.open_pending)
        handlers = {
            "redeem": self.open_redeem,
            "stamp": self.open_stamps,
            "reward": self.open_reward,
            "refresh": self.refresh,
            "undo": self.open_undo,
        }
        for name, button in view.buttons.items():
            button.clicked.connect(handlers[name])
        keys = {
            "F2": self.open_redeem,
            "F3": self.open_stamps,
            "F4": self.open_reward,
            "F5": self.refresh,
            "F8": self.open_undo,
            "F9": self.open_pending,
            "F7": self.print_label,
            "Ctrl+P": self.reprint_last,
            "Escape": self.clear_for_next_customer,
            "Ctrl+L": self.focus_lookup,
        }
        for key, handler in keys.items():
            shortcut = QShortcut(QKeySequence(key), view.window)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(handler)
        if self.scanner is not None:
            self.scanner.scanned.connect(self.on_scanned)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run a coroutine on the Qt loop; a crash becomes a calm message, never a traceback."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)

        def done(finished: asyncio.Task[Any]) -> None:
            self._tasks.discard(finished)
            if not finished.cancelled() and finished.exception() is not None:
                log.error("screen task failed", exc_info=finished.exception())
                self.view.show_message(
                    "Something went wrong; nothing was lost. Please try again.", "bad"
                )

        task.add_done_callback(done)
        return task

    def _show_backends(self) -> None:
        self.view.show_backends(self.till.monitor.statuses())

    def _report(self, provider: Provider, ok: bool, reason: str | None = None) -> None:
        """A lookup is real traffic: tell the connectivity monitor what it saw."""
        try:
            if ok:
                self.till.monitor.report_ok(provider)
            else:
                self.till.monitor.report_failure(provider, reason or "not reachable")
        except KeyError:  # a back-end the monitor does not watch (not enabled)
            return
        self._show_backends()

    # -- finding a card -----------------------------------------------------------------------

    def focus_lookup(self) -> None:
        self.view.lookup_input.setFocus()
        self.view.lookup_input.selectAll()

    def _dialog_open(self) -> bool:
        """A dialog (or a receipt's view under a print preview) is on top of the counter."""
        return any(
            d is not None and d.is_open
            for d in (self._dialog, self.receipts.operation_view, self.receipts.preview)
        )

    def _signed_out(self) -> bool:
        if self.sign_in_required and self.till.cashier is None:
            self.view.show_message("Sign in first (F12).", "warn")
            return True
        return False

    def _on_receipt_dialog(self, dialog: Any) -> None:
        dialog.dialog.finished.connect(self._after_dialog)

    def on_scanned(self, code: str) -> None:
        if self._signed_out():
            return
        if self._dialog_open():
            self.view.show_message(
                "A card was scanned while a dialog is open; it was ignored. "
                "Close the dialog (Esc) and scan again.",
                "warn",
            )
            return
        self.view.lookup_input.setText(code)
        self.start_lookup(code)

    def _on_lookup_entered(self) -> None:
        self.start_lookup(self.view.lookup_input.text())

    def _on_training_card(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        code = self.view.training_code(item)
        if code:
            self.view.lookup_input.setText(code)
            self.start_lookup(code)

    def start_lookup(self, code: str) -> None:
        code = code.strip()
        if self._signed_out() or self._dialog_open():
            return
        if code == self._lookup_code:
            return  # a second Enter while the same lookup runs sends nothing twice
        if names_an_operation(code):
            self._open_receipt(code)
            return
        self.spawn(self._lookup(code))

    def _open_receipt(self, code: str) -> None:
        """A receipt's barcode: open its operation instead of looking for a card."""
        entry = find_operation(self.till, code)
        self.view.lookup_input.clear()
        if entry is None:
            self.view.show_message(
                f"Receipt {code.upper()} is not in this till's journal: it was printed by "
                "another till, or the code was misread. Scan it again or ask a manager.",
                "warn",
            )
            return
        self.view.show_message(f"Receipt {code.upper()}: {entry.description}.", "info")
        self.receipts.open_operation(entry)

    def reprint_last(self) -> None:
        """Ctrl+P: the newest receipt of this till, in the print preview."""
        if self._acting or self._dialog_open() or self._signed_out():
            return
        self.receipts.reprint_last()

    def print_label(self) -> None:
        """F7: a label for the shown card (a card issued or replaced at the counter)."""
        if self._acting or self._dialog_open() or self._signed_out():
            return
        shown = self.view.card_stack.currentWidget() is self.view.card_panel
        self.receipts.print_label(self.view.selected_match() if shown else None)

    async def _lookup(self, code: str) -> None:
        view = self.view
        self._lookup_serial += 1
        serial = self._lookup_serial
        self._lookup_code = code
        view.result_list.clear()
        view.card_stack.setCurrentWidget(view.ready_page)
        view.set_actions(set())
        names = ", ".join(Provider(b.provider).label for b in self.backends.enabled())
        view.show_message(f"Searching {names} …", "busy")
        try:
            result = await lookup(
                code,
                self.backends,
                on_result=lambda provider, outcome: self._on_partial(provider, outcome, serial),
                memory=self.till.cards,
            )
        except LookupInputError as exc:
            view.show_message(str(exc), "bad")
            return
        finally:
            if serial == self._lookup_serial:
                self._lookup_code = None
        if serial != self._lookup_serial:
            return  # the cashier has moved on: this answer is about someone else's card
        self._finish_lookup(result)
        self.lookupFinished.emit(result)

    def _on_partial(
        self, provider: Provider, outcome: list[Match] | BackendError, serial: int
    ) -> None:
        if isinstance(outcome, BackendError):
            self._report(provider, not outcome.retry_safe, outcome.message)
            return
        if any(m.stale_seconds is not None for m in outcome):
            # The lookup service answered from the card cache: the back-end was not reachable.
            self._report(provider, False, f"{provider.label} cannot be reached")
        else:
            self._report(provider, True)
        if serial != self._lookup_serial:
            return
        first = self.view.result_list.count() == 0
        self.view.add_results(outcome)
        if first and outcome:
            self._show_selected()

    def _finish_lookup(self, result: LookupResult) -> None:
        view = self.view
        count = len(result.matches)
        problems = " ".join(f"{p.label}: {m}" for p, m in result.errors.items())
        if count == 0:
            view.show_message(result.summary(), "bad")
            view.lookup_input.selectAll()
            return
        if count == 1:
            text = "1 card found."
        else:
            text = f"{count} cards found — pick one with ↑/↓ and Enter."
            view.result_list.setFocus()
        view.show_message(f"{text} {problems}".strip(), "warn" if problems else "ok")

    def _show_selected(self) -> None:
        match = self.view.selected_match()
        if match is None:
            return
        self.view.show_match(match)
        self._show_pending(match)
        self.view.set_actions(self._possible_actions(match))
        self._load_history(match)

    def _show_pending(self, match: Match) -> None:
        """Mark the card PENDING, with its expected figure, while the journal owes it changes."""
        try:
            entries = self.till.operations.pending_for(match.provider, card_key(match))
        except ValueError:  # not a card Tillcard changes
            entries = []
        self.view.show_pending(match, pending_preview(match, entries, self.separator))

    def _shows_card_of(self, entry: Entry) -> Match | None:
        match = self.view.selected_match()
        if match is None or self.view.card_stack.currentWidget() is not self.view.card_panel:
            return None
        try:
            same = match.provider is entry.provider and card_key(match) == entry.card
        except ValueError:
            return None
        return match if same else None

    def _possible_actions(self, match: Match) -> set[str]:
        actions = {"refresh"}
        if match.kind in ("gift_card", "stored_value"):
            actions.add("redeem")
        if match.kind == "stamp_card":
            actions.add("stamp")
        if any(r.redeemable for r in match.rewards):
            actions.add("reward")
        if self._undo is not None:
            actions.add("undo")
        return actions

    def _load_history(self, match: Match) -> None:
        card = match.subject
        table = self.view.history_table
        if isinstance(card, GiftCard) and self.backends.gift_cards is not None:
            provider = self.backends.gift_cards
            card_id = card.id
            table.setModel(self.history)
            self.history.reset_to(
                lambda offset, limit: provider.history(card_id, offset=offset, limit=limit)
            )
        elif isinstance(card, CampaignBalance) and self.backends.points is not None:
            table.setModel(self.points_history)
            self.points_history.removeRows(0, self.points_history.rowCount())
            self.spawn(self._load_points_history(match))
        else:
            self.history.clear()

    async def _load_points_history(self, match: Match) -> None:
        card = match.subject
        assert isinstance(card, CampaignBalance)
        assert self.backends.points is not None
        try:
            history = await self.backends.points.history(
                match.owner_id or "", card.campaign_id, transactions=20
            )
        except BackendError as exc:
            self.view.show_message(f"Recent transactions unavailable: {exc.message}", "warn")
            return
        if self.view.selected_match() is not match:
            return
        for line in history.transactions:
            amount = (
                line.amount.format_plain(self.separator)
                if isinstance(line.amount, Money)
                else str(line.amount)
            )
            sign = "-" if line.redeemed else "+"
            row = [
                QStandardItem(f"{line.date.astimezone():%Y-%m-%d %H:%M}"),
                QStandardItem("spend" if line.redeemed else "earn"),
                QStandardItem(f"{sign}{amount}"),
                QStandardItem(line.authorization or ""),
            ]
            row[2].setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.points_history.appendRow(row)

    def clear_for_next_customer(self) -> None:
        """Esc: close what is open; on the bare screen, clear back to the empty lookup field."""
        if self._dialog is not None and self._dialog.is_open:
            self._dialog.close()
            return
        if self._dialog_open():
            return  # a receipt's dialog on top handles its own Esc
        if self._acting:
            return
        self._lookup_serial += 1  # a lookup still running now answers nobody
        self._lookup_code = None
        self.history.clear()
        self.view.show_ready()
        self.view.show_message("Ready for the next customer.", "info")

    # -- acting on the card -------------------------------------------------------------------

    def _current(self, *, need: str) -> Match | None:
        if self._signed_out():
            return None
        match = self.view.selected_match()
        if match is None or self.view.card_stack.currentWidget() is not self.view.card_panel:
            self.view.show_message("Look a card up first.", "warn")
            return None
        if need not in self._possible_actions(match):
            words = {
                "redeem": "This card has no balance to redeem from.",
                "stamp": "Stamps can only be added to a stamp card.",
                "reward": "No reward can be redeemed on this card right now.",
                "undo": "There is nothing to undo.",
            }
            self.view.show_message(words.get(need, "Not possible on this card."), "warn")
            return None
        if self._acting or self._dialog_open():
            return None
        return match

    def _open(self, dialog: Any) -> None:
        self._dialog = dialog
        dialog.dialog.finished.connect(self._after_dialog)
        dialog.open()

    def _after_dialog(self, _result: int = 0) -> None:
        """Back to the main window, ready for the next scan, whatever the window manager did."""
        self.view.window.activateWindow()
        self.view.lookup_input.setFocus()

    def open_redeem(self) -> None:
        match = self._current(need="redeem")
        if match is None or match.balance is None:
            return
        dialog = RedeemDialog(
            self.view.window,
            title=f"Redeem from {match.title} {match.masked_number}",
            balance=match.balance,
            decimal_separator=self.separator,
        )
        dialog.amountChosen.connect(
            lambda amount, remainder: self._act(
                dialog,
                self.actions.redeem(match, amount, approve=self._approve),
                remainder=remainder,
            )
        )
        self._open(dialog)

    def open_stamps(self) -> None:
        match = self._current(need="stamp")
        if match is None or match.stamps is None or match.stamps_required is None:
            return
        dialog = StampsDialog(
            self.view.window,
            card_name=match.title,
            stamps=match.stamps,
            required=match.stamps_required,
        )
        dialog.stampsChosen.connect(
            lambda count: self._act(
                dialog, self.actions.add_stamps(match, count, approve=self._approve)
            )
        )
        self._open(dialog)

    def open_reward(self) -> None:
        match = self._current(need="reward")
        if match is None:
            return
        balance_text = (
            f"{match.stamps} stamps"
            if match.stamps is not None
            else f"{match.count} {match.count_unit}"
        )
        if match.stamps is not None:
            units = ("stamp", "stamps")
        elif match.count_unit == "visits":
            units = ("visit", "visits")
        else:
            units = ("point", "points")
        dialog = RewardDialog(
            self.view.window, rewards=list(match.rewards), balance_text=balance_text, units=units
        )
        dialog.rewardChosen.connect(
            lambda reward_id: self._act(
                dialog, self.actions.redeem_reward(match, reward_id, approve=self._approve)
            )
        )
        self._open(dialog)

    def open_undo(self) -> None:
        if self._current(need="undo") is None or self._undo is None:
            return
        ticket = self._undo
        dialog = ConfirmDialog(
            self.view.window,
            title="Undo last operation",
            text=f"Undo: {ticket.description}?\n{ticket.amount.format()} goes back to the card.",
            confirm_label="Undo it",
            danger=True,
        )
        match = self.view.selected_match()
        dialog.confirmed.connect(
            lambda: self._act(dialog, self.actions.undo(ticket, match), undoing=True)
        )
        self._open(dialog)

    async def _approve(self, decision: OfflineDecision) -> str | None:
        """The offline policy needs a manager: the PIN dialog, on top of the open dialog."""
        parent = self.view.window
        if self._dialog is not None and self._dialog.is_open:
            parent = self._dialog.dialog
        self.view.show_message("A manager PIN is needed to continue offline.", "warn")

        def opened(dialog: ManagerPinDialog) -> None:
            self.pin_dialog = dialog

        try:
            approval = await ask_manager(
                parent,
                self.till.verify_manager,
                title="Manager approval needed",
                reasons=decision.reasons,
                opened=opened,
            )
        finally:
            self.pin_dialog = None
        return None if approval is None else approval.manager

    def open_pending(self) -> None:
        """F9: what this till still owes the back-ends; also the header's F9 button."""
        if self._acting or self._dialog_open():
            return
        view = PendingView(
            self.view.window, self.till, self.status, self.spawn, separator=self.separator
        )
        self.pending_view = view
        self._open(view)

    def refresh(self) -> None:
        match = self._current(need="refresh")
        if match is None:
            return
        self.spawn(self._run(None, self.actions.refresh(match)))

    def _act(
        self,
        dialog: Any,
        work: Coroutine[Any, Any, ActionResult],
        *,
        remainder: Money | None = None,
        undoing: bool = False,
    ) -> None:
        self.spawn(self._run(dialog, work, remainder=remainder, undoing=undoing))

    async def _run(
        self,
        dialog: Any,
        work: Coroutine[Any, Any, ActionResult],
        *,
        remainder: Money | None = None,
        undoing: bool = False,
    ) -> None:
        if self._acting:
            work.close()
            return
        self._acting = True
        self.view.set_actions(set())
        self.view.show_message("Working …", "busy")
        try:
            result = await work
        finally:
            self._acting = False
        message = result.message
        taken = result.ok or result.pending
        if taken and remainder is not None and remainder.is_positive:
            message += f" {remainder.format()} remains to pay by other means."
        if result.pending:
            message = pending_text(result, message)
            if result.reference:
                self._promised.add(result.reference)
        if result.ok:
            if undoing:
                self._undo = None
            elif result.undo is not None:
                self._undo = result.undo
        not_printed = self.receipts.print_after(result)
        if not_printed is not None:
            message += f"\n{not_printed}"
        tone = RESULT_TONE.get(result.state, "bad")
        self.view.show_message(message, tone)
        if dialog is not None:
            if result.ok:
                dialog.finish_ok(message)
            elif result.pending:
                dialog.finish_pending(message)
            else:
                dialog.finish_error(message)
        if result.match is not None:
            self.view.replace_selected(result.match)
        selected = self.view.selected_match()
        if selected is not None:
            self.view.show_match(selected)
            self._show_pending(selected)
            self.view.set_actions(self._possible_actions(selected))
            if result.ok:
                self._load_history(selected)
        self.status.changed()
        self.actionFinished.emit(result)

    # -- the sync engine moved an entry --------------------------------------------------------

    def _on_entry(self, entry: Entry) -> None:
        """Follow up what the cashier was told was PENDING; keep the shown card current."""
        if entry.key in self._promised and not entry.state.is_open:
            self._promised.discard(entry.key)
            self._tell_synced(entry)
        if self._acting:
            return  # the action in progress shows its own outcome
        match = self._shows_card_of(entry)
        if match is None:
            return
        self._show_pending(match)
        if entry.state is EntryState.DONE:
            self._reread_timer.start()  # restarts: one re-read after the last of a burst

    def _reread_shown(self) -> None:
        match = self.view.selected_match()
        if match is not None and not self._acting:
            self.spawn(self._reread(match))

    def _tell_synced(self, entry: Entry) -> None:
        if self._acting:
            return
        ref = short_ref(entry.key)
        if entry.state is EntryState.DONE:
            self.view.show_message(f"Synced: {entry.description} went through (ref {ref}).", "ok")
        elif entry.state is EntryState.NEEDS_ATTENTION:
            self.view.show_message(
                f"NEEDS ATTENTION: {entry.description} (ref {ref}) was refused: "
                f"{entry.reason or 'no reason given'}. Press F9 and call a manager.",
                "bad",
            )

    async def _reread(self, match: Match) -> None:
        """A pending operation on the shown card went through: show the card as it now is."""
        result = await self.actions.refresh(match)
        if self._acting or self.view.selected_match() is not match:
            return
        if result.match is not None:
            self.view.replace_selected(result.match)
            match = result.match
        self.view.show_match(match)
        self._show_pending(match)
        self.view.set_actions(self._possible_actions(match))

    def close(self) -> None:
        self._reread_timer.stop()
        self.status.detach()
        for task in list(self._tasks):
            task.cancel()
        if self.scanner is not None:
            self.scanner.uninstall()


def pending_text(result: ActionResult, message: str) -> str:
    """The amber banner: PENDING first, the short reference, then the service's sentence."""
    body = message.removeprefix("PENDING: ").removeprefix("PENDING ")
    ref = f" · ref {short_ref(result.reference)}" if result.reference else ""
    return f"{PENDING_BANNER}{ref}\n{body}"
