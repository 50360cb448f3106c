"""The ``pos-app`` contract: version, help, exit codes, sandbox, self-check, as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from pos_app.__about__ import __version__
from pos_app.cli import main
from pos_app.journal.database import MIGRATIONS
from pos_app.sandbox.server import free_port


def _run(*args: str, data_dir: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "POS_APP_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "pos_app", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


def test_version(tmp_path: Path) -> None:
    result = _run("--version", data_dir=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"Tillcard {__version__}"


def test_help_lists_every_contract_command(tmp_path: Path) -> None:
    result = _run("--help", data_dir=tmp_path)
    assert result.returncode == 0
    for command in (
        "sandbox",
        "lookup",
        "redeem",
        "stamp",
        "redeem-reward",
        "sync",
        "queue",
        "receipt",
        "staff",
        "report",
        "gdpr-export",
        "self-check",
        "--training",
        "--config",
        "--data-dir",
    ):
        assert command in result.stdout


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["stamp", "CODE", "not-a-number"])
    assert exc.value.code == 2
    assert "invalid int value" in capsys.readouterr().err


def test_gui_without_config_is_a_clear_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POS_APP_CONFIG", raising=False)
    assert main(["--data-dir", str(tmp_path)]) == 2
    assert "--training" in capsys.readouterr().err


def test_broken_config_exits_1_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[terminal]\ncurrency = 12\n", encoding="utf-8")
    result = _run("--config", str(bad), "self-check", data_dir=tmp_path)
    assert result.returncode == 1
    assert "terminal.currency" in result.stderr
    assert "Traceback" not in result.stderr


def test_self_check_builds_the_window_and_logs(tmp_path: Path) -> None:
    result = _run("self-check", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "self-check ok" in result.stdout
    assert f"ok  journal     schema {len(MIGRATIONS)} in" in result.stdout
    for check in ("window", "qt plugins", "printing", "training", "tls", "keyring"):
        assert f"ok  {check}" in result.stdout
    assert (tmp_path / "journal.sqlite3").is_file()
    log_file = tmp_path / "logs" / "tillcard.log"
    assert "self-check" in log_file.read_text(encoding="utf-8")


def test_sandbox_refuses_non_loopback(tmp_path: Path) -> None:
    result = _run("sandbox", "--host", "0.0.0.0", data_dir=tmp_path)
    assert result.returncode == 2
    assert "loopback" in result.stderr


def test_sandbox_serves_all_three_apis(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "POS_APP_DATA_DIR": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pos_app", "sandbox", "--port", str(port), "--seed", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        seed = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                seed = httpx.get(f"{base}/_sandbox/seed", timeout=2).json()
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert seed is not None, "sandbox did not come up"
        assert seed["seed"] == 3
        ld = seed["loyaltydog"]
        assert len(ld["cards"]) >= 25
        token = httpx.post(
            f"{base}/loyaltydog/v2/token",
            data={"username": ld["username"], "password": ld["password"]},
        ).json()["accessToken"]
        number = ld["cards"][0]["cardNumber"]
        found = httpx.get(
            f"{base}/loyaltydog/v2/giftcards/programs/{ld['program_id']}/search",
            params={"q": number},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert found.status_code == 200
        assert number in found.text
        leal = seed["leal"]
        customers = httpx.get(
            f"{base}/leal/api/v1/accounts/{leal['account_id']}/customers",
            headers={"Authorization": f"Bearer {leal['token']}"},
        )
        assert customers.status_code == 200
        assert customers.json()["pagination"]["count"] >= 12
        ctb = seed["clienttoolbox"]
        campaigns = httpx.post(
            f"{base}/clienttoolbox/",
            data={
                "type": "campaigns_list",
                "user_id": ctb["user_id"],
                "account_id": ctb["account_id"],
            },
            headers={"api_access_key": ctb["api_key"]},
        )
        assert '<response status="success">' in campaigns.text
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_training_window_opens_paints_and_closes_cleanly(tmp_path: Path) -> None:
    """The real GUI process: first paint happens, closing the window exits 0, no traceback."""
    ready = tmp_path / "ready"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "POS_APP_DATA_DIR": str(tmp_path),
        "POS_APP_BENCH_READY_FILE": str(ready),
    }
    result = subprocess.run(
        [sys.executable, "-m", "pos_app", "--training"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert float(ready.read_text(encoding="utf-8")) > 0
    assert "Traceback" not in result.stderr


def test_self_check_explains_a_journal_it_cannot_open(tmp_path: Path) -> None:
    (tmp_path / "journal.sqlite3").mkdir()
    result = _run("self-check", data_dir=tmp_path)
    assert result.returncode == 1
    assert "journal" in result.stderr
    assert "Traceback" not in result.stderr
