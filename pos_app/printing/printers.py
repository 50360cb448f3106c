"""Sending a document to a real printer through the operating system's driver.

A till without a printer, or whose printer is off, is an everyday situation, not a crash: every
failure becomes one sentence the cashier can act on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final

from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

from pos_app.printing.column import PaintFailed

__all__ = ["NO_PRINTER_TEXT", "open_printer", "send_to_printer"]

log = logging.getLogger(__name__)

NO_PRINTER_TEXT: Final = "No printer is set up on this computer"
_SAVE_PDF: Final = "save as PDF"


def open_printer(printer_name: str = "", *, instead: str = _SAVE_PDF) -> QPrinter | str:
    """A printer by its OS name (empty: the system's default), or why there is none."""
    printers = QPrinterInfo.availablePrinters()
    if not printers:
        return f"{NO_PRINTER_TEXT}; {instead} instead."
    if printer_name:
        info = next((p for p in printers if p.printerName() == printer_name), None)
        if info is None:
            return (
                f"The printer “{printer_name}” is not set up on this computer; check the "
                f"printer in the till's settings, or {instead} instead."
            )
    else:
        info = QPrinterInfo.defaultPrinter()
        if info.isNull():
            info = printers[0]
    printer = QPrinter(info, QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.NativeFormat)
    return printer


def send_to_printer(
    paint: Callable[[QPrinter], None],
    printer_name: str = "",
    *,
    document: str,
    instead: str = _SAVE_PDF,
) -> tuple[str | None, str]:
    """Print one document: (None, the printer's name) once sent, or (a sentence, name)."""
    printer = open_printer(printer_name, instead=instead)
    if isinstance(printer, str):
        log.info("not printed: %s", printer)
        return printer, printer_name
    name = printer.printerName()
    printer.setDocName(document)
    try:
        paint(printer)
    except PaintFailed:
        problem = (
            f"The printer “{name}” could not start printing; check that it is on and has "
            f"paper, or {instead} instead."
        )
        log.info("not printed on %s: could not start", name)
        return problem, name
    if printer.printerState() == QPrinter.PrinterState.Error:
        log.info("not printed on %s: the driver reported an error", name)
        return (
            f"The printer “{name}” reported an error; check it and print again, or {instead} "
            "instead.",
            name,
        )
    log.info("%s sent to printer %s", document, name)
    return None, name
