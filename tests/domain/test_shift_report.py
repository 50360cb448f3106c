"""The end-of-shift totals: only confirmed money counts, currencies never mix, slices add up."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos_app.domain import Money, OperationKind, Provider
from pos_app.domain.shift_report import (
    CSV_HEADER,
    NO_CASHIER,
    Outcome,
    ShiftFacts,
    ShiftOperation,
    Totals,
    money_text,
    plain_money,
    shift_report,
)
from tests.domain.builders import NOW, usd

LD, LEAL, CTB = Provider.LOYALTYDOG, Provider.LEAL, Provider.CLIENTTOOLBOX
REDEEM, STAMP = OperationKind.REDEEM, OperationKind.ADD_STAMPS
REWARD, UNDO = OperationKind.REDEEM_REWARD, OperationKind.REFUND


def eur(text: str) -> Money:
    return Money(Decimal(text), "EUR")


def op(
    kind: OperationKind = REDEEM,
    outcome: Outcome = Outcome.CONFIRMED,
    *,
    provider: Provider = LD,
    cashier: str | None = "Ana",
    amount: Money | None = None,
    units: int | None = None,
) -> ShiftOperation:
    if amount is None and kind in (REDEEM, UNDO):
        amount = usd("10.00")
    return ShiftOperation(provider, kind, outcome, cashier, amount, units)


def facts(**overrides: object) -> ShiftFacts:
    fields: dict[str, object] = {
        "shift_id": 7,
        "terminal": "till-1",
        "opened_at": NOW,
        "opened_by": "Ana",
    }
    fields.update(overrides)
    return ShiftFacts(**fields)  # type: ignore[arg-type]


def totals(*ops: ShiftOperation) -> Totals:
    counted = Totals()
    for one in ops:
        counted.count(one)
    return counted


# ---------------------------------------------------------------------- counting


def test_confirmed_operations_count_by_kind() -> None:
    t = totals(
        op(REDEEM, amount=usd("25.50")),
        op(REDEEM, amount=usd("4.50")),
        op(STAMP, provider=LEAL, units=2),
        op(STAMP, provider=LEAL, units=3),
        op(REWARD, provider=LEAL, units=10),
        op(REWARD, provider=CTB, units=100),
        op(UNDO, amount=usd("4.50")),
    )
    assert (t.redemptions, t.redeemed) == (2, {"USD": Decimal("30.00")})
    assert (t.stamp_operations, t.stamps) == (2, 5)
    assert t.rewards == 2
    assert (t.undos, t.undone) == (1, {"USD": Decimal("4.50")})
    assert (t.pending, t.needs_attention, t.resolved, t.not_done) == (0, 0, 0, 0)
    assert t.operations == 7


def test_net_is_redeemed_minus_undone_per_currency() -> None:
    t = totals(
        op(amount=usd("25.00")),
        op(amount=usd("5.00")),
        op(UNDO, amount=usd("5.00")),
        op(amount=eur("3.00")),
    )
    assert t.net() == {"USD": Decimal("25.00"), "EUR": Decimal("3.00")}
    assert t.redeemed == {"USD": Decimal("30.00"), "EUR": Decimal("3.00")}


def test_an_undo_of_an_earlier_shifts_redemption_makes_net_negative() -> None:
    t = totals(op(UNDO, amount=eur("7.25")), op(amount=usd("1.00")))
    assert t.net() == {"USD": Decimal("1.00"), "EUR": Decimal("-7.25")}
    assert money_text(t.net()) == "-€ 7.25 + $ 1.00"
    assert plain_money(t.net()) == "-7.25 EUR; 1.00 USD"


@pytest.mark.parametrize(
    ("outcome", "counter"),
    [
        (Outcome.PENDING, "pending"),
        (Outcome.NEEDS_ATTENTION, "needs_attention"),
        (Outcome.RESOLVED, "resolved"),
        (Outcome.NOT_DONE, "not_done"),
    ],
)
@pytest.mark.parametrize("kind", list(OperationKind))
def test_unconfirmed_outcomes_are_counted_apart_and_move_no_money(
    outcome: Outcome, counter: str, kind: OperationKind
) -> None:
    t = totals(op(kind, outcome, units=3))
    assert getattr(t, counter) == 1
    assert t.operations == 1
    assert (t.redemptions, t.stamp_operations, t.stamps, t.rewards, t.undos) == (0, 0, 0, 0, 0)
    assert t.redeemed == t.undone == t.net() == {}
    others = {"pending", "needs_attention", "resolved", "not_done"} - {counter}
    assert all(getattr(t, name) == 0 for name in others)


def test_only_pending_redemptions_add_to_the_pending_amount() -> None:
    t = totals(
        op(REDEEM, Outcome.PENDING, amount=usd("12.00")),
        op(REDEEM, Outcome.PENDING, amount=eur("2.00")),
        op(UNDO, Outcome.PENDING, amount=usd("99.00")),
        op(STAMP, Outcome.PENDING, provider=LEAL, units=4),
        op(REDEEM, Outcome.NEEDS_ATTENTION, amount=usd("50.00")),
        op(REDEEM, Outcome.NOT_DONE, amount=usd("60.00")),
    )
    assert t.pending == 4
    assert t.pending_amount == {"USD": Decimal("12.00"), "EUR": Decimal("2.00")}
    assert (t.needs_attention, t.not_done) == (1, 1)


def test_missing_amounts_and_units_count_as_operations_without_value() -> None:
    t = totals(
        ShiftOperation(LD, REDEEM, Outcome.CONFIRMED, None, None, None),
        ShiftOperation(LEAL, STAMP, Outcome.CONFIRMED, None, None, None),
    )
    assert (t.redemptions, t.redeemed, t.stamp_operations, t.stamps) == (1, {}, 1, 0)


# ---------------------------------------------------------------------- money as text


def test_money_text_keeps_currencies_apart_in_code_order() -> None:
    assert money_text({}) == "0"
    assert money_text({"USD": Decimal("25")}) == "$ 25.00"
    assert money_text({"USD": Decimal("25"), "EUR": Decimal("3")}) == "€ 3.00 + $ 25.00"
    assert money_text({"EUR": Decimal("1234.5")}, ",") == "€ 1.234,50"
    assert money_text({"USD": Decimal(0)}) == "$ 0.00"


def test_plain_money_is_for_accounting_imports() -> None:
    assert plain_money({}) == ""
    assert plain_money({"USD": Decimal("25")}) == "25.00 USD"
    assert plain_money({"USD": Decimal("1234.5"), "GBP": Decimal("3")}) == "3.00 GBP; 1234.50 USD"


# ---------------------------------------------------------------------- the report


def test_the_report_slices_by_backend_in_a_fixed_order_and_by_cashier_by_name() -> None:
    report = shift_report(
        facts(),
        [
            op(REWARD, provider=CTB, cashier="bruno", units=100),
            op(STAMP, provider=LEAL, cashier="Ana", units=1),
            op(REDEEM, provider=LD, cashier=None, amount=usd("5.00")),
            op(REDEEM, provider=CTB, cashier="", amount=usd("2.00")),
            op(REDEEM, provider=LD, cashier="Ana", amount=usd("3.00")),
        ],
    )
    assert list(report.by_backend) == [LD, LEAL, CTB]
    assert list(report.by_cashier) == [NO_CASHIER, "Ana", "bruno"]
    assert NO_CASHIER == "(no sign-in)"
    assert report.by_cashier[NO_CASHIER].redeemed == {"USD": Decimal("7.00")}
    assert report.by_cashier["Ana"].operations == 2
    assert report.by_backend[LD].redeemed == {"USD": Decimal("8.00")}
    assert report.by_backend[CTB].rewards == 1
    assert report.total.operations == 5
    assert [(s, n) for s, n, _ in report.slices()] == [
        ("shift", "Shift 7"),
        ("backend", "LoyaltyDog"),
        ("backend", "Leal"),
        ("backend", "ClientToolbox"),
        ("cashier", NO_CASHIER),
        ("cashier", "Ana"),
        ("cashier", "bruno"),
    ]


def test_an_empty_shift_has_only_its_own_row() -> None:
    report = shift_report(facts(), [])
    assert report.by_backend == {}
    assert report.by_cashier == {}
    ((section, name, t),) = report.slices()
    assert (section, name, t.operations, t.net()) == ("shift", "Shift 7", 0, {})
    assert report.csv_rows() == [
        CSV_HEADER,
        ("shift", "Shift 7", "0", "", "0", "", "", "0", "0", "0", "0", "", "0", "0", "0"),
    ]


def test_csv_rows_have_one_column_per_header_and_parse_back() -> None:
    report = shift_report(
        facts(),
        [
            op(REDEEM, cashier="Ana", amount=usd("25.50")),
            op(REDEEM, cashier="Ana", amount=eur("3.00")),
            op(UNDO, cashier="Ana", amount=usd("5.50")),
            op(STAMP, provider=LEAL, cashier="Bo, Jr.", units=2),
            op(REWARD, provider=LEAL, cashier="Bo, Jr.", units=10),
            op(REDEEM, Outcome.PENDING, cashier="Bo, Jr.", amount=usd("7.00")),
            op(REDEEM, Outcome.NEEDS_ATTENTION, cashier="Ana"),
            op(REDEEM, Outcome.RESOLVED, cashier="Ana"),
            op(REDEEM, Outcome.NOT_DONE, cashier="Ana"),
        ],
    )
    rows = report.csv_rows()
    assert rows[0] == CSV_HEADER
    assert all(len(row) == len(CSV_HEADER) for row in rows)
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    back = list(csv.DictReader(io.StringIO(text.getvalue())))
    shift = back[0]
    assert shift == {
        "section": "shift",
        "name": "Shift 7",
        "redemptions": "2",
        "redeemed": "3.00 EUR; 25.50 USD",
        "undos": "1",
        "undone": "5.50 USD",
        "net": "3.00 EUR; 20.00 USD",
        "stamp_operations": "1",
        "stamps_added": "2",
        "rewards_redeemed": "1",
        "pending": "1",
        "pending_amount": "7.00 USD",
        "needs_attention": "1",
        "resolved": "1",
        "not_done": "1",
    }
    by_name = {(row["section"], row["name"]): row for row in back}
    assert set(by_name) == {
        ("shift", "Shift 7"),
        ("backend", "LoyaltyDog"),
        ("backend", "Leal"),
        ("cashier", "Ana"),
        ("cashier", "Bo, Jr."),
    }
    bo = by_name[("cashier", "Bo, Jr.")]
    assert (bo["stamps_added"], bo["rewards_redeemed"], bo["pending"]) == ("2", "1", "1")
    assert by_name[("backend", "Leal")]["redeemed"] == ""


# ---------------------------------------------------------------------- any mix of operations

operations = st.builds(
    ShiftOperation,
    provider=st.sampled_from(list(Provider)),
    kind=st.sampled_from(list(OperationKind)),
    outcome=st.sampled_from(list(Outcome)),
    cashier=st.sampled_from([None, "", "Ana", "ana ", "Bruno", "Zoë"]),
    amount=st.one_of(
        st.none(),
        st.builds(
            Money,
            st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999.99"), places=2),
            st.sampled_from(["USD", "EUR", "GBP"]),
        ),
    ),
    units=st.one_of(st.none(), st.integers(min_value=1, max_value=20)),
)


@dataclass
class Expected:
    """The same totals worked out independently, the way a person would tally them."""

    kinds: Counter[tuple[Outcome, OperationKind]] = field(default_factory=Counter)
    money: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    stamps: int = 0

    def add(self, one: ShiftOperation) -> None:
        self.kinds[(one.outcome, one.kind)] += 1
        if one.amount is not None:
            box = {
                (Outcome.CONFIRMED, REDEEM): "redeemed",
                (Outcome.CONFIRMED, UNDO): "undone",
                (Outcome.PENDING, REDEEM): "pending",
            }.get((one.outcome, one.kind))
            if box is not None:
                where = (box, one.amount.currency)
                self.money[where] = self.money.get(where, Decimal(0)) + one.amount.amount
        if one.outcome is Outcome.CONFIRMED and one.kind is STAMP:
            self.stamps += one.units or 0

    def box(self, name: str) -> dict[str, Decimal]:
        return {currency: value for (box, currency), value in self.money.items() if box == name}


def check(t: Totals, ops: list[ShiftOperation]) -> None:
    want = Expected()
    for one in ops:
        want.add(one)
    confirmed = {kind: want.kinds[(Outcome.CONFIRMED, kind)] for kind in OperationKind}
    assert (t.redemptions, t.stamp_operations, t.rewards, t.undos) == (
        confirmed[REDEEM],
        confirmed[STAMP],
        confirmed[REWARD],
        confirmed[UNDO],
    )
    for outcome, name in (
        (Outcome.PENDING, "pending"),
        (Outcome.NEEDS_ATTENTION, "needs_attention"),
        (Outcome.RESOLVED, "resolved"),
        (Outcome.NOT_DONE, "not_done"),
    ):
        assert getattr(t, name) == sum(n for (o, _), n in want.kinds.items() if o is outcome)
    assert t.stamps == want.stamps
    assert t.redeemed == want.box("redeemed")
    assert t.undone == want.box("undone")
    assert t.pending_amount == want.box("pending")
    net = dict(want.box("redeemed"))
    for currency, value in want.box("undone").items():
        net[currency] = net.get(currency, Decimal(0)) - value
    assert t.net() == net
    assert t.operations == len(ops)


@given(st.lists(operations, max_size=40))
def test_every_slice_adds_up_and_the_slices_add_up_to_the_shift(
    ops: list[ShiftOperation],
) -> None:
    report = shift_report(facts(), ops)
    check(report.total, ops)
    for provider, t in report.by_backend.items():
        check(t, [one for one in ops if one.provider is provider])
    for name, t in report.by_cashier.items():
        check(t, [one for one in ops if (one.cashier or NO_CASHIER) == name])
    assert sum(t.operations for t in report.by_backend.values()) == len(ops)
    assert sum(t.operations for t in report.by_cashier.values()) == len(ops)
    assert set(report.by_backend) == {one.provider for one in ops}
    assert list(report.by_cashier) == sorted(
        {one.cashier or NO_CASHIER for one in ops}, key=str.casefold
    )
    assert len(report.csv_rows()) == 2 + len(report.by_backend) + len(report.by_cashier)


# ---------------------------------------------------------------------- the shift's facts


def test_shift_facts_are_open_until_closed() -> None:
    assert facts().is_open
    closed = facts(closed_at=NOW + timedelta(hours=8), closed_by="Sam")
    assert not closed.is_open
    assert facts(closed_at=NOW, closed_by="Sam").closed_at == NOW  # closed at once: allowed


def test_shift_facts_refuse_naive_times_and_a_close_before_the_opening() -> None:
    with pytest.raises(ValueError, match="opened_at"):
        facts(opened_at=datetime(2025, 3, 9, 10, 0))
    with pytest.raises(ValueError, match="closed_at"):
        facts(closed_at=datetime(2025, 3, 9, 18, 0))
    with pytest.raises(ValueError, match="before it opened"):
        facts(closed_at=NOW - timedelta(microseconds=1), closed_by="Sam")
    with pytest.raises(TypeError):
        facts(opened_at="2025-03-09T10:00:00+00:00")
