"""Receipts rendered to PDF say what the Receipt says, and their barcode scans.

Each PDF is read back with pypdfium2 (its text) and rasterised at a thermal printer's 203 dpi
and at 300 dpi, where zxing-cpp must find exactly one Code128 carrying the receipt code.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from pos_app.domain.money import Money
from pos_app.domain.receipts import PaperWidth, ReceiptLine, money_line
from pos_app.printing.column import PaintFailed
from pos_app.printing.receipt_print import print_receipt, receipt_pdf
from tests.printing.pdf_reading import bar_runs, decode, only_code128, only_page, rasterise
from tests.printing.receipts import (
    FULL_CARD_NUMBER,
    PENDING_MARK,
    REFERENCE,
    pending,
    redemption,
)

ROLLS = [PaperWidth.MM58, PaperWidth.MM80]
DPIS = [203, 300]


def render(tmp_path: Path, paper: PaperWidth, **changes: object) -> Path:
    path = tmp_path / f"receipt-{paper.value}.pdf"
    receipt_pdf(redemption(**changes), path, paper)
    return path


@pytest.mark.parametrize("paper", list(PaperWidth))
def test_the_pdf_says_everything_on_the_receipt(tmp_path: Path, paper: PaperWidth) -> None:
    page = only_page(render(tmp_path, paper))
    receipt = redemption()
    for text in (
        "Corner Coffee",
        "Till till-1",
        "Cashier Ana",
        receipt.at.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
        "Redemption",
        "LoyaltyDog card •••• 7608",
        "Paid with card",
        "$ 12.50",
        "Balance now",
        "$ 62.00",
        receipt.code,
        "Thank you!",
    ):
        assert text in page.words, text
    assert f"Ref{REFERENCE}" in page.letters
    assert "PENDING" not in page.words
    assert "COPY" not in page.words


@pytest.mark.parametrize("paper", list(PaperWidth))
@pytest.mark.parametrize("dpi", DPIS)
def test_the_barcode_scans_back_to_the_receipt_code(
    tmp_path: Path, paper: PaperWidth, dpi: int
) -> None:
    path = render(tmp_path, paper)
    assert only_code128(rasterise(path, dpi)).text == redemption().code == "TC3F9A1C2B7D4E"


@pytest.mark.parametrize("dpi", DPIS)
def test_a_pending_receipt_scans_too(tmp_path: Path, dpi: int) -> None:
    path = tmp_path / "pending.pdf"
    receipt = pending(reference="12345678-9012-4b1a-9c3e-2a7f5d8e6b10")
    receipt_pdf(receipt, path, PaperWidth.MM58)
    assert only_code128(rasterise(path, dpi)).text == "TC123456789012"


def test_on_58mm_a_module_is_two_thermal_dots(tmp_path: Path) -> None:
    """0.25 mm bars, crisp on a 203-dpi head, inside the 48 mm it can print."""
    pixels = rasterise(render(tmp_path, PaperWidth.MM58), 203)
    found = only_code128(pixels)
    runs, first, last = bar_runs(pixels, (found.top + found.bottom) // 2)
    assert min(runs) == 2  # 2 dots at 203 dpi = 0.250 mm
    assert all(run % 2 == 0 for run in runs)
    dots_per_mm = 203 / 25.4
    assert (last - first + 1) / dots_per_mm <= 48.0
    quiet_mm = min(first, pixels.shape[1] - 1 - last) / dots_per_mm
    assert quiet_mm >= 10 * 0.25


@pytest.mark.parametrize(("paper", "width_mm"), [(PaperWidth.MM58, 58), (PaperWidth.MM80, 80)])
def test_a_roll_page_is_as_tall_as_the_receipt(
    tmp_path: Path, paper: PaperWidth, width_mm: int
) -> None:
    short = only_page(render(tmp_path, paper))
    long_path = tmp_path / "long.pdf"
    footer = "Thank you!\n" + "Open every day from 7 to 19. " * 8
    receipt_pdf(pending(footer=footer), long_path, paper)
    long = only_page(long_path)
    assert short.width_mm == pytest.approx(width_mm, abs=0.5)
    assert 50 < short.height_mm < 130
    assert long.height_mm > short.height_mm + 15
    pixels = rasterise(long_path, 203)
    assert (pixels[-8:] > 250).all()  # the cut comes after the footer, not through it
    assert " ".join(footer.split()) in long.words
    assert "Thank you!\r\nOpen every day" in long.text  # the footer's line break is kept


def test_a4_is_an_a4_page_with_the_receipt_near_the_top(tmp_path: Path) -> None:
    path = render(tmp_path, PaperWidth.A4)
    page = only_page(path)
    assert page.width_mm == pytest.approx(210, abs=0.5)
    assert page.height_mm == pytest.approx(297, abs=0.5)
    pixels = rasterise(path, 100)
    inked_rows = np.flatnonzero((pixels < 128).any(axis=1))
    inked_columns = np.flatnonzero((pixels < 128).any(axis=0))
    assert inked_rows[-1] < pixels.shape[0] / 2  # a column near the top...
    assert inked_columns[-1] - inked_columns[0] < pixels.shape[1] / 2  # ...not stretched


def test_pending_receipt_carries_the_mark(tmp_path: Path) -> None:
    path = tmp_path / "pending.pdf"
    receipt_pdf(pending(), path, PaperWidth.MM58)
    page = only_page(path)
    headline, _, detail = PENDING_MARK.partition(" — ")
    assert headline in page.words
    assert detail in page.words
    assert "Balance now shown once confirmed" in page.words
    assert page.words.index("PENDING") < page.words.index("Paid with card")


def test_a_reprint_says_which_copy(tmp_path: Path) -> None:
    page = only_page(render(tmp_path, PaperWidth.MM80, copy=2))
    assert "COPY 2 — reprinted" in page.words


def test_a_full_card_number_is_never_printed(tmp_path: Path) -> None:
    for paper in PaperWidth:
        path = render(tmp_path, paper)
        page = only_page(path)
        assert FULL_CARD_NUMBER not in page.letters
        assert FULL_CARD_NUMBER[:12] not in page.letters
        assert [found.text for found in decode(rasterise(path, 203))] == [redemption().code]


def test_a_receipt_refuses_a_full_card_number() -> None:
    with pytest.raises(ValueError, match="only the last four"):
        redemption(masked_card=FULL_CARD_NUMBER)
    with pytest.raises(ValueError, match="only the last four"):
        redemption(masked_card=f"6215 •••• •••• {FULL_CARD_NUMBER[-4:]}")


@pytest.mark.parametrize("paper", ROLLS)
def test_long_and_accented_names_lose_no_text(tmp_path: Path, paper: PaperWidth) -> None:
    shop = "Café Zoë — the Corner Coffee, Bakery and Bicycle Repair Cooperative of Old Town"
    long_value = "Large oat-milk cappuccino with cinnamon, two croissants and a slice of cake"
    path = render(
        tmp_path,
        paper,
        shop_name=shop,
        cashier="Zoë Ångström-Øvergård",
        lines=(
            ReceiptLine("Reward", long_value, strong=True),
            ReceiptLine("A label far too long to share its line with anything else", "7"),
        ),
    )
    page = only_page(path)
    assert shop in page.words
    assert "Cashier Zoë Ångström-Øvergård" in page.words
    assert long_value in page.words
    assert "A label far too long to share its line with anything else 7" in page.words
    assert only_code128(rasterise(path, 203)).text == redemption().code


def test_euro_amounts_with_a_decimal_comma(tmp_path: Path) -> None:
    euros = Money(Decimal("1234.50"), "EUR")
    path = render(
        tmp_path,
        PaperWidth.MM58,
        lines=(
            money_line("Paid with card", euros, ",", strong=True),
            money_line("Balance now", Money(Decimal("0.05"), "EUR"), ",", strong=True),
        ),
    )
    page = only_page(path)
    assert "Paid with card € 1.234,50" in page.words
    assert "Balance now € 0,05" in page.words


def test_a_pdf_that_cannot_be_written_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        receipt_pdf(redemption(), tmp_path / "no-such-folder" / "r.pdf", PaperWidth.MM80)
    assert not (tmp_path / "no-such-folder").exists()
    assert issubclass(PaintFailed, OSError)  # a printer that cannot start is an OSError too


def test_printing_without_a_printer_says_so() -> None:
    from PySide6.QtPrintSupport import QPrinterInfo

    if QPrinterInfo.availablePrinters():
        pytest.skip("this computer has a printer; the sentence is for tills without one")
    problem = print_receipt(redemption(), PaperWidth.MM80)
    assert problem == "No printer is set up on this computer; save as PDF instead."
