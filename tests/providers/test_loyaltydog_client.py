"""LoyaltyDogClient against the real emulator over loopback HTTP (no mocks).

Requests are counted by a pass-through transport around httpx's own, so "how many calls does a
lookup cost" is measured on the wire. Card numbers, ids and balances come from the emulator's
seed summary; exactly-once delivery is checked in its ledger (``GET /_sandbox/ledger``). A small
hostile server at the end answers the shapes the emulator never sends (garbled 200s, MFA, 403).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pos_app.config import LoyaltyDogConfig
from pos_app.credentials import Credentials
from pos_app.domain import GiftCard, GiftCardStatus, Money, TransactionType
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
from pos_app.providers.loyaltydog import BAD_LOGIN, BUSY, NO_PROGRAM, LoyaltyDogClient
from pos_app.sandbox.server import free_port
from pos_app.sandbox.state import Sandbox

FAST = RetryPolicy(attempts=3, base=0.001, cap=0.005)
TIMEOUTS = Timeouts(connect=1, read=3, write=3, pool=1, total=6)
PREFIX = "/loyaltydog"
UNKNOWN_NUMBER = "1234567890123456"


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


class Recorder(httpx.AsyncBaseTransport):
    """httpx's real transport, remembering every request it sends."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()

    @property
    def calls(self) -> list[str]:
        """``"GET /v2/..."`` per request, without the emulator's mount prefix."""
        return [f"{r.method} {r.url.path.removeprefix(PREFIX)}" for r in self.requests]

    def logins(self) -> int:
        return self.calls.count("POST /v2/token")

    def clear(self) -> None:
        self.requests.clear()


@dataclass
class World:
    url: str
    sandbox: Sandbox
    seed: dict[str, Any]

    def card(self, role: str) -> dict[str, Any]:
        return next(card for card in self.seed["cards"] if card["role"] == role)

    def number(self, role: str) -> str:
        number = self.card(role)["cardNumber"]
        assert isinstance(number, str)
        return number

    def config(self, base_url: str | None = None) -> LoyaltyDogConfig:
        return LoyaltyDogConfig(
            base_url=base_url or f"{self.url}{PREFIX}",
            program_id=self.seed["program_id"],
            username=self.seed["username"],
        )

    def faults(self, **faults: object) -> None:
        httpx.post(
            f"{self.url}/_sandbox/faults", json={"api": "loyaltydog", **faults}
        ).raise_for_status()

    def raw_search(self, q: str) -> list[dict[str, Any]]:
        """The emulator's own search answer, without the client's exact-match filter."""
        base = f"{self.url}{PREFIX}/v2"
        login = {"username": self.seed["username"], "password": self.seed["password"]}
        token = httpx.post(f"{base}/token", data=login).json()["accessToken"]
        response = httpx.get(
            f"{base}/giftcards/programs/{self.seed['program_id']}/search",
            params={"q": q},
            headers={"Authorization": f"Bearer {token}"},
        )
        response.raise_for_status()
        found = response.json()
        assert isinstance(found, list)
        return found

    def ledger(self) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.url}/_sandbox/ledger")
        response.raise_for_status()
        entries = response.json()["entries"]
        return [entry for entry in entries if entry["api"] == "loyaltydog"]


@pytest.fixture
def world(sandbox_server: tuple[str, Sandbox]) -> World:
    url, sandbox = sandbox_server
    return World(url, sandbox, sandbox.loyaltydog.seed_summary())


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@dataclass
class Factory:
    world: World
    recorder: Recorder
    made: list[LoyaltyDogClient] = dataclasses.field(default_factory=list)

    def __call__(
        self,
        *,
        password: str | None = None,
        retry: RetryPolicy = FAST,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        base_url: str | None = None,
    ) -> LoyaltyDogClient:
        extra: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
        client = LoyaltyDogClient(
            self.world.config(base_url),
            Credentials({"loyaltydog": password or self.world.seed["password"]}),
            currency="USD",
            transport=self.recorder,
            timeouts=TIMEOUTS,
            retry=retry,
            **extra,
        )
        self.made.append(client)
        return client


@pytest.fixture
async def make(world: World, recorder: Recorder) -> AsyncIterator[Factory]:
    factory = Factory(world, recorder)
    yield factory
    for client in factory.made:
        await client.aclose()


@pytest.fixture
async def client(make: Factory) -> LoyaltyDogClient:
    return make()


async def lookup(client: LoyaltyDogClient, world: World, role: str) -> GiftCard:
    cards = await client.find_cards(world.number(role))
    assert len(cards) == 1
    return cards[0]


class WaitRecorder:
    """A ``sleep`` that records each wait and can run an action (the network recovering)."""

    def __init__(self, then: Callable[[], None] | None = None) -> None:
        self.waits: list[float] = []
        self.then = then

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.then is not None:
            self.then()


# -- login and lookups -----------------------------------------------------------------------------


async def test_check_logs_in_then_reads_the_token_info(
    client: LoyaltyDogClient, recorder: Recorder
) -> None:
    await client.check()
    assert recorder.calls == ["POST /v2/token", "GET /v2/token"]
    login = recorder.requests[0]
    assert login.headers["content-type"] == "application/x-www-form-urlencoded"
    assert b"grant_type=password" in login.content
    assert recorder.requests[1].headers["authorization"].startswith("Bearer ey")
    await client.check()  # always a fresh login, so a changed password is really tested
    assert recorder.logins() == 2


async def test_a_warm_lookup_is_one_request(
    client: LoyaltyDogClient, world: World, recorder: Recorder
) -> None:
    number = world.number("active")
    await client.find_cards(number)
    search = f"GET /v2/giftcards/programs/{world.seed['program_id']}/search"
    assert recorder.calls == ["POST /v2/token", search]
    recorder.clear()
    started = time.perf_counter()
    cards = await client.find_cards(number)
    assert time.perf_counter() - started < 1.0
    assert recorder.calls == [search]
    sent = recorder.requests[0]
    assert sent.url.params["q"] == number
    assert len(sent.headers["x-request-id"]) == 32
    assert [card.number for card in cards] == [number]


async def test_find_cards_returns_the_exact_card(client: LoyaltyDogClient, world: World) -> None:
    seeded = world.card("active")
    number = seeded["cardNumber"]
    typed = f"{number[:4]} {number[4:8]}-{number[8:12]} {number[12:]}"
    [card] = await client.find_cards(typed)
    assert card.id == seeded["id"]
    assert card.number == number
    assert card.balance == usd("100.00")
    assert card.initial_value == usd("100.00")
    assert card.status is GiftCardStatus.ACTIVE
    assert card.owner_name == "Alice Martin"
    assert card.owner_email == "alice.martin@example.com"
    assert card.program_id == world.seed["program_id"]
    assert card.expires_at is not None
    assert card.expires_at > datetime.now(UTC)
    assert card.is_redeemable(datetime.now(UTC))


async def test_cards_sharing_last_four_are_never_confused(
    client: LoyaltyDogClient, world: World
) -> None:
    active, twin = world.number("active"), world.number("active-shared-last4")
    assert active[-4:] == twin[-4:]
    assert active != twin
    raw = world.raw_search(active[-4:])
    assert {item["cardNumber"] for item in raw} >= {active, twin}  # the API itself mixes them
    assert [card.number for card in await client.find_cards(twin)] == [twin]
    assert [card.number for card in await client.find_cards(active)] == [active]
    for partial in (active[-4:], active[:12], active[1:]):
        with pytest.raises(InvalidRequest):
            await client.find_cards(partial)


async def test_a_leading_zero_number_stays_text(client: LoyaltyDogClient, world: World) -> None:
    number = world.number("active-physical")
    assert number == "0000417352968841"
    [card] = await client.find_cards(number)
    assert card.number == "0000417352968841"
    assert card.masked_number.endswith("8841")
    assert card.balance == usd("25.00")


async def test_an_unknown_number_finds_nothing(client: LoyaltyDogClient, world: World) -> None:
    assert all(card["cardNumber"] != UNKNOWN_NUMBER for card in world.seed["cards"])
    assert await client.find_cards(UNKNOWN_NUMBER) == []


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("active", GiftCardStatus.ACTIVE),
        ("pending", GiftCardStatus.PENDING),
        ("suspended", GiftCardStatus.SUSPENDED),
        ("expired", GiftCardStatus.EXPIRED),
        ("voided", GiftCardStatus.VOIDED),
        ("depleted", GiftCardStatus.DEPLETED),
    ],
)
async def test_every_status_is_read(
    client: LoyaltyDogClient, world: World, role: str, status: GiftCardStatus
) -> None:
    found = await lookup(client, world, role)
    assert found.status is status
    assert found.balance == Money.from_api(world.card(role)["balance"], "USD")
    detailed = await client.card(found.id)
    assert detailed == found
    if status is GiftCardStatus.SUSPENDED:
        assert detailed.suspended_reason == "Suspected fraud - under review"


async def test_card_by_id_errors(client: LoyaltyDogClient) -> None:
    with pytest.raises(NotFound) as missing:
        await client.card("0" * 24)
    assert missing.value.message == "No such gift card"
    with pytest.raises(InvalidRequest):
        await client.card("../../v2/token")


# -- history ---------------------------------------------------------------------------------------


async def test_history_of_ten_thousand_rows_pages_newest_first(
    client: LoyaltyDogClient, world: World
) -> None:
    card = await lookup(client, world, "ten-thousand-transactions")
    first = await client.history(card.id)
    assert len(first.transactions) == 100
    assert first.has_more
    assert first.offset == 0
    stamps = [row.created_at for row in first.transactions]
    assert stamps == sorted(stamps, reverse=True)
    assert first.transactions[0].balance_after == card.balance
    assert all(row.balances_add_up for row in first.transactions)
    second = await client.history(card.id, offset=100)
    assert second.offset == 100
    assert second.has_more
    assert not {row.id for row in first.transactions} & {row.id for row in second.transactions}
    assert second.transactions[0].created_at < first.transactions[-1].created_at
    assert second.transactions[0].balance_after == first.transactions[-1].balance_before
    last = await client.history(card.id, offset=9950)
    assert len(last.transactions) == 50
    assert not last.has_more
    assert last.transactions[-1].type is TransactionType.ACTIVATION
    assert last.transactions[-1].amount == usd("500.00")


async def test_history_page_size_is_capped_at_100(
    client: LoyaltyDogClient, world: World, recorder: Recorder
) -> None:
    card = await lookup(client, world, "ten-thousand-transactions")
    page = await client.history(card.id, offset=30, limit=500)
    assert len(page.transactions) == 100
    sent = recorder.requests[-1].url.params
    assert sent["limit"] == "100"
    assert sent["offset"] == "30"
    assert "page" not in sent
    with pytest.raises(InvalidRequest):
        await client.history(card.id, offset=-1)


# -- money moves -----------------------------------------------------------------------------------


async def test_partial_redeem_reduces_the_balance(client: LoyaltyDogClient, world: World) -> None:
    card = await lookup(client, world, "active")
    move = await client.redeem(card, usd("25.50"), idempotency_key="key-partial", reference="S-1")
    assert move.card_id == card.id
    assert move.amount == usd("25.50")
    assert move.balance_after == usd("74.50")
    assert move.transaction_id
    assert (await client.card(card.id)).balance == usd("74.50")
    newest = (await client.history(card.id, limit=1)).transactions[0]
    assert newest.id == move.transaction_id
    assert newest.type is TransactionType.REDEMPTION
    assert newest.amount == usd("-25.50")
    assert newest.pos_transaction_id == "S-1"
    [entry] = world.ledger()
    assert entry["operation"] == "redeem"
    assert entry["amount"] == "25.50"
    assert entry["idempotency_key"] == "key-partial"
    assert entry["card"] == card.number


async def test_redeeming_everything_depletes_the_card(
    client: LoyaltyDogClient, world: World
) -> None:
    card = await lookup(client, world, "one-cent")
    assert card.balance == usd("0.01")
    move = await client.redeem(card, usd("0.01"), idempotency_key="key-all")
    assert move.balance_after == usd("0.00")
    assert (await client.card(card.id)).status is GiftCardStatus.DEPLETED


async def test_redeeming_more_than_the_balance_is_rejected(
    client: LoyaltyDogClient, world: World
) -> None:
    card = await lookup(client, world, "active")
    with pytest.raises(Rejected) as refused:
        await client.redeem(card, usd("100.01"), idempotency_key="key-over")
    assert refused.value.message == "Insufficient balance: available balance is 100.00"
    assert world.ledger() == []


@pytest.mark.parametrize(
    ("role", "message"),
    [
        ("pending", "Gift card is not active (status: pending)"),
        ("suspended", "Gift card is not active (status: suspended)"),
        ("voided", "Gift card is not active (status: voided)"),
        ("expired", "Gift card is not active (status: expired)"),
        ("depleted", "Gift card is not active (status: depleted)"),
        ("past-expiry-active", "Gift card has expired"),
    ],
)
async def test_unusable_cards_are_rejected(
    client: LoyaltyDogClient, world: World, role: str, message: str
) -> None:
    card = await lookup(client, world, role)
    with pytest.raises(Rejected) as refused:
        await client.redeem(card, usd("1.00"), idempotency_key=f"key-{role}")
    assert refused.value.message == message
    assert world.ledger() == []


async def test_a_zero_amount_is_an_invalid_request(client: LoyaltyDogClient, world: World) -> None:
    card = await lookup(client, world, "active")
    with pytest.raises(InvalidRequest) as invalid:
        await client.redeem(card, usd("0"), idempotency_key="key-zero")
    assert "amount: Input should be greater than or equal to 0.01" in invalid.value.message
    assert world.ledger() == []


async def test_the_same_key_twice_debits_once(client: LoyaltyDogClient, world: World) -> None:
    card = await lookup(client, world, "active")
    first = await client.redeem(card, usd("10.00"), idempotency_key="key-twice")
    again = await client.redeem(card, usd("10.00"), idempotency_key="key-twice")
    assert again == first
    assert first.balance_after == usd("90.00")
    assert [entry["idempotency_key"] for entry in world.ledger()] == ["key-twice"]
    assert (await client.card(card.id)).balance == usd("90.00")


async def test_reusing_a_key_for_another_amount_is_a_bug(
    client: LoyaltyDogClient, world: World
) -> None:
    card = await lookup(client, world, "active")
    await client.redeem(card, usd("10.00"), idempotency_key="key-reused")
    with pytest.raises(InvalidRequest) as invalid:
        await client.redeem(card, usd("11.00"), idempotency_key="key-reused")
    assert "Idempotency-Key" in invalid.value.message
    assert len(world.ledger()) == 1


@pytest.mark.parametrize("key", ["", " ", "k" * 256, "naïve-key", None])
async def test_a_bad_key_is_refused_before_sending(
    client: LoyaltyDogClient, world: World, recorder: Recorder, key: Any
) -> None:
    card = await lookup(client, world, "active")
    recorder.clear()
    with pytest.raises(InvalidRequest, match="Idempotency-Key"):
        await client.redeem(card, usd("1.00"), idempotency_key=key)
    assert recorder.requests == []


async def test_a_foreign_currency_is_refused(client: LoyaltyDogClient, world: World) -> None:
    card = await lookup(client, world, "active")
    with pytest.raises(InvalidRequest, match="EUR"):
        await client.redeem(card, Money(Decimal("1.00"), "EUR"), idempotency_key="key-eur")


async def test_refunding_a_redemption(client: LoyaltyDogClient, world: World) -> None:
    card = await lookup(client, world, "active")
    sale = await client.redeem(card, usd("30.00"), idempotency_key="key-sale")
    assert sale.transaction_id is not None
    part = await client.refund(
        card.id, sale.transaction_id, usd("10.00"), idempotency_key="key-r1", reason="returned"
    )
    assert part.amount == usd("10.00")
    assert part.balance_after == usd("80.00")
    rest = await client.refund(card.id, sale.transaction_id, None, idempotency_key="key-r2")
    assert rest.amount == usd("20.00")
    assert rest.balance_after == usd("100.00")
    assert rest.transaction_id not in (None, part.transaction_id)
    with pytest.raises(Rejected, match="fully refunded"):
        await client.refund(card.id, sale.transaction_id, None, idempotency_key="key-r3")
    with pytest.raises(NotFound):
        await client.refund(card.id, "f" * 24, None, idempotency_key="key-r4")
    assert [e["operation"] for e in world.ledger()] == ["redeem", "refund", "refund"]


async def test_reload_and_the_balance_cap(client: LoyaltyDogClient, world: World) -> None:
    card = await lookup(client, world, "active")
    move = await client.reload(card.id, usd("50.00"), idempotency_key="key-up", reference="T-9")
    assert move.amount == usd("50.00")
    assert move.balance_after == usd("150.00")
    near = await lookup(client, world, "near-cap")
    with pytest.raises(Rejected) as capped:
        await client.reload(near.id, usd("20.00"), idempotency_key="key-cap")
    assert capped.value.message.startswith("Reload would exceed maximum card balance")
    assert "$ 10.00" in capped.value.message  # availableReloadAmount, for the cashier
    assert [e["amount"] for e in world.ledger()] == ["50.00"]


async def test_void_zeroes_the_card(client: LoyaltyDogClient, world: World) -> None:
    card = await lookup(client, world, "active")
    move = await client.void(card.id, "Lost by customer", idempotency_key="key-void")
    assert move.amount == usd("100.00")
    assert move.balance_after == usd("0.00")
    assert move.transaction_id is not None
    voided = await client.card(card.id)
    assert voided.status is GiftCardStatus.VOIDED
    assert voided.balance.is_zero
    with pytest.raises(Rejected, match="already voided"):
        await client.void(card.id, "again", idempotency_key="key-void-2")
    assert [(e["operation"], e["amount"]) for e in world.ledger()] == [("void", "100.00")]


# -- programs, reports, GDPR -----------------------------------------------------------------------


async def test_programs(client: LoyaltyDogClient, world: World) -> None:
    programs = await client.programs()
    assert [(p.id, p.name) for p in programs] == [
        (p["id"], p["name"]) for p in world.seed["programs"]
    ]


async def test_business_report_matches_the_emulator(client: LoyaltyDogClient, world: World) -> None:
    report = await client.business_report()
    expected = world.sandbox.loyaltydog.business_report(world.seed["program_id"])
    assert report.card_counts["total"] == len(world.seed["cards"]) == expected["totalCards"]
    assert report.card_counts["voided"] == expected["voidedCards"]
    assert report.total_balance == Money.from_api(expected["totalBalance"], "USD")
    assert report.total_sold == Money.from_api(expected["totalSold"], "USD")
    assert report.cards_sold_this_month == expected["cardsSoldThisMonth"]


async def test_customer_report_for_a_card_and_for_the_program(
    client: LoyaltyDogClient, world: World, recorder: Recorder
) -> None:
    alice = [c for c in world.seed["cards"] if c["customerName"] == "Alice Martin"]
    report = await client.customer_report(card_id=world.card("active")["id"])
    assert report.total_cards == len(alice)
    assert report.total_balance == Money.total(
        (Money.from_api(c["balance"], "USD") for c in alice), "USD"
    )
    sent = recorder.requests[-1].url.params
    assert sent["programId"] == world.seed["program_id"]
    assert sent["cardId"] == world.card("active")["id"]
    everything = await client.customer_report()
    assert everything.total_cards == len(world.seed["cards"])


@pytest.mark.parametrize("fmt", ["json", "csv"])
async def test_gdpr_export_and_download(client: LoyaltyDogClient, world: World, fmt: str) -> None:
    export = await client.gdpr_export(email="alice.martin@example.com", fmt=fmt)
    assert export.format == fmt
    assert export.status == "completed"
    assert export.export_id
    assert export.expires_at is not None
    assert export.requested_at is not None
    body = await client.gdpr_download(export)
    if fmt == "json":
        data = json.loads(body)
        assert data["customer"]["email"] == "alice.martin@example.com"
        assert world.number("active") in {card["cardNumber"] for card in data["giftCards"]}
    else:
        lines = body.decode().splitlines()
        assert lines[0].startswith("customerId,customerName,customerEmail")
        assert any(world.number("active") in line for line in lines[1:])


async def test_gdpr_download_keeps_the_token_at_home(
    client: LoyaltyDogClient, world: World, recorder: Recorder
) -> None:
    export = await client.gdpr_export(customer_id=world.card("active")["customerId"])
    moved = dataclasses.replace(export, download_url="https://elsewhere.example/steal?x=1")
    body = await client.gdpr_download(moved)
    assert json.loads(body)["customer"]["name"] == "Alice Martin"
    sent = recorder.requests[-1]
    assert sent.url.host == "127.0.0.1"
    assert sent.url.path == f"{PREFIX}/v2/giftcards/gdpr/download"
    assert sent.url.params["exportId"] == export.export_id


async def test_gdpr_export_needs_an_identifier_and_a_known_customer(
    client: LoyaltyDogClient,
) -> None:
    with pytest.raises(InvalidRequest):
        await client.gdpr_export()
    with pytest.raises(InvalidRequest):
        await client.gdpr_export(email="a@b.example", fmt="xml")
    with pytest.raises(NotFound):
        await client.gdpr_export(email="nobody@nowhere.example")


# -- auth ------------------------------------------------------------------------------------------


async def test_a_wrong_password_is_unauthorized(make: Factory, world: World) -> None:
    client = make(password="not-the-password")
    with pytest.raises(Unauthorized) as refused:
        await client.find_cards(world.number("active"))
    assert refused.value.message == BAD_LOGIN
    with pytest.raises(Unauthorized):
        await client.check()


async def test_expired_tokens_mid_session_mean_one_new_login(
    client: LoyaltyDogClient, world: World, recorder: Recorder
) -> None:
    await client.find_cards(world.number("active"))
    world.faults(expire_tokens=True)
    recorder.clear()
    [card] = await client.find_cards(world.number("active"))
    assert card.balance == usd("100.00")
    search = f"GET /v2/giftcards/programs/{world.seed['program_id']}/search"
    assert recorder.calls == [search, "POST /v2/token", search]


async def test_parallel_calls_share_one_login(
    client: LoyaltyDogClient, world: World, recorder: Recorder
) -> None:
    number = world.number("active")
    results = await asyncio.gather(*(client.find_cards(number) for _ in range(10)))
    assert all(len(found) == 1 for found in results)
    assert recorder.logins() == 1
    world.faults(expire_tokens=True)
    results = await asyncio.gather(*(client.find_cards(number) for _ in range(10)))
    assert all(len(found) == 1 for found in results)
    assert recorder.logins() == 2


async def test_a_redeem_after_token_expiry_is_resent_with_the_same_key(
    client: LoyaltyDogClient, world: World, recorder: Recorder
) -> None:
    card = await lookup(client, world, "active")
    world.faults(expire_tokens=True)
    recorder.clear()
    move = await client.redeem(card, usd("5.00"), idempotency_key="key-after-401")
    assert move.balance_after == usd("95.00")
    posts = [r for r in recorder.requests if r.url.path.endswith("/redeem")]
    assert [r.headers["idempotency-key"] for r in posts] == ["key-after-401"] * 2
    assert len(world.ledger()) == 1


async def test_logs_never_show_secrets_or_full_card_numbers(
    client: LoyaltyDogClient, world: World, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="pos_app.providers")
    card = await lookup(client, world, "active")
    await client.redeem(card, usd("1.00"), idempotency_key="key-log")
    token = recorder.requests[-1].headers["authorization"].removeprefix("Bearer ")
    # Tillcard's own lines; the app silences httpx's request lines (pos_app/logs.py).
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("pos_app")]
    assert any(card.masked_number in message for message in messages)
    assert any(recorder.requests[-1].headers["x-request-id"] in m for m in messages)
    for message in messages:
        assert token not in message
        assert world.seed["password"] not in message
        assert card.number not in message


# -- faults ----------------------------------------------------------------------------------------


async def test_latency_is_tolerated(client: LoyaltyDogClient, world: World) -> None:
    world.faults(latency_ms=300)
    started = time.perf_counter()
    assert len(await client.find_cards(world.number("active"))) == 1
    assert time.perf_counter() - started >= 0.6  # login and search, each delayed


async def test_flaky_reads_are_retried_until_they_succeed(
    make: Factory, world: World, recorder: Recorder
) -> None:
    client = make(retry=RetryPolicy(attempts=8, base=0.001, cap=0.005))
    await client.find_cards(world.number("active"))
    world.sandbox.faults.rng.seed(7)
    world.faults(error_rate=0.3)
    recorder.clear()
    for role in ("active", "pending", "expired", "voided", "depleted", "suspended") * 2:
        assert (await lookup(client, world, role)).number == world.number(role)
    assert len(recorder.requests) > 12  # some attempts got a 503 and were sent again


async def test_rate_limit_waits_for_retry_after_then_succeeds(make: Factory, world: World) -> None:
    sleep = WaitRecorder(then=lambda: world.faults())
    client = make(sleep=sleep)
    await client.find_cards(world.number("active"))
    world.faults(rate_limit_rate=1.0, retry_after=2)
    assert len(await client.find_cards(world.number("active"))) == 1
    assert sleep.waits == [2.0]


async def test_a_lasting_rate_limit_is_reported_with_its_wait(make: Factory, world: World) -> None:
    sleep = WaitRecorder()
    client = make(sleep=sleep)
    await client.find_cards(world.number("active"))
    world.faults(rate_limit_rate=1.0, retry_after=3)
    with pytest.raises(RateLimited) as limited:
        await client.find_cards(world.number("active"))
    assert limited.value.retry_after == 3
    assert sleep.waits == [3.0, 3.0]


async def test_a_dropped_read_is_unavailable_after_retries(
    client: LoyaltyDogClient, world: World, recorder: Recorder
) -> None:
    await client.find_cards(world.number("active"))
    world.faults(drop_rate=1.0)
    recorder.clear()
    with pytest.raises(BackendUnavailable) as failed:
        await client.find_cards(world.number("active"))
    assert not isinstance(failed.value, OutcomeUnknown)
    assert len(recorder.requests) == FAST.attempts


async def test_apply_then_drop_is_resent_with_the_same_key_and_debits_once(
    make: Factory, world: World, recorder: Recorder
) -> None:
    sleep = WaitRecorder(then=lambda: world.faults())  # the connection comes back
    client = make(sleep=sleep)
    card = await lookup(client, world, "active")
    world.faults(apply_then_drop_rate=1.0)
    recorder.clear()
    move = await client.redeem(card, usd("25.50"), idempotency_key="key-dropped")
    assert move.balance_after == usd("74.50")
    assert [r.headers["idempotency-key"] for r in recorder.requests] == ["key-dropped"] * 2
    assert len(sleep.waits) == 1
    [entry] = world.ledger()
    assert entry["amount"] == "25.50"
    assert entry["idempotency_key"] == "key-dropped"
    assert entry["reference"] == move.transaction_id


async def test_apply_then_drop_without_retries_is_outcome_unknown(
    make: Factory, world: World
) -> None:
    client = make(retry=RetryPolicy(attempts=1))
    card = await lookup(client, world, "active")
    world.faults(apply_then_drop_rate=1.0)
    with pytest.raises(OutcomeUnknown) as unknown:
        await client.redeem(card, usd("25.50"), idempotency_key="key-unknown")
    assert not isinstance(unknown.value, Rejected | NotFound | InvalidRequest | Unauthorized)
    assert not unknown.value.retry_safe
    assert len(world.ledger()) == 1  # it did go through
    world.faults()
    again = await client.redeem(card, usd("25.50"), idempotency_key="key-unknown")
    assert again.balance_after == usd("74.50")
    assert len(world.ledger()) == 1  # and resending with the key did not debit twice


async def test_an_outage_is_unavailable(client: LoyaltyDogClient, world: World) -> None:
    card = await lookup(client, world, "active")
    world.faults(outage=True)
    with pytest.raises(BackendUnavailable):
        await client.find_cards(world.number("active"))
    with pytest.raises(BackendUnavailable) as failed:
        await client.redeem(card, usd("1.00"), idempotency_key="key-outage")
    assert not isinstance(failed.value, OutcomeUnknown)
    assert world.ledger() == []


async def test_an_unreachable_server_is_unavailable(make: Factory) -> None:
    client = make(base_url=f"http://127.0.0.1:{free_port()}{PREFIX}")
    with pytest.raises(BackendUnavailable):
        await client.check()


# -- answers the emulator never gives --------------------------------------------------------------

PROGRAM = "63567e40dec12dd647815490"
GOOD_CARD = {
    "id": "507f191e810c19729de860ea",
    "cardNumber": "4000123456789012",
    "balance": 100.00,
    "status": "active",
}


_SEEN: dict[str, int] = {}
_SEEN_LOCK = threading.Lock()


async def _odd(request: Request) -> Response:
    """One LoyaltyDog-shaped server per ``mode`` (first path segment), each odd in one way."""
    mode, path = request.path_params["mode"], request.path_params["rest"]
    if path == "v2/token":
        if mode == "mfa":
            return JSONResponse({"accessToken": None, "mfaPending": True, "pendingToken": "p"})
        return JSONResponse({"accessToken": "hostile.token.value", "tokenType": "bearer"})
    if path.endswith("/search"):
        if mode == "forbidden":
            return JSONResponse({"error": {"code": "forbidden", "message": "no"}}, 403)
        if mode == "envelope":
            twin = {**GOOD_CARD, "id": "607f191e810c19729de860eb", "cardNumber": "4111111119012"}
            strange = {"id": 5, "cardNumber": 4000123456789012, "balance": {}}
            return JSONResponse({"data": [twin, strange, GOOD_CARD], "total": 3})
        return Response(b"<html><body>Login page</body></html>", media_type="text/html")
    if path.endswith("/redeem"):
        if mode == "inflight":
            key = request.headers["idempotency-key"]
            with _SEEN_LOCK:
                _SEEN[key] = _SEEN.get(key, 0) + 1
                first = _SEEN[key] == 1
            if first:  # still working on it when the client gives up and resends
                await asyncio.sleep(1.0)
            return JSONResponse({"detail": "Card is locked by another operation"}, 409)
        if mode == "busy":
            return JSONResponse({"code": "conflict", "message": "locked", "request_id": "r"}, 409)
        if mode == "refused":
            return JSONResponse({"success": False, "message": "Card frozen by issuer"})
        return JSONResponse({"success": True, "transactionId": "t", "remainingBalance": "lots"})
    return JSONResponse({"id": 5, "balance": {"a": 1}, "status": []})


@pytest.fixture(scope="module")
def odd_server() -> Iterator[str]:
    app = Starlette(routes=[Route("/{mode}/{rest:path}", _odd, methods=["GET", "POST"])])
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextlib.asynccontextmanager
async def odd_client(
    url: str, mode: str, timeouts: Timeouts = TIMEOUTS
) -> AsyncIterator[LoyaltyDogClient]:
    config = LoyaltyDogConfig(base_url=f"{url}/{mode}", program_id=PROGRAM, username="till")
    client = LoyaltyDogClient(
        config, Credentials({"loyaltydog": "secret-pw"}), timeouts=timeouts, retry=FAST
    )
    try:
        yield client
    finally:
        await client.aclose()


GOOD = GiftCard(
    id="507f191e810c19729de860ea",
    number="4000123456789012",
    balance=usd("100"),
    status=GiftCardStatus.ACTIVE,
)


async def test_an_html_page_for_a_lookup_is_a_bad_response(odd_server: str) -> None:
    async with odd_client(odd_server, "garbled") as client:
        with pytest.raises(BadResponse):
            await client.find_cards("4000123456789012")
        with pytest.raises(BadResponse):
            await client.card(GOOD.id)


async def test_an_unreadable_redeem_answer_is_outcome_unknown(odd_server: str) -> None:
    async with odd_client(odd_server, "garbled") as client:
        with pytest.raises(OutcomeUnknown):
            await client.redeem(GOOD, usd("1.00"), idempotency_key="odd-1")


async def test_an_envelope_with_strangers_still_finds_the_exact_card(odd_server: str) -> None:
    async with odd_client(odd_server, "envelope") as client:
        [card] = await client.find_cards("4000 1234 5678 9012")
    assert card.id == GOOD.id
    assert card.balance == usd("100.00")


@pytest.mark.parametrize(
    ("mode", "error", "message"),
    [
        ("busy", Rejected, BUSY),
        ("refused", Rejected, "Card frozen by issuer"),
    ],
)
async def test_refusals_to_a_redeem(
    odd_server: str, mode: str, error: type[BackendError], message: str
) -> None:
    async with odd_client(odd_server, mode) as client:
        with pytest.raises(error) as refused:
            await client.redeem(GOOD, usd("1.00"), idempotency_key=f"odd-{mode}")
    assert refused.value.message == message


async def test_mfa_logins_and_forbidden_programs_are_unauthorized(odd_server: str) -> None:
    async with odd_client(odd_server, "mfa") as client:
        with pytest.raises(Unauthorized, match="MFA"):
            await client.find_cards("4000123456789012")
    async with odd_client(odd_server, "forbidden") as client:
        with pytest.raises(Unauthorized) as forbidden:
            await client.find_cards("4000123456789012")
    assert forbidden.value.message == NO_PROGRAM


async def test_busy_after_our_own_unanswered_attempt_is_outcome_unknown(odd_server: str) -> None:
    """The 409 may be our first attempt still running (reference §2.4 item 24): not a refusal."""
    quick = Timeouts(connect=1, read=0.3, write=1, pool=1, total=2)
    async with odd_client(odd_server, "inflight", quick) as client:
        with pytest.raises(OutcomeUnknown) as unknown:
            await client.redeem(GOOD, usd("1.00"), idempotency_key="odd-inflight")
    assert "HTTP 409" in (unknown.value.detail or "")
    assert _SEEN["odd-inflight"] == 2  # resent once, with the same key
