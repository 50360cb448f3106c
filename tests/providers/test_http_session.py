"""The shared HTTP behaviour, over real sockets: faults from the sandbox, hostile bodies."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from pos_app.providers.errors import (
    BackendUnavailable,
    BadResponse,
    OutcomeUnknown,
    RateLimited,
    TooSlow,
)
from pos_app.providers.http import (
    ApiSession,
    RetryPolicy,
    Timeouts,
    make_client,
    parse_retry_after,
)
from pos_app.sandbox.state import Sandbox
from tests.hostile_server import hostile_server

FAST = RetryPolicy(attempts=3, base=0.01, cap=0.02)


@pytest.fixture(scope="module")
def hostile() -> Iterator[str]:
    with hostile_server() as url:
        yield url


def _session(base: str, **kw: object) -> ApiSession:
    timeouts = kw.pop("timeouts", Timeouts(connect=1, read=2, write=2, pool=1, total=3))
    assert isinstance(timeouts, Timeouts)
    return ApiSession("test", make_client(base, timeouts=timeouts), timeouts=timeouts, **kw)  # type: ignore[arg-type]


def _faults(url: str, **faults: object) -> None:
    httpx.post(f"{url}/_sandbox/faults", json={"api": "leal", **faults}).raise_for_status()


async def test_read_survives_a_flaky_backend(sandbox_server: tuple[str, Sandbox]) -> None:
    url, sandbox = sandbox_server
    sandbox.faults.rng.seed(7)
    _faults(url, error_rate=0.5)
    session = _session(url, retry=RetryPolicy(attempts=8, base=0.001, cap=0.005))
    statuses = [
        (await session.send("GET", "/leal/api/v1/status", mutating=False)).status for _ in range(10)
    ]
    assert statuses == [200] * 10


async def test_dropped_write_is_outcome_unknown_not_failure(
    sandbox_server: tuple[str, Sandbox],
) -> None:
    url, _ = sandbox_server
    _faults(url, drop_rate=1.0)
    with pytest.raises(OutcomeUnknown):
        await _session(url).send("POST", "/leal/api/v1/status", mutating=True, json={})


async def test_dropped_read_is_unavailable_after_retries(
    sandbox_server: tuple[str, Sandbox],
) -> None:
    url, _ = sandbox_server
    _faults(url, drop_rate=1.0)
    with pytest.raises(BackendUnavailable) as exc:
        await _session(url, retry=FAST).send("GET", "/leal/api/v1/status", mutating=False)
    assert not isinstance(exc.value, OutcomeUnknown)


async def test_outage_is_unavailable(sandbox_server: tuple[str, Sandbox]) -> None:
    url, _ = sandbox_server
    _faults(url, outage=True)
    with pytest.raises(BackendUnavailable):
        await _session(url).send("POST", "/leal/api/v1/status", mutating=True, json={})


async def test_rate_limit_reports_retry_after(sandbox_server: tuple[str, Sandbox]) -> None:
    url, _ = sandbox_server
    _faults(url, rate_limit_rate=1.0, retry_after=7)
    with pytest.raises(RateLimited) as exc:
        await _session(url).send("POST", "/leal/api/v1/status", mutating=True, json={})
    assert exc.value.retry_after == 7


async def test_read_waits_out_retry_after(sandbox_server: tuple[str, Sandbox]) -> None:
    url, _ = sandbox_server
    _faults(url, rate_limit_rate=1.0, retry_after=3)
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    session = _session(url, retry=FAST, sleep=record)
    with pytest.raises(RateLimited):
        await session.send("GET", "/leal/api/v1/status", mutating=False)
    assert waits == [3, 3]


async def test_connection_refused_is_unavailable() -> None:
    with pytest.raises(BackendUnavailable):
        await _session("http://127.0.0.1:9", retry=FAST).send("GET", "/", mutating=False)


async def test_slow_read_times_out_as_unavailable(sandbox_server: tuple[str, Sandbox]) -> None:
    url, _ = sandbox_server
    _faults(url, latency_ms=3000)
    timeouts = Timeouts(connect=1, read=0.5, write=1, pool=1, total=2)
    session = _session(url, timeouts=timeouts, retry=RetryPolicy(attempts=1))
    with pytest.raises(BackendUnavailable):
        await session.send("GET", "/leal/api/v1/status", mutating=False)


@pytest.mark.expected_logs
async def test_huge_body_is_refused_without_reading_it_all(hostile: str) -> None:
    started = time.monotonic()
    with pytest.raises(BadResponse, match="too large"):
        await _session(hostile, retry=RetryPolicy(attempts=1)).send(
            "GET", "/big?mb=50", mutating=False, max_body=1024 * 1024
        )
    assert time.monotonic() - started < 5


@pytest.mark.expected_logs
async def test_huge_body_to_a_write_is_outcome_unknown(hostile: str) -> None:
    with pytest.raises(OutcomeUnknown):
        await _session(hostile).send("GET", "/big?mb=10", mutating=True, max_body=1024 * 1024)


async def test_gzip_bomb_is_capped(hostile: str) -> None:
    with pytest.raises(BadResponse, match="too large"):
        await _session(hostile, retry=RetryPolicy(attempts=1)).send(
            "GET", "/gzip-bomb", mutating=False, max_body=4 * 1024 * 1024
        )


async def test_corrupt_gzip_is_bad_response_for_reads_unknown_for_writes(hostile: str) -> None:
    session = _session(hostile, retry=RetryPolicy(attempts=1))
    with pytest.raises(BadResponse, match="corrupt"):
        await session.send("GET", "/broken-gzip", mutating=False)
    with pytest.raises(OutcomeUnknown):
        await session.send("GET", "/broken-gzip", mutating=True)


async def test_slowloris_is_cut_by_the_total_deadline(hostile: str) -> None:
    timeouts = Timeouts(connect=1, read=2, write=1, pool=1, total=1.5)
    started = time.monotonic()
    with pytest.raises(BackendUnavailable):
        await _session(hostile, timeouts=timeouts, retry=RetryPolicy(attempts=1)).send(
            "GET", "/slow", mutating=False
        )
    assert time.monotonic() - started < 4


async def test_a_dripping_read_is_not_asked_again(hostile: str) -> None:
    """Three attempts at a 1.5 s deadline would hold the till 4.5 s; one is all it gets."""
    timeouts = Timeouts(connect=1, read=2, write=1, pool=1, total=1.5)
    started = time.monotonic()
    with pytest.raises(TooSlow, match="too slowly"):
        await _session(hostile, timeouts=timeouts, retry=FAST).send("GET", "/slow", mutating=False)
    assert time.monotonic() - started < 2.5


async def test_request_id_is_sent_and_kept(hostile: str) -> None:
    response = await _session(hostile).send("GET", "/fixed/truncated", mutating=False)
    assert len(response.request_id) == 32
    assert response.body.startswith(b'{"id"')


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5.0),
        ("0", 0.0),
        ("-3", 0.0),
        ("99999", 60.0),
        ("soon", None),
        (None, None),
        ("nan", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected
