"""Decoded LoyaltyDog JSON -> domain objects; pure functions, no I/O.

The vendor's 200 bodies are mostly untyped (reference §2.2), so every reader here is tolerant
where a wrong guess is harmless (missing nullable fields, unknown statuses, money as string or
number, ids as plain strings) and strict where it is not (a balance, an amount, a card number).
Every public function raises only ``providers.errors`` classes: anything else a hostile body
could provoke becomes ``BadResponse``; the client turns that into ``OutcomeUnknown`` for writes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, ParamSpec, TypeVar

from pos_app.domain import (
    DomainError,
    GiftCard,
    GiftCardStatus,
    GiftCardTransaction,
    Money,
    TransactionType,
    parse_count,
)
from pos_app.domain.outcomes import (
    BusinessReport,
    CustomerReport,
    GdprExport,
    GiftCardMove,
    HistoryPage,
    Program,
)
from pos_app.providers.errors import BackendError, BadResponse, Rejected, Unauthorized

__all__ = [
    "BACKEND",
    "ENVELOPE_KEYS",
    "ErrorInfo",
    "card_items",
    "error_info",
    "exact_matches",
    "parse_business_report",
    "parse_card",
    "parse_customer_report",
    "parse_gdpr_export",
    "parse_history",
    "parse_programs",
    "parse_redeem",
    "parse_refund",
    "parse_reload",
    "parse_token",
    "parse_transaction",
    "parse_user",
    "parse_void",
]

BACKEND: Final = "LoyaltyDog"
#: Keys an envelope may wrap its list in (reference §1.1: the list/search schema is ``{}``).
ENVELOPE_KEYS: Final = ("items", "cards", "data", "results", "transactions", "giftCards")
MAX_MESSAGE: Final = 300
_MAX_TEXT: Final = 500
_MAX_ID: Final = 128

P = ParamSpec("P")
R = TypeVar("R")


def _guarded(fn: Callable[P, R]) -> Callable[P, R]:
    """Whatever a hostile body provokes inside ``fn`` leaves as BadResponse, nothing else."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except BackendError:
            raise
        except (
            KeyError,
            IndexError,
            ValueError,
            TypeError,
            AttributeError,
            ArithmeticError,
            RecursionError,
            DomainError,
        ) as exc:
            raise BadResponse(
                BACKEND,
                f"{BACKEND} sent an answer that cannot be read",
                detail=f"{type(exc).__name__}: {str(exc)[:200]}",
            ) from None

    return wrapper


def _bad(message: str) -> BadResponse:
    return BadResponse(BACKEND, f"{BACKEND} sent an unexpected answer: {message}")


# -- field readers ---------------------------------------------------------------------------------


def _object(data: object, what: str) -> Mapping[str, Any]:
    if not isinstance(data, dict):
        raise _bad(f"{what} is not an object")
    return data


def _id(data: Mapping[str, Any], key: str, what: str) -> str:
    """Ids are opaque strings (§2.2 gap 14); an integer id is accepted as its decimal text."""
    value = data.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_ID:
        raise _bad(f"{what} has no usable {key!r}")
    return value.strip()


def _optional_id(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip() and len(value) <= _MAX_ID:
        return value.strip()
    return None


def _text(data: Mapping[str, Any], key: str) -> str | None:
    """Optional display text: anything that is not a non-blank string counts as absent."""
    value = data.get(key)
    if not isinstance(value, str):
        return None
    text = value.strip()
    return text[:_MAX_TEXT] if text else None


def _money(data: Mapping[str, Any], key: str, currency: str, what: str) -> Money:
    if key not in data:
        raise _bad(f"{what} has no {key!r}")
    return Money.from_api(data[key], currency)


def _optional_money(data: Mapping[str, Any], key: str, currency: str) -> Money | None:
    """A money field the till can live without: absent, null or unreadable gives None."""
    value = data.get(key)
    if value is None:
        return None
    try:
        return Money.from_api(value, currency)
    except DomainError:
        return None


def _when(value: object) -> datetime | None:
    """ISO-8601 in UTC (§3.4); a naive stamp is taken as UTC, anything unreadable as None."""
    if not isinstance(value, str) or not 10 <= len(value.strip()) <= 40:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def _flag(data: Mapping[str, Any], key: str) -> bool | None:
    """A boolean that may come as JSON true/false or as "true"/"false" text."""
    value = data.get(key)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _count(data: Mapping[str, Any], key: str, what: str) -> int:
    if key not in data:
        raise _bad(f"{what} has no {key!r}")
    value = parse_count(data[key])
    if value < 0:
        raise _bad(f"{what} has a negative {key!r}")
    return value


def _list(data: object, what: str, keys: tuple[str, ...] = ENVELOPE_KEYS) -> list[Any]:
    """A bare array, or the first array found under one of ``keys`` of an envelope."""
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in keys:
            if isinstance(data.get(key), list):
                return list(data[key])
    raise _bad(f"{what} is neither a list nor an object wrapping one")


# -- auth ------------------------------------------------------------------------------------------


@_guarded
def parse_token(data: object) -> str:
    """The bearer token from ``POST /v2/token``; an MFA login cannot be finished at a till."""
    body = _object(data, "the login answer")
    if _flag(body, "mfaPending"):
        raise Unauthorized(
            BACKEND,
            "This LoyaltyDog login uses two-factor authentication (MFA), which a till cannot "
            "complete; use a till account without MFA",
        )
    token = body.get("accessToken")
    if not isinstance(token, str) or not token.strip() or len(token) > 8192:
        raise _bad("the login answer has no access token")
    if any(ord(char) < 0x21 or ord(char) > 0x7E for char in token.strip()):
        raise _bad("the access token is not printable ASCII")
    return token.strip()


@_guarded
def parse_user(data: object) -> str:
    """The user id from ``GET /v2/token`` (proof the token works)."""
    return _id(_object(data, "the token info"), "id", "the token info")


# -- cards and history -----------------------------------------------------------------------------


def _card_number(data: Mapping[str, Any]) -> str:
    """Card numbers stay text (leading zeros); an integer would already have lost them."""
    value = data.get("cardNumber")
    if not isinstance(value, str):
        raise _bad("a card has no card number text")
    number = value.strip()
    if not number or len(number) > 32 or not number.isascii() or not number.isdigit():
        raise _bad("a card number is not made of digits")
    return number


@_guarded
def parse_card(data: object, currency: str) -> GiftCard:
    """A ``GiftCardResponse`` (or the details body), with the §2.2 tolerances."""
    body = _object(data, "a card")
    raw_status = body.get("status")
    return GiftCard(
        id=_id(body, "id", "a card"),
        number=_card_number(body),
        balance=_money(body, "balance", currency, "a card"),
        status=GiftCardStatus.parse(raw_status),
        status_raw=raw_status[:_MAX_TEXT] if isinstance(raw_status, str) else None,
        expires_at=_when(body.get("expiresAt")),
        activated_at=_when(body.get("activatedAt")),
        initial_value=_optional_money(body, "initialValue", currency),
        owner_name=_text(body, "customerName"),
        owner_email=_text(body, "customerEmail"),
        owner_phone=_text(body, "customerPhone"),
        program_id=_optional_id(body, "programId"),
        suspended_reason=_text(body, "suspendedReason"),
    )


@_guarded
def card_items(data: object) -> list[Any]:
    """The raw items of a search or list answer: a bare array or any common envelope."""
    return _list(data, "the search answer")


@_guarded
def exact_matches(data: object, number: str, currency: str) -> list[GiftCard]:
    """Cards whose ``cardNumber`` is exactly ``number`` (§1.1: ``q`` also hits last four,
    names and emails). Only matches are parsed, so a malformed stranger cannot fail a lookup."""
    found: list[GiftCard] = []
    seen: set[str] = set()
    for item in card_items(data):
        if not isinstance(item, dict):
            continue
        raw = item.get("cardNumber")
        if not isinstance(raw, str) or raw.strip() != number:
            continue
        card = parse_card(item, currency)
        if card.id not in seen:
            seen.add(card.id)
            found.append(card)
    return found


@_guarded
def parse_transaction(data: object, currency: str) -> GiftCardTransaction:
    """A ``TransactionResponse``: signed amount, UPPERCASE type, unknown types kept as OTHER."""
    body = _object(data, "a transaction")
    created = _when(body.get("createdAt")) or _when(body.get("processedAt"))
    if created is None:
        raise _bad("a transaction has no readable date")
    raw_type = body.get("transactionType")
    return GiftCardTransaction(
        id=_id(body, "id", "a transaction"),
        type=TransactionType.parse(raw_type),
        type_raw=raw_type[:_MAX_TEXT] if isinstance(raw_type, str) else None,
        amount=_money(body, "amount", currency, "a transaction"),
        created_at=created,
        balance_before=_optional_money(body, "balanceBefore", currency),
        balance_after=_optional_money(body, "balanceAfter", currency),
        reference=_text(body, "referenceId"),
        description=_text(body, "description"),
        pos_transaction_id=_text(body, "posTransactionId"),
    )


@_guarded
def parse_history(data: object, currency: str, *, offset: int, limit: int) -> HistoryPage:
    """One page, newest first. A full page means there may be more; rows beyond ``limit``
    (a server ignoring it, §2.3) are dropped so the next offset stays ``offset + limit``."""
    rows = _list(data, "the history answer")
    transactions = tuple(parse_transaction(row, currency) for row in rows[:limit])
    return HistoryPage(transactions=transactions, offset=offset, has_more=len(rows) >= limit)


# -- money moves -----------------------------------------------------------------------------------


def _check_success(body: Mapping[str, Any], what: str) -> None:
    """``success`` is required on move answers; false on a 200 is a refusal (§4.3)."""
    if "success" not in body:
        return
    success = _flag(body, "success")
    if success is None:
        raise _bad(f"the {what} answer has an unreadable 'success'")
    if not success:
        message = _text(body, "message") or f"{BACKEND} refused the {what}"
        raise Rejected(BACKEND, message[:MAX_MESSAGE])


@_guarded
def parse_redeem(data: object, card_id: str, requested: Money) -> GiftCardMove:
    """A ``RedeemResponse``; ``amountRedeemed`` falls back to the amount asked for."""
    body = _object(data, "the redeem answer")
    _check_success(body, "redemption")
    currency = requested.currency
    amount = requested
    if body.get("amountRedeemed") is not None:
        amount = Money.from_api(body["amountRedeemed"], currency)
    return GiftCardMove(
        transaction_id=_optional_id(body, "transactionId"),
        card_id=card_id,
        amount=abs(amount),
        balance_after=_money(body, "remainingBalance", currency, "the redeem answer"),
        message=_text(body, "message"),
    )


@_guarded
def parse_refund(
    data: object, card_id: str, requested: Money | None, currency: str
) -> GiftCardMove:
    """A ``RefundResponse``; without ``refundedAmount`` the amount asked for is assumed."""
    body = _object(data, "the refund answer")
    _check_success(body, "refund")
    if body.get("refundedAmount") is not None:
        amount = Money.from_api(body["refundedAmount"], currency)
    elif requested is not None:
        amount = requested
    else:
        raise _bad("the refund answer does not say how much was refunded")
    return GiftCardMove(
        transaction_id=_optional_id(body, "transactionId"),
        card_id=card_id,
        amount=abs(amount),
        balance_after=_money(body, "remainingBalance", currency, "the refund answer"),
        message=_text(body, "message"),
    )


@_guarded
def parse_reload(data: object, card_id: str, requested: Money) -> GiftCardMove:
    """Reload answers with the card (``GiftCardResponse``), which carries no transaction id."""
    body = _object(data, "the reload answer")
    _check_success(body, "reload")
    return GiftCardMove(
        transaction_id=_optional_id(body, "transactionId"),
        card_id=card_id,
        amount=requested,
        balance_after=_money(body, "balance", requested.currency, "the reload answer"),
        message=_text(body, "message"),
    )


@_guarded
def parse_void(data: object, card_id: str, voided: Money) -> GiftCardMove:
    """Void answers with ``ExpiredCardProcessingResponse`` (§2.2 gap 15): no amounts at all,
    so the caller supplies what was on the card; the balance afterwards is zero (§3.8)."""
    body = _object(data, "the void answer")
    _check_success(body, "void")
    return GiftCardMove(
        transaction_id=_optional_id(body, "transactionId"),
        card_id=card_id,
        amount=abs(voided),
        balance_after=Money.zero(voided.currency),
        message=_text(body, "message"),
    )


# -- programs, reports, GDPR -----------------------------------------------------------------------


@_guarded
def parse_programs(data: object) -> list[Program]:
    """``[{id, name, shareUrl}]``; a nameless program is shown by its id."""
    programs: list[Program] = []
    for item in _list(data, "the programs answer", ("items", "programs", "data", "results")):
        body = _object(item, "a program")
        program_id = _id(body, "id", "a program")
        programs.append(Program(id=program_id, name=_text(body, "name") or program_id))
    return programs


_STATUS_COUNTS: Final = (
    ("total", "totalCards"),
    ("active", "activeCards"),
    ("pending", "pendingCards"),
    ("depleted", "depletedCards"),
    ("expired", "expiredCards"),
    ("voided", "voidedCards"),
    ("suspended", "suspendedCards"),
)


@_guarded
def parse_business_report(data: object, currency: str) -> BusinessReport:
    """Counts are integers (never money, §2.1 item 5); totals are Dec-out money."""
    body = _object(data, "the business report")
    counts = {
        name: _count(body, key, "the business report")
        for name, key in _STATUS_COUNTS
        if key in body or name != "suspended"
    }
    return BusinessReport(
        card_counts=counts,
        total_sold=_money(body, "totalSold", currency, "the business report"),
        total_redeemed=_money(body, "totalRedeemed", currency, "the business report"),
        total_balance=_money(body, "totalBalance", currency, "the business report"),
        cards_sold_this_month=_count(body, "cardsSoldThisMonth", "the business report"),
        sales_this_month=_money(body, "salesThisMonth", currency, "the business report"),
    )


@_guarded
def parse_customer_report(data: object, currency: str) -> CustomerReport:
    body = _object(data, "the customer report")
    return CustomerReport(
        total_cards=_count(body, "totalCards", "the customer report"),
        active_cards=_count(body, "activeCards", "the customer report"),
        expiring_soon_cards=_count(body, "expiringSoonCards", "the customer report"),
        total_spent=_money(body, "totalSpent", currency, "the customer report"),
        total_balance=_money(body, "totalBalance", currency, "the customer report"),
    )


@_guarded
def parse_gdpr_export(data: object, requested_format: str) -> GdprExport:
    """A ``GDPRExportResponse``; status values are undocumented, so kept as sent."""
    body = _object(data, "the export answer")
    url = body.get("downloadUrl")
    if not isinstance(url, str) or len(url) > 4096:
        url = ""
    fmt = _text(body, "format")
    return GdprExport(
        export_id=_id(body, "exportId", "the export answer"),
        download_url=url.strip(),
        format=fmt.lower() if fmt and fmt.lower() in ("json", "csv") else requested_format,
        requested_at=_when(body.get("requestedAt")),
        expires_at=_when(body.get("expiresAt")),
        status=(_text(body, "status") or "unknown")[:40],
    )


# -- error bodies ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorInfo:
    """What an error body says, whichever of the §3.7 shapes it came in."""

    message: str | None
    code: str | None = None
    about_idempotency: bool = False


def _clean(text: str) -> str:
    """One line of printable text, capped: an error body must not flood the screen or log."""
    flat = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return flat[:MAX_MESSAGE]


def _validation_item(item: object) -> tuple[str, bool]:
    """``{"loc": [...], "msg": ...}`` -> ``"amount: Input should be ..."``."""
    if isinstance(item, str):
        return item, "idempotency" in item.lower()
    if not isinstance(item, dict):
        return "", False
    msg = item.get("msg") if isinstance(item.get("msg"), str) else item.get("message")
    loc = item.get("loc")
    parts = (
        [str(part) for part in loc if isinstance(part, str | int) and not isinstance(part, bool)]
        if isinstance(loc, list)
        else []
    )
    where = [part for part in parts if part not in ("body", "query", "path", "header")]
    about = any("idempotency" in part.lower() for part in parts)
    text = msg if isinstance(msg, str) else ""
    about = about or "idempotency" in text.lower()
    if where and text:
        return f"{'.'.join(where)}: {text}", about
    return text or ".".join(where), about


def _detail(detail: object) -> tuple[str | None, bool]:
    if isinstance(detail, str):
        return detail, "idempotency" in detail.lower()
    if isinstance(detail, list):
        texts: list[str] = []
        about = False
        for item in detail[:20]:
            text, item_about = _validation_item(item)
            about = about or item_about
            if text:
                texts.append(text)
        return ("; ".join(texts) or None), about
    if isinstance(detail, dict):
        return _validation_item(detail)
    return None, False


def _cap_hint(body: Mapping[str, Any], currency: str) -> str | None:
    """The reload-cap body's ``availableReloadAmount``, phrased for the cashier."""
    try:
        available = Money.from_api(body.get("availableReloadAmount"), currency)
    except DomainError:
        return None
    return f"at most {available.format()} can be loaded onto this card"


@_guarded
def error_info(data: object, currency: str = "USD") -> ErrorInfo:
    """Read any documented error shape: FastAPI 422 array, ``{"detail": str}``, the reload cap
    body, ``{code, message, request_id}``, ``{"error": {code, message}}`` and theme 422."""
    if isinstance(data, str):
        return ErrorInfo(_clean(data) or None, about_idempotency="idempotency" in data.lower())
    if not isinstance(data, dict):
        return ErrorInfo(None)
    message: str | None = None
    code: str | None = None
    about = False
    if "detail" in data:
        message, about = _detail(data["detail"])
        hint = _cap_hint(data, currency) if "availableReloadAmount" in data else None
        if message and hint:
            message = f"{message} ({hint})"
    error = data.get("error")
    if message is None and isinstance(error, dict):
        message = _text(error, "message")
        code = _text(error, "code")
    elif message is None and isinstance(error, str):
        issues = data.get("issues")
        details = _detail(issues)[0] if isinstance(issues, list) else None
        message = f"{error}: {details}" if details else error
    if message is None:
        message = _text(data, "message") or _text(data, "msg")
    code = code or _text(data, "code")
    if message is not None:
        about = about or "idempotency" in message.lower()
        message = _clean(message) or None
    return ErrorInfo(message, code[:60] if code else None, about)
