"""A small till window, a fake clock and two ways of typing into a QWindow.

Keys are always aimed at the QWindow (``widget.windowHandle()``), never at a widget, because
that is where the platform delivers them and where the scanner filter looks. Two paths:

* ``qtest``: ``QTest.sendKeyEvent`` on the QWindow goes through QWindowSystemInterface like a
  real keyboard: spontaneous events, and Qt asks "is this a shortcut?" (ShortcutOverride)
  at the QWindow before the KeyPress arrives.
* ``send``: ``QApplication.sendEvent`` of a QKeyEvent to the QWindow: not spontaneous, and
  the shortcut check happens later, at the focus widget.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QShortcut, QWindow
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QMainWindow, QVBoxLayout
from pytestqt.qtbot import QtBot

from pos_app.config import ScannerConfig
from pos_app.scanner import ScannerInput


class FakeClock:
    """Seconds that only move when a test says so, so timing never depends on the machine."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, ms: float) -> None:
        self.now += ms / 1000


def key_for(char: str) -> Qt.Key:
    """The Qt key code a US keyboard reports for an ASCII character."""
    return Qt.Key(ord(char.upper()))


@dataclass
class Keyboard:
    """Types into a QWindow with the fake clock advanced by ``gap_ms`` before each press."""

    clock: FakeClock
    path: str

    def press(
        self,
        window: QWindow,
        key: Qt.Key,
        text: str = "",
        modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
        *,
        gap_ms: float = 0,
        autorepeat: bool = False,
    ) -> None:
        self.clock.advance(gap_ms)
        if self.path == "qtest" and not autorepeat:
            QTest.sendKeyEvent(QTest.KeyAction.Click, window, key, text, modifiers)
            return
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(window, QKeyEvent(kind, key, modifiers, text, autorepeat))

    def type(self, window: QWindow, text: str, gap_ms: float) -> None:
        for char in text:
            shift = Qt.KeyboardModifier.ShiftModifier if char.isupper() else None
            self.press(
                window, key_for(char), char, shift or Qt.KeyboardModifier.NoModifier, gap_ms=gap_ms
            )

    def enter(self, window: QWindow, gap_ms: float) -> None:
        self.press(window, Qt.Key.Key_Return, "\r", gap_ms=gap_ms)


@dataclass
class Till:
    """The main window (search field, Ctrl+P shortcut, F8 action) and its amount dialog."""

    window: QMainWindow
    search: QLineEdit
    dialog: QDialog
    amount: QLineEdit
    printed: list[str] = field(default_factory=list)
    f8_presses: list[str] = field(default_factory=list)
    returns: list[str] = field(default_factory=list)

    @property
    def handle(self) -> QWindow:
        handle = self.window.windowHandle()
        assert handle is not None
        return handle

    @property
    def dialog_handle(self) -> QWindow:
        handle = self.dialog.windowHandle()
        assert handle is not None
        return handle


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["qtest", "send"])
def keyboard(request: pytest.FixtureRequest, clock: FakeClock) -> Keyboard:
    return Keyboard(clock, request.param)


@pytest.fixture
def till(qtbot: QtBot) -> Till:
    window = QMainWindow()
    window.setWindowTitle("Tillcard test")
    search = QLineEdit()
    window.setCentralWidget(search)
    dialog = QDialog(window)
    dialog.setWindowTitle("Redeem")
    amount = QLineEdit(dialog)
    amount.setObjectName("amount")
    QVBoxLayout(dialog).addWidget(amount)
    built = Till(window, search, dialog, amount)
    shortcut = QShortcut(QKeySequence("Ctrl+P"), window)
    shortcut.activated.connect(lambda: built.printed.append(search.text()))
    action = QAction("Look up", window)
    action.setShortcut(QKeySequence(Qt.Key.Key_F8))
    action.triggered.connect(lambda: built.f8_presses.append(search.text()))
    window.addAction(action)
    search.returnPressed.connect(lambda: built.returns.append(search.text()))
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)
    search.setFocus()
    return built


def show_dialog(qtbot: QtBot, till: Till) -> None:
    till.dialog.show()
    till.dialog.activateWindow()
    qtbot.waitActive(till.dialog)
    till.amount.setFocus()


MakeScanner = Callable[..., ScannerInput]


@pytest.fixture
def make_scanner(till: Till, clock: FakeClock, qapp: QApplication) -> Iterator[MakeScanner]:
    """Installed ScannerInput instances on the fake clock, watching the till's main window."""
    made: list[ScannerInput] = []

    def make(**config: object) -> ScannerInput:
        scanner = ScannerInput(
            qapp, ScannerConfig.model_validate(config), lambda: [till.window], clock=clock
        )
        scanner.install()
        made.append(scanner)
        return scanner

    yield make
    for scanner in made:
        scanner.uninstall()


@pytest.fixture
def scanner(make_scanner: MakeScanner) -> ScannerInput:
    return make_scanner()


@pytest.fixture
def scans(scanner: ScannerInput) -> list[str]:
    received: list[str] = []
    scanner.scanned.connect(received.append)
    return received
