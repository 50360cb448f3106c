"""ClientToolbox report counts: comma thousands groups only, never guessed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos_app.domain import ApiAmountError, ReportNumberError, parse_api_amount, parse_count


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("4,437", 4437),
        ("-3,010", -3010),
        ("1,427", 1427),
        ("1,234,567", 1234567),
        ("6021", 6021),
        ("-6001", -6001),
        ("20", 20),
        ("0", 0),
        (" 12\n", 12),
        ("+5", 5),
        (6021, 6021),
        (4437.0, 4437),
    ],
)
def test_counts(value: object, expected: int) -> None:
    assert parse_count(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "1.427",
        "4,43",
        "4,4370",
        ",437",
        "4,437,",
        "9.51",
        "20.0",
        "1 427",
        "",
        "abc",
        "١٢٣",
        "1e3",
        "9" * 40,
        None,
        True,
        4437.5,
        float("nan"),
        float("inf"),
        [1],
    ],
)
def test_refuses_anything_that_is_not_a_count(value: object) -> None:
    with pytest.raises(ReportNumberError, match="Unexpected count in the report"):
        parse_count(value)


def test_equivalents_use_the_money_parser_which_refuses_grouping() -> None:
    assert parse_api_amount("9.51") == Decimal("9.51")
    assert parse_api_amount("-6") == Decimal("-6.00")
    assert parse_api_amount("0.02") == Decimal("0.02")
    with pytest.raises(ApiAmountError):
        parse_api_amount("1,427")


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_grouped_and_plain_forms_round_trip(value: int) -> None:
    assert parse_count(f"{value:,}") == value
    assert parse_count(str(value)) == value
