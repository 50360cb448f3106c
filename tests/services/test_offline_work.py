"""The offline risk policy at work: what stays PENDING, what needs a manager, what is refused.

Everything runs against the emulators over HTTP with a real journal file; an outage is the
sandbox's own fault switch, so the client sees a real refused connection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from pos_app.domain import Provider
from pos_app.domain.policy import OfflineDecision
from pos_app.journal.pending_operations import EntryState
from pos_app.sandbox.state import Sandbox
from pos_app.services.card_actions import CardActions
from pos_app.services.till import Till
from tests.tills import (
    ANA_CODE,
    MAIN_CARD,
    POINTS,
    STORED_VALUE,
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
    till, actions = open_till(url, sandbox, tmp_path)
    try:
        yield url, till, actions
    finally:
        await till.close()


async def test_offline_stamps_wait_and_are_sent_exactly_once(counter: Any) -> None:
    url, till, actions = counter
    match = await find(till, ANA_CODE, Provider.LEAL)
    faults(url, "leal", outage=True)
    result = await actions.add_stamps(match, 2)
    assert result.state == "pending", result.message
    assert result.offline
    assert "exactly once" in result.message
    entry = till.operations.get(ref(result))
    assert entry.state is EntryState.PENDING
    assert entry.promised
    assert ledger(url) == []
    faults(url, "leal")
    till.engine.retry_now(entry.key)
    await till.engine.drain()
    assert till.operations.get(entry.key).state is EntryState.DONE
    assert [(e["operation"], e["stamps"]) for e in ledger(url)] == [("stamp", 2)]


async def test_offline_redemptions_never_exceed_the_cached_balance(counter: Any) -> None:
    url, till, actions = counter
    match = await find(till, MAIN_CARD, Provider.LOYALTYDOG)
    faults(url, "loyaltydog", outage=True)
    for _ in range(2):
        first = await actions.redeem(match, usd("40.00"))
        assert first.state == "pending", first.message
    third = await actions.redeem(match, usd("40.00"))
    assert third.state == "rejected"
    assert "Not enough balance for offline use: $ 20.00 available" in third.message
    assert "Nothing was charged" in third.message
    assert till.operations.get(ref(third)).state is EntryState.CANCELLED
    faults(url, "loyaltydog")
    till.engine.retry_now()
    await till.engine.drain()
    assert [(e["operation"], e["amount"]) for e in ledger(url)] == [("redeem", "40.00")] * 2


async def test_over_the_cap_needs_a_manager_and_the_override_is_audited(counter: Any) -> None:
    url, till, actions = counter
    match = await find(till, MAIN_CARD, Provider.LOYALTYDOG)
    faults(url, "loyaltydog", outage=True)
    refused = await actions.redeem(match, usd("60.00"))
    assert refused.state == "rejected"
    assert "need a manager PIN" in refused.message
    asked: list[OfflineDecision] = []

    async def manager_says_no(decision: OfflineDecision) -> str | None:
        asked.append(decision)
        return None

    async def manager_says_yes(decision: OfflineDecision) -> str | None:
        name: str | None
        name, message = till.verify_manager("0000")
        assert name is not None, message
        return name

    declined = await actions.redeem(match, usd("60.00"), approve=manager_says_no)
    assert declined.state == "rejected"
    assert "no manager approved it" in declined.message
    assert "above $ 50.00" in asked[0].message
    approved = await actions.redeem(match, usd("60.00"), approve=manager_says_yes)
    assert approved.state == "pending", approved.message
    (override,) = till.audit.recent(action="manager_override")
    assert override.cashier == "Training manager"
    assert override.detail["reference"] == ref(approved)


async def test_a_card_never_seen_online_cannot_be_spent_offline(
    sandbox_server: tuple[str, Sandbox], tmp_path: Path
) -> None:
    url, sandbox = sandbox_server
    seen, seen_actions = open_till(url, sandbox, tmp_path / "a")
    fresh, fresh_actions = open_till(url, sandbox, tmp_path / "b")
    try:
        match = await find(seen, MAIN_CARD, Provider.LOYALTYDOG)
        faults(url, "loyaltydog", outage=True)
        result = await fresh_actions.redeem(match, usd("5.00"))
        assert result.state == "rejected"
        assert "not been checked online on this till" in result.message
        assert (await seen_actions.redeem(match, usd("5.00"))).state == "pending"
    finally:
        await seen.close()
        await fresh.close()


async def test_require_online_refuses_offline_with_nothing_charged(
    sandbox_server: tuple[str, Sandbox], tmp_path: Path
) -> None:
    url, sandbox = sandbox_server
    till, actions = open_till(url, sandbox, tmp_path, policy={"stamp": {"mode": "require_online"}})
    try:
        match = await find(till, ANA_CODE, Provider.LEAL)
        faults(url, "leal", outage=True)
        result = await actions.add_stamps(match, 1)
        assert result.state == "rejected"
        assert "needs a connection" in result.message
        assert till.operations.get(ref(result)).state is EntryState.CANCELLED
        faults(url, "leal")
        await till.engine.drain()
        assert ledger(url) == []
    finally:
        await till.close()


async def test_allow_offline_does_not_wait_for_the_network(
    sandbox_server: tuple[str, Sandbox], tmp_path: Path
) -> None:
    url, sandbox = sandbox_server
    till, actions = open_till(url, sandbox, tmp_path, policy={"stamp": {"mode": "allow_offline"}})
    try:
        match = await find(till, ANA_CODE, Provider.LEAL)
        faults(url, "leal", latency_ms=3000)
        result = await actions.add_stamps(match, 1)
        assert result.state == "pending"
        entry = till.operations.get(ref(result))
        assert entry.attempts == 0  # answered before any network attempt
    finally:
        faults(url, "leal")
        await till.close()


async def test_a_back_end_known_to_be_down_answers_pending_at_once(counter: Any) -> None:
    url, till, actions = counter
    match = await find(till, ANA_CODE, Provider.LEAL)
    faults(url, "leal", outage=True)
    till.monitor.report_failure(Provider.LEAL, "refused")
    result = await actions.add_stamps(match, 1)
    assert result.state == "pending"
    assert till.operations.get(ref(result)).attempts == 0


async def test_offline_lookup_shows_the_cached_card_as_stale(counter: Any) -> None:
    url, till, _ = counter
    online = await find(till, STORED_VALUE, Provider.CLIENTTOOLBOX, kind="stored_value")
    assert online.stale_seconds is None
    faults(url, "clienttoolbox", outage=True)
    cached = await find(till, STORED_VALUE, Provider.CLIENTTOOLBOX, kind="stored_value")
    assert cached.stale_seconds is not None
    assert cached.balance == online.balance


async def test_offline_reward_needs_the_cached_points_minus_pending_spends(counter: Any) -> None:
    url, till, actions = counter
    match = await find(till, POINTS, Provider.CLIENTTOOLBOX, count=1250)
    reward = max((r for r in match.rewards if r.cost <= 1250), key=lambda r: r.cost)
    faults(url, "clienttoolbox", outage=True)
    spent = 0
    results = []
    while spent + reward.cost <= 1250:
        results.append(await actions.redeem_reward(match, reward.id))
        spent += reward.cost
    assert all(r.state == "pending" for r in results), [r.message for r in results]
    refused = await actions.redeem_reward(match, reward.id)
    assert refused.state == "rejected"
    assert "Not enough for offline use" in refused.message


async def test_rejected_at_sync_goes_to_needs_attention_with_the_reason(
    sandbox_server: tuple[str, Sandbox], tmp_path: Path
) -> None:
    url, sandbox = sandbox_server
    here, here_actions = open_till(url, sandbox, tmp_path / "a")
    there, there_actions = open_till(url, sandbox, tmp_path / "b")
    try:
        match = await find(here, MAIN_CARD, Provider.LOYALTYDOG)
        faults(url, "loyaltydog", outage=True)
        offline = await here_actions.redeem(match, usd("45.00"))
        assert offline.state == "pending"
        faults(url, "loyaltydog")
        spent = await there_actions.redeem(
            await find(there, MAIN_CARD, Provider.LOYALTYDOG), usd("90.00")
        )
        assert spent.ok, spent.message
        here.engine.retry_now(ref(offline))
        await here.engine.drain()
        entry = here.operations.get(ref(offline))
        assert entry.state is EntryState.NEEDS_ATTENTION
        assert entry.reason
        assert "balance" in entry.reason.lower()
        assert "did not pay $ 45.00: collect it from the customer another way" in entry.reason
        assert [e["amount"] for e in ledger(url)] == ["90.00"]
    finally:
        await here.close()
        await there.close()


async def test_a_till_that_knows_the_back_end_is_offline_says_so(counter: Any) -> None:
    """Nothing was tried (the monitor already knows), so there is no failure to quote."""
    url, till, actions = counter
    match = await find(till, ANA_CODE, Provider.LEAL)
    faults(url, "leal", outage=True)
    while not till.monitor.is_offline(Provider.LEAL):
        till.monitor.report_failure(Provider.LEAL, "Leal cannot be reached")
    result = await actions.add_stamps(match, 1)
    assert result.state == "pending", result.message
    assert till.operations.get(ref(result)).reason is None
    assert result.message.startswith("PENDING: Leal is offline. Add 1 stamp"), result.message
    faults(url, "leal")
