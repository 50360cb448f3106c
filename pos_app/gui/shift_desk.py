"""Who is at the till: sign-in at start (F12 to switch cashier) and the shift report (F10).

Once anyone is set up on a till, nobody uses it without signing in: the sign-in dialog stays
on top until a name and PIN match (Esc does nothing; closing it closes Tillcard), and the
counter screen refuses scans and actions meanwhile (``sign_in_required``). The first sign-in
of a shift opens it; a manager closes it from the report. The till decides every rule (PINs,
lock-out, roles, shifts); this class only sequences the windows.

Training mode signs in as the training cashier by itself, so ``pos-app --training`` still
opens straight on the lookup field, ready to scan.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication

from pos_app.domain.shift_report import ShiftFacts
from pos_app.gui.counter_screen import CounterScreen
from pos_app.gui.dialogs import ManagerPinDialog, SignInDialog
from pos_app.gui.main_window import MainWindow
from pos_app.gui.manager_approval import ManagerGate
from pos_app.gui.shift_report_view import ShiftReportView
from pos_app.services.till import (
    TRAINING_CASHIER,
    TRAINING_CASHIER_PIN,
    TRAINING_MANAGER,
    TRAINING_MANAGER_PIN,
    SignIn,
    Till,
)

log = logging.getLogger(__name__)

__all__ = ["REPORT_KEY", "SWITCH_KEY", "ShiftDesk"]

SWITCH_KEY = "F12"
REPORT_KEY = "F10"
TRAINING_HINT = (
    f"F12 switches cashier — {TRAINING_CASHIER} {TRAINING_CASHIER_PIN}, "
    f"{TRAINING_MANAGER} {TRAINING_MANAGER_PIN}."
)


def _role(is_manager: bool) -> str:
    return "manager" if is_manager else "cashier"


class ShiftDesk(QObject):
    """One per window, created after the counter screen; lives as long as the window."""

    signedIn = Signal(object)  # SignIn
    signedOut = Signal(str)  # who signed out

    def __init__(
        self, view: MainWindow, till: Till, screen: CounterScreen, *, training: bool
    ) -> None:
        super().__init__(view.window)
        self.view = view
        self.till = till
        self.screen = screen
        self.training = training
        self.sign_in_dialog: SignInDialog | None = None
        self.report_view: ShiftReportView | None = None
        self.gate = ManagerGate(
            view.window,
            till,
            screen.spawn,
            what="Shift report",
            reason="The shift report is for managers.",
            confirm_label="Open report",
        )
        self._closing = False
        for key, slot in ((SWITCH_KEY, self.switch_cashier), (REPORT_KEY, self.open_report)):
            shortcut = QShortcut(QKeySequence(key), view.window)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(slot)
        self._start()

    # -- signing in and out ------------------------------------------------------------------

    def _start(self) -> None:
        required = self.till.needs_sign_in
        self.screen.sign_in_required = required
        if not required:
            self.view.show_cashier(None)
            return
        if self.training:
            result = self.till.sign_in(TRAINING_CASHIER, TRAINING_CASHIER_PIN)
            if result.ok:
                self._welcome(result, training=True)
                return
            self.ask_sign_in(result.message, "error")
            return
        self.ask_sign_in()

    def ask_sign_in(self, message: str = "", tone: str = "") -> SignInDialog:
        """Lock the till behind the sign-in dialog (``message`` says why, if there is news)."""
        dialog = self.sign_in_dialog
        if dialog is not None and dialog.is_open:
            return dialog
        self.view.show_cashier(None)
        self.view.show_message("Till locked: sign in to continue.", "warn")
        names = [person.name for person in self.till.staff.people()]
        dialog = SignInDialog(
            self.view.window,
            names=names,
            title=f"Sign in to {self.till.terminal}",
            shift_text=self._shift_text(),
        )
        dialog.signInEntered.connect(self._check)
        dialog.dialog.finished.connect(self._sign_in_finished)
        self.sign_in_dialog = dialog
        dialog.open()
        if message:
            dialog.say(message, tone)
        return dialog

    def _shift_text(self) -> str:
        current = self.till.shifts.current()
        if current is None:
            return "No shift is open: signing in opens a new one."
        return (
            f"Shift {current.shift_id} open since "
            f"{current.opened_at.astimezone():%d/%m %H:%M} ({current.opened_by})."
        )

    def _check(self, name: str, pin: str) -> None:
        dialog = self.sign_in_dialog
        result = self.till.sign_in(name, pin)
        if not result.ok:
            if dialog is not None:
                dialog.wrong_pin(result.message)
            return
        if dialog is not None:
            dialog.close()
        self._welcome(result, training=False)

    def _welcome(self, result: SignIn, *, training: bool) -> None:
        self.view.show_cashier(result.name, _role(result.is_manager))
        text = result.message
        if training:
            # The app's own training sentence stays above: this one says who the trainee is.
            text = f"Training: {text[:1].lower()}{text[1:]} {TRAINING_HINT}"
            before = self.view.message.text()
            text = f"{before}\n{text}" if before else text
        self.view.show_message(text, "ok")
        self.view.window.activateWindow()
        self.view.lookup_input.setFocus()
        self.signedIn.emit(result)

    def _sign_in_finished(self, _result: int) -> None:
        """The dialog closed without a sign-in (its window's close, "Close Tillcard"): quit."""
        if self._closing or self.till.cashier is not None:
            return
        self.view.window.close()

    def switch_cashier(self) -> None:
        """F12: sign out and lock the till behind the sign-in dialog for the next person."""
        if self.sign_in_dialog is not None and self.sign_in_dialog.is_open:
            return
        if not self.till.needs_sign_in:
            self.view.show_message(
                "Nobody signs in on this till yet: add staff with pos-app staff add NAME.", "info"
            )
            return
        if self._busy():
            self.view.show_message(
                "Finish or close the open window first (Esc), then press F12.", "warn"
            )
            return
        name = self.till.cashier or ""
        self.till.sign_out()
        self.screen.sign_in_required = True
        self.screen.clear_for_next_customer()
        self.signedOut.emit(name)
        self.ask_sign_in(f"{name} signed out." if name else "", "ok")

    # -- the shift report --------------------------------------------------------------------

    def open_report(self) -> None:
        """F10: the shift report; a cashier needs a manager's PIN first (audited)."""
        if self._busy() or self.gate.asking:
            self.view.show_message(
                "Finish or close the open window first (Esc), then press F10.", "warn"
            )
            return
        self.gate.let_in(self.show_report, self._back_to_counter, lambda: not self._closing)

    @property
    def pin_dialog(self) -> ManagerPinDialog | None:
        return self.gate.dialog

    def show_report(self, manager: str) -> ShiftReportView:
        separator = self.till.config.terminal.decimal_separator
        report = ShiftReportView(self.view.window, self.till, manager=manager, separator=separator)
        report.shiftClosed.connect(self._after_close)
        report.dialog.finished.connect(lambda _result: self._back_to_counter())
        self.report_view = report
        report.open()
        return report

    def _after_close(self, closed: ShiftFacts) -> None:
        """The shift is over: sign out, and the next sign-in opens a new one."""
        self.till.sign_out()
        self.screen.sign_in_required = self.till.needs_sign_in
        self.screen.clear_for_next_customer()
        text = (
            f"Shift {closed.shift_id} closed by {closed.closed_by}. "
            "The next sign-in opens a new shift."
        )
        if self.till.needs_sign_in:
            self.ask_sign_in(text, "ok")
        else:
            self.view.show_cashier(None)
            self.view.show_message(text, "ok")

    # -- helpers -----------------------------------------------------------------------------

    def _busy(self) -> bool:
        """A dialog or view is on top of the counter (an operation may be under way)."""
        return QApplication.activeModalWidget() is not None or any(
            view is not None and view.is_open
            for view in (self.sign_in_dialog, self.report_view, self.pin_dialog)
        )

    def _back_to_counter(self) -> None:
        if self._closing or (self.sign_in_dialog is not None and self.sign_in_dialog.is_open):
            return
        self.view.window.activateWindow()
        self.view.lookup_input.setFocus()

    def close(self) -> None:
        """The app is ending: close what is open and leave the audit trail a sign-out."""
        self._closing = True
        for view in (self.sign_in_dialog, self.report_view, self.pin_dialog):
            if view is not None and view.is_open:
                view.close()
        if self.till.cashier is not None:
            self.till.sign_out()
