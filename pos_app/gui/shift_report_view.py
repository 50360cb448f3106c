"""The end-of-shift report (F10, managers only): what this till did in a shift, totalled.

The figures come from ``services.shift_reports`` (the journal), so the screen, the printout
and the CSV say the same thing. One row for the whole shift, one per back-end, one per
cashier; what is still owed to a back-end or needs a manager is counted apart, since it is not
money that moved yet. A manager may close the open shift from here: the next sign-in opens the
next one.

Keyboard: ↑/↓ rows, Alt+H picks a past shift, Ctrl+P prints, Ctrl+E exports, Alt+F closes the
shift, F5 reloads, Esc closes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDir, Qt, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QWidget,
)

from pos_app.domain.shift_report import NO_CASHIER, ShiftFacts, ShiftReport, Totals, money_text
from pos_app.gui.dialogs import ConfirmDialog
from pos_app.gui.view_dialog import ViewDialog
from pos_app.services.shift_reports import report_for, write_csv
from pos_app.services.till import Till

log = logging.getLogger(__name__)

__all__ = ["COLUMNS", "ShiftReportView", "facts_text", "shift_choice_text"]

#: Column titles; a line break keeps the long ones narrow enough for a 1280-pixel screen.
COLUMNS = (
    "Totals for",
    "Redemp-\ntions",
    "Redeemed",
    "Undos",
    "Undone",
    "Net",
    "Stamps\nadded",
    "Rewards",
    "Pending",
    "Needs\nattention",
)


def _clock(moment: datetime) -> str:
    return f"{moment.astimezone():%d/%m/%Y %H:%M}"


def facts_text(facts: ShiftFacts) -> str:
    """``Shift 3 on till-1 · opened 22/11/2025 09:12 by Ana · OPEN`` (or when and who closed it)."""
    text = f"Shift {facts.shift_id} on {facts.terminal} · opened {_clock(facts.opened_at)} by "
    text += facts.opened_by
    if facts.closed_at is None:
        return text + " · OPEN"
    return text + f" · closed {_clock(facts.closed_at)} by {facts.closed_by or '?'}"


def shift_choice_text(facts: ShiftFacts) -> str:
    """One line of the shift picker."""
    opened = facts.opened_at.astimezone()
    if facts.closed_at is None:
        return f"Shift {facts.shift_id} — open since {opened:%d/%m %H:%M}"
    return f"Shift {facts.shift_id} — {opened:%d/%m %H:%M} to {facts.closed_at.astimezone():%H:%M}"


def _row_label(section: str, name: str) -> str:
    if section == "shift":
        return "Whole shift"
    if section == "cashier":
        return "Without sign-in" if name == NO_CASHIER else f"By {name}"
    return name


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def notes_text(report: ShiftReport, separator: str) -> str:
    """What the figures leave out, in words: still owed, needing a manager, refused, resolved."""
    total = report.total
    if total.operations == 0:
        return "No operations in this shift yet."
    parts = []
    if total.pending:
        owed = money_text(total.pending_amount, separator) if total.pending_amount else ""
        parts.append(
            f"{_plural(total.pending, 'operation', 'operations')} PENDING"
            + (f" ({owed} of redemptions)" if owed else "")
            + ": not in the figures until the back-end confirms"
        )
    if total.needs_attention:
        verb = "needs" if total.needs_attention == 1 else "need"
        parts.append(f"{total.needs_attention} {verb} attention (F9)")
    if total.resolved:
        parts.append(f"{total.resolved} resolved by a manager")
    if total.not_done:
        parts.append(f"{total.not_done} refused or cancelled (nothing moved)")
    if not parts:
        return "Every operation in this shift was confirmed by its back-end."
    return " · ".join(parts) + "."


def _cells(label: str, totals: Totals, separator: str) -> list[str]:
    return [
        label,
        str(totals.redemptions),
        money_text(totals.redeemed, separator),
        str(totals.undos),
        money_text(totals.undone, separator),
        money_text(totals.net(), separator),
        str(totals.stamps),
        str(totals.rewards),
        str(totals.pending),
        str(totals.needs_attention),
    ]


class ShiftReportView(ViewDialog):
    """Owns the dialog built from ``ui/shift_report_view.ui``; opened with ``open()``.

    ``manager`` is who opened it (signed in as a manager, or who typed the PIN): closing the
    shift and printing are recorded under that name.
    """

    shiftClosed = Signal(object)  # ShiftFacts of the shift just closed

    def __init__(self, parent: QWidget, till: Till, *, manager: str, separator: str = ".") -> None:
        super().__init__("shift_report_view.ui", parent)
        dialog = self._dialog
        self.till = till
        self.manager = manager
        self.separator = separator
        self.report: ShiftReport | None = None
        self.confirm_dialog: ConfirmDialog | None = None
        self.print_preview: Any = None
        self.model = QStandardItemModel(0, len(COLUMNS), self)
        self.model.setHorizontalHeaderLabels(list(COLUMNS))
        self.table: QTableView = self._child(QTableView, "reportTable")
        self.table.setModel(self.model)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.shift_picker: QComboBox = self._child(QComboBox, "shiftPicker")
        self.facts_label: QLabel = self._child(QLabel, "factsLabel")
        self.notes_label: QLabel = self._child(QLabel, "notesLabel")
        self.status_label: QLabel = self._child(QLabel, "statusLabel")
        self.print_button: QPushButton = self._child(QPushButton, "printButton")
        self.export_button: QPushButton = self._child(QPushButton, "exportButton")
        self.close_shift_button: QPushButton = self._child(QPushButton, "closeShiftButton")
        self.close_button: QPushButton = self._child(QPushButton, "closeButton")
        self._size_columns()
        self.print_button.clicked.connect(self.print_report)
        self.export_button.clicked.connect(self.export)
        self.close_shift_button.clicked.connect(self.ask_close_shift)
        self.close_button.clicked.connect(dialog.reject)
        self.shift_picker.activated.connect(lambda _index: self.reload())
        for key, slot in (
            ("Ctrl+P", self.print_report),
            ("Ctrl+E", self.export),
            ("F5", self.refresh),
        ):
            shortcut = QShortcut(QKeySequence(key), dialog)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(slot)

    # --- what callers use -----------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read the list of shifts and the shown shift's figures (F5)."""
        shown = self.shown_shift()
        shifts = self.till.shifts.recent()
        picker = self.shift_picker
        picker.clear()
        for facts in shifts:
            picker.addItem(shift_choice_text(facts), facts.shift_id)
        picker.setEnabled(bool(shifts))
        index = picker.findData(shown) if shown is not None else -1
        picker.setCurrentIndex(index if index >= 0 else (0 if shifts else -1))
        self.reload()

    def shown_shift(self) -> int | None:
        data = self.shift_picker.currentData()
        return data if isinstance(data, int) else None

    def show_shift(self, shift_id: int) -> bool:
        """Pick a shift as the manager would in the picker; False if it is not listed."""
        index = self.shift_picker.findData(shift_id)
        if index < 0:
            return False
        self.shift_picker.setCurrentIndex(index)
        self.reload()
        return True

    def reload(self) -> None:
        """The picked shift's figures from the journal."""
        shift_id = self.shown_shift()
        report = None if shift_id is None else report_for(self.till, shift_id)
        self.report = report
        self.model.removeRows(0, self.model.rowCount())
        if report is None:
            self.facts_label.setText(
                "No shift yet on this till: the first sign-in opens one."
                if shift_id is None
                else f"Shift {shift_id} is not in this till's journal."
            )
            self._tone(self.facts_label, "")
            self.notes_label.setText("")
            self._enable(False, False)
            return
        self.facts_label.setText(facts_text(report.facts))
        self._tone(self.facts_label, "open" if report.facts.is_open else "")
        for section, name, totals in report.slices():
            self._add_row(_cells(_row_label(section, name), totals, self.separator), section)
        self.notes_label.setText(notes_text(report, self.separator))
        current = self.till.shifts.current()
        open_now = current is not None and current.shift_id == report.facts.shift_id
        self._enable(True, open_now)
        self.table.selectRow(0)

    def rows(self) -> list[list[str]]:
        """What the table shows, cell by cell (tests, accessibility checks)."""
        model = self.model
        return [
            [str(model.index(row, column).data()) for column in range(model.columnCount())]
            for row in range(model.rowCount())
        ]

    # --- print and export -----------------------------------------------------------------

    def print_report(self) -> None:
        """Ctrl+P: the print preview of this report, A4 unless the manager picks other paper."""
        report = self.report
        if report is None or self._closed:
            return
        from pos_app.domain.receipts import PaperWidth
        from pos_app.gui.print_preview import PrintPreview
        from pos_app.printing.shift_report_print import paint_shift_report

        separator = self.separator
        till, manager = self.till, self.manager
        shift_id = report.facts.shift_id

        def paint(printer: Any, paper: Any) -> None:
            paint_shift_report(printer, report, paper, separator=separator)

        def printed(how: str) -> None:
            till.audit.record(
                "shift_report_printed", {"shift": shift_id, "how": how}, cashier=manager
            )
            self._say(f"Shift {shift_id} report printed ({how}).", "ok")

        preview = PrintPreview(
            self._dialog,
            title=f"Shift {shift_id} report",
            paint=paint,
            paper=PaperWidth.A4,
            pdf_name=f"tillcard-shift-{shift_id}.pdf",
            on_printed=printed,
        )
        self.print_preview = preview
        preview.open()

    def export(self) -> None:
        """Ctrl+E: ask where (a non-native dialog, never a nested exec loop), then write."""
        report = self.report
        if report is None or self._closed:
            return
        facts = report.facts
        self.ask_save_path(
            f"Export shift {facts.shift_id}",
            "CSV files (*.csv)",
            "csv",
            QDir.homePath(),
            f"tillcard-{facts.terminal}-shift-{facts.shift_id}.csv",
            lambda name: self.export_csv(Path(name)),
        )

    def export_csv(self, path: Path) -> bool:
        """Write the shown report to ``path``; say where, or why not."""
        report = self.report
        if report is None:
            return False
        try:
            write_csv(report, path)
        except OSError as exc:
            log.warning("shift report export to %s failed: %s", path, exc)
            self._say(f"Could not save {path.name}: {exc.strerror or exc}.", "error")
            return False
        self.till.audit.record(
            "shift_report_exported", {"shift": report.facts.shift_id}, cashier=self.manager
        )
        self._say(f"Saved shift {report.facts.shift_id} to {path}.", "ok")
        return True

    # --- closing the shift ----------------------------------------------------------------

    def ask_close_shift(self) -> None:
        """Alt+F: a red confirmation first (Enter cancels), since it signs everyone out."""
        report = self.report
        if report is None or not self.close_shift_button.isEnabled() or self._closed:
            return
        shift_id = report.facts.shift_id
        confirm = ConfirmDialog(
            self._dialog,
            title=f"Close shift {shift_id}",
            text=(
                f"Close shift {shift_id} now, as {self.manager}?\n"
                "Print or export its report first if you need it on paper. "
                "The till signs out; the next sign-in opens a new shift."
            ),
            confirm_label="Close the shift",
            danger=True,
        )
        confirm.confirmed.connect(self.close_shift)
        self.confirm_dialog = confirm
        confirm.open()

    def close_shift(self) -> None:
        """Close the shown shift in the journal, then hand over to sign-in (``shiftClosed``)."""
        if self.confirm_dialog is not None:
            self.confirm_dialog.close()
        closed = self.till.close_shift(self.manager)
        if closed is None:
            self._say("This shift was already closed (by another till window?).", "error")
            self.refresh()
            return
        self.close()
        self.shiftClosed.emit(closed)

    # --- internals ----------------------------------------------------------------------------

    def _initial_focus(self) -> QWidget:
        return self.table

    def _before_open(self) -> None:
        """Show the open shift (or the newest one), fresh from the journal."""
        self.refresh()

    def _size_columns(self) -> None:
        """Figures fit their column (a shift has a dozen rows: measuring them is free); the
        name column takes what is left."""
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
        header.setMinimumSectionSize(70)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)

    def _add_row(self, cells: Sequence[str], section: str) -> None:
        items = []
        for column, text in enumerate(cells):
            item = QStandardItem(text)
            item.setEditable(False)
            if column:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if section == "shift":
                font = QFont(item.font())
                font.setBold(True)
                item.setFont(font)
            items.append(item)
        self.model.appendRow(items)

    def _enable(self, has_report: bool, shift_open: bool) -> None:
        self.print_button.setEnabled(has_report)
        self.export_button.setEnabled(has_report)
        self.close_shift_button.setEnabled(has_report and shift_open)

    def _say(self, text: str, tone: str) -> None:
        self.status_label.setText(text)
        self._tone(self.status_label, tone)

    @staticmethod
    def _tone(label: QLabel, tone: str) -> None:
        label.setProperty("tone", tone)
        label.style().unpolish(label)
        label.style().polish(label)

    def _on_finished(self, result: int) -> None:
        super()._on_finished(result)
        for other in (self.confirm_dialog, self.print_preview):
            if other is not None and other.is_open:
                other.close()
