"""Write Tillcard's icons from ``resources/tillcard.svg``: one drawing for every platform.

``python tools/app_icon.py`` renders the SVG with Qt at each size the platforms ask for, then
Pillow packs them: ``packaging/icons/tillcard.ico`` (Windows), ``tillcard.icns`` (macOS) and
``resources/tillcard.png`` (the window icon on every platform).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parents[1]
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)


def render(svg: Path, size: int) -> Image.Image:
    """Rasterise with Qt (the app's own SVG renderer) and hand the pixels to Pillow."""
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    # ARGB32 is B, G, R, A in memory on the little-endian machines Qt runs on.
    return Image.frombuffer("RGBA", (size, size), bytes(image.constBits()), "raw", "BGRA", 0, 1)


def main(argv: list[str]) -> int:
    svg = ROOT / "resources" / "tillcard.svg"
    icons = ROOT / "packaging" / "icons"
    icons.mkdir(parents=True, exist_ok=True)
    _app = QGuiApplication(argv)
    largest = render(svg, 1024)
    largest.save(icons / "tillcard.icns", sizes=[(s, s) for s in ICNS_SIZES])
    ico_frames = [render(svg, size) for size in ICO_SIZES]
    ico_frames[-1].save(
        icons / "tillcard.ico",
        sizes=[(s, s) for s in ICO_SIZES],
        append_images=ico_frames[:-1],
    )
    render(svg, 256).save(ROOT / "resources" / "tillcard.png", optimize=True)
    for path in (icons / "tillcard.ico", icons / "tillcard.icns", ROOT / "resources/tillcard.png"):
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
