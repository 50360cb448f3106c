"""Emulator of the LoyaltyDog gift-card API (the subset a till uses), mounted at ``/loyaltydog``.

Paths, parameters, bodies and error shapes follow the vendor's public OpenAPI (the seed pages'
operations match it exactly); where the vendor documents nothing, these are the emulator's
choices, which the POS client must cope with alongside the alternatives in the API reference:

* Login ``POST /v2/token`` (form) issues a JWT-shaped token valid for
  ``LoyaltyDogData.token_ttl`` (24 h); ``expire_tokens()`` and a sandbox reset forget them all.
  Every route but login and balance-check needs ``Authorization: Bearer``: 401
  ``{"detail": "Not authenticated"}`` without one, ``"Could not validate credentials"`` for an
  unknown or expired one.
* Search ``GET /v2/giftcards/programs/{programId}/search`` returns a bare JSON array of
  ``GiftCardResponse`` objects; the list ``GET .../cards`` returns an envelope
  ``{"items": [...], "total": n, "page": p, "limit": l}``. ``q`` matches a card-number substring
  (so the last four too; spaces and dashes in a numeric ``q`` are ignored), or a case-insensitive
  substring of the customer's name or email. Card history is a bare array, newest first.
* Paging: ``offset`` wins over ``page`` when both are sent; ``limit`` defaults to 250 and is
  capped at 250; ``limit < 1``, ``page < 1`` and ``offset < 0`` get a FastAPI-style 422.
* Idempotency (scope ``programId + operation + cardId``, plus the transaction for refunds,
  kept 24 h): redeem and reload require the key (422 ``{"detail": "..."}`` without it); refund
  and void honour it when sent. Requests compare by meaning (``12.5`` equals ``"12.50"``); a
  different payload under a used key is a 422. Only successes are stored; a replay returns the
  stored 200 body with the header ``Idempotent-Replayed: true`` and writes nothing.
* Business errors are ``{"detail": "<text>"}``: 400 for card-state, balance and amount rules
  (e.g. "Gift card is not active (status: voided)", "Gift card has expired", "Insufficient
  balance: ..."), 404 for an unknown program, card, transaction or export. The reload cap error
  adds the vendor's numeric keys (``currentBalance``, ``maxBalance``, ...).
* Customer report: with ``X-Eposn-Customer-Token`` (a seeded customer session), that customer's
  cards; else with ``cardId``, the cards of that card's customer (or the card alone when it is
  anonymous); else every card. ``programId`` narrows each case. "Active" means usable now,
  "expiring soon" means usable and expiring within 30 days.
* GDPR: the export finds the customer by id and/or email (404 if none), is "completed" at once
  and lives 24 h; ``downloadUrl`` points back at this emulator. The download gives the customer,
  their cards and every transaction as JSON, or as CSV with one row per transaction.
* Balance check: 404 for an unknown number or wrong code; five wrong codes in a row lock the
  card for 15 minutes (429 with ``Retry-After``).
* Every response carries ``X-Request-Id`` (the caller's, when well-formed).
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.security import OAuth2PasswordRequestForm

from pos_app.sandbox.ledger import Ledger
from pos_app.sandbox.loyaltydog_data import (
    ApiError,
    Card,
    LoyaltyDogData,
    Transaction,
    iso,
    money,
)
from pos_app.sandbox.loyaltydog_docs import DESCRIPTIONS
from pos_app.sandbox.loyaltydog_models import (
    BalanceCheckRequest,
    BalanceCheckResponse,
    BasicProgramRead,
    BusinessReportResponse,
    CustomerReportResponse,
    ExpiredCardProcessingResponse,
    GDPRExportRequest,
    GDPRExportResponse,
    GiftCardResponse,
    GiftCardStatus,
    OAuth2Token,
    PydanticObjectId,
    RedeemGiftCardRequest,
    RedeemResponse,
    RefundGiftCardRequest,
    RefundResponse,
    ReloadGiftCardRequest,
    UserRead,
    VoidGiftCardRequest,
)

if TYPE_CHECKING:
    from pos_app.sandbox.faults import Receive, Scope, Send
    from pos_app.sandbox.state import Sandbox

__all__ = ["LoyaltyDogData", "create_app"]

GIFT_CARDS = "Gift Cards"
MAX_PAGE_SIZE = 250
MAX_IDEMPOTENCY_KEY = 255
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
T = TypeVar("T")

ObjectIdPath = PydanticObjectId | None
OptionalObjectId = Annotated[PydanticObjectId | None, Query()]
IdempotencyKey = Annotated[str | None, Header(alias="idempotency-key", title="Idempotency-Key")]
IntQuery = Annotated[int, Query()]
Offset = Annotated[int | None, Query()]


@dataclass(frozen=True)
class EposnSessions:
    """The EPOS Now session headers every gift-card route accepts."""

    customer_token: str | None
    merchant_token: str | None


def eposn_sessions(
    x_eposn_customer_token: Annotated[str | None, Header(alias="X-Eposn-Customer-Token")] = None,
    x_eposn_merchant_token: Annotated[str | None, Header(alias="X-Eposn-Merchant-Token")] = None,
) -> EposnSessions:
    return EposnSessions(x_eposn_customer_token, x_eposn_merchant_token)


Eposn = Annotated[EposnSessions, Depends(eposn_sessions)]


class RequestIdMiddleware:
    """Echo a well-formed ``X-Request-Id`` or mint one, as the vendor does on every response."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Any]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = sent if _REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex

        async def send_with_id(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_id)


def current_data(request: Request) -> LoyaltyDogData:
    """The live data object: ``Sandbox.reset()`` replaces it, so never cache it."""
    data: LoyaltyDogData = request.app.state.sandbox.loyaltydog
    return data


def require_token(request: Request) -> None:
    _check_bearer(current_data(request), request.headers.get("authorization"))


def current_ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.sandbox.ledger
    return ledger


Data = Annotated[LoyaltyDogData, Depends(current_data)]
LedgerDep = Annotated[Ledger, Depends(current_ledger)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def _check_bearer(data: LoyaltyDogData, authorization: str | None) -> None:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("Not authenticated")
    if not data.token_valid(token.strip()):
        raise _unauthorized("Could not validate credentials")


def _error_response(exc: ApiError) -> Response:
    """``{"detail": ...}``; extra money keys go out as JSON numbers, as the vendor's docs show."""
    parts = [f'"detail":{json.dumps(exc.detail)}']
    parts += [f"{json.dumps(key)}:{money(value)}" for key, value in exc.extra.items()]
    return Response(
        "{" + ",".join(parts) + "}",
        status_code=exc.status,
        media_type="application/json",
        headers=exc.headers,
    )


def _validation_error(location: str, name: str, value: object, minimum: int) -> NoReturn:
    raise RequestValidationError(
        [
            {
                "type": "greater_than_equal",
                "loc": (location, name),
                "msg": f"Input should be greater than or equal to {minimum}",
                "input": str(value),
                "ctx": {"ge": minimum},
            }
        ]
    )


def _paginate(items: Sequence[T], page: int, limit: int, offset: int | None) -> tuple[list[T], int]:
    """The slice asked for, and the page number it corresponds to."""
    if page < 1:
        _validation_error("query", "page", page, 1)
    if limit < 1:
        _validation_error("query", "limit", limit, 1)
    if offset is not None and offset < 0:
        _validation_error("query", "offset", offset, 0)
    limit = min(limit, MAX_PAGE_SIZE)
    start = offset if offset is not None else (page - 1) * limit
    return list(items[start : start + limit]), start // limit + 1


def _required_id(value: str | None, what: str) -> str:
    if value is None:
        raise ApiError(404, f"{what} not found")
    return value


def _required_key(key: str | None) -> str:
    if key is None or not key.strip():
        raise ApiError(422, "Idempotency-Key header is required for this operation")
    return _checked_key(key)


def _checked_key(key: str) -> str:
    if len(key) > MAX_IDEMPOTENCY_KEY:
        raise ApiError(422, "Idempotency-Key must be at most 255 characters")
    return key


def _fingerprint(payload: dict[str, Any]) -> str:
    """Compare requests by meaning: amounts normalised, omitted fields equal to nulls."""
    canonical = {
        key: str(value.normalize()) if isinstance(value, Decimal) else value
        for key, value in payload.items()
    }
    return json.dumps(canonical, sort_keys=True, default=str)


def _json(body: Any, *, replayed: bool = False) -> JSONResponse:
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return JSONResponse(body, headers=headers)


def _newest_first(transactions: list[Transaction]) -> list[dict[str, Any]]:
    return [transaction.as_json() for transaction in reversed(transactions)]


ROUTER = APIRouter()
AUTHED = [Depends(require_token)]


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return _error_response(exc)


# -- auth and discovery -------------------------------------------------------------------


@ROUTER.post("/v2/token", tags=["Token"], response_model=OAuth2Token)
async def login(form: Annotated[OAuth2PasswordRequestForm, Depends()], data: Data) -> JSONResponse:
    """Password login; the token is an opaque JWT-looking string the data object remembers."""
    token = data.login(form.username, form.password)
    if token is None:
        raise _unauthorized("Incorrect username or password")
    return _json(
        {"accessToken": token, "tokenType": "bearer", "mfaPending": False, "pendingToken": None}
    )


@ROUTER.get(
    "/v2/token",
    tags=["Token"],
    response_model=UserRead,
    responses={401: {"description": "Missing token or inactive user."}},
)
async def get_token_info(
    data: Data, authorization: Annotated[str | None, Header()] = None
) -> JSONResponse:
    """Who the token belongs to; the cheapest way for a client to test its session."""
    _check_bearer(data, authorization)
    return _json(
        {
            "id": data.user_id,
            "name": "Tillcard Demo Till",
            "email": data.username,
            "emailVerified": iso(data.cards[0].created_at),
            "active": True,
            "admin": False,
            "image": None,
            "location": None,
            "website": None,
        }
    )


@ROUTER.get("/v2/loyalty/programs", tags=["Loyalty"], response_model=list[BasicProgramRead])
async def get_loyalty_programs(
    data: Data, authorization: Annotated[str | None, Header()] = None
) -> JSONResponse:
    """Every program of the account; the gift-card one comes first."""
    _check_bearer(data, authorization)
    return _json([{"id": p.id, "name": p.name, "shareUrl": p.share_url} for p in data.programs])


# -- finding and reading cards -------------------------------------------------------------


@ROUTER.get("/v2/giftcards/programs/{programId}/search", tags=[GIFT_CARDS], dependencies=AUTHED)
async def searchGiftCards(
    programId: ObjectIdPath,
    data: Data,
    eposn: Eposn,
    merchant_id: OptionalObjectId = None,
    cardId: OptionalObjectId = None,
    q: Annotated[str | None, Query()] = None,
    page: IntQuery = 1,
    limit: IntQuery = MAX_PAGE_SIZE,
    offset: Offset = None,
) -> JSONResponse:
    """Search by number, last four, name or email: a bare array (see the module notes)."""
    program = data.gift_card_program(_required_id(programId, "Program"))
    found = data.search(program_id=program.id, q=q, merchant_id=merchant_id, card_id=cardId)
    items, _ = _paginate(found, page, limit, offset)
    return _json([card.as_json() for card in items])


@ROUTER.get("/v2/giftcards/programs/{programId}/cards", tags=[GIFT_CARDS], dependencies=AUTHED)
async def getGiftCards(
    programId: ObjectIdPath,
    data: Data,
    eposn: Eposn,
    merchant_id: OptionalObjectId = None,
    status: Annotated[GiftCardStatus | None, Query()] = None,
    positive_balance: Annotated[bool, Query()] = False,
    cardId: OptionalObjectId = None,
    q: Annotated[str | None, Query()] = None,
    page: IntQuery = 1,
    limit: IntQuery = MAX_PAGE_SIZE,
    offset: Offset = None,
) -> JSONResponse:
    """The program's cards in an items/total/page/limit envelope (see the module notes)."""
    program = data.gift_card_program(_required_id(programId, "Program"))
    found = data.search(
        program_id=program.id,
        q=q,
        merchant_id=merchant_id,
        card_id=cardId,
        status=status,
        positive_balance=positive_balance,
    )
    items, shown_page = _paginate(found, page, limit, offset)
    return _json(
        {
            "items": [card.as_json() for card in items],
            "total": len(found),
            "page": shown_page,
            "limit": min(limit, MAX_PAGE_SIZE),
        }
    )


def find_card(data: LoyaltyDogData, program_id: str | None, card_id: str | None) -> Card:
    return data.card(_required_id(program_id, "Program"), _required_id(card_id, "Gift card"))


@ROUTER.get(
    "/v2/giftcards/programs/{programId}/cards/{cardId}",
    tags=[GIFT_CARDS],
    dependencies=AUTHED,
)
async def getGiftCardDetails(
    programId: ObjectIdPath,
    cardId: ObjectIdPath,
    data: Data,
    eposn: Eposn,
    include_transactions: Annotated[bool, Query()] = False,
) -> JSONResponse:
    """One card; with ``include_transactions`` its whole history, newest first."""
    with data.lock:
        card = find_card(data, programId, cardId)
        body = card.as_json()
        if include_transactions:
            body["transactions"] = _newest_first(card.transactions)
    return _json(body)


@ROUTER.get(
    "/v2/giftcards/programs/{programId}/cards/{cardId}/transactions",
    tags=[GIFT_CARDS],
    dependencies=AUTHED,
)
async def getGiftCardTransactions(
    programId: ObjectIdPath,
    cardId: ObjectIdPath,
    data: Data,
    eposn: Eposn,
    q: Annotated[str | None, Query()] = None,
    page: IntQuery = 1,
    limit: IntQuery = MAX_PAGE_SIZE,
    offset: Offset = None,
) -> JSONResponse:
    """A page of the history, newest first; ``q`` filters on type, references and text."""
    with data.lock:
        card = find_card(data, programId, cardId)
        rows = card.transactions[::-1]
        needle = (q or "").strip().lower()
        if needle:
            rows = [row for row in rows if row.matches(needle)]
        items, _ = _paginate(rows, page, limit, offset)
        return _json([row.as_json() for row in items])


@ROUTER.post(
    "/v2/giftcards/programs/{programId}/balance-check",
    tags=[GIFT_CARDS],
    response_model=BalanceCheckResponse,
    openapi_extra={"security": []},
)
async def checkGiftCardBalance(
    programId: ObjectIdPath,
    body: BalanceCheckRequest,
    data: Data,
    eposn: Eposn,
    cardId: OptionalObjectId = None,
) -> JSONResponse:
    """Number plus security code, no token: what a cardholder-facing screen would use."""
    card = data.balance_check(
        _required_id(programId, "Program"), body.cardNumber, body.securityCode
    )
    return _json(
        {
            "id": card.id,
            "programId": card.program_id,
            "cardNumber": card.number,
            "lastFourDigits": card.number[-4:],
            "balance": money(card.balance),
            "status": card.status.value,
            "expiresAt": iso(card.expires_at),
            "isActive": data.is_usable(card),
        }
    )


# -- money moves --------------------------------------------------------------------------


@ROUTER.post(
    "/v2/giftcards/programs/{programId}/cards/{cardId}/redeem",
    tags=[GIFT_CARDS],
    response_model=RedeemResponse,
    dependencies=AUTHED,
)
async def redeemGiftCard(
    programId: ObjectIdPath,
    cardId: ObjectIdPath,
    body: RedeemGiftCardRequest,
    data: Data,
    ledger: LedgerDep,
    eposn: Eposn,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Debit an active card once per Idempotency-Key; the ledger sees only the first."""
    key = _required_key(idempotency_key)
    card = find_card(data, programId, cardId)

    def apply() -> dict[str, Any]:
        transaction = data.redeem(
            card,
            body.amount,
            pos_transaction_id=body.posTransactionId,
            cashier_id=body.cashierId,
            terminal_id=body.terminalId,
            description=body.description,
        )
        ledger.record(
            "loyaltydog",
            "redeem",
            card.number,
            amount=-transaction.amount,
            idempotency_key=key,
            reference=transaction.id,
        )
        return {
            "transactionId": transaction.id,
            "giftCardId": card.id,
            "amountRedeemed": money(-transaction.amount),
            "remainingBalance": money(card.balance),
            "success": True,
            "message": "Gift card redeemed successfully",
        }

    scope = (card.program_id, "redeem", card.id, key)
    result, replayed = data.idempotent(scope, _fingerprint(dict(body)), apply)
    return _json(result, replayed=replayed)


@ROUTER.post(
    "/v2/giftcards/programs/{programId}/cards/{cardId}/transactions/{transactionId}/refund",
    tags=[GIFT_CARDS],
    response_model=RefundResponse,
    dependencies=AUTHED,
)
async def refundGiftCardTransaction(
    transactionId: PydanticObjectId,
    programId: ObjectIdPath,
    cardId: ObjectIdPath,
    body: RefundGiftCardRequest,
    data: Data,
    ledger: LedgerDep,
    eposn: Eposn,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Give back (part of) a redemption; an omitted amount refunds what is left of it."""
    key = None if idempotency_key is None else _checked_key(idempotency_key)
    card = find_card(data, programId, cardId)

    def apply() -> dict[str, Any]:
        refund = data.refund(
            card,
            transactionId,
            body.amount,
            reason=body.reason,
            pos_transaction_id=body.posTransactionId,
        )
        ledger.record(
            "loyaltydog",
            "refund",
            card.number,
            amount=refund.amount,
            idempotency_key=key,
            reference=refund.id,
        )
        return {
            "transactionId": refund.id,
            "giftCardId": card.id,
            "refundedAmount": money(refund.amount),
            "remainingBalance": money(card.balance),
            "success": True,
            "message": "Refund processed successfully",
        }

    if key is None:
        return _json(apply())
    scope = (card.program_id, "refund", card.id, transactionId, key)
    result, replayed = data.idempotent(scope, _fingerprint(dict(body)), apply)
    return _json(result, replayed=replayed)


@ROUTER.post(
    "/v2/giftcards/programs/{programId}/cards/{cardId}/reload",
    tags=[GIFT_CARDS],
    response_model=GiftCardResponse,
    dependencies=AUTHED,
)
async def reloadGiftCard(
    programId: ObjectIdPath,
    cardId: ObjectIdPath,
    body: ReloadGiftCardRequest,
    data: Data,
    ledger: LedgerDep,
    eposn: Eposn,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Top up an active card by 0.01 to 5,000 without passing the 10,000 balance cap."""
    key = _required_key(idempotency_key)
    card = find_card(data, programId, cardId)

    def apply() -> dict[str, Any]:
        reload = data.reload(
            card, body.amount, reference_id=body.referenceId, description=body.description
        )
        ledger.record(
            "loyaltydog",
            "reload",
            card.number,
            amount=reload.amount,
            idempotency_key=key,
            reference=reload.id,
        )
        return card.as_json()

    scope = (card.program_id, "reload", card.id, key)
    result, replayed = data.idempotent(scope, _fingerprint(dict(body)), apply)
    return _json(result, replayed=replayed)


@ROUTER.post(
    "/v2/giftcards/programs/{programId}/cards/{cardId}/void",
    tags=[GIFT_CARDS],
    response_model=ExpiredCardProcessingResponse,
    dependencies=AUTHED,
)
async def voidGiftCard(
    cardId: ObjectIdPath,
    programId: ObjectIdPath,
    body: VoidGiftCardRequest,
    data: Data,
    ledger: LedgerDep,
    eposn: Eposn,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Void the whole card: its balance goes to zero and it can never be used again."""
    key = None if idempotency_key is None else _checked_key(idempotency_key)
    card = find_card(data, programId, cardId)

    def apply() -> dict[str, Any]:
        void = data.void(card, reason=body.reason, refund_reference=body.refundReference)
        ledger.record(
            "loyaltydog",
            "void",
            card.number,
            amount=-void.amount,
            idempotency_key=key,
            reference=void.id,
        )
        return {
            "success": True,
            "cardId": card.id,
            "action": "void",
            "message": "Gift card voided successfully",
            "newExpiresAt": None,
            "transactionId": void.id,
        }

    if key is None:
        return _json(apply())
    scope = (card.program_id, "void", card.id, key)
    result, replayed = data.idempotent(scope, _fingerprint(dict(body)), apply)
    return _json(result, replayed=replayed)


# -- reports ------------------------------------------------------------------------------


@ROUTER.get(
    "/v2/giftcards/programs/{programId}/reports/business",
    tags=[GIFT_CARDS],
    response_model=BusinessReportResponse,
    dependencies=AUTHED,
)
async def getBusinessReports(
    programId: ObjectIdPath,
    data: Data,
    eposn: Eposn,
    cardId: OptionalObjectId = None,
) -> JSONResponse:
    """Program totals: "sold" is activations plus reloads; "this month" counts activations."""
    program = data.gift_card_program(_required_id(programId, "Program"))
    return _json(data.business_report(program.id))


@ROUTER.get(
    "/v2/giftcards/customer/reports",
    tags=[GIFT_CARDS],
    response_model=CustomerReportResponse,
    dependencies=AUTHED,
)
async def getCustomerReports(
    data: Data,
    eposn: Eposn,
    programId: OptionalObjectId = None,
    cardId: OptionalObjectId = None,
) -> JSONResponse:
    """Whose cards are reported is undocumented; the module notes give the rule used here."""
    with data.lock:
        if programId is not None:
            data.gift_card_program(programId)
        if eposn.customer_token is not None:
            customer = data.customer_by_token(eposn.customer_token)
            if customer is None:
                raise _unauthorized("Invalid or expired customer session")
            cards = data.cards_of(customer, programId)
        elif cardId is not None:
            anchor = next((card for card in data.cards if card.id == cardId), None)
            if anchor is None or (programId is not None and anchor.program_id != programId):
                raise ApiError(404, "Gift card not found")
            owner = anchor.customer
            cards = [anchor] if owner is None else data.cards_of(owner, programId)
        else:
            cards = data.search(program_id=programId)
        return _json(data.customer_report(cards))


# -- GDPR ---------------------------------------------------------------------------------


@ROUTER.post(
    "/v2/giftcards/gdpr/export",
    tags=[GIFT_CARDS],
    response_model=GDPRExportResponse,
    dependencies=AUTHED,
)
async def exportGiftCardCustomerData(
    request: Request,
    body: GDPRExportRequest,
    data: Data,
    eposn: Eposn,
    programId: OptionalObjectId = None,
    cardId: OptionalObjectId = None,
) -> JSONResponse:
    """Prepare a subject-access export; the URL it returns serves the data."""
    if programId is not None:
        data.gift_card_program(programId)
    customer = data.find_customer(body.customerId, body.customerEmail)
    if customer is None:
        raise ApiError(404, "No gift card customer found for the given identifiers")
    export = data.create_export(customer, programId, body.format)
    query = urlencode({"exportId": export.id, "format": export.format})
    # base_url is the outermost app's root; the mount's own prefix is in root_path.
    base = request.base_url.replace(path=f"{request.scope.get('root_path', '')}/")
    return _json(
        {
            "exportId": export.id,
            "downloadUrl": f"{base}v2/giftcards/gdpr/download?{query}",
            "format": export.format,
            "requestedAt": iso(export.requested_at),
            "expiresAt": iso(export.expires_at),
            "status": "completed",
        }
    )


@ROUTER.get("/v2/giftcards/gdpr/download", tags=[GIFT_CARDS], dependencies=AUTHED)
async def downloadGiftCardCustomerData(
    exportId: Annotated[str, Query()],
    format: Annotated[str, Query(pattern="^(json|csv)$")],
    data: Data,
    eposn: Eposn,
    customerId: Annotated[str | None, Query()] = None,
    customerEmail: Annotated[str | None, Query()] = None,
    programId: OptionalObjectId = None,
    cardId: OptionalObjectId = None,
) -> Response:
    """The export's content, in the format asked for here (json or csv)."""
    with data.lock:
        export = data.export(exportId)
        customer = export.customer
        if (customerId and customerId != customer.id) or (
            customerEmail and customerEmail.lower() != customer.email.lower()
        ):
            raise ApiError(404, "Export not found")
        cards = data.cards_of(customer, export.program_id)
        if format == "csv":
            return Response(
                _export_csv(customer.as_json(), cards),
                media_type="text/csv; charset=utf-8",
                headers={
                    "Content-Disposition": f'attachment; filename="gdpr-export-{exportId}.csv"'
                },
            )
        return _json(
            {
                "exportId": export.id,
                "generatedAt": iso(data.now()),
                "customer": customer.as_json(),
                "giftCards": [
                    {**card.as_json(), "transactions": _newest_first(card.transactions)}
                    for card in cards
                ],
            }
        )


def create_app(sandbox: Sandbox) -> FastAPI:
    """The LoyaltyDog app; it reads ``sandbox.loyaltydog`` per request, so resets take effect.

    The routes are built once per process and shared: building them is the costly part, and
    they find the sandbox through ``request.app.state``.
    """
    app = FastAPI(
        title="LoyaltyDog",
        version="1.0.1",
        description="Tillcard's emulator of the LoyaltyDog gift-card API (sandbox data only).",
        redoc_url=None,
    )
    app.state.sandbox = sandbox
    app.router.routes.extend(ROUTER.routes)
    app.add_exception_handler(ApiError, _api_error)
    app.add_middleware(RequestIdMiddleware)
    _finish_openapi(app)
    return app


CSV_COLUMNS = (
    "customerId",
    "customerName",
    "customerEmail",
    "customerPhone",
    "cardId",
    "cardNumber",
    "status",
    "balance",
    "initialValue",
    "expiresAt",
    "transactionId",
    "transactionType",
    "amount",
    "balanceBefore",
    "balanceAfter",
    "createdAt",
    "description",
)


def _export_csv(customer: dict[str, Any], cards: list[Card]) -> str:
    """One row per transaction (newest first); a card without any still gets one row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    who = [customer["id"], customer["name"], customer["email"], customer["phone"] or ""]
    for card in cards:
        about = [
            card.id,
            card.number,
            card.status.value,
            money(card.balance),
            money(card.initial_value),
            iso(card.expires_at),
        ]
        rows = _newest_first(card.transactions)
        if not rows:
            writer.writerow([*who, *about, *([""] * 7)])
        for row in rows:
            writer.writerow(
                [
                    *who,
                    *about,
                    row["id"],
                    row["transactionType"],
                    row["amount"],
                    row["balanceBefore"],
                    row["balanceAfter"],
                    row["createdAt"],
                    row["description"] or "",
                ]
            )
    return out.getvalue()


BEARER_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "JWT access token obtained from POST /v2/token.",
}


def _finish_openapi(app: FastAPI) -> None:
    """The global bearer scheme, and no ``default: null`` in components (as the vendor's)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            components = schema.setdefault("components", {})
            components["securitySchemes"] = {"bearerAuth": dict(BEARER_SCHEME)}
            schema["security"] = [{"bearerAuth": []}]
            for model in components.get("schemas", {}).values():
                for prop in model.get("properties", {}).values():
                    if "default" in prop and prop["default"] is None:
                        del prop["default"]
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


for _route in ROUTER.routes:
    if isinstance(_route, APIRoute):
        # Docstrings explain the code; the schema carries the vendor's text, or none, as theirs.
        _route.description = DESCRIPTIONS.get(_route.name, "")
