"""F11 opens the back office; only a manager gets in.

A manager signed in goes straight in; anyone else is asked for a manager's PIN (the till
audits it and applies its lock-out). Like the shift report, the back office never opens over
another window: a cashier's dialog may be half-way through an operation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication

from pos_app.gui.back_office import BackOfficeView
from pos_app.gui.counter_screen import CounterScreen
from pos_app.gui.dialogs import ManagerPinDialog
from pos_app.gui.main_window import MainWindow
from pos_app.gui.manager_approval import ManagerGate
from pos_app.services.till import Till

log = logging.getLogger(__name__)

__all__ = ["BACK_OFFICE_KEY", "BackOfficeDesk"]

BACK_OFFICE_KEY = "F11"


class BackOfficeDesk(QObject):
    """One per window, created after the shift desk; lives as long as the window."""

    def __init__(
        self,
        view: MainWindow,
        till: Till,
        screen: CounterScreen,
        on_settings: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(view.window)
        self.view = view
        self.till = till
        self.screen = screen
        self.on_settings = on_settings
        self.office: BackOfficeView | None = None
        self.gate = ManagerGate(
            view.window,
            till,
            screen.spawn,
            what="Back office",
            reason="The back office is for managers: reports and customers' personal data.",
            confirm_label="Open back office",
        )
        self._closing = False
        shortcut = QShortcut(QKeySequence(BACK_OFFICE_KEY), view.window)
        shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        shortcut.activated.connect(self.open_back_office)

    def open_back_office(self) -> None:
        """F11: straight in for a signed-in manager, else a manager's PIN first."""
        if self._busy():
            self.view.show_message(
                "Finish or close the open window first (Esc), then press F11.", "warn"
            )
            return
        self.gate.let_in(self.show, self._back_to_counter, lambda: not self._closing)

    @property
    def pin_dialog(self) -> ManagerPinDialog | None:
        return self.gate.dialog

    def show(self, manager: str) -> BackOfficeView:
        office = BackOfficeView(
            self.view.window,
            self.till,
            self.screen.spawn,
            manager=manager,
            on_settings=self.on_settings,
            separator=self.till.config.terminal.decimal_separator,
        )
        office.dialog.finished.connect(lambda _result: self._back_to_counter())
        self.office = office
        office.open()
        return office

    def _busy(self) -> bool:
        """Something is on top of the counter (an operation may be half-way through)."""
        return (
            self.gate.asking
            or QApplication.activeModalWidget() is not None
            or self.screen._dialog_open()
            or (self.office is not None and self.office.is_open)
        )

    def _back_to_counter(self) -> None:
        if self._closing:
            return
        self.view.window.activateWindow()
        self.view.lookup_input.setFocus()

    def close(self) -> None:
        """The app is ending: close the back office (its fetches stop) and any PIN dialog."""
        self._closing = True
        for view in (self.office, self.pin_dialog):
            if view is not None and view.is_open:
                view.close()
