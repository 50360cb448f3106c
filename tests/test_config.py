"""The configuration contract: valid files load, bad ones explain themselves, no secrets."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from pos_app.config import ConfigError, load_config, parse_config
from pos_app.domain.operations import OperationKind
from pos_app.domain.policy import (
    DEFAULT_MAX_CARD_AGE,
    DEFAULT_MODES,
    DEFAULT_PER_TRANSACTION_CAP,
    DEFAULT_TERMINAL_CAP,
    OnlineMode,
)

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


def test_policy_defaults_are_the_architecture_ones() -> None:
    policy = parse_config({}).policy
    assert policy.patience_seconds == 5
    assert policy.redeem.per_transaction_cap == DEFAULT_PER_TRANSACTION_CAP
    assert policy.redeem.terminal_cap == DEFAULT_TERMINAL_CAP
    assert isinstance(policy.redeem.per_transaction_cap, Decimal)
    assert policy.redeem.max_card_age == DEFAULT_MAX_CARD_AGE
    assert {kind: policy.mode_for(kind) for kind in OperationKind} == DEFAULT_MODES


POLICY_EXAMPLE = """
[policy]
patience_seconds = 8

[policy.redeem]
mode = "allow_offline"
per_transaction_cap = "75.50"
terminal_cap = 1000
max_card_age_hours = 48

[policy.stamp]
mode = "require_online"

[policy.redeem_reward]
mode = "allow_offline"

[policy.refund]
mode = "prefer_online"
"""


def test_policy_round_trip_from_toml(tmp_path: Path) -> None:
    policy = load_config(_write(tmp_path, CONTRACT_EXAMPLE + POLICY_EXAMPLE)).policy
    assert policy.patience_seconds == 8
    assert policy.redeem.per_transaction_cap == Decimal("75.50")
    assert str(policy.redeem.terminal_cap) == "1000.00"
    assert policy.redeem.max_card_age == timedelta(hours=48)
    assert policy.mode_for(OperationKind.REDEEM) is OnlineMode.ALLOW_OFFLINE
    assert policy.mode_for(OperationKind.ADD_STAMPS) is OnlineMode.REQUIRE_ONLINE
    assert policy.mode_for(OperationKind.REDEEM_REWARD) is OnlineMode.ALLOW_OFFLINE
    assert policy.mode_for(OperationKind.REFUND) is OnlineMode.PREFER_ONLINE
    again = parse_config(load_config(_write(tmp_path, POLICY_EXAMPLE)).model_dump(mode="json"))
    assert again.policy == policy


def test_policy_float_cap_goes_through_its_text(tmp_path: Path) -> None:
    text = "[policy.redeem]\nper_transaction_cap = 50.1\n"
    cap = load_config(_write(tmp_path, text)).policy.redeem.per_transaction_cap
    assert cap == Decimal("50.10")
    assert str(cap) == "50.10"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[policy.redeem]\nmode = 'prefer_onlin'\n", r"policy\.redeem\.mode.*prefer_online"),
        ("[policy.refund]\nmode = 'offline'\n", r"policy\.refund\.mode"),
        ("[policy.redeem]\nper_transaction_cap = '-5.00'\n", "negative"),
        ("[policy.redeem]\nterminal_cap = -1\n", r"terminal_cap.*negative"),
        ("[policy.redeem]\nper_transaction_cap = 50.005\n", "more than 2 decimals"),
        ("[policy.redeem]\nper_transaction_cap = '50.005'\n", "more than 2 decimals"),
        ("[policy.redeem]\nper_transaction_cap = '50,00'\n", "not an amount"),
        ("[policy.redeem]\nper_transaction_cap = 'nan'\n", "not an amount"),
        ("[policy.redeem]\nper_transaction_cap = true\n", "quoted number"),
        ("[policy.redeem]\nterminal_cap = '1e40'\n", "too large"),
        ("[policy.redeem]\nmax_card_age_hours = 0\n", "max_card_age_hours"),
        ("[policy.redeem]\nmax_card_age_hours = 721\n", "max_card_age_hours"),
        ("[policy]\npatience_seconds = 31\n", "patience_seconds"),
        ("[policy]\npatience_seconds = 0\n", "patience_seconds"),
        ("[policy.stamp]\nmode = 'allow_offline'\ncap = 1\n", r"policy\.stamp\.cap"),
        ("[policy.void]\nmode = 'require_online'\n", r"policy\.void"),
    ],
)
def test_bad_policy_explains_itself(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(_write(tmp_path, text))
