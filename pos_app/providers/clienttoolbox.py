"""Async client of the ClientToolbox points / stored-value API (one form-POST endpoint).

Follows ``shared/api/clienttoolbox.md``: the API key travels only in the ``api_access_key``
header, ids stay strings, ``status`` is checked before anything else, and XML is parsed with the
hardened reader in ``payloads``. Writes (``record_activity``, ``redeem``, ``transaction_delete``)
have no idempotency key, so they are sent once and never resent after an unknown outcome; each
carries the POS reference in ``authorization`` for the journal to find in the history.

Requests per lookup (``find_accounts``): one ``customer_info`` when the scanned value is a card
number, two when it is a customer code (card number tried first). ``campaigns_list`` and
``campaign_rewards`` are cached for ``cache_ttl`` seconds and are asked only when the answer
lacks a campaign's type, name or currency, or a points/visits campaign's reward list.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Final, Generic, Literal, TypeVar

import httpx

from pos_app.config import ClientToolboxConfig
from pos_app.credentials import Credentials, MissingCredential
from pos_app.domain import CampaignType, Money, PointsReward, Provider, mask, normalize_code
from pos_app.domain.outcomes import (
    BalancesReportPage,
    BalancesReportRow,
    PointsAccount,
    PointsActivity,
    PointsHistory,
)
from pos_app.providers.clienttoolbox_parsing import (
    BACKEND,
    CampaignInfo,
    CustomerEntry,
    Document,
    Output,
    build_account,
    decode,
    needs_catalogue,
    parse_balances_report,
    parse_campaign_rewards,
    parse_campaigns,
    parse_customer_info,
    parse_history,
    parse_receipt,
    raise_for_status,
    reward_lookups_needed,
)
from pos_app.providers.errors import (
    BackendError,
    BackendUnavailable,
    BadResponse,
    InvalidRequest,
    NotFound,
    OutcomeUnknown,
    Unauthorized,
)
from pos_app.providers.http import (
    MAX_BODY_REPORT,
    MAX_BODY_TILL,
    ApiSession,
    RetryPolicy,
    Sleep,
    Timeouts,
    make_client,
)

__all__ = ["COALITIONS", "ClientToolboxClient"]

log = logging.getLogger(__name__)

#: ``coalition`` argument -> the report's ``coalition_balance`` value (reference §5.4).
COALITIONS: Final[Mapping[str, str]] = {
    "points": "coalition_points",
    "storedvalue": "coalition_storedvalue",
    "coalition_points": "coalition_points",
    "coalition_storedvalue": "coalition_storedvalue",
}
MAX_CODE_LENGTH: Final = 64
MAX_AUTHORIZATION: Final = 255
MAX_REPORT_LIMIT: Final = 1000
DEFAULT_CACHE_TTL: Final = 300.0
DEFAULT_TIMEOUTS: Final = Timeouts()
DEFAULT_RETRY: Final = RetryPolicy()
_REWARD_TYPES: Final = frozenset({CampaignType.POINTS, CampaignType.EVENTS})


_T = TypeVar("_T")


@dataclass(frozen=True)
class _Cached(Generic[_T]):
    """A cached answer and the monotonic time it goes stale."""

    value: _T
    expires: float


def _field(value: str, what: str, limit: int = MAX_CODE_LENGTH) -> str:
    """A request id or reference, trimmed; refused before sending if it cannot be right."""
    if not isinstance(value, str):
        raise InvalidRequest(BACKEND, f"The {what} must be text")
    text = value.strip()
    if not text or len(text) > limit or not text.isprintable():
        raise InvalidRequest(BACKEND, f"The {what} is empty or not valid")
    return text


class ClientToolboxClient:
    """``PointsProvider`` for ClientToolbox; one pooled HTTP client, closed by ``aclose``."""

    provider = Provider.CLIENTTOOLBOX

    def __init__(
        self,
        config: ClientToolboxConfig,
        credentials: Credentials,
        *,
        currency: str = "USD",
        transport: httpx.AsyncBaseTransport | None = None,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Sleep = asyncio.sleep,
        output: Literal["XML", "JSON"] = "XML",
        cache_ttl: float = DEFAULT_CACHE_TTL,
    ) -> None:
        if output not in ("XML", "JSON"):
            raise ValueError("output must be 'XML' or 'JSON'")
        self._config = config
        self._credentials = credentials
        self._currency = Money.zero(currency).currency
        self._output: Output = output
        self._restrict = tuple(config.campaign_ids)
        self._cache_ttl = cache_ttl
        self._clock: Callable[[], float] = time.monotonic
        self._client = make_client(config.base_url, timeouts=timeouts, transport=transport)
        self._session = ApiSession(
            BACKEND, self._client, timeouts=timeouts, retry=retry, sleep=sleep
        )
        self._catalogue: _Cached[dict[str, CampaignInfo]] | None = None
        self._catalogue_lock = asyncio.Lock()
        self._rewards: dict[str, _Cached[tuple[PointsReward, ...]]] = {}

    async def aclose(self) -> None:
        await self._client.aclose()

    async def check(self) -> None:
        """Reachability and credentials via ``campaigns_list``, which also warms the cache."""
        campaigns = await self._campaign_catalogue(refresh=True)
        missing = [cid for cid in self._restrict if cid not in campaigns]
        log.info(
            "ClientToolbox check: %d campaigns visible%s",
            len(campaigns),
            f"; configured but not visible: {', '.join(missing)}" if missing else "",
        )

    # --- transport ---------------------------------------------------------------------------

    def _api_key(self) -> str:
        """Read per request, so a key changed in Settings applies without a restart."""
        try:
            return self._credentials.get("clienttoolbox", self._config.user_id)
        except MissingCredential as exc:
            raise Unauthorized(BACKEND, str(exc)) from None

    async def _post(
        self, kind: str, fields: Mapping[str, str], *, write: bool, max_body: int = MAX_BODY_TILL
    ) -> Document:
        """One POST; returns a document whose status is ``success`` or raises a BackendError.

        Reads: a non-200 or a page that is not data means the API was not reached properly
        (BackendUnavailable). Writes: anything but a clear answer is OutcomeUnknown, because the
        change may have been applied before the failure.
        """
        form = {
            "user_id": self._config.user_id,
            "account_id": self._config.account_id,
            "type": kind,
            "output": self._output,
            **fields,
        }
        headers = {"api_access_key": self._api_key()}
        try:
            raw = await self._session.send(
                "POST", "/", mutating=write, data=form, headers=headers, max_body=max_body
            )
        except BackendError:
            raise
        except (httpx.HTTPError, httpx.StreamError, ValueError, OSError) as exc:
            raise self._lost(write, type(exc).__name__) from None
        if raw.status != 200:
            detail = f"HTTP {raw.status}"
            if write:
                raise OutcomeUnknown(
                    BACKEND,
                    f"{BACKEND} answered HTTP {raw.status}; the operation may or may not have "
                    "gone through",
                    detail=detail,
                )
            raise BackendUnavailable(
                BACKEND, f"{BACKEND} answered HTTP {raw.status}", detail=detail
            )
        try:
            doc = decode(raw.body, self._output)
            raise_for_status(doc, write=write)
        except (BadResponse, BackendUnavailable) as exc:
            if write:
                raise self._lost(True, exc.message) from None
            raise
        return doc

    @staticmethod
    def _lost(write: bool, detail: str) -> BackendError:
        if write:
            return OutcomeUnknown(
                BACKEND,
                f"{BACKEND}'s answer was lost or unreadable; the operation may or may not have "
                "gone through",
                detail=detail,
            )
        return BackendUnavailable(BACKEND, f"{BACKEND} cannot be reached", detail=detail)

    # --- cached catalogue -----------------------------------------------------------------------

    async def _campaign_catalogue(self, *, refresh: bool = False) -> dict[str, CampaignInfo]:
        """``campaigns_list``, cached: campaigns change rarely, lookups happen all day."""
        cached = self._catalogue
        if not refresh and cached is not None and cached.expires > self._clock():
            return cached.value
        async with self._catalogue_lock:
            cached = self._catalogue
            if not refresh and cached is not None and cached.expires > self._clock():
                return cached.value
            doc = await self._post("campaigns_list", {}, write=False)
            campaigns = parse_campaigns(doc)
            self._catalogue = _Cached(campaigns, self._clock() + self._cache_ttl)
            return campaigns

    async def campaign_names(self) -> dict[str, str]:
        """Each listed campaign's name by id (cached): managers know campaigns by name."""
        catalogue = await self._campaign_catalogue()
        return {cid: info.name.strip() for cid, info in catalogue.items() if info.name.strip()}

    async def campaign_rewards(self, campaign_id: str) -> list[PointsReward]:
        """Every reward of a points or events campaign (cached), with the id ``redeem`` takes."""
        campaign_id = _field(campaign_id, "campaign id")
        cached = self._rewards.get(campaign_id)
        if cached is not None and cached.expires > self._clock():
            return list(cached.value)
        doc = await self._post("campaign_rewards", {"campaign_id": campaign_id}, write=False)
        rewards = parse_campaign_rewards(doc, campaign_id)
        self._rewards[campaign_id] = _Cached(rewards, self._clock() + self._cache_ttl)
        return list(rewards)

    async def _campaign(self, code: str, campaign_id: str) -> CampaignInfo:
        """The campaign's type and currency, needed before building a write (reference §6.11).

        A campaign the API user may not list is typed from the customer's balance instead.
        """
        info = (await self._campaign_catalogue()).get(campaign_id)
        if info is not None and info.type is not CampaignType.UNKNOWN:
            return info
        balance = (await self.history(code, campaign_id, transactions=0)).balance
        if balance.type is CampaignType.UNKNOWN:
            raise InvalidRequest(
                BACKEND, f"{BACKEND} campaign {campaign_id} is of an unknown type; not touching it"
            )
        currency = balance.money.currency if balance.money else None
        return CampaignInfo(
            id=campaign_id,
            name=balance.name,
            type=balance.type,
            type_raw=balance.type_raw,
            currency=currency,
        )

    # --- reads ------------------------------------------------------------------------------------

    async def find_accounts(self, code: str) -> list[PointsAccount]:
        """The customer with that card number, else that customer code; [] when neither."""
        scanned = normalize_code(code)
        if not scanned or len(scanned) > MAX_CODE_LENGTH:
            return []
        narrow = {"campaign_id": self._restrict[0]} if len(self._restrict) == 1 else {}
        entries: tuple[CustomerEntry, ...] = ()
        for key in ("card_number", "code"):
            try:
                doc = await self._post("customer_info", {key: scanned, **narrow}, write=False)
            except NotFound:
                continue
            entries = parse_customer_info(doc)
            if entries:
                break
        if not entries:
            log.info("ClientToolbox lookup %s: no customer", mask(scanned))
            return []
        catalogue: dict[str, CampaignInfo] = {}
        if needs_catalogue(entries, self._restrict):
            catalogue = await self._campaign_catalogue()
        wanted = reward_lookups_needed(entries, catalogue, self._restrict)
        fetched = await asyncio.gather(*(self.campaign_rewards(cid) for cid in wanted))
        rewards = dict(zip(wanted, fetched, strict=True))
        accounts = [
            build_account(
                entry,
                catalogue=catalogue,
                currency=self._currency,
                rewards=rewards,
                restrict=self._restrict,
            )
            for entry in entries
        ]
        log.info(
            "ClientToolbox lookup %s: %d customer(s), %d campaign balance(s)",
            mask(scanned),
            len(accounts),
            sum(len(account.balances) for account in accounts),
        )
        return accounts

    async def history(
        self, code: str, campaign_id: str, *, transactions: int | None = 20
    ) -> PointsHistory:
        """``customer_balance``: the balance and the last ``transactions`` lines (None = all)."""
        code = _field(code, "customer code")
        campaign_id = _field(campaign_id, "campaign id")
        fields = {"campaign_id": campaign_id, "code": code}
        if transactions is not None:
            if isinstance(transactions, bool) or transactions < 0:
                raise InvalidRequest(BACKEND, "The number of transactions must be 0 or more")
            fields["transactions_number"] = str(transactions)
        doc, catalogue = await asyncio.gather(
            self._post("customer_balance", fields, write=False), self._campaign_catalogue()
        )
        result = parse_history(
            doc, campaign_id=campaign_id, code=code, catalogue=catalogue, currency=self._currency
        )
        log.info(
            "ClientToolbox history %s campaign %s: %d line(s)",
            mask(code),
            campaign_id,
            len(result.transactions),
        )
        return result

    async def balances_report(
        self, campaign_id: str, *, coalition: str | None = None, offset: int = 0, limit: int = 100
    ) -> BalancesReportPage:
        """One page of ``reports/customers_balances`` (no total exists: a short page ends it)."""
        campaign_id = _field(campaign_id, "campaign id")
        if isinstance(offset, bool) or offset < 0:
            raise InvalidRequest(BACKEND, "The report offset must be 0 or more")
        if isinstance(limit, bool) or not 1 <= limit <= MAX_REPORT_LIMIT:
            raise InvalidRequest(BACKEND, f"The report page size must be 1 to {MAX_REPORT_LIMIT}")
        fields = {
            "report": "customers_balances",
            "campaign_id": campaign_id,
            "offset": str(offset),
            "limit": str(limit),
        }
        if coalition is not None:
            if coalition not in COALITIONS:
                raise InvalidRequest(BACKEND, "The coalition must be 'points' or 'storedvalue'")
            fields["coalition_balance"] = COALITIONS[coalition]
        catalogue = await self._campaign_catalogue()
        doc = await self._post("reports", fields, write=False, max_body=MAX_BODY_REPORT)
        page = parse_balances_report(
            doc,
            campaign=catalogue.get(campaign_id),
            currency=self._currency,
            offset=offset,
            limit=limit,
        )
        log.info(
            "ClientToolbox balances report campaign %s offset %d: %d row(s)",
            campaign_id,
            offset,
            len(page.rows),
        )
        return page

    async def iter_balances(
        self, campaign_id: str, coalition: str | None = None, page_size: int = 100
    ) -> AsyncIterator[BalancesReportRow]:
        """Every row of the report, page by page until a short page; each customer once."""
        offset = 0
        seen: set[str] = set()
        while True:
            page = await self.balances_report(
                campaign_id, coalition=coalition, offset=offset, limit=page_size
            )
            fresh = [row for row in page.rows if row.code not in seen]
            if page.rows and not fresh:
                raise BadResponse(BACKEND, f"{BACKEND}'s report pages do not advance")
            for row in fresh:
                seen.add(row.code)
                yield row
            if page.is_last:
                return
            offset += len(page.rows)

    # --- writes (never retried) ------------------------------------------------------------------

    async def _write(
        self, kind: str, code: str, fields: Mapping[str, str], authorization: str | None
    ) -> PointsActivity:
        try:
            doc = await self._post(kind, fields, write=True)
        except BackendError as exc:
            log.info(
                "ClientToolbox %s %s ref %s: %s",
                kind,
                mask(code),
                authorization,
                type(exc).__name__,
            )
            raise
        try:
            activity = parse_receipt(doc, authorization=authorization)
        except BackendError:
            activity = PointsActivity(transaction_id=None, authorization=authorization)
        log.info(
            "ClientToolbox %s %s ref %s: applied, transaction %s",
            kind,
            mask(code),
            authorization,
            activity.transaction_id,
        )
        return activity

    @staticmethod
    def _check_amount(amount: Money, info: CampaignInfo, till_currency: str) -> None:
        if not isinstance(amount, Money) or not amount.is_positive:
            raise InvalidRequest(BACKEND, "The amount must be more than zero")
        unit = info.currency or till_currency
        if info.type.holds_money and amount.currency != unit:
            raise InvalidRequest(
                BACKEND,
                f"{info.name or 'This campaign'} holds {unit}, not {amount.currency}; "
                "the till never converts",
            )

    async def record_activity(
        self, code: str, campaign_id: str, *, amount: Money | None, authorization: str
    ) -> PointsActivity:
        """Earn points, a visit or stored value (a gift-card load needs ``amount``)."""
        code = _field(code, "customer code")
        campaign_id = _field(campaign_id, "campaign id")
        auth = _field(authorization, "authorization", MAX_AUTHORIZATION)
        info = await self._campaign(code, campaign_id)
        fields = {"campaign_id": campaign_id, "code": code, "authorization": auth}
        if amount is not None:
            self._check_amount(amount, info, self._currency)
            fields["amount"] = amount.to_api()
        elif info.type is CampaignType.GIFTCARD:
            raise InvalidRequest(BACKEND, "Loading a gift card needs an amount")
        return await self._write("record_activity", code, fields, auth)

    async def redeem_amount(
        self, code: str, campaign_id: str, amount: Money, *, authorization: str
    ) -> PointsActivity:
        """Spend stored value (giftcard / earned): ``reward_to_redeem`` is the amount."""
        code = _field(code, "customer code")
        campaign_id = _field(campaign_id, "campaign id")
        auth = _field(authorization, "authorization", MAX_AUTHORIZATION)
        info = await self._campaign(code, campaign_id)
        if not info.type.holds_money:
            raise InvalidRequest(
                BACKEND,
                f"{info.name or 'This campaign'} holds {info.type.value}, not money: "
                "redeem a reward instead",
            )
        self._check_amount(amount, info, self._currency)
        fields = {
            "campaign_id": campaign_id,
            "code": code,
            "reward_to_redeem": amount.to_api(),
            "authorization": auth,
        }
        return await self._write("redeem", code, fields, auth)

    async def redeem_reward(
        self, code: str, campaign_id: str, reward_id: str, *, authorization: str
    ) -> PointsActivity:
        """Spend points or visits on a reward: ``reward_to_redeem`` is the reward's ``<id>``."""
        code = _field(code, "customer code")
        campaign_id = _field(campaign_id, "campaign id")
        reward_id = _field(reward_id, "reward id")
        auth = _field(authorization, "authorization", MAX_AUTHORIZATION)
        info = await self._campaign(code, campaign_id)
        if info.type not in _REWARD_TYPES:
            raise InvalidRequest(
                BACKEND,
                f"{info.name or 'This campaign'} ({info.type.value}) has no rewards to redeem "
                "at the till",
            )
        fields = {
            "campaign_id": campaign_id,
            "code": code,
            "reward_to_redeem": reward_id,
            "authorization": auth,
        }
        return await self._write("redeem", code, fields, auth)

    async def delete_transaction(
        self, code: str, campaign_id: str, transaction_id: str
    ) -> PointsActivity:
        """Void one transaction; a deleted line disappears from the history."""
        code = _field(code, "customer code")
        campaign_id = _field(campaign_id, "campaign id")
        transaction_id = _field(transaction_id, "transaction id")
        fields = {"campaign_id": campaign_id, "code": code, "transaction_id": transaction_id}
        await self._write("transaction_delete", code, fields, None)
        return PointsActivity(transaction_id=transaction_id, authorization=None)
