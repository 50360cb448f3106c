"""The pending / needs-attention list as a Qt model, and its CSV export.

Model beside view (Vorta's pattern): the model holds the journal rows and says how each cell
reads; ``pending_view.py`` owns the dialog and the buttons. Rows are whole ``Entry`` snapshots
re-read from the journal on every change, so the table never shows a state the journal no
longer has; the selection is kept by reference across reloads.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from pos_app.gui.queue_text import STATE_WORDS, age_text, change_text, short_ref
from pos_app.journal.pending_operations import Entry, EntryState, utc_now

__all__ = ["COLUMNS", "CSV_FIELDS", "PendingModel", "write_csv"]

COLUMNS: Final = ("Age", "Card", "Amount", "State", "Reason")
AGE, CARD, AMOUNT, STATE, REASON = range(len(COLUMNS))
KEY_ROLE: Final = Qt.ItemDataRole.UserRole

CSV_FIELDS: Final = (
    "reference",
    "created",
    "state",
    "provider",
    "kind",
    "card",
    "amount",
    "currency",
    "units",
    "reason",
    "note",
)

#: Row tints; the State column's words carry the same meaning for anyone who cannot see them.
_TINT = {
    EntryState.NEEDS_ATTENTION: QColor("#ffebe9"),
    EntryState.HELD: QColor("#fff8c5"),
}

Index = QModelIndex | QPersistentModelIndex


class PendingModel(QAbstractTableModel):
    def __init__(self, separator: str = ".", parent: Any = None) -> None:
        super().__init__(parent)
        self._entries: list[Entry] = []
        self._now: datetime = utc_now()
        self._separator = separator

    # --- data ---------------------------------------------------------------------------------

    def reload(self, entries: Sequence[Entry]) -> None:
        """Replace every row (the list is short: what is owed, not the whole history)."""
        self.beginResetModel()
        self._entries = list(entries)
        self._now = utc_now()
        self.endResetModel()

    def tick(self) -> None:
        """Ages move on even when nothing else changes."""
        self._now = utc_now()
        if self._entries:
            self.dataChanged.emit(self.index(0, AGE), self.index(len(self._entries) - 1, AGE))

    @property
    def entries(self) -> list[Entry]:
        return list(self._entries)

    def entry(self, row: int) -> Entry | None:
        return self._entries[row] if 0 <= row < len(self._entries) else None

    def row_of(self, key: str) -> int | None:
        return next((row for row, e in enumerate(self._entries) if e.key == key), None)

    # --- Qt -----------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        entry = self.entry(index.row()) if index.isValid() else None
        if entry is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(entry, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._details(entry)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (AGE, AMOUNT):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.BackgroundRole and entry.state in _TINT:
            return QBrush(_TINT[entry.state])
        if role == KEY_ROLE:
            return entry.key
        return None

    def _text(self, entry: Entry, column: int) -> str:
        if column == AGE:
            return age_text(self._now - entry.created_at)
        if column == CARD:
            return f"{entry.provider.label} {entry.masked}"
        if column == AMOUNT:
            return change_text(entry, self._separator)
        if column == STATE:
            return STATE_WORDS.get(entry.state, entry.state.value.upper())
        if column == REASON:
            return reason_text(entry).replace("\n", " ")
        return ""

    def _details(self, entry: Entry) -> str:
        return details_text(entry)


def reason_text(entry: Entry) -> str:
    """The back-end's reason, or why an entry that was never tried is still waiting."""
    if entry.reason:
        return entry.reason
    if entry.state is EntryState.HELD:
        return "Waiting for a manager's PIN"
    if entry.offline:
        return "Made offline; sent when the connection returns"
    return "Waiting to be sent"


def details_text(entry: Entry) -> str:
    """Everything about one row, for the line under the table and the tooltip."""
    lines = [
        f"{entry.description} — {entry.provider.label} {entry.masked}",
        f"Reference {short_ref(entry.key)} · made {entry.created_at.astimezone():%d/%m %H:%M}"
        f" · {entry.attempts} attempt{'s' if entry.attempts != 1 else ''}"
        + (" · made offline" if entry.offline else ""),
    ]
    lines.append(reason_text(entry))
    if entry.note:
        lines.append(f"Note: {entry.note}")
    return "\n".join(lines)


def write_csv(path: Path, entries: Sequence[Entry]) -> int:
    """Write the rows for a manager or the back office; returns how many were written.

    Card numbers stay masked (the journal never keeps them whole); amounts are plain decimals
    with their currency so a spreadsheet can add them up.
    """
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(CSV_FIELDS)
        for entry in entries:
            writer.writerow(
                [
                    entry.key,
                    entry.created_at.isoformat(timespec="seconds"),
                    entry.state.value,
                    entry.provider.value,
                    entry.kind.value,
                    entry.masked,
                    "" if entry.amount is None else entry.amount.to_api(),
                    "" if entry.amount is None else entry.amount.currency,
                    "" if entry.units is None else entry.units,
                    entry.reason or "",
                    entry.note or "",
                ]
            )
    return len(entries)
