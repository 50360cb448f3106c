"""Start the Qt application on the qasync loop; never let an exception reach the cashier raw."""

from __future__ import annotations

import asyncio
import logging
import sys
from types import TracebackType

import httpx
import qasync
from PySide6.QtWidgets import QApplication, QMessageBox

from pos_app.gui.main_window import MainWindow
from pos_app.training import TrainingWorld

log = logging.getLogger(__name__)


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


async def _populate_training(window: MainWindow, world: TrainingWorld) -> None:
    window.show_message("Training mode: starting the emulated back-ends …")
    try:
        async with world.http_client() as client:
            response = await client.get("/_sandbox/seed")
            response.raise_for_status()
            seed = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("training seed unavailable: %s", exc)
        window.show_message("Training data could not be loaded.")
        return
    window.show_training_cards(seed)
    window.show_message(
        "Training mode: LoyaltyDog, Leal and ClientToolbox are emulated on this computer. "
        "Nothing you do here touches a real card."
    )


async def _run(window: MainWindow, world: TrainingWorld | None) -> int:
    app = application()
    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)
    window.window.show()
    if world is not None:
        await _populate_training(window, world)
    await closed.wait()
    return 0


def run_gui(terminal_id: str, world: TrainingWorld | None) -> int:
    application()
    install_exception_hook()
    window = MainWindow(terminal_id, training=world is not None)
    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
        return runner.run(_run(window, world))


def self_check(terminal_id: str) -> str:
    """Build the real main window headless: proves Qt, forms and resources are all present."""
    application()
    window = MainWindow(terminal_id, training=False)
    title = window.window.windowTitle()
    window.window.close()
    return title
