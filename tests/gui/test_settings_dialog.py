"""Settings on real widgets (offscreen): typed values reach the TOML file, secrets the keyring,
and "Test connection" asks the emulators over loopback HTTP."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)
from pytestqt.qtbot import QtBot

from pos_app.config import AppConfig, load_config, parse_config
from pos_app.config_file import write_config
from pos_app.credentials import Credentials
from pos_app.gui.forms import stylesheet
from pos_app.gui.settings_dialog import SettingsDialog
from pos_app.providers.errors import Unauthorized
from pos_app.providers.loyaltydog import BAD_LOGIN, LoyaltyDogClient
from pos_app.sandbox.state import Sandbox
from pos_app.training import sandbox_config
from tests import test_credential_store as keyrings
from tests.gui.conftest import Run, eventually
from tests.test_credential_store import MemoryKeyring

KEY = Qt.Key
# The in-memory test keyring (CI has no OS keyring daemon) and keyring's "fail" backend.
memory_keyring = keyrings.memory_keyring
no_keyring = keyrings.no_keyring
CTRL = Qt.KeyboardModifier.ControlModifier
SECRET_FIELDS = {
    "loyaltydog": ("loyaltydog", "password"),
    "leal": ("leal", "token"),
    "clienttoolbox": ("clienttoolbox", "api_key"),
}


@pytest.fixture
def host(qtbot: QtBot) -> QWidget:
    widget = QWidget()
    widget.setStyleSheet(stylesheet())
    widget.resize(1280, 800)
    qtbot.addWidget(widget)
    widget.show()
    return widget


@pytest.fixture
def seed(sandbox_server: tuple[str, Sandbox]) -> dict[str, Any]:
    return sandbox_server[1].seed_summary()


@pytest.fixture
def sandbox_settings(sandbox_server: tuple[str, Sandbox], seed: dict[str, Any]) -> AppConfig:
    return sandbox_config(seed, sandbox_server[0])


@pytest.fixture
def opened(host: QWidget, tmp_path: Path) -> Iterator[list[SettingsDialog]]:
    """Dialogs made by a test; closed afterwards so none outlives it."""
    dialogs: list[SettingsDialog] = []
    yield dialogs
    for dialog in dialogs:
        dialog.close()


def make(
    host: QWidget,
    opened: list[SettingsDialog],
    config: AppConfig | None,
    path: Path,
    saved: list[AppConfig] | None = None,
) -> SettingsDialog:
    dialog = SettingsDialog(
        host, config=config, config_file=path, on_saved=None if saved is None else saved.append
    )
    dialog.open()
    opened.append(dialog)
    return dialog


def field(dialog: SettingsDialog, name: str) -> QLineEdit:
    widget = dialog.dialog.findChild(QLineEdit, name)
    assert widget is not None, name
    return widget


def retype(widget: QWidget, text: str) -> None:
    """Select all and type, as a person at the keyboard does."""
    widget.setFocus()
    QTest.keyClick(widget, KEY.Key_A, CTRL)
    if text:
        QTest.keyClicks(widget, text)
    else:
        QTest.keyClick(widget, KEY.Key_Delete)


def result_text(dialog: SettingsDialog, backend: str) -> str:
    label = dialog.dialog.findChild(QLabel, f"{backend}ResultLabel")
    assert label is not None
    return label.text()


def test_typed_settings_round_trip_and_the_secret_goes_to_the_keyring(
    qtbot: QtBot,
    host: QWidget,
    opened: list[SettingsDialog],
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    sandbox_settings: AppConfig,
) -> None:
    path = tmp_path / "tillcard.toml"
    write_config(sandbox_settings, path)
    saved: list[AppConfig] = []
    dialog = make(host, opened, sandbox_settings, path, saved)
    dialog.dialog.activateWindow()  # the Ctrl+S shortcut needs the window active
    qtbot.waitUntil(dialog.dialog.isActiveWindow, timeout=3000)
    retype(field(dialog, "terminalIdEdit"), "till-9")
    retype(field(dialog, "currencyEdit"), "eur")
    retype(field(dialog, "perTransactionCapEdit"), "25.50")
    retype(field(dialog, "prefixEdit"), "#")
    retype(field(dialog, "footerEdit"), "Danke!")
    retype(field(dialog, "clienttoolboxCampaignsEdit"), "0123, 456")
    retype(field(dialog, "lealAccountEdit"), "77")
    patience = dialog.dialog.findChild(QSpinBox, "patienceSpin")
    assert patience is not None
    retype(patience, "12")
    after = dialog.dialog.findChild(QCheckBox, "printAfterCheck")
    assert after is not None
    after.setFocus()
    QTest.keyClick(after, KEY.Key_Space)
    retype(field(dialog, "loyaltydogSecretEdit"), "typed-Pa55word")

    focused = QApplication.focusWidget()
    assert focused is not None
    QTest.keyClick(focused, KEY.Key_S, CTRL)  # Save, from wherever the cursor is

    expected = parse_config(
        sandbox_settings.model_dump(mode="json", exclude_none=True)
        | {
            "terminal": {"id": "till-9", "currency": "EUR", "shop_name": "Training"},
            "policy": {"patience_seconds": 12, "redeem": {"per_transaction_cap": "25.50"}},
            "scanner": {"prefix": "#"},
            "receipts": {"footer": "Danke!", "print_after_operation": True},
            "leal": sandbox_settings.model_dump(mode="json")["leal"] | {"account_id": 77},
            "clienttoolbox": sandbox_settings.model_dump(mode="json")["clienttoolbox"]
            | {"campaign_ids": ["0123", "456"]},
        }
    )
    assert "Saved to" in dialog.status_label.text(), dialog.status_label.text()
    assert load_config(path) == expected
    assert saved == [expected]
    username = sandbox_settings.loyaltydog.username  # type: ignore[union-attr]
    assert memory_keyring.entries == {("Tillcard/loyaltydog", username): "typed-Pa55word"}
    assert "typed-Pa55word" not in path.read_text(encoding="utf-8")
    assert field(dialog, "loyaltydogSecretEdit").text() == "", "the typed secret is not kept"
    assert "Restart Tillcard" in dialog.status_label.text()
    assert "in use from now on" in dialog.status_label.text()


@pytest.mark.parametrize(
    ("widget", "text", "problem"),
    [
        ("loyaltydogUrlEdit", "http://example.com/loyaltydog", "must use https"),
        ("currencyEdit", "u$d", "Currency"),
        ("terminalCapEdit", "-5", "negative"),
        ("perTransactionCapEdit", "1.234", "more than 2 decimals"),
        ("loyaltydogProgramEdit", "not-an-id", "LoyaltyDog program id"),
    ],
)
def test_invalid_values_are_refused_and_nothing_is_written(
    host: QWidget,
    opened: list[SettingsDialog],
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    sandbox_settings: AppConfig,
    widget: str,
    text: str,
    problem: str,
) -> None:
    path = tmp_path / "tillcard.toml"
    write_config(sandbox_settings, path)
    before = path.read_bytes()
    saved: list[AppConfig] = []
    dialog = make(host, opened, sandbox_settings, path, saved)
    retype(field(dialog, widget), text)
    retype(field(dialog, "lealSecretEdit"), "a-new-token")
    assert dialog.save() is False
    status = dialog.status_label.text()
    assert status.startswith("Nothing was saved"), status
    assert problem in status
    assert field(dialog, widget).property("invalid") is True
    assert dialog.dialog.focusWidget() is field(dialog, widget), (
        "the cursor goes to the refused field"
    )
    assert path.read_bytes() == before
    assert saved == []
    assert memory_keyring.entries == {}, "no secret is stored while the settings are invalid"


def test_first_setup_needs_a_back_end(
    host: QWidget, opened: list[SettingsDialog], tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    path = tmp_path / "new" / "tillcard.toml"
    dialog = make(host, opened, None, path)
    assert dialog.save() is False
    assert "at least one back-end" in dialog.status_label.text()
    assert not path.exists()
    enabled = dialog.dialog.findChild(QCheckBox, "lealEnabledCheck")
    assert enabled is not None
    enabled.setFocus()
    QTest.keyClick(enabled, KEY.Key_Space)
    retype(field(dialog, "lealAccountEdit"), "42")
    assert dialog.save() is True
    config = load_config(path)
    assert config.leal is not None
    assert config.leal.account_id == 42
    assert config.leal.base_url == "https://app.getleal.com"
    assert config.loyaltydog is None
    assert config.clienttoolbox is None


def test_without_a_keyring_the_dialog_names_the_environment_variable(
    host: QWidget,
    opened: list[SettingsDialog],
    tmp_path: Path,
    no_keyring: None,
    sandbox_settings: AppConfig,
) -> None:
    path = tmp_path / "tillcard.toml"
    dialog = make(host, opened, sandbox_settings, path)
    note = dialog.dialog.findChild(QLabel, "clienttoolboxSecretNote")
    assert note is not None
    assert "POS_APP_CLIENTTOOLBOX_API_KEY" in note.text()
    retype(field(dialog, "clienttoolboxSecretEdit"), "some-api-key")
    assert dialog.save() is False
    assert "POS_APP_CLIENTTOOLBOX_API_KEY" in dialog.status_label.text()
    assert not path.exists()
    retype(field(dialog, "clienttoolboxSecretEdit"), "")
    assert dialog.save() is True, "with the secret left to the environment, the file saves"


@pytest.mark.parametrize("backend", ["loyaltydog", "leal", "clienttoolbox"])
def test_test_connection_succeeds_against_the_emulators(
    run: Run,
    host: QWidget,
    opened: list[SettingsDialog],
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    sandbox_settings: AppConfig,
    seed: dict[str, Any],
    backend: str,
) -> None:
    async def body() -> None:
        dialog = make(host, opened, sandbox_settings, tmp_path / "t.toml")
        section, key = SECRET_FIELDS[backend]
        retype(field(dialog, f"{backend}SecretEdit"), str(seed[section][key]))
        assert await dialog.test_connection(backend) is True  # type: ignore[arg-type]
        assert "connection and credentials are good" in result_text(dialog, backend)
        assert memory_keyring.entries == {}, "testing saves nothing"

    run(body())


def test_test_connection_shows_the_back_ends_sentence_for_a_wrong_password(
    run: Run,
    host: QWidget,
    opened: list[SettingsDialog],
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    sandbox_settings: AppConfig,
) -> None:
    async def body() -> None:
        dialog = make(host, opened, sandbox_settings, tmp_path / "t.toml")
        retype(field(dialog, "loyaltydogSecretEdit"), "not-the-password")
        assert await dialog.test_connection("loyaltydog") is False
        assert result_text(dialog, "loyaltydog") == f"LoyaltyDog: {BAD_LOGIN}"

    run(body())


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_test_connection_to_an_unreachable_url_fails_with_a_sentence(
    run: Run,
    host: QWidget,
    opened: list[SettingsDialog],
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    sandbox_settings: AppConfig,
) -> None:
    async def body() -> None:
        dialog = make(host, opened, sandbox_settings, tmp_path / "t.toml")
        retype(field(dialog, "lealUrlEdit"), f"http://127.0.0.1:{closed_port()}/leal")
        retype(field(dialog, "lealSecretEdit"), "any-token")
        assert await dialog.test_connection("leal") is False
        text = result_text(dialog, "leal")
        assert text.startswith("Leal: "), text
        assert "Traceback" not in text
        assert "Errno" not in text

    run(body())


def test_test_connection_with_an_invalid_url_says_what_to_fix(
    run: Run,
    host: QWidget,
    opened: list[SettingsDialog],
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    sandbox_settings: AppConfig,
) -> None:
    async def body() -> None:
        dialog = make(host, opened, sandbox_settings, tmp_path / "t.toml")
        retype(field(dialog, "clienttoolboxUrlEdit"), "http://example.com/ctb")
        assert await dialog.test_connection("clienttoolbox") is False
        assert "must use https" in result_text(dialog, "clienttoolbox")

    run(body())


def test_a_password_saved_in_settings_applies_to_a_running_client(
    run: Run,
    host: QWidget,
    opened: list[SettingsDialog],
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    sandbox_settings: AppConfig,
    seed: dict[str, Any],
) -> None:
    """The till's client exists before Settings saves; its next login uses the new password."""

    async def body() -> None:
        assert sandbox_settings.loyaltydog is not None
        memory_keyring.set_password(
            "Tillcard/loyaltydog", sandbox_settings.loyaltydog.username, "old-wrong-password"
        )
        client = LoyaltyDogClient(sandbox_settings.loyaltydog, Credentials())
        try:
            with pytest.raises(Unauthorized):
                await client.check()
            dialog = make(host, opened, sandbox_settings, tmp_path / "t.toml")
            retype(field(dialog, "loyaltydogSecretEdit"), seed["loyaltydog"]["password"])
            assert dialog.save() is True
            await client.check()
        finally:
            await client.aclose()

    run(body())


def test_closing_during_a_test_cancels_it(
    run: Run,
    host: QWidget,
    opened: list[SettingsDialog],
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    sandbox_server: tuple[str, Sandbox],
    sandbox_settings: AppConfig,
    sandbox_http: Any,
) -> None:
    async def body() -> None:
        sandbox_http.post("/_sandbox/faults", json={"api": "leal", "latency_ms": 1000})
        dialog = make(host, opened, sandbox_settings, tmp_path / "t.toml")
        retype(field(dialog, "lealSecretEdit"), "any-token")
        task = dialog.test_connection("leal")
        assert dialog.test_connection("leal") is task, "one test per back-end at a time"
        await asyncio.sleep(0.2)
        dialog.close()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(body())


def test_the_test_button_works_from_the_keyboard(
    run: Run,
    host: QWidget,
    opened: list[SettingsDialog],
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    sandbox_settings: AppConfig,
    seed: dict[str, Any],
) -> None:
    """The token comes from the keyring here (field left empty), as the till would read it."""

    async def body() -> None:
        memory_keyring.set_password(
            "Tillcard/leal", str(seed["leal"]["account_id"]), seed["leal"]["token"]
        )
        dialog = make(host, opened, sandbox_settings, tmp_path / "t.toml")
        button = dialog.dialog.findChild(QPushButton, "lealTestButton")
        assert button is not None
        button.setFocus()
        QTest.keyClick(button, KEY.Key_Space)
        await eventually(lambda: "good" in result_text(dialog, "leal"))
        assert button.isEnabled(), "ready for another test"

    run(body())


def test_the_note_follows_the_account_typed(
    qtbot: QtBot,
    host: QWidget,
    opened: list[SettingsDialog],
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    sandbox_settings: AppConfig,
) -> None:
    memory_keyring.set_password("Tillcard/clienttoolbox", "someone-else", "their-api-key")
    dialog = make(host, opened, sandbox_settings, tmp_path / "t.toml")
    dialog.dialog.activateWindow()  # leaving a field by Tab needs the window active
    qtbot.waitUntil(dialog.dialog.isActiveWindow, timeout=3000)
    secret = field(dialog, "clienttoolboxSecretEdit")
    assert secret.placeholderText() == "not stored yet"
    user = field(dialog, "clienttoolboxUserEdit")
    retype(user, "someone-else")
    QTest.keyClick(user, KEY.Key_Tab)
    assert secret.placeholderText() == "stored in the keyring; type to replace"
