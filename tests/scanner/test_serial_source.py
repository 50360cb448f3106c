"""Serial scanners: line splitting, and reading from a QIODevice.

QSerialPort itself cannot be used here: QtSerialPort is part of PySide6-Addons, which this
project does not install (PySide6-Essentials only), and a test machine has no serial port
with a scanner on it anyway. SerialScanner reads through the plain QIODevice interface
(``readyRead`` + ``readAll``), so a QBuffer stands in for the port: same signal, same reads.
"""

from __future__ import annotations

import importlib.util
import logging

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from pos_app.config import ScannerConfig
from pos_app.scanner import (
    UNAVAILABLE_REASON,
    LineSplitter,
    ScannerInput,
    SerialScanner,
    SerialUnavailableError,
    serial_source,
)

HAS_QT_SERIAL_PORT = importlib.util.find_spec("PySide6.QtSerialPort") is not None


class FakePort(QBuffer):
    """A QBuffer with the two QSerialPort calls SerialScanner makes; ``arrive`` is the scanner.

    QBuffer shares one position between reading and writing, so ``arrive`` writes at the end
    and rewinds to where the reader stopped: the next ``readAll`` returns just the new bytes.
    """

    opened_with: list[tuple[str, int]] = []  # noqa: RUF012

    def __init__(self, port_name: str = "fake", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.port_name = port_name
        self.baud = 0

    def setBaudRate(self, baud: int) -> bool:
        self.baud = baud
        return True

    def open(self, mode: QIODevice.OpenModeFlag) -> bool:
        FakePort.opened_with.append((self.port_name, self.baud))
        return super().open(QIODevice.OpenModeFlag.ReadWrite)

    def arrive(self, data: bytes) -> None:
        start = self.pos()
        self.seek(self.size())
        self.write(data)
        self.seek(start)


def test_lines_end_at_cr_lf_or_crlf_even_across_chunks() -> None:
    splitter = LineSplitter()
    assert splitter.feed(b"4000") == []
    assert splitter.feed(b"12345678\r") == ["400012345678"]
    assert splitter.feed(b"\nABC-1\n99") == ["ABC-1"]
    assert splitter.feed(b"\r\n\r\n") == ["99"]


def test_control_bytes_and_blank_lines_vanish() -> None:
    splitter = LineSplitter()
    assert splitter.feed(b"\x02 1234 \x03\r\n\x07\r\n   \n") == ["1234"]


def test_bytes_that_are_not_utf8_are_read_as_latin1() -> None:
    assert LineSplitter().feed(b"caf\xe9\n") == ["café"]
    assert LineSplitter().feed("café\n".encode()) == ["café"]


def test_an_overlong_line_is_dropped_whole() -> None:
    splitter = LineSplitter(max_bytes=8)
    assert splitter.feed(b"123456789012\n5555\n") == ["5555"]
    assert splitter.feed(b"1234567890") == []
    assert splitter.feed(b"ABC\n6666\n") == ["6666"]  # "ABC" is the tail of the noise


def test_a_device_feeds_the_scanned_signal(qtbot: QtBot) -> None:
    port = FakePort()
    port.open(QIODevice.OpenModeFlag.ReadOnly)
    scanner = SerialScanner(port)
    received: list[str] = []
    scanner.scanned.connect(received.append)
    assert scanner.open() is None
    port.arrive(b"1111\r\n22")
    qtbot.waitUntil(lambda: received == ["1111"], timeout=2000)
    port.arrive(b"22\r\n")
    qtbot.waitUntil(lambda: received == ["1111", "2222"], timeout=2000)


def test_open_reads_what_was_already_waiting(qtbot: QtBot) -> None:
    device = QBuffer()
    device.setData(QByteArray(b"7777\r\n"))
    scanner = SerialScanner(device)
    received: list[str] = []
    scanner.scanned.connect(received.append)
    assert scanner.open() is None
    assert received == ["7777"]
    scanner.close()
    assert not device.isOpen()


def test_a_port_that_cannot_be_opened_says_why() -> None:
    class Busy(QBuffer):
        def open(self, mode: QIODevice.OpenModeFlag) -> bool:
            self.setErrorString("Permission denied")
            return False

    problem = SerialScanner(Busy()).open()
    assert problem == "the port cannot be opened (Permission denied)"


@pytest.mark.skipif(HAS_QT_SERIAL_PORT, reason="QtSerialPort is installed here")
def test_without_qtserialport_the_serial_scanner_is_unavailable_and_says_why() -> None:
    assert not SerialScanner.available()
    assert "PySide6-Addons" in SerialScanner.unavailable_reason()
    with pytest.raises(SerialUnavailableError, match="PySide6-Addons"):
        SerialScanner.for_port("/dev/ttyACM0", 9600)


@pytest.mark.skipif(HAS_QT_SERIAL_PORT, reason="QtSerialPort is installed here")
def test_a_configured_port_without_qtserialport_leaves_the_keyboard_working(
    caplog: pytest.LogCaptureFixture, qapp: QApplication
) -> None:
    scanner = ScannerInput(qapp, ScannerConfig(serial_port="COM3"))
    with caplog.at_level(logging.WARNING, logger="pos_app.scanner.wedge"):
        scanner.install()
    try:
        assert scanner.enabled
        assert scanner.serial_problem == UNAVAILABLE_REASON
        assert "COM3" in caplog.text
    finally:
        scanner.uninstall()


def test_a_configured_port_feeds_the_same_signal_as_the_keyboard(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, qapp: QApplication
) -> None:
    monkeypatch.setattr(serial_source, "_serial_port_class", lambda: FakePort)
    FakePort.opened_with.clear()
    config = ScannerConfig(serial_port="/dev/ttyACM0", serial_baud=115200)
    scanner = ScannerInput(qapp, config)
    scanner.install()
    try:
        assert scanner.serial_problem is None
        assert FakePort.opened_with == [("/dev/ttyACM0", 115200)]
        port = scanner.findChild(FakePort)
        assert isinstance(port, FakePort)
        with qtbot.waitSignal(scanner.scanned, timeout=2000) as signal:
            port.arrive(b"\x024000123456789012\x03\r\n")
        assert signal.args == ["4000123456789012"]
    finally:
        scanner.uninstall()
    assert not port.isOpen()
