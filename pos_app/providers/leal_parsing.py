"""Pure functions from Leal's decoded JSON to domain objects; only ``BadResponse`` gets out.

Leal's SDK types are loose (gaps G1, G16 in ``shared/api/leal.md``), so every field is checked
here, ids become strings, timestamps are read with an offset (UTC when none, G17), and anything
malformed turns into a ``BadResponse`` naming the field — never a KeyError or TypeError.
The client decides whether a ``BadResponse`` means "retry the read" or "the write is unknown".
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

from pos_app.domain import Customer, Provider, Reward, StampCard, redeemable_rewards
from pos_app.domain.errors import DomainError
from pos_app.domain.outcomes import RewardRedemption
from pos_app.providers.errors import BadResponse

__all__ = [
    "BACKEND",
    "ApiStatus",
    "CardDetail",
    "CardSummary",
    "CardTemplate",
    "CustomerHit",
    "LealError",
    "RewardRef",
    "SearchPage",
    "Store",
    "parse_card_detail",
    "parse_card_summary",
    "parse_card_template",
    "parse_card_templates",
    "parse_customer",
    "parse_customer_hit",
    "parse_error",
    "parse_redemption",
    "parse_reward",
    "parse_reward_ref",
    "parse_rewards",
    "parse_search_page",
    "parse_status",
    "parse_store",
    "resolve_available_rewards",
    "stamps_required_of",
    "to_stamp_card",
]

BACKEND = Provider.LEAL.label
MAX_COUNT = 2_147_483_647
"""Leal keeps counts in 32-bit columns; anything larger is not a number Leal can have sent."""
MAX_TEXT = 1000
_ID_RE = re.compile(r"[0-9]{1,18}")
_UNREADABLE = "Leal sent an answer Tillcard cannot read"

P = ParamSpec("P")
T = TypeVar("T")


def _bad(detail: str) -> BadResponse:
    return BadResponse(BACKEND, _UNREADABLE, detail=detail[:200])


def _guarded(func: Callable[P, T]) -> Callable[P, T]:
    """Turn any slip on hostile input (a domain check, a wrong type) into ``BadResponse``."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return func(*args, **kwargs)
        except BadResponse:
            raise
        except (DomainError, TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
            raise _bad(f"{func.__name__}: {type(exc).__name__}: {exc}") from None
        except (RecursionError, OverflowError) as exc:
            raise _bad(f"{func.__name__}: {type(exc).__name__}") from None

    return wrapper


# ----------------------------------------------------------------------------- field readers


def _object(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _bad(f"{what} is {type(value).__name__}, not an object")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise _bad(f"{what} is {type(value).__name__}, not an array")
    return value


def _id_or_none(value: Any) -> str | None:
    """Path ids are integers [D]; accept them as JSON numbers or digit strings only.

    Anything else (a slash, a dot) could be spliced into a URL path later, so it is refused.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if 0 <= value < 10**18 else None
    if isinstance(value, str) and _ID_RE.fullmatch(value.strip()):
        return str(int(value.strip()))
    return None


def _id(data: Mapping[str, Any], key: str, what: str) -> str:
    found = _id_or_none(data.get(key))
    if found is None:
        raise _bad(f"{what}.{key} is not an id: {type(data.get(key)).__name__}")
    return found


def _optional_id(data: Mapping[str, Any], key: str, what: str) -> str | None:
    if data.get(key) is None:
        return None
    return _id(data, key, what)


def _count(data: Mapping[str, Any], key: str, what: str, *, minimum: int = 0) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(f"{what}.{key} is {type(value).__name__}, not a whole number")
    if not minimum <= value <= MAX_COUNT:
        raise _bad(f"{what}.{key} is out of range: {value}")
    return value


def _optional_count(data: Mapping[str, Any], key: str, what: str) -> int | None:
    return None if data.get(key) is None else _count(data, key, what)


def _text(data: Mapping[str, Any], key: str, what: str) -> str | None:
    """Every string may be null (G16); blank counts as missing."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad(f"{what}.{key} is {type(value).__name__}, not text")
    return value.strip()[:MAX_TEXT] or None


def _required_text(data: Mapping[str, Any], key: str, what: str) -> str:
    value = _text(data, key, what)
    if value is None:
        raise _bad(f"{what}.{key} is missing")
    return value


def _bool(data: Mapping[str, Any], key: str, what: str, *, default: bool) -> bool:
    value = data.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _bad(f"{what}.{key} is {type(value).__name__}, not true/false")
    return value


def _time(data: Mapping[str, Any], key: str) -> datetime | None:
    """ISO 8601, UTC when no offset is given (G17); unreadable times are dropped, not fatal."""
    value = data.get(key)
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


# ----------------------------------------------------------------------------- value types


@dataclass(frozen=True, kw_only=True)
class ApiStatus:
    """``GET /api/v1/status``: ``ok`` while serving, and the live rate limit when given."""

    status: str
    rate_limit: int | None = None
    window_seconds: int | None = None


@dataclass(frozen=True, kw_only=True)
class Store:
    id: str
    name: str


@dataclass(frozen=True, kw_only=True)
class CardTemplate:
    """A stamp-card template (Leal "card"): what a customer card counts toward."""

    id: str
    name: str
    stamps_required: int
    archived: bool = False


@dataclass(frozen=True, kw_only=True)
class CardSummary:
    """A customer card as listed (search, customer show) or shown; not yet a domain card.

    ``stamps_required`` is not part of it: Leal sends ``stamps_remaining`` instead, which is 0
    on a full card, so the template is needed to tell 10 of 10 from 13 of 10.
    """

    id: str
    template_id: str
    template_name: str | None
    stamps_count: int
    stamps_remaining: int | None
    status: str | None = None
    uuid: str | None = None
    customer_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class RewardRef:
    """One element of ``available_rewards`` whatever its shape (G1): object, id or name.

    Fields that could not be read are None; ``resolve_available_rewards`` fills the gaps from the
    store's reward list.
    """

    id: str | None = None
    name: str | None = None
    cost: int | None = None
    card_id: str | None = None
    active: bool | None = None
    description: str | None = None
    position: int | None = None

    @property
    def label(self) -> str:
        return self.id or self.name or "?"


@dataclass(frozen=True, kw_only=True)
class CardDetail:
    """``GET .../customer_cards/{id}`` or a stamp answer; ``available`` None if not sent."""

    card: CardSummary
    available: tuple[RewardRef, ...] | None


@dataclass(frozen=True, kw_only=True)
class CustomerHit:
    customer: Customer
    cards: tuple[CardSummary, ...]


@dataclass(frozen=True, kw_only=True)
class SearchPage:
    hits: tuple[CustomerHit, ...]
    page: int
    pages: int
    count: int


@dataclass(frozen=True, kw_only=True)
class LealError:
    """Leal's error body: ``error`` summary and ``errors`` as a list or a field map."""

    error: str | None = None
    details: tuple[str, ...] = ()

    def message(self, default: str) -> str:
        """The API's own words for the cashier; field details when the summary is generic."""
        generic = self.error is None or self.error.casefold() in {
            "validation failed",
            "unprocessable entity",
            "invalid",
        }
        if generic and self.details:
            return "; ".join(self.details)[:300]
        return self.error or default


# ----------------------------------------------------------------------------- parsers


@_guarded
def parse_status(data: Any) -> ApiStatus:
    body = _object(data, "status")
    status = _required_text(body, "status", "status")
    limit = body.get("rate_limit")
    if isinstance(limit, dict):
        return ApiStatus(
            status=status,
            rate_limit=_optional_count(limit, "limit", "rate_limit"),
            window_seconds=_optional_count(limit, "window_seconds", "rate_limit"),
        )
    return ApiStatus(status=status)


@_guarded
def parse_store(data: Any) -> Store:
    body = _object(data, "store")
    name = (
        _text(body, "display_store_name", "store")
        or _text(body, "store_name", "store")
        or _text(body, "name", "store")
    )
    store_id = _id(body, "id", "store")
    return Store(id=store_id, name=name or f"Store {store_id}")


@_guarded
def parse_card_template(data: Any) -> CardTemplate:
    body = _object(data, "card")
    return CardTemplate(
        id=_id(body, "id", "card"),
        name=_text(body, "name", "card") or "Stamp card",
        stamps_required=_count(body, "stamps_required", "card", minimum=1),
        archived=body.get("archived_at") is not None,
    )


@_guarded
def parse_card_templates(data: Any) -> tuple[CardTemplate, ...]:
    return tuple(parse_card_template(item) for item in _list(data, "cards"))


@_guarded
def parse_reward(data: Any) -> Reward:
    body = _object(data, "reward")
    position = _optional_count(body, "position", "reward")
    return Reward(
        id=_id(body, "id", "reward"),
        name=_required_text(body, "name", "reward"),
        cost=_count(body, "stamps_required", "reward", minimum=1),
        card_id=_id(body, "card_id", "reward"),
        active=_bool(body, "active", "reward", default=True),
        description=_text(body, "description", "reward"),
        position=position or 0,
    )


@_guarded
def parse_rewards(data: Any) -> tuple[Reward, ...]:
    return tuple(parse_reward(item) for item in _list(data, "rewards"))


@_guarded
def parse_customer(data: Any) -> Customer:
    body = _object(data, "customer")
    return Customer(
        id=_id(body, "id", "customer"),
        first_name=_text(body, "first_name", "customer"),
        last_name=_text(body, "last_name", "customer"),
        email=_text(body, "email", "customer"),
        phone=_text(body, "phone", "customer"),
    )


@_guarded
def parse_card_summary(data: Any, customer_id: str | None = None) -> CardSummary:
    """A customer-card object; ``customer_id`` fills in for the summary, which lacks it."""
    body = _object(data, "customer_card")
    own = _optional_id(body, "customer_id", "customer_card")
    return CardSummary(
        id=_id(body, "id", "customer_card"),
        template_id=_id(body, "card_id", "customer_card"),
        template_name=_text(body, "card_name", "customer_card"),
        stamps_count=_count(body, "stamps_count", "customer_card"),
        stamps_remaining=_optional_count(body, "stamps_remaining", "customer_card"),
        status=_text(body, "status", "customer_card"),
        uuid=_text(body, "uuid", "customer_card"),
        customer_id=own or customer_id,
    )


@_guarded
def parse_customer_hit(data: Any) -> CustomerHit:
    """A Customer object with its embedded ``customer_cards`` (absent or null means none)."""
    customer = parse_customer(data)
    raw_cards = _object(data, "customer").get("customer_cards")
    cards = () if raw_cards is None else _list(raw_cards, "customer.customer_cards")
    return CustomerHit(
        customer=customer,
        cards=tuple(parse_card_summary(card, customer.id) for card in cards),
    )


@_guarded
def parse_search_page(data: Any) -> SearchPage:
    """``{customers: [...], pagination: {count, items, page, pages}}`` (pagination optional)."""
    body = _object(data, "customer list")
    hits = tuple(parse_customer_hit(item) for item in _list(body.get("customers"), "customers"))
    raw = body.get("pagination")
    if raw is None:
        return SearchPage(hits=hits, page=1, pages=1, count=len(hits))
    pagination = _object(raw, "pagination")
    page = _optional_count(pagination, "page", "pagination") or 1
    pages = _optional_count(pagination, "pages", "pagination") or 1
    count = _optional_count(pagination, "count", "pagination")
    return SearchPage(
        hits=hits, page=page, pages=pages, count=len(hits) if count is None else count
    )


@_guarded
def parse_reward_ref(value: Any) -> RewardRef:
    """One ``available_rewards`` element, read leniently (G1); never fails on odd shapes.

    A number is a reward id, a digit string too, any other string a reward name, and an object
    gives whichever of ``id``, ``name``, ``stamps_required``, ... are readable.
    """
    if isinstance(value, bool):
        return RewardRef()
    if isinstance(value, int):
        return RewardRef(id=_id_or_none(value))
    if isinstance(value, str):
        text = value.strip()[:MAX_TEXT]
        as_id = _id_or_none(text)
        return RewardRef(id=as_id) if as_id else RewardRef(name=text or None)
    if not isinstance(value, dict):
        return RewardRef()

    def lenient(read: Callable[[], T]) -> T | None:
        try:
            return read()
        except BadResponse:
            return None

    cost = lenient(lambda: _count(value, "stamps_required", "reward", minimum=1))
    active = value.get("active")
    return RewardRef(
        id=_id_or_none(value.get("id")),
        name=lenient(lambda: _text(value, "name", "reward")),
        cost=cost,
        card_id=_id_or_none(value.get("card_id")),
        active=active if isinstance(active, bool) else None,
        description=lenient(lambda: _text(value, "description", "reward")),
        position=lenient(lambda: _optional_count(value, "position", "reward")),
    )


@_guarded
def parse_card_detail(data: Any) -> CardDetail:
    """The full customer card; ``available_rewards`` must be an array when present."""
    body = _object(data, "customer_card")
    card = parse_card_summary(body)
    raw = body.get("available_rewards")
    if raw is None:
        return CardDetail(card=card, available=None)
    refs = tuple(parse_reward_ref(item) for item in _list(raw, "available_rewards"))
    return CardDetail(card=card, available=refs)


@_guarded
def parse_redemption(data: Any, reward_name: str | None = None) -> RewardRedemption:
    """``{success, redemption: {...}}``; ``reward_name`` stands in if Leal leaves it out."""
    body = _object(data, "redeem answer")
    if body.get("success") is False:
        raise _bad("redeem answer says success: false")
    redemption = _object(body.get("redemption"), "redemption")
    name = _text(redemption, "reward_name", "redemption") or reward_name
    reward_id = _id(redemption, "reward_id", "redemption")
    return RewardRedemption(
        redemption_id=_optional_id(redemption, "id", "redemption"),
        reward_id=reward_id,
        reward_name=name or f"Reward {reward_id}",
        stamps_spent=_count(redemption, "stamps_spent", "redemption"),
        stamps_remaining=_count(redemption, "stamps_remaining", "redemption"),
        redeemed_at=_time(redemption, "redeemed_at"),
    )


def parse_error(data: Any) -> LealError:
    """Whatever an error body holds, as text; never raises (the status code decides the class)."""
    if not isinstance(data, dict):
        return LealError()
    error = data.get("error")
    summary = (error.strip()[:300] or None) if isinstance(error, str) else None
    details: list[str] = []
    errors = data.get("errors")
    if isinstance(errors, list):
        details.extend(item.strip() for item in errors if isinstance(item, str) and item.strip())
    elif isinstance(errors, dict):
        for field, messages in errors.items():
            items = messages if isinstance(messages, list) else [messages]
            name = str(field).rsplit(".", 1)[-1]
            for item in items:
                if isinstance(item, str) and item.strip():
                    prefix = "" if name == "base" else f"{name} "
                    details.append(f"{prefix}{item.strip()}")
    return LealError(error=summary, details=tuple(detail[:200] for detail in details[:10]))


# ----------------------------------------------------------------------------- building


def stamps_required_of(card: CardSummary, templates: Mapping[str, CardTemplate]) -> int | None:
    """The card's target: Leal's live ``count + remaining`` when not full, else the template.

    On a full or over-full card ``stamps_remaining`` is 0 (G6), so only the template can tell.
    """
    if card.stamps_remaining:
        return min(MAX_COUNT, card.stamps_count + card.stamps_remaining)
    template = templates.get(card.template_id)
    return template.stamps_required if template is not None else None


@_guarded
def to_stamp_card(
    card: CardSummary, stamps_required: int, templates: Mapping[str, CardTemplate] | None = None
) -> StampCard:
    template = (templates or {}).get(card.template_id)
    name = card.template_name or (template.name if template else None) or "Stamp card"
    return StampCard(
        id=card.id,
        template_id=card.template_id,
        template_name=name,
        stamps_count=card.stamps_count,
        stamps_required=stamps_required,
        customer_id=card.customer_id,
        status=card.status,
    )


@_guarded
def resolve_available_rewards(
    refs: Iterable[RewardRef], card: StampCard, known: Iterable[Reward]
) -> tuple[tuple[Reward, ...], tuple[str, ...]]:
    """Leal's ``available_rewards`` as domain rewards, checked again by the domain rule.

    A full object is taken as sent; an id or a name is looked up in ``known`` (the store's
    rewards). Returns the redeemable rewards and the labels of elements that matched nothing,
    so the caller can refresh its reward list once.
    """
    known_list = list(known)
    by_id = {reward.id: reward for reward in known_list}
    by_name = {
        reward.name.casefold(): reward
        for reward in known_list
        if reward.card_id == card.template_id
    }
    found: dict[str, Reward] = {}
    unresolved: list[str] = []
    for ref in refs:
        if ref.id is None and ref.cost is None and ref.name:
            reward = by_name.get(ref.name.casefold())  # a bare name: the store's own reward
        else:
            reward = _from_ref(ref, card, by_id.get(ref.id) if ref.id else None)
        if reward is None:
            unresolved.append(ref.label)
        else:
            found.setdefault(reward.id, reward)
    return redeemable_rewards(card, found.values()), tuple(unresolved)


def _from_ref(ref: RewardRef, card: StampCard, cached: Reward | None) -> Reward | None:
    """Fields Leal sent win over the cached reward; without a cost or name there is no reward."""
    name = ref.name or (cached.name if cached else None)
    cost = ref.cost or (cached.cost if cached else None)
    reward_id = ref.id or (cached.id if cached else None)
    if not (name and cost and reward_id):
        return None
    return Reward(
        id=reward_id,
        name=name,
        cost=cost,
        card_id=ref.card_id or (cached.card_id if cached else card.template_id),
        active=ref.active if ref.active is not None else (cached.active if cached else True),
        description=ref.description or (cached.description if cached else None),
        position=(ref.position if ref.position is not None else (cached.position if cached else 0)),
    )
