"""Ask for a manager's PIN and wait for the answer, as a coroutine the caller can await.

The card actions call their ``approve`` callback in the middle of an operation (the offline
policy needs a manager); the pending view needs the same for a resolution. Both await
:func:`ask_manager`: the PIN dialog opens without a nested event loop, wrong PINs are answered
in the dialog with the till's words (tries left, lock-out) and can be typed again, and the
coroutine ends with the approving manager, or None when the dialog is cancelled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtWidgets import QWidget

from pos_app.gui.dialogs import ManagerPinDialog

__all__ = ["Approval", "Verify", "ask_manager"]

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
