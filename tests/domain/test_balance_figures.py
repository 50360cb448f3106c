"""Chart numbers for the back-office reports: buckets, totals, statuses."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pos_app.domain.balance_figures import (
    Bucket,
    balance_distribution,
    balance_of,
    balance_totals,
    cards_by_status,
)
from pos_app.domain.money import Money
from pos_app.domain.outcomes import BalancesReportRow


def d(*values: str) -> list[Decimal]:
    return [Decimal(v) for v in values]


def row(
    code: str, earned: int | Money, redeemed: int | Money, balance: int | Money
) -> BalancesReportRow:
    return BalancesReportRow(
        code=code,
        card_number=None,
        first_name=None,
        last_name=None,
        email=None,
        earned=earned,
        redeemed=redeemed,
        balance=balance,
        earned_equivalent=None,
        redeemed_equivalent=None,
        balance_equivalent=None,
    )


def test_default_buckets_cover_every_balance_once() -> None:
    balances = d("0", "0.01", "9.99", "10", "49.99", "50", "99.99", "100", "499.99", "500", "12000")
    buckets = balance_distribution(balances)
    assert [b.label for b in buckets] == ["0", "0–10", "10–50", "50–100", "100–500", "500+"]
    assert [b.count for b in buckets] == [1, 2, 2, 2, 2, 2]
    assert buckets[1] == Bucket("0–10", 2, Decimal("10.00"))
    assert buckets[-1].total == Decimal("12500")
    assert sum(b.count for b in buckets) == len(balances)
    assert sum(b.total for b in buckets) == sum(balances)


def test_empty_buckets_are_listed_so_charts_line_up() -> None:
    buckets = balance_distribution([])
    assert len(buckets) == 6
    assert all(b.count == 0 and b.total == 0 for b in buckets)


def test_custom_edges_and_labels_are_plain_numbers() -> None:
    buckets = balance_distribution(d("5", "250", "1000"), d("0", "100", "1E+3"))
    assert [(b.label, b.count) for b in buckets] == [
        ("0", 0),
        ("0–100", 1),
        ("100–1000", 1),
        ("1000+", 1),
    ]


def test_negative_balances_get_their_own_bucket() -> None:
    buckets = balance_distribution(d("-20", "-5", "3"))
    assert buckets[0] == Bucket("below 0", 2, Decimal("-25"))
    assert buckets[2] == Bucket("0–10", 1, Decimal("3"))
    assert "below 0" not in [b.label for b in balance_distribution(d("3"))]


@pytest.mark.parametrize("edges", [[], d("10", "50"), d("0", "50", "50"), d("0", "50", "10")])
def test_bad_edges_are_refused(edges: list[Decimal]) -> None:
    with pytest.raises(ValueError, match="edges"):
        balance_distribution(d("1"), edges)


def test_totals_of_points_and_of_money() -> None:
    points = [row("a", 100, -40, 60), row("b", 10, 0, 10)]
    assert balance_totals(points).customers == 2
    assert balance_totals(points).balance == 70
    assert balance_totals(points).redeemed == -40
    eur = [
        row(
            "c",
            Money(Decimal("50"), "EUR"),
            Money(Decimal("-12.5"), "EUR"),
            Money(Decimal("37.5"), "EUR"),
        )
    ]
    assert balance_totals(eur).balance == Decimal("37.50")
    assert balance_of(eur[0]) == Decimal("37.50")
    assert balance_of(points[0]) == 60
    assert balance_totals([]).customers == 0


def test_cards_by_status_keeps_a_fixed_order_and_drops_the_total() -> None:
    counts = {"total": 9, "voided": 1, "active": 5, "lost": 1, "pending": 2}
    assert cards_by_status(counts) == [("active", 5), ("pending", 2), ("voided", 1), ("lost", 1)]
