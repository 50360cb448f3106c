"""Code128 barcodes for receipts and card labels, drawn so that a scanner reads them.

python-barcode encodes the text into its module pattern (bars and spaces of one unit width);
Qt draws that pattern. On paper the bars are snapped to whole device dots: a bar that falls
between the dots of a 203-dpi thermal head prints one dot wider or narrower at random, and a
Code128 with uneven bars does not scan.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Final

from barcode import Code128
from barcode.errors import BarcodeError
from barcode.writer import SVGWriter
from defusedxml.minidom import parseString
from PySide6.QtCore import QByteArray, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QImageWriter, QPainter

__all__ = [
    "QUIET_MODULES",
    "code128_modules",
    "code128_png",
    "code128_svg",
    "code128_width_modules",
    "paint_code128",
]

#: Blank modules on each side: the Code128 specification asks for at least ten.
QUIET_MODULES: Final = 10
#: Module width of the SVG (mm): 0.33 mm reads well with any scanner and prints on any paper.
_SVG_MODULE_MM: Final = 0.33
_SVG_HEIGHT_MM: Final = 12.0


def code128_modules(text: str) -> str:
    """The bar pattern of ``text`` as ``"1"`` (bar) and ``"0"`` (space), without quiet zones.

    Raises ValueError for text Code128 cannot carry (anything outside ASCII) or empty text.
    """
    if not text:
        raise ValueError("a barcode needs some text to carry")
    try:
        (pattern,) = Code128(text).build()
    except BarcodeError as exc:
        raise ValueError(f"Code128 cannot carry {text!r}: {exc}") from None
    return str(pattern)


def code128_width_modules(text: str) -> int:
    """How many modules wide the barcode of ``text`` is, quiet zones included."""
    return len(code128_modules(text)) + 2 * QUIET_MODULES


def code128_svg(text: str) -> bytes:
    """A standalone SVG without human-readable text (we print that ourselves).

    python-barcode writes every coordinate in ``mm``; some renderers (Qt's among them) then
    misplace the bars. The drawing is rewritten in plain user units under a millimetre
    ``viewBox``, which every renderer reads the same way, at the same physical size.
    """
    code128_modules(text)  # the same check and error as everywhere else
    options = {
        "module_width": _SVG_MODULE_MM,
        "module_height": _SVG_HEIGHT_MM,
        "quiet_zone": QUIET_MODULES * _SVG_MODULE_MM,
        "write_text": False,
        "font_size": 0,
        "text_distance": 0,
        "margin_top": 0,
        "margin_bottom": 0,
        "compress": True,
        "with_doctype": False,
    }
    written = Code128(text, writer=SVGWriter()).render(writer_options=options)
    document = parseString(written)
    root = document.documentElement
    width, height = (root.getAttribute(name).removesuffix("mm") for name in ("width", "height"))
    root.setAttribute("viewBox", f"0 0 {width} {height}")
    for rect in document.getElementsByTagName("rect"):
        for name in ("x", "y", "width", "height"):
            value = rect.getAttribute(name)
            if value.endswith("mm"):
                rect.setAttribute(name, value.removesuffix("mm"))
    svg = document.toxml(encoding="UTF-8")
    if not isinstance(svg, bytes):  # pragma: no cover - toxml with an encoding gives bytes
        raise TypeError("the SVG could not be written")
    return svg


def _runs(pattern: str) -> list[tuple[int, int]]:
    """(first module, width) of every bar, so each bar is one rectangle (no hairline seams)."""
    runs: list[tuple[int, int]] = []
    start = None
    for index, module in enumerate(pattern + "0"):
        if module == "1" and start is None:
            start = index
        elif module == "0" and start is not None:
            runs.append((start, index - start))
            start = None
    return runs


def paint_code128(painter: QPainter, rect: QRectF, text: str) -> None:
    """Bars of ``text`` centred in ``rect``, which includes the quiet zones on both sides.

    The module is as wide as ``rect`` allows, in whole device pixels when the device has at
    least one pixel per module (printers, PDFs, images); otherwise bars are drawn to scale.
    """
    pattern = code128_modules(text)
    total = len(pattern) + 2 * QUIET_MODULES
    transform = painter.deviceTransform()
    scale = math.hypot(transform.m11(), transform.m12()) or 1.0
    device_module = math.floor(rect.width() * scale / total)
    if device_module >= 1 and transform.m12() == 0 and transform.m21() == 0:
        module = device_module / scale
        origin = transform.map(QPointF(rect.center().x() - len(pattern) * module / 2, 0))
        snapped_x = round(origin.x())
        left = transform.inverted()[0].map(QPointF(snapped_x, 0)).x()
    else:
        module = rect.width() / total
        left = rect.left() + QUIET_MODULES * module
    painter.save()
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.fillRect(rect, QColor("white"))
        black = QColor("black")
        for start, width in _runs(pattern):
            bar = QRectF(left + start * module, rect.top(), width * module, rect.height())
            painter.fillRect(bar, black)
    finally:
        painter.restore()


def code128_png(text: str, path: Path, *, module_px: int = 3, height_px: int = 120) -> None:
    """A PNG of exactly ``module_px`` pixels per module (quiet zones included), for web or mail."""
    if module_px < 1 or height_px < 1:
        raise ValueError("a barcode image needs at least one pixel per module and some height")
    total = code128_width_modules(text)
    image = QImage(total * module_px, height_px, QImage.Format.Format_Grayscale8)
    image.fill(QColor("white"))
    painter = QPainter(image)
    try:
        paint_code128(painter, QRectF(0, 0, image.width(), image.height()), text)
    finally:
        painter.end()
    writer = QImageWriter(str(path), QByteArray(b"png"))
    if not writer.write(image):
        raise OSError(f"could not write the barcode image {path}: {writer.errorString()}")
