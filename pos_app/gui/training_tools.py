"""Training mode only: switch the emulated back-ends off and on to practise offline work.

A trainee should meet PENDING, the manager PIN and the pending list before the shop's network
first fails for real. The switch sets the in-process emulators' outage fault (the same one the
tests use over HTTP), so the till sees exactly what a real outage looks like; the connectivity
monitor is asked to look again at once so the header follows without waiting for its back-off.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QPushButton

from pos_app.gui.main_window import MainWindow
from pos_app.journal.connectivity import ConnectivityMonitor
from pos_app.sandbox.faults import FaultSettings
from pos_app.training import TrainingWorld

__all__ = ["PRACTISE_KEY", "PractiseOffline"]

PRACTISE_KEY = "Ctrl+Shift+O"
_OFF_TEXT = f"Practise offline ({PRACTISE_KEY})"
_ON_TEXT = f"Back online ({PRACTISE_KEY})"


class PractiseOffline(QObject):
    """A status-bar switch (and its shortcut) for the training emulators' outage."""

    def __init__(
        self, view: MainWindow, world: TrainingWorld, monitor: ConnectivityMonitor
    ) -> None:
        super().__init__(view.window)
        self.view = view
        self.world = world
        self.monitor = monitor
        button = QPushButton(_OFF_TEXT)
        button.setObjectName("practiseOfflineButton")
        button.setCheckable(True)
        button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        button.setAccessibleName("Practise offline")
        button.setToolTip("Training only: make the emulated back-ends unreachable, and back")
        button.toggled.connect(self._set)
        view.window.statusBar().addPermanentWidget(button)
        shortcut = QShortcut(QKeySequence(PRACTISE_KEY), view.window)
        shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        shortcut.activated.connect(button.toggle)
        self.button = button

    @property
    def offline(self) -> bool:
        return self.button.isChecked()

    def _set(self, offline: bool) -> None:
        self.world.sandbox.faults.set(FaultSettings(api="all", outage=offline))
        self.button.setText(_ON_TEXT if offline else _OFF_TEXT)
        if offline:
            self.view.show_message(
                "Training: the emulated back-ends are now unreachable. Try a redemption or a "
                "stamp to see PENDING; F9 lists what waits to sync.",
                "warn",
            )
        else:
            self.view.show_message(
                "Training: the emulated back-ends are back; pending work syncs now.", "info"
            )
        self.monitor.probe_soon()
