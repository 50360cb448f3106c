"""The Leal client against the real emulator over loopback HTTP, faults included.

No mocks: requests go to ``sandbox_server`` (uvicorn on 127.0.0.1). ``Recorder`` is a real
transport that also notes each request line and status, so tests can count requests. Shapes the
emulator never sends (garbled bodies, ``available_rewards`` as ids or names) come from a small
scripted server, also over real sockets. A fake ``sleep`` records waits (and, where the test
drives the emulator's rate limiter, moves its clock) so back-off tests take no real time.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pos_app.config import LealConfig
from pos_app.credentials import Credentials
from pos_app.domain import StampCard
from pos_app.providers.errors import (
    BackendError,
    BackendUnavailable,
    BadResponse,
    InvalidRequest,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    Unauthorized,
)
from pos_app.providers.http import RetryPolicy, Timeouts
from pos_app.providers.leal import TOO_OLD, LealClient, search_terms
from pos_app.providers.protocols import StampCardProvider
from pos_app.sandbox.leal_views import WALLET_BASE
from pos_app.sandbox.server import free_port
from pos_app.sandbox.state import Sandbox

Served = tuple[str, Sandbox]
FAST = RetryPolicy(attempts=4, base=0.001, cap=0.005)
PATIENT = RetryPolicy(attempts=8, base=0.001, cap=0.005)
TIMEOUTS = Timeouts(connect=1, read=3, write=3, pool=1, total=5)
STORE = "/leal/api/v1/accounts/42"


# ------------------------------------------------------------------ instruments and helpers


class Recorder(httpx.AsyncBaseTransport):
    """A real HTTP transport that notes what went over it (not a mock: it forwards everything)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.sent: list[tuple[str, str]] = []
        self.params: list[dict[str, str]] = []
        self.statuses: list[int] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, request.url.path))
        self.params.append(dict(request.url.params))
        response = await self.inner.handle_async_request(request)
        self.statuses.append(response.status_code)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()

    def count(self, method: str, suffix: str = "") -> int:
        return sum(1 for m, path in self.sent if m == method and path.endswith(suffix))


class FakeTime:
    """A ``sleep`` that records waits and moves a clock the emulator's rate limiter can read."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def new_client(
    url: str,
    token: str | None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    retry: RetryPolicy = FAST,
    timeouts: Timeouts = TIMEOUTS,
    fake: FakeTime | None = None,
    account_id: int = 42,
    prefix: str = "/leal",
) -> LealClient:
    credentials = Credentials({"leal": token} if token else None)
    return LealClient(
        LealConfig(base_url=f"{url}{prefix}", account_id=account_id),
        credentials,
        transport=transport,
        timeouts=timeouts,
        retry=retry,
        sleep=fake.sleep if fake else asyncio.sleep,
    )


def set_faults(url: str, **faults: Any) -> None:
    httpx.post(f"{url}/_sandbox/faults", json={"api": "leal", **faults}).raise_for_status()


def ledger(url: str) -> list[dict[str, Any]]:
    entries = httpx.get(f"{url}/_sandbox/ledger").json()["entries"]
    return [entry for entry in entries if entry["api"] == "leal"]


def person(summary: dict[str, Any], customer_id: int) -> dict[str, Any]:
    return next(c for c in summary["customers"] if c["id"] == customer_id)


@pytest.fixture
def summary(sandbox_server: Served) -> dict[str, Any]:
    return sandbox_server[1].leal.seed_summary()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def leal(
    sandbox_server: Served, summary: dict[str, Any], recorder: Recorder
) -> AsyncIterator[LealClient]:
    client = new_client(sandbox_server[0], summary["token"], transport=recorder)
    yield client
    await client.aclose()


async def test_client_satisfies_the_protocol() -> None:
    client: StampCardProvider = new_client("http://127.0.0.1:9", "token-1234")
    assert client.provider == "leal"
    await client.aclose()


# ------------------------------------------------------------------ check


async def test_check_proves_status_and_token(leal: LealClient, recorder: Recorder) -> None:
    await leal.check()
    assert recorder.sent == [("GET", "/leal/api/v1/status"), ("GET", STORE)]
    assert recorder.statuses == [200, 200]


async def test_check_of_a_store_the_token_cannot_reach(
    sandbox_server: Served, summary: dict[str, Any]
) -> None:
    client = new_client(sandbox_server[0], summary["token"], account_id=77)
    with pytest.raises(NotFound, match="store 77 was not found or this API token cannot reach"):
        await client.check()
    await client.aclose()


# ------------------------------------------------------------------ find_customers


async def test_find_by_every_card_code(leal: LealClient, summary: dict[str, Any]) -> None:
    for customer in summary["customers"]:
        for seeded in customer["customer_cards"]:
            [found] = await leal.find_customers(seeded["card_code"])
            assert found.customer.id == str(customer["id"])
            card = next(c for c in found.cards if c.id == str(seeded["id"]))
            assert card.stamps_count == seeded["stamps_count"]
            assert card.stamps_required == seeded["stamps_required"]
            assert card.template_id == str(seeded["card_id"])


async def test_find_by_card_code_as_a_scanner_sends_it(
    leal: LealClient, summary: dict[str, Any]
) -> None:
    code = person(summary, 9003)["card_code"]
    [found] = await leal.find_customers(f"\x02 {code[:4]}-{code[4:]} \r\n")
    assert found.customer.id == "9003"


async def test_find_by_uuid_any_case(leal: LealClient, summary: dict[str, Any]) -> None:
    uuid = person(summary, 9002)["customer_cards"][0]["uuid"]
    for text in (uuid, uuid.upper()):
        [found] = await leal.find_customers(text)
        assert found.customer.id == "9002"
        assert [card.progress_text for card in found.cards] == ["9 of 10 stamps"]


async def test_find_by_wallet_url_ending_in_uuid_or_code(
    leal: LealClient, summary: dict[str, Any], recorder: Recorder
) -> None:
    seeded = person(summary, 9004)
    uuid, code = seeded["customer_cards"][0]["uuid"], seeded["card_code"]
    for url in (f"{WALLET_BASE}/apple/{uuid}", f"https://pass.example.com/p/{code}?src=qr"):
        [found] = await leal.find_customers(url)
        assert found.customer.id == "9004"
    # each URL: the URL as scanned (no match), then its last path segment (G3)
    assert recorder.count("GET", "/customers") == 4


@pytest.mark.parametrize(
    "shape",
    [
        "+{cc}{n}",
        "+{cc} {a} {b}",
        "+{cc}-{a}-{b}",
        "+{cc} (0){a} {b}",
        "0{a} {b}",
        "(0{a}) {b}",
        "00{cc} {a} {b}",
        "{cc}{n}",
    ],
)
async def test_find_by_phone_in_several_formats(
    leal: LealClient, summary: dict[str, Any], shape: str
) -> None:
    phone = person(summary, 9001)["phone"]  # +447700900NNN
    national = phone[3:]
    typed = shape.format(cc=phone[1:3], n=national, a=national[:4], b=national[4:])
    found = await leal.find_customers(typed)
    assert [match.customer.id for match in found] == ["9001"], typed
    assert found[0].customer.phone == phone


async def test_find_by_email(leal: LealClient, summary: dict[str, Any]) -> None:
    email = person(summary, 9008)["email"]
    for text in (email, email.upper(), f"  {email}\n"):
        [found] = await leal.find_customers(text)
        assert found.customer.id == "9008"
        assert found.customer.email == email
        assert found.customer.last_name is None  # null in Leal stays None (G16)


async def test_find_by_name_with_several_matches(
    sandbox_server: Served, leal: LealClient, summary: dict[str, Any]
) -> None:
    url, sandbox = sandbox_server
    first = person(summary, 9001)["name"].split()[0]
    response = httpx.post(
        f"{url}{STORE}/customers",
        headers={"Authorization": f"Bearer {summary['token']}"},
        json={"customer": {"first_name": first, "last_name": "Zed", "phone": "+15550100"}},
    )
    assert response.status_code == 201
    term = first.casefold()
    expected = {
        str(c.id)
        for c in sandbox.leal.customers.values()
        if c.account_id == 42 and (term in c.full_name.casefold() or term in (c.email or ""))
    }
    found = await leal.find_customers(first)
    assert {match.customer.id for match in found} == expected
    assert len(expected) >= 2
    newcomer = next(match for match in found if match.customer.last_name == "Zed")
    assert newcomer.cards == ()
    assert newcomer.rewards == {}


async def test_find_follows_pages(
    sandbox_server: Served, summary: dict[str, Any], recorder: Recorder, leal: LealClient
) -> None:
    url, _ = sandbox_server
    auth = {"Authorization": f"Bearer {summary['token']}"}
    with httpx.Client(base_url=url, headers=auth) as http:
        for n in range(25):
            body = {
                "customer": {"first_name": "Pagey", "last_name": f"No{n}", "phone": f"+1555{n:07d}"}
            }
            assert http.post(f"{STORE}/customers", json=body).status_code == 201
    found = await leal.find_customers("Pagey")
    assert sorted(match.customer.last_name or "" for match in found) == sorted(
        f"No{n}" for n in range(25)
    )
    assert [(p["page"], p["items"]) for p in recorder.params if "search" in p] == [
        ("1", "20"),
        ("2", "20"),
    ]


async def test_not_found_is_an_empty_list(leal: LealClient, recorder: Recorder) -> None:
    assert await leal.find_customers("ZZZZ9999") == []
    assert await leal.find_customers("nobody@nowhere.example") == []
    assert await leal.find_customers("+1 555 0199 999") == []
    sent = len(recorder.sent)
    assert await leal.find_customers("   \r\n") == []
    assert len(recorder.sent) == sent  # nothing to look for: no request


async def test_customer_with_two_cards(leal: LealClient, summary: dict[str, Any]) -> None:
    seeded = person(summary, 9006)
    coffee, haircut = seeded["customer_cards"]
    [found] = await leal.find_customers(haircut["uuid"])
    assert [card.id for card in found.cards] == [str(haircut["id"]), str(coffee["id"])]
    by_id = {card.id: card for card in found.cards}
    assert by_id[str(coffee["id"])].progress_text == "4 of 10 stamps"
    assert by_id[str(haircut["id"])].progress_text == "5 of 6 stamps"
    assert found.rewards[str(coffee["id"])] == ()  # the 4-stamp muffin is inactive
    assert [r.name for r in found.rewards[str(haircut["id"])]] == ["Free beard trim"]


@pytest.mark.parametrize(
    ("customer_id", "progress", "names"),
    [
        (9001, "7 of 10 stamps", ["Size upgrade"]),
        (9002, "9 of 10 stamps", ["Size upgrade", "Free pastry"]),
        (9003, "0 of 10 stamps", []),
        (9004, "10 of 10 stamps", ["Size upgrade", "Free pastry", "Free coffee"]),
        (9005, "13 of 10 stamps", ["Size upgrade", "Free pastry", "Free coffee"]),
        (9009, "6 of 6 stamps", ["Free beard trim", "Free haircut"]),
    ],
)
async def test_rewards_computed_per_card(
    leal: LealClient, summary: dict[str, Any], customer_id: int, progress: str, names: list[str]
) -> None:
    [found] = await leal.find_customers(person(summary, customer_id)["card_code"])
    [card] = found.cards
    assert card.progress_text == progress
    assert [reward.name for reward in found.rewards[card.id]] == names
    _, from_leal = await leal.stamp_card(str(customer_id), card.id)
    assert [reward.name for reward in from_leal] == names  # Leal's available_rewards agrees


async def test_requests_per_lookup(
    leal: LealClient, summary: dict[str, Any], recorder: Recorder
) -> None:
    await leal.find_customers(person(summary, 9001)["card_code"])
    assert recorder.sent == [("GET", f"{STORE}/customers"), ("GET", f"{STORE}/rewards")]
    await leal.find_customers(person(summary, 9002)["card_code"])
    assert len(recorder.sent) == 3  # warm: one search, rewards from the cache
    await leal.find_customers(person(summary, 9005)["card_code"])  # over-full: needs templates
    assert recorder.sent[3:] == [("GET", f"{STORE}/customers"), ("GET", f"{STORE}/cards")]
    await leal.find_customers(person(summary, 9004)["card_code"])
    assert len(recorder.sent) == 6


async def test_rewards_and_templates(leal: LealClient, recorder: Recorder) -> None:
    every = await leal.rewards()
    assert [r.id for r in every] == ["18", "19", "17", "21", "22", "23"]  # active only
    assert [r.name for r in await leal.rewards("4")] == ["Free beard trim", "Free haircut"]
    templates = await leal.card_templates()
    assert [(t.id, t.name, t.stamps_required) for t in templates] == [
        ("3", "Coffee Card", 10),
        ("4", "Haircut Card", 6),
    ]
    assert recorder.count("GET", "/rewards") == 1
    assert ("GET", f"{STORE}/rewards") in recorder.sent


# ------------------------------------------------------------------ stamp_card, add, redeem


async def test_stamp_card_reads_the_card_and_its_rewards(leal: LealClient) -> None:
    card, rewards = await leal.stamp_card("9001", "555")
    assert card == StampCard(
        id="555",
        template_id="3",
        template_name="Coffee Card",
        stamps_count=7,
        stamps_required=10,
        customer_id="9001",
        status="active",
    )
    assert [(r.id, r.name, r.cost) for r in rewards] == [("18", "Size upgrade", 5)]


async def test_add_stamps_changes_the_count_once(
    sandbox_server: Served, leal: LealClient, recorder: Recorder
) -> None:
    url, _ = sandbox_server
    card = await leal.add_stamps("9001", "555", 2)
    assert card.progress_text == "9 of 10 stamps"
    entries = ledger(url)
    assert [(e["operation"], e["card"], e["stamps"]) for e in entries] == [("stamp", "555", 2)]
    assert recorder.count("POST", "/stamp") == 1
    again, rewards = await leal.stamp_card("9001", "555")
    assert again.stamps_count == 9
    assert [r.name for r in rewards] == ["Size upgrade", "Free pastry"]


async def test_add_stamps_past_full_reads_the_template(
    sandbox_server: Served, leal: LealClient
) -> None:
    card = await leal.add_stamps("9002", "556", 3)
    assert (card.stamps_count, card.stamps_required, card.is_full) == (12, 10, True)


async def test_full_card_of_an_archived_template(
    sandbox_server: Served, summary: dict[str, Any], leal: LealClient, recorder: Recorder
) -> None:
    """The template list leaves archived cards out; the client asks for that one template."""
    url, _ = sandbox_server
    smoothie = next(card for card in summary["cards"] if card["archived"])
    response = httpx.post(
        f"{url}{STORE}/customers",
        headers={"Authorization": f"Bearer {summary['token']}"},
        json={
            "customer": {"first_name": "Sol", "email": "sol@example.net"},
            "card_id": smoothie["id"],
        },
    )
    assert response.status_code == 201
    customer_id = str(response.json()["id"])
    card_id = str(response.json()["customer_cards"][0]["id"])
    card = await leal.add_stamps(customer_id, card_id, smoothie["stamps_required"] + 1)
    assert (card.stamps_count, card.stamps_required) == (9, 8)
    assert card.template_name == "Smoothie Card"
    assert ("GET", f"{STORE}/cards/{smoothie['id']}") in recorder.sent
    [found] = await leal.find_customers("sol@example.net")
    assert [c.progress_text for c in found.cards] == ["9 of 8 stamps"]
    assert [r.name for r in found.rewards[card_id]] == ["Free smoothie"]


async def test_redeem_reward(sandbox_server: Served, leal: LealClient) -> None:
    url, _ = sandbox_server
    done = await leal.redeem_reward("9002", "556", "18")
    assert (done.reward_id, done.reward_name) == ("18", "Size upgrade")
    assert (done.stamps_spent, done.stamps_remaining) == (5, 4)
    assert done.redemption_id is not None
    assert done.redeemed_at is not None
    assert done.redeemed_at.tzinfo is not None
    assert [(e["operation"], e["card"], e["stamps"]) for e in ledger(url)] == [
        ("redeem_reward", "556", 5)
    ]
    card, rewards = await leal.stamp_card("9002", "556")
    assert card.stamps_count == 4
    assert rewards == []


@pytest.mark.parametrize(
    ("reward_id", "error", "message"),
    [
        ("17", Rejected, "Not enough stamps to redeem this reward"),
        ("20", Rejected, "Reward is not active"),
        ("21", Rejected, "Reward does not belong to this card"),
        ("999", NotFound, "No such Leal reward"),
        ("901", NotFound, "No such Leal reward"),  # another store's reward
        ("free-coffee", NotFound, "No such Leal reward"),
    ],
)
async def test_redeem_refusals(
    sandbox_server: Served,
    leal: LealClient,
    reward_id: str,
    error: type[BackendError],
    message: str,
) -> None:
    with pytest.raises(error) as caught:
        await leal.redeem_reward("9001", "555", reward_id)
    assert type(caught.value) is error
    assert caught.value.message == message
    assert ledger(sandbox_server[0]) == []
    card, _ = await leal.stamp_card("9001", "555")
    assert card.stamps_count == 7


@pytest.mark.parametrize(
    ("customer_id", "card_id", "message"),
    [
        ("99999", "555", "No such Leal customer"),
        ("9901", "99001", "No such Leal customer"),  # a customer of another store
        ("9001", "556", "No such Leal card for this customer"),
        ("9001", "5x5", "No such Leal card for this customer"),
        ("../9001", "555", "No such Leal customer"),
    ],
)
async def test_unknown_customer_or_card_is_not_found(
    sandbox_server: Served, leal: LealClient, customer_id: str, card_id: str, message: str
) -> None:
    for call in (
        leal.stamp_card(customer_id, card_id),
        leal.add_stamps(customer_id, card_id, 1),
        leal.redeem_reward(customer_id, card_id, "18"),
    ):
        with pytest.raises(NotFound) as caught:
            await call
        assert caught.value.message == message
    assert ledger(sandbox_server[0]) == []


@pytest.mark.parametrize("stamps", [0, -1, True, 1.5, "2"])
async def test_add_stamps_refuses_nonsense_without_sending(
    leal: LealClient, recorder: Recorder, stamps: Any
) -> None:
    with pytest.raises(InvalidRequest):
        await leal.add_stamps("9001", "555", stamps)
    assert recorder.sent == []


async def test_stamp_refused_by_validation_is_invalid_request(
    sandbox_server: Served, leal: LealClient
) -> None:
    url, sandbox = sandbox_server
    sandbox.leal.customer_cards[555].stamps_count = 2_147_483_640
    with pytest.raises(InvalidRequest) as caught:
        await leal.add_stamps("9001", "555", 10)
    assert caught.value.message == "stamps is too large for this card"
    assert ledger(url) == []


# ------------------------------------------------------------------ tokens


@pytest.mark.expected_logs
async def test_wrong_token_is_unauthorized(sandbox_server: Served, recorder: Recorder) -> None:
    client = new_client(sandbox_server[0], "leal_sbx_wrong", transport=recorder)
    with pytest.raises(Unauthorized, match="enter a new one in Settings"):
        await client.find_customers("ZTLKCIUD")
    with pytest.raises(Unauthorized):
        await client.add_stamps("9001", "555", 1)
    assert recorder.statuses == [401, 401]  # the same token is not sent twice
    assert ledger(sandbox_server[0]) == []
    await client.aclose()


@pytest.mark.expected_logs
async def test_rotated_token_recovers_once_the_owner_enters_it(
    sandbox_server: Served,
    summary: dict[str, Any],
    recorder: Recorder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, sandbox = sandbox_server
    monkeypatch.setenv("POS_APP_LEAL_TOKEN", summary["token"])
    client = new_client(url, None, transport=recorder)  # token from the environment
    assert len(await client.find_customers(person(summary, 9001)["card_code"])) == 1

    set_faults(url, expire_tokens=True)
    with pytest.raises(Unauthorized):  # revoked, and nobody has entered the new one yet
        await client.stamp_card("9001", "555")

    monkeypatch.setenv("POS_APP_LEAL_TOKEN", sandbox.leal.seed_summary()["token"])
    card = await client.add_stamps("9001", "555", 1)
    assert card.stamps_count == 8
    assert recorder.statuses[-2:] == [401, 200]  # one refusal, then the new token
    assert recorder.count("POST", "/stamp") == 2
    assert len(ledger(url)) == 1
    await client.aclose()


# ------------------------------------------------------------------ versions and faults


async def test_retired_api_asks_for_an_update(sandbox_server: Served, leal: LealClient) -> None:
    sandbox_server[1].leal.retired = True
    with pytest.raises(BackendUnavailable) as caught:
        await leal.find_customers("ZTLKCIUD")
    assert caught.value.message == TOO_OLD


async def test_reads_survive_latency(
    sandbox_server: Served, leal: LealClient, summary: dict[str, Any]
) -> None:
    set_faults(sandbox_server[0], latency_ms=300)
    started = time.monotonic()
    [found] = await leal.find_customers(person(summary, 9001)["card_code"])
    card, _ = await leal.stamp_card("9001", "555")
    assert found.customer.id == "9001"
    assert card.stamps_count == 7
    assert 0.9 <= time.monotonic() - started < TIMEOUTS.total


async def test_reads_survive_server_errors(
    sandbox_server: Served, summary: dict[str, Any], recorder: Recorder
) -> None:
    url, sandbox = sandbox_server
    sandbox.faults.rng.seed(11)
    set_faults(url, error_rate=0.3, error_status=500)
    client = new_client(url, summary["token"], transport=recorder, retry=PATIENT)
    for customer in summary["customers"][:8]:
        [found] = await client.find_customers(customer["card_code"])
        assert found.customer.id == str(customer["id"])
    assert 500 in recorder.statuses  # the faults did happen, and were retried
    await client.aclose()


async def test_reads_wait_out_a_429_storm(
    sandbox_server: Served, summary: dict[str, Any], recorder: Recorder
) -> None:
    url, sandbox = sandbox_server
    sandbox.faults.rng.seed(5)
    set_faults(url, rate_limit_rate=0.5, retry_after=2)
    fake = FakeTime()
    client = new_client(url, summary["token"], transport=recorder, retry=PATIENT, fake=fake)
    for customer in summary["customers"][:6]:
        [found] = await client.find_customers(customer["card_code"])
        assert found.customer.id == str(customer["id"])
    card, _ = await client.stamp_card("9001", "555")
    assert card.stamps_count == 7
    assert recorder.statuses.count(429) >= 1  # the storm did hit, and was waited out
    assert [wait for wait in fake.waits if wait >= 2] == [2.0] * recorder.statuses.count(429)
    await client.aclose()


async def test_write_refused_by_429_is_resent_once_after_retry_after(
    sandbox_server: Served, summary: dict[str, Any], recorder: Recorder
) -> None:
    url, _ = sandbox_server
    set_faults(url, rate_limit_rate=1.0, retry_after=1)
    fake = FakeTime()
    client = new_client(url, summary["token"], transport=recorder, fake=fake)
    with pytest.raises(RateLimited) as caught:
        await client.add_stamps("9001", "555", 1)
    assert caught.value.retry_after == 1
    assert recorder.count("POST", "/stamp") == 2
    assert fake.waits == [1.0]
    set_faults(url, rate_limit_rate=1.0, retry_after=30)
    with pytest.raises(RateLimited):
        await client.add_stamps("9001", "555", 1)
    assert recorder.count("POST", "/stamp") == 3  # too long to wait at the till: not resent
    assert ledger(url) == []
    await client.aclose()


async def test_client_paces_itself_with_the_emulators_rate_limiter(
    sandbox_server: Served, summary: dict[str, Any], recorder: Recorder
) -> None:
    url, sandbox = sandbox_server
    fake = FakeTime()
    limiter = sandbox.leal.rate_limiter
    limiter.clock = fake
    limiter.limit = 3
    limiter.window_seconds = 5
    client = new_client(url, summary["token"], transport=recorder, fake=fake)
    await client.find_customers(person(summary, 9001)["card_code"])  # 2 requests
    await client.stamp_card("9001", "555")  # the 3rd: RateLimit-Remaining 0
    card = await client.add_stamps("9001", "555", 1)  # waits for the window first
    await client.find_customers(person(summary, 9002)["card_code"])
    _, rewards = await client.stamp_card("9001", "555")
    await client.redeem_reward("9001", "555", "18")
    assert card.stamps_count == 8
    assert [r.name for r in rewards] == ["Size upgrade", "Free pastry"]
    assert 429 not in recorder.statuses
    assert len(fake.waits) == 2
    assert all(5 <= wait <= 5.2 for wait in fake.waits)
    assert [e["operation"] for e in ledger(url)] == ["stamp", "redeem_reward"]
    await client.aclose()


async def test_budget_used_by_another_till_is_waited_out(
    sandbox_server: Served, summary: dict[str, Any], recorder: Recorder
) -> None:
    url, sandbox = sandbox_server
    fake = FakeTime()
    limiter = sandbox.leal.rate_limiter
    limiter.clock = fake
    limiter.limit = 3
    limiter.window_seconds = 5
    client = new_client(url, summary["token"], transport=recorder, fake=fake)
    auth = {"Authorization": f"Bearer {summary['token']}"}

    def other_till_uses_the_rest() -> None:
        while httpx.get(f"{url}/leal/api/v1/accounts", headers=auth).status_code != 429:
            pass

    other_till_uses_the_rest()
    card, _ = await client.stamp_card("9001", "555")  # a read: ApiSession honours Retry-After
    assert card.stamps_count == 7
    other_till_uses_the_rest()
    card = await client.add_stamps("9001", "555", 2)  # a write: resent once after Retry-After
    assert card.stamps_count == 9
    assert recorder.statuses.count(429) == 2
    assert [e["stamps"] for e in ledger(url)] == [2]
    await client.aclose()


async def test_dropped_read_is_unavailable_after_retries(
    sandbox_server: Served, leal: LealClient, recorder: Recorder
) -> None:
    set_faults(sandbox_server[0], drop_rate=1.0)
    with pytest.raises(BackendUnavailable) as caught:
        await leal.stamp_card("9001", "555")
    assert not isinstance(caught.value, OutcomeUnknown)
    assert recorder.count("GET") == FAST.attempts


@pytest.mark.expected_logs
async def test_apply_then_drop_on_add_stamps_is_unknown_and_applied_once(
    sandbox_server: Served, leal: LealClient, recorder: Recorder
) -> None:
    url, _ = sandbox_server
    set_faults(url, apply_then_drop_rate=1.0)
    with pytest.raises(OutcomeUnknown) as caught:
        await leal.add_stamps("9001", "555", 3)
    assert type(caught.value) is OutcomeUnknown
    assert not caught.value.retry_safe
    assert recorder.count("POST", "/stamp") == 1  # no blind retry
    assert [(e["operation"], e["stamps"]) for e in ledger(url)] == [("stamp", 3)]
    set_faults(url)
    card, _ = await leal.stamp_card("9001", "555")  # reconciling: the stamps are there
    assert card.stamps_count == 10


@pytest.mark.expected_logs
async def test_apply_then_drop_on_redeem_is_unknown_and_applied_once(
    sandbox_server: Served, leal: LealClient, recorder: Recorder
) -> None:
    url, _ = sandbox_server
    set_faults(url, apply_then_drop_rate=1.0)
    with pytest.raises(OutcomeUnknown):
        await leal.redeem_reward("9001", "555", "18")
    assert recorder.count("POST", "/redeem") == 1
    assert [(e["operation"], e["stamps"]) for e in ledger(url)] == [("redeem_reward", 5)]


@pytest.mark.expected_logs
async def test_server_error_on_a_write_is_unknown_and_not_resent(
    sandbox_server: Served, leal: LealClient, recorder: Recorder
) -> None:
    set_faults(sandbox_server[0], error_rate=1.0, error_status=500)
    with pytest.raises(OutcomeUnknown):
        await leal.add_stamps("9001", "555", 1)
    assert recorder.count("POST", "/stamp") == 1


async def test_outage_is_unavailable_and_nothing_is_applied(
    sandbox_server: Served, leal: LealClient
) -> None:
    url, _ = sandbox_server
    set_faults(url, outage=True)
    with pytest.raises(BackendUnavailable) as caught:
        await leal.find_customers("ZTLKCIUD")
    assert not isinstance(caught.value, OutcomeUnknown)
    with pytest.raises(BackendUnavailable):
        await leal.add_stamps("9001", "555", 1)
    with pytest.raises(BackendUnavailable):
        await leal.check()
    assert ledger(url) == []


async def test_unreachable_leal_is_unavailable() -> None:
    client = new_client("http://127.0.0.1:9", "leal_sbx_token", prefix="")
    with pytest.raises(BackendUnavailable):
        await client.find_customers("ZTLKCIUD")
    with pytest.raises(BackendUnavailable):
        await client.add_stamps("9001", "555", 1)
    await client.aclose()


# ------------------------------------------------------------------ shapes the emulator never sends


class Script:
    """Answers of the scripted server: (method, path) -> (status, body)."""

    def __init__(self) -> None:
        self.answers: dict[tuple[str, str], tuple[int, bytes, dict[str, str]]] = {}
        self.hits: list[tuple[str, str]] = []

    def set(
        self, method: str, path: str, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.answers[(method, f"/api/v1/accounts/42{path}")] = (status, raw, headers or {})


@pytest.fixture(scope="module")
def scripted_server() -> Iterator[tuple[str, Script]]:
    script = Script()

    async def answer(request: Request) -> Response:
        key = (request.method, request.url.path)
        script.hits.append(key)
        status, body, headers = script.answers.get(key, (404, b'{"error": "Not found"}', {}))
        if 300 <= status < 400:
            headers = {"location": "https://elsewhere.example/", **headers}
        return Response(body, status_code=status, media_type="application/json", headers=headers)

    app = Starlette(routes=[Route("/{path:path}", answer, methods=["GET", "POST"])])
    config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="critical")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{config.port}", script
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
async def scripted(
    scripted_server: tuple[str, Script],
) -> AsyncIterator[tuple[LealClient, Script]]:
    url, script = scripted_server
    script.answers.clear()
    script.hits.clear()
    client = new_client(url, "leal_test_token", prefix="")
    yield client, script
    await client.aclose()


CARD: dict[str, Any] = {
    "id": 555,
    "customer_id": 9001,
    "card_id": 3,
    "card_name": "Coffee Card",
    "stamps_count": 8,
    "stamps_remaining": 2,
    "status": "active",
}
REWARDS = [
    {"id": 18, "card_id": 3, "name": "Size upgrade", "stamps_required": 5, "position": 1},
    {"id": 19, "card_id": 3, "name": "Free pastry", "stamps_required": 8, "position": 2},
    {"id": 17, "card_id": 3, "name": "Free coffee", "stamps_required": 10, "position": 3},
]
CARD_PATH = "/customers/9001/customer_cards/555"


@pytest.mark.parametrize(
    "available",
    [[18, 19], ["18", "19"], ["Free pastry", "Size upgrade"], REWARDS[:2], [19, {"id": 18}]],
    ids=["ids", "id-strings", "names", "objects", "mixed"],
)
async def test_available_rewards_in_any_shape_end_to_end(
    scripted: tuple[LealClient, Script], available: list[Any]
) -> None:
    client, script = scripted
    script.set("GET", CARD_PATH, 200, {**CARD, "available_rewards": available})
    script.set("GET", "/rewards", 200, REWARDS)
    card, rewards = await client.stamp_card("9001", "555")
    assert card.progress_text == "8 of 10 stamps"
    assert [r.name for r in rewards] == ["Size upgrade", "Free pastry"]
    fetched_rewards = ("GET", "/api/v1/accounts/42/rewards") in script.hits
    assert fetched_rewards == (available != REWARDS[:2])  # full objects need no reward list


@pytest.mark.expected_logs
@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, b'{"id": 555, "stamps_count": 9, "card_'),
        (200, b"<html>Welcome back</html>"),
        (200, {**CARD, "stamps_count": "9"}),
        (200, {"success": True}),
        (302, b""),
        (204, b""),
    ],
    ids=["truncated", "html", "string-number", "wrong-object", "redirect", "empty"],
)
async def test_unreadable_answer_to_a_stamp_is_outcome_unknown(
    scripted: tuple[LealClient, Script], status: int, body: Any
) -> None:
    client, script = scripted
    script.set("POST", f"{CARD_PATH}/stamp", status, body)
    with pytest.raises(OutcomeUnknown):
        await client.add_stamps("9001", "555", 1)
    assert script.hits == [("POST", "/api/v1/accounts/42/customers/9001/customer_cards/555/stamp")]


@pytest.mark.expected_logs
@pytest.mark.parametrize(
    "body",
    [
        {"success": False},
        {"success": True, "redemption": {"reward_id": "x", "stamps_spent": 5}},
        b"null",
    ],
)
async def test_unreadable_answer_to_a_redeem_is_outcome_unknown(
    scripted: tuple[LealClient, Script], body: Any
) -> None:
    client, script = scripted
    script.set("POST", f"{CARD_PATH}/redeem", 200, body)
    with pytest.raises(OutcomeUnknown):
        await client.redeem_reward("9001", "555", "18")


@pytest.mark.expected_logs
@pytest.mark.parametrize(
    "body",
    [
        {"customers": [{"id": 9001, "customer_cards": [{**CARD, "stamps_count": "7"}]}]},
        {"customers": [{"id": "9001/../1"}]},
        {"customers": "9001"},
        b"[" * 3000 + b"]" * 3000,
        b'callback({"customers": []})',
    ],
    ids=["string-number", "path-id", "not-a-list", "deep", "jsonp"],
)
async def test_unreadable_search_answer_is_bad_response(
    scripted: tuple[LealClient, Script], body: Any
) -> None:
    client, script = scripted
    script.set("GET", "/customers", 200, body)
    with pytest.raises(BadResponse):
        await client.find_customers("ZTLKCIUD")


@pytest.mark.parametrize(
    ("reset", "low", "high"),
    [("3", 3.0, 3.2), ("99999", 60.0, 60.2), ("epoch+20", 18.0, 20.2), ("soon", 1.0, 1.2)],
)
async def test_rate_limit_reset_is_read_and_bounded(
    scripted_server: tuple[str, Script], reset: str, low: float, high: float
) -> None:
    """RateLimit-Remaining 0 pauses the next request by RateLimit-Reset (delta or epoch)."""
    url, script = scripted_server
    script.answers.clear()
    fake = FakeTime()
    client = new_client(url, "leal_test_token", fake=fake, prefix="")
    value = str(int(time.time()) + 20) if reset == "epoch+20" else reset
    limits = {"ratelimit-remaining": "0", "ratelimit-reset": value}
    script.set("GET", "/rewards", 200, REWARDS, limits)
    script.set("GET", "/cards", 200, [{"id": 3, "name": "Coffee", "stamps_required": 10}])
    await client.rewards()
    assert fake.waits == []
    await client.card_templates()
    assert len(fake.waits) == 1
    assert low <= fake.waits[0] <= high
    await client.aclose()


def test_search_terms() -> None:
    assert search_terms("ana.silva@example.com") == ["ana.silva@example.com"]
    assert search_terms("Ana Silva") == ["Ana Silva", "AnaSilva"]
    assert search_terms("+44 (0)7700 900123") == ["+447700900123", "447700900123"]
    assert search_terms("07700 900123") == ["07700900123", "7700900123"]
    assert search_terms(f"{WALLET_BASE}/apple/AB12CD34") == [
        f"{WALLET_BASE}/apple/AB12CD34",
        "AB12CD34",
    ]
    assert search_terms("\x02AB12CD34\r") == ["AB12CD34"]
    assert search_terms("Mary-Jane") == ["MaryJane", "Mary-Jane"]  # code first, then as typed
    assert search_terms("") == []
    assert search_terms("x" * 5000) == []
