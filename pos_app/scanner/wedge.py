"""App-wide keyboard-wedge scanner input: one ``scanned(str)`` signal for the whole window.

A QApplication event filter (after qutebrowser's ``keyinput/eventfilter.py``) looks at every
key exactly once, when it reaches a ``QWindow`` (Qt delivers each key to the window before the
focus widget), holds back the keys of a fast burst, and either reports them as a scan or
delivers them again, unchanged and in order, to the widget they were typed into.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import cast

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QWindow
from PySide6.QtWidgets import QApplication, QWidget

from pos_app.config import ScannerConfig
from pos_app.domain import mask
from pos_app.scanner.scan_buffer import KeyKind, ScanBuffer, Stroke
from pos_app.scanner.serial_source import SerialScanner

log = logging.getLogger(__name__)

_KEY_EVENTS = frozenset(
    {QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.ShortcutOverride}
)
_CHORD = (
    Qt.KeyboardModifier.ControlModifier
    | Qt.KeyboardModifier.AltModifier
    | Qt.KeyboardModifier.MetaModifier
)
_TERMINATORS = frozenset({Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab})
_EDITING = frozenset(
    {
        Qt.Key.Key_Backspace,
        Qt.Key.Key_Delete,
        Qt.Key.Key_Left,
        Qt.Key.Key_Right,
        Qt.Key.Key_Up,
        Qt.Key.Key_Down,
        Qt.Key.Key_Home,
        Qt.Key.Key_End,
    }
)
# Presses that only change how the next key is read: never part of a burst, always delivered.
_MODIFIER_ONLY = frozenset(
    {
        Qt.Key.Key_Shift,
        Qt.Key.Key_Control,
        Qt.Key.Key_Alt,
        Qt.Key.Key_AltGr,
        Qt.Key.Key_Meta,
        Qt.Key.Key_Super_L,
        Qt.Key.Key_Super_R,
        Qt.Key.Key_Hyper_L,
        Qt.Key.Key_Hyper_R,
        Qt.Key.Key_CapsLock,
        Qt.Key.Key_NumLock,
        Qt.Key.Key_ScrollLock,
        Qt.Key.Key_Mode_switch,
        *(key for name, key in Qt.Key.__members__.items() if name.startswith("Key_Dead_")),
    }
)
_TERMINATOR_VALUES = {int(key) for key in _TERMINATORS}
_EDITING_VALUES = {int(key) for key in _EDITING}
_MODIFIER_VALUES = {int(key) for key in _MODIFIER_ONLY}

Clock = Callable[[], float]
WindowsProvider = Callable[[], Iterable[QWidget]]


def classify(event: QKeyEvent) -> KeyKind | None:
    """How the buffer should treat a key press; None for modifier-only keys (always delivered)."""
    key = event.key()
    if key in _MODIFIER_VALUES:
        return None
    if event.modifiers() & _CHORD:
        return KeyKind.COMMAND
    if key in _TERMINATOR_VALUES:
        return KeyKind.TERMINATOR
    if key in _EDITING_VALUES:
        return KeyKind.EDITING
    text = event.text()
    if text and text.isprintable():
        return KeyKind.CHARACTER
    return KeyKind.COMMAND


@dataclass(frozen=True, slots=True)
class _Typed:
    """A held-back key press, copied out of its event (Qt deletes the event after delivery)."""

    target: QObject
    key: int
    modifiers: Qt.KeyboardModifier
    scan_code: int
    virtual_key: int
    native_modifiers: int
    text: str

    @classmethod
    def capture(cls, event: QKeyEvent, target: QObject) -> _Typed:
        return cls(
            target=target,
            key=event.key(),
            modifiers=event.modifiers(),
            scan_code=event.nativeScanCode(),
            virtual_key=event.nativeVirtualKey(),
            native_modifiers=event.nativeModifiers(),
            text=event.text(),
        )

    def event(self, kind: QEvent.Type) -> QKeyEvent:
        return QKeyEvent(
            kind,
            self.key,
            self.modifiers,
            self.scan_code,
            self.virtual_key,
            self.native_modifiers,
            self.text,
        )


_Signature = tuple[int, int, str, int]


def _signature(event: QKeyEvent) -> _Signature:
    """Identifies the KeyPress that follows a ShortcutOverride for the same physical key."""
    return (event.key(), int(event.modifiers().value), event.text(), event.timestamp())


class ScannerInput(QObject):
    """Scanner codes from the keyboard wedge (and an optional serial scanner) as one signal.

    Create one, connect ``scanned`` and call ``install()``. Typing keeps working everywhere:
    keys that turn out not to be a scan are delivered, in order, to the widget that had focus,
    at the latest ``max_gap_ms`` after the typist's last key. ``scanned`` is always emitted
    from the event loop, never from inside key delivery, so its slots may open dialogs.
    """

    scanned = Signal(str)
    _completed = Signal(str)

    def __init__(
        self,
        app: QApplication,
        config: ScannerConfig,
        windows: WindowsProvider | None = None,
        *,
        clock: Clock = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._app = app
        self._config = config
        self._windows = windows
        self._clock = clock
        self._buffer: ScanBuffer[_Typed] = ScanBuffer(
            max_gap=config.max_gap_ms / 1000,
            min_length=config.min_length,
            prefix=config.prefix,
            suffix=config.suffix,
        )
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._on_gap_timeout)
        self._installed = False
        self._held: Counter[int] = Counter()
        self._decided: tuple[_Signature, bool] | None = None
        self._synthetic: QKeyEvent | None = None
        self._serial: SerialScanner | None = None
        self._serial_problem: str | None = None
        self._completed.connect(self.scanned, Qt.ConnectionType.QueuedConnection)

    @property
    def enabled(self) -> bool:
        """True while the key filter is installed (False after ``uninstall`` or a failure)."""
        return self._installed

    @property
    def serial_problem(self) -> str | None:
        """Why the configured serial scanner is not reading, for the status bar; else None."""
        return self._serial_problem

    def install(self) -> None:
        """Start watching the keyboard (and open the serial scanner if one is configured)."""
        if not self._installed:
            self._app.installEventFilter(self)
            self._installed = True
            log.debug("keyboard-wedge scanner input installed")
        if self._config.serial_port and self._serial is None:
            self._open_serial(self._config.serial_port)

    def uninstall(self) -> None:
        """Stop watching; keys held back at this moment are delivered as typing first."""
        self._stop_filter()
        self._deliver(self._buffer.flush())
        if self._serial is not None:
            self._serial.close()
            self._serial = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Act once per key, where it reaches one of our windows; anything else goes through."""
        if (
            not self._installed
            or event.type() not in _KEY_EVENTS
            or not isinstance(watched, QWindow)
            or event is self._synthetic
        ):
            return False
        try:
            return self._handle(watched, cast(QKeyEvent, event))
        except Exception:
            self._break_down()
            return False

    def _handle(self, window: QWindow, event: QKeyEvent) -> bool:
        if not self._is_ours(window):
            return False
        kind = event.type()
        if kind == QEvent.Type.KeyRelease:
            self._decided = None
            if self._held[event.key()] > 0:
                self._held[event.key()] -= 1
                return True
            return False
        signature = _signature(event)
        if kind == QEvent.Type.ShortcutOverride:
            # Spontaneous keys ask "is this a shortcut?" before the press arrives; deciding
            # here is what keeps a shortcut inside a scan from firing.
            swallow = self._decide(window, event)
            self._decided = (signature, swallow)
            if swallow:
                event.accept()
            return swallow
        decided, self._decided = self._decided, None
        if decided is not None and decided[0] == signature:
            return decided[1]
        return self._decide(window, event)

    def _decide(self, window: QWindow, event: QKeyEvent) -> bool:
        if event.isAutoRepeat():
            # A held-down key is a person: never part of a scan.
            self._deliver(self._buffer.flush())
            self._arm_timer()
            return False
        kind = classify(event)
        if kind is None:
            return False
        stroke = Stroke(kind, event.text(), _Typed.capture(event, _focus_target(window)))
        decision = self._buffer.press(stroke, self._clock())
        self._deliver(decision.replay)
        if decision.swallow:
            self._held[event.key()] += 1
        if decision.code is not None:
            log.info("scanned %s", mask(decision.code))
            self._completed.emit(decision.code)
        self._arm_timer()
        return decision.swallow

    def _deliver(self, typed: Iterable[_Typed]) -> None:
        """Send held-back keys, press then release, to the object that had focus for each."""
        for stroke in typed:
            if not shiboken6.isValid(stroke.target):
                log.debug("a typed key was dropped: the widget it was typed into is gone")
                continue
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                synthetic = stroke.event(kind)
                self._synthetic = synthetic
                try:
                    QCoreApplication.sendEvent(stroke.target, synthetic)
                finally:
                    self._synthetic = None

    def _arm_timer(self) -> None:
        remaining = self._buffer.remaining(self._clock())
        if remaining is None:
            self._timer.stop()
        else:
            self._timer.start(max(1, math.ceil(remaining * 1000)))

    def _on_gap_timeout(self) -> None:
        """The burst went quiet; the clock (not the timer) decides whether it is really over."""
        try:
            self._deliver(self._buffer.expire(self._clock()))
            self._arm_timer()
        except Exception:
            self._break_down()

    def _is_ours(self, window: QWindow) -> bool:
        """A window of one of our widgets (or of a dialog parented to one); not a foreign one."""
        widget = next(
            (w for w in QApplication.topLevelWidgets() if w.windowHandle() is window), None
        )
        if widget is None:
            return False
        if self._windows is None:
            return True
        roots = tuple(self._windows())
        node: QWidget | None = widget
        while node is not None:
            if any(node is root for root in roots):
                return True
            node = node.parentWidget()
        return False

    def _stop_filter(self) -> None:
        if self._installed:
            self._app.removeEventFilter(self)
            self._installed = False
        self._timer.stop()
        self._held.clear()
        self._decided = None

    def _break_down(self) -> None:
        """A bug here must never eat the keyboard: switch off, say so once, hand keys back."""
        log.exception("scanner input switched off after an internal error; typing still works")
        self._stop_filter()
        try:
            self._deliver(self._buffer.flush())
        except Exception:
            log.debug("held-back keys could not be delivered", exc_info=True)

    def _open_serial(self, port: str) -> None:
        if not SerialScanner.available():
            self._serial_problem = SerialScanner.unavailable_reason()
            log.warning("serial scanner on %s not started: %s", port, self._serial_problem)
            return
        serial = SerialScanner.for_port(port, self._config.serial_baud, parent=self)
        problem = serial.open()
        if problem is not None:
            self._serial_problem = problem
            log.warning("serial scanner on %s not started: %s", port, problem)
            return
        self._serial_problem = None
        serial.scanned.connect(self.scanned)
        self._serial = serial


def _focus_target(window: QWindow) -> QObject:
    """Where Qt itself would deliver a key typed into ``window`` (as QWidgetWindow does)."""
    grabber = QWidget.keyboardGrabber()
    if grabber is not None:
        return grabber
    popup = QApplication.activePopupWidget()
    if popup is not None:
        return popup.focusWidget() or popup
    return window.focusObject() or window
