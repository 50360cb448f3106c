"""Barcode scanners: keyboard-wedge input app-wide, and optionally a serial-port scanner.

The main window creates one ``ScannerInput`` and connects its ``scanned(str)`` signal.
"""

from pos_app.scanner.scan_buffer import Decision, KeyKind, ScanBuffer, Stroke
from pos_app.scanner.serial_source import (
    UNAVAILABLE_REASON,
    LineSplitter,
    SerialScanner,
    SerialUnavailableError,
)
from pos_app.scanner.wedge import ScannerInput, classify

__all__ = [
    "UNAVAILABLE_REASON",
    "Decision",
    "KeyKind",
    "LineSplitter",
    "ScanBuffer",
    "ScannerInput",
    "SerialScanner",
    "SerialUnavailableError",
    "Stroke",
    "classify",
]
