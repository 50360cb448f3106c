"""The back office's Staff tab (Ctrl+5): who may sign in, a new PIN or role, and removal.

The rules live in :mod:`pos_app.services.staff_changes`; this tab only shows the roster and
says what the service answered. PIN fields are cleared after every attempt: they are secrets,
and retyping four digits loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeVar

from PySide6.QtCore import QModelIndex, QObject, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
)

from pos_app.services.staff_changes import StaffRefused, remove_person, roster, set_person
from pos_app.services.till import Till

__all__ = ["StaffTab"]

log = logging.getLogger(__name__)

W = TypeVar("W", bound=QObject)


class FindChild(Protocol):
    def __call__(self, kind: type[W], name: str) -> W: ...


#: Where the role column keeps whether the person is a manager (the text is for people).
MANAGER_ROLE = Qt.ItemDataRole.UserRole

Run = Callable[[Coroutine[Any, Any, Any]], "asyncio.Task[Any]"]
Tone = Callable[[QLabel, str, str], None]


class StaffTab:
    """Binds the Staff tab's widgets of the back office form to the staff service."""

    def __init__(self, child: FindChild, till: Till, run: Run, tone: Tone, *, manager: str) -> None:
        self.till = till
        self.manager = manager
        self._run = run
        self._tone = tone
        self.table: QTableWidget = child(QTableWidget, "staffTable")
        self.name_input: QLineEdit = child(QLineEdit, "staffNameInput")
        self.pin_input: QLineEdit = child(QLineEdit, "staffPinInput")
        self.pin_again_input: QLineEdit = child(QLineEdit, "staffPinAgainInput")
        self.manager_box: QCheckBox = child(QCheckBox, "staffManagerBox")
        self.save_button: QPushButton = child(QPushButton, "staffSaveButton")
        self.remove_button: QPushButton = child(QPushButton, "staffRemoveButton")
        self.label: QLabel = child(QLabel, "staffLabel")
        self.saving: asyncio.Task[Any] | None = None
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.itemSelectionChanged.connect(self._chosen)
        self.save_button.clicked.connect(self.save)
        self.remove_button.clicked.connect(self.remove)
        # Enter walks the form the way it is read, and saves from its last two fields.
        self.name_input.returnPressed.connect(self.pin_input.setFocus)
        self.pin_input.returnPressed.connect(self.pin_again_input.setFocus)
        self.pin_again_input.returnPressed.connect(self.save)
        keys = [
            (self.table, Qt.Key.Key_Delete, self.remove),
            (self.manager_box, Qt.Key.Key_Return, self.save),
            (self.manager_box, Qt.Key.Key_Enter, self.save),
        ]
        for widget, key, slot in keys:
            shortcut = QShortcut(QKeySequence(key), widget)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(slot)

    def refresh(self) -> None:
        """Show the roster as the journal has it now."""
        try:
            people = roster(self.till)
        except sqlite3.Error as exc:
            log.error("staff list could not be read: %s", exc)
            self._say(f"The staff list could not be read from the journal ({exc}).", "error")
            return
        self.table.blockSignals(True)
        self.table.setRowCount(len(people))
        for row, person in enumerate(people):
            self.table.setItem(row, 0, QTableWidgetItem(person.name))
            role = QTableWidgetItem(person.role)
            role.setData(MANAGER_ROLE, person.is_manager)
            self.table.setItem(row, 1, role)
        self.table.clearSelection()
        # No current row either: the first arrow key then chooses someone, rather than moving
        # a cursor the manager cannot see from an unselected first row.
        self.table.setCurrentIndex(QModelIndex())
        self.table.blockSignals(False)
        self.remove_button.setEnabled(False)

    def names(self) -> list[tuple[str, str]]:
        """What the table shows: (name, role) per row (tests, accessibility)."""
        return [(self._text(row, 0), self._text(row, 1)) for row in range(self.table.rowCount())]

    def selected(self) -> str | None:
        row = self._selected_row()
        return None if row is None else self._text(row, 0)

    def _selected_row(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def _text(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text() if item is not None else ""

    def save(self) -> None:
        """Alt+V, or Enter in "PIN again": add the person or give them a new PIN and role."""
        if self.saving is not None and not self.saving.done():
            return
        name, pin, again = (
            self.name_input.text(),
            self.pin_input.text(),
            self.pin_again_input.text(),
        )
        self.pin_input.clear()
        self.pin_again_input.clear()
        self.save_button.setEnabled(False)
        self._say("Saving…", "busy")
        self.saving = self._run(self._save(name, pin, again, self.manager_box.isChecked()))

    async def _save(self, name: str, pin: str, again: str, manager: bool) -> None:
        try:
            said = await set_person(self.till, name, pin, again, manager=manager, by=self.manager)
        except StaffRefused as exc:
            self._say(str(exc), "error")
            self.pin_input.setFocus()
            return
        finally:
            self.save_button.setEnabled(True)
        self.name_input.clear()
        self.manager_box.setChecked(False)
        self.refresh()
        self._say(said, "ok")
        self.table.setFocus()

    def remove(self) -> None:
        """Alt+R, or Del in the list: the chosen person can no longer sign in."""
        name = self.selected()
        if name is None:
            self._say("Choose who to remove in the list first (Alt+W, then the arrows).", "error")
            return
        try:
            said = remove_person(self.till, name, by=self.manager)
        except StaffRefused as exc:
            self._say(str(exc), "error")
            return
        self.refresh()
        self._say(said, "ok")

    def _chosen(self) -> None:
        row = self._selected_row()
        self.remove_button.setEnabled(row is not None)
        if row is None:
            return
        role = self.table.item(row, 1)
        self.name_input.setText(self._text(row, 0))
        self.manager_box.setChecked(role is not None and role.data(MANAGER_ROLE) is True)
        self.pin_input.clear()
        self.pin_again_input.clear()

    def _say(self, text: str, tone: str) -> None:
        self._tone(self.label, text, tone)
