"""Code128 as drawn by Tillcard decodes back to its text, in PNG, SVG and on any device."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QByteArray, QRectF
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from pos_app.domain.receipts import receipt_code
from pos_app.printing.barcodes import (
    QUIET_MODULES,
    code128_modules,
    code128_png,
    code128_svg,
    code128_width_modules,
    paint_code128,
)
from tests.printing.pdf_reading import bar_runs, image_pixels, only_code128

CODES = [
    receipt_code("3f9a1c2b-7d4e-4b1a-9c3e-2a7f5d8e6b10"),  # letters and digits mixed
    receipt_code("12345678-9012-4b1a-9c3e-2a7f5d8e6b10"),  # long digit runs: charset C
    "6215943836307608",  # a 16-digit gift card
    "62159438363076081",  # odd digit count ends in charset B
    "ZTLKCIUD",  # a Leal card code
    "tc3f9a1c2b7d4e",  # lower case, as a scanner in another layout may send it
]


@pytest.mark.parametrize("text", CODES)
def test_png_decodes_to_its_text(tmp_path: Path, text: str) -> None:
    path = tmp_path / "code.png"
    code128_png(text, path)
    image = QImage(str(path))
    assert image.width() == code128_width_modules(text) * 3
    assert image.height() == 120
    assert only_code128(image_pixels(image)).text == text


def test_png_has_exactly_module_px_per_module_and_quiet_zones(tmp_path: Path) -> None:
    text = CODES[0]
    path = tmp_path / "code.png"
    code128_png(text, path, module_px=2, height_px=60)
    pixels = image_pixels(QImage(str(path)))
    runs, first, last = bar_runs(pixels, 30)
    pattern = code128_modules(text)
    assert first == QUIET_MODULES * 2
    assert pixels.shape[1] - 1 - last == QUIET_MODULES * 2
    assert all(run % 2 == 0 for run in runs)
    assert sum(runs) == len(pattern) * 2
    assert min(runs) == 2


def test_svg_has_no_text_and_renders_to_a_scannable_barcode() -> None:
    svg = code128_svg(CODES[0])
    assert svg.startswith(b"<?xml")
    assert b"<text" not in svg
    renderer = QSvgRenderer(QByteArray(svg))
    assert renderer.isValid()
    size = renderer.defaultSize()
    image = QImage(size.width() * 4, size.height() * 4, QImage.Format.Format_Grayscale8)
    image.fill(QColor("white"))
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    assert only_code128(image_pixels(image)).text == CODES[0]


def test_paint_snaps_modules_to_whole_device_pixels() -> None:
    """A 203-dpi head prints only whole dots: every bar is a whole number of modules wide."""
    text = CODES[0]
    total = code128_width_modules(text)
    image = QImage(total * 2 + 37, 80, QImage.Format.Format_Grayscale8)  # 2.17 px per module
    image.fill(QColor("white"))
    painter = QPainter(image)
    paint_code128(painter, QRectF(0.3, 0, image.width() - 0.3, 80), text)
    painter.end()
    pixels = image_pixels(image)
    runs, _first, _last = bar_runs(pixels, 40)
    assert set(pixels[40].tolist()) <= {0, 255}  # no grey edges
    assert all(run % 2 == 0 for run in runs)
    assert only_code128(pixels).text == text


@pytest.mark.parametrize("text", ["", "Café", "5 €"])
def test_text_code128_cannot_carry_is_refused(text: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        code128_modules(text)
    with pytest.raises(ValueError):
        code128_png(text, tmp_path / "bad.png")
    assert not (tmp_path / "bad.png").exists()


def test_png_needs_at_least_one_pixel_per_module(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="one pixel per module"):
        code128_png(CODES[0], tmp_path / "x.png", module_px=0)


def test_a_png_that_cannot_be_written_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(OSError, match="could not write the barcode image"):
        code128_png(CODES[0], tmp_path / "missing" / "code.png")
