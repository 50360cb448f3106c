"""The receipt model: its barcode's short code, the masked-card guard, and what the paper says."""

from __future__ import annotations

import random
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos_app.domain import Money, mask
from pos_app.domain.receipts import (
    RECEIPT_CODE_PREFIX,
    PaperWidth,
    Receipt,
    ReceiptLine,
    money_line,
    receipt_code,
    reference_prefix,
)
from tests.domain.builders import NOW, NUMBER, usd

REFERENCE = "3f9a1c2b-7d4e-4a1b-9c3d-0123456789ab"


def receipt(**overrides: object) -> Receipt:
    fields: dict[str, object] = {
        "shop_name": "Corner Café",
        "terminal": "till-2",
        "cashier": "Ana",
        "at": NOW,
        "title": "Redemption",
        "backend": "LoyaltyDog",
        "masked_card": mask(NUMBER),
        "lines": (
            ReceiptLine("Paid with card", "$ 25.50", strong=True),
            ReceiptLine("Balance now", "$ 74.50"),
        ),
        "reference": REFERENCE,
    }
    fields.update(overrides)
    return Receipt(**fields)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- the receipt code


def test_a_receipt_code_is_tc_and_the_first_twelve_hex_digits_upper_case() -> None:
    assert receipt_code(REFERENCE) == "TC3F9A1C2B7D4E"
    assert RECEIPT_CODE_PREFIX == "TC"


def test_the_code_stands_for_the_references_first_thirteen_characters() -> None:
    assert reference_prefix("TC3F9A1C2B7D4E") == "3f9a1c2b-7d4e"
    assert REFERENCE.startswith("3f9a1c2b-7d4e")


@given(st.uuids())
def test_every_reference_comes_back_from_its_code(value: uuid.UUID) -> None:
    reference = str(value)
    code = receipt_code(reference)
    assert len(code) == len(RECEIPT_CODE_PREFIX) + 12
    assert code == code.upper()
    assert code[2:].isalnum()
    prefix = reference_prefix(code)
    assert prefix == reference[:13]
    assert reference.startswith(prefix)


@given(st.uuids())
def test_scanner_case_and_stray_whitespace_are_ignored(value: uuid.UUID) -> None:
    reference = str(value)
    code = receipt_code(reference)
    for scanned in (code.lower(), code.swapcase(), f"  {code}\r\n", f"\t{code.lower()} "):
        assert reference_prefix(scanned) == reference[:13]


def test_a_thousand_seeded_references_round_trip_without_collisions() -> None:
    rng = random.Random(6)
    references = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(1000)]
    codes = {receipt_code(r): r for r in references}
    assert len(codes) == len(references)
    for code, reference in codes.items():
        assert reference_prefix(code) == reference[:13]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not-a-uuid",
        REFERENCE.replace("-", ""),  # 32 hex digits, no dashes
        "{" + REFERENCE + "}",
        "urn:uuid:" + REFERENCE,
        REFERENCE + "\n",
        " " + REFERENCE,
        REFERENCE[:-1],
        REFERENCE + "0",
        REFERENCE.replace("3f9a", "3g9a"),
        "3f9a1c2b7-d4e-4a1b-9c3d-0123456789ab",  # dashes in the wrong places
        "TC3F9A1C2B7D4E",
    ],
)
def test_only_an_operations_uuid_reference_makes_a_code(text: str) -> None:
    with pytest.raises(ValueError, match="UUID"):
        receipt_code(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "TC",
        "TC3F9A1C2B7D4",  # 11 digits
        "TC3F9A1C2B7D4E0",  # 13 digits
        "TC3F9A1C2B7D4G",  # not hex
        "XX3F9A1C2B7D4E",
        "3F9A1C2B7D4E",  # no prefix
        "TC 3F9A1C2B7D4E",
        "TC3F9A 1C2B7D4E",
        "TC-3F9A1C2B-7D4E",
        REFERENCE,
        REFERENCE[:8],
        "TC３F9A1C2B7D4E",  # a full-width digit
    ],
)
def test_anything_but_a_receipt_code_gives_no_prefix(text: str) -> None:
    assert reference_prefix(text) is None


# ---------------------------------------------------------------------- paper


def test_paper_widths_say_what_they_are() -> None:
    assert [(p.label, p.millimetres) for p in PaperWidth] == [
        ("58 mm roll", 58),
        ("80 mm roll", 80),
        ("A4", 210),
    ]
    assert PaperWidth("80") is PaperWidth.MM80


# ---------------------------------------------------------------------- the masked card guard


@pytest.mark.parametrize(
    "masked", [mask(NUMBER), mask("ZTLKCIUD"), mask("1234"), "••••", "", "**** 9012"]
)
def test_a_masked_card_is_accepted(masked: str) -> None:
    assert receipt(masked_card=masked).masked_card == masked


@pytest.mark.parametrize(
    "shown",
    [
        NUMBER,
        "6035 5512 3456 9012",
        "6035-5512-3456-9012",
        "•••• •••• 3456 9012",
        "•••• 569012",
        "ZTLKCIUD",  # a Leal card code: letters give the card away as much as digits
        "•••• KCIUD",
        "12345678",
    ],
)
def test_a_receipt_never_carries_more_than_the_last_four(shown: str) -> None:
    with pytest.raises(ValueError, match="last four"):
        receipt(masked_card=shown)


def test_a_receipt_needs_an_aware_time_a_real_copy_number_and_a_uuid_reference() -> None:
    with pytest.raises(ValueError, match="aware"):
        receipt(at=datetime(2025, 3, 9, 10, 0))
    with pytest.raises(ValueError, match="copy"):
        receipt(copy=-1)
    with pytest.raises(ValueError, match="UUID"):
        receipt(reference="ORDER-12345")
    assert receipt(copy=3).copy == 3


# ---------------------------------------------------------------------- what the paper says


def test_the_code_and_short_reference_come_from_the_reference() -> None:
    made = receipt()
    assert made.code == receipt_code(REFERENCE)
    assert made.short_reference == REFERENCE[:8]


def test_an_original_prints_every_part_in_order() -> None:
    made = receipt(mark="PENDING — not yet confirmed", footer="Thank you!")
    assert made.copy_text is None
    assert made.text_lines() == [
        "Corner Café",
        "Till till-2",
        "Cashier Ana",
        NOW.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
        "PENDING — not yet confirmed",
        "Redemption",
        f"LoyaltyDog card {mask(NUMBER)}",
        "Paid with card: $ 25.50",
        "Balance now: $ 74.50",
        f"Ref {REFERENCE}",
        "TC3F9A1C2B7D4E",
        "Thank you!",
    ]


def test_a_reprint_says_which_copy_and_optional_parts_are_left_out() -> None:
    made = receipt(cashier=None, copy=2, lines=())
    lines = made.text_lines()
    assert made.copy_text == "COPY 2 — reprinted"
    assert lines[3] == "COPY 2 — reprinted"
    assert not any(line.startswith("Cashier") for line in lines)
    assert lines[-2:] == [f"Ref {REFERENCE}", receipt_code(REFERENCE)]  # no mark, no footer
    assert len(lines) == 8


def test_the_time_is_the_same_moment_whatever_zone_it_was_given_in() -> None:
    elsewhere = NOW.astimezone(timezone(timedelta(hours=-5)))
    assert receipt(at=elsewhere).text_lines()[3] == receipt(at=NOW).text_lines()[3]


def test_the_full_card_number_appears_nowhere_on_the_paper() -> None:
    text = "\n".join(receipt(mark="UNDONE", footer="Bye").text_lines())
    assert NUMBER not in text
    assert NUMBER[-4:] in text


def test_money_lines_follow_the_tills_decimal_separator() -> None:
    euros = Money(Decimal("1234.50"), "EUR")
    assert money_line("Paid with card", euros, ",", strong=True) == ReceiptLine(
        "Paid with card", "€ 1.234,50", True
    )
    assert money_line("Balance now", usd("74.5")) == ReceiptLine("Balance now", "$ 74.50", False)


def test_receipts_are_values() -> None:
    made = receipt()
    assert made == receipt()
    assert replace(made, copy=1) != made
    with pytest.raises(AttributeError):
        made.copy = 4  # type: ignore[misc]
    assert made.at.tzinfo is UTC
