"""See a receipt, label or report before it prints: choose the paper, print, or save a PDF.

Like the cashier's other dialogs it is opened with ``open()`` (never ``exec()``: the app runs on
qasync) and deletes itself once closed. A till without a printer is normal: printing then says
so in the dialog and points at Save as PDF, nothing crashes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Final

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewWidget
from PySide6.QtWidgets import QComboBox, QLabel, QPushButton, QWidget

from pos_app.domain.receipts import PaperWidth
from pos_app.gui.forms import FormError
from pos_app.gui.view_dialog import ViewDialog
from pos_app.printing.column import PaintFailed
from pos_app.printing.paper import sheet_for
from pos_app.printing.pdf_files import check_writable
from pos_app.printing.printers import send_to_printer

__all__ = ["PDF_DONE", "PrintPreview"]

log = logging.getLogger(__name__)

Paint = Callable[[QPrinter, PaperWidth], None]

#: What ``on_printed`` receives when the document was saved as a PDF file.
PDF_DONE: Final = "pdf"
_INSTEAD: Final = "save as PDF (Ctrl+S)"
_PAPERS: Final = (PaperWidth.MM58, PaperWidth.MM80, PaperWidth.A4)


class PrintPreview(ViewDialog):
    """Owns one QDialog built from ``ui/print_preview.ui``; a child of it, so it lives and dies
    with the dialog (deleted on close)."""

    def __init__(
        self,
        parent: QWidget,
        *,
        title: str,
        paint: Paint,
        paper: PaperWidth,
        pdf_name: str,
        printer_name: str = "",
        on_printed: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__("print_preview.ui", parent)
        dialog = self._dialog
        self._paint = paint
        self._paper = paper
        self._pdf_name = pdf_name
        self._printer_name = printer_name
        self._on_printed = on_printed
        dialog.setWindowTitle(title)
        self._child(QLabel, "dialogTitle").setText(title)
        self.status_label = self._child(QLabel, "statusLabel")
        self.print_button = self._child(QPushButton, "printButton")
        self.save_pdf_button = self._child(QPushButton, "savePdfButton")
        self.close_button = self._child(QPushButton, "closeButton")
        self.paper_combo = self._child(QComboBox, "paperCombo")
        for choice in _PAPERS:
            self.paper_combo.addItem(choice.label)
        self.paper_combo.setCurrentIndex(_PAPERS.index(paper))
        self.paper_combo.currentIndexChanged.connect(self._on_paper_chosen)

        self.preview_printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        self.preview_printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        self.preview_printer.setResolution(sheet_for(paper).pdf_dpi)
        host = self._child(QWidget, "previewHost")
        self.preview = QPrintPreviewWidget(self.preview_printer, host)
        self.preview.setObjectName("printPreview")
        self.preview.setAccessibleName("Print preview")
        self.preview.setZoomMode(QPrintPreviewWidget.ZoomMode.FitInView)
        self.preview.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = host.layout()
        if layout is None:
            raise FormError("print_preview.ui: previewHost needs a layout")
        layout.addWidget(self.preview)
        self.preview.paintRequested.connect(self._paint_preview)

        self.print_button.clicked.connect(self._on_print)
        self.save_pdf_button.clicked.connect(self.ask_pdf_path)
        self.close_button.clicked.connect(dialog.reject)
        self._shortcut("Ctrl+P", self._on_print)
        self._shortcut(QKeySequence.StandardKey.Save, self.ask_pdf_path)
        for key, choice in zip(("1", "2", "3"), _PAPERS, strict=True):
            self._shortcut(key, partial(self.set_paper, choice))
        self._set_status("", "")

    # --- what callers use -------------------------------------------------------------------

    @property
    def paper(self) -> PaperWidth:
        return self._paper

    def set_paper(self, paper: PaperWidth) -> None:
        """Show the document on another paper (the combo follows)."""
        self.paper_combo.setCurrentIndex(_PAPERS.index(paper))

    def save_pdf(self, path: Path) -> None:
        """Write the document on the chosen paper to ``path``; raises OSError if it cannot."""
        try:
            check_writable(path)
            printer = QPrinter(QPrinter.PrinterMode.HighResolution)
            printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
            printer.setResolution(sheet_for(self._paper).pdf_dpi)
            printer.setOutputFileName(str(path))
            printer.setDocName(self.dialog.windowTitle())
            printer.setCreator("Tillcard")
            self._paint(printer, self._paper)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            self._set_status(f"Could not write {path} ({reason}); choose another folder.", "error")
            raise
        self._set_status(f"Saved as {path}", "ok")
        if self._on_printed is not None:
            self._on_printed(PDF_DONE)

    def print_now(self) -> str | None:
        """Send to the configured printer (or the system's default): None once sent, else the
        sentence shown in the dialog."""
        problem, name = send_to_printer(
            lambda printer: self._paint(printer, self._paper),
            self._printer_name,
            document=self.dialog.windowTitle(),
            instead=_INSTEAD,
        )
        if problem is not None:
            self._set_status(problem, "error")
            return problem
        self._set_status(f"Sent to {name}", "ok")
        if self._on_printed is not None:
            self._on_printed(name)
        return None

    def ask_pdf_path(self) -> None:
        """Ctrl+S: ask where to save (Documents and ``pdf_name`` proposed), then save."""
        if self.file_dialog is not None:
            return
        documents = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation
        )
        self.ask_save_path(
            "Save as PDF",
            "PDF files (*.pdf)",
            "pdf",
            documents or str(Path.home()),
            self._pdf_name,
            self._on_pdf_path,
        )

    # --- internals --------------------------------------------------------------------------

    def _initial_focus(self) -> QWidget:
        return self.print_button

    def _shortcut(
        self, keys: str | QKeySequence.StandardKey, slot: Callable[[], object]
    ) -> QShortcut:
        shortcut = QShortcut(QKeySequence(keys), self.dialog)
        shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        shortcut.activated.connect(slot)
        return shortcut

    def _paint_preview(self, printer: QPrinter) -> None:
        printer.setResolution(sheet_for(self._paper).pdf_dpi)
        try:
            self._paint(printer, self._paper)
        except PaintFailed as exc:
            self._set_status(f"The preview could not be drawn: {exc}", "error")

    def _on_paper_chosen(self, index: int) -> None:
        if not 0 <= index < len(_PAPERS):
            return
        choice = _PAPERS[index]
        if choice is not self._paper:
            self._paper = choice
            self._set_status("", "")
            self.preview.updatePreview()

    def _on_print(self) -> None:
        if self.print_now() is None:
            self.dialog.accept()

    def _on_pdf_path(self, chosen: str) -> None:
        if not chosen:
            return
        try:
            self.save_pdf(Path(chosen))
        except OSError:
            log.info("PDF not saved to %s", chosen)
            return
        self.dialog.accept()

    def _set_status(self, text: str, tone: str) -> None:
        """``tone`` picks the colour in theme.qss (busy, ok, error); "" is neutral."""
        label = self.status_label
        label.setText(text)
        label.setVisible(bool(text))
        label.setProperty("tone", tone)
        label.style().unpolish(label)
        label.style().polish(label)
