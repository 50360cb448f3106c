"""The configuration contract: valid files load, bad ones explain themselves, no secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from pos_app.config import ConfigError, load_config

CONTRACT_EXAMPLE = """
[terminal]
id = "till-1"
currency = "USD"

[loyaltydog]
base_url = "https://api.loyalty.dog"
program_id = "5eb7cf5a86d9755df3a6c593"
username = "frontdesk@example.com"

[leal]
base_url = "https://app.getleal.com"
account_id = 42

[clienttoolbox]
base_url = "https://api.clienttoolbox.com"
account_id = "greatwidgets"
user_id = "frontdesk"
campaign_ids = ["123456789012"]
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tillcard.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_contract_example_loads(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, CONTRACT_EXAMPLE))
    assert config.terminal.id == "till-1"
    assert config.loyaltydog is not None
    assert config.loyaltydog.program_id == "5eb7cf5a86d9755df3a6c593"
    assert config.clienttoolbox is not None
    assert config.clienttoolbox.campaign_ids == ["123456789012"]
    assert config.enabled_backends() == ["loyaltydog", "leal", "clienttoolbox"]


def test_secret_in_file_is_refused(tmp_path: Path) -> None:
    text = CONTRACT_EXAMPLE.replace(
        'username = "frontdesk@example.com"', 'username = "x"\npassword = "hunter2"'
    )
    with pytest.raises(ConfigError, match=r"loyaltydog\.password.*keyring"):
        load_config(_write(tmp_path, text))


def test_plain_http_only_to_loopback(tmp_path: Path) -> None:
    remote = CONTRACT_EXAMPLE.replace("https://app.getleal.com", "http://app.getleal.com")
    with pytest.raises(ConfigError, match="must use https"):
        load_config(_write(tmp_path, remote))
    local = CONTRACT_EXAMPLE.replace("https://app.getleal.com", "http://127.0.0.1:8765/leal")
    config = load_config(_write(tmp_path, local))
    assert config.leal is not None
    assert config.leal.base_url == "http://127.0.0.1:8765/leal"


def test_numeric_campaign_ids_are_refused(tmp_path: Path) -> None:
    text = CONTRACT_EXAMPLE.replace('["123456789012"]', "[123456789012]")
    with pytest.raises(ConfigError, match="quoted strings"):
        load_config(_write(tmp_path, text))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[terminal\nid=", "not valid TOML"),
        ("[terminal]\ncurrency = 'dollars'\n", "terminal.currency"),
        ("[loyaltydog]\nprogram_id = 'nope'\nusername = 'x'\n", "loyaltydog.program_id"),
        ("[mystery]\nx = 1\n", "mystery"),
    ],
)
def test_bad_files_explain_themselves(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(_write(tmp_path, text))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")
