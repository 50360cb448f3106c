"""The sheets Tillcard prints on: where the printed column sits and how the page is set up.

Receipt rolls have no fixed page length: the page is made exactly as tall as the receipt, so a
thermal printer feeds and cuts right after the footer. A4 is a page like any other; the content
keeps a receipt-like column near the top instead of being stretched across the sheet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from PySide6.QtCore import QMarginsF, QSizeF
from PySide6.QtGui import QPagedPaintDevice, QPageLayout, QPageSize
from PySide6.QtPrintSupport import QPrinter

from pos_app.domain.receipts import PaperWidth

__all__ = [
    "A4_HEIGHT_MM",
    "LABEL_SHEET",
    "THERMAL_DPI",
    "Sheet",
    "set_page",
    "sheet_for",
]

#: Dots per inch of nearly every receipt and label printer head (8 dots per mm).
THERMAL_DPI: Final = 203
#: PDFs of office paper are drawn on a finer grid; an office printer prints 600 dpi.
_OFFICE_DPI: Final = 600
A4_HEIGHT_MM: Final = 297.0


@dataclass(frozen=True)
class Sheet:
    """Geometry of one kind of paper, in millimetres from the sheet's top-left corner."""

    name: str
    width_mm: float
    column_left_mm: float
    column_width_mm: float
    top_mm: float
    bottom_mm: float
    page_height_mm: float | None  # None: a roll, cut as long as the content
    pdf_dpi: int

    @property
    def is_roll(self) -> bool:
        return self.page_height_mm is None

    @property
    def side_mm(self) -> float:
        """Blank paper left of the column: part of a barcode's quiet zone on a roll."""
        return self.column_left_mm


_ROLLS: Final = {
    # 58 mm paper, 48 mm head (384 dots); 80 mm paper, 72 mm head (576 dots).
    PaperWidth.MM58: Sheet("58 mm roll", 58.0, 5.0, 48.0, 3.0, 6.0, None, THERMAL_DPI),
    PaperWidth.MM80: Sheet("80 mm roll", 80.0, 4.0, 72.0, 3.0, 6.0, None, THERMAL_DPI),
}

#: A 54 x 25 mm self-adhesive label, the size of a card's back.
LABEL_SHEET: Final = Sheet("card label", 54.0, 2.0, 50.0, 1.5, 1.0, 25.0, THERMAL_DPI)


def sheet_for(paper: PaperWidth, *, a4_column_mm: float = 80.0) -> Sheet:
    """The sheet of ``paper``; on A4 the column is ``a4_column_mm`` wide and centred."""
    if paper is PaperWidth.A4:
        left = (210.0 - a4_column_mm) / 2
        return Sheet("A4", 210.0, left, a4_column_mm, 20.0, 20.0, A4_HEIGHT_MM, _OFFICE_DPI)
    return _ROLLS[paper]


def set_page(device: QPagedPaintDevice, sheet: Sheet, height_mm: float) -> None:
    """Give ``device`` a borderless page of the sheet's width and ``height_mm``.

    The layout draws its own margins: with ``fullPage`` a printer's origin is the paper's
    corner, as it is for a PDF with zero margins.
    """
    if isinstance(device, QPrinter):
        device.setFullPage(True)
    if sheet.page_height_mm == A4_HEIGHT_MM and sheet.width_mm == 210.0:
        size = QPageSize(QPageSize.PageSizeId.A4)
    else:
        size = QPageSize(
            QSizeF(sheet.width_mm, height_mm),
            QPageSize.Unit.Millimeter,
            sheet.name,
            QPageSize.SizeMatchPolicy.ExactMatch,
        )
    layout = QPageLayout(
        size,
        QPageLayout.Orientation.Portrait,
        QMarginsF(0, 0, 0, 0),
        QPageLayout.Unit.Millimeter,
    )
    if not device.setPageLayout(layout):
        # A printer with minimum margins refuses zero margins; its paper size still applies.
        device.setPageSize(size)
