"""A column of printed blocks, laid out once and then painted on any device.

Layout needs the device (its font metrics and resolution) but painting needs its page size,
which on a roll depends on the layout's height. So blocks are measured first and kept as small
paint steps; the caller sets the page, then replays them. Text wraps and is never cut: a value
too long for its line moves under its label, a word too long for the column breaks anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPagedPaintDevice,
    QPaintDevice,
    QPainter,
    QPen,
    QTextLayout,
    QTextOption,
)

from pos_app.printing.barcodes import code128_width_modules, paint_code128
from pos_app.printing.paper import Sheet

__all__ = ["FONT_FAMILIES", "Column", "PaintFailed", "print_font"]

#: Sans families found on Windows, macOS and Linux, in order of preference.
FONT_FAMILIES: Final = [
    "Arial",
    "Helvetica",
    "Liberation Sans",
    "DejaVu Sans",
    "Noto Sans",
    "Nimbus Sans",
    "Sans Serif",
]
_MM_PER_INCH: Final = 25.4

Step = Callable[[QPainter], None]
Align = Qt.AlignmentFlag


class PaintFailed(OSError):
    """The device refused to be painted on (a printer gone, a PDF path not writable)."""


def print_font(points: float, *, bold: bool = False) -> QFont:
    """A widely available sans font at a size in points (physical size on paper)."""
    font = QFont()
    font.setFamilies(FONT_FAMILIES)
    font.setStyleHint(QFont.StyleHint.SansSerif)
    font.setPointSizeF(points)
    font.setBold(bold)
    font.setKerning(True)
    return font


class Column:
    """Blocks top to bottom in the sheet's column; pages break only on a paged sheet."""

    def __init__(self, device: QPaintDevice, sheet: Sheet) -> None:
        self.device = device
        self.sheet = sheet
        self._dpmm_x = device.logicalDpiX() / _MM_PER_INCH
        self._dpmm_y = device.logicalDpiY() / _MM_PER_INCH
        self.left = sheet.column_left_mm * self._dpmm_x
        self.width = sheet.column_width_mm * self._dpmm_x
        self.top = sheet.top_mm * self._dpmm_y
        self.y = self.top
        self.pages: list[list[Step]] = [[]]
        self._bottom_limit = (
            None
            if sheet.page_height_mm is None
            else (sheet.page_height_mm - sheet.bottom_mm) * self._dpmm_y
        )

    # --- units --------------------------------------------------------------------------------

    def mm_x(self, value: float) -> float:
        return value * self._dpmm_x

    def mm_y(self, value: float) -> float:
        return value * self._dpmm_y

    @property
    def height_mm(self) -> float:
        """Height of the last page's content plus the sheet's margins (a roll's cut length)."""
        return self.y / self._dpmm_y + self.sheet.bottom_mm

    # --- blocks -------------------------------------------------------------------------------

    def space(self, mm: float) -> None:
        self.y += self.mm_y(mm)

    def text(
        self,
        text: str,
        font: QFont,
        *,
        align: Qt.AlignmentFlag = Align.AlignLeft,
        indent_mm: float = 0.0,
    ) -> None:
        """A paragraph across the column (less ``indent_mm`` on both sides), wrapped."""
        indent = self.mm_x(indent_mm)
        layout, height = self._paragraph(text, font, self.width - 2 * indent, align)
        top = self._reserve(height)
        left = self.left + indent
        self._add(lambda painter: layout.draw(painter, QPointF(left, top)))

    def single_line(
        self, text: str, font: QFont, *, align: Qt.AlignmentFlag = Align.AlignHCenter
    ) -> None:
        """One line, shortened with an ellipsis if it is too long (a label's small print)."""
        metrics = QFontMetricsF(font, self.device)
        shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, self.width)
        layout, height = self._paragraph(shown, font, self.width, align)
        top = self._reserve(height)
        left = self.left
        self._add(lambda painter: layout.draw(painter, QPointF(left, top)))

    def row(self, label: str, value: str, font: QFont, value_font: QFont | None = None) -> None:
        """Label on the left, value on the right; a long value goes under its label."""
        value_font = value_font or font
        gap = self.mm_x(2.0)
        value_width = QFontMetricsF(value_font, self.device).horizontalAdvance(value)
        if value_width <= self.width * 0.6:
            label_layout, label_height = self._paragraph(
                label, font, self.width - value_width - gap, Align.AlignLeft
            )
            value_layout, value_height = self._paragraph(
                value, value_font, self.width, Align.AlignRight
            )
            # Both sit on one baseline, whatever their sizes.
            label_ascent = label_layout.lineAt(0).ascent()
            value_ascent = value_layout.lineAt(0).ascent()
            baseline = max(label_ascent, value_ascent)
            label_drop, value_drop = baseline - label_ascent, baseline - value_ascent
            top = self._reserve(max(label_height + label_drop, value_height + value_drop))
            left = self.left

            def paint(painter: QPainter) -> None:
                label_layout.draw(painter, QPointF(left, top + label_drop))
                value_layout.draw(painter, QPointF(left, top + value_drop))

            self._add(paint)
            return
        self.text(label, font)
        self.text(value, value_font, align=Align.AlignRight)

    def fitting_font(self, text: str, sizes: tuple[float, ...], *, bold: bool = False) -> QFont:
        """The largest of ``sizes`` (points) that keeps ``text`` on one line of the column;
        the smallest if none does (the text then wraps)."""
        for points in sizes:
            font = print_font(points, bold=bold)
            if self.fits(text, font):
                return font
        return print_font(min(sizes), bold=bold)

    def fits(self, text: str, font: QFont) -> bool:
        """Whether ``text`` fits on one line of the column."""
        return QFontMetricsF(font, self.device).horizontalAdvance(text) <= self.width

    def rule(self, *, dashed: bool = False, weight_mm: float = 0.25) -> None:
        """A horizontal line across the column, with a little air above and below."""
        pad = self.mm_y(1.2)
        top = self._reserve(2 * pad)
        y = top + pad
        pen = QPen(QColor("black"), self.mm_y(weight_mm))
        if dashed:
            pen.setStyle(Qt.PenStyle.DashLine)
        left, right = self.left, self.left + self.width

        def paint(painter: QPainter) -> None:
            painter.save()
            painter.setPen(pen)
            painter.drawLine(QPointF(left, y), QPointF(right, y))
            painter.restore()

        self._add(paint)

    def notice(
        self, headline: str, detail: str | None, *, head_font: QFont, detail_font: QFont
    ) -> None:
        """A framed block whose headline is white on black: impossible to overlook."""
        pad_x, pad_y = self.mm_x(1.5), self.mm_y(1.0)
        border = self.mm_y(0.6)
        inner = self.width - 2 * pad_x
        head_layout, head_height = self._paragraph(headline, head_font, inner, Align.AlignHCenter)
        band = head_height + 2 * pad_y
        detail_layout, detail_height = (
            self._paragraph(detail, detail_font, inner, Align.AlignHCenter)
            if detail
            else (None, 0.0)
        )
        height = band + (detail_height + 2 * pad_y if detail_layout is not None else 0.0)
        top = self._reserve(height)
        left, width = self.left, self.width

        def paint(painter: QPainter) -> None:
            painter.save()
            painter.fillRect(QRectF(left, top, width, band), QColor("black"))
            painter.setPen(QColor("white"))
            head_layout.draw(painter, QPointF(left + pad_x, top + pad_y))
            painter.setPen(QColor("black"))
            if detail_layout is not None:
                detail_layout.draw(painter, QPointF(left + pad_x, top + band + pad_y))
            frame = QPen(QColor("black"), border)
            frame.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
            painter.setPen(frame)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            half = border / 2
            painter.drawRect(QRectF(left + half, top + half, width - border, height - border))
            painter.restore()

        self._add(paint)

    def framed(self, text: str, font: QFont) -> None:
        """A centred line in a thin frame (a reprint's COPY n)."""
        pad = self.mm_y(0.8)
        layout, height = self._paragraph(text, font, self.width - 2 * pad, Align.AlignHCenter)
        top = self._reserve(height + 2 * pad)
        left, width, line = self.left, self.width, self.mm_y(0.3)

        def paint(painter: QPainter) -> None:
            layout.draw(painter, QPointF(left + pad, top + pad))
            painter.save()
            painter.setPen(QPen(QColor("black"), line))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(QRectF(left, top, width, height + 2 * pad))
            painter.restore()

        self._add(paint)

    def barcode(
        self, text: str, *, height_mm: float, bleed_mm: float, max_module_mm: float
    ) -> None:
        """Code128 centred on the column; ``bleed_mm`` of blank paper either side may serve as
        quiet zone (a roll's margins), and the module is at most ``max_module_mm`` wide."""
        available = self.width + 2 * self.mm_x(bleed_mm)
        widest = code128_width_modules(text) * self.mm_x(max_module_mm)
        width = min(available, widest)
        height = self.mm_y(height_mm)
        top = self._reserve(height)
        rect = QRectF(self.left + (self.width - width) / 2, top, width, height)
        self._add(lambda painter: paint_code128(painter, rect, text))

    # --- painting -----------------------------------------------------------------------------

    def paint(self, device: QPagedPaintDevice) -> None:
        """Replay every block on ``device``, whose page is already set up."""
        painter = QPainter()
        if not painter.begin(device):
            raise PaintFailed("the printer or file could not be opened for printing")
        try:
            painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
            for number, steps in enumerate(self.pages):
                if number and not device.newPage():
                    raise PaintFailed("the printer refused a new page")
                for step in steps:
                    step(painter)
        finally:
            painter.end()

    # --- internals ----------------------------------------------------------------------------

    def _paragraph(
        self, text: str, font: QFont, width: float, align: Qt.AlignmentFlag
    ) -> tuple[QTextLayout, float]:
        # A line break in the text (a footer of several lines) is a forced line break.
        layout = QTextLayout(text.replace("\r\n", "\n").replace("\n", "\u2028"), font, self.device)
        option = QTextOption(align)
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        layout.setTextOption(option)
        layout.setCacheEnabled(True)
        height = 0.0
        layout.beginLayout()
        while True:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(width)
            line.setPosition(QPointF(0, height))
            height += line.height()
        layout.endLayout()
        return layout, height

    def _reserve(self, height: float) -> float:
        """The top of a block of ``height``, on a new page if it would cross the page's end."""
        if (
            self._bottom_limit is not None
            and self.y + height > self._bottom_limit
            and self.y > self.top
        ):
            self.pages.append([])
            self.y = self.top
        top = self.y
        self.y += height
        return top

    def _add(self, step: Step) -> None:
        self.pages[-1].append(step)
