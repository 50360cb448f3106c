"""The app's coroutine: opens the till's journal, starts sync, and cleans up on close."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from filelock import FileLock
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPushButton

from pos_app.gui import app as gui_app
from pos_app.gui.main_window import MainWindow
from pos_app.journal.database import JOURNAL_FILE, open_journal
from pos_app.journal.staff import Staff
from pos_app.journal.sync import SYNC_LOCK_FILE
from pos_app.sandbox.inprocess import InProcessTransport
from pos_app.sandbox.state import Sandbox
from pos_app.services.till import TRAINING_MANAGER
from pos_app.training import TrainingWorld, sandbox_config, sandbox_credentials
from tests.gui.conftest import Run, eventually


def _setup(sandbox_server: tuple[str, Sandbox], data_dir: Path) -> gui_app.Setup:
    url, sandbox = sandbox_server
    seed = sandbox.seed_summary()
    return gui_app.Setup(sandbox_config(seed, url), sandbox_credentials(seed), data_dir)


def test_the_app_runs_on_its_journal_and_releases_it_on_close(
    sandbox_server: tuple[str, Sandbox], run: Run, tmp_path: Path
) -> None:
    data_dir = tmp_path / "training"
    setup = _setup(sandbox_server, data_dir)
    view = MainWindow("till-app", training=True)

    async def body() -> None:
        painted = asyncio.Event()
        painted.set()
        app_run = asyncio.ensure_future(gui_app._run(view, lambda: setup, painted))
        await eventually(lambda: view.pending_indicator.isVisible())
        assert view.pending_indicator.text() == "F9  All synced"
        # The connectivity monitor runs: every back-end is probed and shown online.
        await eventually(lambda: view.backend_status.text().count("●") == 3)
        with pytest.raises(TimeoutError):  # the sync engine holds this journal's lock
            FileLock(data_dir / SYNC_LOCK_FILE, timeout=0).acquire()
        view.window.close()
        assert await asyncio.wait_for(app_run, 10) == 0
        lock = FileLock(data_dir / SYNC_LOCK_FILE, timeout=0)
        lock.acquire()  # released on close: `pos-app sync` may take over
        lock.release()

    run(body())
    assert (data_dir / JOURNAL_FILE).exists()
    db = open_journal(data_dir)
    try:
        assert [name for name, _ in Staff(db).managers()] == [TRAINING_MANAGER]
    finally:
        db.close()


def test_an_unusable_journal_is_explained_in_the_window(
    sandbox_server: tuple[str, Sandbox],
    run: Run,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    not_a_folder = tmp_path / "data"
    not_a_folder.write_text("a file where the data folder should be", encoding="utf-8")
    setup = _setup(sandbox_server, not_a_folder)
    view = MainWindow("till-app", training=False)

    async def body() -> None:
        painted = asyncio.Event()
        painted.set()
        app_run = asyncio.ensure_future(gui_app._run(view, lambda: setup, painted))
        await eventually(lambda: "cannot take operations" in view.message.text())
        assert "cannot create its journal" in view.message.text()
        assert "Traceback" not in view.message.text()
        assert view.message.property("tone") == "bad"
        assert not view.lookup_input.isEnabled()
        assert not view.find_button.isEnabled()
        assert not view.pending_indicator.isVisible()
        view.window.close()
        assert await asyncio.wait_for(app_run, 10) == 1

    with caplog.at_level(logging.ERROR, logger="pos_app.gui.app"):
        run(body())
    assert "journal unavailable" in caplog.text


def test_training_can_practise_offline_and_come_back(run: Run, tmp_path: Path) -> None:
    """Training mode's switch makes the in-process emulators unreachable, as an outage would."""
    world = TrainingWorld()
    setup = gui_app.Setup(
        world.config(),
        world.credentials(),
        tmp_path / "training",
        transport=InProcessTransport(world.sandbox),
        world=world,
    )
    view = MainWindow("training-till", training=True)

    async def body() -> None:
        painted = asyncio.Event()
        painted.set()
        app_run = asyncio.ensure_future(gui_app._run(view, lambda: setup, painted))
        await eventually(lambda: view.window.findChild(QPushButton, "practiseOfflineButton"))
        switch = view.window.findChild(QPushButton, "practiseOfflineButton")
        assert switch is not None
        await eventually(lambda: view.backend_status.text().count("●") == 3)
        view.window.activateWindow()
        await eventually(lambda: QApplication.activeWindow() is view.window)
        modifiers = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        QTest.keyClick(view.window, Qt.Key.Key_O, modifiers)
        assert switch.isChecked()
        assert world.sandbox.faults.get("leal").outage
        await eventually(
            lambda: view.backend_status.text() == "✕ ALL OFFLINE:\nLoyaltyDog, Leal, ClientToolbox"
        )
        assert "Training" in view.message.text()
        QTest.mouseClick(switch, Qt.MouseButton.LeftButton)
        assert not world.sandbox.faults.get("leal").outage
        await eventually(lambda: view.backend_status.text().count("●") == 3)
        view.window.close()
        assert await asyncio.wait_for(app_run, 10) == 0

    run(body())


def test_the_back_offices_settings_open_on_the_tills_own_file(
    sandbox_server: tuple[str, Sandbox], qtbot: object, tmp_path: Path
) -> None:
    """Training builds its configuration, so it has no Settings; a real till edits its file,
    and a save tells the running till (which asks every back-end again with the new keys)."""
    setup = _setup(sandbox_server, tmp_path / "data")
    view = MainWindow("till-app", training=False)
    saves: list[str] = []
    try:
        assert gui_app._settings_opener(view, setup, lambda: saves.append("saved")) is None
        setup.config_file = tmp_path / "till.toml"
        opener = gui_app._settings_opener(view, setup, lambda: saves.append("saved"))
        assert opener is not None
        opener()
        dialogs = [w for w in QApplication.topLevelWidgets() if w.objectName() == "settingsDialog"]
        assert [d.isVisible() for d in dialogs] == [True]
        assert saves == []
        save = dialogs[0].findChild(QPushButton, "saveButton")
        assert save is not None
        save.click()
        assert saves == ["saved"]
        assert setup.config_file.exists()
        assert view.message.text().startswith("Settings saved.")
        dialogs[0].close()
    finally:
        view.window.close()
        view.window.deleteLater()
