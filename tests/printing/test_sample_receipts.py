"""``make receipts`` regenerates the samples in docs/receipts with one headless command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

from tests.printing.pdf_reading import image_pixels, only_code128, only_page

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ["sample-58mm", "sample-80mm", "sample-pending-58mm", "sample-a4", "card-label"]


def test_the_sample_script_writes_every_pdf_and_png_headless(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "sample_receipts.py"), str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{name}.{kind}" for name in SAMPLES for kind in ("pdf", "png")
    )
    for name in SAMPLES:
        page = only_page(tmp_path / f"{name}.pdf")
        scanned = only_code128(image_pixels(QImage(str(tmp_path / f"{name}.png")))).text
        if name == "card-label":
            assert scanned == "6215943836307608"
        else:
            assert scanned in page.words
            assert "Corner Coffee" in page.words
            assert "Cashier Ana" in page.words
            assert "2025-03-14 09:41:07" in page.words  # fixed example time, shown in UTC
    assert "PENDING" in only_page(tmp_path / "sample-pending-58mm.pdf").words
    assert "$ 62.00" in only_page(tmp_path / "sample-58mm.pdf").words


def test_the_makefile_has_a_receipts_target() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "tools/sample_receipts.py docs/receipts" in makefile
    phony = next(line for line in makefile.splitlines() if line.startswith(".PHONY:"))
    assert " receipts" in phony
