"""Load the Qt Designer forms shipped in ``ui/`` so layout stays editable in Designer."""

from __future__ import annotations

from PySide6 import QtWidgets
from PySide6.QtCore import QFile, QIODevice, Qt
from PySide6.QtUiTools import QUiLoader
from PySide6.QtWidgets import QLabel, QWidget

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


class _FormLoader(QUiLoader):
    """Builds the form's root widget from Python, so PySide sees Qt delete it.

    A root that QUiLoader makes itself under a parent stays referenced by the parent's Python
    wrapper after Qt deletes it (a dialog closed with WA_DeleteOnClose): every dialog opened
    left its dead wrappers behind, 5-8 kB each, for the life of the window (docs/reliability.md).
    """

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__()
        self._root_parent = parent
        self._root_made = False

    def createWidget(
        self, class_name: str, parent: QWidget | None = None, name: str = ""
    ) -> QWidget:
        if not self._root_made and parent is self._root_parent:
            self._root_made = True
            kind = getattr(QtWidgets, class_name, None)
            if isinstance(kind, type) and issubclass(kind, QWidget):
                root = kind(parent)
                root.setObjectName(name)
                return root
        return super().createWidget(class_name, parent, name)


def load_form(name: str, parent: QWidget | None = None) -> QWidget:
    path = ui_path(name)
    file = QFile(str(path))
    if not file.open(QIODevice.OpenModeFlag.ReadOnly):
        raise FormError(f"cannot open form {path}")
    try:
        widget = _FormLoader(parent).load(file, parent)
    finally:
        file.close()
    if widget is None:
        raise FormError(f"form {path} could not be loaded")
    # Labels show back-ends' words and scanned text: never read those as HTML (a refusal
    # saying "<h1>APPROVED</h1>" must not look approved). A form that wants HTML says RichText.
    for label in [widget, *widget.findChildren(QLabel)]:
        if isinstance(label, QLabel) and label.textFormat() == Qt.TextFormat.AutoText:
            label.setTextFormat(Qt.TextFormat.PlainText)
    return widget


def stylesheet() -> str:
    return resource_path("theme.qss").read_text(encoding="utf-8")
