"""PDF files of receipts, labels and reports: opened only where they can really be written.

Qt reports an unwritable PDF path only as a failed paint (and a warning on stderr); asking the
file system first gives the caller the real reason, such as a missing folder.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QPdfWriter

__all__ = ["check_writable", "pdf_writer"]


def check_writable(path: Path) -> None:
    """Raise the OSError the file system gives if ``path`` cannot be written (nothing changes
    in an existing file)."""
    with path.open("ab"):
        pass


def pdf_writer(path: Path, *, dpi: int, title: str) -> QPdfWriter:
    """A PDF writer on ``path`` whose coordinates are dots of a ``dpi`` printer."""
    check_writable(path)
    writer = QPdfWriter(str(path))
    writer.setResolution(dpi)
    writer.setTitle(title)
    writer.setCreator("Tillcard")
    return writer
