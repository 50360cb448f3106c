"""The connectivity monitor against the real emulators: outages come and go, the states follow."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from pos_app.credentials import Credentials
from pos_app.domain import Provider
from pos_app.journal.connectivity import (
    BackendStatus,
    ConnectivityMonitor,
    Reachability,
    backoff_delay,
)
from pos_app.providers.factory import Backends, build_backends
from pos_app.providers.protocols import Backend
from pos_app.sandbox.state import Sandbox
from pos_app.training import TrainingWorld, sandbox_config, sandbox_credentials

LEAL = Provider.LEAL


class Counted:
    """A real client with its checks counted, so a test can see whether the monitor probed."""

    def __init__(self, inner: Backend) -> None:
        self.inner = inner
        self.provider = inner.provider
        self.checks = 0
        self.bug: Exception | None = None

    async def check(self) -> None:
        self.checks += 1
        if self.bug is not None:
            raise self.bug
        await self.inner.check()

    async def aclose(self) -> None:
        await self.inner.aclose()


def _backends(url: str, sandbox: Sandbox, credentials: Credentials | None = None) -> Backends:
    seed = sandbox.seed_summary()
    return build_backends(sandbox_config(seed, url), credentials or sandbox_credentials(seed))


@pytest.fixture
async def clients(sandbox_server: tuple[str, Sandbox]) -> AsyncIterator[dict[Provider, Counted]]:
    url, sandbox = sandbox_server
    backends = _backends(url, sandbox)
    try:
        yield {b.provider: Counted(b) for b in backends.enabled()}
    finally:
        await backends.aclose()


def _fast(
    backends: list[Counted], on_change: Callable[[BackendStatus], None] | None = None
) -> ConnectivityMonitor:
    """Short timings keep the tests quick; the logic does not depend on the scale."""
    return ConnectivityMonitor(
        backends, interval=0.3, first_retry=0.05, max_retry=0.2, on_change=on_change
    )


def _faults(http: httpx.Client, api: str, **settings: Any) -> None:
    http.post("/_sandbox/faults", json={"api": api, **settings}).raise_for_status()


async def _until(condition: Callable[[], bool], timeout: float = 8.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_outage_goes_offline_then_online_once_each(
    clients: dict[Provider, Counted], sandbox_http: httpx.Client
) -> None:
    changes: list[BackendStatus] = []
    monitor = _fast(list(clients.values()), changes.append)
    assert {s.state for s in monitor.statuses()} == {Reachability.UNKNOWN}
    task = asyncio.create_task(monitor.run())
    await _until(lambda: all(s.state is Reachability.ONLINE for s in monitor.statuses()))
    assert sorted(c.provider for c in changes) == sorted(clients)

    _faults(sandbox_http, "leal", outage=True)
    await _until(lambda: monitor.is_offline(LEAL))
    offline = monitor.status(LEAL)
    assert offline.reason is not None
    assert "unavailable" in offline.reason
    assert offline.last_ok is not None
    assert offline.last_ok <= offline.since
    probes = clients[LEAL].checks
    await _until(lambda: clients[LEAL].checks >= probes + 2)  # still failing, retried
    assert not monitor.is_offline(Provider.LOYALTYDOG)
    assert not monitor.is_offline(Provider.CLIENTTOOLBOX)

    _faults(sandbox_http, "leal", outage=False)
    await _until(lambda: monitor.status(LEAL).state is Reachability.ONLINE)
    await _stop(task)
    back = monitor.status(LEAL)
    assert back.reason is None
    assert back.since > offline.since
    leal_states = [c.state for c in changes if c.provider is LEAL]
    assert leal_states == [Reachability.ONLINE, Reachability.OFFLINE, Reachability.ONLINE]
    assert [c.state for c in changes if c.provider is not LEAL] == [Reachability.ONLINE] * 2


@pytest.mark.expected_logs
async def test_wrong_credentials_count_as_offline(sandbox_server: tuple[str, Sandbox]) -> None:
    url, sandbox = sandbox_server
    seed = sandbox.seed_summary()
    wrong = Credentials(
        {
            "loyaltydog": seed["loyaltydog"]["password"],
            "leal": "not-the-token",
            "clienttoolbox": seed["clienttoolbox"]["api_key"],
        }
    )
    backends = _backends(url, sandbox, wrong)
    assert backends.stamp_cards is not None
    monitor = ConnectivityMonitor([backends.stamp_cards], first_retry=0.05, max_retry=0.2)
    task = asyncio.create_task(monitor.run())
    try:
        await _until(lambda: monitor.is_offline(LEAL))
    finally:
        await _stop(task)
        await backends.aclose()
    status = monitor.status(LEAL)
    assert status.reason
    assert status.last_ok is None


async def test_probe_soon_wakes_the_loop_early(
    clients: dict[Provider, Counted], sandbox_http: httpx.Client
) -> None:
    monitor = ConnectivityMonitor(list(clients.values()), interval=60, first_retry=60, max_retry=60)
    task = asyncio.create_task(monitor.run())
    try:
        await _until(lambda: all(s.state is Reachability.ONLINE for s in monitor.statuses()))
        _faults(sandbox_http, "leal", outage=True)
        await asyncio.sleep(0.2)
        assert monitor.status(LEAL).state is Reachability.ONLINE  # next probe is a minute away
        monitor.probe_soon(LEAL)
        await _until(lambda: monitor.is_offline(LEAL))
        assert clients[Provider.LOYALTYDOG].checks == 1

        _faults(sandbox_http, "leal", outage=False)
        before = {p: c.checks for p, c in clients.items()}
        monitor.probe_soon()
        await _until(lambda: all(c.checks > before[p] for p, c in clients.items()))
        await _until(lambda: monitor.status(LEAL).state is Reachability.ONLINE)
    finally:
        await _stop(task)


async def test_real_traffic_reports_flip_the_state_without_probes() -> None:
    # Built but never run: the reports alone must drive the state; nothing is sent.
    world = TrainingWorld()
    backends = build_backends(world.config(), world.credentials())
    changes: list[BackendStatus] = []
    monitor = ConnectivityMonitor(backends.enabled(), on_change=changes.append)
    try:
        monitor.report_failure(LEAL, "Leal cannot be reached")
        assert monitor.is_offline(LEAL)
        first = monitor.status(LEAL)
        monitor.report_failure(LEAL, "Leal did not answer in time")
        assert monitor.status(LEAL).reason == "Leal did not answer in time"
        assert monitor.status(LEAL).since == first.since
        monitor.report_ok(LEAL)
        monitor.report_ok(LEAL)
        ok = monitor.status(LEAL)
        assert (ok.state, ok.reason) == (Reachability.ONLINE, None)
        assert ok.last_ok is not None
        assert [(c.provider, c.state) for c in changes] == [
            (LEAL, Reachability.OFFLINE),
            (LEAL, Reachability.ONLINE),
        ]
        assert monitor.status(Provider.LOYALTYDOG).state is Reachability.UNKNOWN
        assert not monitor.is_offline(Provider.LOYALTYDOG)
    finally:
        await backends.aclose()


async def test_traffic_keeps_an_online_backend_from_being_probed(
    clients: dict[Provider, Counted],
) -> None:
    leal = clients[LEAL]
    monitor = _fast([leal])
    task = asyncio.create_task(monitor.run())
    try:
        await _until(lambda: monitor.status(LEAL).state is Reachability.ONLINE)
        probes = leal.checks
        for _ in range(6):
            monitor.report_ok(LEAL)
            await asyncio.sleep(0.1)
        assert leal.checks == probes
        await _until(lambda: leal.checks > probes)  # idle again: probed after `interval`
    finally:
        await _stop(task)


@pytest.mark.expected_logs
async def test_unexpected_error_is_logged_and_offline(
    clients: dict[Provider, Counted], caplog: pytest.LogCaptureFixture
) -> None:
    leal = clients[LEAL]
    # No emulator fault makes a client raise a non-BackendError; this stands in for a bug.
    leal.bug = KeyError("status")
    monitor = _fast([leal])
    task = asyncio.create_task(monitor.run())
    try:
        with caplog.at_level(logging.WARNING, logger="pos_app.journal.connectivity"):
            await _until(lambda: monitor.is_offline(LEAL))
        assert "KeyError" in (monitor.status(LEAL).reason or "")
        assert any(r.levelno == logging.WARNING for r in caplog.records)
        leal.bug = None
        await _until(lambda: monitor.status(LEAL).state is Reachability.ONLINE)
        assert not task.done()
    finally:
        await _stop(task)


@pytest.mark.expected_logs
async def test_failing_listener_does_not_stop_the_monitor(
    clients: dict[Provider, Counted],
) -> None:
    def broken(status: BackendStatus) -> None:
        raise RuntimeError("listener bug")

    monitor = _fast(list(clients.values()), broken)
    task = asyncio.create_task(monitor.run())
    try:
        await _until(lambda: all(s.state is Reachability.ONLINE for s in monitor.statuses()))
        assert not task.done()
    finally:
        await _stop(task)


async def test_cancel_during_a_slow_probe_is_clean(
    clients: dict[Provider, Counted], sandbox_http: httpx.Client
) -> None:
    _faults(sandbox_http, "all", latency_ms=1500)
    monitor = _fast(list(clients.values()))
    others = asyncio.all_tasks()
    task = asyncio.create_task(monitor.run())
    await _until(lambda: all(c.checks == 1 for c in clients.values()))
    started = time.monotonic()
    await _stop(task)
    assert time.monotonic() - started < 1.0
    assert asyncio.all_tasks() == others
    assert {s.state for s in monitor.statuses()} == {Reachability.UNKNOWN}


def test_backoff_doubles_with_full_jitter_within_bounds() -> None:
    rng = random.Random(7)
    assert backoff_delay(0, 2.0, 120.0, rng) == 2.0
    for attempt, ceiling in [(1, 4.0), (3, 16.0), (6, 120.0), (50, 120.0), (10_000, 120.0)]:
        delays = [backoff_delay(attempt, 2.0, 120.0, rng) for _ in range(200)]
        assert all(2.0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8  # jitter spreads up to the ceiling
        assert len(set(delays)) > 100


async def test_nonsense_settings_are_refused() -> None:
    world = TrainingWorld()
    backends = build_backends(world.config(), world.credentials())
    leal = backends.stamp_cards
    assert leal is not None
    try:
        with pytest.raises(ValueError, match="twice"):
            ConnectivityMonitor([leal, leal])
        with pytest.raises(ValueError, match="positive"):
            ConnectivityMonitor([leal], interval=0)
        with pytest.raises(ValueError, match="max_retry"):
            ConnectivityMonitor([leal], first_retry=10, max_retry=5)
    finally:
        await backends.aclose()
