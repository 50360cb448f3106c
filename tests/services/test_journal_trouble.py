"""A journal that stops accepting writes, and PIN guessing across processes: nothing is lost,
nothing is doubled, and the cashier is told exactly what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from pos_app.domain import Provider
from pos_app.journal.pending_operations import Entry, EntryState
from pos_app.sandbox.state import Sandbox
from tests.tills import MAIN_CARD, find, ledger, open_till, ref, usd


@pytest.mark.expected_logs
async def test_a_journal_that_refuses_the_first_write_sends_nothing(
    sandbox_server: tuple[str, Sandbox], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url, sandbox = sandbox_server
    till, actions = open_till(url, sandbox, tmp_path)
    try:
        match = await find(till, MAIN_CARD, Provider.LOYALTYDOG)
        # SQLite's own read-only switch: the same refusal a full or read-only disk gives.
        till.db.execute("PRAGMA query_only = ON")
        result = await actions.redeem(match, usd("5.00"))
        assert result.state == "rejected"
        assert "nothing was sent or charged" in result.message
        assert ledger(url) == []
        assert "journal write failed before" in caplog.text
    finally:
        till.db.execute("PRAGMA query_only = OFF")
        await till.close()


@pytest.mark.expected_logs
async def test_a_journal_failing_mid_send_says_do_not_repeat_and_settles_on_restart(
    sandbox_server: tuple[str, Sandbox], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url, sandbox = sandbox_server
    till, actions = open_till(url, sandbox, tmp_path)
    match = await find(till, MAIN_CARD, Provider.LOYALTYDOG)

    def disk_fills_up(entry: Entry) -> None:
        if entry.state is EntryState.IN_FLIGHT:
            till.db.execute("PRAGMA query_only = ON")

    till.engine.listeners.append(disk_fills_up)
    result = await actions.redeem(match, usd("5.00"))
    assert result.state == "pending"
    assert "Do NOT repeat it" in result.message
    assert till.engine.journal_problem is not None
    assert "sending paused for 30 s" in caplog.text
    assert len(ledger(url)) == 1  # it did go through; only the journal lags behind
    till.db.execute("PRAGMA query_only = OFF")
    await till.close()

    again, _ = open_till(url, sandbox, tmp_path)
    try:
        assert again.operations.get(ref(result)).state is EntryState.IN_FLIGHT
        await again.engine.drain()  # takes the lock: in flight becomes unknown, then settled
        entry = again.operations.get(ref(result))
        assert entry.state is EntryState.DONE
        assert len(ledger(url)) == 1
    finally:
        await again.close()


async def test_wrong_pins_lock_out_every_process_on_the_till(
    sandbox_server: tuple[str, Sandbox], tmp_path: Path
) -> None:
    url, sandbox = sandbox_server
    first, _ = open_till(url, sandbox, tmp_path)
    second, _ = open_till(url, sandbox, tmp_path)  # another process: its own in-memory count
    try:
        assert first.verify_manager("0000")[0] == "Training manager"
        for _ in range(5):
            name, _message = first.verify_manager("9999")
            assert name is None
        name, message = second.verify_manager("0000")
        assert name is None
        assert "Too many wrong PINs" in message
        assert [line.action for line in second.audit.recent(1)] == ["manager_pin_locked"]
    finally:
        await first.close()
        await second.close()
