"""The Leal emulator's world: stores, card templates, rewards, customers and their stamp cards.

Everything here is plain data plus the few operations that change value (stamp, redeem, sign-up);
HTTP concerns live in ``leal.py``. Writes to one customer card are serialised by that card's lock
(gap G19), and the sandbox ledger is written inside the lock so its order matches the state's.
"""

from __future__ import annotations

import random
import string
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from pos_app.sandbox.leal_limits import RateLimiter

if TYPE_CHECKING:
    from pos_app.sandbox.ledger import Ledger

API = "leal"
ACCOUNT_ID = 42
FOREIGN_ACCOUNT_ID = 77
MAX_STAMPS_COUNT = 2_147_483_647
"""Rails keeps ``stamps_count`` in a 32-bit integer column; we refuse to overflow it (422)."""

CODE_ALPHABET = string.ascii_uppercase + string.digits


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(value: datetime | None) -> str | None:
    """Rails' default JSON time format: UTC, millisecond precision, ``Z`` suffix (gap G17)."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


@dataclass
class Store:
    id: int
    name: str
    store_name: str | None
    personal: bool
    created_at: datetime
    updated_at: datetime


@dataclass
class CardTemplate:
    id: int
    account_id: int
    name: str
    stamps_required: int
    initial_stamps: int
    stamp_icon: str
    card_color: str
    text_color: str
    stamp_color: str
    stamp_background_color: str
    strip_type: str
    strip_color: str | None
    strip_preset: str | None
    header_text: str | None
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass
class Reward:
    id: int
    account_id: int
    card_id: int
    name: str
    description: str | None
    stamps_required: int
    position: int
    active: bool
    created_at: datetime
    updated_at: datetime


@dataclass
class Location:
    id: int
    account_id: int
    name: str
    address: str
    latitude: float | None
    longitude: float | None
    created_at: datetime
    updated_at: datetime


@dataclass
class ExternalReference:
    source: str
    external_id: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class Customer:
    id: int
    account_id: int
    first_name: str
    last_name: str | None
    email: str | None
    phone: str | None
    birthday: date | None
    metadata: dict[str, Any]
    external_references: list[ExternalReference]
    card_ids: list[int]
    created_at: datetime
    updated_at: datetime

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


@dataclass
class CustomerCard:
    id: int
    uuid: str
    code: str
    """The wallet-pass barcode value: searchable, never serialised (gap G3)."""
    account_id: int
    customer_id: int
    card_id: int
    stamps_count: int
    pass_installed: bool
    issued_at: datetime
    created_at: datetime
    updated_at: datetime
    status: str = "active"
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)


@dataclass(frozen=True)
class Redemption:
    id: int
    customer_card_id: int
    reward_id: int
    reward_name: str
    stamps_spent: int
    stamps_remaining: int
    redeemed_at: datetime


@dataclass(frozen=True)
class StampEvent:
    """Internal history only (gap G14): what was stamped and whether notifications were skipped."""

    customer_card_id: int
    stamps: int
    skip_notifications: bool
    at: datetime


class LealRefusal(Exception):
    """A request the API understood but will not apply: becomes a 404 or 422 Leal error body."""

    def __init__(self, status: int, error: str, errors: dict[str, list[str]] | None = None):
        super().__init__(error)
        self.status = status
        self.error = error
        self.errors = errors


@dataclass(frozen=True)
class NewCustomer:
    """Validated sign-up fields, handed from the HTTP layer to ``LealData.create_customer``."""

    first_name: str
    last_name: str | None
    email: str | None
    phone: str | None
    birthday: date | None
    metadata: dict[str, Any]
    external_references: list[ExternalReference]
    card_id: int | None
    send_card_links: bool


def seeded_rng(label: str) -> random.Random:
    """Deterministic on purpose: a seed must replay identically, and nothing here is a secret."""
    return random.Random(label)


def digits(text: str | None) -> str:
    """ASCII digits only: a phone number typed with other scripts' digits is not a match."""
    return "".join(ch for ch in text or "" if ch in "0123456789")


class LealData:
    """One seeded Leal world; ``Sandbox.reset()`` replaces the whole object."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.tokens: dict[str, frozenset[int]] = {}
        self.primary_token = ""
        self.token_generation = 0
        self.stores: dict[int, Store] = {}
        self.cards: dict[int, CardTemplate] = {}
        self.rewards: dict[int, Reward] = {}
        self.locations: dict[int, Location] = {}
        self.customers: dict[int, Customer] = {}
        self.customer_cards: dict[int, CustomerCard] = {}
        self.redemptions: list[Redemption] = []
        self.stamp_events: list[StampEvent] = []
        self.rate_limiter = RateLimiter()
        self.retired = False
        """Gap G9: when true every request answers 410, to test the client's upgrade message."""
        self._lock = threading.Lock()
        self._next_redemption_id = 880
        self.next_customer_id = 9001
        self.next_customer_card_id = 555
        self._rng = seeded_rng(f"leal-runtime-{seed}")

    # ------------------------------------------------------------------ seeding

    @classmethod
    def seeded(cls, seed: int, today: date) -> LealData:
        """Build the same world for the same ``seed``; dates count back from ``today``."""
        from pos_app.sandbox.leal_seed import populate  # the seed module imports this one

        data = cls(seed)
        populate(data, seeded_rng(f"leal-{seed}"), today)
        return data

    def seed_summary(self) -> dict[str, Any]:
        """What a test or trainer needs to drive the emulator: token, ids, codes, progress."""
        customers = []
        for customer in self.customers_of(ACCOUNT_ID):
            cards = [self.customer_cards[cid] for cid in customer.card_ids]
            customers.append(
                {
                    "id": customer.id,
                    "name": customer.full_name,
                    "email": customer.email,
                    "phone": customer.phone,
                    "card_code": cards[0].code if cards else None,
                    "external_references": [
                        {"source": ref.source, "external_id": ref.external_id}
                        for ref in customer.external_references
                    ],
                    "customer_cards": [
                        {
                            "id": card.id,
                            "card_id": card.card_id,
                            "stamps_count": card.stamps_count,
                            "stamps_required": self.cards[card.card_id].stamps_required,
                            "uuid": card.uuid,
                            "card_code": card.code,
                        }
                        for card in cards
                    ],
                }
            )
        return {
            "account_id": ACCOUNT_ID,
            "token": self.primary_token,
            "customers": customers,
            "rewards": [
                {
                    "id": reward.id,
                    "card_id": reward.card_id,
                    "name": reward.name,
                    "stamps_required": reward.stamps_required,
                    "active": reward.active,
                    "position": reward.position,
                }
                for reward in self.rewards.values()
                if reward.account_id == ACCOUNT_ID
            ],
            "cards": [
                {
                    "id": card.id,
                    "name": card.name,
                    "stamps_required": card.stamps_required,
                    "initial_stamps": card.initial_stamps,
                    "archived": card.archived_at is not None,
                }
                for card in self.cards.values()
                if card.account_id == ACCOUNT_ID
            ],
            "foreign_account_id": FOREIGN_ACCOUNT_ID,
            "foreign_reward_ids": [
                reward.id for reward in self.rewards.values() if reward.account_id != ACCOUNT_ID
            ],
            "rate_limit": {
                "limit": self.rate_limiter.limit,
                "window_seconds": self.rate_limiter.window_seconds,
            },
        }

    def expire_tokens(self) -> None:
        """Revoke every token and issue a fresh one, as if the user rotated it in the dashboard.

        Leal API tokens do not expire on their own, so the only mid-session 401 a till can meet
        is a revoked token; ``seed_summary()["token"]`` reports the replacement.
        """
        with self._lock:
            accounts = self.tokens.get(self.primary_token, frozenset({ACCOUNT_ID}))
            self.token_generation += 1
            self.primary_token = self.make_token(self.seed, self.token_generation)
            self.tokens = {self.primary_token: accounts}

    @staticmethod
    def make_token(seed: int, generation: int = 0) -> str:
        rng = seeded_rng(f"leal-token-{seed}-{generation}")
        return "leal_sbx_" + "".join(rng.choice(string.hexdigits.lower()) for _ in range(32))

    def new_code(self, rng: random.Random | None = None) -> str:
        """A unique 8-character upper-case alphanumeric card code (the wallet barcode)."""
        rng = rng or self._rng
        taken = {card.code for card in self.customer_cards.values()}
        while True:
            code = "".join(rng.choice(CODE_ALPHABET) for _ in range(8))
            if code not in taken:
                return code

    def new_uuid(self, rng: random.Random | None = None) -> str:
        return str(uuid.UUID(int=(rng or self._rng).getrandbits(128), version=4))

    # ------------------------------------------------------------------ look-ups

    def accounts_for(self, token: str) -> frozenset[int] | None:
        return self.tokens.get(token)

    def customers_of(self, account_id: int) -> list[Customer]:
        return sorted(
            (c for c in self.customers.values() if c.account_id == account_id),
            key=lambda c: c.id,
        )

    def cards_of(self, customer: Customer) -> list[CustomerCard]:
        return [self.customer_cards[cid] for cid in customer.card_ids]

    def template(self, customer_card: CustomerCard) -> CardTemplate:
        return self.cards[customer_card.card_id]

    def search_customers(
        self,
        account_id: int,
        search: str | None,
        source: str | None,
        external_id: str | None,
    ) -> list[Customer]:
        """Gap G4: ``source``+``external_id`` is an exact lookup that wins over ``search``."""
        customers = self.customers_of(account_id)
        if source and external_id:
            return [
                c
                for c in customers
                if any(
                    ref.source == source and ref.external_id == external_id
                    for ref in c.external_references
                )
            ]
        term = (search or "").strip()
        if not term:
            return customers
        return [c for c in customers if self._matches(c, term)]

    def _matches(self, customer: Customer, term: str) -> bool:
        lowered = term.casefold()
        names = (customer.first_name, customer.last_name or "", customer.full_name)
        if any(lowered in name.casefold() for name in names):
            return True
        if customer.email and lowered in customer.email.casefold():
            return True
        if any(ref.external_id == term for ref in customer.external_references):
            return True
        for card in self.cards_of(customer):
            if card.code.casefold() == lowered or card.uuid.casefold() == lowered:
                return True
        wanted = digits(term)
        phone_like = all(ch in "0123456789+-(). " for ch in term)
        return bool(phone_like and wanted and wanted in digits(customer.phone))

    def available_rewards(self, customer_card: CustomerCard) -> list[Reward]:
        """Gap G7: active rewards of the card's template the customer can afford, by position."""
        return sorted(
            (
                r
                for r in self.rewards.values()
                if r.card_id == customer_card.card_id
                and r.active
                and r.stamps_required <= customer_card.stamps_count
            ),
            key=lambda r: (r.position, r.id),
        )

    # ------------------------------------------------------------------ value changes

    def stamp(
        self,
        customer_card: CustomerCard,
        stamps: int,
        *,
        skip_notifications: bool,
        ledger: Ledger,
    ) -> None:
        """Add stamps; the count may pass ``stamps_required`` (gap G6). Never idempotent (G2)."""
        with customer_card.lock:
            if customer_card.stamps_count + stamps > MAX_STAMPS_COUNT:
                raise LealRefusal(
                    422, "Validation failed", {"stamps": ["is too large for this card"]}
                )
            now = utc_now()
            customer_card.stamps_count += stamps
            customer_card.updated_at = now
            self.customers[customer_card.customer_id].updated_at = now
            with self._lock:
                self.stamp_events.append(
                    StampEvent(customer_card.id, stamps, skip_notifications, now)
                )
            ledger.record(API, "stamp", card=str(customer_card.id), stamps=stamps)

    def redeem(self, customer_card: CustomerCard, reward_id: int, *, ledger: Ledger) -> Redemption:
        """Spend exactly the reward's cost; refusals follow gap G7 (404 foreign, 422 the rest)."""
        reward = self.rewards.get(reward_id)
        if reward is None or reward.account_id != customer_card.account_id:
            raise LealRefusal(404, "Reward not found")
        if reward.card_id != customer_card.card_id:
            raise LealRefusal(
                422,
                "Reward does not belong to this card",
                {"reward_id": ["belongs to a different card"]},
            )
        if not reward.active:
            raise LealRefusal(422, "Reward is not active", {"reward_id": ["is not active"]})
        with customer_card.lock:
            have = customer_card.stamps_count
            if have < reward.stamps_required:
                raise LealRefusal(
                    422,
                    "Not enough stamps to redeem this reward",
                    {"stamps": [f"{reward.stamps_required} required, {have} available"]},
                )
            now = utc_now()
            customer_card.stamps_count = have - reward.stamps_required
            customer_card.updated_at = now
            self.customers[customer_card.customer_id].updated_at = now
            with self._lock:
                redemption = Redemption(
                    id=self._next_redemption_id,
                    customer_card_id=customer_card.id,
                    reward_id=reward.id,
                    reward_name=reward.name,
                    stamps_spent=reward.stamps_required,
                    stamps_remaining=customer_card.stamps_count,
                    redeemed_at=now,
                )
                self._next_redemption_id += 1
                self.redemptions.append(redemption)
            ledger.record(
                API,
                "redeem_reward",
                card=str(customer_card.id),
                stamps=reward.stamps_required,
                reference=str(redemption.id),
            )
        return redemption

    def create_customer(self, account_id: int, new: NewCustomer, *, ledger: Ledger) -> Customer:
        """Sign a customer up, optionally enrolled on a card with its welcome stamps (gap G15)."""
        card = None
        if new.card_id is not None:
            card = self.cards.get(new.card_id)
            if card is None or card.account_id != account_id:
                raise LealRefusal(404, "Card not found")
        with self._lock:
            errors: dict[str, list[str]] = {}
            others = self.customers_of(account_id)
            if new.email and any(
                c.email and c.email.casefold() == new.email.casefold() for c in others
            ):
                errors["email"] = ["has already been taken"]
            if new.phone and any(c.phone and digits(c.phone) == digits(new.phone) for c in others):
                errors["phone"] = ["has already been taken"]
            if errors:
                raise LealRefusal(422, "Validation failed", errors)
            now = utc_now()
            customer = Customer(
                id=self.next_customer_id,
                account_id=account_id,
                first_name=new.first_name,
                last_name=new.last_name,
                email=new.email,
                phone=new.phone,
                birthday=new.birthday,
                metadata=dict(new.metadata),
                external_references=[],
                card_ids=[],
                created_at=now,
                updated_at=now,
            )
            for ref in new.external_references:
                upsert_reference(customer, ref)
            self.customers[customer.id] = customer
            self.next_customer_id += 1
            enrolled = None
            if card is not None:
                enrolled = CustomerCard(
                    id=self.next_customer_card_id,
                    uuid=self.new_uuid(),
                    code=self.new_code(),
                    account_id=account_id,
                    customer_id=customer.id,
                    card_id=card.id,
                    stamps_count=card.initial_stamps,
                    pass_installed=False,
                    issued_at=now,
                    created_at=now,
                    updated_at=now,
                )
                self.customer_cards[enrolled.id] = enrolled
                self.next_customer_card_id += 1
                customer.card_ids.append(enrolled.id)
        if enrolled is not None and enrolled.stamps_count > 0:
            ledger.record(API, "stamp", card=str(enrolled.id), stamps=enrolled.stamps_count)
        return customer


def upsert_reference(customer: Customer, ref: ExternalReference) -> None:
    """External references are upserted on ``(source, external_id)``, never duplicated."""
    for existing in customer.external_references:
        if (existing.source, existing.external_id) == (ref.source, ref.external_id):
            existing.metadata = dict(ref.metadata)
            return
    customer.external_references.append(
        ExternalReference(ref.source, ref.external_id, dict(ref.metadata))
    )


def at(day: date, days_back: int, hour: int, minute: int = 0) -> datetime:
    """A UTC timestamp ``days_back`` days before ``day``, so seeds stay relative to today."""
    return datetime.combine(day - timedelta(days=days_back), time(hour, minute), tzinfo=UTC)
