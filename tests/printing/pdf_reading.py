"""Read back what a printed PDF says: its text (pypdfium2) and its barcodes (zxing-cpp).

A barcode is checked the way a scanner meets it: the page is rasterised at a printer's
resolution and decoded from pixels, never taken from the drawing commands.
"""

from __future__ import annotations

import ctypes
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pypdfium2
import pypdfium2.raw as pdfium_c
import zxingcpp
from PySide6.QtGui import QImage

Pixels = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Decoded:
    text: str
    format: zxingcpp.BarcodeFormat
    left: int
    right: int
    top: int
    bottom: int


@dataclass(frozen=True)
class PdfPage:
    width_mm: float
    height_mm: float
    text: str

    @property
    def words(self) -> str:
        """The text with every run of whitespace (line breaks too) made one space."""
        return " ".join(self.text.split())

    @property
    def letters(self) -> str:
        """The text without any whitespace: wrapped references read whole again."""
        return "".join(self.text.split())


def pdf_pages(path: Path) -> list[PdfPage]:
    document = pypdfium2.PdfDocument(path)
    try:
        pages = []
        for page in document:
            width, height = page.get_size()
            text = page.get_textpage().get_text_range()
            pages.append(PdfPage(width * 25.4 / 72, height * 25.4 / 72, text))
        return pages
    finally:
        document.close()


def only_page(path: Path) -> PdfPage:
    pages = pdf_pages(path)
    assert len(pages) == 1, f"{path.name} has {len(pages)} pages"
    return pages[0]


def rasterise(path: Path, dpi: int, page: int = 0) -> Pixels:
    """One page as 8-bit grey pixels, as a printer of ``dpi`` lays its dots.

    Rendered at exactly ``dpi`` (a matrix, not "fit the page into N pixels", which stretches a
    page whose width is not a whole number of dots and moves bars off the printer's grid).
    """
    document = pypdfium2.PdfDocument(path)
    try:
        sheet = document[page]
        scale = dpi / 72
        width_pt, height_pt = sheet.get_size()
        width, height = math.ceil(width_pt * scale), math.ceil(height_pt * scale)
        bitmap = pypdfium2.PdfBitmap.new_native(width, height, pdfium_c.FPDFBitmap_Gray)
        bitmap.fill_rect((255, 255, 255, 255), 0, 0, width, height)
        matrix = pdfium_c.FS_MATRIX(scale, 0, 0, scale, 0, 0)
        clip = pdfium_c.FS_RECTF(0, 0, width, height)
        pdfium_c.FPDF_RenderPageBitmapWithMatrix(
            bitmap, sheet, ctypes.byref(matrix), ctypes.byref(clip), pdfium_c.FPDF_ANNOT
        )
        return np.array(bitmap.to_numpy(), dtype=np.uint8).reshape(height, -1)[:, :width]
    finally:
        document.close()


def image_pixels(image: QImage) -> Pixels:
    grey = image.convertToFormat(QImage.Format.Format_Grayscale8)
    rows = np.frombuffer(grey.constBits(), dtype=np.uint8).reshape(
        grey.height(), grey.bytesPerLine()
    )
    return np.array(rows[:, : grey.width()])


def decode(pixels: Pixels) -> list[Decoded]:
    found = []
    for barcode in zxingcpp.read_barcodes(pixels):
        corners = barcode.position
        xs = [corners.top_left.x, corners.top_right.x, corners.bottom_left.x]
        ys = [corners.top_left.y, corners.bottom_left.y, corners.top_right.y]
        found.append(Decoded(barcode.text, barcode.format, min(xs), max(xs), min(ys), max(ys)))
    return found


def only_code128(pixels: Pixels) -> Decoded:
    """The one barcode on the image, which must be a Code128."""
    found = decode(pixels)
    assert len(found) == 1, [(d.text, d.format) for d in found]
    assert found[0].format == zxingcpp.BarcodeFormat.Code128, found[0].format
    return found[0]


def bar_runs(pixels: Pixels, row: int) -> tuple[list[int], int, int]:
    """Widths in pixels of the dark and light runs between the first and last bar of a row,
    with the row's first and last dark pixel."""
    dark = pixels[row] < 128
    columns = np.flatnonzero(dark)
    first, last = int(columns[0]), int(columns[-1])
    runs: list[int] = []
    current, length = bool(dark[first]), 0
    for value in dark[first : last + 1]:
        if bool(value) == current:
            length += 1
        else:
            runs.append(length)
            current, length = bool(value), 1
    runs.append(length)
    return runs, first, last
