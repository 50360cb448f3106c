"""Chart and summary numbers for the back-office reports: pure arithmetic, no I/O.

What can honestly be charted:
- the ClientToolbox balances report has one balance per customer, so its *distribution*
  (how many customers hold how much) and its totals are exact;
- LoyaltyDog's business report has card *counts* by status but only one money total for the
  whole program (no balance per status), so :func:`cards_by_status` charts counts, never money.
  Splitting the outstanding balance by status would be a guess, so there is no such function.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from typing import Final

from pos_app.domain.money import Money
from pos_app.domain.outcomes import BalancesReportRow

__all__ = [
    "DEFAULT_EDGES",
    "STATUS_ORDER",
    "BalanceTotals",
    "Bucket",
    "balance_distribution",
    "balance_of",
    "balance_totals",
    "cards_by_status",
]

#: Bucket edges: exactly 0, then 0–10, 10–50, 50–100, 100–500 and 500+.
DEFAULT_EDGES: Final = tuple(Decimal(edge) for edge in ("0", "10", "50", "100", "500"))
#: The order statuses are shown in; statuses LoyaltyDog adds later follow, alphabetically.
STATUS_ORDER: Final = ("active", "pending", "depleted", "expired", "voided", "suspended")
_ZERO: Final = Decimal(0)


@dataclass(frozen=True)
class Bucket:
    """Customers whose balance falls in one range; ``label`` is currency-free ("10–50")."""

    label: str
    count: int
    total: Decimal


@dataclass(frozen=True)
class BalanceTotals:
    """Sums over a balances report (points or money, in the campaign's own unit)."""

    customers: int
    earned: Decimal
    redeemed: Decimal
    balance: Decimal


def _plain(value: Decimal) -> str:
    """``10`` rather than ``1E+1`` or ``10.00``: labels are read by people."""
    text = format(value.normalize(), "f")
    return text


def _amount(value: int | Money) -> Decimal:
    return value.amount if isinstance(value, Money) else Decimal(value)


def balance_of(row: BalancesReportRow) -> Decimal:
    """A row's balance as a number: points or visits as counts, money as its amount."""
    return _amount(row.balance)


def balance_totals(rows: Iterable[BalancesReportRow]) -> BalanceTotals:
    """Customers, earned, redeemed and outstanding balance of a report (one campaign's unit)."""
    customers, earned, redeemed, balance = 0, _ZERO, _ZERO, _ZERO
    for row in rows:
        customers += 1
        earned += _amount(row.earned)
        redeemed += _amount(row.redeemed)
        balance += _amount(row.balance)
    return BalanceTotals(customers, earned, redeemed, balance)


def _check_edges(edges: Sequence[Decimal]) -> tuple[Decimal, ...]:
    checked = tuple(Decimal(edge) for edge in edges)
    if not checked or checked[0] != 0:
        raise ValueError("Bucket edges must start at 0")
    if any(b <= a for a, b in pairwise(checked)):
        raise ValueError("Bucket edges must increase")
    return checked


def balance_distribution(
    balances: Sequence[Decimal], edges: Sequence[Decimal] | None = None
) -> list[Bucket]:
    """How many customers hold how much, and how much they hold together.

    With edges ``0, 10, 50``: ``0`` (exactly zero), ``0–10`` (above 0, below 10), ``10–50``
    (10 up to but not including 50) and ``50+``. Every bucket is listed, even empty ones, so
    charts of different days line up. Negative balances (a reversal can leave one) get a
    ``below 0`` bucket first, only when there are any: nothing is hidden in another bucket.
    """
    cuts = _check_edges(DEFAULT_EDGES if edges is None else edges)
    labels = ["0"]
    labels += [f"{_plain(lo)}–{_plain(hi)}" for lo, hi in pairwise(cuts)]
    labels.append(f"{_plain(cuts[-1])}+")
    counts = [0] * len(labels)
    totals = [_ZERO] * len(labels)
    negative_count, negative_total = 0, _ZERO
    for raw in balances:
        value = Decimal(raw)
        if value < 0:
            negative_count += 1
            negative_total += value
            continue
        if value == 0:
            index = 0
        else:
            index = len(cuts)  # the open-ended top bucket unless a smaller one fits
            for i, hi in enumerate(cuts[1:], start=1):
                if value < hi:
                    index = i
                    break
        counts[index] += 1
        totals[index] += value
    buckets = [
        Bucket(label, n, total) for label, n, total in zip(labels, counts, totals, strict=True)
    ]
    if negative_count:
        buckets.insert(0, Bucket("below 0", negative_count, negative_total))
    return buckets


def cards_by_status(card_counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """The business report's counts per status, in a fixed order, without the ``total``."""
    known = [(status, card_counts[status]) for status in STATUS_ORDER if status in card_counts]
    extra = sorted(
        (status, count)
        for status, count in card_counts.items()
        if status != "total" and status not in STATUS_ORDER
    )
    return known + extra
