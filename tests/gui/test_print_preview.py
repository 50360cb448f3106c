"""The print preview on real widgets (offscreen): paper keys, PDF, printing without a printer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from PySide6.QtCore import Qt, QtMsgType
from PySide6.QtGui import QPageLayout
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QWidget
from pytestqt.qtbot import QtBot

from pos_app.domain.receipts import PaperWidth
from pos_app.gui.forms import FORMS, load_form, stylesheet
from pos_app.gui.print_preview import PDF_DONE, PrintPreview
from pos_app.printing.card_labels import CardLabel, paint_label
from pos_app.printing.receipt_print import paint_receipt
from tests.printing.pdf_reading import only_code128, only_page, rasterise
from tests.printing.receipts import redemption

if TYPE_CHECKING:
    from pytestqt.logging import _QtMessageCapture

KEY = Qt.Key
MOD = Qt.KeyboardModifier
NO_PRINTER = "No printer is set up on this computer; save as PDF (Ctrl+S) instead."


@pytest.fixture(autouse=True)
def no_qt_warnings(qtlog: _QtMessageCapture) -> Iterator[None]:
    yield
    noisy = [
        record.message
        for record in qtlog.records
        if record.type in (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg)
        and "propagateSizeHints" not in record.message
    ]
    assert not noisy


@pytest.fixture
def host(qtbot: QtBot) -> QWidget:
    widget = QWidget()
    widget.setStyleSheet(stylesheet())
    widget.resize(1280, 800)
    qtbot.addWidget(widget)
    widget.show()
    return widget


@pytest.fixture
def no_printers() -> None:
    """The machines running these tests have no printer: a real condition, checked here."""
    if QPrinterInfo.availablePrinters():
        pytest.skip("this computer has a printer set up")


class Painted:
    """The document, recording every paper it was painted for."""

    def __init__(self) -> None:
        self.papers: list[PaperWidth] = []

    def __call__(self, printer: QPrinter, paper: PaperWidth) -> None:
        self.papers.append(paper)
        paint_receipt(printer, redemption(), paper)


def preview(
    qtbot: QtBot, host: QWidget, printed: list[str], paint: Painted | None = None
) -> PrintPreview:
    dialog = PrintPreview(
        host,
        title="Receipt TC3F9A1C2B7D4E — Redemption",
        paint=paint or Painted(),
        paper=PaperWidth.MM58,
        pdf_name="receipt-TC3F9A1C2B7D4E.pdf",
        on_printed=printed.append,
    )
    with qtbot.waitExposed(dialog.dialog):
        dialog.open()
    dialog.dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog.dialog)
    return dialog


def page_width_mm(dialog: PrintPreview) -> float:
    return dialog.preview_printer.pageLayout().fullRect(QPageLayout.Unit.Millimeter).width()


def press(qtbot: QtBot, key: Qt.Key, modifier: MOD = MOD.NoModifier) -> None:
    target = QApplication.focusWidget()
    assert target is not None
    qtbot.keyClick(target, key, modifier)


def test_the_form_loads_and_is_listed(qtbot: QtBot) -> None:
    assert "print_preview.ui" in FORMS
    form = load_form("print_preview.ui")
    qtbot.addWidget(form)
    assert isinstance(form, QDialog)
    assert form.objectName() == "printPreviewDialog"


def test_it_opens_on_the_configured_paper(qtbot: QtBot, host: QWidget) -> None:
    paint = Painted()
    dialog = preview(qtbot, host, [], paint)
    assert dialog.is_open
    assert dialog.dialog.windowTitle() == "Receipt TC3F9A1C2B7D4E — Redemption"
    assert dialog.paper_combo.currentText() == "58 mm roll"
    assert dialog.preview.pageCount() == 1
    assert paint.papers == [PaperWidth.MM58]
    assert page_width_mm(dialog) == pytest.approx(58)
    assert dialog.print_button.isDefault()
    assert QApplication.focusWidget() is dialog.print_button


def test_keys_1_2_3_and_the_combo_switch_paper_and_redraw(qtbot: QtBot, host: QWidget) -> None:
    paint = Painted()
    dialog = preview(qtbot, host, [], paint)
    press(qtbot, KEY.Key_2)
    assert dialog.paper is PaperWidth.MM80
    assert paint.papers[-1] is PaperWidth.MM80
    assert page_width_mm(dialog) == pytest.approx(80)
    press(qtbot, KEY.Key_3)
    assert dialog.paper_combo.currentText() == "A4"
    assert page_width_mm(dialog) == pytest.approx(210)
    dialog.paper_combo.setCurrentIndex(0)
    assert dialog.paper.millimetres == 58
    assert paint.papers == [
        PaperWidth.MM58,
        PaperWidth.MM80,
        PaperWidth.A4,
        PaperWidth.MM58,
    ]
    press(qtbot, KEY.Key_1)  # already on 58 mm: nothing to redraw
    assert len(paint.papers) == 4


def test_save_pdf_writes_the_receipt_on_the_chosen_paper(
    qtbot: QtBot, host: QWidget, tmp_path: Path
) -> None:
    printed: list[str] = []
    dialog = preview(qtbot, host, printed)
    press(qtbot, KEY.Key_2)
    path = tmp_path / "receipt.pdf"
    dialog.save_pdf(path)
    page = only_page(path)
    assert page.width_mm == pytest.approx(80, abs=0.5)
    for line in ("Corner Coffee", "Till till-1 · Cashier Ana", "Paid with card $ 12.50"):
        assert line in page.words
    assert only_code128(rasterise(path, 203)).text == redemption().code
    assert printed == [PDF_DONE]
    assert dialog.is_open
    assert dialog.status_label.text() == f"Saved as {path}"


def test_ctrl_s_asks_for_a_file_in_a_non_native_dialog_then_saves_and_closes(
    qtbot: QtBot, host: QWidget, tmp_path: Path
) -> None:
    printed: list[str] = []
    dialog = preview(qtbot, host, printed)
    press(qtbot, KEY.Key_S, MOD.ControlModifier)
    chooser = dialog.file_dialog
    assert isinstance(chooser, QFileDialog)
    assert chooser.testOption(QFileDialog.Option.DontUseNativeDialog)
    assert chooser.acceptMode() is QFileDialog.AcceptMode.AcceptSave
    assert chooser.selectedFiles()[0].endswith("receipt-TC3F9A1C2B7D4E.pdf")
    path = tmp_path / "chosen.pdf"
    chooser.fileSelected.emit(str(path))
    chooser.reject()
    assert printed == [PDF_DONE]
    assert "Corner Coffee" in only_page(path).words
    qtbot.waitUntil(lambda: not dialog.is_open)


def test_a_pdf_that_cannot_be_written_says_so(qtbot: QtBot, host: QWidget, tmp_path: Path) -> None:
    printed: list[str] = []
    dialog = preview(qtbot, host, printed)
    with pytest.raises(FileNotFoundError):
        dialog.save_pdf(tmp_path / "missing" / "r.pdf")
    assert dialog.status_label.text().startswith("Could not write")
    assert printed == []
    assert dialog.is_open


def test_print_without_a_printer_shows_a_sentence_never_a_crash(
    qtbot: QtBot, host: QWidget, no_printers: None
) -> None:
    printed: list[str] = []
    dialog = preview(qtbot, host, printed)
    assert dialog.print_now() == NO_PRINTER
    assert dialog.status_label.text() == NO_PRINTER
    assert dialog.status_label.property("tone") == "error"
    press(qtbot, KEY.Key_Return)  # Enter prints (and fails the same way)
    press(qtbot, KEY.Key_P, MOD.ControlModifier)
    assert dialog.is_open
    assert dialog.status_label.text() == NO_PRINTER
    assert printed == []


def test_esc_closes(qtbot: QtBot, host: QWidget) -> None:
    dialog = preview(qtbot, host, [])
    results: list[int] = []
    dialog.dialog.finished.connect(results.append)
    press(qtbot, KEY.Key_Escape)
    assert results == [QDialog.DialogCode.Rejected]
    assert not dialog.is_open


def test_close_is_safe_twice_and_a_label_previews_on_its_own_page(
    qtbot: QtBot, host: QWidget
) -> None:
    label = CardLabel("Corner Coffee", "LoyaltyDog", "6215943836307608", "Alice Martin")
    dialog = PrintPreview(
        host,
        title="Card label •••• 7608",
        paint=lambda printer, _paper: paint_label(printer, label),
        paper=PaperWidth.MM80,
        pdf_name="card-label-7608.pdf",
    )
    with qtbot.waitExposed(dialog.dialog):
        dialog.open()
    layout = dialog.preview_printer.pageLayout().fullRect(QPageLayout.Unit.Millimeter)
    assert layout.width() == pytest.approx(54)
    assert layout.height() == pytest.approx(25)
    dialog.close()
    dialog.close()
    assert not dialog.is_open
