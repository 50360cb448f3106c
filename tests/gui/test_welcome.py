"""First run on real widgets: the welcome window, its keys, and what ``pos-app`` starts next."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QCheckBox, QDialog, QLineEdit

from pos_app import cli, config_file
from pos_app.config import load_config
from pos_app.gui import app as gui_app
from pos_app.gui import welcome as welcome_module
from pos_app.gui.forms import FORMS
from pos_app.gui.welcome import Choice, WelcomeResult, welcome
from tests import test_credential_store as keyrings
from tests.gui.conftest import Run, eventually
from tests.test_credential_store import MemoryKeyring

KEY = Qt.Key
#: The in-memory test keyring: CI has no OS keyring daemon.
memory_keyring = keyrings.memory_keyring


def shown_welcome() -> QDialog | None:
    for widget in QApplication.topLevelWidgets():
        if widget.objectName() == "welcomeDialog" and widget.isVisible():
            assert isinstance(widget, QDialog)
            return widget
    return None


async def showing(path: Path) -> tuple[asyncio.Task[WelcomeResult], QDialog]:
    task = asyncio.ensure_future(welcome(path))
    await eventually(lambda: shown_welcome() is not None)
    window = shown_welcome()
    assert window is not None
    window.activateWindow()  # the letter shortcuts work in the active window
    await eventually(window.isActiveWindow)
    return task, window


def test_forms_are_listed() -> None:
    assert {"welcome.ui", "settings_dialog.ui"} <= set(FORMS)


def test_t_chooses_training_and_the_window_goes(run: Run, tmp_path: Path) -> None:
    async def body() -> None:
        task, window = await showing(tmp_path / "tillcard.toml")
        QTest.keyClick(window, KEY.Key_T)
        assert await task == WelcomeResult(Choice.TRAINING)
        assert shown_welcome() is None
        assert not (tmp_path / "tillcard.toml").exists()

    run(body())


def test_esc_quits(run: Run, tmp_path: Path) -> None:
    async def body() -> None:
        task, window = await showing(tmp_path / "tillcard.toml")
        QTest.keyClick(window, KEY.Key_Escape)
        assert await task == WelcomeResult(Choice.QUIT)

    run(body())


def test_s_sets_up_the_till_and_starts_with_what_was_saved(
    run: Run, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    path = tmp_path / "config" / "tillcard.toml"

    async def body() -> None:
        task, window = await showing(path)
        QTest.keyClick(window, KEY.Key_S)
        settings = window.findChild(QDialog, "settingsDialog")
        assert settings is not None
        assert settings.isVisible()
        use_leal = settings.findChild(QCheckBox, "lealEnabledCheck")
        account = settings.findChild(QLineEdit, "lealAccountEdit")
        token = settings.findChild(QLineEdit, "lealSecretEdit")
        assert use_leal is not None
        assert account is not None
        assert token is not None
        QTest.keyClick(window, KEY.Key_T)  # T typed while Settings is up is not "training"
        assert not task.done()
        use_leal.setChecked(True)
        QTest.keyClicks(account, "42")
        QTest.keyClicks(token, "leal-token-1")
        QTest.keyClick(token, KEY.Key_Return)  # Enter: Save is the default button
        result = await task
        assert result.choice is Choice.CONFIGURED
        assert result.config == load_config(path)
        assert result.config is not None
        assert result.config.leal is not None
        assert memory_keyring.entries == {("Tillcard/leal", "42"): "leal-token-1"}
        assert shown_welcome() is None

    run(body())


def test_cancelled_setup_returns_to_the_welcome(run: Run, tmp_path: Path) -> None:
    async def body() -> None:
        task, window = await showing(tmp_path / "tillcard.toml")
        QTest.keyClick(window, KEY.Key_S)
        settings = window.findChild(QDialog, "settingsDialog")
        assert settings is not None
        settings.reject()
        await asyncio.sleep(0.05)
        assert not task.done()
        assert shown_welcome() is window
        window.activateWindow()
        await eventually(window.isActiveWindow)
        QTest.keyClick(window, KEY.Key_T)
        assert (await task).choice is Choice.TRAINING

    run(body())


@pytest.fixture
def first_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """``pos-app`` with no configuration on a machine with a screen.

    The welcome and the cashier window are replaced by recorders here: both are tested on
    real widgets above and in test_app_wiring; what is checked is what ``_gui`` starts.
    """
    monkeypatch.delenv("POS_APP_CONFIG", raising=False)
    default = tmp_path / "config" / "tillcard.toml"
    monkeypatch.setattr(config_file, "default_config_file", lambda: default)
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")  # read by _first_run only; Qt is already up
    calls: dict[str, Any] = {"default": default, "data": tmp_path / "data"}

    def fake_run_gui(terminal_id: str, *, training: bool, prepare: Any) -> int:
        calls["gui"] = (terminal_id, training, prepare())
        return 0

    monkeypatch.setattr(gui_app, "run_gui", fake_run_gui)
    return calls


def test_first_run_training_choice_starts_the_training_gui(
    first_run: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Path] = []

    def choose(path: Path) -> WelcomeResult:
        seen.append(path)
        return WelcomeResult(Choice.TRAINING)

    monkeypatch.setattr(welcome_module, "run_welcome", choose)
    assert cli.main(["--data-dir", str(first_run["data"])]) == 0
    assert seen == [first_run["default"]]
    _terminal, training, setup = first_run["gui"]
    assert training is True
    assert setup.world is not None
    assert setup.data_dir == first_run["data"] / "training"


def test_first_run_setup_starts_with_the_saved_config(
    first_run: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pos_app.config import parse_config

    saved = parse_config({"terminal": {"id": "till-new"}, "leal": {"account_id": 42}})
    monkeypatch.setattr(
        welcome_module, "run_welcome", lambda _path: WelcomeResult(Choice.CONFIGURED, saved)
    )
    assert cli.main(["--data-dir", str(first_run["data"])]) == 0
    terminal, training, setup = first_run["gui"]
    assert (terminal, training) == ("till-new", False)
    assert setup.config == saved
    assert setup.data_dir == first_run["data"]


def test_first_run_quit_exits_0_without_a_window(
    first_run: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(welcome_module, "run_welcome", lambda _path: WelcomeResult(Choice.QUIT))
    assert cli.main(["--data-dir", str(first_run["data"])]) == 0
    assert "gui" not in first_run
