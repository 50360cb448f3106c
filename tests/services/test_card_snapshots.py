"""The offline card cache format: real seeded cards survive the trip exactly, damage is refused."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pos_app.domain import (
    LARGEST_AMOUNT,
    AddStamps,
    CampaignBalance,
    CampaignType,
    GiftCard,
    GiftCardStatus,
    Money,
    OperationError,
    PointsReward,
    Provider,
    Redeem,
    RedeemReward,
    Reward,
    StampCard,
)
from pos_app.providers.factory import build_backends
from pos_app.sandbox.inprocess import TRAINING_ORIGIN, InProcessTransport
from pos_app.sandbox.state import Sandbox
from pos_app.services.card_snapshots import (
    SNAPSHOT_VERSION,
    SnapshotError,
    match_from_json,
    match_to_json,
)
from pos_app.services.lookup import Match, RewardOption, lookup
from pos_app.training import sandbox_config, sandbox_credentials

GIFT_CARD = "6215943836307608"  # LoyaltyDog, seed 0: Alice Martin, USD 100.00
STAMP_CARD = "ZTLKCIUD"  # Leal: Ana Kowalski's Coffee Card, 7 of 10, three rewards
POINTS_CARD = "3141592653"  # ClientToolbox: Amy Acker, two points campaigns with rewards
STORED_VALUE_CARD = "12345678"  # ClientToolbox: Jane Doe, EUR 37.50 gift card campaign
KEY = "0b6f7d3e-5c1a-4e8b-9f2d-3a4b5c6d7e8f"


async def _lookup_all(codes: tuple[str, ...]) -> dict[str, tuple[Match, ...]]:
    sandbox = Sandbox(seed=0)
    seed = sandbox.seed_summary()
    backends = build_backends(
        sandbox_config(seed, TRAINING_ORIGIN),
        sandbox_credentials(seed),
        transport=InProcessTransport(sandbox),
    )
    try:
        return {code: tuple((await lookup(code, backends)).matches) for code in codes}
    finally:
        await backends.aclose()


@cache
def seeded_matches() -> dict[str, tuple[Match, ...]]:
    """Matches exactly as the app builds them from the seed-0 emulators (read once per run)."""
    codes = (GIFT_CARD, STAMP_CARD, POINTS_CARD, STORED_VALUE_CARD)
    return asyncio.run(_lookup_all(codes))


def found(code: str, provider: Provider) -> tuple[Match, ...]:
    matches = tuple(m for m in seeded_matches()[code] if m.provider is provider)
    assert matches, f"the seed no longer has {code} on {provider.value}"
    return matches


def the_match(code: str, provider: Provider) -> Match:
    (match,) = found(code, provider)
    return match


def round_trip(match: Match) -> Match:
    return match_from_json(match_to_json(match))


def snapshot_dict(code: str, provider: Provider) -> dict[str, Any]:
    data = json.loads(match_to_json(found(code, provider)[0]))
    assert isinstance(data, dict)
    return data


def _values(obj: Any) -> list[tuple[str, str]]:
    """Each field's type and repr: tells apart what ``==`` treats as equal (1 vs True,
    Decimal('1.0') vs Decimal('1.00'), an offset of +00:00 vs +01:00 at the same instant)."""
    return [(type(getattr(obj, f.name)).__name__, repr(getattr(obj, f.name))) for f in fields(obj)]


def assert_identical(rebuilt: Match, original: Match) -> None:
    assert rebuilt == original
    assert type(rebuilt.subject) is type(original.subject)
    assert rebuilt.subject == original.subject
    assert _values(rebuilt.subject) == _values(original.subject)
    assert rebuilt.reward_objects == original.reward_objects
    assert [type(r) for r in rebuilt.reward_objects] == [type(r) for r in original.reward_objects]
    assert [_values(r) for r in rebuilt.reward_objects] == [
        _values(r) for r in original.reward_objects
    ]
    assert _values(rebuilt) == _values(original)


# --- real seeded cards --------------------------------------------------------------------


SEEDED = [
    pytest.param(GIFT_CARD, Provider.LOYALTYDOG, GiftCard, 1, id="loyaltydog-gift-card"),
    pytest.param(STAMP_CARD, Provider.LEAL, StampCard, 1, id="leal-stamp-card"),
    pytest.param(POINTS_CARD, Provider.CLIENTTOOLBOX, CampaignBalance, 2, id="ctb-points"),
    pytest.param(STORED_VALUE_CARD, Provider.CLIENTTOOLBOX, CampaignBalance, 1, id="ctb-stored"),
]


@pytest.mark.parametrize(("code", "provider", "subject_type", "count"), SEEDED)
def test_seeded_match_round_trips_exactly(
    code: str, provider: Provider, subject_type: type, count: int
) -> None:
    matches = found(code, provider)
    assert len(matches) == count
    for match in matches:
        assert isinstance(match.subject, subject_type)
        assert_identical(round_trip(match), match)


@pytest.mark.parametrize(("code", "provider", "subject_type", "count"), SEEDED)
def test_snapshot_is_compact_versioned_json_without_floats(
    code: str, provider: Provider, subject_type: type, count: int
) -> None:
    floats: list[str] = []
    for match in found(code, provider):
        text = match_to_json(match)
        data = json.loads(text, parse_float=floats.append)
        assert data["v"] == SNAPSHOT_VERSION
        assert json.dumps(data, separators=(",", ":")) == text
        assert text.isascii()
    assert floats == []


def test_gift_card_money_and_times_are_written_as_text_with_offsets() -> None:
    data = snapshot_dict(GIFT_CARD, Provider.LOYALTYDOG)
    subject = data["subject"]
    assert data["balance"] == {"amount": "100.00", "currency": "USD"}
    assert subject["balance"] == {"amount": "100.00", "currency": "USD"}
    assert subject["initial_value"] == {"amount": "100.00", "currency": "USD"}
    assert subject["status"] == "active"
    assert subject["expires_at"].endswith("+00:00")
    assert subject["activated_at"].endswith("+00:00")
    assert subject["number"] == GIFT_CARD


def test_stamp_card_keeps_its_rewards_and_their_order() -> None:
    match = the_match(STAMP_CARD, Provider.LEAL)
    rebuilt = round_trip(match)
    assert [r.id for r in rebuilt.reward_objects] == ["18", "19", "17"]
    assert [(o.name, o.redeemable) for o in rebuilt.rewards] == [
        ("Size upgrade", True),
        ("Free pastry", False),
        ("Free coffee", False),
    ]
    assert rebuilt.reward("19") == match.reward("19")
    assert all(isinstance(r, Reward) for r in rebuilt.reward_objects)


def test_stored_value_balance_stays_money_and_points_stay_counts() -> None:
    stored = round_trip(the_match(STORED_VALUE_CARD, Provider.CLIENTTOOLBOX))
    assert isinstance(stored.subject, CampaignBalance)
    assert stored.subject.balance == Money(Decimal("37.50"), "EUR")
    assert stored.subject.type is CampaignType.GIFTCARD
    for match in found(POINTS_CARD, Provider.CLIENTTOOLBOX):
        subject = round_trip(match).subject
        assert isinstance(subject, CampaignBalance)
        assert type(subject.balance) is int
        assert all(isinstance(r, PointsReward) for r in round_trip(match).reward_objects)


@pytest.mark.parametrize("stale", [None, 0, 42, 86_400 * 30])
def test_stale_seconds_is_kept_as_given(stale: int | None) -> None:
    match = replace(the_match(GIFT_CARD, Provider.LOYALTYDOG), stale_seconds=stale)
    assert round_trip(match).stale_seconds == stale


# --- the offline policy builds the same operations from a rebuilt card ------------------------


NOW = datetime.now(UTC)


def test_redeem_on_rebuilt_gift_card_equals_redeem_on_original() -> None:
    original = the_match(GIFT_CARD, Provider.LOYALTYDOG)
    rebuilt = round_trip(original)
    assert isinstance(original.subject, GiftCard)
    assert isinstance(rebuilt.subject, GiftCard)
    amount = Money(Decimal("12.50"), "USD")
    before = Redeem(original.subject, amount, key=KEY, created_at=NOW)
    after = Redeem(rebuilt.subject, amount, key=KEY, created_at=NOW)
    assert after == before
    assert after.expected_balance_after == Money(Decimal("87.50"), "USD")
    assert after.describe() == before.describe()
    too_much = Money(Decimal("100.01"), "USD")
    with pytest.raises(OperationError, match="Not enough balance") as was:
        Redeem(original.subject, too_much, key=KEY, created_at=NOW)
    with pytest.raises(OperationError) as now:
        Redeem(rebuilt.subject, too_much, key=KEY, created_at=NOW)
    assert str(now.value) == str(was.value)


def test_stamps_and_rewards_on_rebuilt_stamp_card_equal_the_originals() -> None:
    original = the_match(STAMP_CARD, Provider.LEAL)
    rebuilt = round_trip(original)
    assert isinstance(original.subject, StampCard)
    assert isinstance(rebuilt.subject, StampCard)
    stamp = AddStamps(original.subject, 2, key=KEY, created_at=NOW)
    assert AddStamps(rebuilt.subject, 2, key=KEY, created_at=NOW) == stamp
    upgrade_now, upgrade_then = rebuilt.reward("18"), original.reward("18")
    assert isinstance(upgrade_now, Reward)
    assert isinstance(upgrade_then, Reward)
    redeemed = RedeemReward(rebuilt.subject, upgrade_now, key=KEY, created_at=NOW)
    assert redeemed == RedeemReward(original.subject, upgrade_then, key=KEY, created_at=NOW)
    assert redeemed.describe() == "Redeem reward 'Size upgrade' (5 stamps) on Coffee Card"
    coffee = rebuilt.reward("17")
    assert isinstance(coffee, Reward)
    with pytest.raises(OperationError, match="needs 10 stamps; the card has 7"):
        RedeemReward(rebuilt.subject, coffee, key=KEY, created_at=NOW)


def test_points_reward_on_rebuilt_campaign_equals_the_original() -> None:
    for original in found(POINTS_CARD, Provider.CLIENTTOOLBOX):
        rebuilt = round_trip(original)
        assert isinstance(original.subject, CampaignBalance)
        assert isinstance(rebuilt.subject, CampaignBalance)
        assert rebuilt.reward_objects
        for old, new in zip(original.reward_objects, rebuilt.reward_objects, strict=True):
            assert isinstance(old, PointsReward)
            assert isinstance(new, PointsReward)
            made = RedeemReward(rebuilt.subject, new, key=KEY, created_at=NOW)
            assert made == RedeemReward(original.subject, old, key=KEY, created_at=NOW)
            assert made.cost == old.level


def test_redeem_on_rebuilt_stored_value_equals_the_original() -> None:
    original = the_match(STORED_VALUE_CARD, Provider.CLIENTTOOLBOX)
    rebuilt = round_trip(original)
    assert isinstance(original.subject, CampaignBalance)
    assert isinstance(rebuilt.subject, CampaignBalance)
    amount = Money(Decimal("5.00"), "EUR")
    made = Redeem(rebuilt.subject, amount, key=KEY, created_at=NOW)
    assert made == Redeem(original.subject, amount, key=KEY, created_at=NOW)
    assert made.expected_balance_after == Money(Decimal("32.50"), "EUR")


# --- generated cards: odd text, offsets, negative money, missing fields ----------------------


ids = st.text(min_size=1, max_size=12).filter(str.strip)
texts = st.text(max_size=12)
optional_texts = st.none() | texts
currencies = st.sampled_from(["USD", "EUR", "GBP", "JPY"])
amounts = st.decimals(min_value=-LARGEST_AMOUNT, max_value=LARGEST_AMOUNT, places=2)
# Whole seconds, as real offsets are (hh:mm, or hh:mm:ss for old local mean time): Python 3.11's
# fromisoformat drops an offset's microseconds when its seconds are zero.
offsets = st.builds(
    timezone,
    st.integers(min_value=-23 * 3600, max_value=23 * 3600).map(lambda s: timedelta(seconds=s)),
)
times = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2200, 1, 1), timezones=offsets
)
counts = st.integers(min_value=0, max_value=10**9)


@st.composite
def gift_cards(draw: st.DrawFn) -> GiftCard:
    currency = draw(currencies)
    money = st.builds(Money, amounts, st.just(currency))
    return GiftCard(
        id=draw(ids),
        number=draw(ids),
        balance=draw(money),
        status=draw(st.sampled_from(GiftCardStatus)),
        status_raw=draw(optional_texts),
        expires_at=draw(st.none() | times),
        activated_at=draw(st.none() | times),
        initial_value=draw(st.none() | money),
        owner_name=draw(optional_texts),
        owner_email=draw(optional_texts),
        owner_phone=draw(optional_texts),
        program_id=draw(optional_texts),
        suspended_reason=draw(optional_texts),
    )


stamp_cards = st.builds(
    StampCard,
    id=ids,
    template_id=ids,
    template_name=texts,
    stamps_count=counts,
    stamps_required=st.integers(min_value=1, max_value=10**9),
    customer_id=st.none() | ids,
    status=optional_texts,
)


@st.composite
def campaigns(draw: st.DrawFn) -> CampaignBalance:
    kind = draw(st.sampled_from(CampaignType))
    money = st.builds(Money, amounts, currencies)
    balance = draw(money if kind.holds_money else counts if kind.holds_count else money | counts)
    return CampaignBalance(
        campaign_id=draw(ids),
        type=kind,
        name=draw(texts),
        balance=balance,
        customer_code=draw(st.none() | ids),
        card_number=draw(st.none() | ids),
        type_raw=draw(optional_texts),
    )


rewards = st.builds(
    Reward,
    id=ids,
    name=ids,
    cost=st.integers(min_value=1, max_value=10**6),
    card_id=ids,
    active=st.booleans(),
    description=optional_texts,
    position=st.integers(min_value=-(10**6), max_value=10**6),
)
points_rewards = st.builds(PointsReward, id=ids, level=counts, description=texts)
options = st.builds(
    RewardOption, id=texts, name=texts, cost=st.integers(), redeemable=st.booleans()
)
optional_counts = st.none() | st.integers(min_value=-(10**12), max_value=10**12)


@st.composite
def matches(draw: st.DrawFn) -> Match:
    provider = draw(st.sampled_from(Provider))
    subject: GiftCard | StampCard | CampaignBalance | None
    reward_objects: tuple[Reward | PointsReward, ...]
    if provider is Provider.LOYALTYDOG:
        subject, reward_objects = draw(st.none() | gift_cards()), ()
    elif provider is Provider.LEAL:
        subject = draw(st.none() | stamp_cards)
        reward_objects = tuple(draw(st.lists(rewards, max_size=3)))
    else:
        subject = draw(st.none() | campaigns())
        reward_objects = tuple(draw(st.lists(points_rewards, max_size=3)))
    return Match(
        provider=provider,
        kind=draw(st.sampled_from(["gift_card", "stamp_card", "points", "stored_value"])),
        masked_number=draw(texts),
        status=draw(texts),
        title=draw(texts),
        holder=draw(optional_texts),
        balance=draw(st.none() | st.builds(Money, amounts, currencies)),
        count=draw(optional_counts),
        count_unit=draw(optional_texts),
        stamps=draw(optional_counts),
        stamps_required=draw(optional_counts),
        rewards=tuple(draw(st.lists(options, max_size=3))),
        stale_seconds=draw(optional_counts),
        subject=subject,
        owner_id=draw(optional_texts),
        reward_objects=reward_objects,
    )


def _offsets(obj: Any) -> list[timedelta | None]:
    """The UTC offsets of a subject's times: ``==`` on datetimes only compares the instant."""
    return [
        value.utcoffset()
        for f in fields(obj)
        if isinstance(value := getattr(obj, f.name), datetime)
    ]


@settings(max_examples=300, deadline=None)
@given(matches())
def test_any_match_round_trips_exactly(match: Match) -> None:
    rebuilt = round_trip(match)
    assert rebuilt == match
    assert rebuilt.subject == match.subject
    assert type(rebuilt.subject) is type(match.subject)
    assert rebuilt.reward_objects == match.reward_objects
    if match.subject is not None:
        assert _offsets(rebuilt.subject) == _offsets(match.subject)
        if isinstance(match.subject, CampaignBalance):
            assert isinstance(rebuilt.subject, CampaignBalance)
            assert type(rebuilt.subject.balance) is type(match.subject.balance)
    assert match_to_json(rebuilt) == match_to_json(match)


# --- damaged or foreign snapshots ---------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        "not json",
        "null",
        "[]",
        "42",
        '"a card"',
        "NaN",
        '{"v": NaN}',
        '{"v": Infinity}',
        "[" * 100_000,
        '{"v": 1, "v": 1}',
    ],
)
def test_text_that_is_not_a_snapshot_object_is_refused(text: str) -> None:
    with pytest.raises(SnapshotError):
        match_from_json(text)


@pytest.mark.parametrize("value", [b"{}", None, 1, {"v": 1}])
def test_non_text_is_refused(value: Any) -> None:
    with pytest.raises(SnapshotError, match="must be text"):
        match_from_json(value)


def test_a_repeated_key_is_refused_even_if_the_text_is_otherwise_valid() -> None:
    text = match_to_json(the_match(GIFT_CARD, Provider.LOYALTYDOG))
    assert match_from_json(text)
    spliced = text.replace('"title":', '"title":"Forged","title":', 1)
    with pytest.raises(SnapshotError, match="not valid JSON"):
        match_from_json(spliced)


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (0, "format 0 is not supported"),
        (2, "format 2 is not supported"),
        (-1, "format -1 is not supported"),
        ("1", "no format version"),
        (True, "no format version"),
        (1.0, "no format version"),
        (None, "no format version"),
    ],
)
def test_other_format_versions_are_refused(version: object, message: str) -> None:
    data = snapshot_dict(GIFT_CARD, Provider.LOYALTYDOG)
    data["v"] = version
    with pytest.raises(SnapshotError, match=message):
        match_from_json(json.dumps(data))


def test_a_snapshot_without_version_is_refused() -> None:
    data = snapshot_dict(GIFT_CARD, Provider.LOYALTYDOG)
    del data["v"]
    with pytest.raises(SnapshotError, match="no format version"):
        match_from_json(json.dumps(data))


Damage = Callable[[dict[str, Any]], object]


def _set(path: str, value: object) -> Damage:
    """Put ``value`` at a dotted path (list indexes as numbers)."""

    def damage(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return damage


def _delete(path: str) -> Damage:
    def damage(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        del target[last]

    return damage


GIFT, STAMP, POINTS, STORED = (
    (GIFT_CARD, Provider.LOYALTYDOG),
    (STAMP_CARD, Provider.LEAL),
    (POINTS_CARD, Provider.CLIENTTOOLBOX),
    (STORED_VALUE_CARD, Provider.CLIENTTOOLBOX),
)
DAMAGES: list[Any] = [
    # missing or unknown keys
    pytest.param(GIFT, _delete("provider"), "has no 'provider'", id="no-provider"),
    pytest.param(GIFT, _delete("subject"), "has no 'subject'", id="no-subject"),
    pytest.param(GIFT, _delete("subject.balance"), "has no 'balance'", id="no-card-balance"),
    pytest.param(GIFT, _delete("subject.type"), "unknown type", id="no-subject-type"),
    pytest.param(GIFT, _delete("balance.currency"), "has no 'currency'", id="no-currency"),
    pytest.param(STAMP, _delete("rewards.0.redeemable"), "no 'redeemable'", id="no-redeemable"),
    pytest.param(STAMP, _delete("reward_objects.1.cost"), "has no 'cost'", id="no-reward-cost"),
    pytest.param(GIFT, _set("pickled", "x"), "unknown 'pickled'", id="extra-key"),
    pytest.param(STAMP, _set("subject.extra", 1), "unknown 'extra'", id="extra-subject-key"),
    # wrong types and values
    pytest.param(GIFT, _set("provider", "paypal"), "provider must be", id="unknown-provider"),
    pytest.param(GIFT, _set("provider", None), "provider must be", id="null-provider"),
    pytest.param(GIFT, _set("kind", "coupon"), "unknown kind", id="unknown-kind"),
    pytest.param(GIFT, _set("title", None), "title must be text", id="null-title"),
    pytest.param(GIFT, _set("holder", 5), "holder must be text", id="number-holder"),
    pytest.param(STAMP, _set("stamps", "7"), "stamps must be a whole", id="text-stamps"),
    pytest.param(STAMP, _set("stamps", True), "stamps must be a whole", id="bool-stamps"),
    pytest.param(STAMP, _set("stamps", 7.0), "stamps must be a whole", id="float-stamps"),
    pytest.param(GIFT, _set("stale_seconds", "60"), "stale_seconds must", id="text-stale"),
    pytest.param(STAMP, _set("rewards", {}), "rewards must be a list", id="rewards-object"),
    pytest.param(STAMP, _set("rewards.0", 1), "rewards\\[0\\] is not an object", id="option-int"),
    pytest.param(STAMP, _set("rewards.0.redeemable", 1), "true or false", id="int-redeemable"),
    pytest.param(STAMP, _set("reward_objects", None), "must be a list", id="null-rewards"),
    pytest.param(STAMP, _set("reward_objects.0.type", "x"), "unknown type", id="reward-type"),
    pytest.param(STAMP, _set("reward_objects.0", []), "not an object", id="reward-list"),
    pytest.param(STAMP, _set("reward_objects.0.active", "yes"), "true or false", id="active"),
    pytest.param(GIFT, _set("subject", "card"), "subject is not an object", id="subject-text"),
    pytest.param(GIFT, _set("subject.type", "voucher"), "unknown type", id="subject-type"),
    pytest.param(GIFT, _set("subject.status", "lost"), "known GiftCardStatus", id="status"),
    pytest.param(GIFT, _set("subject.status", "ACTIVE"), "known GiftCardStatus", id="status-case"),
    pytest.param(POINTS, _set("subject.campaign_type", "miles"), "CampaignType", id="campaign"),
    pytest.param(POINTS, _set("subject.balance", "1250"), "whole number", id="text-count"),
    pytest.param(POINTS, _set("subject.balance", None), "whole number", id="null-count"),
    # money
    pytest.param(GIFT, _set("balance", 100.0), "balance is not an object", id="float-money"),
    pytest.param(GIFT, _set("balance", "100.00"), "balance is not an object", id="text-money"),
    pytest.param(GIFT, _set("balance.amount", 100.0), "amount must be text", id="float-amount"),
    pytest.param(GIFT, _set("balance.amount", "100"), "like 12.50", id="no-cents"),
    pytest.param(GIFT, _set("balance.amount", "100.001"), "like 12.50", id="mills"),
    pytest.param(GIFT, _set("balance.amount", "1e2"), "like 12.50", id="exponent"),
    pytest.param(GIFT, _set("balance.amount", "NaN"), "like 12.50", id="nan-amount"),
    pytest.param(GIFT, _set("balance.amount", " 1.00"), "like 12.50", id="spaced-amount"),
    pytest.param(GIFT, _set("balance.amount", "1,00"), "like 12.50", id="comma-amount"),
    pytest.param(GIFT, _set("balance.amount", "٣.00"), "like 12.50", id="arabic-digit"),
    pytest.param(GIFT, _set("balance.amount", "9" * 13 + ".00"), "like 12.50", id="too-big"),
    pytest.param(GIFT, _set("balance.currency", "usd"), "currency code", id="lower-currency"),
    pytest.param(GIFT, _set("balance.currency", "US"), "currency code", id="short-currency"),
    pytest.param(GIFT, _set("balance.currency", 840), "currency must be text", id="numeric-ccy"),
    pytest.param(GIFT, _set("subject.balance", None), "not an object", id="null-card-balance"),
    pytest.param(STORED, _set("subject.balance.amount", "-"), "like 12.50", id="stored-amount"),
    # times
    pytest.param(GIFT, _set("subject.expires_at", "2030-01-01T00:00:00"), "offset", id="naive"),
    pytest.param(GIFT, _set("subject.expires_at", "2030-01-01"), "offset", id="date-only"),
    pytest.param(GIFT, _set("subject.expires_at", "tomorrow"), "ISO-8601", id="word-time"),
    pytest.param(GIFT, _set("subject.activated_at", 1_700_000_000), "ISO-8601", id="epoch"),
    # values the domain itself refuses
    pytest.param(GIFT, _set("subject.id", ""), "gift card id is empty", id="empty-id"),
    pytest.param(GIFT, _set("subject.id", "   "), "gift card id is empty", id="blank-id"),
    pytest.param(
        GIFT,
        _set("subject.initial_value", {"amount": "1.00", "currency": "EUR"}),
        "same currency",
        id="mixed-currencies",
    ),
    pytest.param(STAMP, _set("subject.stamps_required", 0), "at least 1", id="zero-required"),
    pytest.param(STAMP, _set("subject.stamps_count", -1), "at least 0", id="negative-stamps"),
    pytest.param(STAMP, _set("reward_objects.0.name", " "), "needs a name", id="nameless"),
    pytest.param(STAMP, _set("reward_objects.0.cost", 0), "at least 1", id="free-reward"),
    pytest.param(POINTS, _set("reward_objects.0.level", -5), "at least 0", id="negative-level"),
    pytest.param(
        POINTS,
        _set("subject.balance", {"amount": "1.00", "currency": "USD"}),
        "must be a whole number",
        id="points-as-money",
    ),
    pytest.param(STORED, _set("subject.balance", 37), "must be money", id="money-as-count"),
    # parts that do not belong together
    pytest.param(STAMP, _set("provider", "loyaltydog"), "cannot hold", id="leal-card-on-ld"),
    pytest.param(GIFT, _set("provider", "clienttoolbox"), "cannot hold", id="gift-card-on-ctb"),
]


@pytest.mark.parametrize(("source", "damage", "message"), DAMAGES)
def test_damaged_snapshot_is_refused_with_a_short_message(
    source: tuple[str, Provider], damage: Damage, message: str
) -> None:
    data = snapshot_dict(*source)
    match_from_json(json.dumps(data))  # the undamaged snapshot reads
    damage(data)
    with pytest.raises(SnapshotError, match=message) as refused:
        match_from_json(json.dumps(data))
    assert str(refused.value).startswith("Card snapshot")
    assert len(str(refused.value)) < 160


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["1.00", "USD", "2030-01-01T00:00:00+00:00", "gift_card", "points"]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)


def _leaf_paths(value: object, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every place in a snapshot where a value sits, so one of them can be replaced."""
    if isinstance(value, dict):
        nested = [p for key, item in value.items() for p in _leaf_paths(item, (*path, key))]
        return [path, *nested] if path else nested
    if isinstance(value, list):
        nested = [p for index, item in enumerate(value) for p in _leaf_paths(item, (*path, index))]
        return [path, *nested] if path else nested
    return [path]


def _replace_at(data: Any, path: tuple[str | int, ...], value: object) -> None:
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


@settings(max_examples=400, deadline=None)
@given(
    source=st.sampled_from([GIFT, STAMP, POINTS, STORED]),
    choice=st.integers(min_value=0),
    value=json_values,
)
def test_any_one_value_replaced_reads_back_or_is_refused_cleanly(
    source: tuple[str, Provider], choice: int, value: object
) -> None:
    data = snapshot_dict(*source)
    paths = _leaf_paths(data)
    path = paths[choice % len(paths)]
    _replace_at(data, path, value)
    refusal = ""
    try:
        rebuilt = match_from_json(json.dumps(data))
    except SnapshotError as refused:
        refusal = str(refused)
    if refusal:
        assert refusal.startswith("Card snapshot")
    else:
        # Accepted: everything but the replaced value reads back unchanged (the domain may
        # still tidy that one value, e.g. trim a reward's description).
        written = json.loads(match_to_json(rebuilt))
        _replace_at(written, path, value)
        assert written == data


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200) | json_values.map(json.dumps))
def test_arbitrary_text_never_escapes_as_another_exception(text: str) -> None:
    with pytest.raises(SnapshotError):
        match_from_json(text)
