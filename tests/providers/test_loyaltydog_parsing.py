"""LoyaltyDog's JSON to domain objects: the reference's examples, its gaps, and hostile input.

The examples come from shared/api/loyaltydog.md (prose examples use JSON numbers for money,
the schema says strings; both must read the same). Fuzzing throws random JSON-like values, and
random bytes through ``parse_json``, at every parse function: only ``providers.errors`` classes
may come out, and whatever does parse is a valid domain object (its own checks ran).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pos_app.domain import GiftCard, GiftCardStatus, GiftCardTransaction, Money, TransactionType
from pos_app.domain.outcomes import GiftCardMove
from pos_app.providers.errors import BackendError, BadResponse, Rejected, Unauthorized
from pos_app.providers.loyaltydog_parsing import (
    card_items,
    error_info,
    exact_matches,
    parse_business_report,
    parse_card,
    parse_customer_report,
    parse_gdpr_export,
    parse_history,
    parse_programs,
    parse_redeem,
    parse_refund,
    parse_reload,
    parse_token,
    parse_transaction,
    parse_user,
    parse_void,
)
from pos_app.providers.payloads import parse_json


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


# -- examples from loyaltydog.md -------------------------------------------------------------------

#: §4.2, the card-details prose example, verbatim (money as JSON numbers, ids not ObjectIds).
DETAILS_EXAMPLE = """
{"id":"507f191e810c19729de860ea","cardNumber":"4000123456789012","lastFourDigits":"9012",
 "balance":100.00,"initialValue":100.00,"status":"active",
 "createdAt":"2025-01-01T00:00:00Z","updatedAt":"2025-01-15T10:30:00Z",
 "activatedAt":"2025-01-02T14:20:00Z","expiresAt":"2026-01-01T00:00:00Z",
 "customerId":"customer_456","customerEmail":"customer@example.com","customerName":"John Doe",
 "merchantId":"merchant_123","isPhysical":false,"designTemplate":"birthday",
 "customMessage":"Happy Birthday!",
 "transactions":[{"id":"507f1f77bcf86cd799439011","transactionType":"REDEMPTION","amount":-25.50,
                  "balanceBefore":100.00,"balanceAfter":74.50}]}
"""

#: §5.1 ``GiftCardResponse`` as the schema declares it: money as strings, nullable fields null.
SCHEMA_CARD: dict[str, Any] = {
    "id": "5eb7cf5a86d9755df3a6c593",
    "cardNumber": "0000123456789012",
    "lastFourDigits": "9012",
    "balance": "74.50",
    "initialValue": "100.00",
    "status": "active",
    "createdAt": "2025-01-01T00:00:00Z",
    "updatedAt": None,
    "activatedAt": "2025-01-02T14:20:00Z",
    "expiresAt": "2026-01-01T00:00:00Z",
    "suspendedReason": None,
    "suspendedUntil": None,
    "suspendedAt": None,
    "customerId": None,
    "customerEmail": None,
    "customerPhone": None,
    "customerName": None,
    "merchantId": "5eb7cf5a86d9755df3a6c594",
    "isPhysical": True,
    "designTemplate": None,
    "customMessage": None,
    "programId": "5eb7cf5a86d9755df3a6c595",
    "card": None,
}

#: §5.2, the transaction prose example with the references it names.
TRANSACTION_EXAMPLE: dict[str, Any] = {
    "id": "507f1f77bcf86cd799439011",
    "transactionType": "REDEMPTION",
    "amount": -25.50,
    "balanceBefore": 100.00,
    "balanceAfter": 74.50,
    "referenceId": "ORDER_12345",
    "description": None,
    "createdAt": "2025-01-15T10:30:00Z",
    "processedAt": "2025-01-15T10:30:01Z",
    "merchantId": "merchant_123",
    "posTransactionId": "POS_TXN_789",
    "cashierId": "cashier_001",
    "terminalId": "terminal_A",
}

REDEEM_EXAMPLE: dict[str, Any] = {
    "transactionId": "507f1f77bcf86cd799439012",
    "giftCardId": "507f191e810c19729de860ea",
    "amountRedeemed": "25.50",
    "remainingBalance": "74.50",
    "success": True,
    "message": "Gift card redeemed successfully",
}

BUSINESS_EXAMPLE: dict[str, Any] = {
    "totalCards": 123,
    "activeCards": 100,
    "pendingCards": 3,
    "depletedCards": 10,
    "expiredCards": 6,
    "voidedCards": 4,
    "totalSold": "12500.00",
    "totalRedeemed": 4200.5,
    "totalBalance": "8299.50",
    "cardsSoldThisMonth": 7,
    "salesThisMonth": 350,
}


def test_the_prose_card_example_with_number_money() -> None:
    card = parse_card(json.loads(DETAILS_EXAMPLE), "USD")
    assert card == GiftCard(
        id="507f191e810c19729de860ea",
        number="4000123456789012",
        balance=usd("100.00"),
        status=GiftCardStatus.ACTIVE,
        status_raw="active",
        expires_at=datetime(2026, 1, 1, tzinfo=UTC),
        activated_at=datetime(2025, 1, 2, 14, 20, tzinfo=UTC),
        initial_value=usd("100.00"),
        owner_name="John Doe",
        owner_email="customer@example.com",
    )
    [row] = json.loads(DETAILS_EXAMPLE)["transactions"]
    with pytest.raises(BadResponse, match="date"):
        parse_transaction(row, "USD")  # the abridged example has no createdAt


def test_the_schema_card_with_string_money_and_nulls() -> None:
    card = parse_card(SCHEMA_CARD, "EUR")
    assert card.number == "0000123456789012"
    assert card.balance == Money(Decimal("74.50"), "EUR")
    assert card.initial_value == Money(Decimal("100.00"), "EUR")
    assert card.program_id == "5eb7cf5a86d9755df3a6c595"
    assert card.owner_name is None
    assert card.owner_email is None
    assert card.suspended_reason is None


def test_money_as_string_or_number_reads_the_same() -> None:
    values = ["100", "100.00", 100, 100.0, "+100.00", " 100.0 "]
    cards = [parse_card({**SCHEMA_CARD, "balance": value}, "USD") for value in values]
    assert {card.balance for card in cards} == {usd("100.00")}


def test_missing_required_but_nullable_fields_are_tolerated() -> None:
    minimal = {"id": 17, "cardNumber": "4000123456789012", "balance": "5"}
    card = parse_card(minimal, "USD")
    assert card.id == "17"
    assert card.status is GiftCardStatus.UNKNOWN
    assert card.status_label == "UNKNOWN"
    assert card.expires_at is None
    assert card.initial_value is None


def test_unknown_status_keeps_the_servers_word() -> None:
    card = parse_card({**SCHEMA_CARD, "status": "frozen"}, "USD")
    assert card.status is GiftCardStatus.UNKNOWN
    assert card.status_label == "FROZEN"
    assert card.redeem_refusal(datetime(2025, 6, 1, tzinfo=UTC)) is not None


STATUSES = ("pending", "active", "suspended", "expired", "voided", "depleted", " ACTIVE ")


@pytest.mark.parametrize("status", STATUSES)
def test_all_six_statuses(status: str) -> None:
    card = parse_card({**SCHEMA_CARD, "status": status}, "USD")
    assert card.status is GiftCardStatus(status.strip().lower())


@pytest.mark.parametrize(
    "change",
    [
        {"balance": None},
        {"balance": "12,50"},
        {"balance": True},
        {"balance": "1e3"},
        {"cardNumber": 4000123456789012},
        {"cardNumber": "4000-1234"},
        {"id": None},
        {"id": ""},
    ],
)
def test_fields_that_matter_are_strict(change: dict[str, Any]) -> None:
    with pytest.raises(BadResponse):
        parse_card({**SCHEMA_CARD, **change}, "USD")
    assert parse_card(SCHEMA_CARD, "USD").balance == usd("74.50")


def test_the_transaction_example() -> None:
    row = parse_transaction(TRANSACTION_EXAMPLE, "USD")
    assert row == GiftCardTransaction(
        id="507f1f77bcf86cd799439011",
        type=TransactionType.REDEMPTION,
        type_raw="REDEMPTION",
        amount=usd("-25.50"),
        created_at=datetime(2025, 1, 15, 10, 30, tzinfo=UTC),
        balance_before=usd("100.00"),
        balance_after=usd("74.50"),
        reference="ORDER_12345",
        pos_transaction_id="POS_TXN_789",
    )
    assert row.is_debit
    assert row.is_refundable
    assert row.balances_add_up is True


@pytest.mark.parametrize(
    "raw", [t.value for t in TransactionType if t is not TransactionType.OTHER]
)
def test_all_eleven_transaction_types(raw: str) -> None:
    row = parse_transaction({**TRANSACTION_EXAMPLE, "transactionType": raw}, "USD")
    assert row.type is TransactionType(raw)
    assert row.type_label == raw


def test_eleven_types_are_known() -> None:
    assert len([t for t in TransactionType if t is not TransactionType.OTHER]) == 11


@pytest.mark.parametrize("raw", ["GIFT_WRAP", "", None, 7, ["REFUND"]])
def test_unknown_transaction_types_are_other(raw: Any) -> None:
    row = parse_transaction({**TRANSACTION_EXAMPLE, "transactionType": raw}, "USD")
    assert row.type is TransactionType.OTHER
    assert row.type_label == (raw if isinstance(raw, str) and raw else "OTHER")


def test_a_transaction_falls_back_to_processed_at_and_naive_is_utc() -> None:
    row = parse_transaction(
        {**TRANSACTION_EXAMPLE, "createdAt": None, "processedAt": "2025-01-15T10:30:01"}, "USD"
    )
    assert row.created_at == datetime(2025, 1, 15, 10, 30, 1, tzinfo=UTC)


# -- lists, envelopes and exact matching -----------------------------------------------------------

TWIN = {**SCHEMA_CARD, "id": "5eb7cf5a86d9755df3a6c600", "cardNumber": "6111111111119012"}


@pytest.mark.parametrize("key", ["items", "cards", "data", "results"])
def test_envelopes_and_bare_arrays_give_the_same_items(key: str) -> None:
    assert card_items({key: [SCHEMA_CARD, TWIN], "total": 2}) == [SCHEMA_CARD, TWIN]
    assert card_items([SCHEMA_CARD, TWIN]) == [SCHEMA_CARD, TWIN]


def test_only_exact_card_numbers_are_kept() -> None:
    garbage = {"cardNumber": "0000123456789012x", "balance": {}}
    stranger = {"id": None, "cardNumber": None}
    body = {"items": [TWIN, garbage, stranger, "text", SCHEMA_CARD, SCHEMA_CARD]}
    [card] = exact_matches(body, "0000123456789012", "USD")
    assert card.id == SCHEMA_CARD["id"]
    assert exact_matches(body, "0000123456789013", "USD") == []
    assert exact_matches([], "0000123456789012", "USD") == []


def test_an_integer_card_number_never_matches() -> None:
    body = [{**SCHEMA_CARD, "cardNumber": 123456789012}]
    assert exact_matches(body, "0000123456789012", "USD") == []


def test_a_broken_exact_match_is_a_bad_response() -> None:
    with pytest.raises(BadResponse):
        exact_matches([{**SCHEMA_CARD, "balance": "lots"}], "0000123456789012", "USD")


@pytest.mark.parametrize("body", [None, {}, {"items": "x"}, "cards", 5])
def test_a_search_answer_without_a_list_is_bad(body: Any) -> None:
    with pytest.raises(BadResponse):
        card_items(body)


def test_history_pages() -> None:
    rows = [{**TRANSACTION_EXAMPLE, "id": f"t{i}"} for i in range(5)]
    full = parse_history(rows, "USD", offset=10, limit=5)
    assert [row.id for row in full.transactions] == [f"t{i}" for i in range(5)]
    assert full.has_more
    assert full.offset == 10
    short = parse_history({"items": rows[:3]}, "USD", offset=0, limit=5)
    assert len(short.transactions) == 3
    assert not short.has_more
    extra = parse_history(rows, "USD", offset=0, limit=2)  # the server ignored the limit
    assert [row.id for row in extra.transactions] == ["t0", "t1"]
    assert extra.has_more
    empty = parse_history([], "USD", offset=0, limit=100)
    assert empty.transactions == ()
    assert not empty.has_more


# -- auth, moves, reports, GDPR --------------------------------------------------------------------


def test_login_answers() -> None:
    assert parse_token({"accessToken": "a.b.c", "tokenType": "bearer"}) == "a.b.c"
    with pytest.raises(Unauthorized, match="MFA"):
        parse_token({"accessToken": None, "mfaPending": True, "pendingToken": "p"})
    bad_answers: list[object] = [
        {"access_token": "a.b.c"},
        {"accessToken": ""},
        {"accessToken": "a b"},
        [],
    ]
    for bad in bad_answers:
        with pytest.raises(BadResponse):
            parse_token(bad)
    assert parse_user({"id": "5eb7cf5a86d9755df3a6c593", "email": "a@b.c"}) == (
        "5eb7cf5a86d9755df3a6c593"
    )


def test_redeem_answers() -> None:
    move = parse_redeem(REDEEM_EXAMPLE, "card-1", usd("25.50"))
    assert move == GiftCardMove(
        transaction_id="507f1f77bcf86cd799439012",
        card_id="card-1",
        amount=usd("25.50"),
        balance_after=usd("74.50"),
        message="Gift card redeemed successfully",
    )
    numbers = {**REDEEM_EXAMPLE, "amountRedeemed": 25.5, "remainingBalance": 74.5}
    assert parse_redeem(numbers, "card-1", usd("25.50")) == move
    without_amount = {k: v for k, v in REDEEM_EXAMPLE.items() if k != "amountRedeemed"}
    assert parse_redeem(without_amount, "card-1", usd("25.50")).amount == usd("25.50")
    with pytest.raises(Rejected) as refused:
        parse_redeem({**REDEEM_EXAMPLE, "success": False, "message": "Card locked"}, "c", usd("1"))
    assert refused.value.message == "Card locked"
    for broken in ({"success": True}, {**REDEEM_EXAMPLE, "success": "maybe"}, None):
        with pytest.raises(BadResponse):
            parse_redeem(broken, "c", usd("1"))


def test_refund_reload_and_void_answers() -> None:
    refund = {
        "transactionId": "r1",
        "giftCardId": "c",
        "refundedAmount": 1,
        "remainingBalance": "75.50",
        "success": True,
        "message": "ok",
    }
    assert parse_refund(refund, "c", None, "USD").amount == usd("1.00")
    assert parse_refund(refund, "c", None, "USD").balance_after == usd("75.50")
    with pytest.raises(BadResponse):
        parse_refund({**refund, "refundedAmount": None}, "c", None, "USD")
    reload = parse_reload({**SCHEMA_CARD, "balance": "124.50"}, "c", usd("50"))
    assert reload.amount == usd("50.00")
    assert reload.balance_after == usd("124.50")
    assert reload.transaction_id is None
    void = {"success": True, "cardId": "c", "action": "void", "message": "Voided"}
    move = parse_void({**void, "transactionId": "v1"}, "c", usd("74.50"))
    assert move.amount == usd("74.50")
    assert move.balance_after == usd("0.00")
    assert move.transaction_id == "v1"
    with pytest.raises(Rejected, match="nope"):
        parse_void({**void, "success": False, "message": "nope"}, "c", usd("1"))


def test_programs_and_reports() -> None:
    programs = parse_programs([{"id": "p1", "name": "Gifts", "shareUrl": None}, {"id": "p2"}])
    assert [(p.id, p.name) for p in programs] == [("p1", "Gifts"), ("p2", "p2")]
    report = parse_business_report(BUSINESS_EXAMPLE, "USD")
    assert report.card_counts == {
        "total": 123,
        "active": 100,
        "pending": 3,
        "depleted": 10,
        "expired": 6,
        "voided": 4,
    }
    assert report.total_redeemed == usd("4200.50")
    assert report.sales_this_month == usd("350.00")
    with pytest.raises(BadResponse):
        parse_business_report({**BUSINESS_EXAMPLE, "totalCards": 1.5}, "USD")
    customer = parse_customer_report(
        {
            "totalCards": 2,
            "activeCards": 1,
            "expiringSoonCards": 0,
            "totalSpent": "10",
            "totalBalance": 5.5,
        },
        "USD",
    )
    assert customer.total_spent == usd("10.00")
    assert customer.total_balance == usd("5.50")


def test_gdpr_export_answer() -> None:
    export = parse_gdpr_export(
        {
            "exportId": "e1",
            "downloadUrl": "https://api.loyalty.dog/v2/giftcards/gdpr/download?exportId=e1",
            "format": "CSV",
            "requestedAt": "2025-01-15T10:30:00Z",
            "expiresAt": "2025-01-16T10:30:00Z",
            "status": "processing",
        },
        "json",
    )
    assert export.format == "csv"
    assert export.status == "processing"
    assert export.expires_at == datetime(2025, 1, 16, 10, 30, tzinfo=UTC)
    bare = parse_gdpr_export({"exportId": "e2"}, "json")
    assert bare.download_url == ""
    assert bare.format == "json"
    assert bare.status == "unknown"


# -- error bodies ----------------------------------------------------------------------------------


def test_the_fastapi_validation_array() -> None:
    body = {
        "detail": [
            {
                "loc": ["body", "amount"],
                "msg": "Input should be greater than or equal to 0.01",
                "type": "greater_than_equal",
                "input": 0,
                "ctx": {"ge": 0.01},
            },
            {"loc": ["query", "limit"], "msg": "Input should be a valid integer", "type": "x"},
        ]
    }
    info = error_info(body)
    assert info.message == (
        "amount: Input should be greater than or equal to 0.01; "
        "limit: Input should be a valid integer"
    )
    assert not info.about_idempotency


def test_idempotency_errors_are_recognised() -> None:
    header = {"detail": [{"loc": ["header", "idempotency-key"], "msg": "Field required"}]}
    assert error_info(header).about_idempotency
    text = {"detail": "Idempotency key has already been used with a different request payload"}
    assert error_info(text).about_idempotency
    assert error_info(text).message == text["detail"]


def test_the_other_error_shapes() -> None:
    cap = {
        "detail": "Reload would exceed maximum card balance",
        "currentBalance": 9500.00,
        "reloadAmount": 1000.00,
        "maxBalance": 10000.00,
        "availableReloadAmount": 500.00,
    }
    assert error_info(cap).message == (
        "Reload would exceed maximum card balance (at most $ 500.00 can be loaded onto this card)"
    )
    hashed = {"code": "rate_limited", "message": "Slow down", "request_id": "req_1"}
    assert error_info(hashed).message == "Slow down"
    assert error_info(hashed).code == "rate_limited"
    generic = {"error": {"code": "not_found", "message": "Card not found", "details": {}}}
    assert error_info(generic).message == "Card not found"
    assert error_info(generic).code == "not_found"
    theme = {"error": "Invalid theme", "issues": [{"msg": "bad colour"}], "warnings": []}
    assert error_info(theme).message == "Invalid theme: bad colour"
    assert error_info("plain text\nerror").message == "plain text error"
    assert error_info(None).message is None
    assert error_info({"detail": "x" * 1000}).message == "x" * 300


# -- fuzzing ---------------------------------------------------------------------------------------

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["", "active", "REDEMPTION", "12.50", "-1", "1e5", "NaN", "2025-01-01"])
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=20,
)

PARSERS: dict[str, Callable[[Any], object]] = {
    "token": parse_token,
    "user": parse_user,
    "card": lambda v: parse_card(v, "USD"),
    "items": card_items,
    "exact": lambda v: exact_matches(v, "0000123456789012", "USD"),
    "transaction": lambda v: parse_transaction(v, "USD"),
    "history": lambda v: parse_history(v, "USD", offset=0, limit=3),
    "redeem": lambda v: parse_redeem(v, "c", usd("1")),
    "refund": lambda v: parse_refund(v, "c", None, "USD"),
    "reload": lambda v: parse_reload(v, "c", usd("1")),
    "void": lambda v: parse_void(v, "c", usd("1")),
    "programs": parse_programs,
    "business": lambda v: parse_business_report(v, "USD"),
    "customer": lambda v: parse_customer_report(v, "USD"),
    "gdpr": lambda v: parse_gdpr_export(v, "json"),
    "error": lambda v: error_info(v, "USD"),
}

WELL_FORMED: dict[str, Any] = {
    "card": SCHEMA_CARD,
    "exact": [SCHEMA_CARD, TWIN],
    "transaction": TRANSACTION_EXAMPLE,
    "history": [TRANSACTION_EXAMPLE, TRANSACTION_EXAMPLE],
    "redeem": REDEEM_EXAMPLE,
    "business": BUSINESS_EXAMPLE,
}


def outcome(name: str, value: Any) -> object:
    """Run one parser; only the provider error family may come out."""
    try:
        return PARSERS[name](value)
    except BackendError:
        return None


@pytest.mark.parametrize("name", sorted(PARSERS))
@FUZZ
@given(value=json_values)
def test_random_json_only_raises_provider_errors(name: str, value: Any) -> None:
    outcome(name, value)


@pytest.mark.parametrize("name", sorted(WELL_FORMED))
@FUZZ
@given(data=st.data())
def test_damaged_well_formed_bodies_only_raise_provider_errors(name: str, data: Any) -> None:
    body = copy.deepcopy(WELL_FORMED[name])
    target = body[0] if isinstance(body, list) else body
    keys = sorted(target)
    for key in data.draw(st.lists(st.sampled_from(keys), max_size=4, unique=True)):
        target.pop(key)
    for key in data.draw(st.lists(st.sampled_from(keys), max_size=3, unique=True)):
        target[key] = data.draw(json_values)
    result = outcome(name, body)
    if isinstance(result, GiftCard):
        assert isinstance(result.number, str)
        assert result.balance.currency == "USD"


@FUZZ
@given(raw=st.binary(max_size=200) | st.text(max_size=80).map(str.encode))
def test_garbled_bytes_only_raise_provider_errors(raw: bytes) -> None:
    try:
        value = parse_json(raw, "LoyaltyDog")
    except BadResponse:
        return
    for name in PARSERS:
        outcome(name, value)


@FUZZ
@given(balance=st.decimals(min_value=-(10**9), max_value=10**9, places=2), as_text=st.booleans())
def test_any_two_decimal_balance_reads_exactly(balance: Decimal, as_text: bool) -> None:
    value: Any = f"{balance:.2f}" if as_text else float(balance)
    card = parse_card({**SCHEMA_CARD, "balance": value}, "USD")
    assert card.balance.amount == balance
