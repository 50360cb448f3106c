"""Start the Qt application on the qasync loop; never let an exception reach the cashier raw."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from collections.abc import Callable
from types import TracebackType

import httpx
import qasync
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from pos_app.config import AppConfig
from pos_app.credentials import Credentials
from pos_app.gui.counter_screen import CounterScreen
from pos_app.gui.main_window import MainWindow
from pos_app.providers.factory import build_backends
from pos_app.scanner import ScannerInput
from pos_app.training import TrainingWorld

log = logging.getLogger(__name__)

#: Set by benchmarks/startup.py: the app writes the time of its first paint there and quits.
READY_FILE_ENV = "POS_APP_BENCH_READY_FILE"


def application() -> QApplication:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    app = QApplication(sys.argv[:1])
    app.setApplicationName("Tillcard")
    app.setOrganizationName("Tillcard")
    return app


def install_exception_hook() -> None:
    """Log the traceback to the file; show the cashier one calm sentence instead."""

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        log.error("unexpected error", exc_info=(kind, value, tb))
        if QApplication.instance() is not None:
            QMessageBox.warning(
                None,
                "Tillcard",
                "Something went wrong. Your work is safe; please try again. "
                "If it keeps happening, tell your manager (details are in the log).",
            )

    sys.excepthook = hook


async def _run(
    view: MainWindow,
    config: AppConfig,
    credentials: Credentials,
    transport: httpx.AsyncBaseTransport | None,
    world: TrainingWorld | None,
) -> int:
    app = application()
    closed = asyncio.Event()
    # The coroutine, not Qt, decides when to stop: closing the window ends it, then cleanup
    # runs with the loop still alive (Qt quitting first would abandon it half-way).
    app.setQuitOnLastWindowClosed(False)
    watcher = _CloseWatcher(closed.set)
    view.window.installEventFilter(watcher)
    app.aboutToQuit.connect(closed.set)
    backends = build_backends(config, credentials, transport=transport)
    scanner = ScannerInput(app, config.scanner, windows=lambda: [view.window])
    scanner.install()
    screen = CounterScreen(view, backends, config, scanner=scanner)
    if scanner.serial_problem:
        view.show_message(scanner.serial_problem, "warn")
    if world is not None:
        view.show_training_cards(world.seed)
        view.show_message(
            "Training mode: LoyaltyDog, Leal and ClientToolbox are emulated on this computer. "
            "Nothing you do here touches a real card.",
            "info",
        )
    view.window.show()
    view.lookup_input.setFocus()
    screen.spawn(screen.start())
    try:
        await closed.wait()
    finally:
        screen.close()
        await backends.aclose()
    return 0


class _CloseWatcher(QObject):
    """Turns the main window's Close event into the end of the app's coroutine."""

    def __init__(self, on_close: Callable[[], None]) -> None:
        super().__init__()
        self.on_close = on_close

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Close:
            self.on_close()
        return False


class _ReadyProbe(QObject):
    """Benchmarks only: on the first paint of the main window, note the time and quit."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            with open(self.path, "w", encoding="utf-8") as out:
                out.write(repr(time.time()))
            QTimer.singleShot(0, watched.close)  # type: ignore[attr-defined]
        return False


def run_gui(
    config: AppConfig,
    credentials: Credentials,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    world: TrainingWorld | None = None,
) -> int:
    application()
    install_exception_hook()
    view = MainWindow(config.terminal.id, training=world is not None)
    ready_file = os.environ.get(READY_FILE_ENV)
    probe = _ReadyProbe(ready_file) if ready_file else None
    if probe is not None:
        view.window.installEventFilter(probe)
    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
        return runner.run(_run(view, config, credentials, transport, world))


def self_check(terminal_id: str) -> str:
    """Build the real main window headless: proves Qt, forms and resources are all present."""
    application()
    window = MainWindow(terminal_id, training=False)
    title = window.window.windowTitle()
    window.window.close()
    return title
