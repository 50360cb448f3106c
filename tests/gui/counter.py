"""The cashier screen under test: a real window, real till (SQLite journal in tmp_path), emulators.

``Counter`` drives the screen as a cashier does (scanner keys to the window, shortcuts once the
window is active, keys to whatever has focus) and reads what the screen and the emulators say.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import qasync
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from pos_app.config import AppConfig
from pos_app.gui.counter_screen import CounterScreen
from pos_app.gui.main_window import MainWindow
from pos_app.journal.connectivity import Reachability
from pos_app.providers.factory import Backends
from pos_app.scanner import ScannerInput
from pos_app.services.till import Till
from tests.gui.conftest import eventually
from tests.qt_loop import Run


@dataclass
class Counter:
    url: str
    seed: dict[str, Any]
    view: MainWindow
    screen: CounterScreen
    backends: Backends
    loop: qasync.QEventLoop
    scanner: ScannerInput
    core: Till
    probing: bool = True  # the connectivity monitor runs

    async def settled(self) -> None:
        """Wait for the start-up probes, as a till that has been on for a moment.

        Their answers are parsed on the GUI thread and served by the emulators' thread in this
        process: a scan typed during them can stall past the scanner's 50 ms gap and split.
        """
        if self.probing:
            await eventually(
                lambda: all(
                    s.state is not Reachability.UNKNOWN for s in self.core.monitor.statuses()
                )
            )

    def ledger(self) -> list[dict[str, Any]]:
        return list(httpx.get(f"{self.url}/_sandbox/ledger").json()["entries"])

    def faults(self, api: str, **faults: Any) -> None:
        """``outage=True`` and friends for one emulated API ("all" for every one)."""
        httpx.post(f"{self.url}/_sandbox/faults", json={"api": api, **faults}).raise_for_status()

    def card(self, **want: str) -> str:
        for card in self.seed["loyaltydog"]["cards"]:
            if all(card[k] == v for k, v in want.items()):
                return str(card["cardNumber"])
        raise AssertionError(want)

    def press(
        self, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
    ) -> None:
        """A key to whatever has focus (a dialog's field while one is open)."""
        QTest.keyClick(QApplication.focusWidget() or self.view.window, key, modifier)

    async def shortcut(self, key: Qt.Key) -> None:
        """A window shortcut (F2…F9, Esc): the main window must be the active one, as at a till."""
        await self.activate(self.view.window)
        QTest.keyClick(self.view.window, key)

    async def activate(self, window: QWidget) -> None:
        if QApplication.activeWindow() is not window:
            window.activateWindow()
            await eventually(lambda: QApplication.activeWindow() is window)

    async def scan(self, code: str, gap: float = 0.005) -> None:
        """Keys as a wedge scanner types them: fast, straight to the window, then Enter."""
        await self.settled()
        window = self.view.window.windowHandle()
        keys = [(_key_of(char), char) for char in code] + [(Qt.Key.Key_Return, "\r")]
        for key, text in keys:
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                event = QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, text)
                QCoreApplication.sendEvent(window, event)
            await asyncio.sleep(gap)

    async def look_up(self, code: str, gap: float = 0.005) -> Any:
        results: list[Any] = []
        self.screen.lookupFinished.connect(results.append)
        await self.scan(code, gap)
        await eventually(lambda: results)
        self.screen.lookupFinished.disconnect(results.append)
        return results[0]

    async def act(self, trigger: Any) -> Any:
        results: list[Any] = []
        self.screen.actionFinished.connect(results.append)
        trigger()
        await eventually(lambda: results)
        self.screen.actionFinished.disconnect(results.append)
        return results[0]

    def dialog_widget(self, kind: type[Any], name: str) -> Any:
        dialog = self.screen._dialog
        assert dialog is not None, self.view.message.text()
        assert dialog.is_open, self.view.message.text()
        return dialog.dialog.findChild(kind, name)


def _key_of(char: str) -> Qt.Key:
    if char.isdigit():
        return Qt.Key(Qt.Key.Key_0.value + int(char))
    if char.isalpha():
        return Qt.Key(Qt.Key.Key_A.value + ord(char.upper()) - ord("A"))
    return Qt.Key.Key_Period if char in ".," else Qt.Key.Key_unknown


def open_counter(
    url: str,
    seed: dict[str, Any],
    settings: AppConfig,
    backends: Backends,
    data_dir: Path,
    *,
    run: Run,
    loop: qasync.QEventLoop,
    windows: list[QWidget],
    start: tuple[str, ...] = ("engine", "monitor"),
    training: bool = True,
) -> Counter:
    """The counter as the app builds it: a real Till in ``data_dir``, its window shown and in
    ``windows`` (the fixture closes them), its ``start`` tasks begun and ended by ``run``."""
    core = Till.open(data_dir, settings, backends, training=training)
    view = MainWindow(settings.terminal.id, training=False)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    scanner = ScannerInput(app, settings.scanner, windows=lambda: [view.window])
    scanner.install()
    screen = CounterScreen(view, core, scanner=scanner)
    tasks: list[asyncio.Task[None]] = []

    def begin() -> None:
        if set(start) == {"engine", "monitor"}:
            core.start()  # as the app does
            return
        if "engine" in start:
            tasks.append(asyncio.ensure_future(core.engine.run()))
        if "monitor" in start:
            tasks.append(asyncio.ensure_future(core.monitor.run()))

    run.startups.append(begin)
    view.window.resize(1280, 800)
    view.window.show()
    view.window.activateWindow()
    view.lookup_input.setFocus()
    windows.append(view.window)

    async def cleanup() -> None:
        screen.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await core.close()

    run.cleanups.append(cleanup)
    probing = "monitor" in start
    return Counter(url, seed, view, screen, backends, loop, scanner, core, probing)
