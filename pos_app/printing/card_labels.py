"""The sticker for a card issued or replaced at the till: the one place its full number prints.

A label *is* the card, so it carries the whole number as Code128 and as text, unlike a receipt,
which only ever shows the last four digits. It is 54 x 25 mm, the size of a card's back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtGui import QPagedPaintDevice

from pos_app.printing.column import Column, print_font
from pos_app.printing.paper import LABEL_SHEET, set_page
from pos_app.printing.pdf_files import pdf_writer

__all__ = ["CardLabel", "label_column", "label_pdf", "paint_label", "spaced_number"]

_CENTER: Final = Qt.AlignmentFlag.AlignHCenter
_BARCODE_HEIGHT_MM: Final = 10.0
#: Three dots at 203 dpi: a 16 to 20 digit number still fits the label with its quiet zones.
_MAX_MODULE_MM: Final = 0.38


@dataclass(frozen=True)
class CardLabel:
    shop_name: str
    backend: str
    card_number: str
    holder: str | None = None

    def __post_init__(self) -> None:
        if not self.card_number.strip():
            raise ValueError("a card label needs the card's number")


def spaced_number(number: str) -> str:
    """Digits in groups of four, as on the card (``6215 9438 3630 7608``); codes unchanged."""
    if not number.isdigit():
        return number
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


def label_column(device: QPagedPaintDevice, label: CardLabel) -> Column:
    column = Column(device, LABEL_SHEET)
    column.single_line(f"{label.shop_name} · {label.backend}", print_font(7, bold=True))
    column.space(0.6)
    column.barcode(
        label.card_number,
        height_mm=_BARCODE_HEIGHT_MM,
        bleed_mm=LABEL_SHEET.side_mm,
        max_module_mm=_MAX_MODULE_MM,
    )
    column.space(0.5)
    column.text(spaced_number(label.card_number), print_font(9.5, bold=True), align=_CENTER)
    if label.holder:
        column.single_line(label.holder, print_font(7))
    return column


def paint_label(printer: QPagedPaintDevice, label: CardLabel) -> None:
    """Set a 54 x 25 mm page on ``printer`` and paint the label on it."""
    column = label_column(printer, label)
    set_page(printer, LABEL_SHEET, LABEL_SHEET.page_height_mm or 25.0)
    column.paint(printer)


def label_pdf(label: CardLabel, path: Path) -> None:
    """Write the label as a one-page PDF; raises OSError if the file cannot be written."""
    writer = pdf_writer(path, dpi=LABEL_SHEET.pdf_dpi, title=f"{label.backend} card label")
    paint_label(writer, label)
