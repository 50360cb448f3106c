"""Emulator of the Leal stamp-card API v1 (``/api/v1/...``), mounted by the sandbox at ``/leal``.

It follows ``shared/api/leal.md`` and, where Leal's docs are silent, the "recommended emulator
behaviour" of its gaps table (G1-G20). The app reads ``sandbox.leal`` on every request, because
``Sandbox.reset()`` swaps that object, and records each applied stamp or redemption in the ledger.
Data lives in ``leal_data``, the seed in ``leal_seed``, JSON shapes in ``leal_views``, parameter
rules in ``leal_params`` and the rate limiter in ``leal_limits``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pos_app.sandbox.leal_data import (
    Customer,
    CustomerCard,
    ExternalReference,
    LealData,
    LealRefusal,
    NewCustomer,
    Store,
)
from pos_app.sandbox.leal_params import (
    CreateCustomerParams,
    InvalidParams,
    MalformedBody,
    RedeemParams,
    StampParams,
    check_contact,
    parse_body,
    parse_id,
    parse_page_param,
    rails_errors,
    validate,
)
from pos_app.sandbox.leal_views import (
    card_json,
    customer_card_full,
    customer_card_summary,
    customer_json,
    location_json,
    redemption_json,
    reward_json,
    store_json,
)

if TYPE_CHECKING:
    from pos_app.sandbox.state import Sandbox

__all__ = ["LealData", "create_app"]

DEFAULT_ITEMS = 20
MAX_ITEMS = 100
API_VERSION = "v1"


def bearer_token(authorization: str | None) -> str | None:
    """The token from ``Authorization: Bearer <token>`` (scheme case-insensitive), else None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def leal_error(
    status: int,
    error: str,
    errors: dict[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """Leal's error body: ``{"error": summary}`` plus ``"errors"`` when there are details."""
    body: dict[str, Any] = {"error": error}
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers=headers)


class LealEdge:
    """Rate limiting (G11) and the retired-version switch (G9), in front of routing and auth.

    Every response, errors included, gets the four ``RateLimit-*`` headers; the limiter counts
    per bearer token, or per client address when no token is sent.
    """

    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        data = self.sandbox.leal
        token = bearer_token(Headers(scope=scope).get("authorization"))
        client = scope.get("client") or ("unknown", 0)
        key = f"token:{token}" if token else f"ip:{client[0]}"
        decision = data.rate_limiter.hit(key)
        extra = decision.headers()
        if not decision.allowed:
            response = leal_error(
                429,
                "Rate limit exceeded. Retry later.",
                headers={k.decode(): v.decode() for k, v in extra},
            )
            await response(scope, receive, send)
            return
        if data.retired:
            response = leal_error(
                410,
                "This API version has been retired",
                headers={k.decode(): v.decode() for k, v in extra},
            )
            await response(scope, receive, send)
            return

        async def send_with_limits(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_limits)


@dataclass(frozen=True)
class Caller:
    """An authenticated request: the data object it saw and the stores its token reaches."""

    data: LealData
    accounts: frozenset[int]

    def store(self, account_id: str) -> Store:
        """A store the token cannot reach is as invisible as one that does not exist."""
        sid = parse_id(account_id)
        if sid is None or sid not in self.accounts or sid not in self.data.stores:
            raise LealRefusal(404, "Store not found")
        return self.data.stores[sid]

    def customer_card(self, account_id: str, customer_id: str, card_id: str) -> CustomerCard:
        customer = self.customer(account_id, customer_id)
        cid = parse_id(card_id)
        if cid is None or cid not in customer.card_ids:
            raise LealRefusal(404, "Customer card not found")
        return self.data.customer_cards[cid]

    def customer(self, account_id: str, customer_id: str) -> Customer:
        store = self.store(account_id)
        cid = parse_id(customer_id)
        customer = self.data.customers.get(cid) if cid is not None else None
        if customer is None or customer.account_id != store.id:
            raise LealRefusal(404, "Customer not found")
        return customer


def authenticate(request: Request) -> Caller:
    """401 unless the bearer token is one the current data object knows."""
    data = request.app.state.sandbox.leal
    assert isinstance(data, LealData)
    token = bearer_token(request.headers.get("authorization"))
    accounts = data.accounts_for(token) if token else None
    if accounts is None:
        raise LealRefusal(401, "Unauthorized")
    return Caller(data, accounts)


CallerDep = Annotated[Caller, Depends(authenticate)]


async def request_params(request: Request) -> dict[str, Any]:
    """Rails' ``params``: the query string merged with the parsed body (the body wins)."""
    params: dict[str, Any] = dict(request.query_params)
    params.update(parse_body(await request.body(), request.headers.get("content-type", "")))
    return params


def body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """An OpenAPI ``requestBody`` for a hand-parsed body, with the model's ``$defs`` inlined."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(defs[ref.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": inline(schema)}},
        }
    }


def _install_error_handlers(app: FastAPI) -> None:
    """Every error leaves in Leal's shape; FastAPI's ``{"detail": ...}`` never escapes."""

    async def refusal(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, LealRefusal)
        headers = {"WWW-Authenticate": 'Bearer realm="Leal"'} if exc.status == 401 else None
        return leal_error(exc.status, exc.error, exc.errors, headers)

    async def invalid(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, InvalidParams)
        return leal_error(422, exc.error, exc.errors)

    async def malformed(_: Request, exc: Exception) -> JSONResponse:
        return leal_error(400, "Malformed request body", {"base": [str(exc) or "unparseable"]})

    async def validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return leal_error(422, "Validation failed", rails_errors(exc.errors()))

    async def http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code in (404, 405):
            # Rails answers an unrouted method/path pair with 404, e.g. POST .../customer_cards
            return leal_error(404, "Not found")
        return leal_error(exc.status_code, str(exc.detail), headers=exc.headers)

    app.add_exception_handler(LealRefusal, refusal)
    app.add_exception_handler(InvalidParams, invalid)
    app.add_exception_handler(MalformedBody, malformed)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(StarletteHTTPException, http_error)


def create_app(sandbox: Sandbox) -> FastAPI:
    """The Leal API app; it holds no data of its own, only ``sandbox``."""
    app = FastAPI(
        title="Leal API v1 (Tillcard sandbox)",
        version=API_VERSION,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.sandbox = sandbox
    _install_error_handlers(app)
    app.add_middleware(LealEdge, sandbox=sandbox)

    @app.get("/api/v1/status")
    async def status() -> dict[str, Any]:
        limiter = sandbox.leal.rate_limiter
        return {
            "status": "ok",
            "api_version": API_VERSION,
            "authentication": "Send 'Authorization: Bearer <API token>' on every request.",
            "documentation_url": "https://app.getleal.com/docs/api/v1.html",
            "developer_portal_url": "https://app.getleal.com/api_tokens",
            "openapi_url": "https://www.getleal.com/openapi.json",
            "rate_limit": {
                "limit": limiter.limit,
                "scope": limiter.scope,
                "window_seconds": limiter.window_seconds,
            },
            "versioning": {
                "current": API_VERSION,
                "supported": [API_VERSION],
                "deprecated": [],
                "policy_url": "https://app.getleal.com/docs/api/versioning",
                "signalling": ["Deprecation", "Sunset"],
            },
        }

    api = APIRouter(prefix="/api/v1")

    @api.get("/accounts")
    async def list_accounts(caller: CallerDep) -> list[dict[str, Any]]:
        data = caller.data
        return [store_json(data, data.stores[i]) for i in sorted(caller.accounts)]

    @api.get("/accounts/{account_id}")
    async def show_account(caller: CallerDep, account_id: str) -> dict[str, Any]:
        return store_json(caller.data, caller.store(account_id))

    @api.get("/accounts/{account_id}/cards")
    async def list_cards(
        caller: CallerDep, account_id: str, scope: str | None = None
    ) -> list[dict[str, Any]]:
        """G18: default unarchived; ``scope=archived`` or ``scope=all`` widen the list."""
        store = caller.store(account_id)
        wanted: Callable[[bool], bool] = {
            "archived": lambda archived: archived,
            "all": lambda archived: True,
        }.get((scope or "").strip().lower(), lambda archived: not archived)
        return [
            card_json(caller.data, card)
            for card in sorted(caller.data.cards.values(), key=lambda c: c.id)
            if card.account_id == store.id and wanted(card.archived_at is not None)
        ]

    @api.get("/accounts/{account_id}/cards/{card_id}")
    async def show_card(caller: CallerDep, account_id: str, card_id: str) -> dict[str, Any]:
        store = caller.store(account_id)
        cid = parse_id(card_id)
        card = caller.data.cards.get(cid) if cid is not None else None
        if card is None or card.account_id != store.id:
            raise LealRefusal(404, "Card not found")
        return card_json(caller.data, card)

    @api.get("/accounts/{account_id}/customers")
    async def list_customers(
        caller: CallerDep,
        account_id: str,
        search: str | None = None,
        source: str | None = None,
        external_id: str | None = None,
        page: str | None = None,
        items: str | None = None,
    ) -> dict[str, Any]:
        """Paged lookup (G4, G5): default 20 per page, at most 100, empty past the last page."""
        store = caller.store(account_id)
        page_no = parse_page_param("page", page, 1)
        size = min(MAX_ITEMS, parse_page_param("items", items, DEFAULT_ITEMS))
        found = caller.data.search_customers(store.id, search, source, external_id)
        pages = max(1, -(-len(found) // size))
        start = (page_no - 1) * size
        return {
            "customers": [customer_json(caller.data, c) for c in found[start : start + size]],
            "pagination": {"count": len(found), "items": size, "page": page_no, "pages": pages},
        }

    @api.post(
        "/accounts/{account_id}/customers",
        status_code=201,
        openapi_extra=body_schema(CreateCustomerParams),
    )
    async def create_customer(
        request: Request, caller: CallerDep, account_id: str
    ) -> dict[str, Any]:
        store = caller.store(account_id)
        params = validate(CreateCustomerParams, await request_params(request))
        check_contact(params.customer)
        fields = params.customer
        new = NewCustomer(
            first_name=fields.first_name,
            last_name=fields.last_name,
            email=fields.email,
            phone=fields.phone,
            birthday=fields.birthday,
            metadata=fields.metadata,
            external_references=[
                ExternalReference(ref.source, ref.external_id, ref.metadata)
                for ref in fields.external_references
            ],
            card_id=params.card_id,
            send_card_links=params.send_card_links,
        )
        customer = caller.data.create_customer(store.id, new, ledger=sandbox.ledger)
        return customer_json(caller.data, customer)

    @api.get("/accounts/{account_id}/customers/{customer_id}")
    async def show_customer(caller: CallerDep, account_id: str, customer_id: str) -> dict[str, Any]:
        return customer_json(caller.data, caller.customer(account_id, customer_id))

    @api.get("/accounts/{account_id}/customers/{customer_id}/customer_cards")
    async def list_customer_cards(
        caller: CallerDep, account_id: str, customer_id: str
    ) -> list[dict[str, Any]]:
        customer = caller.customer(account_id, customer_id)
        return [customer_card_summary(caller.data, c) for c in caller.data.cards_of(customer)]

    @api.get("/accounts/{account_id}/customers/{customer_id}/customer_cards/{card_id}")
    async def show_customer_card(
        caller: CallerDep, account_id: str, customer_id: str, card_id: str
    ) -> dict[str, Any]:
        card = caller.customer_card(account_id, customer_id, card_id)
        return customer_card_full(caller.data, card)

    @api.post(
        "/accounts/{account_id}/customers/{customer_id}/customer_cards/{card_id}/stamp",
        openapi_extra=body_schema(StampParams),
    )
    async def stamp(
        request: Request, caller: CallerDep, account_id: str, customer_id: str, card_id: str
    ) -> dict[str, Any]:
        """Not idempotent (G2): every accepted call adds stamps and a ledger entry."""
        card = caller.customer_card(account_id, customer_id, card_id)
        params = validate(StampParams, await request_params(request))
        caller.data.stamp(
            card,
            params.stamps,
            skip_notifications=params.skip_notifications,
            ledger=sandbox.ledger,
        )
        return customer_card_full(caller.data, card)

    @api.post(
        "/accounts/{account_id}/customers/{customer_id}/customer_cards/{card_id}/redeem",
        openapi_extra=body_schema(RedeemParams),
    )
    async def redeem(
        request: Request, caller: CallerDep, account_id: str, customer_id: str, card_id: str
    ) -> dict[str, Any]:
        """Not idempotent (G2): each accepted call spends the reward's cost once more."""
        card = caller.customer_card(account_id, customer_id, card_id)
        params = validate(RedeemParams, await request_params(request))
        redemption = caller.data.redeem(card, params.reward_id, ledger=sandbox.ledger)
        return redemption_json(redemption)

    @api.get("/accounts/{account_id}/rewards")
    async def list_rewards(
        caller: CallerDep,
        account_id: str,
        card_id: str | None = None,
        active: str | None = None,
    ) -> list[dict[str, Any]]:
        """G18: any non-empty ``active`` means active only, even ``active=false``."""
        store = caller.store(account_id)
        rewards = [r for r in caller.data.rewards.values() if r.account_id == store.id]
        if card_id is not None and card_id.strip():
            wanted = parse_id(card_id.strip())
            rewards = [r for r in rewards if r.card_id == wanted]
        if active is not None and active.strip():
            rewards = [r for r in rewards if r.active]
        rewards.sort(key=lambda r: (r.card_id, r.position, r.id))
        return [reward_json(r) for r in rewards]

    @api.get("/accounts/{account_id}/rewards/{reward_id}")
    async def show_reward(caller: CallerDep, account_id: str, reward_id: str) -> dict[str, Any]:
        store = caller.store(account_id)
        rid = parse_id(reward_id)
        reward = caller.data.rewards.get(rid) if rid is not None else None
        if reward is None or reward.account_id != store.id:
            raise LealRefusal(404, "Reward not found")
        return reward_json(reward)

    @api.get("/accounts/{account_id}/locations")
    async def list_locations(caller: CallerDep, account_id: str) -> list[dict[str, Any]]:
        store = caller.store(account_id)
        return [
            location_json(loc)
            for loc in sorted(caller.data.locations.values(), key=lambda x: x.id)
            if loc.account_id == store.id
        ]

    @api.get("/accounts/{account_id}/locations/{location_id}")
    async def show_location(caller: CallerDep, account_id: str, location_id: str) -> dict[str, Any]:
        store = caller.store(account_id)
        lid = parse_id(location_id)
        location = caller.data.locations.get(lid) if lid is not None else None
        if location is None or location.account_id != store.id:
            raise LealRefusal(404, "Location not found")
        return location_json(location)

    app.include_router(api)
    return app
