"""Leal's JSON to domain objects: the documented shapes, the G1 variants, and hostile input.

Fuzzing throws random JSON-like values (and random bytes through ``parse_json``) at every parse
function: the only exception allowed out is ``BadResponse``, and whatever does parse is a valid
domain object (the domain's own checks ran in its constructor).
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pos_app.domain import Customer, Reward, StampCard
from pos_app.domain.outcomes import RewardRedemption
from pos_app.providers.errors import BadResponse
from pos_app.providers.leal_parsing import (
    CardSummary,
    CardTemplate,
    LealError,
    RewardRef,
    parse_card_detail,
    parse_card_summary,
    parse_card_template,
    parse_card_templates,
    parse_customer,
    parse_customer_hit,
    parse_error,
    parse_redemption,
    parse_reward,
    parse_reward_ref,
    parse_rewards,
    parse_search_page,
    parse_status,
    parse_store,
    resolve_available_rewards,
    stamps_required_of,
    to_stamp_card,
)
from pos_app.providers.payloads import parse_json

# ------------------------------------------------------------------ examples from leal.md §1

SEARCH_EXAMPLE: dict[str, Any] = {
    "customers": [
        {
            "id": 9001,
            "account_id": 42,
            "first_name": "Ana",
            "last_name": "Silva",
            "email": "ana@example.com",
            "phone": "+447700900123",
            "birthday": "1990-05-17",
            "stamp_count": 7,
            "metadata": {},
            "external_references": [],
            "customer_cards": [
                {
                    "id": 555,
                    "card_id": 3,
                    "card_name": "Coffee Card",
                    "stamps_count": 7,
                    "stamps_remaining": 3,
                }
            ],
            "created_at": "2025-01-10T09:12:00Z",
            "updated_at": "2025-03-02T16:40:11Z",
        }
    ],
    "pagination": {"count": 1, "items": 10, "page": 1, "pages": 1},
}

REWARD_17: dict[str, Any] = {
    "id": 17,
    "account_id": 42,
    "card_id": 3,
    "name": "Free coffee",
    "description": "Any size, any blend",
    "stamps_required": 10,
    "position": 3,
    "active": True,
    "created_at": "2025-01-01T00:00:00Z",
    "updated_at": "2025-01-01T00:00:00Z",
}
REWARD_18: dict[str, Any] = {**REWARD_17, "id": 18, "name": "Size upgrade", "stamps_required": 5}
REWARD_18.update(description=None, position=1)
REWARD_19: dict[str, Any] = {**REWARD_17, "id": 19, "name": "Free pastry", "stamps_required": 8}
REWARD_19.update(position=2)
REWARD_20_INACTIVE: dict[str, Any] = {
    **REWARD_17,
    "id": 20,
    "name": "Free muffin",
    "stamps_required": 4,
    "position": 4,
    "active": False,
}
HAIRCUT_REWARD: dict[str, Any] = {**REWARD_17, "id": 21, "card_id": 4, "name": "Free beard trim"}
HAIRCUT_REWARD.update(stamps_required=3, position=1)
KNOWN_REWARDS = parse_rewards([REWARD_17, REWARD_18, REWARD_19, REWARD_20_INACTIVE, HAIRCUT_REWARD])

STAMP_EXAMPLE: dict[str, Any] = {
    "id": 555,
    "uuid": "3f1c0000-0000-4000-8000-000000000001",
    "account_id": 42,
    "customer_id": 9001,
    "card_id": 3,
    "card_name": "Coffee Card",
    "stamps_count": 8,
    "stamps_remaining": 2,
    "progress_percentage": 80.0,
    "status": "active",
    "pass_installed": True,
    "available_rewards": [REWARD_18, REWARD_19],
    "apple_wallet_url": "https://wallet.example/apple/3f1c",
    "google_wallet_url": "https://wallet.example/google/3f1c",
    "issued_at": "2025-01-10T09:12:00Z",
    "created_at": "2025-01-10T09:12:00Z",
    "updated_at": "2025-03-09T10:01:02Z",
}

REDEEM_EXAMPLE: dict[str, Any] = {
    "success": True,
    "redemption": {
        "id": 880,
        "reward_id": 17,
        "reward_name": "Free coffee",
        "stamps_spent": 8,
        "stamps_remaining": 0,
        "redeemed_at": "2025-03-09T10:02:30Z",
    },
}

COFFEE_TEMPLATE = CardTemplate(id="3", name="Coffee Card", stamps_required=10)


def coffee_card(stamps: int) -> StampCard:
    return StampCard(
        id="555",
        template_id="3",
        template_name="Coffee Card",
        stamps_count=stamps,
        stamps_required=10,
        customer_id="9001",
    )


# ------------------------------------------------------------------ well-formed answers


def test_search_example_parses_to_customer_and_card_summary() -> None:
    page = parse_search_page(SEARCH_EXAMPLE)
    assert (page.page, page.pages, page.count) == (1, 1, 1)
    [hit] = page.hits
    assert hit.customer == Customer(
        id="9001",
        first_name="Ana",
        last_name="Silva",
        email="ana@example.com",
        phone="+447700900123",
    )
    assert hit.cards == (
        CardSummary(
            id="555",
            template_id="3",
            template_name="Coffee Card",
            stamps_count=7,
            stamps_remaining=3,
            customer_id="9001",
        ),
    )
    card = to_stamp_card(hit.cards[0], stamps_required_of(hit.cards[0], {}) or 0)
    assert (card.id, card.template_id, card.customer_id) == ("555", "3", "9001")
    assert (card.stamps_count, card.stamps_required, card.progress_percent) == (7, 10, 70)


def test_search_without_pagination_is_one_page() -> None:
    body = {"customers": SEARCH_EXAMPLE["customers"]}
    page = parse_search_page(body)
    assert (page.page, page.pages, page.count, len(page.hits)) == (1, 1, 1, 1)


def test_customer_without_cards_and_null_strings() -> None:
    hit = parse_customer_hit(
        {"id": "9008", "first_name": "Hana", "last_name": None, "email": " ", "phone": None}
    )
    assert hit.customer == Customer(id="9008", first_name="Hana")
    assert hit.cards == ()
    assert hit.customer.display_name == "Hana"


def test_stamp_answer_parses_card_and_reward_objects() -> None:
    detail = parse_card_detail(STAMP_EXAMPLE)
    assert detail.card.customer_id == "9001"
    assert detail.card.uuid == STAMP_EXAMPLE["uuid"]
    card = to_stamp_card(detail.card, stamps_required_of(detail.card, {}) or 0)
    assert card.progress_text == "8 of 10 stamps"
    assert detail.available is not None
    rewards, unresolved = resolve_available_rewards(detail.available, card, ())
    assert [reward.name for reward in rewards] == ["Size upgrade", "Free pastry"]
    assert unresolved == ()
    assert rewards[0] == Reward(id="18", name="Size upgrade", cost=5, card_id="3", position=1)


def test_redemption_example() -> None:
    done = parse_redemption(REDEEM_EXAMPLE)
    assert done == RewardRedemption(
        redemption_id="880",
        reward_id="17",
        reward_name="Free coffee",
        stamps_spent=8,
        stamps_remaining=0,
        redeemed_at=datetime(2025, 3, 9, 10, 2, 30, tzinfo=UTC),
    )


def test_redemption_without_name_uses_the_known_one_and_naive_time_is_utc() -> None:
    body = copy.deepcopy(REDEEM_EXAMPLE)
    del body["redemption"]["reward_name"]
    body["redemption"]["redeemed_at"] = "2025-03-09T10:02:30"
    done = parse_redemption(body, "Free coffee")
    assert done.reward_name == "Free coffee"
    assert done.redeemed_at == datetime(2025, 3, 9, 10, 2, 30, tzinfo=UTC)
    body["redemption"]["redeemed_at"] = "yesterday"
    assert parse_redemption(body).redeemed_at is None
    assert parse_redemption(body).reward_name == "Reward 17"


def test_redemption_that_says_it_failed_is_unreadable() -> None:
    with pytest.raises(BadResponse):
        parse_redemption({**REDEEM_EXAMPLE, "success": False})


def test_rewards_list_and_templates() -> None:
    assert [reward.id for reward in KNOWN_REWARDS] == ["17", "18", "19", "20", "21"]
    assert KNOWN_REWARDS[3].active is False
    assert KNOWN_REWARDS[0].description == "Any size, any blend"
    templates = parse_card_templates(
        [
            {"id": 3, "name": "Coffee Card", "stamps_required": 10, "archived_at": None},
            {"id": 5, "name": "Smoothie", "stamps_required": 8, "archived_at": "2025-01-01T0Z"},
        ]
    )
    assert templates == (
        COFFEE_TEMPLATE,
        CardTemplate(id="5", name="Smoothie", stamps_required=8, archived=True),
    )


def test_status_and_store() -> None:
    status = parse_status(
        {"status": "ok", "api_version": "v1", "rate_limit": {"limit": 120, "window_seconds": 60}}
    )
    assert (status.status, status.rate_limit, status.window_seconds) == ("ok", 120, 60)
    assert parse_status({"status": "ok"}).rate_limit is None
    store = parse_store({"id": 42, "name": "corner-cafe", "display_store_name": "Corner Café"})
    assert (store.id, store.name) == ("42", "Corner Café")


# ------------------------------------------------------------------ stamps_required


def test_stamps_required_prefers_live_counts_then_the_template() -> None:
    open_card = CardSummary(
        id="1", template_id="3", template_name=None, stamps_count=7, stamps_remaining=3
    )
    full = CardSummary(
        id="1", template_id="3", template_name=None, stamps_count=13, stamps_remaining=0
    )
    stale = {"3": CardTemplate(id="3", name="Coffee Card", stamps_required=12)}
    assert stamps_required_of(open_card, stale) == 10  # Leal's live numbers beat a stale cache
    assert stamps_required_of(full, {"3": COFFEE_TEMPLATE}) == 10
    assert stamps_required_of(full, {}) is None
    card = to_stamp_card(full, 10, {"3": COFFEE_TEMPLATE})
    assert (card.template_name, card.is_full, card.stamps_remaining) == ("Coffee Card", True, 0)


# ------------------------------------------------------------------ available_rewards (G1)


@pytest.mark.parametrize(
    ("available", "names"),
    [
        pytest.param([REWARD_18, REWARD_19], ["Size upgrade", "Free pastry"], id="objects"),
        pytest.param([18, 19], ["Size upgrade", "Free pastry"], id="bare-ids"),
        pytest.param(["18", "19"], ["Size upgrade", "Free pastry"], id="id-strings"),
        pytest.param(["Free pastry", "size upgrade"], ["Size upgrade", "Free pastry"], id="names"),
        pytest.param([{"id": 19}, 18], ["Size upgrade", "Free pastry"], id="partial-objects"),
        pytest.param([19, REWARD_18, "18"], ["Size upgrade", "Free pastry"], id="mixed-dupes"),
        pytest.param([], [], id="empty"),
    ],
)
def test_available_rewards_in_any_shape(available: list[Any], names: list[str]) -> None:
    detail = parse_card_detail({**STAMP_EXAMPLE, "available_rewards": available})
    assert detail.available is not None
    rewards, unresolved = resolve_available_rewards(detail.available, coffee_card(8), KNOWN_REWARDS)
    assert [reward.name for reward in rewards] == names
    assert unresolved == ()


def test_available_rewards_are_checked_again_by_the_domain_rule() -> None:
    """Leal's list is cross-checked (G4 step 4): inactive, foreign or too dear is dropped."""
    refs = [parse_reward_ref(item) for item in (17, 20, 21, REWARD_18)]
    rewards, unresolved = resolve_available_rewards(refs, coffee_card(8), KNOWN_REWARDS)
    assert [reward.id for reward in rewards] == ["18"]
    assert unresolved == ()


def test_unknown_reward_refs_are_reported_not_invented() -> None:
    refs = [parse_reward_ref(item) for item in (99, "Mystery prize", None, [1], 1.5, True)]
    rewards, unresolved = resolve_available_rewards(refs, coffee_card(10), KNOWN_REWARDS)
    assert rewards == ()
    assert unresolved == ("99", "Mystery prize", "?", "?", "?", "?")


def test_missing_available_rewards_is_none_not_empty() -> None:
    body = {key: value for key, value in STAMP_EXAMPLE.items() if key != "available_rewards"}
    assert parse_card_detail(body).available is None
    assert parse_card_detail({**body, "available_rewards": None}).available is None
    with pytest.raises(BadResponse):
        parse_card_detail({**body, "available_rewards": "18,19"})


def test_reward_ref_shapes() -> None:
    assert parse_reward_ref(18) == RewardRef(id="18")
    assert parse_reward_ref(" 18 ") == RewardRef(id="18")
    assert parse_reward_ref("Free coffee") == RewardRef(name="Free coffee")
    assert parse_reward_ref(True) == RewardRef()
    assert parse_reward_ref({"id": "x/../1", "name": 5, "stamps_required": "5"}) == RewardRef()


# ------------------------------------------------------------------ errors


def test_error_bodies_in_both_documented_shapes() -> None:
    rails = parse_error(
        {"error": "Validation failed", "errors": {"stamps": ["must be greater than 0"]}}
    )
    assert rails == LealError(error="Validation failed", details=("stamps must be greater than 0",))
    assert rails.message("x") == "stamps must be greater than 0"
    listed = parse_error({"errors": ["Reward is not active"]})
    assert listed.message("x") == "Reward is not active"
    business = parse_error(
        {"error": "Not enough stamps to redeem this reward", "errors": {"stamps": ["10 required"]}}
    )
    assert business.message("x") == "Not enough stamps to redeem this reward"
    assert parse_error("<html>").message("fallback") == "fallback"
    assert parse_error({"error": 5, "errors": {"a": [1, None]}}).message("fallback") == "fallback"


# ------------------------------------------------------------------ wrong types are refused


@pytest.mark.parametrize(
    ("mutate", "what"),
    [
        (lambda c: c.update(stamps_count="7"), "string-typed number"),
        (lambda c: c.update(stamps_count=7.0), "float count"),
        (lambda c: c.update(stamps_count=True), "bool count"),
        (lambda c: c.update(stamps_count=-1), "negative count"),
        (lambda c: c.update(stamps_count=2**40), "count beyond Leal's column"),
        (lambda c: c.update(id=True), "bool id"),
        (lambda c: c.update(id="../../accounts"), "path in an id"),
        (lambda c: c.update(id=None), "missing id"),
        (lambda c: c.update(card_id=[3]), "list id"),
        (lambda c: c.update(card_name=3), "number as name"),
        (lambda c: c.pop("stamps_count"), "missing count"),
    ],
)
def test_wrong_types_in_a_card_are_bad_responses(
    mutate: Callable[[dict[str, Any]], object], what: str
) -> None:
    body = copy.deepcopy(STAMP_EXAMPLE)
    mutate(body)
    with pytest.raises(BadResponse):
        parse_card_detail(body)


def test_ids_become_canonical_strings() -> None:
    customer = parse_customer({"id": "0009001"})
    assert customer.id == "9001"
    reward = parse_reward({**REWARD_17, "id": "17", "card_id": 3})
    assert (reward.id, reward.card_id) == ("17", "3")
    with pytest.raises(BadResponse):
        parse_reward({**REWARD_17, "stamps_required": 0})
    with pytest.raises(BadResponse):
        parse_reward({**REWARD_17, "name": "  "})
    with pytest.raises(BadResponse):
        parse_rewards({"rewards": [REWARD_17]})


# ------------------------------------------------------------------ fuzzing

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["7", "9001", " 18 ", "", "ok", "2025-03-09T10:02:30Z", "active"])
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)

CARD_KEYS = ["id", "uuid", "card_id", "card_name", "stamps_count", "stamps_remaining", "status"]
FIELDS: dict[str, list[str]] = {
    "status": ["status", "rate_limit"],
    "store": ["id", "name", "store_name", "display_store_name"],
    "card": ["id", "name", "stamps_required", "archived_at"],
    "reward": ["id", "name", "stamps_required", "card_id", "active", "description", "position"],
    "customer": ["id", "first_name", "last_name", "email", "phone", "customer_cards"],
    "customer_card": [*CARD_KEYS, "customer_id", "available_rewards"],
    "search": ["customers", "pagination"],
    "redeem": ["success", "redemption"],
    "error": ["error", "errors"],
}


def shaped(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with the right keys and random values: they get past the first type check."""
    return st.fixed_dictionaries({}, optional=dict.fromkeys(keys, json_values))


PARSERS: list[tuple[Callable[[Any], object], str]] = [
    (parse_status, "status"),
    (parse_store, "store"),
    (parse_card_template, "card"),
    (parse_card_templates, "card"),
    (parse_reward, "reward"),
    (parse_rewards, "reward"),
    (parse_customer, "customer"),
    (parse_customer_hit, "customer"),
    (parse_card_summary, "customer_card"),
    (parse_card_detail, "customer_card"),
    (parse_search_page, "search"),
    (parse_redemption, "redeem"),
    (parse_reward_ref, "reward"),
    (parse_error, "error"),
]
NEVER_FAIL = {parse_reward_ref, parse_error}
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PER_PARSER = settings(FUZZ, max_examples=50)


T = TypeVar("T")


def only_bad_response(parse: Callable[[Any], T], value: Any) -> T | None:
    try:
        return parse(value)
    except BadResponse as exc:
        failure = exc
    assert parse not in NEVER_FAIL, f"{parse.__name__} must not fail"
    assert failure.message
    assert failure.backend == "Leal"
    return None


@pytest.mark.parametrize(("parse", "kind"), PARSERS, ids=[p.__name__ for p, _ in PARSERS])
@PER_PARSER
@given(data=st.data())
def test_fuzz_every_parser_with_random_json(
    parse: Callable[[Any], object], kind: str, data: st.DataObject
) -> None:
    value = data.draw(json_values | shaped(FIELDS[kind]) | st.lists(shaped(FIELDS[kind])))
    only_bad_response(parse, value)


@FUZZ
@given(
    path=st.sampled_from(
        [
            ("customers", 0, "id"),
            ("customers", 0, "first_name"),
            ("customers", 0, "customer_cards"),
            ("customers", 0, "customer_cards", 0, "stamps_count"),
            ("customers", 0, "customer_cards", 0, "stamps_remaining"),
            ("customers", 0, "customer_cards", 0, "card_id"),
            ("customers", 0, "customer_cards", 0),
            ("pagination", "pages"),
            ("pagination",),
            ("customers",),
        ]
    ),
    value=json_values,
)
def test_fuzz_one_field_of_a_good_search_answer(path: tuple[Any, ...], value: Any) -> None:
    body = copy.deepcopy(SEARCH_EXAMPLE)
    target: Any = body
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    page = only_bad_response(parse_search_page, body)
    if page is not None:
        assert all(isinstance(hit.customer, Customer) for hit in page.hits)


@FUZZ
@given(field=st.sampled_from([*CARD_KEYS, "customer_id", "available_rewards"]), value=json_values)
def test_fuzz_one_field_of_a_stamp_answer_then_build_the_card(field: str, value: Any) -> None:
    body = {**STAMP_EXAMPLE, field: value}
    detail = only_bad_response(parse_card_detail, body)
    if detail is None:
        return
    summary = detail.card
    required = stamps_required_of(summary, {"3": COFFEE_TEMPLATE})
    if required is None:
        return
    card = only_bad_response(lambda s: to_stamp_card(s, required), summary)
    if card is not None and detail.available is not None:
        rewards, _ = resolve_available_rewards(detail.available, card, KNOWN_REWARDS)
        assert all(reward.cost <= card.stamps_count and reward.active for reward in rewards)


@FUZZ
@given(refs=st.lists(json_values, max_size=6), stamps=st.integers(0, 30))
def test_fuzz_available_rewards_never_offers_what_the_card_cannot_pay(
    refs: list[Any], stamps: int
) -> None:
    card = coffee_card(stamps)
    parsed = [parse_reward_ref(ref) for ref in refs]
    rewards, unresolved = resolve_available_rewards(parsed, card, KNOWN_REWARDS)
    assert len(rewards) + len(unresolved) <= len(refs)
    for reward in rewards:
        assert reward.card_id == "3"
        assert reward.active
        assert reward.cost <= stamps


@FUZZ
@given(raw=st.binary(max_size=200) | st.text(max_size=80).map(str.encode))
def test_fuzz_garbled_bytes_through_parse_json(raw: bytes) -> None:
    """Any bytes: ``parse_json`` then each parser; nothing but provider errors comes out."""
    try:
        value = parse_json(raw, "Leal")
    except BadResponse:
        return
    for parse, _ in PARSERS:
        with contextlib.suppress(BadResponse):
            parse(value)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"customers": [{"id": 9001, "customer_cards": [{"id": 555, "card_id": 3, "stamps_c',
        b"<html><body>Login</body></html>",
        b'cb({"customers": []})',
        b"[" * 5000 + b"]" * 5000,
        json.dumps({"customers": [{"id": 1, "customer_cards": "nope"}]}).encode(),
        b"\xff\xfe\x00garbage",
    ],
)
def test_garbled_search_answers_are_bad_responses(raw: bytes) -> None:
    with pytest.raises(BadResponse):
        parse_search_page(parse_json(raw, "Leal"))
