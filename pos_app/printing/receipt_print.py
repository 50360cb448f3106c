"""The customer's receipt on paper: a thermal roll, A4, or a PDF of either.

The layout is the same on every device: shop, till and time; a PENDING (or other) mark that
nobody can miss; what was done, with the amounts; the receipt code as a barcode that reopens
the operation when scanned. The card shows only masked, as the :class:`Receipt` holds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtGui import QPagedPaintDevice

from pos_app.domain.receipts import PaperWidth, Receipt
from pos_app.printing.column import Column, print_font
from pos_app.printing.paper import set_page, sheet_for
from pos_app.printing.pdf_files import pdf_writer
from pos_app.printing.printers import send_to_printer

__all__ = ["paint_receipt", "print_receipt", "receipt_column", "receipt_pdf"]

_CENTER: Final = Qt.AlignmentFlag.AlignHCenter
#: Bars of 0.25 mm (two dots at 203 dpi) fit the receipt code on 58 mm paper and scan well;
#: on wider paper the module may grow up to this, and the barcode no longer fills the roll.
_MAX_MODULE_MM: Final = 0.34
_BARCODE_HEIGHT_MM: Final = 12.0
_REFERENCE_POINTS: Final = (7.0, 6.5, 6.0)


@dataclass(frozen=True)
class _Sizes:
    """Type sizes in points: a little smaller on 58 mm, so amounts stay beside their labels."""

    shop: float
    body: float
    title: float
    strong_label: float
    strong_value: float
    mark: float


_NARROW: Final = _Sizes(shop=12, body=8.5, title=10.5, strong_label=9.5, strong_value=11.5, mark=13)
_WIDE: Final = _Sizes(shop=13, body=9, title=11, strong_label=10, strong_value=12, mark=14)


def receipt_column(device: QPagedPaintDevice, receipt: Receipt, paper: PaperWidth) -> Column:
    """The receipt laid out for ``device``'s resolution (not yet painted)."""
    sheet = sheet_for(paper)
    size = _NARROW if paper is PaperWidth.MM58 else _WIDE
    body = print_font(size.body)
    column = Column(device, sheet)
    column.text(receipt.shop_name, print_font(size.shop, bold=True), align=_CENTER)
    column.space(0.8)
    who = f"Till {receipt.terminal}"
    if receipt.cashier:
        who += f" · Cashier {receipt.cashier}"
    column.text(who, body, align=_CENTER)
    column.text(receipt.at.astimezone().strftime("%Y-%m-%d %H:%M:%S"), body, align=_CENTER)
    column.space(2.0)
    if receipt.mark:
        headline, _, detail = receipt.mark.partition(" — ")
        column.notice(
            headline,
            detail or None,
            head_font=print_font(size.mark, bold=True),
            detail_font=print_font(size.body, bold=True),
        )
        column.space(1.5)
    if receipt.copy_text:
        column.framed(receipt.copy_text, print_font(size.title, bold=True))
        column.space(1.5)
    column.text(receipt.title, print_font(size.title, bold=True), align=_CENTER)
    column.text(f"{receipt.backend} card {receipt.masked_card}", body, align=_CENTER)
    column.rule(dashed=True)
    strong_label = print_font(size.strong_label, bold=True)
    strong_value = print_font(size.strong_value, bold=True)
    for line in receipt.lines:
        if line.strong:
            column.row(line.label, line.value, strong_label, strong_value)
        else:
            column.row(line.label, line.value, body)
        column.space(0.5)
    column.rule(dashed=True)
    column.space(2.0)
    column.barcode(
        receipt.code,
        height_mm=_BARCODE_HEIGHT_MM,
        bleed_mm=sheet.side_mm if sheet.is_roll else 0.0,
        max_module_mm=_MAX_MODULE_MM,
    )
    column.space(0.8)
    column.text(receipt.code, print_font(10, bold=True), align=_CENTER)
    reference = f"Ref {receipt.reference}"
    small = column.fitting_font(reference, _REFERENCE_POINTS)
    if not column.fits(reference, small):
        # Never split the reference itself when it fits a line of its own.
        small = column.fitting_font(receipt.reference, _REFERENCE_POINTS)
        reference = f"Ref\n{receipt.reference}"
    column.text(reference, small, align=_CENTER)
    if receipt.footer:
        column.space(2.5)
        column.text(receipt.footer, body, align=_CENTER)
    return column


def paint_receipt(printer: QPagedPaintDevice, receipt: Receipt, paper: PaperWidth) -> None:
    """Set the page (a roll: exactly as tall as the receipt) and paint the receipt on it.

    Used by the preview, by real printing and by :func:`receipt_pdf`. Raises
    :class:`~pos_app.printing.column.PaintFailed` if the device cannot be opened.
    """
    column = receipt_column(printer, receipt, paper)
    set_page(printer, column.sheet, column.height_mm)
    column.paint(printer)


def receipt_pdf(receipt: Receipt, path: Path, paper: PaperWidth) -> None:
    """Write the receipt as a one-page PDF; needs a QGuiApplication (offscreen is fine).

    Raises OSError if the file cannot be written.
    """
    writer = pdf_writer(path, dpi=sheet_for(paper).pdf_dpi, title=f"Receipt {receipt.code}")
    paint_receipt(writer, receipt, paper)


def print_receipt(receipt: Receipt, paper: PaperWidth, printer_name: str = "") -> str | None:
    """Send the receipt to ``printer_name`` (empty: the default printer), without a preview.

    Returns None once it is sent, or one sentence for the cashier saying why it was not.
    """
    problem, _name = send_to_printer(
        lambda printer: paint_receipt(printer, receipt, paper),
        printer_name,
        document=f"Receipt {receipt.code}",
    )
    return problem
