"""The back office's QPainter bar charts: what they hold, and that they paint it."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QApplication

from pos_app.domain.balance_figures import balance_distribution
from pos_app.gui.charts import BAR, Bar, BarChart, distribution_bars


def _render(chart: BarChart, width: int = 640, height: int = 400) -> QImage:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("#ff00ff"))  # not the chart's background: unpainted pixels would show
    painter = QPainter(image)
    try:
        chart.paint(painter, QRectF(0, 0, width, height))
    finally:
        painter.end()
    return image


def _count(image: QImage, color: QColor) -> int:
    rgb = color.rgb()
    return sum(
        1
        for y in range(0, image.height(), 2)
        for x in range(0, image.width(), 2)
        if image.pixel(x, y) == rgb
    )


def test_distribution_bars_say_how_many_and_how_much(qapp: QApplication) -> None:
    balances = [Decimal(v) for v in ("0", "0", "5", "12.5", "40", "75", "1250")]
    bars = distribution_bars(balance_distribution(balances), "EUR")
    assert [(bar.label, bar.value) for bar in bars] == [
        ("0 EUR", 2.0),
        ("0–10 EUR", 1.0),
        ("10–50 EUR", 2.0),
        ("50–100 EUR", 1.0),
        ("100–500 EUR", 0.0),
        ("500+ EUR", 1.0),
    ]
    assert bars[2].text == "2 customers · 52.5 EUR"
    assert bars[4].text == "0 customers"
    assert bars[5].text == "1 customer · 1,250 EUR"


def test_bars_are_painted_longest_for_the_biggest_value(qapp: QApplication) -> None:
    chart = BarChart("Cards by status", "Nothing yet")
    chart.set_bars([Bar("active", 30, "30 cards"), Bar("expired", 10, "10 cards")])
    image = _render(chart)
    assert _count(image, QColor("#ff00ff")) == 0  # the whole area is painted
    bar = BAR.rgb()
    widths = []
    for row in range(image.height()):
        inked = [x for x in range(image.width()) if image.pixel(x, row) == bar]
        if inked:
            widths.append(len(inked))
    assert widths, "no bar was painted"
    assert max(widths) > 2.5 * min(widths)  # 30 against 10, on one scale
    assert "active: 30 cards" in chart.accessibleDescription()


def test_an_empty_chart_says_why_in_words(qapp: QApplication) -> None:
    chart = BarChart("Customers by balance", "Fetch a balances report first.")
    image = _render(chart)
    assert _count(image, BAR) == 0
    white = _count(image, QColor("#ffffff"))
    total = (image.width() // 2) * (image.height() // 2)
    assert total - white > 0  # the title and the sentence are drawn
