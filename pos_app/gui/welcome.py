"""First run: a till with no configuration offers training mode or setting it up.

Without this, a new till's first start was an error on a terminal nobody at the counter reads.
The window only decides what to start; ``cli._gui`` then starts the training GUI or the GUI
with the configuration Settings just saved, in the same process.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TypeVar

import qasync
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QPushButton

from pos_app.config import AppConfig
from pos_app.gui.forms import FormError, load_form, stylesheet
from pos_app.gui.settings_dialog import SettingsDialog

__all__ = ["Choice", "Welcome", "WelcomeResult", "run_welcome", "welcome"]

log = logging.getLogger(__name__)
W = TypeVar("W", bound=QObject)


class Choice(Enum):
    TRAINING = "training"
    CONFIGURED = "configured"
    QUIT = "quit"


@dataclass(frozen=True)
class WelcomeResult:
    """What to start next; ``config`` is the saved configuration when ``CONFIGURED``."""

    choice: Choice
    config: AppConfig | None = None


class Welcome(QObject):
    """The welcome window; ``result`` resolves once the owner has chosen (or closed it)."""

    def __init__(self, config_file: Path) -> None:
        window = load_form("welcome.ui")
        if not isinstance(window, QDialog):
            raise FormError("form welcome.ui must have a QDialog at its root")
        super().__init__(window)
        self.window = window
        self.config_file = config_file
        self.settings: SettingsDialog | None = None
        self.result: asyncio.Future[WelcomeResult] = asyncio.get_running_loop().create_future()
        window.setStyleSheet(stylesheet())
        self.training_button = self._child(QPushButton, "trainingButton")
        self.setup_button = self._child(QPushButton, "setupButton")
        self.quit_button = self._child(QPushButton, "quitButton")
        self._child(QLabel, "pathLabel").setText(f"Configuration file: {config_file}")
        self.training_button.clicked.connect(self.choose_training)
        self.setup_button.clicked.connect(self.start_setup)
        self.quit_button.clicked.connect(window.reject)
        # Plain letters, as the buttons say: nothing on this window takes text.
        QShortcut(QKeySequence(Qt.Key.Key_T), window, self.choose_training)
        QShortcut(QKeySequence(Qt.Key.Key_S), window, self.start_setup)
        window.finished.connect(lambda _code: self._decide(WelcomeResult(Choice.QUIT)))

    def show(self) -> None:
        self.window.show()
        self.window.activateWindow()
        self.training_button.setDefault(True)
        self.training_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def choose_training(self) -> None:
        self._decide(WelcomeResult(Choice.TRAINING))

    def start_setup(self) -> SettingsDialog:
        """Settings with the defaults; a successful Save starts the till with what was saved."""
        if self.settings is not None and self.settings.is_open:
            return self.settings
        self.settings = SettingsDialog(
            self.window, config=None, config_file=self.config_file, on_saved=self._saved
        )
        self.settings.open()
        return self.settings

    def _saved(self, config: AppConfig) -> None:
        self._decide(WelcomeResult(Choice.CONFIGURED, config))

    def _decide(self, result: WelcomeResult) -> None:
        if self.result.done():
            return
        log.info("first run: %s", result.choice.value)
        self.result.set_result(result)

    def _child(self, kind: type[W], name: str) -> W:
        widget = self.window.findChild(kind, name)
        if widget is None:
            raise FormError(f"welcome.ui has no {kind.__name__} named {name}")
        return widget


async def welcome(config_file: Path) -> WelcomeResult:
    """Show the welcome window until a choice is made; the window is gone on return."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    # Closing the welcome is not the end of the app: training or the till starts next, and
    # Qt quitting on its "last window closed" would stop the loop under them.
    quit_on_close = app.quitOnLastWindowClosed()
    app.setQuitOnLastWindowClosed(False)
    screen = Welcome(config_file)
    screen.show()
    try:
        return await screen.result
    finally:
        if screen.settings is not None:
            screen.settings.close()
        screen.window.close()
        await asyncio.sleep(0)  # the window's close is handled before the setting returns
        app.setQuitOnLastWindowClosed(quit_on_close)


def run_welcome(config_file: Path) -> WelcomeResult:
    """The welcome on its own qasync loop (Settings tests connections asynchronously)."""
    from pos_app.gui.app import application, install_exception_hook

    application()
    install_exception_hook()
    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
        return runner.run(welcome(config_file))
