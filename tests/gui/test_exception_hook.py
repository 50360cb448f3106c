"""An unexpected exception becomes a calm, non-blocking message and a log line, never a crash."""

from __future__ import annotations

import logging
import sys

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

from pos_app.gui import app as gui_app


def test_hook_logs_and_shows_a_non_modal_message(
    qapp: QApplication, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    gui_app.install_exception_hook()
    with caplog.at_level(logging.ERROR, logger="pos_app.gui.app"):
        try:
            raise ValueError("card 4000123456789012 exploded")
        except ValueError:
            sys.excepthook(*sys.exc_info())
    assert "unexpected error" in caplog.text
    boxes = [w for w in qapp.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    assert len(boxes) == 1
    assert "Your work is safe" in boxes[0].text()
    assert "Traceback" not in boxes[0].text()
    boxes[0].close()
