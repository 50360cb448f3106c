"""The sync engine against the emulators: order per card, parallel cards, reconciliation."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from pos_app.domain import Provider
from pos_app.journal.pending_operations import Entry, EntryState, utc_now
from pos_app.journal.sync import Backoff, SyncEngine
from pos_app.providers.factory import build_backends
from pos_app.sandbox.state import Sandbox
from pos_app.services.card_actions import CardActions
from pos_app.services.delivery import deliveries_for
from pos_app.services.lookup import Match
from pos_app.services.till import Till
from pos_app.training import sandbox_credentials
from tests.qt_loop import eventually
from tests.tills import (
    ANA_CODE,
    MAIN_CARD,
    STORED_VALUE,
    counter_at,
    faults,
    find,
    ledger,
    open_till,
    ref,
    usd,
)


@pytest.fixture
async def counter(
    sandbox_server: tuple[str, Sandbox], tmp_path: Path
) -> AsyncIterator[tuple[str, Till, CardActions]]:
    url, sandbox = sandbox_server
    till, actions = open_till(url, sandbox, tmp_path, policy={"stamp": {"mode": "allow_offline"}})
    try:
        yield url, till, actions
    finally:
        await till.close()


async def leal_cards(till: Till, sandbox: Sandbox, count: int) -> list[Match]:
    customers = sandbox.seed_summary()["leal"]["customers"]
    found: list[Match] = []
    for customer in customers:
        if customer["card_code"] and len(found) < count:
            found.append(await find(till, customer["card_code"], Provider.LEAL))
    return found


def test_full_jitter_stays_within_its_ceiling() -> None:
    backoff = Backoff(1.0, 8.0)
    for failures, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (30, 8.0)]:
        delays = [backoff.delay(failures) for _ in range(200)]
        assert max(delays) <= ceiling
        assert min(delays) >= ceiling / 2
        assert len(set(delays)) > 100  # jittered, so tills do not retry in lock-step


async def test_one_card_keeps_its_order_and_others_run_in_parallel(
    counter: Any, sandbox_server: tuple[str, Sandbox]
) -> None:
    url, till, actions = counter
    _, sandbox = sandbox_server
    cards = await leal_cards(till, sandbox, 6)
    for match in cards:
        for stamps in (1, 2, 3):
            assert (await actions.add_stamps(match, stamps)).state == "pending"
    faults(url, "leal", latency_ms=150)
    flying: set[str] = set()
    most = 0

    def watch(entry: Entry) -> None:
        nonlocal most
        if entry.state is EntryState.IN_FLIGHT:
            flying.add(entry.key)
        else:
            flying.discard(entry.key)
        most = max(most, len(flying))

    till.engine.listeners.append(watch)
    till.engine.concurrency = 3
    report = await till.engine.drain()
    assert report.done == 18
    assert 2 <= most <= 3
    by_card: dict[str, list[int]] = {}
    for line in ledger(url):
        by_card.setdefault(line["card"], []).append(line["stamps"])
    assert sorted(by_card.values()) == [[1, 2, 3]] * 6


async def test_an_unreachable_back_end_does_not_hold_up_the_others(counter: Any) -> None:
    url, till, actions = counter
    ana = await find(till, ANA_CODE, Provider.LEAL)
    gift = await find(till, MAIN_CARD, Provider.LOYALTYDOG)
    faults(url, "leal", outage=True)
    stamped = await actions.add_stamps(ana, 1)
    redeemed = await actions.redeem(gift, usd("5.00"))
    assert redeemed.ok, redeemed.message
    await till.engine.drain()
    waiting = till.operations.get(ref(stamped))
    assert waiting.state is EntryState.PENDING
    assert waiting.reason
    assert "Leal" in waiting.reason
    faults(url, "leal")
    till.engine.retry_now()
    await till.engine.drain()
    assert till.operations.get(ref(stamped)).state is EntryState.DONE


@pytest.mark.expected_logs
async def test_leal_lost_answer_is_reconciled_by_rereading_the_card(counter: Any) -> None:
    url, till, actions = counter
    ana = await find(till, ANA_CODE, Provider.LEAL)
    faults(url, "leal", apply_then_drop_rate=1.0, writes_only=True)
    result = await actions.add_stamps(ana, 2)
    await till.engine.drain()
    entry = till.operations.get(ref(result))
    assert entry.state is EntryState.UNKNOWN
    assert entry.before == {"stamps": 7, "stamps_required": 10}
    faults(url, "leal")
    till.engine.retry_now()
    await till.engine.drain()
    entry = till.operations.get(ref(result))
    assert entry.state is EntryState.DONE
    assert entry.result == {"stamps_after": 9, "reconciled": "card re-read"}
    assert [line["stamps"] for line in ledger(url)] == [2]


@pytest.mark.expected_logs
async def test_leal_card_changed_elsewhere_needs_attention_with_both_states(
    counter: Any,
) -> None:
    url, till, actions = counter
    ana = await find(till, ANA_CODE, Provider.LEAL)
    faults(url, "leal", apply_then_drop_rate=1.0, writes_only=True)
    result = await actions.add_stamps(ana, 2)
    await till.engine.drain()
    faults(url, "leal")
    customer, _, card = till.operations.get(ref(result)).card.partition("/")
    assert till.backends.stamp_cards is not None
    await till.backends.stamp_cards.add_stamps(customer, card, 1)  # another till, meanwhile
    till.engine.retry_now()
    await till.engine.drain()
    entry = till.operations.get(ref(result))
    assert entry.state is EntryState.NEEDS_ATTENTION
    assert entry.reason
    assert "had 7 stamps before sending and has 10 now" in entry.reason
    assert entry.result == {"stamps_before": 7, "stamps_now": 10, "stamps_expected": 9}


@pytest.mark.parametrize("fault", ["apply_then_drop_rate", "drop_rate"])
async def test_clienttoolbox_lost_answer_is_found_by_its_reference(
    counter: Any, fault: str
) -> None:
    url, till, actions = counter
    match = await find(till, STORED_VALUE, Provider.CLIENTTOOLBOX, kind="stored_value")
    assert match.balance is not None
    faults(url, "clienttoolbox", **{fault: 1.0})
    result = await actions.redeem(match, match.balance.__class__(match.balance.amount / 4, "EUR"))
    assert result.state == "pending"
    faults(url, "clienttoolbox")
    till.engine.retry_now()
    await till.engine.drain()
    entry = till.operations.get(ref(result))
    assert entry.state is EntryState.DONE, entry.reason
    lines = [line for line in ledger(url) if line["api"] == "clienttoolbox"]
    assert [line["reference"] for line in lines] == [result.reference]


@pytest.mark.expected_logs
async def test_a_crash_while_sending_is_checked_not_resent_blindly(
    counter: Any, sandbox_server: tuple[str, Sandbox], tmp_path: Path
) -> None:
    url, till, actions = counter
    _, sandbox = sandbox_server
    ana = await find(till, ANA_CODE, Provider.LEAL)
    result = await actions.add_stamps(ana, 3)
    entry = till.operations.get(ref(result))
    assert entry.state is EntryState.PENDING
    # The process "dies" right after the request left: the row says in flight, the card has it.
    assert till.backends.stamp_cards is not None
    customer, _, card = entry.card.partition("/")
    before = await till.backends.stamp_cards.stamp_card(customer, card)
    assert till.operations.mark_in_flight(entry.key, {"stamps": before[0].stamps_count})
    await till.backends.stamp_cards.add_stamps(customer, card, 3)
    till.engine.release()
    backends = build_backends(till.config, sandbox_credentials(sandbox.seed_summary()))
    restarted = SyncEngine(
        till.operations,
        deliveries_for(backends.gift_cards, backends.stamp_cards, backends.points),
        lock_path=tmp_path / "sync.lock",
    )
    try:
        await restarted.drain()
    finally:
        restarted.release()
        await backends.aclose()
    done = till.operations.get(entry.key)
    assert done.state is EntryState.DONE
    assert [line["stamps"] for line in ledger(url)] == [3]


async def test_only_one_process_sends_a_journal(counter: Any, tmp_path: Path) -> None:
    _, till, _ = counter
    assert till.engine.acquire()
    other = SyncEngine(till.operations, {}, lock_path=tmp_path / "sync.lock")
    assert not other.acquire()
    with pytest.raises(RuntimeError, match="another Tillcard process"):
        await other.drain()
    till.engine.release()
    assert other.acquire()
    other.release()


async def test_rate_limit_waits_at_least_retry_after(counter: Any) -> None:
    url, till, actions = counter
    ana = await find(till, ANA_CODE, Provider.LEAL)
    faults(url, "leal", rate_limit_rate=1.0, retry_after=30, writes_only=True)
    result = await actions.add_stamps(ana, 1)
    await till.engine.drain()
    entry = till.operations.get(ref(result))
    assert entry.state is EntryState.PENDING
    # Once: the 429 that shows Leal is up must not also cut the wait it asks for.
    assert entry.attempts == 1
    assert entry.next_attempt_at is not None
    assert entry.next_attempt_at - utc_now() > timedelta(seconds=25)
    assert ledger(url) == []


async def test_the_cashier_waits_for_the_answer_within_patience(counter: Any) -> None:
    url, till, actions = counter
    gift = await find(till, MAIN_CARD, Provider.LOYALTYDOG)
    faults(url, "loyaltydog", latency_ms=300)
    started = asyncio.get_running_loop().time()
    result = await actions.redeem(gift, usd("1.00"))
    elapsed = asyncio.get_running_loop().time() - started
    assert result.ok, result.message
    assert result.balance_after == usd("99.00")
    assert 0.3 <= elapsed < 5


async def test_background_sync_idles_while_a_back_end_is_down(
    counter: Any, sandbox_server: tuple[str, Sandbox]
) -> None:
    url, till, actions = counter
    _, sandbox = sandbox_server
    for match in await leal_cards(till, sandbox, 3):
        assert (await actions.add_stamps(match, 1)).state == "pending"
    faults(url, "leal", outage=True)
    statements: list[str] = []
    till.db.set_trace_callback(statements.append)  # real SQLite tracing, not a stand-in
    task = asyncio.create_task(till.engine.run())
    await asyncio.sleep(1.5)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    till.db.set_trace_callback(None)
    assert till.operations.counts()[EntryState.PENDING] == 3
    assert len(statements) < 100, f"{len(statements)} statements in 1.5 s: the loop spins"
    faults(url, "leal")
    task = asyncio.create_task(till.engine.run())
    till.engine.retry_now()
    for _ in range(100):
        if till.operations.counts().get(EntryState.DONE) == 3:
            break
        await asyncio.sleep(0.05)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert till.operations.counts().get(EntryState.DONE) == 3


async def test_a_back_end_that_answers_again_gets_its_queue_at_once(
    sandbox_server: tuple[str, Sandbox], tmp_path: Path
) -> None:
    """In a long outage each entry backs off for minutes; the monitor's first good probe sends
    them, rather than each sitting out its own wait after the network is back."""
    url, sandbox = sandbox_server
    patient = {"first_retry_seconds": 60, "max_retry_seconds": 300}
    offline_stamps = {"stamp": {"mode": "allow_offline"}}
    async with counter_at(sandbox_server, tmp_path, sync=patient, policy=offline_stamps) as at:
        till = at.till
        cards = await leal_cards(till, sandbox, 3)
        faults(url, "leal", outage=True)
        keys = [ref(await at.actions.add_stamps(card, 1)) for card in cards]
        await till.engine.drain()  # each card tried once, in vain
        till.engine.release()
        for entry in map(till.operations.get, keys):
            assert entry.state is EntryState.PENDING
            assert entry.next_attempt_at is not None
            assert entry.next_attempt_at - utc_now() > timedelta(seconds=25)
        assert till.monitor.is_offline(Provider.LEAL)
        faults(url, "leal")
        till.start()
        await eventually(
            lambda: all(till.operations.get(k).state is EntryState.DONE for k in keys), timeout=10
        )
        assert len(ledger(url)) == 3


async def test_saved_settings_ask_every_back_end_again_at_once(counter: Any) -> None:
    """New secrets are read on each use: the monitor must not wait out its 30 s interval."""
    _, till, _ = counter
    till.start()
    await eventually(lambda: all(s.last_ok is not None for s in till.monitor.statuses()))
    before = {s.provider: s.last_ok for s in till.monitor.statuses()}
    till.settings_changed()
    await eventually(
        lambda: all(s.last_ok != before[s.provider] for s in till.monitor.statuses()), timeout=5
    )


@pytest.mark.parametrize(("fault", "applied"), [("apply_then_drop_rate", 1), ("drop_rate", 0)])
async def test_an_expired_loyaltydog_key_is_checked_in_the_history_first(
    counter: Any, fault: str, applied: int
) -> None:
    url, till, actions = counter
    gift = await find(till, MAIN_CARD, Provider.LOYALTYDOG)
    faults(url, "loyaltydog", **{fault: 1.0})
    result = await actions.redeem(gift, usd("7.00"))
    assert result.state == "pending"
    assert len(ledger(url)) == applied
    # Two days later the server has forgotten the key: a blind resend could debit twice.
    with till.db:
        till.db.execute(
            "UPDATE operations SET first_sent_at = ?, state = 'unknown' WHERE key = ?",
            ((utc_now() - timedelta(days=2)).isoformat(), ref(result)),
        )
    faults(url, "loyaltydog")
    till.engine.retry_now()
    await till.engine.drain()
    entry = till.operations.get(ref(result))
    assert entry.state is EntryState.DONE
    assert len(ledger(url)) == 1
    assert (entry.result or {}).get("reconciled") == ("found in history" if applied else None)


async def test_an_operation_right_after_another_on_one_card_is_sent_at_once(
    counter: Any,
) -> None:
    """The card's worker may have returned without its done-callback having run yet; a send
    in that instant must still start one (it used to wait the whole patience, then cancel)."""
    url, till, actions = counter
    match = await find(till, MAIN_CARD, Provider.LOYALTYDOG)
    sale = await actions.redeem(match, usd("3.00"))
    assert sale.undo is not None, sale.message
    faults(url, "loyaltydog", outage=True)
    refused = await actions.undo(sale.undo)  # refunds need the back-end: cancelled
    assert refused.state == "rejected", refused.message
    faults(url, "loyaltydog")
    began = asyncio.get_running_loop().time()
    undone = await actions.undo(sale.undo)
    assert undone.state == "done", undone.message
    assert asyncio.get_running_loop().time() - began < 2.0  # patience is 5 s
    assert [(e["operation"], e["amount"]) for e in ledger(url)] == [
        ("redeem", "3.00"),
        ("refund", "3.00"),
    ]


async def test_an_operation_cancelled_at_the_till_stays_cancelled_when_its_read_fails(
    sandbox_server: tuple[str, Sandbox], tmp_path: Path
) -> None:
    """Found by the fault matrix: the cashier said "Nothing was charged" while Leal's card was
    still being read before the send; that read then failed, and the engine's "try again later"
    put the cancelled entry back in the queue, so the reward was redeemed after all."""
    url, sandbox = sandbox_server
    policy = {"patience_seconds": 1, "redeem_reward": {"mode": "require_online"}}
    till, actions = open_till(url, sandbox, tmp_path, policy=policy)
    try:
        ana = await find(till, ANA_CODE, Provider.LEAL)
        faults(url, "leal", latency_ms=1200, error_rate=1.0)  # the read outlasts the patience
        result = await actions.redeem_reward(ana, "18")
        assert result.state == "rejected", result.message
        assert "Nothing was charged" in result.message
        await till.engine.drain()  # the read fails now, after the cashier's answer
        faults(url, "leal")
        till.engine.retry_now()
        await till.engine.drain()
        assert till.operations.get(ref(result)).state is EntryState.CANCELLED
        assert ledger(url) == []
    finally:
        await till.close()
