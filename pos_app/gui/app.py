"""Start the Qt application on the qasync loop; never let an exception reach the cashier raw."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import qasync
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from pos_app.__about__ import __version__
from pos_app.assets import MissingAsset, resource_path
from pos_app.gui.main_window import MainWindow

if TYPE_CHECKING:  # loaded after the first paint: the window shows before httpx and FastAPI load
    import httpx

    from pos_app.config import AppConfig
    from pos_app.credentials import Credentials
    from pos_app.training import TrainingWorld

log = logging.getLogger(__name__)

#: Set by benchmarks/startup.py: the app writes the times of its first paint and of the wired
#: screen there, and closes its window shortly after the first paint.
READY_FILE_ENV = "POS_APP_BENCH_READY_FILE"
#: Seconds to wait for the first paint before loading the back-ends anyway (minimised start).
FIRST_PAINT_WAIT = 2.0


def application() -> QApplication:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    app = QApplication(sys.argv[:1])
    app.setApplicationName("Tillcard")
    app.setOrganizationName("Tillcard")
    app.setApplicationVersion(__version__)
    with contextlib.suppress(MissingAsset):  # the icon is decoration, never a reason to stop
        app.setWindowIcon(QIcon(str(resource_path("tillcard.png"))))
    return app


_open_boxes: list[QMessageBox] = []


def install_exception_hook() -> None:
    """Log the traceback to the file; show the cashier one calm sentence instead."""

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        log.error("unexpected error", exc_info=(kind, value, tb))
        if QApplication.instance() is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Tillcard",
            "Something went wrong. Your work is safe; please try again. "
            "If it keeps happening, tell your manager (details are in the log).",
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()  # never exec(): a nested event loop would re-enter running asyncio tasks
        _open_boxes.append(box)
        box.finished.connect(lambda _result: _open_boxes.remove(box))

    sys.excepthook = hook


@dataclass
class Setup:
    """What the screen needs beyond the window; built after the first paint.

    ``data_dir`` holds the journal (already the ``training/`` sub-folder in training mode).
    """

    config: AppConfig
    credentials: Credentials
    data_dir: Path
    transport: httpx.AsyncBaseTransport | None = None
    world: TrainingWorld | None = None
    #: Where Settings saves; None in training mode, whose configuration is built, not stored.
    config_file: Path | None = None


async def _run(view: MainWindow, prepare: Callable[[], Setup], painted: asyncio.Event) -> int:
    app = application()
    closed = asyncio.Event()
    # The coroutine, not Qt, decides when to stop: closing the window ends it, then cleanup
    # runs with the loop still alive (Qt quitting first would abandon it half-way).
    app.setQuitOnLastWindowClosed(False)
    watcher = _CloseWatcher(closed.set)
    view.window.installEventFilter(watcher)
    app.aboutToQuit.connect(closed.set)
    entered: list[bool] = []
    view.lookup_input.returnPressed.connect(lambda: entered.append(True))
    view.window.show()
    view.lookup_input.setFocus()
    with contextlib.suppress(TimeoutError):  # a window that never paints must not stall
        async with asyncio.timeout(FIRST_PAINT_WAIT):
            await painted.wait()

    from pos_app.gui.about import AboutDesk, TillFiles
    from pos_app.gui.back_office_desk import BackOfficeDesk
    from pos_app.gui.counter_screen import CounterScreen
    from pos_app.gui.shift_desk import ShiftDesk
    from pos_app.logs import current_log_file
    from pos_app.problems import JournalUnavailable
    from pos_app.providers.factory import build_backends
    from pos_app.scanner import ScannerInput
    from pos_app.services.till import Till

    setup = prepare()
    AboutDesk(  # F1; lives as long as the window
        view.window,
        TillFiles(
            terminal=setup.config.terminal.id,
            training=view.training,
            data_dir=setup.data_dir,
            log_file=current_log_file(),
            config_file=setup.config_file,
        ),
    )
    backends = build_backends(setup.config, setup.credentials, transport=setup.transport)
    try:
        till = Till.open(setup.data_dir, setup.config, backends, training=view.training)
    except JournalUnavailable as exc:
        # Nothing may be taken without a journal (it is what makes "never lose" true): say
        # why in the window, and keep it open so the cashier can read it and call someone.
        log.error("journal unavailable: %s", exc)
        view.show_unavailable(f"Tillcard cannot take operations: {exc}")
        try:
            await closed.wait()
        finally:
            await backends.aclose()
        return 1
    scanner = ScannerInput(app, setup.config.scanner, windows=lambda: [view.window])
    scanner.install()
    screen = CounterScreen(view, till, scanner=scanner)
    till.start()
    if scanner.serial_problem:
        view.show_message(scanner.serial_problem, "warn")
    if setup.world is not None:
        from pos_app.gui.training_tools import PractiseOffline

        PractiseOffline(view, setup.world, till.monitor)  # lives as long as the window
        view.show_training_cards(setup.world.seed)
        view.show_message(
            "Training mode: LoyaltyDog, Leal and ClientToolbox are emulated on this computer. "
            "Nothing you do here touches a real card.",
            "info",
        )
    # Sign-in last: in training its greeting joins the message above; elsewhere its dialog
    # locks the till before anything typed early is honoured.
    desk = ShiftDesk(view, till, screen, training=view.training)
    office = BackOfficeDesk(  # F11, managers only
        view, till, screen, on_settings=_settings_opener(view, setup, till.settings_changed)
    )
    if entered:  # Enter pressed while the back-ends were loading: honour it now
        screen.start_lookup(view.lookup_input.text())
    _note_ready(READY_WIRED_SUFFIX)
    freeze_start_up_objects()
    try:
        await closed.wait()
    finally:
        office.close()  # stops the back office's fetches
        desk.close()  # closes the sign-in dialog if it is up; signs out in the audit trail
        screen.close()
        await till.close()  # stops sync and probes, releases the sync lock, closes the journal
    return 0


def _settings_opener(
    view: MainWindow, setup: Setup, after_save: Callable[[], None]
) -> Callable[[], None] | None:
    """The back office's Settings button; a training till has none (nothing to store).

    ``after_save`` lets the running till act on what applies at once (new secrets).
    """
    config_file = setup.config_file
    if config_file is None:
        return None

    def open_settings() -> None:
        from pos_app.gui.settings_dialog import SettingsDialog

        def saved(config: AppConfig) -> None:
            setup.config = config  # what the next Settings opens with
            after_save()
            view.show_message(
                "Settings saved. New passwords and keys are used from now on; other changes "
                "apply when Tillcard restarts.",
                "ok",
            )

        SettingsDialog(
            view.window, config=setup.config, config_file=config_file, on_saved=saved
        ).open()

    return open_settings


def freeze_start_up_objects() -> None:
    """Keep what start-up built out of the garbage collector's sight for the app's life.

    Full collections walking those objects were the longest pauses of the event loop while a
    journal drained (45–136 ms, docs/performance.md); frozen, a till never pays for them again.
    """
    gc.collect()
    gc.freeze()


class _CloseWatcher(QObject):
    """Turns the main window's Close event into the end of the app's coroutine."""

    def __init__(self, on_close: Callable[[], None]) -> None:
        super().__init__()
        self.on_close = on_close

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Close:
            self.on_close()
        return False


READY_WIRED_SUFFIX = ".wired"


def _note_ready(suffix: str = "") -> None:
    """Benchmarks only: write the time of a start-up milestone where they asked for it."""
    path = os.environ.get(READY_FILE_ENV)
    if path:
        with open(path + suffix, "w", encoding="utf-8") as out:
            out.write(repr(time.time()))


class _FirstPaint(QObject):
    """Notices the main window's first paint; benchmarks close the app right after it."""

    def __init__(self, painted: asyncio.Event) -> None:
        super().__init__()
        self.painted = painted

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self.painted.is_set():
            watched.removeEventFilter(self)
            _note_ready()
            self.painted.set()
            if os.environ.get(READY_FILE_ENV):
                QTimer.singleShot(200, watched.close)  # type: ignore[attr-defined]
        return False


def run_gui(terminal_id: str, *, training: bool, prepare: Callable[[], Setup]) -> int:
    """Paint the window first, then load the back-ends: the cashier sees the till at once."""
    application()
    install_exception_hook()
    view = MainWindow(terminal_id, training=training)
    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
        painted = asyncio.Event()
        probe = _FirstPaint(painted)
        view.window.installEventFilter(probe)
        return runner.run(_run(view, prepare, painted))


def self_check(terminal_id: str) -> str:
    """Build the real main window headless: proves Qt, forms and resources are all present."""
    application()
    window = MainWindow(terminal_id, training=False)
    title = window.window.windowTitle()
    window.window.close()
    return title
