"""A card label is the card: its full number, as a barcode that scans and as text."""

from __future__ import annotations

from pathlib import Path

import pytest

from pos_app.printing.card_labels import CardLabel, label_pdf, spaced_number
from tests.printing.pdf_reading import bar_runs, only_code128, only_page, rasterise

NUMBERS = [
    "6215943836307608",  # LoyaltyDog gift card, 16 digits
    "62159438363076081234",  # the longest gift card number, 20 digits
    "3141592653",  # ClientToolbox card number
    "ZTLKCIUD",  # Leal card code
]


@pytest.mark.parametrize("number", NUMBERS)
@pytest.mark.parametrize("dpi", [203, 300])
def test_the_label_barcode_scans_to_the_full_number(tmp_path: Path, number: str, dpi: int) -> None:
    path = tmp_path / "label.pdf"
    label_pdf(CardLabel("Corner Coffee", "LoyaltyDog", number, "Alice Martin"), path)
    assert only_code128(rasterise(path, dpi)).text == number


def test_the_label_is_54_by_25_mm_and_says_the_number(tmp_path: Path) -> None:
    path = tmp_path / "label.pdf"
    label_pdf(CardLabel("Café Zoë", "LoyaltyDog", NUMBERS[0], "Chloé Dubois"), path)
    page = only_page(path)
    assert page.width_mm == pytest.approx(54, abs=0.5)
    assert page.height_mm == pytest.approx(25, abs=0.5)
    assert "Café Zoë · LoyaltyDog" in page.words
    assert "6215 9438 3630 7608" in page.words
    assert NUMBERS[0] in page.letters
    assert "Chloé Dubois" in page.words


def test_label_bars_are_whole_dots_on_a_203_dpi_printer(tmp_path: Path) -> None:
    path = tmp_path / "label.pdf"
    label_pdf(CardLabel("Corner Coffee", "LoyaltyDog", NUMBERS[1]), path)
    pixels = rasterise(path, 203)
    found = only_code128(pixels)
    runs, first, last = bar_runs(pixels, (found.top + found.bottom) // 2)
    module = min(runs)
    assert module >= 2  # at least 0.25 mm
    assert all(run % module == 0 for run in runs)
    assert min(first, pixels.shape[1] - 1 - last) >= 10 * module  # quiet zones on the label


def test_a_label_without_holder_or_number() -> None:
    assert spaced_number("62159438363076081") == "6215 9438 3630 7608 1"
    assert spaced_number("ZTLKCIUD") == "ZTLKCIUD"
    with pytest.raises(ValueError, match="needs the card's number"):
        CardLabel("Corner Coffee", "Leal", " ")
