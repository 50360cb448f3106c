"""The printed shift report carries the same names and figures as the report itself."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from pos_app.domain.backends import Provider
from pos_app.domain.money import Money
from pos_app.domain.operations import OperationKind
from pos_app.domain.receipts import PaperWidth
from pos_app.domain.shift_report import (
    NO_CASHIER,
    Outcome,
    ShiftFacts,
    ShiftOperation,
    ShiftReport,
    shift_report,
)
from pos_app.printing.shift_report_print import shift_report_pdf, totals_rows
from tests.printing.pdf_reading import only_page, pdf_pages

OPENED = datetime(2025, 3, 14, 8, 0, tzinfo=UTC)
CLOSED = datetime(2025, 3, 14, 16, 5, tzinfo=UTC)


def money(text: str, currency: str = "USD") -> Money:
    return Money(Decimal(text), currency)


def report(*, closed: bool = True, extra_cashiers: int = 0) -> ShiftReport:
    ops = [
        ShiftOperation(
            Provider.LOYALTYDOG, OperationKind.REDEEM, Outcome.CONFIRMED, "Ana", money("12.50")
        ),
        ShiftOperation(
            Provider.LOYALTYDOG, OperationKind.REDEEM, Outcome.PENDING, "Ben", money("7.25")
        ),
        ShiftOperation(Provider.LEAL, OperationKind.ADD_STAMPS, Outcome.CONFIRMED, "Ana", units=3),
        ShiftOperation(
            Provider.CLIENTTOOLBOX,
            OperationKind.REFUND,
            Outcome.CONFIRMED,
            "Zoë",
            money("3.00", "EUR"),
        ),
        ShiftOperation(
            Provider.LOYALTYDOG,
            OperationKind.REDEEM,
            Outcome.NEEDS_ATTENTION,
            None,
            money("40.00"),
        ),
    ]
    ops += [
        ShiftOperation(
            Provider.LEAL, OperationKind.ADD_STAMPS, Outcome.CONFIRMED, f"Cashier {n:02}", units=1
        )
        for n in range(extra_cashiers)
    ]
    facts = ShiftFacts(
        shift_id=7,
        terminal="till-1",
        opened_at=OPENED,
        opened_by="Ana",
        closed_at=CLOSED if closed else None,
        closed_by="Ben" if closed else None,
    )
    return shift_report(facts, ops)


@pytest.mark.parametrize("paper", list(PaperWidth))
def test_the_report_lists_every_backend_and_cashier_with_figures(
    tmp_path: Path, paper: PaperWidth
) -> None:
    path = tmp_path / "shift.pdf"
    shift_report_pdf(report(), path, paper)
    words = only_page(path).words
    assert "Shift report" in words
    assert "Shift 7 · Till till-1" in words
    assert f"Opened {OPENED.astimezone():%Y-%m-%d %H:%M} by Ana" in words
    assert f"Closed {CLOSED.astimezone():%Y-%m-%d %H:%M} by Ben" in words
    assert "Whole shift Operations 5 Redemptions 1 Redeemed $ 12.50 Undos 1 Undone € 3.00" in words
    assert "Net paid by cards -€ 3.00 + $ 12.50" in words
    assert "Pending 1 ($ 7.25) Needs attention 1" in words
    for section in ("By back-end", "By cashier"):
        assert section in words
    assert "LoyaltyDog Operations 3 Redemptions 1 Redeemed $ 12.50" in words
    assert "Leal Operations 1 Net paid by cards 0 Stamps added 3 in 1 operation" in words
    assert "ClientToolbox Operations 1 Undos 1 Undone € 3.00" in words
    assert "Ana Operations 2 Redemptions 1 Redeemed $ 12.50" in words
    assert "Ben Operations 1 Net paid by cards 0 Pending 1 ($ 7.25)" in words
    assert "Zoë Operations 1 Undos 1 Undone € 3.00 Net paid by cards -€ 3.00" in words
    assert f"{NO_CASHIER} Operations 1 Net paid by cards 0 Needs attention 1" in words


def test_an_open_shift_says_so_and_a_comma_separator_is_used(tmp_path: Path) -> None:
    from PySide6.QtGui import QPdfWriter

    from pos_app.printing.shift_report_print import paint_shift_report

    path = tmp_path / "open.pdf"
    writer = QPdfWriter(str(path))
    paint_shift_report(writer, report(closed=False), PaperWidth.MM80, separator=",")
    del writer
    words = only_page(path).words
    assert "Still open" in words
    assert "Redeemed $ 12,50" in words


def test_a_long_report_on_a4_continues_on_a_second_page(tmp_path: Path) -> None:
    path = tmp_path / "long.pdf"
    shift_report_pdf(report(extra_cashiers=30), path)
    pages = pdf_pages(path)
    assert len(pages) >= 2
    assert all(page.height_mm == pytest.approx(297, abs=0.5) for page in pages)
    text = " ".join(page.words for page in pages)
    for n in range(30):
        assert f"Cashier {n:02} Operations 1" in text


def test_a_roll_report_is_one_long_page(tmp_path: Path) -> None:
    path = tmp_path / "roll.pdf"
    shift_report_pdf(report(extra_cashiers=30), path, PaperWidth.MM58)
    page = only_page(path)
    assert page.width_mm == pytest.approx(58, abs=0.5)
    assert page.height_mm > 297


def test_zero_rows_are_left_out_of_slices_but_not_of_the_whole_shift() -> None:
    whole = report().total
    assert len(totals_rows(whole, all_rows=True)) == 12
    leal = report().by_backend[Provider.LEAL]
    assert totals_rows(leal, all_rows=False) == [
        ("Operations", "1"),
        ("Net paid by cards", "0"),
        ("Stamps added", "3 in 1 operation"),
    ]
