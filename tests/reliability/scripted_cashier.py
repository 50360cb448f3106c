"""A scripted cashier inside a real ``pos-app --training`` process, for the soak test.

``python -m tests.reliability.scripted_cashier STATUS STOP -- --training --data-dir DIR``
runs ``pos_app.cli.main`` unchanged. The one hook wraps ``gui.app.freeze_start_up_objects``,
which the app calls once its screen is wired: the cashier's coroutine then starts on the app's
own qasync loop and uses the window as a cashier does (scanner keys, F-keys on the active
window, Enter and Esc in dialogs), with card codes from the training world's seed. It
writes its counts to STATUS every few seconds; once the test creates STOP it closes the window,
so the app's own shutdown runs and the process exits with the app's exit code.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
import time
import traceback
from collections import Counter as Tally
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QListWidget, QPushButton

from pos_app.gui.counter_screen import CounterScreen
from pos_app.gui.training_tools import PractiseOffline
from tests.gui.conftest import eventually
from tests.gui.counter import Counter

#: How often the counts reach the status file (the test reads them at the end).
STATUS_EVERY = 5.0
#: At least this long from one customer to the next: about 40 a minute, a very busy till.
#: Faster, every lookup's Leal search alone would pass Leal's 120 requests a minute, and the
#: till would rightly wait out the rate limit (the emulator enforces it as Leal does).
PACE_SECONDS = 1.5
#: Set by the soak's self-check only: leak this much per customer, to prove the test fails.
LEAK_ENV = "TILLCARD_SOAK_LEAK"


@dataclass
class Codes:
    """Codes to scan, by kind, from the training world's public seed."""

    gift_cards: list[str] = field(default_factory=list)  # LoyaltyDog, active, >= 20.00
    stamp_cards: list[str] = field(default_factory=list)  # Leal
    stored_value: list[str] = field(default_factory=list)  # ClientToolbox gift card campaign
    points: list[str] = field(default_factory=list)  # ClientToolbox points campaign


def training_codes(screen: CounterScreen) -> Codes:
    """The seed the training window lists (its ClientToolbox rows stop at 60 points cards)."""
    practise = screen.view.window.findChild(PractiseOffline)
    assert isinstance(practise, PractiseOffline), "not a training window"
    seed = practise.world.seed
    codes = Codes()
    soon = datetime.now(UTC) + timedelta(days=2)
    for card in seed["loyaltydog"]["cards"]:
        expires = datetime.fromisoformat(card["expiresAt"])
        if card["status"] == "active" and Decimal(card["balance"]) >= 20 and expires > soon:
            codes.gift_cards.append(card["cardNumber"])
    for customer in seed["leal"]["customers"]:
        codes.stamp_cards += [c["card_code"] for c in customer["customer_cards"]]
    for entry in seed["clienttoolbox"]["customers"]:
        kind, balance = entry["campaign_type"], Decimal(entry["balance"])
        if kind == "giftcard" and balance >= 40 and len(codes.stored_value) < 12:
            codes.stored_value.append(entry["card_number"])
        elif kind == "points" and len(codes.points) < 20:
            codes.points.append(entry["card_number"])
    return codes


class Cashier:
    """Serves customers in a fixed rotation until told to stop; counts what it did."""

    def __init__(self, counter: Counter, status: Path, stop: Path) -> None:
        self.counter = counter
        self.status_path = status
        self.stop_path = stop
        self.counts: Tally[str] = Tally()
        self.failures: list[str] = []
        self.started = time.monotonic()
        self.leak: list[object] = []
        self.leak_kind = os.environ.get(LEAK_ENV, "")

    # -- the session ---------------------------------------------------------------------------

    async def run(self) -> None:
        """The whole session; a crash of the script itself is reported, and ends the app."""
        try:
            await self._serve_until_stopped()
        except BaseException:
            self.failures.append("the script crashed: " + traceback.format_exc())
            self._write("crashed")
            raise
        finally:
            self.counter.view.window.close()

    async def _serve_until_stopped(self) -> None:
        counter = self.counter
        await counter.settled()
        codes = training_codes(counter.screen)
        customers = self._rotation(codes)
        last_status = 0.0
        self._write("running")
        while not self.stop_path.exists():
            began = time.monotonic()
            serve = next(customers)
            try:
                await serve()
                self.counts["customers"] += 1
            except Exception as exc:  # recorded and reported by the test: never silent
                self.failures.append(f"{serve.__name__}: {exc!r}")
                self.counts["failures"] += 1
                traceback.print_exc()
                await self._recover()
            self._leak()
            if time.monotonic() - last_status > STATUS_EVERY:
                self._write("running")
                last_status = time.monotonic()
            await asyncio.sleep(max(0.0, began + PACE_SECONDS - time.monotonic()))
        self._write("stopped")

    def _rotation(self, codes: Codes) -> Iterator[Callable[[], Any]]:
        gift, stamp, stored, points = (
            itertools.cycle(codes.gift_cards),
            itertools.cycle(codes.stamp_cards),
            itertools.cycle(codes.stored_value),
            itertools.cycle(codes.points),
        )
        amounts = itertools.cycle(["0.01", "0.05", "0.10", "0.25", "0.50"])
        for n in itertools.count():

            async def gift_card(
                code: str = next(gift), amount: str = next(amounts), undo: bool = n % 2 == 0
            ) -> None:
                await self.redeem(code, amount, undo=undo, provider="LoyaltyDog", kind="gift_card")

            async def stamp_card(code: str = next(stamp)) -> None:
                await self.stamp_or_reward(code)

            async def stored_value(
                code: str = next(stored), amount: str = next(amounts), undo: bool = n % 3 == 0
            ) -> None:
                await self.redeem(
                    code, amount, undo=undo, provider="ClientToolbox", kind="stored_value"
                )

            async def points_card(code: str = next(points)) -> None:
                await self.look_and_refresh(code)

            yield gift_card
            yield stamp_card
            yield stored_value
            yield points_card
            if n % 3 == 0:
                yield self.reprint_and_pending
            if n % 4 == 0:
                yield self.label

    # -- one customer each -------------------------------------------------------------------

    async def look_up(self, code: str, provider: str, kind: str) -> None:
        """Scan the code as a wedge scanner types it, then pick the card of that back-end."""
        counter = self.counter
        result = await counter.look_up(code)
        self.counts["lookups"] += 1
        matches = result.matches
        assert matches, f"nothing found for {code}: {result.summary()}"
        rows = [i for i, m in enumerate(matches) if (m.provider.label, m.kind) == (provider, kind)]
        assert rows, f"no {provider} {kind} for {code}"
        view = counter.view
        if view.result_list.currentRow() != rows[0]:
            view.result_list.setCurrentRow(rows[0])
        await eventually(lambda: view.card_stack.currentWidget() is view.card_panel)

    async def redeem(self, code: str, amount: str, *, undo: bool, provider: str, kind: str) -> None:
        counter = self.counter
        await self.look_up(code, provider, kind)
        await counter.shortcut(Qt.Key.Key_F2)
        field_ = counter.dialog_widget(QLineEdit, "amountInput")
        QTest.keyClicks(field_, amount)
        result = await counter.act(lambda: QTest.keyClick(field_, Qt.Key.Key_Return))
        confirmed = self.taken(result, "redemptions")
        await self.close_dialog()
        if undo and confirmed:  # only a confirmed redemption can be undone
            await counter.shortcut(Qt.Key.Key_F8)
            confirm = counter.dialog_widget(QPushButton, "confirmButton")
            result = await counter.act(lambda: QTest.mouseClick(confirm, Qt.MouseButton.LeftButton))
            self.taken(result, "undos")
            await self.close_dialog()
        await self.next_customer()

    async def stamp_or_reward(self, code: str) -> None:
        counter = self.counter
        await self.look_up(code, "Leal", "stamp_card")
        if counter.view.buttons["reward"].isEnabled():
            await counter.shortcut(Qt.Key.Key_F4)
            choices = counter.dialog_widget(QListWidget, "rewardChoices")
            for row in range(choices.count()):
                if choices.item(row).flags() & Qt.ItemFlag.ItemIsEnabled:
                    choices.setCurrentRow(row)
                    break
            result = await counter.act(lambda: QTest.keyClick(choices, Qt.Key.Key_Return))
            self.taken(result, "rewards")
        else:
            await counter.shortcut(Qt.Key.Key_F3)
            confirm = counter.dialog_widget(QPushButton, "confirmButton")
            result = await counter.act(lambda: QTest.keyClick(confirm, Qt.Key.Key_Return))
            self.taken(result, "stamps")
        await self.close_dialog()
        await self.next_customer()

    async def look_and_refresh(self, code: str) -> None:
        """A points customer asks what they have: lookup, then F5 re-reads the card."""
        counter = self.counter
        await self.look_up(code, "ClientToolbox", "points")
        await counter.activate(counter.view.window)
        result = await counter.act(lambda: QTest.keyClick(counter.view.window, Qt.Key.Key_F5))
        assert result.state != "rejected", result.message
        self.counts["refreshes"] += 1
        await self.next_customer()

    async def reprint_and_pending(self) -> None:
        """Ctrl+P shows the last receipt in the print preview; F9 the pending list."""
        counter = self.counter
        screen = counter.screen
        await counter.activate(counter.view.window)
        QTest.keyClick(counter.view.window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
        preview = await self.opened(lambda: screen.receipts.preview)
        self.counts["print_previews"] += 1
        await self.escape_until(lambda: not preview.is_open)
        await counter.shortcut(Qt.Key.Key_F9)
        pending = await self.opened(lambda: screen.pending_view)
        self.counts["pending_views"] += 1
        await self.escape_until(lambda: not pending.is_open)

    async def label(self) -> None:
        """F7 on a looked-up gift card: its label in the print preview, then closed."""
        counter = self.counter
        screen = counter.screen
        codes = training_codes(counter.screen).gift_cards
        await self.look_up(codes[self.counts["labels"] % len(codes)], "LoyaltyDog", "gift_card")
        await counter.shortcut(Qt.Key.Key_F7)
        preview = await self.opened(lambda: screen.receipts.preview)
        self.counts["labels"] += 1
        await self.escape_until(lambda: not preview.is_open)
        await self.next_customer()

    # -- helpers -----------------------------------------------------------------------------

    def taken(self, result: Any, what: str) -> bool:
        """Count an operation the till took; True if confirmed, False if it ended PENDING.

        PENDING is the till's right answer when an answer takes longer than its patience (a
        busy CI machine can starve even the in-process emulators): counted, never a failure.
        A refusal is a failure: every card and amount here is valid.
        """
        assert result.ok or result.pending, result.message
        self.counts[what] += 1
        if result.pending:
            self.counts["pending"] += 1
        return bool(result.ok)

    @staticmethod
    async def opened(view: Callable[[], Any]) -> Any:
        """The view window the last key opened, once it is open."""
        await eventually(lambda: view() is not None and view().is_open)
        return view()

    async def close_dialog(self) -> None:
        """The finished dialog has focus: Esc closes it, as the cashier does."""
        dialog = self.counter.screen._dialog
        await self.escape_until(lambda: dialog is None or not dialog.is_open)
        self.counts["dialogs"] += 1

    async def escape_until(self, closed: Callable[[], bool]) -> None:
        """Esc to whatever has focus (the dialog on top, as on a till)."""
        modal = QApplication.activeModalWidget()
        if modal is not None:
            await self.counter.activate(modal)
        self.counter.press(Qt.Key.Key_Escape)
        await eventually(closed)

    async def next_customer(self) -> None:
        counter = self.counter
        await counter.shortcut(Qt.Key.Key_Escape)
        view = counter.view
        await eventually(lambda: view.card_stack.currentWidget() is view.ready_page)

    async def _recover(self) -> None:
        """After a failed step: close whatever is open and go back to the empty lookup."""
        for _ in range(5):
            modal = QApplication.activeModalWidget()
            if modal is None:
                break
            modal.close()
            await asyncio.sleep(0.2)
        self.counter.screen.clear_for_next_customer()
        await asyncio.sleep(0.5)

    def _leak(self) -> None:
        """Only when the soak's self-check asks for it: a leak the test must catch."""
        if self.leak_kind == "memory":
            self.leak.append(bytearray(512 * 1024))
        elif self.leak_kind == "fd":
            self.leak.append(open(os.devnull, "rb"))  # noqa: SIM115 - the point is to leak it

    def _write(self, state: str) -> None:
        status = {
            "state": state,
            "pid": os.getpid(),
            "seconds": round(time.monotonic() - self.started, 1),
            "counts": dict(self.counts),
            "failures": self.failures[-10:],
        }
        partial = self.status_path.with_suffix(".partial")
        partial.write_text(json.dumps(status), encoding="utf-8")
        os.replace(partial, self.status_path)


def install(script: Callable[[Counter], Coroutine[Any, Any, None]]) -> None:
    """Run ``script`` once the app has wired its screen (the app's own call, wrapped)."""
    import pos_app.gui.app as gui_app

    original = gui_app.freeze_start_up_objects
    running: list[asyncio.Task[None]] = []

    def wired_then_script() -> None:
        original()
        windows = [w for w in QApplication.topLevelWidgets() if w.findChild(CounterScreen)]
        screen = windows[0].findChild(CounterScreen)
        assert isinstance(screen, CounterScreen)
        counter = Counter(
            url="",
            seed={},
            view=screen.view,
            screen=screen,
            backends=screen.backends,
            loop=asyncio.get_event_loop(),
            scanner=screen.scanner,  # type: ignore[arg-type]
            core=screen.till,
        )
        running.append(asyncio.ensure_future(script(counter)))

    gui_app.freeze_start_up_objects = wired_then_script


def run_app(argv: list[str], script: Callable[[Counter], Coroutine[Any, Any, None]]) -> int:
    """``pos_app.cli.main`` on the arguments after ``--``, with ``script`` hooked in."""
    separator, *app_args = argv
    assert separator == "--", "usage: ... -- pos-app arguments"
    install(script)
    from pos_app.cli import main as pos_app_main

    return pos_app_main(app_args)


def main(argv: list[str]) -> int:
    status, stop, *rest = argv
    return run_app(rest, lambda counter: Cashier(counter, Path(status), Path(stop)).run())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
