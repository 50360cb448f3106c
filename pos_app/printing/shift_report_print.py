"""The end-of-shift report on paper, for the drawer count and the manager's file.

Same figures as the screen and ``pos-app report shift``: the whole shift, then each back-end,
then each cashier. Operations still PENDING or needing attention are listed apart from what
was confirmed, because only confirmed money really moved.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtGui import QPagedPaintDevice

from pos_app.domain.receipts import PaperWidth
from pos_app.domain.shift_report import ShiftReport, Totals, money_text
from pos_app.printing.column import Column, print_font
from pos_app.printing.paper import A4_HEIGHT_MM, set_page, sheet_for
from pos_app.printing.pdf_files import pdf_writer

__all__ = ["paint_shift_report", "shift_report_column", "shift_report_pdf", "totals_rows"]

_CENTER: Final = Qt.AlignmentFlag.AlignHCenter
_SECTIONS: Final = {"shift": "Whole shift", "backend": "By back-end", "cashier": "By cashier"}
#: On A4 the report's column is wider than a receipt's: it has more figures per line.
_A4_COLUMN_MM: Final = 120.0


def _when(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def totals_rows(totals: Totals, separator: str = ".", *, all_rows: bool) -> list[tuple[str, str]]:
    """(label, figure) lines of one slice; without ``all_rows`` the zero lines are left out."""
    rows = [
        ("Operations", str(totals.operations), True),
        ("Redemptions", str(totals.redemptions), bool(totals.redemptions)),
        ("Redeemed", money_text(totals.redeemed, separator), bool(totals.redeemed)),
        ("Undos", str(totals.undos), bool(totals.undos)),
        ("Undone", money_text(totals.undone, separator), bool(totals.undone)),
        ("Net paid by cards", money_text(totals.net(), separator), True),
        (
            "Stamps added",
            f"{totals.stamps} in {totals.stamp_operations} "
            + ("operation" if totals.stamp_operations == 1 else "operations"),
            bool(totals.stamp_operations),
        ),
        ("Rewards redeemed", str(totals.rewards), bool(totals.rewards)),
        (
            "Pending",
            f"{totals.pending} ({money_text(totals.pending_amount, separator)})",
            bool(totals.pending),
        ),
        ("Needs attention", str(totals.needs_attention), bool(totals.needs_attention)),
        ("Resolved by a manager", str(totals.resolved), bool(totals.resolved)),
        ("Not done", str(totals.not_done), bool(totals.not_done)),
    ]
    return [(label, figure) for label, figure, shown in rows if all_rows or shown]


def shift_report_column(
    device: QPagedPaintDevice, report: ShiftReport, paper: PaperWidth, separator: str = "."
) -> Column:
    facts = report.facts
    column = Column(device, sheet_for(paper, a4_column_mm=_A4_COLUMN_MM))
    body = print_font(8.5 if paper is PaperWidth.MM58 else 9)
    bold = print_font(body.pointSizeF(), bold=True)
    column.text("Shift report", print_font(12.5, bold=True), align=_CENTER)
    column.text(f"Shift {facts.shift_id} · Till {facts.terminal}", body, align=_CENTER)
    column.space(1.5)
    column.text(f"Opened {_when(facts.opened_at)} by {facts.opened_by}", body)
    if facts.closed_at is not None:
        column.text(f"Closed {_when(facts.closed_at)} by {facts.closed_by or '?'}", body)
    else:
        column.text("Still open", bold)
    column.space(1.0)
    column.text(
        "Only what the back-ends confirmed counts as redeemed or undone; pending operations "
        "are listed apart.",
        print_font(7.5),
    )
    section = ""
    for kind, name, totals in report.slices():
        if kind != section:
            section = kind
            column.space(2.0)
            column.text(_SECTIONS.get(kind, kind), print_font(10.5, bold=True))
            column.rule()
        else:
            column.space(1.2)
        if kind != "shift":
            column.text(name, bold)
        for label, figure in totals_rows(totals, separator, all_rows=kind == "shift"):
            column.row(label, figure, body)
    column.space(3.0)
    column.rule(dashed=True)
    column.text("Counted by", body)
    column.space(6.0)
    column.rule(dashed=True)
    return column


def paint_shift_report(
    printer: QPagedPaintDevice, report: ShiftReport, paper: PaperWidth, *, separator: str = "."
) -> None:
    """Set the page (a roll: as tall as the report; A4: as many pages as needed) and paint."""
    column = shift_report_column(printer, report, paper, separator)
    set_page(printer, column.sheet, column.height_mm if column.sheet.is_roll else A4_HEIGHT_MM)
    column.paint(printer)


def shift_report_pdf(report: ShiftReport, path: Path, paper: PaperWidth = PaperWidth.A4) -> None:
    """Write the report as a PDF; raises OSError if the file cannot be written."""
    title = f"Shift {report.facts.shift_id} report"
    writer = pdf_writer(path, dpi=sheet_for(paper).pdf_dpi, title=title)
    paint_shift_report(writer, report, paper)
