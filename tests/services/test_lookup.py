"""Lookup across the three emulators over real HTTP: concurrency, partial failure, matching."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from pos_app.domain import Provider
from pos_app.providers.errors import BackendError
from pos_app.providers.factory import Backends, build_backends
from pos_app.sandbox.state import Sandbox
from pos_app.services.lookup import LookupInputError, Match, lookup
from pos_app.training import sandbox_config, sandbox_credentials


def sandbox_backends(url: str, sandbox: Sandbox) -> Backends:
    seed = sandbox.seed_summary()
    return build_backends(sandbox_config(seed, url), sandbox_credentials(seed))


@pytest.fixture
async def world(
    sandbox_server: tuple[str, Sandbox],
) -> AsyncIterator[tuple[str, Sandbox, Backends, dict[str, Any]]]:
    url, sandbox = sandbox_server
    backends = sandbox_backends(url, sandbox)
    try:
        yield url, sandbox, backends, sandbox.seed_summary()
    finally:
        await backends.aclose()


async def test_gift_card_found_with_balance_and_masked_number(world: Any) -> None:
    _, _, backends, seed = world
    card = next(c for c in seed["loyaltydog"]["cards"] if c["balance"] == "100.00")
    result = await lookup(card["cardNumber"], backends)
    gift = [m for m in result.matches if m.provider is Provider.LOYALTYDOG]
    assert len(gift) == 1
    data = gift[0].as_json()
    assert data["balance"] == "100.00"
    assert data["kind"] == "gift_card"
    assert data["masked_number"].endswith(card["cardNumber"][-4:])
    assert data["status"] == "active"
    assert card["cardNumber"] not in str([m.as_json() for m in result.matches])
    assert set(result.searched) == {Provider.LOYALTYDOG, Provider.LEAL, Provider.CLIENTTOOLBOX}


async def test_stamp_card_found_by_card_code_with_rewards(world: Any) -> None:
    _, _, backends, seed = world
    ana = next(c for c in seed["leal"]["customers"] if c["id"] == 9001)
    result = await lookup(ana["card_code"], backends)
    (stamp,) = [m for m in result.matches if m.provider is Provider.LEAL]
    assert (stamp.stamps, stamp.stamps_required) == (7, 10)
    redeemable = {r.name for r in stamp.rewards if r.redeemable}
    assert "Size upgrade" in redeemable
    assert "Free coffee" not in redeemable
    assert "Free coffee" in {r.name for r in stamp.rewards}


async def test_points_customer_found_by_card_number(world: Any) -> None:
    _, _, backends, _ = world
    result = await lookup("3141592653", backends)  # Amy Acker
    points = [m for m in result.matches if m.provider is Provider.CLIENTTOOLBOX]
    assert points, result.as_json()
    tillcard_points = [m for m in points if m.kind == "points" and m.count == 1250]
    assert tillcard_points
    assert {r.id for r in tillcard_points[0].rewards} >= {"41", "42"}


async def test_one_backend_down_does_not_hide_the_others(world: Any) -> None:
    url, _, backends, seed = world
    httpx.post(f"{url}/_sandbox/faults", json={"api": "clienttoolbox", "outage": True})
    card = seed["loyaltydog"]["cards"][0]
    result = await lookup(card["cardNumber"], backends)
    assert [m.provider for m in result.matches] == [Provider.LOYALTYDOG]
    assert Provider.CLIENTTOOLBOX in result.errors
    assert "unavailable" in result.errors[Provider.CLIENTTOOLBOX].lower()


async def test_results_arrive_as_each_backend_answers(world: Any) -> None:
    url, _, backends, seed = world
    httpx.post(f"{url}/_sandbox/faults", json={"api": "leal", "latency_ms": 600})
    arrivals: list[tuple[Provider, float]] = []
    started = time.monotonic()

    def seen(provider: Provider, outcome: list[Match] | BackendError) -> None:
        arrivals.append((provider, time.monotonic() - started))

    await lookup(seed["loyaltydog"]["cards"][0]["cardNumber"], backends, on_result=seen)
    order = [provider for provider, _ in arrivals]
    assert order[-1] is Provider.LEAL
    assert arrivals[0][1] < 0.5 <= arrivals[-1][1]


async def test_nothing_found_names_what_was_searched(world: Any) -> None:
    _, _, backends, _ = world
    result = await lookup("9999888877776666", backends)
    assert result.matches == []
    assert "searched LoyaltyDog, Leal, ClientToolbox" in result.summary()
    assert "9999888877776666" not in result.summary()


@pytest.mark.parametrize("text", ["", "   ", "\x00\x01", "💳💳💳", "x" * 10_000])
async def test_unusable_input_is_refused_before_any_request(world: Any, text: str) -> None:
    _, _, backends, _ = world
    with pytest.raises(LookupInputError, match="Scan a card"):
        await lookup(text, backends)
