"""Regenerate the sample receipts and card label in docs/receipts (``make receipts``).

Usage: python tools/sample_receipts.py [OUTPUT_DIR]

Each sample is a PDF as the till writes it, plus a PNG of it rasterised as a 203-dpi thermal
printer would print it (A4 at 150 dpi), so the layout can be reviewed without a printer. Runs
headless; times are shown in UTC so the samples are the same on every machine.
"""

from __future__ import annotations

import ctypes
import math
import os
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["TZ"] = "UTC"
time.tzset()

import pypdfium2  # noqa: E402
import pypdfium2.raw as pdfium_c  # noqa: E402
from PySide6.QtCore import QByteArray  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QImageWriter  # noqa: E402

from pos_app.domain.money import Money  # noqa: E402
from pos_app.domain.receipts import PaperWidth, Receipt, ReceiptLine, money_line  # noqa: E402
from pos_app.printing.card_labels import CardLabel, label_pdf  # noqa: E402
from pos_app.printing.receipt_print import receipt_pdf  # noqa: E402

AT = datetime(2025, 3, 14, 9, 41, 7, tzinfo=UTC)


def usd(text: str) -> Money:
    return Money(Decimal(text), "USD")


def redemption() -> Receipt:
    """A gift-card redemption the back-end confirmed, with the balance left on the card."""
    return Receipt(
        shop_name="Corner Coffee",
        terminal="till-1",
        cashier="Ana",
        at=AT,
        title="Redemption",
        backend="LoyaltyDog",
        masked_card="•••• 7608",
        lines=(
            money_line("Paid with card", usd("12.50"), strong=True),
            money_line("Balance now", usd("62.00"), strong=True),
        ),
        reference="3f9a1c2b-7d4e-4b1a-9c3e-2a7f5d8e6b10",
        footer="Thank you!",
    )


def pending_redemption() -> Receipt:
    """The same sale made while LoyaltyDog could not be reached."""
    return Receipt(
        shop_name="Corner Coffee",
        terminal="till-1",
        cashier="Ana",
        at=AT,
        title="Redemption",
        backend="LoyaltyDog",
        masked_card="•••• 7608",
        lines=(
            money_line("Paid with card", usd("12.50"), strong=True),
            ReceiptLine("Balance now", "shown once confirmed"),
        ),
        reference="8b1e4d70-2c5a-4f39-a6d1-0e9b7c3f5a24",
        mark="PENDING — not yet confirmed by LoyaltyDog; it will be sent exactly once",
        footer="Thank you!",
    )


def card_label() -> CardLabel:
    return CardLabel("Corner Coffee", "LoyaltyDog", "6215943836307608", "Alice Martin")


def png_of(pdf: Path, dpi: int) -> Path:
    """Rasterise the PDF's first page into a grey PNG beside it, dot for dot as a printer of
    ``dpi`` would (an exact scale, so bars stay on the printer's grid)."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[0]
        scale = dpi / 72
        width_pt, height_pt = page.get_size()
        width, height = math.ceil(width_pt * scale), math.ceil(height_pt * scale)
        bitmap = pypdfium2.PdfBitmap.new_native(width, height, pdfium_c.FPDFBitmap_Gray)
        bitmap.fill_rect((255, 255, 255, 255), 0, 0, width, height)
        matrix = pdfium_c.FS_MATRIX(scale, 0, 0, scale, 0, 0)
        clip = pdfium_c.FS_RECTF(0, 0, width, height)
        pdfium_c.FPDF_RenderPageBitmapWithMatrix(
            bitmap, page, ctypes.byref(matrix), ctypes.byref(clip), pdfium_c.FPDF_ANNOT
        )
        pixels = bytes(bitmap.to_numpy().tobytes())
        image = QImage(pixels, width, height, bitmap.stride, QImage.Format.Format_Grayscale8)
        image = image.copy()
    finally:
        document.close()
    image.setDotsPerMeterX(round(dpi / 0.0254))
    image.setDotsPerMeterY(round(dpi / 0.0254))
    target = pdf.with_suffix(".png")
    writer = QImageWriter(str(target), QByteArray(b"png"))
    if not writer.write(image):
        raise OSError(f"could not write {target}: {writer.errorString()}")
    return target


def write_samples(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    receipts = [
        ("sample-58mm.pdf", redemption(), PaperWidth.MM58, 203),
        ("sample-80mm.pdf", redemption(), PaperWidth.MM80, 203),
        ("sample-pending-58mm.pdf", pending_redemption(), PaperWidth.MM58, 203),
        ("sample-a4.pdf", redemption(), PaperWidth.A4, 150),
    ]
    for name, receipt, paper, dpi in receipts:
        receipt_pdf(receipt, out / name, paper)
        written += [out / name, png_of(out / name, dpi)]
    label_pdf(card_label(), out / "card-label.pdf")
    written += [out / "card-label.pdf", png_of(out / "card-label.pdf", 300)]
    return written


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else Path("docs/receipts")
    app = QGuiApplication.instance() or QGuiApplication(argv[:1])
    for path in write_samples(out):
        print(path)
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
