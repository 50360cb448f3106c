"""Async client for the Leal stamp-card API v1: the ``StampCardProvider`` of the till.

It follows ``shared/api/leal.md`` and the client column of its gaps table (G1-G20). Every request
goes through ``ApiSession`` (timeouts, capped bodies, retries for reads only); stamp and redeem are
never resent after an unknown outcome (G2), only after a 429 or a 401, which Leal answers before
touching anything.

Requests per lookup: one ``GET customers?search=`` per candidate term until one matches (one for a
card code, uuid, e-mail, E.164 phone or name; two for a wallet URL, the URL then its last path
segment; up to three for a phone typed in national form), plus the store's active rewards and,
only for full cards, the card templates. Both lists are cached for ``CACHE_TTL`` seconds, so a
warm lookup is one request and a cold one two or three.
Redeemable rewards are computed locally with the domain rule instead of one card-show request
per card; ``stamp_card`` uses Leal's own ``available_rewards`` since it fetches the card anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
import time
import unicodedata
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from pos_app.__about__ import __version__
from pos_app.config import LealConfig
from pos_app.credentials import Credentials, MissingCredential
from pos_app.domain import (
    CodeKind,
    Provider,
    Reward,
    StampCard,
    classify_code,
    mask,
    normalize_code,
    normalize_phone,
    redeemable_rewards,
)
from pos_app.domain.outcomes import RewardRedemption, StampCustomer
from pos_app.providers.errors import (
    BackendError,
    BackendUnavailable,
    BadResponse,
    InvalidRequest,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    Unauthorized,
)
from pos_app.providers.http import (
    MAX_RETRY_AFTER,
    ApiSession,
    RawResponse,
    RetryPolicy,
    Sleep,
    Timeouts,
    make_client,
)
from pos_app.providers.leal_parsing import (
    BACKEND,
    CardSummary,
    CardTemplate,
    CustomerHit,
    RewardRef,
    parse_card_detail,
    parse_card_template,
    parse_card_templates,
    parse_error,
    parse_redemption,
    parse_rewards,
    parse_search_page,
    parse_status,
    parse_store,
    resolve_available_rewards,
    stamps_required_of,
    to_stamp_card,
)
from pos_app.providers.payloads import parse_json

__all__ = ["CACHE_TTL", "MAX_PAGES", "PAGE_SIZE", "LealClient", "search_terms"]

log = logging.getLogger(__name__)

API = "/api/v1"
PAGE_SIZE = 20
"""Sent explicitly as ``items`` (G5): Leal's default page size is not documented."""
MAX_PAGES = 5
"""A lookup shows at most 100 customers; a pick list longer than that helps nobody."""
CACHE_TTL = 300.0
"""Rewards and templates change rarely; a stale entry only costs a 422 the cashier can read."""
MAX_WRITE_RATE_WAIT = 10.0
"""A 429 to a stamp or redeem is resent once if Leal asks for at most this long (G2)."""
RATE_PAUSE_MARGIN = 0.1
"""``RateLimit-Reset`` is whole seconds; pausing a little longer avoids a 429 at the edge."""
MAX_CODE_TEXT = 2048
MAX_SEARCH_TEXT = 256
TOO_OLD = "This Tillcard version is too old for Leal; please update"
UNAUTHORIZED_MESSAGE = (
    "Leal did not accept the API token; the store owner must enter a new one in Settings"
)
NO_CUSTOMER = "No such Leal customer"
NO_CARD = "No such Leal card for this customer"
NO_REWARD = "No such Leal reward"
NO_STORE = "No such Leal store"
DEFAULT_TIMEOUTS = Timeouts()
DEFAULT_RETRY = RetryPolicy()
_PATH_ID_DIGITS = 18
_PHONE_ABROAD = re.compile(r"00[1-9][0-9 ().\-]{7,20}")
_EPOCH_THRESHOLD = 1_000_000_000

T = TypeVar("T")


def _visible(text: str) -> str:
    """Drop scanner framing and zero-width characters; collapse runs of white space."""
    kept = "".join(
        " " if char.isspace() else char
        for char in text
        if char.isspace() or unicodedata.category(char) not in {"Cc", "Cf"}
    )
    return " ".join(kept.split())


def _phone_terms(typed: str) -> list[str]:
    """E.164-ish first, then digits only, then without the national trunk zero (G4)."""
    e164 = normalize_phone(typed.replace("(0)", ""))
    digits = e164.lstrip("+")
    if not e164.startswith("+") and digits.startswith("00"):
        digits = digits[2:]  # 0044 ... is +44 ... dialled from abroad
        e164 = f"+{digits}"
    terms = [e164, digits]
    national = digits.lstrip("0")
    if national != digits and len(national) >= 7:
        terms.append(national)
    return terms


def search_terms(code: str) -> list[str]:
    """What to send as ``search``, most likely first; empty when there is nothing to look for.

    A wallet URL is sent as scanned, then as its last path segment (G3); a phone number as
    ``+`` and digits, then digits only; a card code without spaces or dashes; anything else (a
    name) as typed. The client stops at the first term that matches someone.
    """
    typed = _visible(code)
    if not typed or len(typed) > MAX_CODE_TEXT:
        return []
    kinds = classify_code(typed).kinds
    if CodeKind.PHONE not in kinds and _PHONE_ABROAD.fullmatch(typed):
        kinds = (CodeKind.PHONE, *kinds)  # 0044...: too many digits for a national number
    terms: list[str] = []
    if " " in typed and any(char.islower() for char in typed) and CodeKind.PHONE not in kinds:
        terms.append(typed)  # "Ana Silva" is a name before it is the card code "AnaSilva"
    for kind in kinds:
        if kind is CodeKind.WALLET_URL:
            terms.append(typed)
            terms.append(classify_code(typed).value)
        elif kind is CodeKind.EMAIL:
            terms.append(typed)
        elif kind is CodeKind.PHONE:
            terms.extend(_phone_terms(typed))
        elif kind in (CodeKind.CARD_CODE, CodeKind.GIFT_CARD_NUMBER):
            terms.append(normalize_code(typed))
    if not {CodeKind.PHONE, CodeKind.EMAIL, CodeKind.WALLET_URL} & set(kinds):
        terms.append(typed)
    unique = dict.fromkeys(term for term in terms if term and len(term) <= MAX_SEARCH_TEXT)
    return list(unique)


def _describe_code(code: str) -> str:
    """What a log line may say about a scanned text: its kind, and a masked card code."""
    scanned = classify_code(code) if isinstance(code, str) else None
    if scanned is None:
        return "unknown"
    if scanned.kind in (CodeKind.CARD_CODE, CodeKind.GIFT_CARD_NUMBER):
        return f"{scanned.kind} {mask(scanned.value)}"
    return str(scanned.kind)


def _short(value: object) -> str:
    """An id as a log line may show it: the caller's text, never unbounded."""
    return repr(value)[:24] if not isinstance(value, str) else value[:24]


def _path_id(value: object, missing: str) -> str:
    """Leal's path ids are integers; text that cannot be one is not sent (it could never match)."""
    if not isinstance(value, str):
        raise InvalidRequest(BACKEND, f"A Leal id must be text, not {type(value).__name__}")
    text = value.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= _PATH_ID_DIGITS):
        raise NotFound(BACKEND, missing, detail="not a Leal id")
    return str(int(text))


def _reset_seconds(value: str | None) -> float:
    """``RateLimit-Reset`` as seconds to wait: a delta (Leal) or an epoch time, bounded."""
    try:
        seconds = float((value or "").strip())
    except ValueError:
        return 1.0
    if not math.isfinite(seconds):
        return 1.0
    if seconds > _EPOCH_THRESHOLD:
        seconds -= time.time()
    return max(0.0, min(seconds, MAX_RETRY_AFTER))


def _not_found_message(api_error: str | None, default: str, account: str) -> str:
    """Leal's 404 summary names the record; say it the way a cashier understands."""
    text = (api_error or "").casefold()
    if "store" in text or "account" in text:
        return (
            f"The Leal store {account} was not found or this API token cannot reach it; "
            "check the Leal account id in Settings"
        )
    if "customer card" in text:
        return NO_CARD
    if "customer" in text:
        return NO_CUSTOMER
    if "reward" in text:
        return NO_REWARD
    if "card" in text:
        return "No such Leal card"
    return default


@contextlib.contextmanager
def _write_answer(what: str) -> Iterator[None]:
    """An unreadable answer to a write says nothing about whether it was applied."""
    try:
        yield
    except BadResponse as exc:
        raise OutcomeUnknown(
            BACKEND,
            f"Leal's answer to {what} could not be read; it may or may not have gone through",
            detail=exc.detail,
        ) from None


@dataclass
class _Cached:
    rewards: tuple[Reward, ...] = ()
    rewards_until: float = -math.inf
    templates: dict[str, CardTemplate] | None = None
    templates_until: float = -math.inf


class LealClient:
    """One Leal store (``config.account_id``) seen through one API token."""

    provider = Provider.LEAL

    def __init__(
        self,
        config: LealConfig,
        credentials: Credentials,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._credentials = credentials
        self._account = str(config.account_id)
        self._store = f"{API}/accounts/{self._account}"
        self._sleep = sleep
        self._client = make_client(
            config.base_url,
            timeouts=timeouts,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": f"Tillcard/{__version__}"},
        )
        self._session = ApiSession(
            BACKEND, self._client, timeouts=timeouts, retry=retry, sleep=sleep
        )
        self._token: str | None = None
        self._resume_at = 0.0
        self._cache = _Cached()
        self._rewards_lock = asyncio.Lock()
        self._templates_lock = asyncio.Lock()

    async def aclose(self) -> None:
        await self._client.aclose()

    # ------------------------------------------------------------------------- public API

    async def check(self) -> None:
        """Leal answers (status, no token needed) and the token reaches the configured store."""

        async def run() -> str:
            answer = await self._request(
                "GET", f"{API}/status", mutating=False, not_found="Leal's status page is missing"
            )
            status = parse_status(answer)
            if status.status.casefold() != "ok":
                raise BackendUnavailable(BACKEND, f"Leal reports its status as {status.status!r}")
            store = parse_store(
                await self._request("GET", self._store, mutating=False, not_found=NO_STORE)
            )
            if store.id != self._account:
                raise BadResponse(BACKEND, "Leal answered for another store", detail=store.id)
            return f"store {store.id} ok, rate limit {status.rate_limit}/{status.window_seconds}s"

        await self._logged("check", run(), str)

    async def find_customers(self, code: str) -> list[StampCustomer]:
        """Customers matching a scanned card code, wallet URL, phone, e-mail or name."""
        if not isinstance(code, str):
            raise InvalidRequest(BACKEND, "Scan or type a card code, phone number or e-mail")
        return await self._logged(
            f"find_customers ({_describe_code(code)})",
            self._find(code),
            lambda found: f"{len(found)} customer(s)",
        )

    async def stamp_card(self, customer_id: str, card_id: str) -> tuple[StampCard, list[Reward]]:
        """The card as Leal has it now, with the rewards it can pay for now."""
        return await self._logged(
            f"stamp_card {_short(customer_id)}/{_short(card_id)}",
            self._stamp_card(customer_id, card_id),
            lambda found: f"{found[0].progress_text}, {len(found[1])} reward(s) redeemable",
        )

    async def add_stamps(self, customer_id: str, card_id: str, stamps: int) -> StampCard:
        """Sent once: a lost answer is ``OutcomeUnknown``, to be reconciled by re-reading (G2)."""
        return await self._logged(
            f"add_stamps {_short(customer_id)}/{_short(card_id)} +{_short(stamps)}",
            self._add_stamps(customer_id, card_id, stamps),
            lambda card: card.progress_text,
        )

    async def redeem_reward(
        self, customer_id: str, card_id: str, reward_id: str
    ) -> RewardRedemption:
        """Sent once, like ``add_stamps``; Leal's 422 text (too few stamps, ...) is kept."""
        return await self._logged(
            f"redeem_reward {_short(customer_id)}/{_short(card_id)} reward {_short(reward_id)}",
            self._redeem(customer_id, card_id, reward_id),
            lambda done: f"redemption {done.redemption_id}, {done.stamps_remaining} stamps left",
        )

    async def rewards(self, card_id: str | None = None) -> list[Reward]:
        """The store's active rewards (cached), optionally of one card template only."""
        every = await self._logged("rewards", self._reward_list(), lambda r: f"{len(r)} reward(s)")
        return [reward for reward in every if card_id is None or reward.card_id == card_id]

    async def card_templates(self) -> list[CardTemplate]:
        """The store's unarchived card templates (cached)."""
        found = await self._logged(
            "card_templates", self._template_map(set()), lambda t: f"{len(t)} template(s)"
        )
        return sorted(found.values(), key=lambda template: int(template.id))

    # ------------------------------------------------------------------------- operations

    async def _find(self, code: str) -> list[StampCustomer]:
        hits: tuple[CustomerHit, ...] = ()
        matched = ""
        for term in search_terms(code):
            hits = await self._search(term)
            if hits:
                matched = term
                break
        if not hits:
            return []
        rewards = await self._reward_list()
        templates = await self._templates_for(card for hit in hits for card in hit.cards)
        found = []
        for hit in hits:
            summaries = sorted(
                hit.cards, key=lambda card: (card.uuid or "").casefold() != matched.casefold()
            )
            cards = tuple(self._card_from(summary, templates) for summary in summaries)
            found.append(
                StampCustomer(
                    customer=hit.customer,
                    cards=cards,
                    rewards={card.id: redeemable_rewards(card, rewards) for card in cards},
                )
            )
        return found

    async def _search(self, term: str) -> tuple[CustomerHit, ...]:
        found: dict[str, CustomerHit] = {}
        page = 1
        while True:
            answer = await self._request(
                "GET",
                f"{self._store}/customers",
                mutating=False,
                params={"search": term, "items": PAGE_SIZE, "page": page},
                not_found=NO_CUSTOMER,
            )
            result = parse_search_page(answer)
            for hit in result.hits:
                found.setdefault(hit.customer.id, hit)
            if not result.hits or page >= result.pages:
                break
            if page >= MAX_PAGES:
                log.info(
                    "leal search: showing the first %d of %d matches", len(found), result.count
                )
                break
            page += 1
        return tuple(found.values())

    async def _stamp_card(self, customer_id: str, card_id: str) -> tuple[StampCard, list[Reward]]:
        path = self._card_path(customer_id, card_id)
        detail = parse_card_detail(
            await self._request("GET", path, mutating=False, not_found=NO_CARD)
        )
        if detail.card.id != str(int(card_id)) or detail.card.customer_id not in (
            None,
            str(int(customer_id)),
        ):
            raise BadResponse(BACKEND, "Leal answered with another card", detail=detail.card.id)
        card = self._card_from(detail.card, await self._templates_for([detail.card]))
        return card, list(await self._redeemable(card, detail.available))

    async def _add_stamps(self, customer_id: str, card_id: str, stamps: int) -> StampCard:
        if isinstance(stamps, bool) or not isinstance(stamps, int) or stamps < 1:
            raise InvalidRequest(BACKEND, "Add at least one whole stamp")
        path = self._card_path(customer_id, card_id)
        answer = await self._request(
            "POST",
            f"{path}/stamp",
            mutating=True,
            body={"stamps": stamps},
            not_found=NO_CARD,
            refused=InvalidRequest,
        )
        with _write_answer("adding stamps"):
            detail = parse_card_detail(answer)
            if detail.card.id != str(int(card_id)):
                raise BadResponse(BACKEND, "Leal answered with another card", detail=detail.card.id)
            templates = await self._templates_for([detail.card], best_effort=True)
            return self._card_from(detail.card, templates, approximate=True)

    async def _redeem(self, customer_id: str, card_id: str, reward_id: str) -> RewardRedemption:
        path = self._card_path(customer_id, card_id)
        wanted = _path_id(reward_id, NO_REWARD)
        try:
            answer = await self._request(
                "POST",
                f"{path}/redeem",
                mutating=True,
                body={"reward_id": int(wanted)},
                not_found=NO_REWARD,
            )
        except (Rejected, NotFound):
            self._cache.rewards_until = -math.inf  # the cached list may have misled the cashier
            raise
        known = {reward.id: reward.name for reward in self._cache.rewards}
        with _write_answer("redeeming the reward"):
            return parse_redemption(answer, known.get(wanted))

    # ------------------------------------------------------------------------- cards, rewards

    def _card_path(self, customer_id: str, card_id: str) -> str:
        customer = _path_id(customer_id, NO_CUSTOMER)
        card = _path_id(card_id, NO_CARD)
        return f"{self._store}/customers/{customer}/customer_cards/{card}"

    def _card_from(
        self,
        summary: CardSummary,
        templates: Mapping[str, CardTemplate],
        *,
        approximate: bool = False,
    ) -> StampCard:
        """A domain card; a full card whose template is gone counts as exactly full."""
        required = stamps_required_of(summary, templates)
        if required is None:
            if summary.stamps_remaining is None and not approximate:
                raise BadResponse(
                    BACKEND,
                    "Leal did not say how many stamps this card needs",
                    detail=f"template {summary.template_id}",
                )
            required = max(1, summary.stamps_count)
            log.info("leal card %s: template %s unknown", summary.id, summary.template_id)
        return to_stamp_card(summary, required, templates)

    async def _redeemable(
        self, card: StampCard, refs: tuple[RewardRef, ...] | None
    ) -> tuple[Reward, ...]:
        """Leal's ``available_rewards`` when sent (G1, any shape), else the local rule (G7)."""
        if refs is None:
            return redeemable_rewards(card, await self._reward_list())
        resolved, unresolved = resolve_available_rewards(refs, card, self._cache.rewards)
        if unresolved:
            fresh = await self._reward_list(refresh=True)
            resolved, unresolved = resolve_available_rewards(refs, card, fresh)
        if unresolved:
            log.info("leal card %s: unknown rewards offered: %s", card.id, ", ".join(unresolved))
        return resolved

    async def _reward_list(self, *, refresh: bool = False) -> tuple[Reward, ...]:
        async with self._rewards_lock:
            if not refresh and self._cache.rewards_until > time.monotonic():
                return self._cache.rewards
            answer = await self._request(
                "GET",
                f"{self._store}/rewards",
                mutating=False,
                params={"active": "1"},
                not_found=NO_REWARD,
            )
            self._cache.rewards = parse_rewards(answer)
            self._cache.rewards_until = time.monotonic() + CACHE_TTL
            return self._cache.rewards

    async def _templates_for(
        self, cards: Iterable[CardSummary], *, best_effort: bool = False
    ) -> dict[str, CardTemplate]:
        """Templates only for cards whose target Leal's counts do not tell (full cards)."""
        needed = {card.template_id for card in cards if stamps_required_of(card, {}) is None}
        if not needed:
            return {}
        try:
            return await self._template_map(needed)
        except BackendError as exc:
            if not best_effort:
                raise
            log.info("leal card templates unavailable: %s", type(exc).__name__)
            return dict(self._cache.templates or {})

    async def _template_map(self, needed: set[str]) -> dict[str, CardTemplate]:
        async with self._templates_lock:
            templates = self._cache.templates
            if templates is None or self._cache.templates_until <= time.monotonic():
                answer = await self._request(
                    "GET", f"{self._store}/cards", mutating=False, not_found=NO_STORE
                )
                templates = {template.id: template for template in parse_card_templates(answer)}
                self._cache.templates = templates
                self._cache.templates_until = time.monotonic() + CACHE_TTL
            for missing in sorted(needed - templates.keys()):
                # archived templates are left out of the default list
                with contextlib.suppress(NotFound):
                    answer = await self._request(
                        "GET",
                        f"{self._store}/cards/{_path_id(missing, 'No such Leal card')}",
                        mutating=False,
                        not_found="No such Leal card",
                    )
                    template = parse_card_template(answer)
                    templates[template.id] = template
            return dict(templates)

    # ------------------------------------------------------------------------- HTTP

    async def _request(
        self,
        method: str,
        path: str,
        *,
        mutating: bool,
        not_found: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        refused: type[BackendError] = Rejected,
    ) -> Any:
        """Decoded JSON of a 2xx answer, or the error class its status means.

        A 401 re-reads the token once (the owner may have rotated it) and resends if it changed;
        Leal checks the token before anything else, so a write is not doubled by that.
        """
        token = self._current_token()
        response = await self._send(method, path, token, mutating, params, body)
        if response.status == 401:
            fresh = self._read_token()
            if fresh != token:
                log.info("leal refused the API token; trying the one now stored")
                response = await self._send(method, path, fresh, mutating, params, body)
        if 200 <= response.status < 300:
            try:
                return parse_json(response.body, BACKEND)
            except BadResponse as exc:
                if mutating:
                    raise OutcomeUnknown(
                        BACKEND,
                        "Leal's answer could not be read; the operation may or may not have "
                        "gone through",
                        detail=exc.detail,
                    ) from None
                raise
        raise self._refusal(response, mutating=mutating, not_found=not_found, refused=refused)

    async def _send(
        self,
        method: str,
        path: str,
        token: str,
        mutating: bool,
        params: Mapping[str, Any] | None,
        body: Any,
    ) -> RawResponse:
        """One logical request; a write refused by the rate limiter is resent once (G2)."""
        try:
            return await self._send_paced(method, path, token, mutating, params, body)
        except RateLimited as exc:
            wait = 1.0 if exc.retry_after is None else exc.retry_after
            if not mutating or wait > MAX_WRITE_RATE_WAIT:
                raise
            log.info("leal rate limit on a write (not applied); resending in %.1f s", wait)
            await self._sleep(wait)
        return await self._send_paced(method, path, token, mutating, params, body)

    async def _send_paced(
        self,
        method: str,
        path: str,
        token: str,
        mutating: bool,
        params: Mapping[str, Any] | None,
        body: Any,
    ) -> RawResponse:
        wait = self._resume_at - time.monotonic()
        if wait > 0:
            log.info("leal rate limit used up; waiting %.1f s for the window to reset", wait)
            await self._sleep(wait)
        response = await self._session.send(
            method,
            path,
            mutating=mutating,
            headers={"Authorization": f"Bearer {token}"},
            params=params,
            json=body,
        )
        self._note_rate_limit(response.headers)
        return response

    def _note_rate_limit(self, headers: httpx.Headers) -> None:
        """``RateLimit-Remaining: 0`` means the next request would be a 429: pause instead."""
        remaining = headers.get("ratelimit-remaining")
        if remaining is None:
            return
        try:
            left = int(remaining.strip())
        except ValueError:
            return
        if left > 0:
            self._resume_at = 0.0
        else:
            pause = _reset_seconds(headers.get("ratelimit-reset")) + RATE_PAUSE_MARGIN
            self._resume_at = time.monotonic() + pause

    def _current_token(self) -> str:
        return self._token if self._token is not None else self._read_token()

    def _read_token(self) -> str:
        try:
            self._token = self._credentials.get("leal", self._account)
        except MissingCredential as exc:
            raise Unauthorized(BACKEND, str(exc)) from None
        return self._token

    def _refusal(
        self,
        response: RawResponse,
        *,
        mutating: bool,
        not_found: str,
        refused: type[BackendError],
    ) -> BackendError:
        """Leal's status codes as the provider errors; the API's own words where it has them."""
        try:
            info = parse_error(parse_json(response.body, BACKEND))
        except BadResponse:
            info = parse_error(None)
        status = response.status
        detail = "; ".join(
            [f"HTTP {status}", *([info.error] if info.error else []), *info.details]
        )[:300]
        if status in (401, 403):
            return Unauthorized(BACKEND, UNAUTHORIZED_MESSAGE, detail=detail)
        if status == 404:
            message = _not_found_message(info.error, not_found, self._account)
            return NotFound(BACKEND, message, detail=detail)
        if status == 410:
            return BackendUnavailable(BACKEND, TOO_OLD, detail=detail)
        if status == 408:
            return BackendUnavailable(BACKEND, "Leal did not receive the request in time")
        if status == 422:
            return refused(BACKEND, info.message("Leal refused the request"), detail=detail)
        if 400 <= status < 500:
            message = info.message(f"error {status}")
            return InvalidRequest(BACKEND, f"Leal refused the request: {message}", detail=detail)
        if mutating:
            return OutcomeUnknown(
                BACKEND,
                f"Leal answered with an unexpected status ({status}); the operation may or "
                "may not have gone through",
                detail=detail,
            )
        return BadResponse(BACKEND, f"Leal answered with an unexpected status ({status})")

    async def _logged(self, operation: str, call: Awaitable[T], describe: Callable[[T], str]) -> T:
        """One line per call with its outcome; never the token, never a whole card code."""
        started = time.perf_counter()
        try:
            result = await call
        except BackendError as exc:
            serious = isinstance(exc, OutcomeUnknown | BadResponse | Unauthorized)
            log.log(
                logging.WARNING if serious else logging.INFO,
                "leal %s: %s: %s%s",
                operation,
                type(exc).__name__,
                exc.message,
                f" ({exc.detail})" if exc.detail else "",
            )
            raise
        log.info(
            "leal %s: %s (%.0f ms)",
            operation,
            describe(result),
            (time.perf_counter() - started) * 1000,
        )
        return result
