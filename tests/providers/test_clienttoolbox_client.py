"""ClientToolboxClient against the real emulator over loopback HTTP (no mocks).

Requests are counted by a pass-through transport around httpx's own, so "how many calls does a
lookup cost" is measured on the wire. Money and ledger checks use the emulator's seed facts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from pos_app.config import ClientToolboxConfig
from pos_app.credentials import Credentials
from pos_app.domain import CampaignType, Money, Provider
from pos_app.domain.outcomes import PointsAccount
from pos_app.providers.clienttoolbox import ClientToolboxClient
from pos_app.providers.errors import (
    BackendUnavailable,
    InvalidRequest,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    Unauthorized,
)
from pos_app.providers.http import RetryPolicy, Timeouts
from pos_app.providers.protocols import PointsProvider
from pos_app.sandbox.state import Sandbox

POINTS = "318204775190"
PARTNER = "0457712093381624"
GIFT = "4564222953051300"
MALL = "7712003400560078"
EVENTS = "2468013579024"
EARNED = "135791357913579"
JANE_CODE, JANE_CARD = "4000123412341234", "12345678"
AMY_CODE, AMY_CARD = "173648028775637382", "3141592653"
SMITH_CODE, SMITH_CARD = "5190436001123456", "81001234"
RENEE_CARD = "920045678"
BOB_CARD = "55501234"
CARLA_CARD = "440011223"
COLIN_CODE = "9100200030004000"

FAST = RetryPolicy(attempts=3, base=0.001, cap=0.005)
TIMEOUTS = Timeouts(connect=1, read=3, write=3, pool=1, total=6)


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


class Recorder(httpx.AsyncBaseTransport):
    """httpx's real transport, remembering each request's form and headers."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.forms: list[dict[str, str]] = []
        self.headers: list[httpx.Headers] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        form = parse_qs(request.content.decode(), keep_blank_values=True)
        self.forms.append({key: values[-1] for key, values in form.items()})
        self.headers.append(request.headers)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()

    @property
    def types(self) -> list[str]:
        return [form.get("type", "") for form in self.forms]

    def clear(self) -> None:
        self.forms.clear()
        self.headers.clear()


@dataclass
class World:
    url: str
    sandbox: Sandbox
    make: Callable[..., ClientToolboxClient]
    recorders: list[Recorder] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.sandbox.clienttoolbox.api_key

    def faults(self, **faults: Any) -> None:
        response = httpx.post(
            f"{self.url}/_sandbox/faults", json={"api": "clienttoolbox", **faults}
        )
        response.raise_for_status()

    def ledger(self, reference: str | None = None) -> list[dict[str, Any]]:
        entries = httpx.get(f"{self.url}/_sandbox/ledger").json()["entries"]
        return [
            e
            for e in entries
            if e["api"] == "clienttoolbox" and (reference is None or e["reference"] == reference)
        ]


@pytest.fixture
async def world(sandbox_server: tuple[str, Sandbox]) -> AsyncIterator[World]:
    url, sandbox = sandbox_server
    clients: list[ClientToolboxClient] = []

    def make(
        *,
        key: str | None = None,
        credentials: Credentials | None = None,
        campaign_ids: list[str] | None = None,
        recorder: Recorder | None = None,
        **kw: Any,
    ) -> ClientToolboxClient:
        data = sandbox.clienttoolbox
        config = ClientToolboxConfig(
            base_url=f"{url}/clienttoolbox",
            account_id=data.account_id,
            user_id=data.user_id,
            campaign_ids=campaign_ids or [],
        )
        creds = credentials or Credentials({"clienttoolbox": key or data.api_key})
        kw.setdefault("retry", FAST)
        kw.setdefault("timeouts", TIMEOUTS)
        client = ClientToolboxClient(config, creds, transport=recorder, **kw)
        clients.append(client)
        return client

    yield World(url, sandbox, make)
    for client in clients:
        await client.aclose()


def only(accounts: list[PointsAccount]) -> PointsAccount:
    assert len(accounts) == 1
    return accounts[0]


def balances(account: PointsAccount) -> dict[str, Money | int]:
    return {b.campaign_id: b.balance for b in account.balances}


def reward_ids(account: PointsAccount) -> dict[str, list[str]]:
    return {cid: [r.id for r in rewards] for cid, rewards in account.rewards.items()}


# --- lookups --------------------------------------------------------------------------------------


async def test_find_by_card_number_is_one_request_with_the_key_in_the_header(world: World) -> None:
    recorder = Recorder()
    client: PointsProvider = world.make(recorder=recorder)  # mypy checks the protocol here
    assert client.provider is Provider.CLIENTTOOLBOX
    account = only(await client.find_accounts(JANE_CARD))
    assert account.code == JANE_CODE
    assert account.card_number == JANE_CARD
    assert account.customer.full_name == "Jane Doe"
    (balance,) = account.balances
    assert balance.type is CampaignType.GIFTCARD
    assert balance.balance == eur("37.50")
    assert balance.name == "Gift Card"
    assert account.rewards == {}
    assert recorder.types == ["customer_info"]
    form, headers = recorder.forms[0], recorder.headers[0]
    assert headers["api_access_key"] == world.key
    assert world.key not in "".join(f"{k}={v}" for k, v in form.items())
    assert "callback" not in form
    assert "user_password" not in form
    assert form["card_number"] == JANE_CARD
    assert form["user_id"] == world.sandbox.clienttoolbox.user_id
    assert form["account_id"] == world.sandbox.clienttoolbox.account_id
    assert form["output"] == "XML"


async def test_find_by_18_digit_code_tries_card_then_code(world: World) -> None:
    recorder = Recorder()
    client = world.make(recorder=recorder)
    account = only(await client.find_accounts(AMY_CODE))
    assert account.code == AMY_CODE
    assert account.card_number == AMY_CARD
    assert balances(account) == {POINTS: 1250, PARTNER: 1500}
    assert all(isinstance(b.balance, int) for b in account.balances)
    # 2000-point "Lunch for two" is not affordable with 1250 points.
    assert reward_ids(account) == {POINTS: ["41", "42"], PARTNER: ["51"]}
    assert recorder.types == ["customer_info", "customer_info"]
    assert [("card_number" in f, "code" in f) for f in recorder.forms] == [
        (True, False),
        (False, True),
    ]


async def test_scanned_text_is_normalised(world: World) -> None:
    account = only(await world.make().find_accounts(" 1234-5678\r\n"))
    assert account.code == JANE_CODE


async def test_configured_campaign_with_a_leading_zero_stays_a_string(world: World) -> None:
    recorder = Recorder()
    client = world.make(campaign_ids=[PARTNER], recorder=recorder)
    account = only(await client.find_accounts(AMY_CARD))
    (balance,) = account.balances
    assert balance.campaign_id == PARTNER
    assert balance.balance == 1500
    assert reward_ids(account) == {PARTNER: ["51"]}
    assert recorder.forms[0]["campaign_id"] == PARTNER


async def test_several_configured_campaigns_filter_the_answer(world: World) -> None:
    client = world.make(campaign_ids=[POINTS, GIFT])
    account = only(await client.find_accounts(SMITH_CARD))
    assert balances(account) == {GIFT: eur("62.45"), POINTS: 850}


async def test_unknown_card_is_an_empty_list(world: World) -> None:
    recorder = Recorder()
    client = world.make(recorder=recorder)
    assert await client.find_accounts("99999999") == []
    assert recorder.types == ["customer_info", "customer_info"]
    recorder.clear()
    assert await client.find_accounts("  \t") == []
    assert recorder.types == []


async def test_visits_are_counts_and_earned_bucks_are_money(world: World) -> None:
    client = world.make()
    bob = only(await client.find_accounts(BOB_CARD))
    assert balances(bob) == {EVENTS: 12}
    assert reward_ids(bob) == {EVENTS: ["71", "72"]}
    assert bob.balances[0].format() == "12 visits"
    carla = only(await client.find_accounts(CARLA_CARD))
    assert balances(carla) == {EARNED: eur("19.80")}
    assert carla.balances[0].holds_money


async def test_raw_ampersands_are_repaired_once(world: World) -> None:
    world.sandbox.clienttoolbox.raw_ampersands = True
    data = world.sandbox.clienttoolbox
    raw = httpx.post(
        f"{world.url}/clienttoolbox/",
        data={"user_id": data.user_id, "account_id": data.account_id, "type": "customer_info"}
        | {"card_number": SMITH_CARD},
        headers={"api_access_key": world.key},
    )
    assert b"Smith & Sons" in raw.content  # the quirk is really on: this body is not XML
    account = only(await world.make().find_accounts(SMITH_CARD))
    assert account.customer.first_name == "Smith & Sons"
    assert balances(account) == {GIFT: eur("62.45"), POINTS: 850}


async def test_non_ascii_names(world: World) -> None:
    account = only(await world.make().find_accounts(RENEE_CARD))
    assert account.customer.first_name == "Renée"
    assert account.customer.last_name == "Dubois-Éluard"
    assert balances(account) == {PARTNER: 12340, EVENTS: 5}
    assert reward_ids(account) == {PARTNER: ["51", "52"], EVENTS: ["71"]}


@pytest.mark.parametrize("single_object", [False, True])
async def test_json_output_reads_the_same(world: World, single_object: bool) -> None:
    world.sandbox.clienttoolbox.single_json_object = single_object
    xml, recorder = world.make(), Recorder()
    json = world.make(output="JSON", recorder=recorder)
    for code in (JANE_CARD, AMY_CODE, BOB_CARD, SMITH_CARD, RENEE_CARD, "nobody"):
        assert await json.find_accounts(code) == await xml.find_accounts(code)
    assert {f["output"] for f in recorder.forms} == {"JSON"}
    assert await json.history(AMY_CODE, POINTS, transactions=1) == await xml.history(
        AMY_CODE, POINTS, transactions=1
    )
    assert await json.history(JANE_CODE, GIFT, transactions=None) == await xml.history(
        JANE_CODE, GIFT, transactions=None
    )
    page = await json.balances_report(GIFT, limit=1)
    assert page == await xml.balances_report(GIFT, limit=1)
    assert len(page.rows) == 1
    assert await json.campaign_rewards(EVENTS) == await xml.campaign_rewards(EVENTS)


async def test_check_warms_the_campaign_cache(world: World) -> None:
    recorder = Recorder()
    client = world.make(recorder=recorder)
    await client.check()
    assert recorder.types == ["campaigns_list"]
    await client.history(JANE_CODE, GIFT, transactions=0)
    await client.redeem_amount(JANE_CODE, GIFT, eur("1.00"), authorization="POS-C1")
    assert recorder.types == ["campaigns_list", "customer_balance", "redeem"]


async def test_rewards_are_cached_for_the_ttl(world: World) -> None:
    recorder = Recorder()
    cached = world.make(recorder=recorder)
    for _ in range(3):
        assert [r.id for r in await cached.campaign_rewards(POINTS)] == ["41", "42", "43"]
    assert recorder.types == ["campaign_rewards"]
    fresh_recorder = Recorder()
    fresh = world.make(recorder=fresh_recorder, cache_ttl=0)
    for _ in range(2):
        await fresh.campaign_rewards(POINTS)
    assert fresh_recorder.types == ["campaign_rewards", "campaign_rewards"]


async def test_wrong_key_is_unauthorized(world: World) -> None:
    client = world.make(key="0000000000wrongkey")
    with pytest.raises(Unauthorized):
        await client.find_accounts(JANE_CARD)
    with pytest.raises(Unauthorized):
        await client.check()
    assert world.ledger() == []


async def test_a_changed_key_applies_without_restart(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POS_APP_CLIENTTOOLBOX_API_KEY", "stale-key-123456")
    client = world.make(credentials=Credentials())
    with pytest.raises(Unauthorized):
        await client.find_accounts(JANE_CARD)
    monkeypatch.setenv("POS_APP_CLIENTTOOLBOX_API_KEY", world.key)
    assert only(await client.find_accounts(JANE_CARD)).code == JANE_CODE


async def test_logs_hold_neither_the_key_nor_full_codes(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="pos_app")
    client = world.make()
    await client.find_accounts(JANE_CARD)
    await client.redeem_amount(JANE_CODE, GIFT, eur("2.00"), authorization="POS-LOG")
    with pytest.raises(Rejected):
        await client.redeem_amount(JANE_CODE, GIFT, eur("999.00"), authorization="POS-LOG2")
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("pos_app.providers")]
    assert any("•••• 1234" in message for message in ours)
    assert not any(world.key in message for message in ours)
    assert not any(JANE_CODE in message or JANE_CARD in message for message in ours)


# --- history and writes ---------------------------------------------------------------------------


async def test_history_last_n_and_all(world: World) -> None:
    client = world.make()
    last_two = await client.history(AMY_CODE, POINTS, transactions=2)
    assert last_two.balance.balance == 1250
    assert last_two.balance.type is CampaignType.POINTS
    assert [(t.redeemed, t.amount, t.authorization) for t in last_two.transactions] == [
        (False, 550, "POS-2003"),
        (True, 100, "POS-2002"),
    ]
    assert last_two.transactions[0].date > last_two.transactions[1].date
    everything = await client.history(AMY_CODE, POINTS, transactions=None)
    assert [t.authorization for t in everything.transactions] == [
        "POS-2003",
        "POS-2002",
        "POS-2001",
    ]
    assert (await client.history(AMY_CODE, POINTS, transactions=0)).transactions == ()
    gift = await client.history(JANE_CODE, GIFT, transactions=None)
    assert gift.balance.balance == eur("37.50")
    assert [t.amount for t in gift.transactions] == [eur("12.50"), eur("50.00")]
    with pytest.raises(NotFound):
        await client.history("0000000000000000", GIFT)
    with pytest.raises(InvalidRequest):
        await client.history(JANE_CODE, GIFT, transactions=-1)


async def test_record_activity_shows_up_in_the_history(world: World) -> None:
    client = world.make()
    activity = await client.record_activity(
        AMY_CODE, POINTS, amount=eur("12.34"), authorization="POS-REC-1"
    )
    assert activity.authorization == "POS-REC-1"
    assert activity.transaction_id is not None
    newest = (await client.history(AMY_CODE, POINTS, transactions=1)).transactions[0]
    assert newest.id == activity.transaction_id
    assert newest.matches_reference("POS-REC-1")
    assert (newest.redeemed, newest.amount) == (False, 12)
    assert only(await client.find_accounts(AMY_CARD)).balances[0].balance == 1262
    visit = await client.record_activity(
        "8800555535352222", EVENTS, amount=None, authorization="POS-VISIT"
    )
    assert visit.transaction_id is not None
    assert [(e["operation"], e["reference"]) for e in world.ledger()] == [
        ("record_activity", "POS-REC-1"),
        ("record_activity", "POS-VISIT"),
    ]


async def test_gift_card_load_needs_an_amount_in_its_currency(world: World) -> None:
    client = world.make()
    with pytest.raises(InvalidRequest):
        await client.record_activity(JANE_CODE, GIFT, amount=None, authorization="POS-L1")
    with pytest.raises(InvalidRequest):
        await client.record_activity(
            JANE_CODE, GIFT, amount=Money(Decimal(10), "USD"), authorization="POS-L2"
        )
    await client.record_activity(JANE_CODE, GIFT, amount=eur("10.00"), authorization="POS-L3")
    assert (await client.history(JANE_CODE, GIFT, transactions=0)).balance.balance == eur("47.50")
    assert [e["reference"] for e in world.ledger()] == ["POS-L3"]


async def test_redeem_amount_reduces_the_balance_exactly_once(world: World) -> None:
    recorder = Recorder()
    client = world.make(recorder=recorder)
    activity = await client.redeem_amount(JANE_CODE, GIFT, eur("9.95"), authorization="POS-R-1")
    assert activity.transaction_id is not None
    redeem = next(f for f in recorder.forms if f["type"] == "redeem")
    assert redeem["reward_to_redeem"] == "9.95"
    assert redeem["authorization"] == "POS-R-1"
    assert redeem["code"] == JANE_CODE
    (entry,) = world.ledger("POS-R-1")
    assert (entry["operation"], entry["card"], entry["amount"]) == ("redeem", JANE_CODE, "9.95")
    assert len(world.ledger()) == 1
    assert only(await client.find_accounts(JANE_CARD)).balances[0].balance == eur("27.55")


async def test_redeem_over_the_balance_is_rejected_and_changes_nothing(world: World) -> None:
    client = world.make()
    with pytest.raises(Rejected) as refused:
        await client.redeem_amount(JANE_CODE, GIFT, eur("50.00"), authorization="POS-R-2")
    assert "Insufficient balance" in refused.value.message
    assert "37.50" in refused.value.message
    assert not isinstance(refused.value, OutcomeUnknown)
    assert world.ledger() == []
    assert only(await client.find_accounts(JANE_CARD)).balances[0].balance == eur("37.50")


async def test_redeem_amount_refuses_wrong_campaigns_before_sending(world: World) -> None:
    recorder = Recorder()
    client = world.make(recorder=recorder)
    with pytest.raises(InvalidRequest):
        await client.redeem_amount(AMY_CODE, POINTS, eur("5.00"), authorization="POS-X1")
    with pytest.raises(InvalidRequest):
        await client.redeem_amount(JANE_CODE, GIFT, Money(Decimal(5), "USD"), authorization="X2")
    with pytest.raises(InvalidRequest):
        await client.redeem_amount(JANE_CODE, GIFT, eur("0.00"), authorization="POS-X3")
    with pytest.raises(InvalidRequest):
        await client.redeem_amount(JANE_CODE, GIFT, eur("1.00"), authorization="  ")
    with pytest.raises(InvalidRequest):
        await client.redeem_reward(JANE_CODE, GIFT, "41", authorization="POS-X4")
    assert "redeem" not in recorder.types
    assert world.ledger() == []


async def test_redeem_reward_on_points(world: World) -> None:
    client = world.make()
    activity = await client.redeem_reward(AMY_CODE, POINTS, "42", authorization="POS-RW-1")
    assert activity.transaction_id is not None
    history = await client.history(AMY_CODE, POINTS, transactions=1)
    assert history.balance.balance == 750
    assert (history.transactions[0].redeemed, history.transactions[0].amount) == (True, 500)
    (entry,) = world.ledger("POS-RW-1")
    assert entry["amount"] == "500.00"
    with pytest.raises(Rejected) as refused:
        await client.redeem_reward(AMY_CODE, POINTS, "43", authorization="POS-RW-2")
    assert "Not enough points" in refused.value.message
    with pytest.raises(InvalidRequest):
        await client.redeem_reward(AMY_CODE, POINTS, "999", authorization="POS-RW-3")
    assert len(world.ledger()) == 1


async def test_redeem_reward_on_visits(world: World) -> None:
    client = world.make()
    await client.redeem_reward("8800555535352222", EVENTS, "72", authorization="POS-EV")
    assert (await client.history("8800555535352222", EVENTS, transactions=0)).balance.balance == 2


async def test_delete_transaction_restores_the_balance_once(world: World) -> None:
    client = world.make()
    spent = await client.redeem_amount(JANE_CODE, GIFT, eur("7.50"), authorization="POS-D-1")
    assert spent.transaction_id is not None
    voided = await client.delete_transaction(JANE_CODE, GIFT, spent.transaction_id)
    assert voided.transaction_id == spent.transaction_id
    history = await client.history(JANE_CODE, GIFT, transactions=None)
    assert history.balance.balance == eur("37.50")
    assert not any(t.matches_reference("POS-D-1") for t in history.transactions)
    with pytest.raises((Rejected, NotFound)) as again:
        await client.delete_transaction(JANE_CODE, GIFT, spent.transaction_id)
    assert not isinstance(again.value, OutcomeUnknown)
    with pytest.raises(NotFound):
        await client.delete_transaction(JANE_CODE, GIFT, "999999")
    assert [e["operation"] for e in world.ledger()] == ["redeem", "transaction_delete"]


# --- balances report ------------------------------------------------------------------------------


async def test_iter_balances_collects_every_customer_once(world: World) -> None:
    recorder = Recorder()
    client = world.make(recorder=recorder)
    rows = [row async for row in client.iter_balances(POINTS, page_size=100)]
    members = world.sandbox.clienttoolbox.members[POINTS]
    assert len(members) > 300
    assert [row.code for row in rows] == members
    assert recorder.types.count("reports") == 4
    assert [f["offset"] for f in recorder.forms if f["type"] == "reports"] == [
        "0",
        "100",
        "200",
        "300",
    ]
    amy = next(row for row in rows if row.code == AMY_CODE)
    assert (amy.earned, amy.redeemed, amy.balance) == (1350, -100, 1250)
    assert amy.balance_equivalent == eur("12.50")
    data = world.sandbox.clienttoolbox
    expected = {code: int(data.balance(code, POINTS)) for code in members}
    assert {row.code: row.balance for row in rows} == expected


async def test_gift_card_report_rows_are_money(world: World) -> None:
    page = await world.make().balances_report(GIFT, offset=0, limit=500)
    assert page.is_last
    jane = next(row for row in page.rows if row.code == JANE_CODE)
    assert (jane.earned, jane.redeemed, jane.balance) == (eur("50.00"), eur("-12.50"), eur("37.50"))
    assert jane.card_number == JANE_CARD
    assert len(page.rows) == len(world.sandbox.clienttoolbox.members[GIFT])


async def test_coalition_reports(world: World) -> None:
    client = world.make()
    points = [row async for row in client.iter_balances(POINTS, coalition="points", page_size=150)]
    colin = next(row for row in points if row.code == COLIN_CODE)
    assert colin.balance == 300 + 2000  # the opt-out staff campaign is not pooled
    stored = [row async for row in client.iter_balances(GIFT, coalition="storedvalue")]
    colin_money = next(row for row in stored if row.code == COLIN_CODE)
    assert colin_money.balance == eur("50.00")  # 40 + 10; the USD opt-out card is not pooled
    assert len(stored) == len(world.sandbox.clienttoolbox.members[GIFT])
    with pytest.raises(InvalidRequest):
        await client.balances_report(POINTS, coalition="everything")
    with pytest.raises(Rejected):
        await client.balances_report(GIFT, coalition="points")
    with pytest.raises(InvalidRequest):
        await client.balances_report(POINTS, limit=0)


# --- faults ---------------------------------------------------------------------------------------


async def test_latency_is_tolerated(world: World) -> None:
    world.faults(latency_ms=300)
    started = time.monotonic()
    account = only(await world.make().find_accounts(JANE_CARD))
    assert time.monotonic() - started >= 0.3
    assert account.balances[0].balance == eur("37.50")


async def test_flaky_reads_are_retried(world: World) -> None:
    world.sandbox.faults.rng.seed(11)
    world.faults(error_rate=0.3, error_status=500)
    client = world.make(retry=RetryPolicy(attempts=8, base=0.001, cap=0.002))
    for _ in range(10):
        assert only(await client.find_accounts(JANE_CARD)).code == JANE_CODE


async def test_rate_limit_waits_out_retry_after(world: World) -> None:
    world.faults(rate_limit_rate=1.0, retry_after=2)
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    client = world.make(sleep=record)
    with pytest.raises(RateLimited) as limited:
        await client.find_accounts(JANE_CARD)
    assert limited.value.retry_after == 2
    assert waits == [2, 2]
    waits.clear()
    with pytest.raises(RateLimited):
        await client.delete_transaction(JANE_CODE, GIFT, "1001")
    assert waits == []


async def test_rate_limited_read_then_recovers(world: World) -> None:
    world.sandbox.faults.rng.seed(3)
    world.faults(rate_limit_rate=0.5, retry_after=1)
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    client = world.make(sleep=record, retry=RetryPolicy(attempts=10, base=0.001, cap=0.002))
    for _ in range(5):
        assert only(await client.find_accounts(JANE_CARD)).code == JANE_CODE
    assert waits
    assert all(wait >= 1 for wait in waits)


async def test_dropped_read_is_unavailable(world: World) -> None:
    world.faults(drop_rate=1.0)
    with pytest.raises(BackendUnavailable) as dropped:
        await world.make().find_accounts(JANE_CARD)
    assert not isinstance(dropped.value, OutcomeUnknown)


async def test_apply_then_drop_on_redeem_is_unknown_and_applied_once(world: World) -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    recorder = Recorder()
    client = world.make(
        sleep=record, retry=RetryPolicy(attempts=5, base=0.001, cap=0.002), recorder=recorder
    )
    await client.check()
    world.faults(apply_then_drop_rate=1.0)
    with pytest.raises(OutcomeUnknown) as unknown:
        await client.redeem_amount(JANE_CODE, GIFT, eur("5.00"), authorization="POS-ATD-1")
    assert not isinstance(unknown.value, BackendUnavailable | Rejected | NotFound)
    assert waits == []
    assert recorder.types == ["campaigns_list", "redeem"]
    (entry,) = world.ledger("POS-ATD-1")
    assert entry["amount"] == "5.00"
    assert len(world.ledger()) == 1
    world.faults()
    history = await client.history(JANE_CODE, GIFT, transactions=5)
    assert sum(t.matches_reference("POS-ATD-1") for t in history.transactions) == 1
    assert history.balance.balance == eur("32.50")


async def test_outage_is_unavailable_for_reads_and_writes(world: World) -> None:
    client = world.make()
    await client.check()
    world.faults(outage=True)
    with pytest.raises(BackendUnavailable):
        await client.find_accounts(JANE_CARD)
    with pytest.raises(BackendUnavailable) as write:
        await client.redeem_amount(JANE_CODE, GIFT, eur("1.00"), authorization="POS-OUT")
    assert not isinstance(write.value, OutcomeUnknown)
    assert world.ledger() == []


async def test_html_4xx_is_unavailable_for_reads_and_unknown_for_writes(world: World) -> None:
    client = world.make()
    await client.check()
    world.faults(error_rate=1.0, error_status=404)
    with pytest.raises(BackendUnavailable):
        await client.find_accounts(JANE_CARD)
    with pytest.raises(OutcomeUnknown):
        await client.redeem_amount(JANE_CODE, GIFT, eur("1.00"), authorization="POS-404")


async def test_server_error_on_a_write_is_not_retried(world: World) -> None:
    recorder = Recorder()
    client = world.make(retry=RetryPolicy(attempts=5, base=0.001, cap=0.002), recorder=recorder)
    await client.check()
    world.faults(error_rate=1.0, error_status=500)
    with pytest.raises(OutcomeUnknown):
        await client.redeem_amount(JANE_CODE, GIFT, eur("1.00"), authorization="POS-500")
    assert recorder.types == ["campaigns_list", "redeem"]
    with pytest.raises(BackendUnavailable):
        await client.history(JANE_CODE, GIFT)
    assert recorder.types.count("customer_balance") == 5
