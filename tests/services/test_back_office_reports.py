"""Back-office reports against the emulators over HTTP: every figure checked against the seed."""

from __future__ import annotations

import asyncio
import csv
import time
from collections import Counter
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pos_app.domain.money import Money
from pos_app.domain.outcomes import BalancesReportRow
from pos_app.providers.errors import BackendUnavailable, Rejected
from pos_app.providers.factory import Backends, build_backends
from pos_app.providers.protocols import PointsProvider
from pos_app.sandbox.state import Sandbox
from pos_app.services.back_office_reports import (
    BALANCES_CSV_HEADER,
    BalancesFetch,
    ReportUnavailable,
    balances_csv_rows,
    business_report,
    campaign_label,
    campaign_names,
    customer_report,
    write_balances_csv,
)
from pos_app.training import sandbox_credentials
from tests.tills import enrol_customers, faults, till_config


@pytest.fixture
async def backends(sandbox_server: tuple[str, Sandbox]) -> AsyncIterator[Backends]:
    url, sandbox = sandbox_server
    built = build_backends(till_config(url, sandbox), sandbox_credentials(sandbox.seed_summary()))
    try:
        yield built
    finally:
        await built.aclose()


def points_of(backends: Backends) -> PointsProvider:
    assert backends.points is not None
    return backends.points


def biggest_campaign(sandbox: Sandbox) -> tuple[str, list[str]]:
    """The campaign with the most customers in the seed, and their codes in seed order."""
    seed = sandbox.seed_summary()["clienttoolbox"]["customers"]
    campaign, _ = Counter(row["campaign_id"] for row in seed).most_common(1)[0]
    return campaign, [row["code"] for row in seed if row["campaign_id"] == campaign]


def seed_balances(sandbox: Sandbox, campaign: str) -> dict[str, str]:
    seed = sandbox.seed_summary()["clienttoolbox"]["customers"]
    return {row["code"]: row["balance"] for row in seed if row["campaign_id"] == campaign}


def shown(value: int | Money) -> str:
    return value.to_api() if isinstance(value, Money) else str(value)


# -- balances --------------------------------------------------------------------------------


async def test_every_customer_arrives_once_page_by_page(
    backends: Backends, sandbox_server: tuple[str, Sandbox]
) -> None:
    _, sandbox = sandbox_server
    campaign, codes = biggest_campaign(sandbox)
    assert len(codes) > 300
    fetch = BalancesFetch(points_of(backends), campaign, page_size=50)
    pages: list[int] = []
    await fetch.run(lambda rows: pages.append(len(rows)))
    assert fetch.done
    assert fetch.error is None
    assert not fetch.cancelled
    assert [row.code for row in fetch.rows] == codes
    assert fetch.pages == len(pages) == -(-len(codes) // 50)
    assert pages[:-1] == [50] * (fetch.pages - 1)
    assert sum(pages) == len(codes)
    expected = seed_balances(sandbox, campaign)
    assert {row.code: shown(row.balance) for row in fetch.rows} == expected
    whole = await points_of(backends).balances_report(campaign, offset=0, limit=1000)
    assert list(whole.rows) == fetch.rows


async def test_a_full_last_page_is_followed_by_an_empty_one(
    backends: Backends, sandbox_server: tuple[str, Sandbox]
) -> None:
    _, sandbox = sandbox_server
    campaign, codes = biggest_campaign(sandbox)
    fetch = BalancesFetch(points_of(backends), campaign, page_size=len(codes))
    await fetch.run()
    assert fetch.done
    assert fetch.pages == 2  # the API has no total: only a short page ends the report
    assert len(fetch.rows) == len(codes)


async def test_cancel_keeps_the_rows_so_far_and_stops(
    backends: Backends, sandbox_server: tuple[str, Sandbox]
) -> None:
    _, sandbox = sandbox_server
    campaign, codes = biggest_campaign(sandbox)
    fetch = BalancesFetch(points_of(backends), campaign, page_size=50)

    def on_page(rows: Any) -> None:
        if fetch.pages == 3:
            fetch.cancel()

    await fetch.run(on_page)
    assert fetch.cancelled
    assert not fetch.done
    assert [row.code for row in fetch.rows] == codes[:150]
    await fetch.run(on_page)  # a cancelled fetch stays stopped
    assert fetch.pages == 3


async def test_cancel_abandons_the_page_in_flight(
    backends: Backends, sandbox_server: tuple[str, Sandbox]
) -> None:
    url, sandbox = sandbox_server
    campaign, codes = biggest_campaign(sandbox)
    fetch = BalancesFetch(points_of(backends), campaign, page_size=50)
    first = asyncio.Event()

    def on_page(rows: Any) -> None:
        faults(url, "clienttoolbox", latency_ms=3000)
        first.set()

    task = asyncio.create_task(fetch.run(on_page))
    await first.wait()
    await asyncio.sleep(0.2)
    started = time.monotonic()
    fetch.cancel()
    await asyncio.wait_for(task, 2)
    assert time.monotonic() - started < 1
    assert fetch.cancelled
    assert fetch.pages == 1
    assert [row.code for row in fetch.rows] == codes[:50]


async def test_a_failed_page_keeps_the_rows_and_run_again_resumes_there(
    backends: Backends, sandbox_server: tuple[str, Sandbox]
) -> None:
    url, sandbox = sandbox_server
    campaign, codes = biggest_campaign(sandbox)
    fetch = BalancesFetch(points_of(backends), campaign, page_size=50)

    def on_page(rows: Any) -> None:
        if fetch.pages == 3:
            faults(url, "clienttoolbox", error_rate=1.0, error_status=503)

    await fetch.run(on_page)
    assert isinstance(fetch.error, BackendUnavailable)
    assert not fetch.done
    assert [row.code for row in fetch.rows] == codes[:150]
    assert fetch.offset == 150
    faults(url, "clienttoolbox")
    arrived: list[list[str]] = []
    await fetch.run(lambda rows: arrived.append([row.code for row in rows]))
    assert fetch.error is None
    assert fetch.done
    assert arrived[0] == codes[150:200]  # resumed at the failed page
    assert [row.code for row in fetch.rows] == codes
    assert len({row.code for row in fetch.rows}) == len(codes)


async def test_one_run_at_a_time(backends: Backends, sandbox_server: tuple[str, Sandbox]) -> None:
    _, sandbox = sandbox_server
    campaign, codes = biggest_campaign(sandbox)
    fetch = BalancesFetch(points_of(backends), campaign, page_size=100)
    first = asyncio.create_task(fetch.run())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="already"):
        await fetch.run()
    await first
    assert [row.code for row in fetch.rows] == codes


async def test_coalition_points_pool_the_points_campaigns(
    backends: Backends, sandbox_server: tuple[str, Sandbox]
) -> None:
    _, sandbox = sandbox_server
    data = sandbox.clienttoolbox
    campaign, codes = biggest_campaign(sandbox)
    pool = [c.id for c in data.campaigns.values() if c.type == "points" and not c.opt_out]
    assert len(pool) > 1
    fetch = BalancesFetch(points_of(backends), campaign, coalition="points", page_size=100)
    await fetch.run()
    assert [row.code for row in fetch.rows] == codes
    expected = {code: sum(data.balance(code, c) for c in pool) for code in codes}
    assert {row.code: Decimal(row.balance) for row in fetch.rows} == expected  # type: ignore[arg-type]
    assert any(expected[code] != data.balance(code, campaign) for code in codes)


async def test_coalition_storedvalue_pools_the_gift_card_campaigns(
    backends: Backends, sandbox_server: tuple[str, Sandbox]
) -> None:
    _, sandbox = sandbox_server
    data = sandbox.clienttoolbox
    gift = next(c for c in data.campaigns.values() if c.type == "giftcard" and not c.opt_out)
    pool = [c.id for c in data.campaigns.values() if c.type == "giftcard" and not c.opt_out]
    fetch = BalancesFetch(points_of(backends), gift.id, coalition="storedvalue", page_size=40)
    await fetch.run()
    assert fetch.done
    assert fetch.pages > 1
    assert [row.code for row in fetch.rows] == data.members[gift.id]
    for row in fetch.rows:
        assert isinstance(row.balance, Money)
        assert row.balance.amount == sum(data.balance(row.code, c) for c in pool)


async def test_a_refused_coalition_is_an_error_not_an_exception(backends: Backends) -> None:
    gift = "4564222953051300"
    fetch = BalancesFetch(points_of(backends), gift, coalition="points")
    await fetch.run()
    assert isinstance(fetch.error, Rejected)
    assert fetch.rows == []
    assert fetch.pages == 0


async def test_csv_reads_back_as_the_rows(
    backends: Backends, sandbox_server: tuple[str, Sandbox], tmp_path: Path
) -> None:
    _, sandbox = sandbox_server
    gift = "4564222953051300"
    fetch = BalancesFetch(points_of(backends), gift, page_size=100)
    await fetch.run()
    path = tmp_path / "balances.csv"
    assert write_balances_csv(fetch.rows, path) == len(fetch.rows)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as sheet:
        lines = list(csv.reader(sheet))
    assert tuple(lines[0]) == BALANCES_CSV_HEADER
    assert lines == balances_csv_rows(fetch.rows)
    by_code = {line[0]: dict(zip(lines[0], line, strict=True)) for line in lines[1:]}
    assert {code: line["balance"] for code, line in by_code.items()} == seed_balances(sandbox, gift)
    assert {line["unit"] for line in by_code.values()} == {"EUR"}
    for line in by_code.values():
        assert Decimal(line["earned"]) + Decimal(line["redeemed"]) == Decimal(line["balance"])
    jane = next(line for line in by_code.values() if line["card_number"] == "12345678")
    assert (jane["first_name"], jane["last_name"], jane["balance"]) == ("Jane", "Doe", "37.50")


def test_csv_of_points_says_points() -> None:
    lines = balances_csv_rows(
        [
            BalancesReportRow(
                code="c1",
                card_number="9",
                first_name="Zoë",
                last_name="O'Brien, Jr",
                email=None,
                earned=1350,
                redeemed=-100,
                balance=1250,
                earned_equivalent=None,
                redeemed_equivalent=None,
                balance_equivalent=Money(Decimal("12.5"), "EUR"),
            )
        ]
    )
    assert lines[1] == [
        "c1",
        "9",
        "Zoë",
        "O'Brien, Jr",
        "",
        "1350",
        "-100",
        "1250",
        "points",
        "",
        "",
        "12.50",
        "EUR",
    ]


# -- LoyaltyDog reports ----------------------------------------------------------------------


async def test_business_report_is_what_the_seed_says(
    backends: Backends, sandbox_server: tuple[str, Sandbox]
) -> None:
    _, sandbox = sandbox_server
    seed = sandbox.seed_summary()["loyaltydog"]
    cards = [
        c for c in seed["cards"] if c.get("programId", seed["program_id"]) == seed["program_id"]
    ]
    report = await business_report(backends)
    statuses = Counter(card["status"] for card in cards)
    assert report.card_counts["total"] == len(cards)
    reported = {status: n for status, n in report.card_counts.items() if status != "total"}
    assert reported == {status: statuses[status] for status in reported}
    assert set(statuses) - set(reported) <= {"suspended"}  # the report has no suspended count
    assert report.total_balance == Money.total(
        (Money.from_api(c["balance"], "USD") for c in cards), "USD"
    )
    own = sandbox.loyaltydog.business_report(seed["program_id"])
    assert report.total_sold.to_api() == own["totalSold"]
    assert report.total_redeemed.to_api() == own["totalRedeemed"]
    assert report.sales_this_month.to_api() == own["salesThisMonth"]
    assert report.cards_sold_this_month == own["cardsSoldThisMonth"] > 0


async def test_customer_report_for_one_card_and_for_everyone(
    backends: Backends, sandbox_server: tuple[str, Sandbox]
) -> None:
    _, sandbox = sandbox_server
    seed = sandbox.seed_summary()["loyaltydog"]
    anchor = next(c for c in seed["cards"] if c["role"] == "active")
    theirs = [c for c in seed["cards"] if c["customerId"] == anchor["customerId"]]
    assert len(theirs) > 1
    one = await customer_report(backends, card_id=anchor["id"])
    assert one.total_cards == len(theirs)
    assert one.total_balance == Money.total(
        (Money.from_api(c["balance"], "USD") for c in theirs), "USD"
    )
    everyone = await customer_report(backends)
    assert everyone.total_cards == len(seed["cards"])
    assert everyone.total_balance == Money.total(
        (Money.from_api(c["balance"], "USD") for c in seed["cards"]), "USD"
    )
    assert everyone.active_cards <= sum(1 for c in seed["cards"] if c["status"] == "active")


async def test_reports_of_a_back_end_that_is_not_set_up() -> None:
    with pytest.raises(ReportUnavailable, match="LoyaltyDog"):
        await business_report(Backends())
    with pytest.raises(ReportUnavailable, match="LoyaltyDog"):
        await customer_report(Backends(), card_id="x")


# -- campaign names --------------------------------------------------------------------------


async def test_campaigns_are_named_as_clienttoolbox_lists_them(
    backends: Backends, sandbox_server: tuple[str, Sandbox]
) -> None:
    _, sandbox = sandbox_server
    seeded = sandbox.seed_summary()["clienttoolbox"]["campaigns"]
    expected = {c["campaign_id"]: c["name"] for c in seeded}
    assert len(expected) > 1
    names = await campaign_names(backends)
    assert names == expected
    campaign, name = next(iter(expected.items()))
    assert campaign_label(campaign, names) == f"{name} ({campaign})"


async def test_campaigns_without_names_are_still_offered_by_id(
    backends: Backends, sandbox_server: tuple[str, Sandbox]
) -> None:
    """A back-end that cannot be asked, or is not set up, leaves the ids: reports still work."""
    url, _ = sandbox_server
    faults(url, "clienttoolbox", outage=True)
    try:
        assert await campaign_names(backends) == {}
    finally:
        faults(url, "clienttoolbox")
    assert await campaign_names(Backends()) == {}
    assert campaign_label("318204775190", {}) == "Campaign 318204775190"
    other = {"4564222953051300": "Gift"}
    assert campaign_label("318204775190", other) == "Campaign 318204775190"


async def test_paging_across_more_than_500_customers(
    backends: Backends, sandbox_server: tuple[str, Sandbox]
) -> None:
    url, sandbox = sandbox_server
    campaign, codes = biggest_campaign(sandbox)
    enrolled = enrol_customers(url, sandbox, campaign, 150)
    fetch = BalancesFetch(points_of(backends), campaign, page_size=50)
    pages: list[int] = []
    await fetch.run(lambda rows: pages.append(len(rows)))
    everyone = [row.code for row in fetch.rows]
    assert len(everyone) == len(codes) + 150 > 500
    assert set(everyone) == set(codes) | set(enrolled)
    assert len(set(everyone)) == len(everyone)  # each customer once
    assert fetch.done
    assert len(pages) == -(-len(everyone) // 50) == 11
