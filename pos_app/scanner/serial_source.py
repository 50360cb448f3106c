"""Scanners on a serial (or USB virtual COM) port: one code per line, as the same signal.

QtSerialPort ships with PySide6-Addons, not PySide6-Essentials, so it is imported lazily and
its absence is reported in words the installer can act on instead of failing at start-up.
"""

from __future__ import annotations

import importlib
import logging
import re
from typing import Any

from PySide6.QtCore import QIODevice, QObject, Signal

from pos_app.domain import mask

log = logging.getLogger(__name__)

UNAVAILABLE_REASON = (
    "serial scanners need Qt's QtSerialPort module, which PySide6-Essentials does not include; "
    "install PySide6-Addons, or set the scanner to USB keyboard (HID) mode instead"
)
MAX_LINE_BYTES = 256
_LINE_END = re.compile(rb"[\r\n]")


def _serial_port_class() -> Any | None:
    try:
        module = importlib.import_module("PySide6.QtSerialPort")
    except ImportError:
        return None
    return getattr(module, "QSerialPort", None)


class SerialUnavailableError(RuntimeError):
    """QtSerialPort cannot be imported here; the message says what to install."""


class LineSplitter:
    """Bytes in, codes out: CR, LF or CRLF end a code; control bytes and blank lines vanish.

    A line longer than ``max_bytes`` is line noise or a wrong baud rate, not a code: it is
    dropped whole, including the part that arrives after the limit was crossed.
    """

    def __init__(self, max_bytes: int = MAX_LINE_BYTES) -> None:
        self._max_bytes = max_bytes
        self._pending = b""
        self._discarding = False

    def feed(self, data: bytes) -> list[str]:
        """The codes completed by ``data``; an unfinished line waits for the next chunk."""
        *lines, self._pending = _LINE_END.split(self._pending + data)
        codes: list[str] = []
        for line in lines:
            if self._discarding:
                self._discarding = False
                continue
            code = _decode(line) if len(line) <= self._max_bytes else ""
            if code:
                codes.append(code)
        if len(self._pending) > self._max_bytes:
            self._pending = b""
            self._discarding = True
        return codes


def _decode(line: bytes) -> str:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        text = line.decode("latin-1")
    return "".join(ch for ch in text if ch.isprintable()).strip()


class SerialScanner(QObject):
    """Reads codes from a serial port, or from any QIODevice handed in (tests, other links)."""

    scanned = Signal(str)

    def __init__(self, device: QIODevice, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._device = device
        self._splitter = LineSplitter()
        device.readyRead.connect(self._read)

    @staticmethod
    def available() -> bool:
        """Whether QtSerialPort can be imported in this installation."""
        return _serial_port_class() is not None

    @staticmethod
    def unavailable_reason() -> str:
        return UNAVAILABLE_REASON

    @classmethod
    def for_port(cls, port: str, baud: int, parent: QObject | None = None) -> SerialScanner:
        """A scanner on ``port`` (e.g. ``COM3`` or ``/dev/ttyACM0``); call ``open()`` next."""
        port_class = _serial_port_class()
        if port_class is None:
            raise SerialUnavailableError(UNAVAILABLE_REASON)
        device = port_class(port)
        device.setBaudRate(baud)
        scanner = cls(device, parent)
        device.setParent(scanner)
        return scanner

    def open(self) -> str | None:
        """Start reading; returns why the port cannot be opened (busy, missing), else None."""
        if not self._device.isOpen() and not self._device.open(QIODevice.OpenModeFlag.ReadOnly):
            return f"the port cannot be opened ({self._device.errorString()})"
        self._read()
        return None

    def close(self) -> None:
        self._device.close()

    def _read(self) -> None:
        for code in self._splitter.feed(bytes(self._device.readAll().data())):
            log.info("serial scan %s", mask(code))
            self.scanned.emit(code)
