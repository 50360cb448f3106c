"""Ask for a manager's PIN and wait for the answer, as a coroutine the caller can await.

The card actions call their ``approve`` callback in the middle of an operation (the offline
policy needs a manager); the pending view needs the same for a resolution. Both await
:func:`ask_manager`: the PIN dialog opens without a nested event loop, wrong PINs are answered
in the dialog with the till's words (tries left, lock-out) and can be typed again, and the
coroutine ends with the approving manager, or None when the dialog is cancelled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QWidget

from pos_app.gui.dialogs import ManagerPinDialog

if TYPE_CHECKING:
    from pos_app.services.till import Till

__all__ = ["Approval", "ManagerGate", "Verify", "ask_manager"]

Verify = Callable[[str], tuple[str | None, str]]
"""``Till.verify_manager``: the manager's name or None, and the message to show."""


@dataclass(frozen=True)
class Approval:
    manager: str
    note: str = ""


async def ask_manager(
    parent: QWidget | None,
    verify: Verify,
    *,
    title: str,
    reasons: Sequence[str],
    ask_note: bool = False,
    confirm_label: str = "Approve",
    opened: Callable[[ManagerPinDialog], None] | None = None,
) -> Approval | None:
    """Open the PIN dialog on ``parent`` and wait; ``opened`` sees the dialog (tests, focus)."""
    dialog = ManagerPinDialog(
        parent, title=title, reasons=reasons, ask_note=ask_note, confirm_label=confirm_label
    )
    answer: asyncio.Future[Approval | None] = asyncio.get_running_loop().create_future()

    def entered(pin: str, note: str) -> None:
        manager, message = verify(pin)
        if manager is None:
            dialog.wrong_pin(message)
            return
        if not answer.done():
            answer.set_result(Approval(manager, note))
        dialog.close()

    def finished(_result: int) -> None:
        if not answer.done():
            answer.set_result(None)

    dialog.pinEntered.connect(entered)
    dialog.dialog.finished.connect(finished)
    dialog.open()
    if opened is not None:
        opened(dialog)
    try:
        return await answer
    finally:
        dialog.close()  # cancelled (the window is closing): never leave it behind


class ManagerGate:
    """The way into a managers-only view (F10, F11): a signed-in manager goes straight in,
    anyone else gives a manager's PIN first, one PIN dialog at a time.

    ``dialog`` is the PIN dialog while it is up; ``asking`` is true from the question on.
    """

    def __init__(
        self,
        window: QWidget,
        till: Till,
        spawn: Callable[[Coroutine[Any, Any, Any]], object],
        *,
        what: str,
        reason: str,
        confirm_label: str,
    ) -> None:
        self.window = window
        self.till = till
        self.spawn = spawn
        self.what = what
        self.reason = reason
        self.confirm_label = confirm_label
        self.dialog: ManagerPinDialog | None = None
        self.asking = False

    def let_in(
        self, show: Callable[[str], object], refused: Callable[[], None], wanted: Callable[[], bool]
    ) -> None:
        """``show(manager)`` now or after a PIN; ``refused()`` if nobody approved, or if the
        view is no longer ``wanted()`` by the time a PIN was given (the app is closing)."""
        if self.till.cashier is not None and self.till.is_manager:
            show(self.till.cashier)
            return

        async def approve_then_show() -> None:
            manager = await self.ask(self.reason)
            if manager is None or not wanted():
                refused()
                return
            show(manager)

        self.spawn(approve_then_show())

    async def ask(self, reason: str) -> str | None:
        """The approving manager's name, or None when the dialog was cancelled."""
        reasons = [reason]
        if self.till.cashier is not None:
            reasons.append(f"{self.till.cashier} is signed in as a cashier.")

        def opened(dialog: ManagerPinDialog) -> None:
            self.dialog = dialog

        self.asking = True
        try:
            approval = await ask_manager(
                self.window,
                self.till.verify_manager,
                title=f"{self.what}: manager PIN",
                reasons=reasons,
                confirm_label=self.confirm_label,
                opened=opened,
            )
        finally:
            self.asking = False
            self.dialog = None
        return None if approval is None else approval.manager
