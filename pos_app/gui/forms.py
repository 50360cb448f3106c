"""Load the Qt Designer forms shipped in ``ui/`` so layout stays editable in Designer."""

from __future__ import annotations

from PySide6.QtCore import QFile, QIODevice
from PySide6.QtUiTools import QUiLoader
from PySide6.QtWidgets import QWidget

from pos_app.assets import resource_path, ui_path

FORMS = (
    "main_window.ui",
    "redeem_dialog.ui",
    "stamps_dialog.ui",
    "reward_dialog.ui",
    "confirm_dialog.ui",
    "manager_pin_dialog.ui",
    "pending_view.ui",
    "sign_in_dialog.ui",
    "shift_report_view.ui",
    "operation_view.ui",
    "print_preview.ui",
    "settings_dialog.ui",
    "welcome.ui",
    "back_office.ui",
    "about_dialog.ui",
)


class FormError(RuntimeError):
    """A Designer form could not be built; the installation is damaged."""


def load_form(name: str, parent: QWidget | None = None) -> QWidget:
    path = ui_path(name)
    file = QFile(str(path))
    if not file.open(QIODevice.OpenModeFlag.ReadOnly):
        raise FormError(f"cannot open form {path}")
    try:
        widget = QUiLoader().load(file, parent)
    finally:
        file.close()
    if widget is None:
        raise FormError(f"form {path} could not be loaded")
    return widget


def stylesheet() -> str:
    return resource_path("theme.qss").read_text(encoding="utf-8")
