"""``pos-app lookup`` per the contract: --training and --config against ``pos-app sandbox``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pos_app.cli import main
from pos_app.sandbox.state import Sandbox

CONTRACT_KEYS = {"provider", "kind", "masked_number", "status", "rewards", "stale_seconds"}


def test_training_lookup_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    card = Sandbox().seed_summary()["loyaltydog"]["cards"][0]
    code = main(["--training", "--data-dir", str(tmp_path), "lookup", card["cardNumber"], "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["code"] == card["cardNumber"]
    (match,) = [m for m in out["matches"] if m["provider"] == "loyaltydog"]
    assert set(match) >= CONTRACT_KEYS
    assert match["kind"] == "gift_card"
    assert match["balance"] == card["balance"]
    assert match["masked_number"] == "•••• " + card["cardNumber"][-4:]


def _config_for(url: str, sandbox: Sandbox, path: Path) -> Path:
    seed = sandbox.seed_summary()
    ld, leal, ctb = seed["loyaltydog"], seed["leal"], seed["clienttoolbox"]
    path.write_text(
        f"""
[terminal]
id = "till-7"

[loyaltydog]
base_url = "{url}/loyaltydog"
program_id = "{ld["program_id"]}"
username = "{ld["username"]}"

[leal]
base_url = "{url}/leal"
account_id = {leal["account_id"]}

[clienttoolbox]
base_url = "{url}/clienttoolbox"
account_id = "{ctb["account_id"]}"
user_id = "{ctb["user_id"]}"
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def configured(
    sandbox_server: tuple[str, Sandbox], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Sandbox]:
    url, sandbox = sandbox_server
    seed = sandbox.seed_summary()
    monkeypatch.setenv("POS_APP_LOYALTYDOG_PASSWORD", seed["loyaltydog"]["password"])
    monkeypatch.setenv("POS_APP_LEAL_TOKEN", seed["leal"]["token"])
    monkeypatch.setenv("POS_APP_CLIENTTOOLBOX_API_KEY", seed["clienttoolbox"]["api_key"])
    return _config_for(url, sandbox, tmp_path / "till.toml"), sandbox


def test_config_lookup_prints_the_stamp_card(
    configured: tuple[Path, Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, sandbox = configured
    ana = next(c for c in sandbox.seed_summary()["leal"]["customers"] if c["id"] == 9001)
    code = main(["--config", str(config), "--data-dir", str(tmp_path), "lookup", ana["card_code"]])
    out = capsys.readouterr().out
    assert code == 0
    assert "Leal" in out
    assert "7/10 stamps" in out
    assert "Size upgrade (5) ✓" in out


def test_config_lookup_not_found_exits_1(
    configured: tuple[Path, Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, _ = configured
    code = main(["--config", str(config), "--data-dir", str(tmp_path), "lookup", "ZZZZ9999"])
    err = capsys.readouterr().err
    assert code == 1
    assert "No card found" in err
    assert "Traceback" not in err


def test_lookup_of_garbage_is_a_clear_refusal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--training", "--data-dir", str(tmp_path), "lookup", "💳"])
    assert code == 1
    assert "Scan a card" in capsys.readouterr().err


@pytest.mark.expected_logs
def test_missing_secret_is_explained(
    sandbox_server: tuple[str, Sandbox],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, sandbox = sandbox_server
    for name in (
        "POS_APP_LOYALTYDOG_PASSWORD",
        "POS_APP_LEAL_TOKEN",
        "POS_APP_CLIENTTOOLBOX_API_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    config = _config_for(url, sandbox, tmp_path / "till.toml")
    card = sandbox.seed_summary()["loyaltydog"]["cards"][0]["cardNumber"]
    code = main(["--config", str(config), "--data-dir", str(tmp_path), "lookup", card])
    err = capsys.readouterr().err
    assert code == 1
    assert "POS_APP_LOYALTYDOG_PASSWORD" in err
