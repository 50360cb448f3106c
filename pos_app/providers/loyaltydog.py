"""Async client of the LoyaltyDog gift-card API (``GiftCardProvider``), per api/loyaltydog.md.

- Login is ``POST /v2/token`` (form), lazily, with the password read from ``Credentials`` at that
  moment; the bearer token lives only in memory. A 401 triggers one new login (shared by every
  concurrent caller through a lock) and one resend of the request.
- Cards are found with ``GET .../search?q=<number>``; the answer may be a bare array or an
  envelope, and only exact ``cardNumber`` matches are kept. A lookup is ONE request with a warm
  token (two when it must log in first).
- Money moves carry the caller's ``Idempotency-Key`` and go through ``ApiSession`` as mutating
  but idempotent, so an unknown outcome is resent with the same key, never a new one.
- Only ``providers.errors`` classes leave this module; a 200 that cannot be read is
  ``BadResponse`` for reads and ``OutcomeUnknown`` for money moves.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar
from urllib.parse import quote

import httpx

from pos_app.config import LoyaltyDogConfig
from pos_app.credentials import Credentials, MissingCredential
from pos_app.domain import DomainError, GiftCard, Money, Provider, mask, validate_gift_card_number
from pos_app.domain.outcomes import (
    BusinessReport,
    CustomerReport,
    GdprExport,
    GiftCardMove,
    HistoryPage,
    Program,
)
from pos_app.providers.errors import (
    BackendError,
    BadResponse,
    InvalidRequest,
    NotFound,
    OutcomeUnknown,
    Rejected,
    Unauthorized,
)
from pos_app.providers.http import (
    MAX_BODY_REPORT,
    MAX_BODY_TILL,
    ApiSession,
    RawResponse,
    RetryPolicy,
    Sleep,
    Timeouts,
    make_client,
)
from pos_app.providers.loyaltydog_parsing import (
    BACKEND,
    ErrorInfo,
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
    parse_user,
    parse_void,
)
from pos_app.providers.payloads import parse_json

__all__ = ["HISTORY_MAX_LIMIT", "SEARCH_LIMIT", "LoyaltyDogClient"]

log = logging.getLogger(__name__)

#: The prose limit for history pages (§2.3 item 19); the schema's 250 is not relied on.
HISTORY_MAX_LIMIT: Final = 100
#: One search page; a 16-20 digit ``q`` matches a handful of cards at most.
SEARCH_LIMIT: Final = 50
#: Further search pages are read only while full pages come back without the number.
MAX_SEARCH_PAGES: Final = 4
#: How many of the newest history rows are searched for a void's own transaction.
VOID_LOOKUP_ROWS: Final = 10
MAX_IDEMPOTENCY_KEY: Final = 255
MAX_REFERENCE: Final = 100
MAX_REASON: Final = 500
MAX_VOID_REASON: Final = 1000
_TRACKED_KEYS: Final = 1000
_ID_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
_KEY_RE: Final = re.compile(r"[\x21-\x7e]+")
DEFAULT_TIMEOUTS: Final = Timeouts()
DEFAULT_RETRY: Final = RetryPolicy()

NOT_A_CARD: Final = "No such gift card"
BAD_LOGIN: Final = "LoyaltyDog refused the username or password"
NO_PROGRAM: Final = "This login may not use the program (LoyaltyDog refused access)"
BUSY: Final = "The card is busy with another operation; try again"

T = TypeVar("T")


def _card_id(value: object, what: str = "gift card id") -> str:
    """Ids go into URL paths, so only plain id characters are allowed (§2.5 item 32)."""
    if not isinstance(value, str) or not _ID_RE.fullmatch(value):
        raise InvalidRequest(BACKEND, f"The {what} is not valid")
    return value


def _optional_text(value: object, what: str, limit: int) -> str | None:
    """Free text for a request body, checked here so the API's 422 never has to explain it."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value.strip()) > limit or not value.isprintable():
        raise InvalidRequest(BACKEND, f"The {what} must be printable text of at most {limit} chars")
    return value.strip() or None


def _check_key(key: object) -> str:
    """The caller's key, refused here (never replaced) when it cannot be a header value."""
    if not isinstance(key, str) or not _KEY_RE.fullmatch(key) or len(key) > MAX_IDEMPOTENCY_KEY:
        raise InvalidRequest(
            BACKEND,
            "The Idempotency-Key for this LoyaltyDog operation is missing or not valid "
            "(a Tillcard bug)",
        )
    return key


class LoyaltyDogClient:
    """``GiftCardProvider`` for LoyaltyDog; one pooled HTTP client, closed by ``aclose``."""

    provider = Provider.LOYALTYDOG

    def __init__(
        self,
        config: LoyaltyDogConfig,
        credentials: Credentials,
        *,
        currency: str = "USD",
        transport: httpx.AsyncBaseTransport | None = None,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Sleep = asyncio.sleep,
        cashier_id: str | None = None,
        terminal_id: str | None = None,
    ) -> None:
        self._config = config
        self._credentials = credentials
        self._currency = Money.zero(currency).currency
        self._cashier_id = _optional_text(cashier_id, "cashier id", 50)
        self._terminal_id = _optional_text(terminal_id, "terminal id", 50)
        self._program = quote(config.program_id, safe="")
        self._base = httpx.URL(config.base_url)
        self._http = make_client(
            config.base_url,
            timeouts=timeouts,
            transport=transport,
            headers={"Accept": "application/json"},
        )
        self._http.event_hooks["request"].append(self._on_request)
        self._http.event_hooks["response"].append(self._on_response)
        self._session = ApiSession(BACKEND, self._http, timeouts=timeouts, retry=retry, sleep=sleep)
        self._token: str | None = None
        self._login_lock = asyncio.Lock()
        self._unanswered: OrderedDict[str, int] = OrderedDict()

    # -- lifecycle and auth ------------------------------------------------------------------------

    async def aclose(self) -> None:
        self._token = None
        await self._http.aclose()

    async def check(self) -> None:
        """Log in afresh (so a just-changed password is what gets tested), then ask who we are."""
        async with self._login_lock:
            self._token = None
            self._token = await self._login()
        response = await self._authed("GET", "/v2/token", mutating=False)
        self._raise_for_status(response, write=False)
        user = self._parse(response, parse_user, write=False)
        log.info("LoyaltyDog check: logged in as user %s (request %s)", user, response.request_id)

    async def _login(self) -> str:
        """``POST /v2/token``; call with ``_login_lock`` held. Never logs the secret."""
        try:
            password = self._credentials.get("loyaltydog", self._config.username)
        except MissingCredential as exc:
            raise Unauthorized(BACKEND, str(exc)) from None
        response = await self._session.send(
            "POST",
            "/v2/token",
            mutating=False,  # a login moves nothing: safe to resend
            data={
                "username": self._config.username,
                "password": password,
                "grant_type": "password",
            },
        )
        if response.status in (400, 401, 403):
            log.info(
                "LoyaltyDog login refused: %d (request %s)", response.status, response.request_id
            )
            raise Unauthorized(BACKEND, BAD_LOGIN, detail=f"HTTP {response.status}")
        self._raise_for_status(response, write=False)
        token = self._parse(response, parse_token, write=False)
        log.info("LoyaltyDog login succeeded (request %s)", response.request_id)
        return token

    async def _current_token(self) -> str:
        async with self._login_lock:
            if self._token is None:
                self._token = await self._login()
            return self._token

    async def _fresh_token(self, stale: str) -> str:
        """One new login for all callers whose token was refused at the same time."""
        async with self._login_lock:
            if self._token is None or self._token == stale:
                self._token = None
                self._token = await self._login()
            return self._token

    async def _authed(
        self,
        method: str,
        url: str,
        *,
        mutating: bool,
        idempotency_key: str | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        max_body: int = MAX_BODY_TILL,
    ) -> RawResponse:
        """Send with the bearer token; on 401 log in again once and resend once.

        A money move is marked idempotent only because it carries the caller's key, which
        ``ApiSession`` resends unchanged on every attempt.
        """

        async def attempt(token: str) -> RawResponse:
            headers = {"Authorization": f"Bearer {token}"}
            if idempotency_key is not None:
                headers["Idempotency-Key"] = idempotency_key
            return await self._session.send(
                method,
                url,
                mutating=mutating,
                idempotent=True if idempotency_key is not None else None,
                max_body=max_body,
                headers=headers,
                params=params,
                json=json,
            )

        token = await self._current_token()
        response = await attempt(token)
        if response.status != 401:
            return response
        log.info("LoyaltyDog refused the token (request %s); logging in again", response.request_id)
        response = await attempt(await self._fresh_token(token))
        if response.status == 401:
            raise Unauthorized(
                BACKEND,
                "LoyaltyDog does not accept this till's login; check the LoyaltyDog account",
                detail=f"request {response.request_id}",
            )
        return response

    # -- idempotency bookkeeping -------------------------------------------------------------------

    async def _on_request(self, request: httpx.Request) -> None:
        key = request.headers.get("idempotency-key")
        if key is not None:
            self._unanswered[key] = self._unanswered.get(key, 0) + 1
            self._unanswered.move_to_end(key)
            while len(self._unanswered) > _TRACKED_KEYS:
                self._unanswered.popitem(last=False)

    async def _on_response(self, response: httpx.Response) -> None:
        key = response.request.headers.get("idempotency-key")
        if key is not None and self._unanswered.get(key, 0) > 0:
            self._unanswered[key] -= 1

    def _maybe_in_flight(self, key: str | None) -> bool:
        """Did a request with this key ever go unanswered? Then it may still be running."""
        return key is not None and self._unanswered.get(key, 0) > 0

    # -- answers -----------------------------------------------------------------------------------

    def _raise_for_status(
        self,
        response: RawResponse,
        *,
        write: bool,
        not_found: str = NOT_A_CARD,
        key: str | None = None,
    ) -> None:
        """Map a non-2xx answer onto the error family (reference §3.7)."""
        status = response.status
        if 200 <= status < 300:
            return
        info = self._error_body(response)
        message = info.message
        detail = f"HTTP {status}, request {response.request_id}" + (
            f": {message}" if message else ""
        )
        log.info("LoyaltyDog answered %s", detail)
        if status == 400:
            raise Rejected(BACKEND, message or "LoyaltyDog refused the operation", detail=detail)
        if status == 401:
            raise Unauthorized(BACKEND, BAD_LOGIN, detail=detail)
        if status == 403:
            raise Unauthorized(BACKEND, NO_PROGRAM, detail=detail)
        if status == 404:
            raise NotFound(BACKEND, not_found, detail=detail)
        if status == 409:
            if write and self._maybe_in_flight(key):
                # Our own earlier attempt with this key may be the "other operation" (§2.4).
                raise OutcomeUnknown(
                    BACKEND,
                    "LoyaltyDog is still busy with this operation; it may or may not go through",
                    detail=detail,
                )
            raise Rejected(BACKEND, BUSY, detail=detail)
        if status == 422 and info.about_idempotency:
            raise InvalidRequest(
                BACKEND,
                f"LoyaltyDog refused the Idempotency-Key (a Tillcard bug): {message}",
                detail=detail,
            )
        if 400 <= status < 500:
            raise InvalidRequest(
                BACKEND,
                f"LoyaltyDog refused the request: {message or f'HTTP {status}'}",
                detail=detail,
            )
        if write:
            raise OutcomeUnknown(
                BACKEND,
                f"LoyaltyDog answered oddly ({status}); the operation may or may not have gone "
                "through",
                detail=detail,
            )
        raise BadResponse(BACKEND, f"LoyaltyDog answered oddly ({status})", detail=detail)

    def _error_body(self, response: RawResponse) -> ErrorInfo:
        try:
            data = parse_json(response.body, BACKEND) if response.body.strip() else None
            return error_info(data, self._currency)
        except BackendError:
            return error_info(None)

    def _parse(self, response: RawResponse, parser: Callable[[Any], T], *, write: bool) -> T:
        """Decode and parse; an unreadable 200 to a money move means its outcome is unknown."""
        try:
            return parser(parse_json(response.body, BACKEND))
        except BadResponse as exc:
            log.info(
                "LoyaltyDog answer not understood (request %s): %s", response.request_id, exc.detail
            )
            if write:
                raise OutcomeUnknown(
                    BACKEND,
                    "LoyaltyDog's answer could not be read; the operation may or may not have "
                    "gone through",
                    detail=exc.detail,
                ) from None
            raise

    async def _get(
        self,
        url: str,
        parser: Callable[[Any], T],
        *,
        params: Mapping[str, Any] | None = None,
        not_found: str = NOT_A_CARD,
    ) -> tuple[T, RawResponse]:
        response = await self._authed("GET", url, mutating=False, params=params)
        self._raise_for_status(response, write=False, not_found=not_found)
        return self._parse(response, parser, write=False), response

    async def _move(
        self,
        url: str,
        body: dict[str, Any],
        parser: Callable[[Any], GiftCardMove],
        *,
        key: str,
        what: str,
        not_found: str = NOT_A_CARD,
    ) -> GiftCardMove:
        response = await self._authed("POST", url, mutating=True, idempotency_key=key, json=body)
        self._raise_for_status(response, write=True, not_found=not_found, key=key)
        move = self._parse(response, parser, write=True)
        replayed = response.headers.get("idempotent-replayed", "").lower() == "true"
        log.info(
            "LoyaltyDog %s on card %s: %s, balance %s%s (request %s)",
            what,
            move.card_id,
            move.amount.to_api(),
            move.balance_after.to_api(),
            ", replayed" if replayed else "",
            response.request_id,
        )
        return move

    def _money(self, amount: object, what: str) -> Money:
        if not isinstance(amount, Money):
            raise InvalidRequest(BACKEND, f"The {what} must be Money")
        if amount.currency != self._currency:
            raise InvalidRequest(
                BACKEND,
                f"The {what} is in {amount.currency}, but this till uses {self._currency}",
            )
        return amount

    def _cards_url(self, card_id: str, *rest: str) -> str:
        return "/".join(
            [f"/v2/giftcards/programs/{self._program}/cards/{quote(card_id, safe='')}", *rest]
        )

    # -- reading cards -----------------------------------------------------------------------------

    async def find_cards(self, number: str) -> list[GiftCard]:
        """Cards whose number is exactly ``number``: one search request when logged in."""
        try:
            wanted = validate_gift_card_number(number)
        except (DomainError, TypeError) as exc:
            raise InvalidRequest(BACKEND, str(exc)) from None
        url = f"/v2/giftcards/programs/{self._program}/search"
        found: list[GiftCard] = []
        for page in range(MAX_SEARCH_PAGES):
            params = {
                "q": wanted,
                "limit": SEARCH_LIMIT,
                "offset": page * SEARCH_LIMIT,
                "page": page + 1,
            }
            (hits, found), response = await self._get(
                url,
                lambda data: (len(card_items(data)), exact_matches(data, wanted, self._currency)),
                params=params,
            )
            log.info(
                "LoyaltyDog lookup %s: %d result(s), %d exact (request %s)",
                mask(wanted),
                hits,
                len(found),
                response.request_id,
            )
            if found or hits < SEARCH_LIMIT:
                break
        return found

    async def card(self, card_id: str) -> GiftCard:
        """The card's details without its history (``include_transactions=false``)."""
        card, response = await self._get(
            self._cards_url(_card_id(card_id)),
            lambda data: parse_card(data, self._currency),
            params={"include_transactions": "false"},
        )
        log.info(
            "LoyaltyDog card %s is %s (request %s)",
            card.masked_number,
            card.status.value,
            response.request_id,
        )
        return card

    async def history(
        self, card_id: str, *, offset: int = 0, limit: int = HISTORY_MAX_LIMIT
    ) -> HistoryPage:
        """One page, newest first. ``page`` is sent too when it agrees with ``offset``, so the
        answer is the same whichever of the two the server honours (§2.3)."""
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise InvalidRequest(BACKEND, "The history offset must be a whole number >= 0")
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise InvalidRequest(BACKEND, "The history page size must be at least 1")
        limit = min(limit, HISTORY_MAX_LIMIT)
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if offset % limit == 0:
            params["page"] = offset // limit + 1
        page, response = await self._get(
            self._cards_url(_card_id(card_id), "transactions"),
            lambda data: parse_history(data, self._currency, offset=offset, limit=limit),
            params=params,
        )
        log.info(
            "LoyaltyDog history of card %s at %d: %d row(s) (request %s)",
            card_id,
            offset,
            len(page.transactions),
            response.request_id,
        )
        return page

    # -- money moves -------------------------------------------------------------------------------

    async def redeem(
        self, card: GiftCard, amount: Money, *, idempotency_key: str, reference: str | None = None
    ) -> GiftCardMove:
        """Debit ``amount``; resending with the same key after OutcomeUnknown is safe."""
        if not isinstance(card, GiftCard):
            raise InvalidRequest(BACKEND, "redeem needs the GiftCard as looked up")
        card_id = _card_id(card.id)
        amount = self._money(amount, "amount")
        key = _check_key(idempotency_key)
        body: dict[str, Any] = {"amount": amount.to_api()}
        if (ref := _optional_text(reference, "POS reference", MAX_REFERENCE)) is not None:
            body["posTransactionId"] = ref
        if self._cashier_id is not None:
            body["cashierId"] = self._cashier_id
        if self._terminal_id is not None:
            body["terminalId"] = self._terminal_id
        log.info("LoyaltyDog redeem %s from card %s", amount.to_api(), card.masked_number)
        return await self._move(
            self._cards_url(card_id, "redeem"),
            body,
            lambda data: parse_redeem(data, card_id, amount),
            key=key,
            what="redeem",
        )

    async def refund(
        self,
        card_id: str,
        transaction_id: str,
        amount: Money | None,
        *,
        idempotency_key: str,
        reason: str | None = None,
    ) -> GiftCardMove:
        """Give (part of) a redemption back; ``amount`` None refunds what is left of it."""
        card_id = _card_id(card_id)
        transaction_id = _card_id(transaction_id, "transaction id")
        key = _check_key(idempotency_key)
        body: dict[str, Any] = {}
        requested = None if amount is None else self._money(amount, "refund amount")
        if requested is not None:
            body["amount"] = requested.to_api()
        if (text := _optional_text(reason, "refund reason", MAX_REASON)) is not None:
            body["reason"] = text
        return await self._move(
            self._cards_url(card_id, "transactions", quote(transaction_id, safe=""), "refund"),
            body,
            lambda data: parse_refund(data, card_id, requested, self._currency),
            key=key,
            what="refund",
            not_found="No such gift card or transaction",
        )

    async def reload(
        self, card_id: str, amount: Money, *, idempotency_key: str, reference: str | None = None
    ) -> GiftCardMove:
        """Top up by ``amount`` (0.01 to 5,000 per call; the card holds at most 10,000)."""
        card_id = _card_id(card_id)
        amount = self._money(amount, "amount")
        key = _check_key(idempotency_key)
        body: dict[str, Any] = {"amount": amount.to_api()}
        if (ref := _optional_text(reference, "reference", MAX_REFERENCE)) is not None:
            body["referenceId"] = ref
        return await self._move(
            self._cards_url(card_id, "reload"),
            body,
            lambda data: parse_reload(data, card_id, amount),
            key=key,
            what="reload",
        )

    async def void(self, card_id: str, reason: str, *, idempotency_key: str) -> GiftCardMove:
        """Void the whole card. The answer carries no amounts, so the balance is read first and
        then, when the void names its transaction, confirmed from the history."""
        card_id = _card_id(card_id)
        text = _optional_text(reason, "void reason", MAX_VOID_REASON)
        if text is None:
            raise InvalidRequest(BACKEND, "A void needs a reason")
        key = _check_key(idempotency_key)
        before = await self.card(card_id)
        move = await self._move(
            self._cards_url(card_id, "void"),
            {"reason": text},
            lambda data: parse_void(data, card_id, before.balance),
            key=key,
            what="void",
        )
        if move.transaction_id is None:
            return move
        try:
            page = await self.history(card_id, limit=VOID_LOOKUP_ROWS)
        except BackendError as exc:
            log.info("LoyaltyDog void of card %s not confirmed from history: %s", card_id, exc)
            return move
        for row in page.transactions:
            if row.id == move.transaction_id:
                balance_after = row.balance_after or move.balance_after
                return GiftCardMove(
                    transaction_id=move.transaction_id,
                    card_id=card_id,
                    amount=abs(row.amount),
                    balance_after=balance_after,
                    message=move.message,
                )
        return move

    # -- programs and reports ----------------------------------------------------------------------

    async def programs(self) -> list[Program]:
        programs, _ = await self._get("/v2/loyalty/programs", parse_programs)
        return programs

    async def business_report(self) -> BusinessReport:
        report, _ = await self._get(
            f"/v2/giftcards/programs/{self._program}/reports/business",
            lambda data: parse_business_report(data, self._currency),
            not_found="LoyaltyDog does not know this till's program",
        )
        return report

    async def customer_report(self, *, card_id: str | None = None) -> CustomerReport:
        """The report for ``card_id``'s customer, or the program's when no card is given."""
        params = {"programId": self._config.program_id}
        if card_id is not None:
            params["cardId"] = _card_id(card_id)
        report, _ = await self._get(
            "/v2/giftcards/customer/reports",
            lambda data: parse_customer_report(data, self._currency),
            params=params,
        )
        return report

    # -- GDPR --------------------------------------------------------------------------------------

    async def gdpr_export(
        self, *, customer_id: str | None = None, email: str | None = None, fmt: str = "json"
    ) -> GdprExport:
        """Ask for a subject-access export. Sent as a read: a second export harms nothing."""
        fmt = fmt.lower() if isinstance(fmt, str) else ""
        if fmt not in ("json", "csv"):
            raise InvalidRequest(BACKEND, "A GDPR export is either json or csv")
        customer = _optional_text(customer_id, "customer id", 100)
        address = _optional_text(email, "e-mail address", 254)
        if customer is None and address is None:
            raise InvalidRequest(BACKEND, "A GDPR export needs a customer id or an e-mail address")
        response = await self._authed(
            "POST",
            "/v2/giftcards/gdpr/export",
            mutating=False,
            params={"programId": self._config.program_id},
            json={"customerId": customer, "customerEmail": address, "format": fmt},
        )
        self._raise_for_status(
            response, write=False, not_found="No gift card customer with that id or e-mail"
        )
        export = self._parse(response, lambda data: parse_gdpr_export(data, fmt), write=False)
        log.info(
            "LoyaltyDog GDPR export %s is %s (request %s)",
            export.export_id,
            export.status,
            response.request_id,
        )
        return export

    def _same_origin(self, url: str) -> bool:
        """Only LoyaltyDog's own host may see the bearer token."""
        try:
            target = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError):
            return False
        return (
            target.scheme == self._base.scheme
            and target.host == self._base.host
            and (target.port or _default_port(target.scheme))
            == (self._base.port or _default_port(self._base.scheme))
        )

    async def gdpr_download(self, export: GdprExport) -> bytes:
        """The export's content as bytes (JSON or CSV), capped at ``MAX_BODY_REPORT``."""
        if not isinstance(export, GdprExport):
            raise InvalidRequest(BACKEND, "gdpr_download needs the GdprExport it was given")
        params: dict[str, str] | None = None
        url = export.download_url
        if not url or not self._same_origin(url):
            url = "/v2/giftcards/gdpr/download"
            params = {"exportId": export.export_id, "format": export.format}
        response = await self._authed(
            "GET", url, mutating=False, params=params, max_body=MAX_BODY_REPORT
        )
        self._raise_for_status(
            response, write=False, not_found="This export is not available any more"
        )
        log.info(
            "LoyaltyDog GDPR download %s: %d bytes (request %s)",
            export.export_id,
            len(response.body),
            response.request_id,
        )
        return response.body


def _default_port(scheme: str) -> int | None:
    return {"http": 80, "https": 443}.get(scheme)
