"""ClientToolbox (Sticky Street / Loyalty Gator) emulator: one form-POST endpoint, XML or JSON.

Mounted at ``/clienttoolbox``; ``POST /`` and ``POST /api.php`` (GET with a query string too)
dispatch on the ``type`` field like the real service. Types: customer_info, customer_search,
customer_find (alias find_customer), customer_exists, validate_customer_password,
record_customer (new/register/edit), customer_balance (alias balance), record_activity, redeem,
transaction_delete, campaigns_list, campaign_rewards, campaign_promos, reports
(customers_balances, audit_totals, coalition_points, coalition_stored_value).
Behaviour follows ``shared/api/clienttoolbox.md``; where the reference has gaps this emulator
chooses (new records are time-stamped in UTC, the clock ``Sandbox.today`` comes from):

* ``customer_info``: ``response/customer/{profile…, campaigns/campaign*/{id, name, type,
  balance, currency, glyph, rewards/reward*/{id, level, description}}}``; ``rewards`` lists only
  rewards redeemable now (level <= balance) and is absent for money campaigns. Without
  ``campaign_id`` only the campaigns the customer belongs to are listed.
* ``customer_search`` / ``customer_find`` with no match: ``status="error"``, "No customers found".
* ``customer_balance``: transactions newest first; ``amount`` is always positive and
  ``redeemed`` (Y/N) gives the direction; deleted transactions disappear from the history.
* ``record_activity``: points = floor(amount x ``points_ratio``) (a missing amount counts as 1),
  then the promo (x or +); events add 1 visit; earned adds ``earned_per_event``. The receipt is
  ``receipt/{agency/{name,email}, transaction_id, campaign_id, code, card_number, date, amount,
  authorization}`` and deliberately carries no balance (re-query it, as the docs advise).
* ``redeem`` never applies partially: more than the balance is an error and changes nothing.
  Points redeem fields add up (points + ceil(dollars / ``reward_ratio``) + reward level).
* ``transaction_delete`` reverses the transaction even if that leaves a negative balance.
* ``reports/customers_balances`` with ``coalition_balance`` lists the members of the requested
  campaign, with earned/redeemed/balance summed over the non-opt-out campaigns of that type
  (points for ``coalition_points``, giftcard for ``coalition_storedvalue``); asking it for an
  opt-out campaign or a campaign of the other type is an error.
* ``callback`` always produces JSONP (it implies JSON output).
* JSON: ``status`` first, all values strings, wrappers of repeated elements collapsed to arrays
  (``campaigns``, ``rewards``, ``transactions``), top-level repeats named ``customers`` /
  ``campaigns``. ``single_json_object=True`` emulates XML-to-JSON converters (one match -> object).

Ledger: every applied change is recorded with ``card`` = customer code, ``reference`` = the
request's ``authorization`` (None when empty) and ``amount`` = the absolute size of the change in
the campaign's unit (money for giftcard/earned, points for points, visits for events).
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request, Response

from pos_app.sandbox import clienttoolbox_ops as ops
from pos_app.sandbox.clienttoolbox_model import (
    ZERO,
    Account,
    Campaign,
    Customer,
    Transaction,
)
from pos_app.sandbox.clienttoolbox_render import (
    Reply,
    error,
    render_json,
    render_xml,
    valid_callback,
)
from pos_app.sandbox.clienttoolbox_seed import (
    ACCOUNT_ID,
    AGENCY_EMAIL,
    AGENCY_NAME,
    USER_ID,
    build_world,
)

if TYPE_CHECKING:
    from pos_app.sandbox.state import Sandbox

log = logging.getLogger(__name__)

INTERNAL_ERROR = "Internal error, please try again"
XML_TYPE = "text/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"
JSONP_TYPE = "application/javascript; charset=utf-8"


class ClientToolboxData:
    """The emulated account: campaigns, customers, balances and transaction history.

    ``raw_ampersands`` and ``single_json_object`` switch on documented quirks so clients can
    test their defences; both are off after every reset.
    """

    def __init__(self, seed: int, today: date) -> None:
        world = build_world(seed, today)
        self.today = today
        self.account_id = ACCOUNT_ID
        self.user_id = USER_ID
        self.api_key = world.api_key
        self.seed = seed
        self.key_generation = 0
        self.agency_name = AGENCY_NAME
        self.agency_email = AGENCY_EMAIL
        self.campaigns: dict[str, Campaign] = world.campaigns
        self.customers: dict[str, Customer] = world.customers
        self.by_card: dict[str, str] = {c.card_number: c.code for c in world.customers.values()}
        self.accounts: dict[tuple[str, str], Account] = world.accounts
        self.transactions: dict[str, Transaction] = world.transactions
        self.members: dict[str, list[str]] = world.members
        self.next_transaction_id = world.next_transaction_id
        self.rng = random.Random(f"clienttoolbox-runtime:{seed}")
        self.lock = threading.RLock()
        self.raw_ampersands = False
        self.single_json_object = False

    @classmethod
    def seeded(cls, seed: int, today: date) -> ClientToolboxData:
        return cls(seed, today)

    def expire_tokens(self) -> None:
        """API keys do not expire on this platform, so there is nothing to invalidate."""
        return None

    def rotate_api_key(self) -> None:
        """A new key, as the owner would make in the control panel: the old one is refused.

        Keys never expire by themselves, so this is how a till's stored key goes bad
        mid-session; ``seed_summary()["api_key"]`` reports the new one.
        """
        with self.lock:
            self.key_generation += 1
            seed = f"clienttoolbox:{self.seed}:{self.key_generation}".encode()
            self.api_key = hashlib.sha256(seed).hexdigest()[:18]

    def seed_summary(self) -> dict[str, Any]:
        rows = [
            {
                "code": code,
                "card_number": self.customers[code].card_number,
                "campaign_id": cid,
                "balance": self.campaigns[cid].fmt(self.accounts[(code, cid)].balance),
                "campaign_type": self.campaigns[cid].type,
                "first_name": self.customers[code].first_name,
                "last_name": self.customers[code].last_name,
            }
            for cid, codes in self.members.items()
            for code in codes
        ]
        return {
            "account_id": self.account_id,
            "user_id": self.user_id,
            "api_key": self.api_key,
            "campaigns": [
                {
                    "campaign_id": c.id,
                    "type": c.type,
                    "name": c.name,
                    "currency": c.currency,
                    "opt_out": c.opt_out,
                }
                for c in self.campaigns.values()
            ],
            "customers": rows,
        }

    def balance(self, code: str, campaign_id: str) -> Decimal:
        account = self.accounts.get((code, campaign_id))
        return ZERO if account is None else account.balance

    def account(self, code: str, campaign_id: str) -> Account:
        """The customer's account in a campaign, opened on first use (first activity joins)."""
        account = self.accounts.get((code, campaign_id))
        if account is None:
            account = self.accounts[(code, campaign_id)] = Account(code, campaign_id)
            self.members[campaign_id].append(code)
        return account

    def now(self) -> datetime:
        """Time stamp for new records: UTC, the clock ``Sandbox.today`` is taken from."""
        return datetime.now(UTC).replace(tzinfo=None, microsecond=0)

    def add_transaction(
        self,
        code: str,
        campaign_id: str,
        *,
        redeemed: bool,
        amount: Decimal,
        authorization: str,
        user_name: str,
        reward_id: str = "",
    ) -> Transaction:
        tx = Transaction(
            id=str(self.next_transaction_id),
            campaign_id=campaign_id,
            code=code,
            timestamp=self.now(),
            redeemed=redeemed,
            amount=amount,
            authorization=authorization,
            user_name=user_name,
            reward_id=reward_id,
        )
        self.next_transaction_id += 1
        self.transactions[tx.id] = tx
        account = self.account(code, campaign_id)
        account.transactions.append(tx)
        account.apply(tx)
        return tx

    def delete_transaction(self, tx: Transaction) -> None:
        account = self.account(tx.code, tx.campaign_id)
        account.transactions.remove(tx)
        account.apply(tx, -1)
        tx.deleted = True


async def _read_fields(request: Request) -> dict[str, str]:
    """Query string, then form body (later repeats win, like PHP's ``$_REQUEST``)."""
    fields = dict(request.query_params.items())
    content_type = request.headers.get("content-type", "").lower()
    if request.method == "POST" and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        async with request.form() as form:
            for key, value in form.multi_items():
                if isinstance(value, str):
                    fields[key] = value
    return fields


def _render(data: ClientToolboxData, reply: Reply, fields: dict[str, str]) -> Response:
    callback = fields.get("callback", "").strip()
    condensed = fields.get("condensed", "").strip().lower() in {"yes", "y", "true", "1"}
    if callback and not valid_callback(callback):
        reply, callback = error("Invalid callback name"), ""
        fields = {**fields, "output": "JSON"}
    if callback:
        body = render_json(
            reply, condensed=condensed, callback=callback, single_as_object=data.single_json_object
        )
        return Response(body, media_type=JSONP_TYPE)
    if fields.get("output", "").strip().upper() == "JSON":
        body = render_json(reply, condensed=condensed, single_as_object=data.single_json_object)
        return Response(body, media_type=JSON_TYPE)
    return Response(render_xml(reply, raw_ampersands=data.raw_ampersands), media_type=XML_TYPE)


def create_app(sandbox: Sandbox) -> FastAPI:
    """The single dispatching endpoint; ``sandbox.clienttoolbox`` is looked up per request."""
    app = FastAPI(title="ClientToolbox emulator", docs_url=None, redoc_url=None, openapi_url=None)

    async def api(request: Request) -> Response:
        data = sandbox.clienttoolbox
        try:
            fields = await _read_fields(request)
        except Exception:  # a malformed body is the client's problem, never a 500
            fields = dict(request.query_params.items())
            return _render(data, error("Malformed form data"), fields)
        header_key = request.headers.get("api_access_key")
        try:
            with data.lock:
                reply = ops.handle(data, sandbox.ledger, fields, header_key)
        except Exception:
            log.exception("clienttoolbox emulator failed on type=%r", fields.get("type"))
            reply = error(INTERNAL_ERROR)
        return _render(data, reply, fields)

    for path in ("/", "/api.php"):
        app.add_api_route(path, api, methods=["GET", "POST"], include_in_schema=False)
    return app
