"""The cashier's verbs against the emulators: money moves once, refusals explain themselves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from pos_app.domain import Money, Provider
from pos_app.providers.factory import Backends
from pos_app.sandbox.state import Sandbox
from pos_app.services.card_actions import CardActions
from pos_app.services.lookup import Match, lookup
from pos_app.services.till import Till
from pos_app.training import sandbox_config
from tests.services.test_lookup import sandbox_backends
from tests.tills import ref


@pytest.fixture
async def counter(
    sandbox_server: tuple[str, Sandbox], tmp_path: Path
) -> AsyncIterator[tuple[str, Backends, CardActions, dict[str, Any]]]:
    url, sandbox = sandbox_server
    backends = sandbox_backends(url, sandbox)
    till = Till.open(tmp_path, sandbox_config(sandbox.seed_summary(), url), backends)
    try:
        yield url, backends, CardActions(till), sandbox.seed_summary()
    finally:
        await till.close()


def ledger(url: str) -> list[dict[str, Any]]:
    return list(httpx.get(f"{url}/_sandbox/ledger").json()["entries"])


async def find(backends: Backends, code: str, provider: Provider, **want: Any) -> Match:
    result = await lookup(code, backends)
    for match in result.matches:
        if match.provider is provider and all(getattr(match, k) == v for k, v in want.items()):
            return match
    raise AssertionError(f"no {provider} match in {result.as_json()}")


def usd(text: str) -> Money:
    return Money(Decimal(text), "USD")


async def test_partial_gift_card_redemption_then_undo(counter: Any) -> None:
    url, backends, actions, seed = counter
    number = next(c["cardNumber"] for c in seed["loyaltydog"]["cards"] if c["balance"] == "100.00")
    match = await find(backends, number, Provider.LOYALTYDOG)
    result = await actions.redeem(match, usd("25.50"))
    assert result.ok, result.message
    assert result.message == "Redeemed $ 25.50. New balance $ 74.50."
    assert result.match is not None
    assert result.match.balance == usd("74.50")
    assert [(e["operation"], e["amount"]) for e in ledger(url)] == [("redeem", "25.50")]
    assert result.undo is not None
    undone = await actions.undo(result.undo)
    assert undone.ok, undone.message
    assert "New balance $ 100.00" in undone.message
    assert [e["operation"] for e in ledger(url)] == ["redeem", "refund"]


async def test_over_balance_is_refused_before_sending(counter: Any) -> None:
    url, backends, actions, seed = counter
    number = next(c["cardNumber"] for c in seed["loyaltydog"]["cards"] if c["balance"] == "0.01")
    match = await find(backends, number, Provider.LOYALTYDOG)
    result = await actions.redeem(match, usd("5.00"))
    assert result.state == "rejected"
    assert "balance" in result.message.lower()
    assert ledger(url) == []


async def test_suspended_card_is_refused_with_its_status(counter: Any) -> None:
    url, backends, actions, seed = counter
    number = next(
        c["cardNumber"] for c in seed["loyaltydog"]["cards"] if c["status"] == "suspended"
    )
    match = await find(backends, number, Provider.LOYALTYDOG)
    result = await actions.redeem(match, usd("1.00"))
    assert result.state == "rejected"
    assert "suspended" in result.message.lower()
    assert ledger(url) == []


async def test_dropped_answer_is_pending_then_resent_with_the_same_key_once(
    counter: Any,
) -> None:
    url, backends, actions, seed = counter
    number = next(c["cardNumber"] for c in seed["loyaltydog"]["cards"] if c["balance"] == "100.00")
    match = await find(backends, number, Provider.LOYALTYDOG)
    httpx.post(f"{url}/_sandbox/faults", json={"api": "loyaltydog", "apply_then_drop_rate": 1.0})
    first = await actions.redeem(match, usd("10.00"))
    assert first.state == "pending"
    assert "exactly once" in first.message
    httpx.post(f"{url}/_sandbox/faults", json={"api": "loyaltydog"})
    actions.till.engine.retry_now(ref(first))
    await actions.till.engine.drain()
    assert actions.till.operations.get(ref(first)).state.value == "done"
    refreshed = await actions.refresh(match)
    assert refreshed.match is not None
    assert refreshed.match.balance == usd("90.00")
    assert len(ledger(url)) == 1


async def test_stored_value_redemption_and_undo_on_clienttoolbox(counter: Any) -> None:
    url, backends, actions, _ = counter
    match = await find(backends, "12345678", Provider.CLIENTTOOLBOX, kind="stored_value")
    assert match.balance is not None
    before = match.balance
    amount = Money(Decimal("7.50"), before.currency)
    result = await actions.redeem(match, amount)
    assert result.ok, result.message
    assert result.match is not None
    assert result.match.balance == before - amount
    (entry,) = ledger(url)
    assert entry["operation"] == "redeem"
    assert entry["reference"]
    assert result.undo is not None
    undone = await actions.undo(result.undo)
    assert undone.ok, undone.message
    again = await actions.refresh(match)
    assert again.match is not None
    assert again.match.balance == before


async def test_stamps_and_reward_on_leal(counter: Any) -> None:
    url, backends, actions, seed = counter
    ana = next(c for c in seed["leal"]["customers"] if c["id"] == 9001)
    match = await find(backends, ana["card_code"], Provider.LEAL)
    stamped = await actions.add_stamps(match, 1)
    assert stamped.ok, stamped.message
    assert stamped.message == "Added 1 stamp: 8 of 10."
    assert stamped.match is not None
    assert stamped.match.stamps == 8
    pastry = next(r for r in stamped.match.rewards if r.name == "Free pastry")
    assert pastry.redeemable
    rewarded = await actions.redeem_reward(stamped.match, pastry.id)
    assert rewarded.ok, rewarded.message
    assert rewarded.match is not None
    assert rewarded.match.stamps == 0
    assert [e["operation"] for e in ledger(url)] == ["stamp", "redeem_reward"]


async def test_reward_without_enough_stamps_is_refused_locally(counter: Any) -> None:
    url, backends, actions, seed = counter
    ana = next(c for c in seed["leal"]["customers"] if c["id"] == 9001)
    match = await find(backends, ana["card_code"], Provider.LEAL)
    coffee = next(r for r in match.rewards if r.name == "Free coffee")
    result = await actions.redeem_reward(match, coffee.id)
    assert result.state == "rejected"
    assert "10" in result.message
    assert ledger(url) == []


async def test_points_reward_on_clienttoolbox(counter: Any) -> None:
    url, backends, actions, _ = counter
    match = await find(backends, "3141592653", Provider.CLIENTTOOLBOX, count=1250)
    reward = next(r for r in match.rewards if r.cost == 100)
    result = await actions.redeem_reward(match, reward.id)
    assert result.ok, result.message
    assert result.match is not None
    assert result.match.count == 1150
    (entry,) = ledger(url)
    assert entry["operation"] == "redeem"


async def test_refund_needs_the_back_end_and_says_nothing_changed(counter: Any) -> None:
    url, backends, actions, seed = counter
    number = next(c["cardNumber"] for c in seed["loyaltydog"]["cards"] if c["balance"] == "100.00")
    match = await find(backends, number, Provider.LOYALTYDOG)
    done = await actions.redeem(match, usd("5.00"))
    assert done.undo is not None
    httpx.post(f"{url}/_sandbox/faults", json={"api": "loyaltydog", "outage": True})
    result = await actions.undo(done.undo)
    assert result.state == "rejected"
    assert "Nothing was charged" in result.message
    assert actions.till.operations.get(ref(result)).state.value == "cancelled"
    assert [e["operation"] for e in ledger(url)] == ["redeem"]
