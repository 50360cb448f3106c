"""The cashier's dialogs: one Designer form in ``ui/`` and one small class per dialog.

Each is opened with ``open()`` (never ``exec()``: the app runs on qasync), emits one signal
when the cashier confirms, and then waits for the caller's ``finish_ok``/``finish_error``.
"""

from __future__ import annotations

from pos_app.gui.dialogs._base import FormDialog, Phase
from pos_app.gui.dialogs.confirm import ConfirmDialog
from pos_app.gui.dialogs.manager_pin import ManagerPinDialog
from pos_app.gui.dialogs.redeem import RedeemDialog
from pos_app.gui.dialogs.reward import RewardDialog
from pos_app.gui.dialogs.sign_in import SignInDialog
from pos_app.gui.dialogs.stamps import StampsDialog

__all__ = [
    "DIALOG_FORMS",
    "ConfirmDialog",
    "FormDialog",
    "ManagerPinDialog",
    "Phase",
    "RedeemDialog",
    "RewardDialog",
    "SignInDialog",
    "StampsDialog",
]

#: The forms these dialogs load; each belongs in ``pos_app.gui.forms.FORMS`` too.
DIALOG_FORMS = (
    "redeem_dialog.ui",
    "stamps_dialog.ui",
    "reward_dialog.ui",
    "confirm_dialog.ui",
    "manager_pin_dialog.ui",
)
