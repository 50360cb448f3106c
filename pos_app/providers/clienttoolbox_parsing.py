"""Pure readers of ClientToolbox answers (an XML ``Element`` or decoded JSON) into domain objects.

No I/O here, so every rule can be tested (and fuzzed) without a server. Every public function
raises only ``providers.errors`` classes: a value we cannot read safely is a ``BadResponse``,
never a guess (reference §6) and never a stray ``KeyError``.

The two output formats are read through one small adapter (:class:`Node`) because the JSON form
renames and collapses things the XML form repeats: ``campaigns/campaign*`` becomes a
``campaigns`` array (or a lone object when a converter collapses single matches), top-level
``customer*`` becomes ``customers``, and values may be JSON numbers instead of text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal, ParamSpec, TypeVar
from xml.etree.ElementTree import Element

from pos_app.domain import (
    CampaignBalance,
    CampaignType,
    Customer,
    DomainError,
    Money,
    PointsReward,
    PointsTransaction,
    Provider,
    parse_api_amount,
    parse_campaign_value,
    parse_count,
)
from pos_app.domain.outcomes import (
    BalancesReportPage,
    BalancesReportRow,
    PointsAccount,
    PointsActivity,
    PointsHistory,
)
from pos_app.providers.errors import (
    BackendError,
    BackendUnavailable,
    BadResponse,
    InvalidRequest,
    NotFound,
    OutcomeUnknown,
    Rejected,
    Unauthorized,
)
from pos_app.providers.payloads import parse_json, parse_xml

__all__ = [
    "BACKEND",
    "CampaignEntry",
    "CampaignInfo",
    "CustomerEntry",
    "Document",
    "Node",
    "Output",
    "build_account",
    "classify_error",
    "decode",
    "needs_catalogue",
    "node_of",
    "parse_balances_report",
    "parse_campaign_rewards",
    "parse_campaigns",
    "parse_customer_info",
    "parse_history",
    "parse_receipt",
    "parse_timestamp",
    "raise_for_status",
    "reward_lookups_needed",
]

BACKEND: Final = Provider.CLIENTTOOLBOX.label
Output = Literal["XML", "JSON"]
Document = Element | dict[str, Any]
Scalar = str | int | float

_MAX_ID: Final = 128
_MAX_MESSAGE: Final = 200
_MAX_TIMESTAMP: Final = 40
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"\s+")
_CURRENCY = re.compile(r"[A-Z]{3}")
_JSONP = re.compile(rb"^[A-Za-z_$][\w$.]*\s*\(")
_JSON_STARTS: Final = frozenset(bytes([char]) for char in b'"-0123456789tfn')
_REDEEMED: Final[dict[str, bool]] = {
    "y": True, "yes": True, "r": True, "true": True, "1": True,
    "n": False, "no": False, "false": False, "0": False,
}  # fmt: skip
_TIMESTAMP_FORMATS: Final = ("%Y.%m.%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y.%m.%d")

_P = ParamSpec("_P")
_R = TypeVar("_R")


class _Problem(ValueError):
    """A value in an answer that does not fit the shape we read; becomes a BadResponse."""


def _guarded(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Turn any reading error into BadResponse, so only providers.errors classes escape."""

    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return func(*args, **kwargs)
        except BackendError:
            raise
        except (
            DomainError,
            ValueError,
            KeyError,
            TypeError,
            AttributeError,
            IndexError,
            ArithmeticError,
            RecursionError,
        ) as exc:
            raise BadResponse(
                BACKEND, f"{BACKEND} sent an answer that cannot be used", detail=_clip(str(exc))
            ) from None

    return wrapper


def _clip(text: str, limit: int = _MAX_MESSAGE) -> str:
    """One line, no control characters, bounded: safe to show, log or print."""
    text = _SPACES.sub(" ", _CONTROL.sub("", text)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- one reading interface over XML and JSON ------------------------------------------------------


class Node:
    """A record in an answer: its child values, sub-records and repeated items."""

    def status(self) -> str | None:
        raise NotImplementedError

    def messages(self) -> list[str]:
        raise NotImplementedError

    def value(self, name: str) -> Scalar | None:
        """A child's value (text, or a JSON number); empty counts as absent."""
        raise NotImplementedError

    def child(self, name: str) -> Node | None:
        raise NotImplementedError

    def has(self, name: str) -> bool:
        """Whether the element is there at all, even empty."""
        raise NotImplementedError

    def many(self, item: str, wrapper: str | None = None) -> list[Node]:
        """Every ``item`` (inside ``wrapper`` when given): one or many siblings give a list."""
        raise NotImplementedError

    def text(self, name: str) -> str | None:
        value = self.value(name)
        if value is None:
            return None
        if isinstance(value, float):
            raise _Problem(f"<{name}> is a number where text was expected")
        text = _clip(str(value), 10_000)
        return text or None

    def first_text(self, *names: str) -> str | None:
        for name in names:
            text = self.text(name)
            if text is not None:
                return text
        return None

    def optional_ident(self, *names: str) -> str | None:
        """An id as the exact text sent (leading zeros kept); JSON floats are refused."""
        for name in names:
            value = self.value(name)
            if value is None:
                continue
            if isinstance(value, float):
                raise _Problem(f"<{name}> is a fractional number, not an id")
            text = str(value).strip()
            if len(text) > _MAX_ID or _CONTROL.search(text) or not text:
                raise _Problem(f"<{name}> is not a usable id")
            return text
        return None

    def ident(self, *names: str) -> str:
        found = self.optional_ident(*names)
        if found is None:
            raise _Problem(f"<{names[0]}> is missing")
        return found

    def required(self, name: str) -> Scalar:
        value = self.value(name)
        if value is None:
            raise _Problem(f"<{name}> is missing")
        return value


class _XmlNode(Node):
    def __init__(self, element: Element) -> None:
        self.element = element

    def status(self) -> str | None:
        return self.element.get("status")

    def messages(self) -> list[str]:
        for tag in ("error", "errors", "message"):
            found: list[str] = []
            for element in self.element.findall(tag):
                parts = [element.text or "", *(child.text or "" for child in element)]
                found.extend(part.strip() for part in parts if part.strip())
            if found:
                return found
        return []

    def value(self, name: str) -> Scalar | None:
        found = self.element.find(name)
        if found is None or found.text is None:
            return None
        return found.text.strip() or None

    def child(self, name: str) -> Node | None:
        found = self.element.find(name)
        return None if found is None else _XmlNode(found)

    def has(self, name: str) -> bool:
        return self.element.find(name) is not None

    def many(self, item: str, wrapper: str | None = None) -> list[Node]:
        path = f"{wrapper}/{item}" if wrapper else item
        return [_XmlNode(element) for element in self.element.findall(path)]


class _JsonNode(Node):
    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data

    def status(self) -> str | None:
        status = self.data.get("status")
        if status is None or isinstance(status, str):
            return status
        raise _Problem("status is not text")

    def messages(self) -> list[str]:
        for key in ("error", "errors", "message"):
            found = _json_texts(self.data.get(key))
            if found:
                return found
        return []

    def value(self, name: str) -> Scalar | None:
        value = self.data.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            raise _Problem(f"<{name}> is true/false where a value was expected")
        if isinstance(value, str):
            return value.strip() or None
        if isinstance(value, int | float):
            return value
        raise _Problem(f"<{name}> is a {type(value).__name__} where a value was expected")

    def child(self, name: str) -> Node | None:
        value = self.data.get(name)
        if value is None or value in ("", []):
            return None
        if isinstance(value, dict):
            return _JsonNode(value)
        if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
            return _JsonNode(value[0])
        raise _Problem(f"<{name}> is not a record")

    def has(self, name: str) -> bool:
        return name in self.data

    def many(self, item: str, wrapper: str | None = None) -> list[Node]:
        for key in dict.fromkeys(key for key in (wrapper, f"{item}s", item) if key):
            if key in self.data:
                return _json_items(self.data[key], item)
        return []


def _json_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _json_texts(value: Any) -> list[str]:
    """``error`` is a string; ``errors`` a list or an object of strings (reference §6.4)."""
    if isinstance(value, dict):
        value = list(value.values())
    items = value[:20] if isinstance(value, list) else [value]
    return [text for text in map(_json_text, items) if text]


def _json_items(value: Any, item: str, depth: int = 0) -> list[Node]:
    """An array, a lone object (one match collapsed) or ``{item: ...}`` (converted XML)."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        if not all(isinstance(entry, dict) for entry in value):
            raise _Problem(f"<{item}> entries are not records")
        return [_JsonNode(entry) for entry in value]
    if isinstance(value, dict):
        if set(value) == {item} and depth < 2:
            return _json_items(value[item], item, depth + 1)
        return [_JsonNode(value)]
    raise _Problem(f"<{item}> is not a list of records")


def node_of(doc: Document) -> Node:
    if isinstance(doc, Element):
        return _XmlNode(doc)
    if isinstance(doc, dict):
        return _JsonNode(doc)
    raise BadResponse(BACKEND, f"{BACKEND} sent an answer of an unexpected shape")


# --- bodies, status and errors --------------------------------------------------------------------


def decode(body: bytes, output: Output) -> Document:
    """The parsed body; pages that are not data (HTML, JSONP, empty) count as a transport error.

    The format is sniffed from the first byte, so an XML error page in JSON mode still reads.
    Malformed data is a ``BadResponse``; hostile XML is refused by ``payloads.parse_xml``.
    """
    head = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    lowered = head[:4096].lower()
    if not head:
        raise BackendUnavailable(BACKEND, f"{BACKEND} sent an empty answer")
    if lowered.startswith(b"<!doctype html") or b"<html" in lowered or _JSONP.match(head):
        raise BackendUnavailable(
            BACKEND, f"{BACKEND} answered with a web page instead of data", detail=_preview(head)
        )
    if head.startswith(b"<"):
        return parse_xml(body, BACKEND)
    if head.startswith((b"{", b"[")) or (output == "JSON" and head[:1] in _JSON_STARTS):
        doc = parse_json(body, BACKEND)
        if not isinstance(doc, dict):
            raise BadResponse(BACKEND, f"{BACKEND} sent JSON of an unexpected shape")
        return doc
    raise BackendUnavailable(
        BACKEND, f"{BACKEND} sent an answer that is not data", detail=_preview(head)
    )


def _preview(body: bytes) -> str:
    return _clip(body[:60].decode("utf-8", errors="replace"), 60)


_CREDENTIAL_WORDS: Final = (
    "api key", "api_key", "apikey", "api_access_key", "user_id", "user_password", "password",
    "credential", "authenticat", "unauthori", "not authorized", "access denied", "permission",
    "account_id", "login",
)  # fmt: skip
_NOT_FOUND_WORDS: Final = (
    "not found",
    "no customers found",
    "no customer",
    "no match",
    "does not exist",
)
_REFUSAL_WORDS: Final = ("insufficient", "not enough", "exceeds")
_SERVER_WORDS: Final = ("internal error", "try again", "temporarily")
_SHAPE_WORDS: Final = ("missing", "required", "invalid", "too long", "must be")


def classify_error(message: str | None, *, write: bool) -> BackendError:
    """The error class for a ``status="error"`` text (no codes exist, so the words decide).

    Said-no classes mean nothing was applied. A server-side failure reported in the body
    ("Internal error, please try again") is unavailable for a read and unknown for a write.
    """
    text = _clip(message or "") or f"{BACKEND} refused the request"
    lowered = text.lower()
    if any(word in lowered for word in _CREDENTIAL_WORDS):
        return Unauthorized(
            BACKEND,
            f"{BACKEND} refused the API credentials; check the user, account and API key",
            detail=text,
        )
    if any(word in lowered for word in _NOT_FOUND_WORDS):
        return NotFound(
            BACKEND, f"{BACKEND} has no such customer, campaign or transaction", detail=text
        )
    if any(word in lowered for word in _REFUSAL_WORDS):
        return Rejected(BACKEND, text, detail=text)
    if any(word in lowered for word in _SERVER_WORDS):
        if write:
            return OutcomeUnknown(
                BACKEND,
                f"{BACKEND} reported a server error; the operation may or may not have gone "
                "through",
                detail=text,
            )
        return BackendUnavailable(BACKEND, f"{BACKEND} had a server error", detail=text)
    if any(word in lowered for word in _SHAPE_WORDS):
        return InvalidRequest(BACKEND, f"{BACKEND} refused the request: {text}", detail=text)
    return Rejected(BACKEND, text, detail=text)


@_guarded
def raise_for_status(doc: Document, *, write: bool) -> None:
    """Check ``status`` before anything else is read (reference §7)."""
    node = node_of(doc)
    status = (node.status() or "").strip().lower()
    if status == "success":
        return
    messages = node.messages()
    message = "; ".join(messages[:3]) if messages else None
    if status == "error":
        raise classify_error(message, write=write)
    if status == "no_match":
        raise NotFound(
            BACKEND, f"{BACKEND} found no match", detail=_clip(message) if message else None
        )
    shown = _clip(status, 30) or "none"
    if write:
        raise OutcomeUnknown(
            BACKEND,
            f"{BACKEND} answered with status {shown!r}; the operation may or may not have gone "
            "through",
            detail=message,
        )
    raise BadResponse(BACKEND, f"{BACKEND} answered with status {shown!r}", detail=message)


# --- campaigns and rewards ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CampaignInfo:
    """What ``campaigns_list`` says of a campaign: enough to read and spend its balances."""

    id: str
    name: str
    type: CampaignType
    type_raw: str | None = None
    currency: str | None = None


def _currency(text: str | None) -> str | None:
    """A valid ISO code, else None (events campaigns send an empty ``<currency/>``)."""
    if text is None:
        return None
    code = text.strip().upper()
    return code if _CURRENCY.fullmatch(code) else None


@_guarded
def parse_campaigns(doc: Document) -> dict[str, CampaignInfo]:
    """``campaigns_list`` -> campaigns by id, in the API's order."""
    result: dict[str, CampaignInfo] = {}
    for item in node_of(doc).many("campaign", wrapper="campaigns"):
        campaign_id = item.ident("id", "campaign_id")
        type_raw = item.first_text("type", "campaign_type")
        result[campaign_id] = CampaignInfo(
            id=campaign_id,
            name=item.first_text("name", "campaign_name") or "",
            type=CampaignType.parse(type_raw),
            type_raw=type_raw,
            currency=_currency(item.text("currency")),
        )
    return result


def _reward(item: Node) -> PointsReward:
    reward_id = item.ident("id")
    return PointsReward(
        id=reward_id,
        level=parse_count(item.required("level")),
        description=item.first_text("description", "name") or "",
    )


@_guarded
def parse_campaign_rewards(
    doc: Document, campaign_id: str | None = None
) -> tuple[PointsReward, ...]:
    """``campaign_rewards`` -> every reward, with the ``<id>`` that ``redeem`` takes."""
    node = node_of(doc)
    campaign = node.child("campaign")
    answered = campaign.optional_ident("id", "campaign_id") if campaign else None
    if campaign_id is not None and answered is not None and answered != campaign_id:
        raise _Problem("the rewards are of another campaign")
    return tuple(_reward(item) for item in node.many("reward", wrapper="rewards"))


# --- customers ------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CampaignEntry:
    """A campaign as ``customer_info`` lists it; the balance is typed later, by campaign type.

    ``rewards`` is None when the answer has no ``rewards`` element at all (then the cached
    ``campaign_rewards`` decide), and a tuple, possibly empty, when it has one.
    """

    id: str
    name: str | None
    type_raw: str | None
    balance: Scalar
    currency: str | None
    rewards: tuple[PointsReward, ...] | None


@dataclass(frozen=True, kw_only=True)
class CustomerEntry:
    customer: Customer
    code: str
    card_number: str | None
    campaigns: tuple[CampaignEntry, ...]


def _customer(item: Node) -> Customer:
    code = item.ident("code")
    return Customer(
        id=code,
        first_name=item.text("first_name"),
        last_name=item.text("last_name"),
        email=item.text("email"),
        phone=item.text("phone"),
    )


def _campaign_entry(item: Node) -> CampaignEntry:
    campaign_id = item.ident("id", "campaign_id")
    has_rewards = item.has("rewards") or item.has("reward")
    rewards = tuple(_reward(r) for r in item.many("reward", wrapper="rewards"))
    return CampaignEntry(
        id=campaign_id,
        name=item.first_text("name", "campaign_name"),
        type_raw=item.first_text("type", "campaign_type"),
        balance=item.required("balance"),
        currency=_currency(item.text("currency")),
        rewards=rewards if has_rewards else None,
    )


@_guarded
def parse_customer_info(doc: Document) -> tuple[CustomerEntry, ...]:
    """``customer_info`` -> each customer with the campaigns listed for them (untyped yet)."""
    entries: list[CustomerEntry] = []
    for item in node_of(doc).many("customer"):
        customer = _customer(item)
        campaigns = tuple(_campaign_entry(c) for c in item.many("campaign", wrapper="campaigns"))
        entries.append(
            CustomerEntry(
                customer=customer,
                code=customer.id,
                card_number=item.optional_ident("card_number"),
                campaigns=campaigns,
            )
        )
    return tuple(entries)


def _wanted(entry: CampaignEntry, restrict: Collection[str]) -> bool:
    return not restrict or entry.id in restrict


def needs_catalogue(entries: Sequence[CustomerEntry], restrict: Collection[str] = ()) -> bool:
    """True if some listed campaign lacks a fact only ``campaigns_list`` can supply."""
    for entry in entries:
        for campaign in entry.campaigns:
            if not _wanted(campaign, restrict):
                continue
            kind = CampaignType.parse(campaign.type_raw)
            missing_currency = kind.holds_money and campaign.currency is None
            if campaign.type_raw is None or campaign.name is None or missing_currency:
                return True
    return False


def _kind(answered: str | None, info: CampaignInfo | None) -> CampaignType:
    """The type the answer states, else the catalogue's: the answer is the fresher fact."""
    if answered is not None:
        return CampaignType.parse(answered)
    return info.type if info is not None else CampaignType.UNKNOWN


def _rewarding(kind: CampaignType) -> bool:
    return kind in (CampaignType.POINTS, CampaignType.EVENTS)


def reward_lookups_needed(
    entries: Sequence[CustomerEntry],
    catalogue: Mapping[str, CampaignInfo],
    restrict: Collection[str] = (),
) -> list[str]:
    """Points/visits campaigns listed without a ``rewards`` element (ask ``campaign_rewards``)."""
    needed: dict[str, None] = {}
    for entry in entries:
        for campaign in entry.campaigns:
            info = catalogue.get(campaign.id)
            kind = _kind(campaign.type_raw, info)
            if _wanted(campaign, restrict) and campaign.rewards is None and _rewarding(kind):
                needed[campaign.id] = None
    return list(needed)


def _typed_value(kind: CampaignType, value: Scalar, currency: str) -> Money | int:
    """The domain rule per type; for an unknown type a grouped number is ambiguous, so refused."""
    if kind is CampaignType.UNKNOWN and isinstance(value, str) and "," in value:
        raise _Problem(f"ambiguous number {_clip(value, 20)!r} in a campaign of unknown type")
    return parse_campaign_value(kind, value, currency)


@_guarded
def build_account(
    entry: CustomerEntry,
    *,
    catalogue: Mapping[str, CampaignInfo],
    currency: str,
    rewards: Mapping[str, Sequence[PointsReward]],
    restrict: Collection[str] = (),
) -> PointsAccount:
    """A typed account: each balance in its campaign's unit, rewards affordable right now.

    Facts in the answer win over the cached catalogue; money uses the campaign's currency,
    else the till's.
    """
    balances: list[CampaignBalance] = []
    affordable: dict[str, tuple[PointsReward, ...]] = {}
    for campaign in entry.campaigns:
        if not _wanted(campaign, restrict):
            continue
        info = catalogue.get(campaign.id)
        type_raw = campaign.type_raw or (info.type_raw if info else None)
        kind = _kind(campaign.type_raw, info)
        unit = campaign.currency or (info.currency if info else None) or currency
        balance = CampaignBalance(
            campaign_id=campaign.id,
            type=kind,
            name=campaign.name or (info.name if info else "") or "",
            balance=_typed_value(kind, campaign.balance, unit),
            customer_code=entry.code,
            card_number=entry.card_number,
            type_raw=type_raw,
        )
        balances.append(balance)
        count = balance.count
        if _rewarding(kind) and count is not None:
            offered = (
                campaign.rewards if campaign.rewards is not None else rewards.get(campaign.id, ())
            )
            affordable[campaign.id] = tuple(r for r in offered if r.affordable_with(count))
    return PointsAccount(
        customer=entry.customer,
        code=entry.code,
        card_number=entry.card_number,
        balances=tuple(balances),
        rewards=affordable,
    )


# --- history and receipts -------------------------------------------------------------------------


def parse_timestamp(text: str) -> datetime:
    """``2011-05-07 14:38:59``, ``2011-08-10`` or ``2012.07.28 22:59:59``; zone-less means UTC.

    The reference never states the zone (accounts have one); UTC is what the emulator uses.
    """
    text = text.strip()
    if len(text) > _MAX_TIMESTAMP:
        raise _Problem("time stamp too long")
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        for fmt in _TIMESTAMP_FORMATS:
            try:
                when = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        else:
            raise _Problem(f"unreadable time stamp {_clip(text, 40)!r}") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _magnitude(value: Money | int) -> Money | int:
    """Amounts are shown unsigned; ``redeemed`` carries the direction."""
    if isinstance(value, Money):
        return abs(value)
    return abs(value)


def _transaction(item: Node, kind: CampaignType, currency: str) -> PointsTransaction:
    transaction_id = item.ident("id", "transaction_id")
    flag = item.text("redeemed")
    if flag is None or flag.lower() not in _REDEEMED:
        raise _Problem(f"transaction {transaction_id} has no readable redeemed flag")
    stamp = item.first_text("record_timestamp", "date")
    if stamp is None:
        raise _Problem(f"transaction {transaction_id} has no date")
    amount = _typed_value(kind, item.required("amount"), currency)
    return PointsTransaction(
        id=transaction_id,
        date=parse_timestamp(stamp),
        redeemed=_REDEEMED[flag.lower()],
        amount=_magnitude(amount),
        authorization=item.text("authorization"),
    )


@_guarded
def parse_history(
    doc: Document,
    *,
    campaign_id: str,
    code: str,
    catalogue: Mapping[str, CampaignInfo],
    currency: str,
) -> PointsHistory:
    """``customer_balance`` -> the balance and the transactions (newest first, as sent).

    Amounts are magnitudes; ``redeemed`` gives the direction. A line we cannot read fails the
    whole answer: the journal reconciles by finding its reference here, so none may be skipped.
    """
    campaign = node_of(doc).child("campaign")
    if campaign is None:
        raise _Problem("<campaign> is missing")
    answered = campaign.optional_ident("campaign_id", "id")
    if answered is not None and answered != campaign_id:
        raise _Problem("the history is of another campaign")
    customer = campaign.child("customer")
    if customer is None:
        raise _Problem("<customer> is missing")
    answered_code = customer.optional_ident("code")
    if answered_code is not None and answered_code != code:
        raise _Problem("the history is of another customer")
    info = catalogue.get(campaign_id)
    answered_type = campaign.first_text("campaign_type", "type")
    type_raw = answered_type or (info.type_raw if info else None)
    kind = _kind(answered_type, info)
    unit = (info.currency if info else None) or currency
    balance = CampaignBalance(
        campaign_id=campaign_id,
        type=kind,
        name=campaign.first_text("campaign_name", "name") or (info.name if info else "") or "",
        balance=_typed_value(kind, customer.required("balance"), unit),
        customer_code=answered_code or code,
        card_number=customer.optional_ident("card_number"),
        type_raw=type_raw,
    )
    transactions = tuple(
        _transaction(item, kind, unit) for item in customer.many("transaction", "transactions")
    )
    return PointsHistory(balance=balance, transactions=transactions)


@_guarded
def parse_receipt(doc: Document, *, authorization: str | None) -> PointsActivity:
    """The transaction id from ``receipt`` when there is a readable one (it is undocumented).

    Only called after ``status="success"``: the change is applied, so a missing or odd receipt
    yields ``transaction_id=None`` rather than an error.
    """
    receipt = node_of(doc).child("receipt")
    transaction_id: str | None = None
    if receipt is not None:
        try:
            transaction_id = receipt.optional_ident("transaction_id", "id")
        except _Problem:
            transaction_id = None
    return PointsActivity(transaction_id=transaction_id, authorization=authorization)


# --- balances report ------------------------------------------------------------------------------


def _equivalent(item: Node, name: str, currency: str) -> Money | None:
    value = item.value(name)
    return None if value is None else Money(parse_api_amount(value), currency)


@_guarded
def parse_balances_report(
    doc: Document,
    *,
    campaign: CampaignInfo | None,
    currency: str,
    offset: int,
    limit: int,
) -> BalancesReportPage:
    """``reports/customers_balances`` -> one page of rows, every number read by its field's rule.

    Counts (points, visits) accept thousands groups (``4,437``); money campaigns' totals and all
    equivalents must be plain decimals, so ``1,427`` there is refused rather than guessed.
    """
    kind = campaign.type if campaign else CampaignType.UNKNOWN
    unit = (campaign.currency if campaign else None) or currency
    items = node_of(doc).many("customer")
    if len(items) > limit:
        raise _Problem(f"the report sent {len(items)} rows for a page of {limit}")
    rows = []
    for item in items:
        code = item.ident("code")
        rows.append(
            BalancesReportRow(
                code=code,
                card_number=item.optional_ident("card_number"),
                first_name=item.text("first_name"),
                last_name=item.text("last_name"),
                email=item.text("email"),
                earned=_typed_value(kind, item.required("earned"), unit),
                redeemed=_typed_value(kind, item.required("redeemed"), unit),
                balance=_typed_value(kind, item.required("balance"), unit),
                earned_equivalent=_equivalent(item, "earned_equivalent", unit),
                redeemed_equivalent=_equivalent(item, "redeemed_equivalent", unit),
                balance_equivalent=_equivalent(item, "balance_equivalent", unit),
            )
        )
    return BalancesReportPage(rows=tuple(rows), offset=offset, limit=limit)
