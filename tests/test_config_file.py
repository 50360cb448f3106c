"""The config file Settings writes: where it lives, and that it reads back as it was written."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import platformdirs
import pytest

from pos_app import config_file
from pos_app.cli import main
from pos_app.config import AppConfig, ConfigError, config_path, load_config, parse_config
from pos_app.config_file import config_to_toml, default_config_file, write_config

RICH = {
    "terminal": {
        "id": "till-7",
        "currency": "EUR",
        "shop_name": 'Café "Ü"',
        "decimal_separator": ",",
    },
    "scanner": {
        "max_gap_ms": 80,
        "min_length": 6,
        "prefix": "#",
        "suffix": "\t",
        "serial_port": "COM3",
    },
    "policy": {
        "patience_seconds": 9,
        "redeem": {"mode": "allow_offline", "per_transaction_cap": "50.10", "terminal_cap": 0},
        "refund": {"cashier_minutes": 0, "max_age_days": 7},
    },
    "sync": {"concurrency": 4, "first_retry_seconds": 0.5},
    "receipts": {"paper": "58", "printer": "EPSON TM-T20", "footer": "Merci ✓"},
    "loyaltydog": {
        "base_url": "https://api.loyalty.dog/",
        "program_id": "5eb7cf5a86d9755df3a6c593",
        "username": "frontdesk@example.com",
    },
    "leal": {"enabled": False, "base_url": "http://127.0.0.1:8765/leal", "account_id": 42},
    "clienttoolbox": {
        "base_url": "https://api.clienttoolbox.com",
        "account_id": "greatwidgets",
        "user_id": "frontdesk",
        "campaign_ids": ["012345678901234567890", "7"],
    },
}


@pytest.fixture
def default_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The default location, moved into tmp_path so no test reads or writes the real one."""
    path = tmp_path / "config-home" / "Tillcard" / "tillcard.toml"
    monkeypatch.setattr(config_file, "default_config_file", lambda: path)
    monkeypatch.delenv("POS_APP_CONFIG", raising=False)
    return path


def test_round_trip_keeps_every_value(tmp_path: Path) -> None:
    config = parse_config(RICH)
    path = tmp_path / "sub" / "tillcard.toml"
    write_config(config, path)
    again = load_config(path)
    assert again == config
    assert again.policy.redeem.per_transaction_cap == config.policy.redeem.per_transaction_cap
    assert str(again.policy.redeem.per_transaction_cap) == "50.10"
    assert again.clienttoolbox is not None
    assert again.clienttoolbox.campaign_ids == ["012345678901234567890", "7"]
    text = path.read_text(encoding="utf-8")
    assert 'per_transaction_cap = "50.10"' in text, "amounts are written quoted, as documented"


def test_default_config_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "tillcard.toml"
    write_config(AppConfig(), path)
    assert load_config(path) == AppConfig()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_file_is_private_and_no_temp_file_is_left(tmp_path: Path) -> None:
    path = tmp_path / "tillcard.toml"
    path.write_text("# old\n", encoding="utf-8")
    os.chmod(path, 0o644)
    write_config(parse_config(RICH), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["tillcard.toml"]


def test_a_failed_write_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "tillcard.toml"
    write_config(AppConfig(), path)
    before = path.read_bytes()

    def full_disk(_src: object, _dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(ConfigError, match="No space left"):
        write_config(parse_config(RICH), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["tillcard.toml"]


def test_secrets_cannot_be_written() -> None:
    assert "password" not in config_to_toml(parse_config(RICH))
    with pytest.raises(ConfigError, match="secrets"):
        parse_config({**RICH, "leal": {**RICH["leal"], "token": "x"}})  # type: ignore[dict-item]


def test_default_location_is_the_user_config_dir() -> None:
    path = default_config_file()
    assert path.name == "tillcard.toml"
    assert path.parent == Path(platformdirs.user_config_dir("Tillcard", appauthor=False))


def test_config_path_flag_then_env_then_existing_default(
    default_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert config_path(None) is None, "no default file: still no configuration"
    write_config(AppConfig(), default_file)
    assert config_path(None) == default_file
    monkeypatch.setenv("POS_APP_CONFIG", str(tmp_path / "env.toml"))
    assert config_path(None) == tmp_path / "env.toml"
    assert config_path(str(tmp_path / "flag.toml")) == tmp_path / "flag.toml"


@pytest.mark.parametrize(
    "argv", [["lookup", "1234"], ["redeem", "1234", "1.00"], ["sync", "--once"]]
)
def test_headless_commands_without_any_config_still_exit_2(
    argv: list[str],
    default_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([*argv, "--data-dir", str(tmp_path / "data")]) == 2
    assert "No configuration" in capsys.readouterr().err


def test_gui_without_any_config_and_no_screen_is_still_a_usage_error(
    default_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Offscreen (CI, packaging smoke tests) nobody could answer the welcome window."""
    assert os.environ["QT_QPA_PLATFORM"] == "offscreen"
    assert main(["--data-dir", str(tmp_path / "data")]) == 2
    assert "--training" in capsys.readouterr().err


def test_headless_commands_read_the_default_file(
    default_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With no flag and no variable, a saved default file is the configuration: a broken one
    is reported by its path (exit 1), not ignored."""
    default_file.parent.mkdir(parents=True)
    default_file.write_text('[terminal]\ncurrency = "usd"\n', encoding="utf-8")
    assert main(["self-check", "--data-dir", str(tmp_path / "data")]) == 1
    err = capsys.readouterr().err
    assert str(default_file) in err
    assert "terminal.currency" in err
