"""The end-of-shift report from a real journal: what the till did between opening and closing.

Every figure asserted here is worked out from the operations the test itself made against the
emulators (over HTTP), so a miscount in the report cannot hide behind a hard-coded number.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from pos_app.domain import Money, Provider
from pos_app.domain.shift_report import CSV_HEADER, NO_CASHIER, ShiftReport, Totals, plain_money
from pos_app.sandbox.state import Sandbox
from pos_app.services.card_actions import ActionResult
from pos_app.services.shift_reports import report_for, write_csv
from pos_app.services.till import (
    TRAINING_CASHIER,
    TRAINING_CASHIER_PIN,
    TRAINING_MANAGER,
    TRAINING_MANAGER_PIN,
)
from tests.tills import (
    ANA_CODE,
    MAIN_CARD,
    POINTS,
    STORED_VALUE,
    Counter,
    counter_at,
    faults,
    find,
    usd,
)

LD, LEAL, CTB = Provider.LOYALTYDOG, Provider.LEAL, Provider.CLIENTTOOLBOX
OTHER_CARD = "6119786109373652"  # LoyaltyDog seed 0: 24.50 USD, partly used


@pytest.fixture
async def counter(sandbox_server: tuple[str, Sandbox], tmp_path: Path) -> AsyncIterator[Counter]:
    async with counter_at(sandbox_server, tmp_path) as counter:
        yield counter


def tally(*amounts: Money) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for amount in amounts:
        out[amount.currency] = out.get(amount.currency, Decimal(0)) + amount.amount
    return out


def minus(a: dict[str, Decimal], b: dict[str, Decimal]) -> dict[str, Decimal]:
    out = dict(a)
    for currency, value in b.items():
        out[currency] = out.get(currency, Decimal(0)) - value
    return out


def figures(t: Totals) -> dict[str, object]:
    return {
        "redemptions": t.redemptions,
        "redeemed": t.redeemed,
        "undos": t.undos,
        "undone": t.undone,
        "net": t.net(),
        "stamp_operations": t.stamp_operations,
        "stamps": t.stamps,
        "rewards": t.rewards,
        "pending": t.pending,
        "pending_amount": t.pending_amount,
        "needs_attention": t.needs_attention,
        "resolved": t.resolved,
        "not_done": t.not_done,
    }


def expect(**given: object) -> dict[str, object]:
    """A slice's figures: zero everywhere but where the test says otherwise."""
    zero: dict[str, object] = {
        "redemptions": 0,
        "redeemed": {},
        "undos": 0,
        "undone": {},
        "stamp_operations": 0,
        "stamps": 0,
        "rewards": 0,
        "pending": 0,
        "pending_amount": {},
        "needs_attention": 0,
        "resolved": 0,
        "not_done": 0,
    }
    zero.update(given)
    redeemed, undone = zero["redeemed"], zero["undone"]
    assert isinstance(redeemed, dict)
    assert isinstance(undone, dict)
    zero["net"] = minus(redeemed, undone)
    return zero


def done(result: ActionResult, state: str = "done") -> ActionResult:
    assert result.state == state, result.message
    return result


async def a_whole_shift(counter: Counter) -> tuple[ShiftReport, dict[str, object]]:
    """Operations before, during (two cashiers, and none signed in) and after one shift."""
    till, actions = counter.till, counter.actions
    gift = await find(till, MAIN_CARD, LD)
    other = await find(till, OTHER_CARD, LD)  # seen online, so it may be used offline
    stored = await find(till, STORED_VALUE, CTB, kind="stored_value")
    stamps = await find(till, ANA_CODE, LEAL)
    points = await find(till, POINTS, CTB, count=1250)
    assert stored.balance is not None
    currency = stored.balance.currency

    done(await actions.redeem(gift, usd("1.00")))  # before anyone signed in: no shift yet
    signed = till.sign_in(TRAINING_CASHIER, TRAINING_CASHIER_PIN)
    assert signed.ok, signed.message
    assert signed.shift is not None
    shift = signed.shift

    # Ana's part
    a1, a2, a3 = usd("25.50"), usd("10.00"), Money(Decimal("7.50"), currency)
    done(await actions.redeem(gift, a1))
    undone = done(await actions.redeem(gift, a2))
    assert undone.undo is not None
    done(await actions.undo(undone.undo))
    done(await actions.redeem(stored, a3))
    stamped = done(await actions.add_stamps(stamps, 2))
    assert stamped.match is not None
    reward = next(r for r in stamped.match.rewards if r.redeemable)
    done(await actions.redeem_reward(stamped.match, reward.id))
    done(await actions.redeem(gift, usd("80.00")), "rejected")  # `gift` still shows 100.00
    faults(counter.url, "loyaltydog", outage=True)
    owed = usd("5.00")
    done(await actions.redeem(other, owed), "pending")
    till.sign_out()

    # nobody signed in (a headless command while the shift is open)
    done(await actions.add_stamps(stamps, 1))

    # the manager's part
    again = till.sign_in(TRAINING_MANAGER, TRAINING_MANAGER_PIN)
    assert again.ok, again.message
    assert again.shift == shift  # the same shift goes on
    m1 = Money(Decimal("2.00"), currency)
    done(await actions.redeem(stored, m1))
    points_reward = next(r for r in points.rewards if r.redeemable)
    done(await actions.redeem_reward(points, points_reward.id))
    closed = till.close_shift(TRAINING_MANAGER)
    assert closed is not None
    assert closed.shift_id == shift.shift_id

    done(await actions.redeem(stored, Money(Decimal("3.00"), currency)))  # after the close

    report = report_for(till, shift.shift_id)
    assert report is not None
    ana = expect(
        redemptions=3,
        redeemed=tally(a1, a2, a3),
        undos=1,
        undone=tally(a2),
        stamp_operations=1,
        stamps=2,
        rewards=1,
        pending=1,
        pending_amount=tally(owed),
        not_done=1,
    )
    nobody = expect(stamp_operations=1, stamps=1)
    manager = expect(redemptions=1, redeemed=tally(m1), rewards=1)
    wanted: dict[str, object] = {
        "total": expect(
            redemptions=4,
            redeemed=tally(a1, a2, a3, m1),
            undos=1,
            undone=tally(a2),
            stamp_operations=2,
            stamps=3,
            rewards=2,
            pending=1,
            pending_amount=tally(owed),
            not_done=1,
        ),
        "by_backend": {
            LD: expect(
                redemptions=2,
                redeemed=tally(a1, a2),
                undos=1,
                undone=tally(a2),
                pending=1,
                pending_amount=tally(owed),
                not_done=1,
            ),
            LEAL: expect(stamp_operations=2, stamps=3, rewards=1),
            CTB: expect(redemptions=2, redeemed=tally(a3, m1), rewards=1),
        },
        "by_cashier": {NO_CASHIER: nobody, TRAINING_CASHIER: ana, TRAINING_MANAGER: manager},
    }
    return report, wanted


async def test_the_report_counts_exactly_what_the_shift_did(counter: Counter) -> None:
    report, wanted = await a_whole_shift(counter)
    assert figures(report.total) == wanted["total"]
    by_backend = wanted["by_backend"]
    by_cashier = wanted["by_cashier"]
    assert isinstance(by_backend, dict)
    assert isinstance(by_cashier, dict)
    assert list(report.by_backend) == [LD, LEAL, CTB]
    assert {p: figures(t) for p, t in report.by_backend.items()} == by_backend
    assert list(report.by_cashier) == [NO_CASHIER, TRAINING_CASHIER, TRAINING_MANAGER]
    assert {n: figures(t) for n, t in report.by_cashier.items()} == by_cashier
    assert report.total.operations == 11
    facts = report.facts
    assert (facts.opened_by, facts.closed_by, facts.terminal) == (
        TRAINING_CASHIER,
        TRAINING_MANAGER,
        counter.till.terminal,
    )


async def test_operations_outside_the_shift_belong_to_no_report_or_the_next(
    counter: Counter,
) -> None:
    till = counter.till
    assert report_for(till) is None  # no shift open yet
    report, _ = await a_whole_shift(counter)
    assert report_for(till) is None  # closed, and nobody signed in since
    assert report_for(till, report.facts.shift_id + 1) is None
    signed = till.sign_in(TRAINING_CASHIER, TRAINING_CASHIER_PIN)
    assert signed.shift is not None
    assert signed.shift.shift_id > report.facts.shift_id
    current = report_for(till)
    assert current is not None
    assert current.facts == signed.shift
    assert current.total.operations == 0  # the redemption after the close came before this one
    stored = await find(till, STORED_VALUE, CTB, kind="stored_value")
    assert stored.balance is not None
    amount = Money(Decimal("4.25"), stored.balance.currency)
    done(await counter.actions.redeem(stored, amount))
    now = report_for(till)
    assert now is not None
    assert figures(now.total) == expect(redemptions=1, redeemed=tally(amount))
    assert list(now.by_cashier) == [TRAINING_CASHIER]
    again = report_for(till, report.facts.shift_id)
    assert again is not None
    assert figures(again.total) == figures(report.total)  # a past shift's report never moves


async def test_the_csv_file_parses_back_with_every_slice(counter: Counter, tmp_path: Path) -> None:
    report, wanted = await a_whole_shift(counter)
    path = tmp_path / "shift.csv"
    write_csv(report, path)
    assert path.read_bytes().startswith(codecs.BOM_UTF8)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [list(row) for row in report.csv_rows()]
    assert tuple(rows[0]) == CSV_HEADER
    by_name = {(row[0], row[1]): dict(zip(CSV_HEADER, row, strict=True)) for row in rows[1:]}
    assert list(by_name) == [
        ("shift", f"Shift {report.facts.shift_id}"),
        ("backend", "LoyaltyDog"),
        ("backend", "Leal"),
        ("backend", "ClientToolbox"),
        ("cashier", NO_CASHIER),
        ("cashier", TRAINING_CASHIER),
        ("cashier", TRAINING_MANAGER),
    ]
    total = wanted["total"]
    assert isinstance(total, dict)
    shift_row = by_name[("shift", f"Shift {report.facts.shift_id}")]
    for column, key in (("redeemed", "redeemed"), ("undone", "undone"), ("net", "net")):
        assert shift_row[column] == plain_money(total[key])
    assert shift_row["pending_amount"] == plain_money(total["pending_amount"])
    assert (shift_row["redemptions"], shift_row["stamps_added"], shift_row["not_done"]) == (
        str(total["redemptions"]),
        str(total["stamps"]),
        str(total["not_done"]),
    )
    ana = by_name[("cashier", TRAINING_CASHIER)]
    assert ana["undos"] == "1"
    assert ana["pending"] == "1"
