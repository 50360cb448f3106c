"""F1 answers support's first questions: which version, which till, where the files are."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from pos_app.__about__ import __version__
from pos_app.gui import app as gui_app
from pos_app.gui.about import KEYS, AboutDesk, AboutDialog, TillFiles, about_details
from pos_app.gui.main_window import MainWindow
from pos_app.gui.training_tools import PRACTISE_KEY
from pos_app.sandbox.state import Sandbox
from pos_app.training import sandbox_config, sandbox_credentials
from tests.gui.conftest import Run, eventually


async def _running(view: MainWindow, setup: gui_app.Setup) -> asyncio.Future[int]:
    """The app's own coroutine on this window, once its screen is wired (F1 included)."""
    painted = asyncio.Event()
    painted.set()
    app_run = asyncio.ensure_future(gui_app._run(view, lambda: setup, painted))
    await eventually(lambda: view.pending_indicator.isVisible())
    return app_run


def _shown_dialog() -> AboutDialog | None:
    for widget in QApplication.topLevelWidgets():
        if widget.objectName() == "aboutDialog" and widget.isVisible():
            found = widget.findChild(AboutDialog)
            if found is not None:
                return found
    return None


def test_f1_in_the_running_app_shows_version_till_and_files(
    sandbox_server: tuple[str, Sandbox], run: Run, tmp_path: Path
) -> None:
    url, sandbox = sandbox_server
    seed = sandbox.seed_summary()
    config_file = tmp_path / "tillcard.toml"
    setup = gui_app.Setup(
        sandbox_config(seed, url, terminal_id="till-about"),
        sandbox_credentials(seed),
        tmp_path / "data",
        config_file=config_file,
    )
    view = MainWindow("till-about", training=False)

    async def body() -> None:
        app_run = await _running(view, setup)
        QTest.keyClick(view.window, Qt.Key.Key_F1)
        await eventually(lambda: _shown_dialog() is not None)
        dialog = _shown_dialog()
        assert dialog is not None
        text = dialog.details.toPlainText()
        assert f"Tillcard {__version__}" in dialog.title.text()
        assert "Till: till-about" in text
        assert f"Data folder: {tmp_path / 'data'}" in text
        assert f"Configuration: {config_file}" in text
        assert "F12 sign out" in dialog.keys.text()
        dialog.dialog.activateWindow()  # a dialog's shortcuts need the window active
        await eventually(dialog.dialog.isActiveWindow)
        QTest.keyClick(
            QApplication.focusWidget() or dialog.dialog,
            Qt.Key.Key_C,
            Qt.KeyboardModifier.ControlModifier,
        )
        assert QGuiApplication.clipboard().text() == text
        assert "copied" in dialog.status.text()
        QTest.keyClick(dialog.dialog, Qt.Key.Key_Escape)
        await eventually(lambda: _shown_dialog() is None)
        view.window.close()
        assert await asyncio.wait_for(app_run, 10) == 0

    run(body())


def test_the_help_lists_exactly_the_keys_the_till_answers_to(
    sandbox_server: tuple[str, Sandbox], run: Run, tmp_path: Path
) -> None:
    """A key added to the till but not to F1 (or the reverse) fails here."""
    url, sandbox = sandbox_server
    seed = sandbox.seed_summary()
    setup = gui_app.Setup(sandbox_config(seed, url), sandbox_credentials(seed), tmp_path)
    view = MainWindow("till-keys", training=False)

    async def body() -> None:
        app_run = await _running(view, setup)
        wired = {
            shortcut.key().toString()
            for shortcut in view.window.findChildren(QShortcut)
            if shortcut.key().toString()
        }
        view.window.close()
        assert await asyncio.wait_for(app_run, 10) == 0
        listed = {QKeySequence(key).toString() for key, _ in KEYS}
        assert listed == wired - {QKeySequence(PRACTISE_KEY).toString()}

    run(body())


def test_details_say_none_where_a_till_has_no_file() -> None:
    text = about_details(TillFiles(terminal="till-9", training=True))
    assert "Till: till-9 — TRAINING" in text
    assert "Configuration: none" in text
    assert "run from Python" in text


def test_a_second_f1_brings_back_the_open_box(qtbot: object, tmp_path: Path) -> None:
    view = MainWindow("till-once", training=False)
    desk = AboutDesk(view.window, TillFiles(terminal="till-once", training=False))
    first = desk.open()
    assert desk.open() is first
    first.close()
    assert not first.is_open
    assert desk.open() is not first
    desk.open().close()
    view.window.close()
