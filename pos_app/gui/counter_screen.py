"""The cashier screen's controller: keys, scans and clicks become service calls.

Anki's operations pattern, small: each action runs as an asyncio task on the qasync loop, shows
progress while in flight, refuses to start twice, and ends in one cashier sentence. No business
rule lives here; the services and the domain decide, this module only sequences the screen.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QTreeWidgetItem

from pos_app.config import AppConfig
from pos_app.domain import CampaignBalance, GiftCard, Money, Provider
from pos_app.gui.dialogs import ConfirmDialog, RedeemDialog, RewardDialog, StampsDialog
from pos_app.gui.history_model import HistoryModel, prepare_history_view
from pos_app.gui.main_window import MainWindow
from pos_app.providers.errors import BackendError
from pos_app.providers.factory import Backends
from pos_app.scanner import ScannerInput
from pos_app.services.card_actions import ActionResult, CardActions, UndoTicket
from pos_app.services.lookup import LookupInputError, LookupResult, Match, lookup

log = logging.getLogger(__name__)

RESULT_TONE = {"done": "ok", "rejected": "bad", "unknown": "warn", "unavailable": "bad"}


class CounterScreen(QObject):
    """Wires the main window to lookup and card actions; one instance per window."""

    lookupFinished = Signal(object)  # LookupResult, for tests and automation
    actionFinished = Signal(object)  # ActionResult

    def __init__(
        self,
        view: MainWindow,
        backends: Backends,
        config: AppConfig,
        *,
        scanner: ScannerInput | None = None,
    ) -> None:
        super().__init__(view.window)
        self.view = view
        self.backends = backends
        self.actions = CardActions(backends)
        self.config = config
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
        self._acting = False
        self._undo: UndoTicket | None = None
        self._dialog: Any = None
        self._backend_state: dict[Provider, bool | None] = {
            Provider(b.provider): None for b in backends.enabled()
        }
        view.set_backend_status(self._backend_state)
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

    async def start(self) -> None:
        """Check each back-end once at start: warms logins and caches, fills the status dots."""

        async def check(backend: Any) -> None:
            try:
                await backend.check()
                self._mark(Provider(backend.provider), ok=True)
            except BackendError as exc:
                log.warning("%s check failed: %s", backend.provider, exc)
                self._mark(Provider(backend.provider), ok=False)

        await asyncio.gather(*(check(b) for b in self.backends.enabled()))

    def _mark(self, provider: Provider, *, ok: bool) -> None:
        self._backend_state[provider] = ok
        self.view.set_backend_status(self._backend_state)

    # -- finding a card -----------------------------------------------------------------------

    def focus_lookup(self) -> None:
        self.view.lookup_input.setFocus()
        self.view.lookup_input.selectAll()

    def on_scanned(self, code: str) -> None:
        if self._dialog is not None and self._dialog.is_open:
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
        if code == self._lookup_code:
            return  # a second Enter while the same lookup runs sends nothing twice
        self.spawn(self._lookup(code))

    async def _lookup(self, code: str) -> None:
        view = self.view
        self._lookup_code = code
        view.result_list.clear()
        view.card_stack.setCurrentWidget(view.ready_page)
        view.set_actions(set())
        names = ", ".join(p.label for p in self._backend_state)
        view.show_message(f"Searching {names} …", "busy")
        try:
            result = await lookup(code, self.backends, on_result=self._on_partial)
        except LookupInputError as exc:
            view.show_message(str(exc), "bad")
            return
        finally:
            self._lookup_code = None
        self._finish_lookup(result)
        self.lookupFinished.emit(result)

    def _on_partial(self, provider: Provider, outcome: list[Match] | BackendError) -> None:
        if isinstance(outcome, BackendError):
            self._mark(provider, ok=not outcome.retry_safe)
            return
        self._mark(provider, ok=True)
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
        self.view.set_actions(self._possible_actions(match))
        self._load_history(match)

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
        if self._acting:
            return
        self.history.clear()
        self.view.show_ready()
        self.view.show_message("Ready for the next customer.", "info")

    # -- acting on the card -------------------------------------------------------------------

    def _current(self, *, need: str) -> Match | None:
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
        if self._acting or (self._dialog is not None and self._dialog.is_open):
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
                dialog, self.actions.redeem(match, amount), remainder=remainder
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
            lambda count: self._act(dialog, self.actions.add_stamps(match, count))
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
            lambda reward_id: self._act(dialog, self.actions.redeem_reward(match, reward_id))
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
        if result.ok and remainder is not None and remainder.is_positive:
            message += f" {remainder.format()} remains to pay by other means."
        if result.ok:
            if undoing:
                self._undo = None
            elif result.undo is not None:
                self._undo = result.undo
        tone = RESULT_TONE[result.state]
        self.view.show_message(message, tone)
        if dialog is not None:
            if result.ok:
                dialog.finish_ok(message)
            else:
                dialog.finish_error(message)
        if result.match is not None:
            self.view.replace_selected(result.match)
        selected = self.view.selected_match()
        if selected is not None:
            self.view.show_match(selected)
            self.view.set_actions(self._possible_actions(selected))
            if result.ok:
                self._load_history(selected)
        self.actionFinished.emit(result)

    def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self.scanner is not None:
            self.scanner.uninstall()
