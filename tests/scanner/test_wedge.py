"""The app-wide key filter with real widgets: scans become one signal, typing is untouched."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent, QWindow
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QVBoxLayout
from pytestqt.qtbot import QtBot

from pos_app.config import ScannerConfig
from pos_app.scanner import KeyKind, ScannerInput, classify
from tests.scanner.conftest import FakeClock, Keyboard, MakeScanner, Till, key_for, show_dialog

CARD = "4000123456789012"


def replace_search_field(qtbot: QtBot, till: Till, field: QLineEdit) -> None:
    till.window.setCentralWidget(field)
    qtbot.waitUntil(field.isVisible, timeout=1000)
    field.setFocus()
    qtbot.waitUntil(field.hasFocus, timeout=1000)


def wait_for_gap_timeout(qtbot: QtBot, clock: FakeClock, predicate: Callable[[], bool]) -> None:
    """Let the burst go quiet on the fake clock, then wait for the real timer to notice."""
    clock.advance(60)
    qtbot.waitUntil(predicate, timeout=2000)


def test_scan_at_scanner_speed_is_one_signal_and_the_field_stays_empty(
    qtbot: QtBot, till: Till, keyboard: Keyboard, scans: list[str]
) -> None:
    keyboard.type(till.handle, CARD, gap_ms=5)
    keyboard.enter(till.handle, gap_ms=5)
    qtbot.waitUntil(lambda: scans == [CARD], timeout=2000)
    QApplication.processEvents()
    assert scans == [CARD]
    assert till.search.text() == ""
    assert till.returns == []


def test_typing_at_human_speed_lands_exactly_and_is_no_scan(
    till: Till, keyboard: Keyboard, scans: list[str]
) -> None:
    keyboard.type(till.handle, "Gift 4000", gap_ms=150)
    keyboard.enter(till.handle, gap_ms=150)
    assert till.search.text() == "Gift 4000"
    assert till.returns == ["Gift 4000"]
    assert scans == []


def test_a_fast_burst_without_terminator_is_held_then_replayed_in_order(
    qtbot: QtBot, clock: FakeClock, till: Till, keyboard: Keyboard, scans: list[str]
) -> None:
    keyboard.type(till.handle, "qwerty", gap_ms=10)
    assert till.search.text() == ""  # held back: it might still become a scan
    wait_for_gap_timeout(qtbot, clock, lambda: till.search.text() == "qwerty")
    assert scans == []


def test_a_fast_typist_sees_exactly_what_they_typed(
    qtbot: QtBot, clock: FakeClock, till: Till, keyboard: Keyboard, scans: list[str]
) -> None:
    gaps = [0, 20, 160, 10, 30, 200, 5, 45, 120, 8, 12, 300, 40, 49, 51, 7]
    text = "the quick brown "
    for char, gap in zip(text, gaps, strict=True):
        keyboard.type(till.handle, char, gap_ms=gap)
    keyboard.press(till.handle, Qt.Key.Key_Backspace, "\b", gap_ms=20)
    keyboard.type(till.handle, "!", gap_ms=15)
    wait_for_gap_timeout(qtbot, clock, lambda: till.search.text() == "the quick brown!")
    assert scans == []


def test_a_scan_shorter_than_min_length_is_typing(
    till: Till, keyboard: Keyboard, scans: list[str]
) -> None:
    keyboard.type(till.handle, "123", gap_ms=5)
    keyboard.enter(till.handle, gap_ms=5)
    assert till.search.text() == "123"
    assert till.returns == ["123"]
    assert scans == []


def test_min_length_comes_from_the_config(
    qtbot: QtBot, till: Till, keyboard: Keyboard, make_scanner: MakeScanner
) -> None:
    scanner = make_scanner(min_length=2)
    with qtbot.waitSignal(scanner.scanned, timeout=2000) as signal:
        keyboard.type(till.handle, "12", gap_ms=5)
        keyboard.enter(till.handle, gap_ms=5)
    assert signal.args == ["12"]


def test_max_gap_comes_from_the_config(
    qtbot: QtBot, till: Till, keyboard: Keyboard, make_scanner: MakeScanner
) -> None:
    scanner = make_scanner(max_gap_ms=100)
    with qtbot.waitSignal(scanner.scanned, timeout=2000) as signal:
        keyboard.type(till.handle, "98765", gap_ms=80)
        keyboard.enter(till.handle, gap_ms=80)
    assert signal.args == ["98765"]
    assert till.search.text() == ""


def test_a_scan_into_the_amount_field_does_not_land_there(
    qtbot: QtBot, clock: FakeClock, till: Till, keyboard: Keyboard, scans: list[str]
) -> None:
    show_dialog(qtbot, till)
    keyboard.type(till.dialog_handle, "12.50", gap_ms=120)
    wait_for_gap_timeout(qtbot, clock, lambda: till.amount.text() == "12.50")
    keyboard.type(till.dialog_handle, CARD, gap_ms=4)
    keyboard.enter(till.dialog_handle, gap_ms=4)
    qtbot.waitUntil(lambda: scans == [CARD], timeout=2000)
    assert till.amount.text() == "12.50"
    assert till.dialog.isVisible()
    assert till.search.text() == ""


@pytest.mark.parametrize(
    ("key", "text", "modifiers"),
    [
        (Qt.Key.Key_P, "\x10", Qt.KeyboardModifier.ControlModifier),
        (Qt.Key.Key_F8, "", Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_Escape, "\x1b", Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_G, "\x07", Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_F4, "", Qt.KeyboardModifier.AltModifier),
    ],
    ids=["ctrl+p", "f8", "escape", "bell", "alt+f4"],
)
def test_commands_inside_a_scan_are_dropped(
    qtbot: QtBot,
    till: Till,
    keyboard: Keyboard,
    scans: list[str],
    key: Qt.Key,
    text: str,
    modifiers: Qt.KeyboardModifier,
) -> None:
    keyboard.type(till.handle, "1234", gap_ms=5)
    keyboard.press(till.handle, key, text, modifiers, gap_ms=5)
    keyboard.type(till.handle, "5678", gap_ms=5)
    keyboard.enter(till.handle, gap_ms=5)
    qtbot.waitUntil(lambda: scans == ["12345678"], timeout=2000)
    assert till.printed == []
    assert till.f8_presses == []
    assert till.search.text() == ""
    assert till.window.isVisible()


def test_escape_inside_a_scan_does_not_close_the_dialog(
    qtbot: QtBot, till: Till, keyboard: Keyboard, scans: list[str]
) -> None:
    show_dialog(qtbot, till)
    keyboard.type(till.dialog_handle, "9876", gap_ms=5)
    keyboard.press(till.dialog_handle, Qt.Key.Key_Escape, "\x1b", gap_ms=5)
    keyboard.type(till.dialog_handle, "5432", gap_ms=5)
    keyboard.enter(till.dialog_handle, gap_ms=5)
    qtbot.waitUntil(lambda: scans == ["98765432"], timeout=2000)
    assert till.dialog.isVisible()
    assert till.dialog.result() == QDialog.DialogCode.Rejected.value
    assert till.amount.text() == ""


def test_escape_alone_still_closes_the_dialog(
    qtbot: QtBot, till: Till, keyboard: Keyboard, scanner: ScannerInput
) -> None:
    show_dialog(qtbot, till)
    rejected: list[bool] = []
    till.dialog.rejected.connect(lambda: rejected.append(True))
    keyboard.press(till.dialog_handle, Qt.Key.Key_Escape, "\x1b", gap_ms=500)
    assert rejected == [True]
    assert not till.dialog.isVisible()


def test_shortcuts_and_function_keys_typed_alone_still_work(
    till: Till, keyboard: Keyboard, scanner: ScannerInput
) -> None:
    keyboard.press(till.handle, Qt.Key.Key_P, "\x10", Qt.KeyboardModifier.ControlModifier)
    keyboard.press(till.handle, Qt.Key.Key_F8, gap_ms=300)
    assert till.printed == [""]
    assert till.f8_presses == [""]


def test_a_shortcut_after_typing_sees_the_typed_text_first(
    till: Till, keyboard: Keyboard, scans: list[str]
) -> None:
    keyboard.type(till.handle, "ab", gap_ms=200)
    keyboard.press(
        till.handle, Qt.Key.Key_P, "\x10", Qt.KeyboardModifier.ControlModifier, gap_ms=200
    )
    assert till.printed == ["ab"]
    assert scans == []


def test_prefix_is_required_and_stripped_and_suffix_ends_the_scan(
    qtbot: QtBot, till: Till, keyboard: Keyboard, make_scanner: MakeScanner
) -> None:
    scanner = make_scanner(prefix="]C", suffix="#")
    received: list[str] = []
    scanner.scanned.connect(received.append)
    keyboard.type(till.handle, "]C1234#", gap_ms=5)
    qtbot.waitUntil(lambda: received == ["1234"], timeout=2000)
    keyboard.enter(till.handle, gap_ms=5)  # many scanners send Enter after the suffix too
    keyboard.type(till.handle, "]C5678", gap_ms=5)
    keyboard.enter(till.handle, gap_ms=5)
    qtbot.waitUntil(lambda: received == ["1234", "5678"], timeout=2000)
    assert till.search.text() == ""
    assert till.returns == []


def test_a_fast_burst_without_the_prefix_is_typing(
    till: Till, keyboard: Keyboard, make_scanner: MakeScanner
) -> None:
    scanner = make_scanner(prefix="]C")
    received: list[str] = []
    scanner.scanned.connect(received.append)
    keyboard.type(till.handle, "12345", gap_ms=5)
    keyboard.enter(till.handle, gap_ms=5)
    keyboard.type(till.handle, "]X9", gap_ms=5)
    assert till.search.text() == "12345]X9"
    assert till.returns == ["12345"]
    assert received == []


def test_keys_of_a_foreign_window_are_untouched(
    qtbot: QtBot, till: Till, keyboard: Keyboard, scans: list[str]
) -> None:
    other = QDialog()  # e.g. a message box or another tool's dialog: not ours
    qtbot.addWidget(other)
    field = QLineEdit(other)
    QVBoxLayout(other).addWidget(field)
    other.show()
    other.activateWindow()
    qtbot.waitActive(other)
    field.setFocus()
    handle = other.windowHandle()
    assert handle is not None
    keyboard.type(handle, CARD, gap_ms=5)
    assert field.text() == CARD  # delivered at once, not held back
    keyboard.press(handle, Qt.Key.Key_P, "\x10", Qt.KeyboardModifier.ControlModifier, gap_ms=5)
    keyboard.enter(handle, gap_ms=5)
    QApplication.processEvents()
    assert scans == []


class _NativeWindow(QWindow):
    """A window with no QWidget behind it, like a native file dialog or a QML view."""

    def __init__(self) -> None:
        super().__init__()
        self.typed: list[str] = []

    def keyPressEvent(self, event: QKeyEvent) -> None:
        self.typed.append(event.text())


def test_a_window_without_widgets_is_foreign_even_without_a_window_list(
    qapp: QApplication, clock: FakeClock, keyboard: Keyboard
) -> None:
    scanner = ScannerInput(qapp, ScannerConfig(), clock=clock)
    scanner.install()
    native = _NativeWindow()
    native.show()
    try:
        keyboard.type(native, "55667788", gap_ms=2)
        keyboard.enter(native, gap_ms=2)
        assert "".join(native.typed) == "55667788\r"
    finally:
        scanner.uninstall()
        native.destroy()


@pytest.mark.expected_logs
def test_the_filter_switches_itself_off_after_an_error_and_typing_works(
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    till: Till,
    keyboard: Keyboard,
    scanner: ScannerInput,
) -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError("bug in the scan buffer")

    monkeypatch.setattr(scanner._buffer, "press", broken)
    with caplog.at_level(logging.ERROR, logger="pos_app.scanner.wedge"):
        keyboard.type(till.handle, "abc", gap_ms=5)
        keyboard.type(till.handle, "de", gap_ms=200)
    assert till.search.text() == "abcde"
    assert not scanner.enabled
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "switched off" in errors[0].getMessage()


@pytest.mark.expected_logs
def test_keys_held_back_when_the_filter_breaks_are_delivered(
    qtbot: QtBot,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    clock: FakeClock,
    till: Till,
    keyboard: Keyboard,
    scanner: ScannerInput,
) -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError("bug in the timeout")

    monkeypatch.setattr(scanner._buffer, "expire", broken)
    with caplog.at_level(logging.ERROR, logger="pos_app.scanner.wedge"):
        keyboard.type(till.handle, "xyz", gap_ms=5)
        wait_for_gap_timeout(qtbot, clock, lambda: not scanner.enabled)
    assert till.search.text() == "xyz"
    keyboard.type(till.handle, "1234", gap_ms=1)
    assert till.search.text() == "xyz1234"


class _KeyLog(QLineEdit):
    """A line edit that records every press and release it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, str]] = []

    def keyPressEvent(self, event: QKeyEvent) -> None:
        self.events.append(("press", event.text()))
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        self.events.append(("release", event.text()))
        super().keyReleaseEvent(event)


def test_releases_of_swallowed_keys_are_swallowed_and_replays_are_whole_clicks(
    qtbot: QtBot, clock: FakeClock, till: Till, keyboard: Keyboard, scans: list[str]
) -> None:
    field = _KeyLog()
    replace_search_field(qtbot, till, field)
    keyboard.type(till.handle, "5555", gap_ms=3)
    keyboard.enter(till.handle, gap_ms=3)
    qtbot.waitUntil(lambda: scans == ["5555"], timeout=2000)
    assert field.events == []
    keyboard.type(till.handle, "ok", gap_ms=10)
    wait_for_gap_timeout(qtbot, clock, lambda: field.text() == "ok")
    assert field.events == [("press", "o"), ("release", "o"), ("press", "k"), ("release", "k")]


def test_auto_repeat_is_a_person_and_is_delivered_at_once(
    till: Till, clock: FakeClock, scans: list[str]
) -> None:
    keyboard = Keyboard(clock, "send")
    keyboard.type(till.handle, "0", gap_ms=0)
    for _ in range(5):
        keyboard.press(till.handle, key_for("0"), "0", gap_ms=30, autorepeat=True)
    assert till.search.text() == "000000"
    assert scans == []


def test_the_signal_is_queued_so_slots_run_outside_key_delivery(
    qtbot: QtBot, clock: FakeClock, till: Till, scans: list[str]
) -> None:
    keyboard = Keyboard(clock, "send")
    keyboard.type(till.handle, "24681357", gap_ms=5)
    keyboard.enter(till.handle, gap_ms=5)
    assert scans == []
    qtbot.waitUntil(lambda: scans == ["24681357"], timeout=2000)


def test_uninstall_delivers_held_keys_and_stops_filtering(
    till: Till, keyboard: Keyboard, scanner: ScannerInput, scans: list[str]
) -> None:
    keyboard.type(till.handle, "ab", gap_ms=5)
    assert till.search.text() == ""
    scanner.uninstall()
    assert till.search.text() == "ab"
    assert not scanner.enabled
    keyboard.type(till.handle, "1234", gap_ms=1)
    keyboard.enter(till.handle, gap_ms=1)
    assert till.search.text() == "ab1234"
    assert scans == []
    scanner.install()
    assert scanner.enabled


def test_keys_for_a_widget_that_was_deleted_are_dropped_quietly(
    qtbot: QtBot, clock: FakeClock, till: Till, keyboard: Keyboard, scans: list[str]
) -> None:
    keyboard.type(till.handle, "zz", gap_ms=5)
    replacement = QLineEdit()
    replace_search_field(qtbot, till, replacement)  # deletes the field "zz" was typed into
    clock.advance(60)
    qtbot.wait(150)
    assert replacement.text() == ""  # not delivered to a field nobody typed into
    keyboard.type(till.handle, "ok", gap_ms=200)
    keyboard.enter(till.handle, gap_ms=200)
    assert replacement.text() == "ok"
    assert scans == []


def test_the_full_code_never_reaches_the_log(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture, till: Till, keyboard: Keyboard
) -> None:
    caplog.set_level(logging.DEBUG, logger="pos_app.scanner")
    scanned: list[str] = []
    scanner = ScannerInput(
        QApplication.instance(),  # type: ignore[arg-type]
        ScannerConfig(),
        lambda: [till.window],
        clock=keyboard.clock,
    )
    scanner.scanned.connect(scanned.append)
    scanner.install()
    try:
        keyboard.type(till.handle, CARD, gap_ms=5)
        keyboard.enter(till.handle, gap_ms=5)
        qtbot.waitUntil(lambda: scanned == [CARD], timeout=2000)
    finally:
        scanner.uninstall()
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "9012" in messages
    assert CARD not in messages
    assert "12345678" not in messages


def test_real_timing_five_ms_apart(qtbot: QtBot, qapp: QApplication, till: Till) -> None:
    scanner = ScannerInput(qapp, ScannerConfig(), lambda: [till.window])
    scanner.install()
    try:
        with qtbot.waitSignal(scanner.scanned, timeout=3000) as signal:
            for char in "0123456789":
                QApplication.sendEvent(
                    till.handle,
                    QKeyEvent(
                        QEvent.Type.KeyPress, key_for(char), Qt.KeyboardModifier.NoModifier, char
                    ),
                )
                time.sleep(0.005)
            QApplication.sendEvent(
                till.handle,
                QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier),
            )
        assert signal.args == ["0123456789"]
        assert till.search.text() == ""
        QApplication.sendEvent(
            till.handle,
            QKeyEvent(QEvent.Type.KeyPress, key_for("x"), Qt.KeyboardModifier.NoModifier, "x"),
        )
        qtbot.waitUntil(lambda: till.search.text() == "x", timeout=2000)
    finally:
        scanner.uninstall()


def _event(key: Qt.Key, text: str = "", modifiers: Qt.KeyboardModifier | None = None) -> QKeyEvent:
    return QKeyEvent(QEvent.Type.KeyPress, key, modifiers or Qt.KeyboardModifier.NoModifier, text)


@pytest.mark.parametrize(
    ("event", "kind"),
    [
        (_event(Qt.Key.Key_A, "a"), KeyKind.CHARACTER),
        (_event(Qt.Key.Key_A, "A", Qt.KeyboardModifier.ShiftModifier), KeyKind.CHARACTER),
        (_event(Qt.Key.Key_5, "5", Qt.KeyboardModifier.KeypadModifier), KeyKind.CHARACTER),
        (_event(Qt.Key.Key_Space, " "), KeyKind.CHARACTER),
        (_event(Qt.Key.Key_Return, "\r"), KeyKind.TERMINATOR),
        (_event(Qt.Key.Key_Enter, "\r", Qt.KeyboardModifier.KeypadModifier), KeyKind.TERMINATOR),
        (_event(Qt.Key.Key_Tab, "\t"), KeyKind.TERMINATOR),
        (_event(Qt.Key.Key_Backspace, "\b"), KeyKind.EDITING),
        (_event(Qt.Key.Key_Left), KeyKind.EDITING),
        (_event(Qt.Key.Key_P, "\x10", Qt.KeyboardModifier.ControlModifier), KeyKind.COMMAND),
        (_event(Qt.Key.Key_Return, "\r", Qt.KeyboardModifier.AltModifier), KeyKind.COMMAND),
        (_event(Qt.Key.Key_F8), KeyKind.COMMAND),
        (_event(Qt.Key.Key_Escape, "\x1b"), KeyKind.COMMAND),
        (_event(Qt.Key.Key_G, "\x07"), KeyKind.COMMAND),
        (_event(Qt.Key.Key_Shift), None),
        (_event(Qt.Key.Key_Dead_Acute), None),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_classify(event: QKeyEvent, kind: KeyKind | None) -> None:
    assert classify(event) is kind
