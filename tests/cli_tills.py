"""Tills run the way a store runs them: ``pos-app`` processes, a TOML file, secrets in the env.

The emulators are the session's ``pos-app sandbox`` equivalent (uvicorn on 127.0.0.1); every
process here talks HTTP to it and writes a real journal file in its own data folder.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from pos_app.sandbox.state import Sandbox
from pos_app.training import sandbox_config

MAIN_CARD = "6215943836307608"  # LoyaltyDog seed 0: 100.00 USD
ANA_CODE = "ZTLKCIUD"  # Leal seed 0: Ana, customer card 555, 7 of 10 stamps
HANA_CODE = "J82BBN5T"  # Leal seed 0: Hana has two stamp cards (coffee and haircut)
STORED_VALUE = "12345678"  # ClientToolbox seed 0: Jane Doe's gift card campaign, EUR 37.50
POINTS = "3141592653"  # ClientToolbox seed 0: Amy Acker, 1250 Tillcard Points
#: Retries fast enough for a test, slow enough to be real back-off.
FAST_SYNC: Mapping[str, Any] = {"first_retry_seconds": 0.05, "max_retry_seconds": 0.5}


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a TOML basic string


def to_toml(data: Mapping[str, Any], prefix: str = "") -> str:
    """Enough TOML for a configuration: tables, strings, numbers, booleans, lists; None left out."""
    lines = []
    tables = []
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, Mapping):
            tables.append((f"{prefix}{key}", value))
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    text = "\n".join(lines) + ("\n" if lines else "")
    for name, table in tables:
        text += f"\n[{name}]\n" + to_toml(table, f"{name}.")
    return text


def write_config(
    url: str,
    sandbox: Sandbox,
    path: Path,
    *,
    terminal_id: str = "till-1",
    **sections: Mapping[str, Any],
) -> Path:
    """The sandbox configuration as a store would write it, with fast retries and overrides.

    Overrides merge one level deep: ``policy={"redeem": {...}}`` replaces ``[policy.redeem]``.
    """
    data = sandbox_config(sandbox.seed_summary(), url, terminal_id=terminal_id).model_dump(
        mode="json"
    )
    data["sync"] = dict(FAST_SYNC)
    data["policy"]["patience_seconds"] = 1
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    path.write_text(to_toml(data), encoding="utf-8")
    return path


def secrets_env(sandbox: Sandbox) -> dict[str, str]:
    """The emulators' public test secrets, where a headless till reads them."""
    seed = sandbox.seed_summary()
    return {
        "POS_APP_LOYALTYDOG_PASSWORD": seed["loyaltydog"]["password"],
        "POS_APP_LEAL_TOKEN": seed["leal"]["token"],
        "POS_APP_CLIENTTOOLBOX_API_KEY": seed["clienttoolbox"]["api_key"],
    }


@dataclass
class Till:
    """One store till: a configuration file and a data folder, driven through ``pos-app``."""

    config: Path
    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)

    def process_env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """This till's secrets; no PIN or configuration leaks in from the developer's shell."""
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **self.env}
        env.pop("POS_APP_MANAGER_PIN", None)
        env.pop("POS_APP_CONFIG", None)
        return env | dict(extra or {})

    def argv(self, *args: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "pos_app",
            "--config",
            str(self.config),
            "--data-dir",
            str(self.data_dir),
            *args,
        ]

    def run(
        self,
        *args: str,
        stdin: str | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 60,
        preexec_fn: Callable[[], Any] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(*args),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.process_env(env),
            check=False,
            preexec_fn=preexec_fn,  # a resource limit, set in the child before exec
        )

    def json(self, *args: str, **kwargs: Any) -> tuple[int, Any]:
        done = self.run(*args, "--json", **kwargs)
        assert "Traceback" not in done.stderr, done.stderr
        return done.returncode, json.loads(done.stdout) if done.stdout.strip() else None

    def start(self, *args: str, log: Path) -> subprocess.Popen[bytes]:
        """A long-running ``pos-app`` (e.g. ``sync``), its output in ``log`` (never a full pipe)."""
        with log.open("ab") as out:
            return subprocess.Popen(
                self.argv(*args), stdout=out, stderr=subprocess.STDOUT, env=self.process_env()
            )

    def sync_until_empty(self, tries: int = 20) -> subprocess.CompletedProcess[str]:
        """``pos-app sync --once`` until it exits 0; back-offs may need a few rounds."""
        done = self.run("sync", "--once")
        for _ in range(tries):
            if done.returncode == 0:
                break
            time.sleep(0.3)
            done = self.run("sync", "--once")
        return done


def wait_for_text(path: Path, text: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(encoding="utf-8", errors="replace"):
            return
        time.sleep(0.02)
    raise AssertionError(f"{text!r} never appeared in {path}")


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> int:
    if process.poll() is None:
        process.send_signal(sig)
    return process.wait(timeout=20)


def faults(url: str, api: str = "all", **settings: Any) -> None:
    httpx.post(f"{url}/_sandbox/faults", json={"api": api, **settings}).raise_for_status()


def ledger(url: str) -> list[dict[str, Any]]:
    return list(httpx.get(f"{url}/_sandbox/ledger").json()["entries"])
