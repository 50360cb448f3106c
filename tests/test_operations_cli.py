"""``pos-app redeem / stamp / redeem-reward / sync / queue / manager-pin`` as a script uses them.

Against the emulators over HTTP, with a real journal in tmp_path. Most calls run ``main()`` in
this process (fast); the ones about processes (signals, the sync lock) run real ``pos-app``s.
"""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from pos_app.cli import main
from pos_app.journal.audit_trail import AuditTrail
from pos_app.journal.database import JOURNAL_FILE, open_journal
from pos_app.journal.pending_operations import EntryState, PendingOperations
from pos_app.journal.staff import Staff
from pos_app.sandbox.state import Sandbox
from tests.cli_tills import (
    ANA_CODE,
    HANA_CODE,
    MAIN_CARD,
    STORED_VALUE,
    Till,
    faults,
    ledger,
    secrets_env,
    stop,
    wait_for_text,
    write_config,
)

RESULT_KEYS = {"reference", "provider", "state", "message", "balance_after"}


class Counter:
    """One till driven through ``main()``: what a script would type, what it would read."""

    def __init__(self, config: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.config = config
        self.data_dir = data_dir
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(["--config", str(self.config), "--data-dir", str(self.data_dir), *args])
        out, err = self.capsys.readouterr()
        assert "Traceback" not in err
        return code, out, err

    def json(self, *args: str) -> tuple[int, Any]:
        code, out, _ = self(*args, "--json")
        return code, json.loads(out)


@pytest.fixture
def till(
    sandbox_server: tuple[str, Sandbox],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Counter:
    return counter_at(sandbox_server, tmp_path, capsys, monkeypatch)


def counter_at(
    sandbox_server: tuple[str, Sandbox],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Counter:
    """A till configured for the emulators, its secrets in the environment, no manager PIN."""
    url, sandbox = sandbox_server
    for name, value in secrets_env(sandbox).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("POS_APP_MANAGER_PIN", raising=False)
    config = write_config(url, sandbox, tmp_path / "till.toml")
    return Counter(config, tmp_path / "data", capsys)


def test_online_redemption_answers_in_the_contract_shape(
    till: Counter, sandbox_server: tuple[str, Sandbox]
) -> None:
    url, _ = sandbox_server
    code, answer = till.json("redeem", MAIN_CARD, "12.50")
    assert code == 0
    assert set(answer) >= RESULT_KEYS
    assert (answer["provider"], answer["state"], answer["balance_after"]) == (
        "loyaltydog",
        "done",
        "87.50",
    )
    assert [(e["amount"], e["idempotency_key"]) for e in ledger(url)] == [
        ("12.50", answer["reference"])
    ]


def test_stored_value_is_redeemed_in_its_own_currency(
    till: Counter, sandbox_server: tuple[str, Sandbox]
) -> None:
    url, _ = sandbox_server
    code, out, _ = till("redeem", STORED_VALUE, "7.50")
    assert code == 0
    assert "Redeemed € 7.50. New balance € 30.00." in out
    assert [(e["api"], e["amount"]) for e in ledger(url)] == [("clienttoolbox", "7.50")]


def test_stamp_then_reward_in_text(till: Counter, sandbox_server: tuple[str, Sandbox]) -> None:
    url, _ = sandbox_server
    code, out, _ = till("stamp", ANA_CODE, "1")
    assert code == 0
    assert out.splitlines()[0] == "Added 1 stamp: 8 of 10."
    assert out.splitlines()[1].startswith("Reference: ")
    code, out, _ = till("redeem-reward", ANA_CODE, "19")  # Free pastry, 8 stamps
    assert code == 0, out
    assert "Free pastry" in out
    assert [(e["operation"], e["stamps"]) for e in ledger(url)] == [
        ("stamp", 1),
        ("redeem_reward", 8),
    ]


@pytest.mark.parametrize("typed", ["12.345", "1,234.50", "-5", "five", "0", "6215943836307608"])
def test_an_amount_the_keypad_would_refuse_is_a_usage_error(
    typed: str, till: Counter, sandbox_server: tuple[str, Sandbox]
) -> None:
    url, _ = sandbox_server
    code, _, err = till("redeem", MAIN_CARD, typed)
    assert code == 2
    assert "is not an amount" in err
    assert till.json("queue") == (0, {"operations": []})
    assert ledger(url) == []


def test_a_comma_till_reads_amounts_as_its_cashiers_type_them(
    till: Counter, sandbox_server: tuple[str, Sandbox], tmp_path: Path
) -> None:
    url, sandbox = sandbox_server
    config = write_config(
        url, sandbox, tmp_path / "comma.toml", terminal={"decimal_separator": ","}
    )
    comma = Counter(config, till.data_dir, till.capsys)
    assert comma("redeem", MAIN_CARD, "1.234")[0] == 2  # 1234 or 1.234? never guessed
    code, answer = comma.json("redeem", MAIN_CARD, "7,50")
    assert (code, answer["balance_after"]) == (0, "92.50")
    assert [e["amount"] for e in ledger(url)] == ["7.50"]


def test_a_code_with_two_stamp_cards_must_say_which(
    till: Counter, sandbox_server: tuple[str, Sandbox]
) -> None:
    url, _ = sandbox_server
    code, _, err = till("stamp", HANA_CODE, "1")
    assert code == 2
    assert "Coffee Card" in err
    assert "Haircut Card" in err
    assert "--card" in err
    assert ledger(url) == []
    code, answer = till.json("stamp", HANA_CODE, "1", "--card", "haircut")
    assert (code, answer["state"]) == (0, "done")
    assert [(e["card"], e["stamps"]) for e in ledger(url)] == [("561", 1)]


@pytest.mark.parametrize(
    ("argv", "exit_code", "says"),
    [
        (["redeem", ANA_CODE, "5"], 1, "No gift card or stored-value balance found"),
        (["redeem-reward", ANA_CODE, "99"], 1, "rewards 18, 19, 17"),
        (["stamp", MAIN_CARD, "1"], 1, "No stamp card found"),
        (["stamp", ANA_CODE, "0"], 2, "1 or more"),
        (["redeem", MAIN_CARD, "5", "--provider", "clienttoolbox"], 1, "with those options"),
        (["redeem", "ZZZZ9999", "5"], 1, "No card found"),
    ],
)
def test_nothing_to_act_on_is_refused_before_anything_is_journaled(
    argv: list[str],
    exit_code: int,
    says: str,
    till: Counter,
    sandbox_server: tuple[str, Sandbox],
) -> None:
    url, _ = sandbox_server
    code, _, err = till(*argv)
    assert code == exit_code
    assert says in err
    assert till.json("queue") == (0, {"operations": []})
    assert ledger(url) == []


def test_a_refusal_exits_1_with_the_reason(
    till: Counter, sandbox_server: tuple[str, Sandbox]
) -> None:
    url, _ = sandbox_server
    code, answer = till.json("redeem", MAIN_CARD, "100.01")
    assert code == 1
    assert answer["state"] == "rejected"
    assert "balance" in answer["message"].lower()
    assert ledger(url) == []


def test_offline_redemption_waits_in_the_queue_and_syncs_once(
    till: Counter, sandbox_server: tuple[str, Sandbox]
) -> None:
    url, _ = sandbox_server
    assert till("lookup", MAIN_CARD)[0] == 0  # seen online: the till may use it offline
    faults(url, "loyaltydog", outage=True)
    code, out, err = till("redeem", MAIN_CARD, "20.00")
    assert code == 0
    assert out.startswith("PENDING: LoyaltyDog is temporarily unavailable. Redeem $ 20.00")
    assert "`pos-app sync`" in out
    assert "last saw it" in err

    code, out, _ = till("queue")
    assert code == 0
    header, line, *_ = out.splitlines()
    assert header.split() == ["REF", "STATE", "AGE", "BACK-END", "CARD", "WHAT"]
    assert "pending" in line
    assert "•••• 7608" in line
    assert "Redeem $ 20.00" in line
    assert out.splitlines()[-1] == "1 pending."
    code, queue = till.json("queue")
    (waiting,) = queue["operations"]
    assert {"reference", "state", "provider", "kind", "age_seconds"} <= set(waiting)
    assert (waiting["state"], waiting["kind"], waiting["amount"]) == ("pending", "redeem", "20.00")

    code, out, err = till("sync", "--once")
    assert code == 1  # still offline: nothing could be sent
    assert "1 still waiting" in out
    assert "could not be sent yet" in err
    faults(url, "loyaltydog")
    code, out, _ = till("sync", "--once")
    assert code == 0
    assert "Sync: 1 done, 0 rejected, 0 need attention, 0 still waiting." in out
    assert till("queue")[1].startswith("Nothing is waiting")
    assert [e["idempotency_key"] for e in ledger(url)] == [waiting["reference"]]


def test_lookup_remembers_the_card_for_an_offline_lookup(
    till: Counter, sandbox_server: tuple[str, Sandbox]
) -> None:
    url, _ = sandbox_server
    assert till("lookup", ANA_CODE)[0] == 0
    faults(url, "all", outage=True)
    code, out, err = till("lookup", ANA_CODE, "--json")
    assert code == 0
    (match,) = json.loads(out)["matches"]
    assert (match["provider"], match["stamps"]) == ("leal", 7)
    assert match["stale_seconds"] is not None
    assert "last known state" in err


def _pin(till: Counter, monkeypatch: pytest.MonkeyPatch, name: str, typed: str) -> tuple[int, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(typed))
    code, _, err = till("manager-pin", name)
    return code, err


def test_manager_pin_is_set_from_two_lines_and_stored_hashed(
    till: Counter, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _pin(till, monkeypatch, "Maria", "2468\n1357\n") == (
        1,
        "pos-app: The two PINs are different; nothing was changed\n",
    )
    assert "digits 0-9" in _pin(till, monkeypatch, "Maria", "24a8\n24a8\n")[1]
    assert "twice" in _pin(till, monkeypatch, "Maria", "2468\n")[1]
    assert _pin(till, monkeypatch, " ", "2468\n2468\n")[0] == 2
    assert _pin(till, monkeypatch, "Maria", "2468\n2468\n") == (0, "")
    journal = open_journal(till.data_dir)
    try:
        ((name, stored),) = Staff(journal).managers()
        assert name == "Maria"
        assert stored.startswith("scrypt$")
        (line,) = AuditTrail(journal, "x").recent(action="manager_pin_set")
        assert line.detail == {"manager": "Maria"}
    finally:
        journal.close()


def test_offline_over_the_cap_needs_a_manager_pin(
    till: Counter, sandbox_server: tuple[str, Sandbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    """60.00 offline is over the 50.00 cap: refused without a PIN, PENDING with Maria's."""
    url, _ = sandbox_server
    assert _pin(till, monkeypatch, "Maria", "2468\n2468\n")[0] == 0
    assert till("lookup", MAIN_CARD)[0] == 0
    faults(url, "loyaltydog", outage=True)

    code, _, err = till("redeem", MAIN_CARD, "60.00")
    assert code == 1
    assert "need a manager PIN" in err
    assert "--manager-pin" in err
    code, _, err = till("redeem", MAIN_CARD, "60.00", "--manager-pin", "1111")
    assert code == 1
    assert "Wrong PIN" in err
    assert till.json("queue") == (0, {"operations": []})  # both cancelled, nothing waiting

    monkeypatch.setenv("POS_APP_MANAGER_PIN", "2468")
    code, answer = till.json("redeem", MAIN_CARD, "60.00")
    assert (code, answer["state"], answer["approved_by"]) == (0, "pending", "Maria")
    journal = open_journal(till.data_dir)
    try:
        (override,) = AuditTrail(journal, "x").recent(action="manager_override")
        assert override.cashier == "Maria"
        assert override.detail["reference"] == answer["reference"]
    finally:
        journal.close()
    assert ledger(url) == []


def test_sync_runs_until_stopped_and_keeps_the_journal_to_itself(
    sandbox_server: tuple[str, Sandbox], tmp_path: Path
) -> None:
    """``pos-app sync`` holds the journal's sync lock: a second sender is refused, a ``redeem``
    is sent by the running sync, and SIGTERM or Ctrl+C (SIGINT) end it cleanly with exit 0."""
    url, sandbox = sandbox_server
    config = write_config(url, sandbox, tmp_path / "till.toml", policy={"patience_seconds": 5})
    till = Till(config, tmp_path / "data", secrets_env(sandbox))
    for sig in (signal.SIGTERM, signal.SIGINT):
        log = tmp_path / f"sync-{sig.name}.log"
        process = till.start("sync", log=log)
        try:
            wait_for_text(log, "Sending the journal")
            if sig is signal.SIGTERM:
                for argv in (["sync", "--once"], ["sync"]):
                    second = till.run(*argv)
                    assert second.returncode == 1
                    assert "Another Tillcard process" in second.stderr
                redeemed = till.run("redeem", MAIN_CARD, "1.00")
                assert redeemed.returncode == 0
                assert redeemed.stdout.startswith("Redeemed $ 1.00."), redeemed.stdout
        finally:
            code = stop(process, sig)
        text = log.read_text(encoding="utf-8")
        assert code == 0, text
        assert "Stopped: 0 operation(s) still waiting" in text
        assert "Traceback" not in text
    assert [e["amount"] for e in ledger(url)] == ["1.00"]


def test_ctrl_c_while_waiting_says_where_the_redemption_stands(
    sandbox_server: tuple[str, Sandbox], tmp_path: Path
) -> None:
    """Ctrl+C with the request on the wire: it may be on the card, so the cashier is told not to
    repeat it, and the next sync finishes it exactly once."""
    url, sandbox = sandbox_server
    config = write_config(url, sandbox, tmp_path / "till.toml", policy={"patience_seconds": 10})
    till = Till(config, tmp_path / "data", secrets_env(sandbox))
    # Wide enough that a loaded machine still sees the request on the wire before it answers
    # (1.5 s once lost that race under a parallel test run).
    faults(url, "loyaltydog", latency_ms=3000)
    process = subprocess.Popen(
        till.argv("redeem", MAIN_CARD, "5.00"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=till.process_env(),
    )
    deadline = time.monotonic() + 30
    in_flight = False
    while not in_flight and time.monotonic() < deadline:
        time.sleep(0.05)
        if (till.data_dir / JOURNAL_FILE).exists():
            journal = open_journal(till.data_dir)
            try:
                listed = PendingOperations(journal).listing()
            finally:
                journal.close()
            in_flight = any(e.state is EntryState.IN_FLIGHT for e in listed)
    assert in_flight, "the redemption never went on the wire"
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 1
    assert out == ""
    assert err.startswith("pos-app: Interrupted. Redeem $ 5.00")
    assert "do not repeat it" in err
    assert "Traceback" not in err
    faults(url, "loyaltydog")
    assert till.sync_until_empty().returncode == 0
    assert [e["amount"] for e in ledger(url)] == ["5.00"]
