"""The ClientToolbox ``type`` handlers: validate everything first, then mutate, then answer.

Each handler raises ``InputError`` for anything the real API would refuse; ``handle`` turns that
into ``<response status="error">`` so a request can never half-apply.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from pos_app.sandbox.clienttoolbox_model import (
    ALL_TYPE_NAMES,
    ONE,
    ZERO,
    Campaign,
    Customer,
    InputError,
    Reward,
    Transaction,
    ceil_int,
    floor_int,
    fmt_count,
    fmt_grouped,
    fmt_money,
    fmt_timestamp,
    fmt_trimmed,
    parse_iso_date,
    parse_money,
    parse_whole,
)
from pos_app.sandbox.clienttoolbox_render import Payload, Reply, error

if TYPE_CHECKING:
    from pos_app.sandbox.clienttoolbox import ClientToolboxData
    from pos_app.sandbox.ledger import Ledger

API = "clienttoolbox"
MAX_AUTHORIZATION = 255
PROFILE_INPUTS = (
    "first_name", "last_name", "phone", "email", "street1", "street2", "city", "state",
    "postal_code", "country", "custom_field", "customer_username", "customer_password",
)  # fmt: skip
SEARCH_FIELDS = (
    "card_number", "first_name", "last_name", "phone", "email", "city", "state", "postal_code",
    "custom_date", "custom_field", "customer_username", "customer_password", "customer_PIN",
)  # fmt: skip
TYPE_LETTER = {"points": "P", "giftcard": "G", "events": "E", "earned": "T"}
COALITIONS = {"coalition_points": "points", "coalition_storedvalue": "giftcard"}
TOTALS_COALITIONS = {"coalition_points": "points", "coalition_stored_value": "giftcard"}


def _shown(value: str, limit: int = 60) -> str:
    """Echo user input in a message without letting a huge value bloat the response."""
    return value if len(value) <= limit else value[:limit] + "…"


@dataclass
class Ctx:
    data: ClientToolboxData
    ledger: Ledger
    fields: dict[str, str]

    def get(self, name: str) -> str:
        return self.fields.get(name, "").strip()

    def require(self, name: str) -> str:
        value = self.get(name)
        if not value:
            raise InputError(f"Missing required field: {name}")
        return value

    def flag(self, name: str) -> bool:
        return self.get(name).lower() in {"y", "yes", "true", "1"}

    def campaign(self, required: bool = True) -> Campaign | None:
        campaign_id = self.require("campaign_id") if required else self.get("campaign_id")
        if not campaign_id:
            return None
        campaign = self.data.campaigns.get(campaign_id)
        if campaign is None:
            raise InputError(f"Invalid campaign_id: {_shown(campaign_id)}")
        return campaign

    def the_campaign(self) -> Campaign:
        campaign = self.campaign(required=True)
        assert campaign is not None
        return campaign

    def customer(self, *, card_allowed: bool = True) -> Customer:
        code = self.get("code")
        card = self.get("card_number") if card_allowed else ""
        if not code and not card:
            raise InputError(
                "Missing required field: code or card_number" if card_allowed else
                "Missing required field: code"
            )  # fmt: skip
        by_code = self.data.customers.get(code) if code else None
        if code and by_code is None:
            raise InputError(f"Customer not found: code {_shown(code)}")
        if card:
            by_card = self.data.by_card.get(card)
            if by_card is None:
                raise InputError(f"Customer not found: card_number {_shown(card)}")
            if by_code is not None and by_code.code != by_card:
                raise InputError("code and card_number belong to different customers")
            return self.data.customers[by_card]
        assert by_code is not None
        return by_code

    def authorization(self) -> str:
        value = self.get("authorization")
        if len(value) > MAX_AUTHORIZATION:
            raise InputError(f"authorization is too long (max {MAX_AUTHORIZATION} characters)")
        return value

    def offset_limit(self, limit_name: str = "limit") -> tuple[int, int | None]:
        offset_text, limit_text = self.get("offset"), self.get(limit_name)
        if offset_text and not (offset_text.isascii() and offset_text.isdigit()):
            raise InputError("Invalid offset: must be a whole number >= 0")
        if limit_text and not (limit_text.isascii() and limit_text.isdigit() and int(limit_text)):
            raise InputError(f"Invalid {limit_name}: must be a whole number > 0")
        offset = int(offset_text) if offset_text else 0
        return offset, int(limit_text) if limit_text else None


def authenticate(data: ClientToolboxData, fields: dict[str, str], header: str | None) -> str:
    """'' when the caller may proceed, else the error text; the header key wins over the body."""
    user_id = fields.get("user_id", "").strip()
    if not user_id:
        return "Missing required field: user_id"
    if header is not None:
        key = header.strip()
    else:
        key = (fields.get("user_api_key") or fields.get("user_password") or "").strip()
        if not key:
            return "Missing required field: user_password"
    key_ok = hmac.compare_digest(key.encode(), data.api_key.encode())
    if user_id != data.user_id or not key_ok:
        return "Invalid user_id or API key"
    account_id = fields.get("account_id", "").strip()
    if not account_id:
        return "Missing required field: account_id"
    if account_id != data.account_id:
        return "Invalid account_id"
    return ""


def handle(
    data: ClientToolboxData, ledger: Ledger, fields: dict[str, str], header: str | None
) -> Reply:
    problem = authenticate(data, fields, header)
    if problem:
        return error(problem)
    ctx = Ctx(data, ledger, fields)
    try:
        kind = ctx.require("type")
        handler = HANDLERS.get(kind)
        if handler is None:
            raise InputError(f"Unknown type: {_shown(kind)}")
        return handler(ctx)
    except InputError as exc:
        return error(str(exc))


# --- payload pieces -------------------------------------------------------------------------


def profile(c: Customer, *, hide_custom_field: bool = False) -> Payload:
    payload: Payload = {
        "code": c.code,
        "card_number": c.card_number,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "phone": c.phone,
        "email": c.email,
        "street1": c.street1,
        "street2": c.street2,
        "city": c.city,
        "state": c.state,
        "postal_code": c.postal_code,
        "country": c.country,
        "custom_date": c.custom_date.isoformat() if c.custom_date else "",
        "custom_field": c.custom_field,
        "customer_username": c.customer_username,
        "registered": "Y" if c.registered else "N",
        "record_timestamp": fmt_timestamp(c.record_timestamp),
    }
    if hide_custom_field:
        del payload["custom_field"]
    return payload


def reward_payload(r: Reward) -> Payload:
    return {"id": r.id, "level": fmt_count(r.level), "description": r.description}


def balances(data: ClientToolboxData, c: Customer, only: Campaign | None) -> Payload:
    campaigns = (
        [only]
        if only
        else [camp for cid, camp in data.campaigns.items() if (c.code, cid) in data.accounts]
    )
    items: list[Payload] = []
    for camp in campaigns:
        balance = data.balance(c.code, camp.id)
        item: Payload = {
            "id": camp.id,
            "name": camp.name,
            "type": camp.type,
            "balance": camp.fmt(balance),
            "currency": camp.currency,
            "glyph": camp.glyph,
        }
        if not camp.is_money:
            available = [reward_payload(r) for r in camp.rewards if r.level <= balance]
            item["rewards"] = {"reward": available}
        items.append(item)
    return {"campaign": items}


def with_balances(data: ClientToolboxData, c: Customer, only: Campaign | None) -> Payload:
    return {**profile(c), "campaigns": balances(data, c, only)}


def receipt(data: ClientToolboxData, tx: Transaction, camp: Campaign) -> Payload:
    c = data.customers[tx.code]
    return {
        "receipt": {
            "agency": {"name": data.agency_name, "email": data.agency_email},
            "transaction_id": tx.id,
            "campaign_id": camp.id,
            "code": c.code,
            "card_number": c.card_number,
            "date": fmt_timestamp(tx.timestamp),
            "amount": camp.fmt(tx.amount),
            "authorization": tx.authorization,
        }
    }


def customers_reply(data: ClientToolboxData, found: list[Customer], with_bal: bool) -> Reply:
    if not found:
        raise InputError("No customers found")
    rows = [with_balances(data, c, None) if with_bal else profile(c) for c in found]
    return Reply("success", {"customer": rows}, json_keys={"customer": "customers"})


# --- customers --------------------------------------------------------------------------------


def customer_info(ctx: Ctx) -> Reply:
    customer = ctx.customer()
    only = ctx.campaign(required=False)
    payload = profile(customer, hide_custom_field=ctx.flag("hide_custom_field"))
    if ctx.get("include_balances").upper() not in {"N", "NO"}:
        payload["campaigns"] = balances(ctx.data, customer, only)
    return Reply("success", {"customer": payload})


def _customer_text(c: Customer, name: str) -> str:
    if name == "custom_date":
        return c.custom_date.isoformat() if c.custom_date else ""
    if name == "customer_PIN":
        return c.customer_pin
    return str(getattr(c, name))


def customer_search(ctx: Ctx) -> Reply:
    criteria = {name: ctx.get(name) for name in SEARCH_FIELDS if ctx.get(name)}
    mode = ctx.get("exact_match").lower()

    def matches(c: Customer) -> bool:
        for name, wanted in criteria.items():
            have = _customer_text(c, name)
            if mode == "sensitive":
                ok = have == wanted
            elif mode == "insensitive":
                ok = have.casefold() == wanted.casefold()
            else:
                ok = wanted.casefold() in have.casefold()
            if not ok:
                return False
        return True

    found = [c for c in ctx.data.customers.values() if matches(c)]
    return customers_reply(ctx.data, found, ctx.flag("include_balances"))


def customer_find(ctx: Ctx) -> Reply:
    """Free text: a comma separates alternatives (OR), a space separates terms (AND)."""
    query = ctx.require("find_customer").casefold()
    groups = [group.split() for group in query.split(",") if group.split()]

    def haystack(c: Customer) -> str:
        return " ".join(str(v) for v in profile(c).values()).casefold()

    found = [
        c
        for c in ctx.data.customers.values()
        if any(all(term in haystack(c) for term in group) for group in groups)
    ]
    return customers_reply(ctx.data, found, ctx.flag("include_balances"))


def customer_exists(ctx: Ctx) -> Reply:
    wanted = {
        name: ctx.get(name)
        for name in ("card_number", "code", "customer_username", "email")
        if ctx.get(name)
    }
    if not wanted:
        raise InputError("Missing required field: card_number, code, customer_username or email")
    for c in ctx.data.customers.values():
        if all(
            (_customer_text(c, k).casefold() == v.casefold())
            if k == "email"
            else _customer_text(c, k) == v
            for k, v in wanted.items()
        ):
            return Reply("success", {"message": "Customer exists"})
    return Reply("no_match", {"message": "No customer matches the values given"})


def validate_customer_password(ctx: Ctx) -> Reply:
    ids = {k: ctx.get(k) for k in ("card_number", "code", "customer_username") if ctx.get(k)}
    secrets = {k: ctx.get(k) for k in ("customer_password", "customer_PIN") if ctx.get(k)}
    if not ids:
        raise InputError("Missing required field: card_number, code or customer_username")
    if not secrets:
        raise InputError("Missing required field: customer_password or customer_PIN")
    checks = {**ids, **secrets, **({"phone": ctx.get("phone")} if ctx.get("phone") else {})}
    for c in ctx.data.customers.values():
        if all(_customer_text(c, k) == v for k, v in checks.items()):
            return Reply("success")
    raise InputError("Invalid customer credentials")


def record_customer(ctx: Ctx) -> Reply:
    """``customer_action=new|register|edit``: create, activate a pre-printed card, or update."""
    data = ctx.data
    action = ctx.require("customer_action").lower()
    if action not in {"new", "register", "edit"}:
        raise InputError(f"Invalid customer_action: {_shown(action)}")
    campaign_ids = [cid.strip() for cid in ctx.get("campaign_id").split(",") if cid.strip()]
    for cid in campaign_ids:
        if cid not in data.campaigns:
            raise InputError(f"Invalid campaign_id: {_shown(cid)}")
    if ctx.get("custom_date"):
        parse_iso_date(ctx.get("custom_date"), "custom_date")
    if action == "register":
        customer = data.customers.get(data.by_card.get(ctx.require("card_number"), ""))
        if customer is None:
            raise InputError("Card number not found")
        if customer.registered:
            raise InputError("Card already registered")
        customer.registered = True
    elif action == "edit" and (customer := _edit_target(ctx)) is not None:
        card = ctx.get("card_number")
        if card and card != customer.card_number:
            _check_id(card, "card_number")
            if card in data.by_card:
                raise InputError("Card number already in use")
            data.by_card.pop(customer.card_number, None)
            customer.card_number = card
            data.by_card[card] = customer.code
    else:
        customer = _new_customer(ctx, use_code=action == "new")
    _apply_profile(ctx, customer)
    for cid in campaign_ids:
        data.account(customer.code, cid)
    return Reply(
        "success", {"customer": {"code": customer.code, "card_number": customer.card_number}}
    )


def _edit_target(ctx: Ctx) -> Customer | None:
    """``code`` picks the customer; with only ``card_number`` sent, the card is matched."""
    code, card = ctx.get("code"), ctx.get("card_number")
    if code:
        return ctx.data.customers.get(code)
    return ctx.data.customers.get(ctx.data.by_card.get(card, "")) if card else None


def _check_id(value: str, name: str) -> None:
    if not value.isascii() or not value.isalnum() or len(value) > 32:
        raise InputError(f"Invalid {name}")


def _new_customer(ctx: Ctx, *, use_code: bool) -> Customer:
    """``new`` keeps the given code (else the card number); ``edit`` generates 16 digits."""
    data = ctx.data
    card = ctx.get("card_number")
    digits = ctx.get("card_number_generate")
    if not card and digits:
        if not (digits.isascii() and digits.isdigit() and 6 <= int(digits) <= 19):
            raise InputError("Invalid card_number_generate: 6 to 19 digits")
        card = _unused(data, int(digits), data.by_card)
    if card:
        _check_id(card, "card_number")
    if card in data.by_card:
        raise InputError("Card number already in use")
    code = ctx.get("code") if use_code else ""
    if code in data.customers:
        raise InputError("Code already in use")
    if code:
        _check_id(code, "code")
    code = code or (card if use_code else "") or _unused(data, 16, data.customers)
    if code in data.customers:
        code = _unused(data, 16, data.customers)
    customer = Customer(
        code, card, "", "", "", "", "", "", "", "", "", "", None, "", "", "", "", True,
        record_timestamp=data.now(),
    )  # fmt: skip
    data.customers[code] = customer
    if card:
        data.by_card[card] = code
    return customer


def _unused(
    data: ClientToolboxData, digits: int, taken: dict[str, str] | dict[str, Customer]
) -> str:
    while True:
        text = str(data.rng.randrange(10 ** (digits - 1), 10**digits))
        if text not in taken:
            return text


def _apply_profile(ctx: Ctx, c: Customer) -> None:
    for name in PROFILE_INPUTS:
        if ctx.get(name):
            setattr(c, name, ctx.get(name))
    if ctx.get("customer_PIN"):
        c.customer_pin = ctx.get("customer_PIN")
    if ctx.get("custom_date"):
        c.custom_date = parse_iso_date(ctx.get("custom_date"), "custom_date")


# --- balances and transactions ------------------------------------------------------------------


def customer_balance(ctx: Ctx) -> Reply:
    camp = ctx.the_campaign()
    customer = ctx.customer()
    wanted = ctx.get("transactions_number").lower()
    if wanted and wanted != "all" and not (wanted.isascii() and wanted.isdigit()):
        raise InputError("Invalid transactions_number: use 0, a count, or leave it out")
    account = ctx.data.accounts.get((customer.code, camp.id))
    history = list(reversed(account.transactions)) if account else []
    if wanted and wanted != "all":
        history = history[: int(wanted)]
    payload: Payload = {
        "code": customer.code,
        "card_number": customer.card_number,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "balance": camp.fmt(ctx.data.balance(customer.code, camp.id)),
    }
    if wanted != "0":
        payload["transactions"] = {
            "transaction": [
                {
                    "id": t.id,
                    "date": t.timestamp.date().isoformat(),
                    "record_timestamp": fmt_timestamp(t.timestamp),
                    "user_name": t.user_name,
                    "redeemed": "Y" if t.redeemed else "N",
                    "amount": camp.fmt(t.amount),
                    "authorization": t.authorization,
                }
                for t in history
            ]
        }
    campaign = {
        "campaign_id": camp.id,
        "campaign_name": camp.name,
        "campaign_type": camp.type,
        "customer": payload,
    }
    return Reply("success", {"campaign": campaign})


def record_activity(ctx: Ctx) -> Reply:
    camp = ctx.the_campaign()
    customer = ctx.customer()
    auth = ctx.authorization()
    amount_text = ctx.get("amount")
    if camp.type == "giftcard":
        value = parse_money(ctx.require("amount"), "amount")
    elif camp.type == "points":
        sale = parse_money(amount_text, "amount") if amount_text else ONE
        value = floor_int(sale * (camp.points_ratio or ONE))
        promo_id = ctx.get("promo_id")
        if promo_id:
            promo = camp.promo(promo_id)
            if promo is None:
                raise InputError(f"Invalid promo_id: {_shown(promo_id)}")
            value = floor_int(value * promo.value) if promo.operand == "x" else value + promo.value
    elif camp.type == "events":
        value = ONE
    else:
        value = camp.earned_per_event or ZERO
    tx = ctx.data.add_transaction(
        customer.code,
        camp.id,
        redeemed=False,
        amount=value,
        authorization=auth,
        user_name=ctx.data.user_id,
    )
    ctx.ledger.record(API, "record_activity", customer.code, amount=value, reference=auth or None)
    return Reply("success", receipt(ctx.data, tx, camp))


def _points_to_redeem(ctx: Ctx, camp: Campaign) -> tuple[Decimal, str]:
    points, reward_id = ZERO, ""
    sent = False
    if ctx.get("custom_points_redeem"):
        points += parse_whole(ctx.get("custom_points_redeem"), "custom_points_redeem")
        sent = True
    if ctx.get("custom_dollars_redeem"):
        money = parse_money(ctx.get("custom_dollars_redeem"), "custom_dollars_redeem")
        points += ceil_int(money / (camp.reward_ratio or ONE))
        sent = True
    if ctx.get("reward_to_redeem"):
        points += _reward(ctx, camp).level
        reward_id = ctx.get("reward_to_redeem")
        sent = True
    if not sent:
        raise InputError(
            "Missing required field: custom_points_redeem, custom_dollars_redeem "
            "or reward_to_redeem"
        )
    return points, reward_id


def _reward(ctx: Ctx, camp: Campaign) -> Reward:
    reward_id = ctx.require("reward_to_redeem")
    reward = camp.reward(reward_id)
    if reward is None:
        raise InputError(
            f"Invalid reward_to_redeem: no reward {_shown(reward_id)} in this campaign"
        )
    return reward


def redeem(ctx: Ctx) -> Reply:
    camp = ctx.the_campaign()
    customer = ctx.customer(card_allowed=False)
    auth = ctx.authorization()
    reward_id = ""
    if camp.is_money:
        amount = parse_money(ctx.require("reward_to_redeem"), "reward_to_redeem")
    elif camp.type == "points":
        amount, reward_id = _points_to_redeem(ctx, camp)
    else:
        reward = _reward(ctx, camp)
        amount, reward_id = reward.level, reward.id
    available = ctx.data.balance(customer.code, camp.id)
    if amount > available:
        if camp.is_money:
            raise InputError(
                f"Insufficient balance: {camp.fmt(available)} available, "
                f"{camp.fmt(amount)} requested"
            )
        raise InputError(
            f"Not enough points: the reward level ({camp.fmt(amount)}) exceeds "
            f"the points available ({camp.fmt(available)})"
        )
    tx = ctx.data.add_transaction(
        customer.code,
        camp.id,
        redeemed=True,
        amount=amount,
        authorization=auth,
        user_name=ctx.data.user_id,
        reward_id=reward_id,
    )
    ctx.ledger.record(API, "redeem", customer.code, amount=amount, reference=auth or None)
    return Reply("success", receipt(ctx.data, tx, camp))


def transaction_delete(ctx: Ctx) -> Reply:
    camp = ctx.the_campaign()
    code = ctx.require("code")
    transaction_id = ctx.require("transaction_id")
    auth = ctx.authorization()
    if code not in ctx.data.customers:
        raise InputError(f"Customer not found: code {_shown(code)}")
    tx = ctx.data.transactions.get(transaction_id)
    if tx is None or tx.code != code or tx.campaign_id != camp.id:
        raise InputError(
            f"Transaction {_shown(transaction_id)} not found for this customer and campaign"
        )
    if tx.deleted:
        raise InputError(f"Transaction {tx.id} has already been deleted")
    ctx.data.delete_transaction(tx)
    ctx.ledger.record(API, "transaction_delete", code, amount=tx.amount, reference=auth or None)
    return Reply("success", {"message": f"Transaction {tx.id} deleted"})


# --- campaigns --------------------------------------------------------------------------------


def campaign_payload(c: Campaign) -> Payload:
    payload: Payload = {"id": c.id, "name": c.name, "type": c.type}
    if c.type == "points":
        payload["points_ratio"] = f"{c.points_ratio or ONE:f}"
        payload["reward_ratio"] = f"{c.reward_ratio or ZERO:f}"
    if c.type == "earned":
        payload["earned_per_event"] = fmt_money(c.earned_per_event or ZERO)
    payload.update(currency=c.currency, glyph=c.glyph, created_stamp=fmt_timestamp(c.created_stamp))
    return payload


def campaigns_list(ctx: Ctx) -> Reply:
    restrict = [t.strip() for t in ctx.get("type_restrict").split(",") if t.strip()]
    unknown = [t for t in restrict if t not in ALL_TYPE_NAMES]
    if unknown:
        raise InputError(f"Invalid type_restrict: {_shown(','.join(unknown))}")
    camps = [c for c in ctx.data.campaigns.values() if not restrict or c.type in restrict]
    payload: Payload = {}
    if ctx.get("offset") or ctx.get("length"):
        offset, length = ctx.offset_limit("length")
        total = len(camps)
        camps = camps[offset : offset + (length or 10)]
        payload["pagination"] = {"total": str(total), "offset": str(offset)}
    payload = {"campaigns": {"campaign": [campaign_payload(c) for c in camps]}, **payload}
    return Reply("success", payload)


def campaign_rewards(ctx: Ctx) -> Reply:
    camp = ctx.the_campaign()
    rewards = [{**reward_payload(r), "reward_id": r.reward_id} for r in camp.rewards]
    return Reply("success", {"campaign": {"id": camp.id}, "rewards": {"reward": rewards}})


def campaign_promos(ctx: Ctx) -> Reply:
    camp = ctx.the_campaign()
    promos = [
        {
            "id": p.id,
            "operand": p.operand,
            "value": fmt_count(p.value),
            "description": p.description,
        }
        for p in camp.promos
    ]
    return Reply("success", {"promotions": {"promotion": promos}})


# --- reports ----------------------------------------------------------------------------------


def reports(ctx: Ctx) -> Reply:
    report = ctx.require("report")
    if report == "customers_balances":
        return customers_balances(ctx)
    if report == "audit_totals" or report in TOTALS_COALITIONS:
        return totals(ctx, report)
    raise InputError(f"Unknown report: {_shown(report)}")


def customers_balances(ctx: Ctx) -> Reply:
    data = ctx.data
    camp = ctx.the_campaign()
    pool = [camp]
    coalition = ctx.get("coalition_balance")
    if coalition:
        kind = COALITIONS.get(coalition)
        if kind is None:
            raise InputError(
                f"Invalid coalition_balance: {_shown(coalition)} "
                "(use coalition_points or coalition_storedvalue)"
            )
        if camp.type != kind:
            raise InputError(f"coalition_balance={coalition} needs a {kind} campaign")
        if camp.opt_out:
            raise InputError(f"Campaign {camp.id} has opted out of the coalition")
        pool = [c for c in data.campaigns.values() if c.type == kind and not c.opt_out]
    offset, limit = ctx.offset_limit()
    codes = data.members[camp.id][offset:]
    codes = codes[:limit] if limit is not None else codes
    rows: list[Payload] = []
    for code in codes:
        c = data.customers[code]
        earned = redeemed = ZERO
        earned_eq = redeemed_eq = ZERO
        for member in pool:
            account = data.accounts.get((code, member.id))
            if account is not None:
                earned += account.earned
                redeemed += account.redeemed
                earned_eq += member.equivalent(account.earned)
                redeemed_eq += member.equivalent(account.redeemed)
        rows.append(
            {
                "card_number": c.card_number,
                "code": c.code,
                "first_name": c.first_name,
                "last_name": c.last_name,
                "email": c.email,
                "phone": c.phone,
                "address1": c.street1,
                "address2": c.street2,
                "city": c.city,
                "state": c.state,
                "zip": c.postal_code,
                "country": c.country,
                "custom1": c.custom_field,
                "custom_date": c.custom_date.isoformat() if c.custom_date else "",
                "customer_username": c.customer_username,
                "record_timestamp": fmt_timestamp(c.record_timestamp),
                "earned": camp.fmt(earned),
                "redeemed": camp.fmt(ZERO - redeemed),
                "balance": camp.fmt(earned - redeemed),
                "balance_equivalent": fmt_trimmed(earned_eq - redeemed_eq),
                "earned_equivalent": fmt_trimmed(earned_eq),
                "redeemed_equivalent": fmt_trimmed(ZERO - redeemed_eq),
            }
        )
    return Reply("success", {"customer": rows}, json_keys={"customer": "customers"})


def _report_date(ctx: Ctx, name: str, required: bool) -> date | None:
    text = ctx.require(name) if required else ctx.get(name)
    if not text:
        return None
    return parse_iso_date(text, name)


def totals(ctx: Ctx, report: str) -> Reply:
    """``audit_totals`` (and its coalition forms): per-campaign sums with thousands separators."""
    data = ctx.data
    start = _report_date(ctx, "date_start", True) or date.min
    end = _report_date(ctx, "date_end", False) or date.max
    selected = ctx.require("selected_campaigns")
    if " " in selected:
        raise InputError("Invalid selected_campaigns: a comma list without spaces")
    ids = [cid for cid in selected.split(",") if cid]
    for cid in ids:
        if cid not in data.campaigns:
            raise InputError(f"Invalid campaign id in selected_campaigns: {_shown(cid)}")
    camps = [data.campaigns[cid] for cid in dict.fromkeys(ids)]
    if report in TOTALS_COALITIONS:
        kind = TOTALS_COALITIONS[report]
        camps = [c for c in camps if c.type == kind and not c.opt_out]
        if not camps:
            raise InputError(f"No {kind} coalition campaign in selected_campaigns")
    sums = {c.id: [ZERO, ZERO] for c in camps}
    for tx in data.transactions.values():
        if tx.campaign_id in sums and not tx.deleted and start <= tx.timestamp.date() <= end:
            sums[tx.campaign_id][1 if tx.redeemed else 0] += tx.amount
    rows: list[Payload] = []
    for c in camps:
        earned, redeemed = sums[c.id]
        rows.append(
            {
                "campaign_name": c.name,
                "campaign_type": TYPE_LETTER[c.type],
                "earned": fmt_grouped(earned, c.is_money),
                "redeemed": fmt_grouped(ZERO - redeemed, c.is_money),
                "liability": fmt_grouped(earned - redeemed, c.is_money),
                "monetary_equivalent": fmt_money(c.equivalent(earned - redeemed)),
                "campaign_id": c.id,
            }
        )
    return Reply("success", {"campaign": rows}, json_keys={"campaign": "campaigns"})


HANDLERS: dict[str, Callable[[Ctx], Reply]] = {
    "customer_info": customer_info,
    "customer_search": customer_search,
    "customer_find": customer_find,
    "find_customer": customer_find,
    "customer_exists": customer_exists,
    "validate_customer_password": validate_customer_password,
    "record_customer": record_customer,
    "customer_balance": customer_balance,
    "balance": customer_balance,
    "record_activity": record_activity,
    "redeem": redeem,
    "transaction_delete": transaction_delete,
    "campaigns_list": campaigns_list,
    "campaign_rewards": campaign_rewards,
    "campaign_promos": campaign_promos,
    "reports": reports,
}
