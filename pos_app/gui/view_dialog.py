"""What the cashier's view windows share: a Designer form, the ``open()`` lifecycle, a save dialog.

The pending list, the shift report and the print preview are each a QDialog wrapped by a
QObject that is its child, so the wrapper lives exactly as long as the dialog, which deletes
itself on close. They open with ``open()``, never ``exec()``: the app runs on qasync.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDialog, QFileDialog, QWidget

from pos_app.gui.forms import FormError, load_form

__all__ = ["ViewDialog"]

W = TypeVar("W", bound=QObject)


class ViewDialog(QObject):
    """Owns one QDialog built from ``ui/<form>``; subclasses add the widgets and actions."""

    def __init__(self, form: str, parent: QWidget | None) -> None:
        dialog = load_form(form, parent)
        if not isinstance(dialog, QDialog):
            raise FormError(f"form {form} must have a QDialog at its root")
        super().__init__(dialog)
        self._dialog = dialog
        self._form = form
        self._closed = False
        self.file_dialog: QFileDialog | None = None
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(self._on_finished)

    # --- what callers use -------------------------------------------------------------------

    @property
    def dialog(self) -> QDialog:
        return self._dialog

    @property
    def is_open(self) -> bool:
        """False once the dialog has closed (it is then deleted: stop talking to it)."""
        return not self._closed

    def open(self) -> None:
        """Show window-modal without a nested event loop (the app runs on qasync)."""
        self._before_open()
        self._dialog.open()
        self._initial_focus().setFocus(Qt.FocusReason.OtherFocusReason)

    def close(self) -> None:
        if not self._closed:
            self._dialog.reject()

    def ask_save_path(
        self,
        title: str,
        name_filter: str,
        suffix: str,
        directory: str,
        file_name: str,
        on_chosen: Callable[[str], object],
    ) -> QFileDialog:
        """Ask where to save in a non-native, window-modal dialog, kept in ``file_dialog``.

        Qt's "replace it?" question runs a nested exec loop, which would re-enter the running
        asyncio tasks of the qasync loop: it is off, and an existing file is replaced.
        """
        chooser = QFileDialog(self._dialog, title)
        chooser.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        chooser.setOption(QFileDialog.Option.DontUseNativeDialog)
        chooser.setOption(QFileDialog.Option.DontConfirmOverwrite)
        chooser.setNameFilter(name_filter)
        chooser.setDefaultSuffix(suffix)
        chooser.setDirectory(directory)
        chooser.selectFile(file_name)
        chooser.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        chooser.fileSelected.connect(on_chosen)
        chooser.finished.connect(self._forget_file_dialog)
        self.file_dialog = chooser
        chooser.open()
        return chooser

    # --- for subclasses ---------------------------------------------------------------------

    def _child(self, kind: type[W], name: str) -> W:
        widget = self._dialog.findChild(kind, name)
        if widget is None:
            raise FormError(f"{self._form} has no {kind.__name__} named {name}")
        return widget

    def _initial_focus(self) -> QWidget:
        """Where the keyboard goes on opening and after the save dialog closes."""
        return self._dialog

    def _before_open(self) -> None:
        """Fill in or start what the window needs just before it shows (nothing by default)."""

    def _on_finished(self, _result: int) -> None:
        """The dialog closed; subclasses stop their timers here and call ``super()`` first."""
        self._closed = True

    def _forget_file_dialog(self, _result: int) -> None:
        self.file_dialog = None
        if not self._closed:
            self._initial_focus().setFocus(Qt.FocusReason.OtherFocusReason)
