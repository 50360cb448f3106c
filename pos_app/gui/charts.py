"""Bar charts painted with QPainter for the back office (no QtCharts).

QtCharts ships in PySide6-Addons, which would add well over 100 MB to every installer for two
bar charts; a horizontal bar chart is a hundred lines of QPainter. Every bar carries its label
and its value as text, so nothing is said by colour alone and the chart reads at arm's length
(and in a grey-scale printout). Bars are horizontal because labels such as "100–500" or
"suspended" then fit at full size without rotating text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from pos_app.domain.balance_figures import Bucket

__all__ = ["Bar", "BarChart", "distribution_bars"]

BACKGROUND = QColor("#ffffff")
BAR = QColor("#0969da")
TEXT = QColor("#1b1f23")
GRID = QColor("#d0d7de")


@dataclass(frozen=True)
class Bar:
    """One bar: what it is, how long it is, and the words printed next to it."""

    label: str
    value: float
    text: str


def distribution_bars(buckets: Sequence[Bucket], unit: str) -> list[Bar]:
    """A bar per balance range: its length is the number of customers; the text adds what
    they hold together, so both questions ("how many", "how much") are answered."""
    bars = []
    for bucket in buckets:
        people = "customer" if bucket.count == 1 else "customers"
        text = f"{bucket.count} {people}"
        if bucket.count:
            text += f" · {format(bucket.total.normalize(), ',f')} {unit}".rstrip()
        bars.append(Bar(f"{bucket.label} {unit}".rstrip(), float(bucket.count), text))
    return bars


class BarChart(QWidget):
    """A titled horizontal bar chart; ``set_bars`` replaces what it shows."""

    def __init__(self, title: str, empty_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.empty_text = empty_text
        self.bars: list[Bar] = []
        self.subtitle = ""
        self.setAccessibleName(title)
        self.setMinimumSize(420, 300)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_bars(self, bars: Sequence[Bar], *, subtitle: str = "") -> None:
        """Show ``bars``; ``subtitle`` (under the title) says what the bars add up to."""
        self.subtitle = subtitle
        self.bars = list(bars)
        # Screen readers get the numbers the picture shows.
        self.setAccessibleDescription("; ".join(f"{bar.label}: {bar.text}" for bar in self.bars))
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(560, 420)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            self.paint(painter, QRectF(self.rect()))
        finally:
            painter.end()

    def paint(self, painter: QPainter, area: QRectF) -> None:
        """Draw into ``area`` of any paint device (the widget, or a QImage in tests)."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(area, BACKGROUND)
        title_font = QFont(self.font())
        title_font.setPointSizeF(18)
        title_font.setBold(True)
        body_font = QFont(self.font())
        body_font.setPointSizeF(14)
        margin = 12.0
        painter.setPen(TEXT)
        painter.setFont(title_font)
        title_height = QFontMetrics(title_font).height()
        title_box = QRectF(
            area.left() + margin, area.top() + margin, area.width() - 2 * margin, title_height
        )
        painter.drawText(
            title_box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.title
        )
        painter.setFont(body_font)
        metrics = QFontMetrics(body_font)
        top = title_box.bottom() + margin / 2
        if self.subtitle:
            width = area.width() - 2 * margin
            box = QRectF(area.left() + margin, top, width, metrics.height() * 2)
            flags = (
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap
            )
            used = painter.boundingRect(box, int(flags), self.subtitle)
            painter.drawText(box, int(flags), self.subtitle)
            top = used.bottom() + margin
        if not self.bars:
            painter.drawText(
                QRectF(area.left() + margin, top, area.width() - 2 * margin, area.bottom() - top),
                int(
                    Qt.AlignmentFlag.AlignLeft
                    | Qt.AlignmentFlag.AlignTop
                    | Qt.TextFlag.TextWordWrap
                ),
                self.empty_text,
            )
            return
        # Labels take what they need, up to half the width (longer ones end in "…"): the
        # bars must keep room to be compared.
        widest = max(metrics.horizontalAdvance(bar.label) for bar in self.bars)
        label_width = min(widest + 2, area.width() * 0.5) + margin
        row_height = (area.bottom() - margin - top) / len(self.bars)
        line = metrics.height()
        left = area.left() + margin + label_width
        right = area.right() - margin
        biggest = max((bar.value for bar in self.bars), default=0.0)
        painter.setPen(QPen(GRID, 1))
        painter.drawLine(int(left), int(top), int(left), int(area.bottom() - margin))
        for index, bar in enumerate(self.bars):
            row_top = top + index * row_height
            bar_height = max(6.0, min(row_height - line - 6, 40.0))
            painter.setPen(TEXT)
            painter.drawText(
                QRectF(area.left() + margin, row_top, label_width - margin, bar_height),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                metrics.elidedText(
                    bar.label, Qt.TextElideMode.ElideRight, int(label_width - margin)
                ),
            )
            length = 0.0 if biggest <= 0 else (right - left) * bar.value / biggest
            if length > 0:
                painter.fillRect(QRectF(left, row_top, max(length, 2.0), bar_height), BAR)
            # The figure starts under the bar; when it is longer than the room there, it moves
            # left (under the label) rather than being cut at the chart's edge.
            text_width = metrics.horizontalAdvance(bar.text) + 2
            text_left = max(area.left() + margin, min(left + 4, right - text_width))
            painter.drawText(
                QRectF(text_left, row_top + bar_height + 2, right - text_left, line),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                bar.text,
            )
