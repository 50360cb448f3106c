"""F1: the version, the keys, and where this till keeps its files, for the cashier and support.

Support's first questions on a phone call are "which version?" and "where is the log?"; the
About box answers both, and Copy details puts them on the clipboard in one key press.
"""

from __future__ import annotations

import contextlib
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

import PySide6
from PySide6.QtCore import QObject, Qt, qVersion
from PySide6.QtGui import QGuiApplication, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QPushButton, QWidget

from pos_app.__about__ import __version__
from pos_app.assets import MissingAsset, resource_path
from pos_app.gui.view_dialog import ViewDialog

ABOUT_KEY = "F1"
#: Every key the till answers to, in the order a cashier meets them.
KEYS: tuple[tuple[str, str], ...] = (
    ("F1", "this help"),
    ("Ctrl+L", "card number field"),
    ("F2", "redeem"),
    ("F3", "add stamps"),
    ("F4", "redeem a reward"),
    ("F5", "refresh the card"),
    ("F7", "card label"),
    ("F8", "undo"),
    ("F9", "pending operations"),
    ("F10", "shift report"),
    ("F11", "back office"),
    ("F12", "sign out / switch cashier"),
    ("Ctrl+P", "reprint the last receipt"),
    ("Esc", "next customer"),
)


@dataclass(frozen=True)
class TillFiles:
    """Where this till keeps its journal, log and configuration (None: there is none)."""

    terminal: str
    training: bool
    data_dir: Path | None = None
    log_file: Path | None = None
    config_file: Path | None = None


def frozen() -> bool:
    """True inside the installed (PyInstaller) build, False when run from Python."""
    return bool(getattr(sys, "frozen", False))


def about_details(files: TillFiles) -> str:
    """Plain text for support: versions first, then the paths, nothing secret."""

    def shown(path: Path | None) -> str:
        return str(path) if path is not None else "none"

    build = "installed build" if frozen() else "run from Python"
    return "\n".join(
        [
            f"Tillcard {__version__} ({build})",
            f"Till: {files.terminal}" + (" — TRAINING" if files.training else ""),
            f"Data folder: {shown(files.data_dir)}",
            f"Log file: {shown(files.log_file)}",
            f"Configuration: {shown(files.config_file)}",
            f"Python {platform.python_version()}, PySide6 {PySide6.__version__}, Qt {qVersion()}",
            f"System: {platform.platform()}",
        ]
    )


def keys_text() -> str:
    return " · ".join(f"{key} {what}" for key, what in KEYS)


class AboutDialog(ViewDialog):
    """The About box; Ctrl+C or Copy details copies the support text."""

    def __init__(self, parent: QWidget | None, files: TillFiles) -> None:
        super().__init__("about_dialog.ui", parent)
        self.title: QLabel = self._child(QLabel, "dialogTitle")
        self.keys: QLabel = self._child(QLabel, "keysLabel")
        self.details: QPlainTextEdit = self._child(QPlainTextEdit, "detailsText")
        self.status: QLabel = self._child(QLabel, "statusLabel")
        self.copy_button: QPushButton = self._child(QPushButton, "copyButton")
        self.close_button: QPushButton = self._child(QPushButton, "closeButton")
        self.title.setText(f"Tillcard {__version__}")
        self.keys.setText(keys_text())
        self.details.setPlainText(about_details(files))
        with contextlib.suppress(MissingAsset):  # decoration: the version and paths still show
            self._child(QLabel, "iconLabel").setPixmap(QPixmap(str(resource_path("tillcard.png"))))
        self.copy_button.clicked.connect(self.copy_details)
        self.close_button.clicked.connect(self.close)
        QShortcut(QKeySequence.StandardKey.Copy, self.dialog, self.copy_details)

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details.toPlainText())
        self.status.setText("Details copied: paste them into your message to support.")

    def _initial_focus(self) -> QWidget:
        return self.close_button


class AboutDesk(QObject):
    """Owns the F1 shortcut on the main window; one About box at a time."""

    def __init__(self, window: QWidget, files: TillFiles) -> None:
        super().__init__(window)
        self.window = window
        self.files = files
        self.dialog: AboutDialog | None = None
        shortcut = QShortcut(QKeySequence(ABOUT_KEY), window)
        shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        shortcut.activated.connect(self.open)

    def open(self) -> AboutDialog:
        if self.dialog is None or not self.dialog.is_open:
            self.dialog = AboutDialog(self.window, self.files)
            self.dialog.open()
        return self.dialog
