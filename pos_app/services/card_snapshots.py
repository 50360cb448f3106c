"""The offline card cache's format: a looked-up :class:`Match` as JSON text, and back.

When a back-end is unreachable the cashier still sees the card (marked stale) and the offline
policy still builds operations from ``match.subject`` and ``match.reward_objects``, so a snapshot
must rebuild every domain object exactly. Each type is written and read by its own small pair of
functions, field by field: money as a decimal string with its currency (never a float), times as
ISO-8601 with their offset, enums by value. Reading is strict: anything unexpected (another
format version, a missing or extra key, a wrong type, a value the domain refuses) raises
:class:`SnapshotError`, because a card shown wrongly at the till is worse than one not shown.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final, TypeVar, cast, get_args

from pos_app.domain import (
    CampaignBalance,
    CampaignType,
    GiftCard,
    GiftCardStatus,
    Money,
    PointsReward,
    Provider,
    Reward,
    StampCard,
)
from pos_app.services.lookup import Kind, Match, RewardOption

__all__ = ["SNAPSHOT_VERSION", "SnapshotError", "match_from_json", "match_to_json"]

#: Bump whenever the layout changes; older snapshots are then refused, never half-read.
SNAPSHOT_VERSION: Final = 1

_KINDS: Final[frozenset[str]] = frozenset(get_args(Kind))
_AMOUNT_RE: Final = re.compile(r"-?[0-9]{1,12}\.[0-9]{2}")
_CURRENCY_RE: Final = re.compile(r"[A-Z]{3}")
#: Which subject each back-end can have: a Leal snapshot holding a gift card is damaged.
_SUBJECTS: Final[dict[Provider, type[GiftCard | StampCard | CampaignBalance]]] = {
    Provider.LOYALTYDOG: GiftCard,
    Provider.LEAL: StampCard,
    Provider.CLIENTTOOLBOX: CampaignBalance,
}

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)
Json = dict[str, Any]


class SnapshotError(ValueError):
    """A cached snapshot cannot be read back (old format, damaged)."""


# --- writing --------------------------------------------------------------------------------


def match_to_json(match: Match) -> str:
    """Compact JSON text for the card cache; :func:`match_from_json` rebuilds the same Match."""
    data: Json = {
        "v": SNAPSHOT_VERSION,
        "provider": match.provider.value,
        "kind": match.kind,
        "masked_number": match.masked_number,
        "status": match.status,
        "title": match.title,
        "holder": match.holder,
        "balance": _optional_money_out(match.balance),
        "count": match.count,
        "count_unit": match.count_unit,
        "stamps": match.stamps,
        "stamps_required": match.stamps_required,
        "rewards": [_option_out(option) for option in match.rewards],
        "stale_seconds": match.stale_seconds,
        "subject": _subject_out(match.subject),
        "owner_id": match.owner_id,
        "reward_objects": [_reward_out(reward) for reward in match.reward_objects],
    }
    # ASCII escapes keep odd server text (even lone surrogates) storable as UTF-8 in SQLite.
    return json.dumps(data, separators=(",", ":"), allow_nan=False)


def _money_out(money: Money) -> Json:
    return {"amount": money.to_api(), "currency": money.currency}


def _optional_money_out(money: Money | None) -> Json | None:
    return None if money is None else _money_out(money)


def _time_out(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _option_out(option: RewardOption) -> Json:
    return {
        "id": option.id,
        "name": option.name,
        "cost": option.cost,
        "redeemable": option.redeemable,
    }


def _subject_out(subject: GiftCard | StampCard | CampaignBalance | None) -> Json | None:
    if subject is None:
        return None
    if isinstance(subject, GiftCard):
        return _gift_card_out(subject)
    if isinstance(subject, StampCard):
        return _stamp_card_out(subject)
    return _campaign_out(subject)


def _gift_card_out(card: GiftCard) -> Json:
    return {
        "type": "gift_card",
        "id": card.id,
        "number": card.number,
        "balance": _money_out(card.balance),
        "status": card.status.value,
        "status_raw": card.status_raw,
        "expires_at": _time_out(card.expires_at),
        "activated_at": _time_out(card.activated_at),
        "initial_value": _optional_money_out(card.initial_value),
        "owner_name": card.owner_name,
        "owner_email": card.owner_email,
        "owner_phone": card.owner_phone,
        "program_id": card.program_id,
        "suspended_reason": card.suspended_reason,
    }


def _stamp_card_out(card: StampCard) -> Json:
    return {
        "type": "stamp_card",
        "id": card.id,
        "template_id": card.template_id,
        "template_name": card.template_name,
        "stamps_count": card.stamps_count,
        "stamps_required": card.stamps_required,
        "customer_id": card.customer_id,
        "status": card.status,
    }


def _campaign_out(balance: CampaignBalance) -> Json:
    value: Json | int = (
        _money_out(balance.balance) if isinstance(balance.balance, Money) else balance.balance
    )
    return {
        "type": "campaign_balance",
        "campaign_id": balance.campaign_id,
        "campaign_type": balance.type.value,
        "name": balance.name,
        "balance": value,
        "customer_code": balance.customer_code,
        "card_number": balance.card_number,
        "type_raw": balance.type_raw,
    }


def _reward_out(reward: Reward | PointsReward) -> Json:
    if isinstance(reward, Reward):
        return {
            "type": "stamp_reward",
            "id": reward.id,
            "name": reward.name,
            "cost": reward.cost,
            "card_id": reward.card_id,
            "active": reward.active,
            "description": reward.description,
            "position": reward.position,
        }
    return {
        "type": "points_reward",
        "id": reward.id,
        "level": reward.level,
        "description": reward.description,
    }


# --- reading --------------------------------------------------------------------------------


def match_from_json(text: str) -> Match:
    """Rebuild the cached Match, or raise :class:`SnapshotError` saying what is wrong."""
    if not isinstance(text, str):
        raise SnapshotError(f"Card snapshot must be text, not {type(text).__name__}")
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise SnapshotError(f"Card snapshot is not valid JSON: {str(exc)[:80]}") from None
    if not isinstance(data, dict):
        raise SnapshotError("Card snapshot is not a JSON object")
    version = data.get("v")
    if isinstance(version, bool) or not isinstance(version, int):
        raise SnapshotError("Card snapshot has no format version")
    if version != SNAPSHOT_VERSION:
        raise SnapshotError(f"Card snapshot format {version} is not supported")

    match = _Fields(data, "snapshot", _MATCH_KEYS)
    provider = match.enum(Provider, "provider")
    kind = match.text("kind")
    if kind not in _KINDS:
        raise SnapshotError(f"Card snapshot: unknown kind {kind[:20]!r}")
    subject = _subject_in(match.get("subject"))
    if subject is not None and not isinstance(subject, _SUBJECTS[provider]):
        raise SnapshotError(f"Card snapshot: a {provider.value} card cannot hold that subject")
    return _build(
        "snapshot",
        lambda: Match(
            provider=provider,
            kind=cast(Kind, kind),  # checked against Kind above
            masked_number=match.text("masked_number"),
            status=match.text("status"),
            title=match.text("title"),
            holder=match.optional_text("holder"),
            balance=_optional_money(match.get("balance"), "snapshot.balance"),
            count=match.optional_integer("count"),
            count_unit=match.optional_text("count_unit"),
            stamps=match.optional_integer("stamps"),
            stamps_required=match.optional_integer("stamps_required"),
            rewards=tuple(_each(match.array("rewards"), "snapshot.rewards", _option_in)),
            stale_seconds=match.optional_integer("stale_seconds"),
            subject=subject,
            owner_id=match.optional_text("owner_id"),
            reward_objects=tuple(
                _each(match.array("reward_objects"), "snapshot.reward_objects", _reward_in)
            ),
        ),
    )


_MATCH_KEYS: Final = frozenset(
    {
        "v",
        "provider",
        "kind",
        "masked_number",
        "status",
        "title",
        "holder",
        "balance",
        "count",
        "count_unit",
        "stamps",
        "stamps_required",
        "rewards",
        "stale_seconds",
        "subject",
        "owner_id",
        "reward_objects",
    }
)
_OPTION_KEYS: Final = frozenset({"id", "name", "cost", "redeemable"})
_MONEY_KEYS: Final = frozenset({"amount", "currency"})
_GIFT_CARD_KEYS: Final = frozenset(
    {
        "type",
        "id",
        "number",
        "balance",
        "status",
        "status_raw",
        "expires_at",
        "activated_at",
        "initial_value",
        "owner_name",
        "owner_email",
        "owner_phone",
        "program_id",
        "suspended_reason",
    }
)
_STAMP_CARD_KEYS: Final = frozenset(
    {
        "type",
        "id",
        "template_id",
        "template_name",
        "stamps_count",
        "stamps_required",
        "customer_id",
        "status",
    }
)
_CAMPAIGN_KEYS: Final = frozenset(
    {
        "type",
        "campaign_id",
        "campaign_type",
        "name",
        "balance",
        "customer_code",
        "card_number",
        "type_raw",
    }
)
_STAMP_REWARD_KEYS: Final = frozenset(
    {"type", "id", "name", "cost", "card_id", "active", "description", "position"}
)
_POINTS_REWARD_KEYS: Final = frozenset({"type", "id", "level", "description"})


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A repeated key means the text was spliced or damaged; json would silently keep the last."""
    data = dict(pairs)
    if len(data) != len(pairs):
        raise ValueError("repeated key")
    return data


def _no_constant(name: str) -> None:
    """NaN and Infinity are not JSON and never appear in a snapshot we wrote."""
    raise ValueError(f"{name} is not allowed")


def _build(where: str, factory: Callable[[], T]) -> T:
    """Run a domain constructor, turning its refusal into a SnapshotError naming the place."""
    try:
        return factory()
    except SnapshotError:
        raise
    except (TypeError, ValueError) as exc:
        raise SnapshotError(f"Card snapshot: {where}: {str(exc)[:80]}") from None


def _each(items: list[Any], where: str, read: Callable[[object, str], T]) -> Iterable[T]:
    return [read(item, f"{where}[{index}]") for index, item in enumerate(items)]


class _Fields:
    """One JSON object of the snapshot, read with exact keys and exact types."""

    def __init__(self, data: object, where: str, keys: frozenset[str]) -> None:
        if not isinstance(data, dict):
            raise SnapshotError(f"Card snapshot: {where} is not an object")
        missing = sorted(keys - data.keys())
        if missing:
            raise SnapshotError(f"Card snapshot: {where} has no {missing[0][:30]!r}")
        extra = sorted(data.keys() - keys)
        if extra:
            raise SnapshotError(f"Card snapshot: {where} has an unknown {extra[0][:30]!r}")
        self.data: dict[str, Any] = data
        self.where = where

    def get(self, key: str) -> object:
        return self.data[key]

    def _wrong(self, key: str, expected: str) -> SnapshotError:
        return SnapshotError(f"Card snapshot: {self.where}.{key} must be {expected}")

    def text(self, key: str) -> str:
        value = self.data[key]
        if not isinstance(value, str):
            raise self._wrong(key, "text")
        return value

    def optional_text(self, key: str) -> str | None:
        return None if self.data[key] is None else self.text(key)

    def integer(self, key: str) -> int:
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._wrong(key, "a whole number")
        return value

    def optional_integer(self, key: str) -> int | None:
        return None if self.data[key] is None else self.integer(key)

    def boolean(self, key: str) -> bool:
        value = self.data[key]
        if not isinstance(value, bool):
            raise self._wrong(key, "true or false")
        return value

    def array(self, key: str) -> list[Any]:
        value = self.data[key]
        if not isinstance(value, list):
            raise self._wrong(key, "a list")
        return value

    def enum(self, kind: type[E], key: str) -> E:
        """Strictly by value: a snapshot never holds a value its own enum did not write."""
        value = self.text(key)
        try:
            return kind(value)
        except ValueError:
            raise self._wrong(key, f"a known {kind.__name__}") from None

    def optional_time(self, key: str) -> datetime | None:
        value = self.data[key]
        if value is None:
            return None
        if not isinstance(value, str):
            raise self._wrong(key, "an ISO-8601 time")
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise self._wrong(key, "an ISO-8601 time") from None
        if moment.utcoffset() is None:
            raise self._wrong(key, "a time with its offset")
        return moment


def _money(data: object, where: str) -> Money:
    """Exactly what :func:`_money_out` writes: ``{"amount": "12.50", "currency": "USD"}``."""
    fields = _Fields(data, where, _MONEY_KEYS)
    amount, currency = fields.text("amount"), fields.text("currency")
    if not _AMOUNT_RE.fullmatch(amount):
        raise SnapshotError(f"Card snapshot: {where}.amount is not an amount like 12.50")
    if not _CURRENCY_RE.fullmatch(currency):
        raise SnapshotError(f"Card snapshot: {where}.currency is not a currency code")
    return _build(where, lambda: Money(Decimal(amount), currency))


def _optional_money(data: object, where: str) -> Money | None:
    return None if data is None else _money(data, where)


def _option_in(data: object, where: str) -> RewardOption:
    fields = _Fields(data, where, _OPTION_KEYS)
    return RewardOption(
        id=fields.text("id"),
        name=fields.text("name"),
        cost=fields.integer("cost"),
        redeemable=fields.boolean("redeemable"),
    )


def _subject_in(data: object) -> GiftCard | StampCard | CampaignBalance | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise SnapshotError("Card snapshot: subject is not an object")
    kind = data.get("type")
    if kind == "gift_card":
        return _gift_card_in(data, "subject")
    if kind == "stamp_card":
        return _stamp_card_in(data, "subject")
    if kind == "campaign_balance":
        return _campaign_in(data, "subject")
    raise SnapshotError("Card snapshot: subject has an unknown type")


def _gift_card_in(data: object, where: str) -> GiftCard:
    fields = _Fields(data, where, _GIFT_CARD_KEYS)
    return _build(
        where,
        lambda: GiftCard(
            id=fields.text("id"),
            number=fields.text("number"),
            balance=_money(fields.get("balance"), f"{where}.balance"),
            status=fields.enum(GiftCardStatus, "status"),
            status_raw=fields.optional_text("status_raw"),
            expires_at=fields.optional_time("expires_at"),
            activated_at=fields.optional_time("activated_at"),
            initial_value=_optional_money(fields.get("initial_value"), f"{where}.initial_value"),
            owner_name=fields.optional_text("owner_name"),
            owner_email=fields.optional_text("owner_email"),
            owner_phone=fields.optional_text("owner_phone"),
            program_id=fields.optional_text("program_id"),
            suspended_reason=fields.optional_text("suspended_reason"),
        ),
    )


def _stamp_card_in(data: object, where: str) -> StampCard:
    fields = _Fields(data, where, _STAMP_CARD_KEYS)
    return _build(
        where,
        lambda: StampCard(
            id=fields.text("id"),
            template_id=fields.text("template_id"),
            template_name=fields.text("template_name"),
            stamps_count=fields.integer("stamps_count"),
            stamps_required=fields.integer("stamps_required"),
            customer_id=fields.optional_text("customer_id"),
            status=fields.optional_text("status"),
        ),
    )


def _campaign_in(data: object, where: str) -> CampaignBalance:
    fields = _Fields(data, where, _CAMPAIGN_KEYS)
    raw_balance = fields.get("balance")
    balance: Money | int
    if isinstance(raw_balance, dict):
        balance = _money(raw_balance, f"{where}.balance")
    else:
        balance = fields.integer("balance")
    return _build(
        where,
        lambda: CampaignBalance(
            campaign_id=fields.text("campaign_id"),
            type=fields.enum(CampaignType, "campaign_type"),
            name=fields.text("name"),
            balance=balance,
            customer_code=fields.optional_text("customer_code"),
            card_number=fields.optional_text("card_number"),
            type_raw=fields.optional_text("type_raw"),
        ),
    )


def _reward_in(data: object, where: str) -> Reward | PointsReward:
    if not isinstance(data, dict):
        raise SnapshotError(f"Card snapshot: {where} is not an object")
    kind = data.get("type")
    if kind == "stamp_reward":
        fields = _Fields(data, where, _STAMP_REWARD_KEYS)
        return _build(
            where,
            lambda: Reward(
                id=fields.text("id"),
                name=fields.text("name"),
                cost=fields.integer("cost"),
                card_id=fields.text("card_id"),
                active=fields.boolean("active"),
                description=fields.optional_text("description"),
                position=fields.integer("position"),
            ),
        )
    if kind == "points_reward":
        fields = _Fields(data, where, _POINTS_REWARD_KEYS)
        return _build(
            where,
            lambda: PointsReward(
                id=fields.text("id"),
                level=fields.integer("level"),
                description=fields.text("description"),
            ),
        )
    raise SnapshotError(f"Card snapshot: {where} has an unknown type")
