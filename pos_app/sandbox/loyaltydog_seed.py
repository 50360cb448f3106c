"""The seeded LoyaltyDog account: 26 gift cards covering every status and the awkward cases.

Balances, statuses and roles are fixed so tests can rely on them; ids, card numbers and security
codes come from the seed. Every date is relative to ``today``. The card with 10,000 transactions
builds its history on first read, so a reset costs a few milliseconds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pos_app.sandbox.loyaltydog_data import (
    ZERO,
    Card,
    Customer,
    Program,
    Transaction,
    object_id,
)
from pos_app.sandbox.loyaltydog_models import GiftCardStatus as Status
from pos_app.sandbox.loyaltydog_models import GiftCardTransactionType as TxType

if TYPE_CHECKING:
    from pos_app.sandbox.loyaltydog_data import LoyaltyDogData

USERNAME = "pos@tillcard.example"
PASSWORD = "sandbox-password"  # noqa: S105 - a public test credential of the emulator
LONG_HISTORY = 10_000
REFERENCE_DAY = date(2025, 1, 1)

_CUSTOMERS = (
    ("Alice Martin", "alice.martin@example.com", "+447700900101"),
    ("Bruno Silva", "bruno.silva@example.net", "+351912000102"),
    ("Chloé Dubois", "chloe.dubois@example.org", None),
    ("Dev Patel", "dev.patel@example.com", "+447700900104"),
    ("Emma Johnson", "emma.johnson@example.com", None),
    ("Farid Haddad", "farid.haddad@example.com", "+33612000106"),
    ("Grace O'Neill", "grace.oneill@example.co.uk", None),
    ("Hiro Tanaka", "hiro.tanaka@example.jp", "+819012000108"),
)


@dataclass(frozen=True)
class _Spec:
    """One seeded card. ``moves`` after activation: ("R", x) redeem, ("L", x) reload, ("F", x)
    refund of the latest redemption, ("V", 0) void."""

    role: str
    status: Status
    initial: str
    customer: int | None
    age_days: int
    expires_in_days: int
    moves: tuple[tuple[str, str], ...] = ()
    physical: bool = False
    template: str | None = "classic"
    message: str | None = None
    sender: str | None = None
    number: str | None = None
    security_code: str | None = None
    suspended_reason: str | None = None
    suspended_for_days: int | None = None


_SPECS: tuple[_Spec, ...] = (
    _Spec("active", Status.ACTIVE, "100.00", 0, 30, 335, template="birthday",
          message="Happy Birthday!", sender="Mum"),
    _Spec("active-partly-used", Status.ACTIVE, "50.00", 1, 60, 305,
          moves=(("R", "20.00"), ("R", "5.50"))),
    _Spec("ten-thousand-transactions", Status.ACTIVE, "500.00", 3, 400, 1425),
    _Spec("one-cent", Status.ACTIVE, "10.00", 2, 20, 345, moves=(("R", "9.99"),)),
    _Spec("near-cap", Status.ACTIVE, "9990.00", 5, 15, 350, template="corporate"),
    _Spec("refundable", Status.ACTIVE, "80.00", 6, 45, 320,
          moves=(("R", "30.00"), ("F", "10.00"))),
    _Spec("expiring-soon", Status.ACTIVE, "40.00", 7, 355, 10),
    _Spec("past-expiry-active", Status.ACTIVE, "35.00", None, 367, -2, physical=True),
    _Spec("active-physical", Status.ACTIVE, "25.00", None, 10, 355, physical=True,
          number="0000417352968841", security_code="000123"),
    _Spec("active-shared-last4", Status.ACTIVE, "75.00", None, 90, 275, physical=True,
          moves=(("R", "14.75"),)),
    _Spec("active-reloaded", Status.ACTIVE, "20.00", 0, 120, 245,
          moves=(("L", "30.00"), ("R", "12.75"))),
    _Spec("active-second-card", Status.ACTIVE, "250.00", 4, 70, 295,
          moves=(("R", "45.00"), ("R", "25.00"))),
    _Spec("active-gift", Status.ACTIVE, "30.00", None, 5, 360, template="thank-you",
          message="Thank you!"),
    _Spec("active-round", Status.ACTIVE, "10.00", None, 2, 363, physical=True),
    _Spec("pending", Status.PENDING, "60.00", 4, 1, 364, template="wedding",
          message="Congratulations!"),
    _Spec("pending-physical", Status.PENDING, "25.00", None, 3, 362, physical=True),
    _Spec("suspended", Status.SUSPENDED, "100.00", 1, 50, 315, moves=(("R", "12.00"),),
          suspended_reason="Suspected fraud - under review", suspended_for_days=14),
    _Spec("suspended-indefinite", Status.SUSPENDED, "30.00", None, 80, 285, physical=True,
          suspended_reason="Card reported lost"),
    _Spec("expired", Status.EXPIRED, "50.00", 0, 395, -30, moves=(("R", "30.00"),)),
    _Spec("expired-unused", Status.EXPIRED, "15.00", None, 400, -35, physical=True),
    _Spec("voided", Status.VOIDED, "40.00", 2, 100, 265, moves=(("R", "8.00"), ("V", "0"))),
    _Spec("voided-unused", Status.VOIDED, "20.00", None, 25, 340, physical=True,
          moves=(("V", "0"),)),
    _Spec("depleted", Status.DEPLETED, "30.00", 0, 200, 165, moves=(("R", "30.00"),)),
    _Spec("depleted-multi", Status.DEPLETED, "45.00", None, 150, 215, physical=True,
          moves=(("R", "20.00"), ("R", "25.00"))),
    _Spec("depleted-refund-candidate", Status.DEPLETED, "15.00", 7, 40, 325,
          moves=(("R", "15.00"),)),
    _Spec("suspended-timed", Status.SUSPENDED, "60.00", 6, 30, 335,
          suspended_reason="Disputed purchase", suspended_for_days=3),
)  # fmt: skip


class _Ids:
    """Deterministic ObjectIds and numbers from one RNG.

    An ObjectId starts with its creation time; seeded ids take that time on a fixed reference
    calendar, so a card keeps its id from one day to the next (a cached id stays valid).
    """

    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng = rng
        self.numbers: set[str] = set()
        self.shift = REFERENCE_DAY - today

    def oid(self, moment: datetime, tail: int | None = None) -> str:
        bits = self.rng.getrandbits(64) if tail is None else tail
        return object_id(moment + self.shift, bits)

    def card_number(self, wanted: str | None = None) -> str:
        number = wanted
        while number is None or number in self.numbers:
            number = "6" + "".join(str(self.rng.randrange(10)) for _ in range(15))
        self.numbers.add(number)
        return number


def _midday(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), tzinfo=UTC)


def build(cls: type[LoyaltyDogData], seed: int, today: date) -> LoyaltyDogData:
    rng = random.Random(f"loyaltydog:{seed}")
    ids = _Ids(rng, today)
    epoch = _midday(today - timedelta(days=800))
    user_id = ids.oid(epoch)
    merchant_id = ids.oid(epoch)
    programs = [
        Program(ids.oid(epoch), "Tillcard Demo Gift Cards", "giftcard", None),
        Program(ids.oid(epoch), "Tillcard Demo Coffee Club", "loyalty", None),
    ]
    programs[1].share_url = f"https://loyalty.dog/join/{programs[1].id}"
    customers = [
        Customer(ids.oid(epoch), name, email, phone, f"cst_{rng.getrandbits(96):024x}")
        for name, email, phone in _CUSTOMERS
    ]
    cards: list[Card] = []
    for spec in _SPECS:
        cards.append(_card(spec, ids, programs[0].id, merchant_id, customers, today))
    # Two cards share their last four digits, so a "last four" search finds both.
    shared = cards[0].number[-4:]
    twin = next(card for card in cards if card.role == "active-shared-last4")
    ids.numbers.discard(twin.number)
    twin.number = ids.card_number(twin.number[:12] + shared)
    return cls(
        today=today,
        seed=seed,
        user_id=user_id,
        username=USERNAME,
        password=PASSWORD,
        merchant_id=merchant_id,
        programs=programs,
        customers=customers,
        cards=cards,
    )


def _card(
    spec: _Spec,
    ids: _Ids,
    program_id: str,
    merchant_id: str,
    customers: list[Customer],
    today: date,
) -> Card:
    created = _midday(today - timedelta(days=spec.age_days)) - timedelta(hours=2)
    initial = Decimal(spec.initial)
    card = Card(
        id=ids.oid(created),
        program_id=program_id,
        merchant_id=merchant_id,
        number=ids.card_number(spec.number),
        security_code=spec.security_code or f"{ids.rng.randrange(1_000_000):06d}",
        balance=ZERO,
        initial_value=initial,
        status=spec.status,
        created_at=created,
        expires_at=_midday(today + timedelta(days=spec.expires_in_days)),
        role=spec.role,
        updated_at=created,
        customer=None if spec.customer is None else customers[spec.customer],
        sender_name=spec.sender,
        is_physical=spec.physical,
        design_template=spec.template,
        custom_message=spec.message,
    )
    if card.customer is not None and not spec.physical:
        card.pass_serial = f"{ids.rng.getrandbits(64):016x}"
    if spec.status is Status.PENDING:
        return card
    activated = created + timedelta(hours=1)
    card.activated_at = activated
    if spec.role == "ten-thousand-transactions":
        _long_history(card, ids, today)
        return card
    # Seeded history ends yesterday, so anything done today sorts after it by time too.
    _replay(card, spec, ids, activated, _midday(today - timedelta(days=1)))
    if spec.suspended_reason is not None:
        card.suspended_reason = spec.suspended_reason
        card.suspended_at = _midday(today - timedelta(days=2))
        if spec.suspended_for_days is not None:
            card.suspended_until = _midday(today + timedelta(days=spec.suspended_for_days))
        card.updated_at = card.suspended_at
    return card


def _replay(card: Card, spec: _Spec, ids: _Ids, start: datetime, end: datetime) -> None:
    """Write the activation and the moves, spread evenly between ``start`` and ``end``."""
    last_moment = min(end, card.expires_at - timedelta(days=1))
    step = (last_moment - start) / (len(spec.moves) + 1)
    moment = start

    def add(tx_type: TxType, amount: Decimal, **extra: Any) -> Transaction:
        before = card.balance
        transaction = Transaction(
            id=ids.oid(moment),
            type=tx_type,
            amount=amount,
            balance_before=before,
            balance_after=before + amount,
            created_at=moment,
            merchant_id=card.merchant_id,
            **extra,
        )
        card.history.append(transaction)
        card.balance = transaction.balance_after
        card.updated_at = moment
        return transaction

    add(TxType.ACTIVATION, card.initial_value, description="Gift card activation")
    last_redemption: Transaction | None = None
    for number, (kind, raw) in enumerate(spec.moves, start=1):
        moment = start + step * number
        amount = Decimal(raw)
        if kind == "R":
            last_redemption = add(
                TxType.REDEMPTION,
                -amount,
                description="Purchase at Tillcard Demo Café",
                pos_transaction_id=f"POS-{ids.rng.randrange(10**6):06d}",
                cashier_id="cashier_01",
                terminal_id="till-1",
            )
            card.redeemed_total += amount
        elif kind == "L":
            add(TxType.RELOAD, amount, description="Gift card reload")
            card.reloaded_total += amount
        elif kind == "F":
            assert last_redemption is not None
            add(
                TxType.REFUND,
                amount,
                reference_id=last_redemption.id,
                description="Item returned",
            )
            last_redemption.refunded += amount
            card.redeemed_total -= amount
        else:
            add(TxType.VOID, -card.balance, description="Card voided at customer request")


def _long_history(card: Card, ids: _Ids, today: date) -> None:
    """10,000 rows: activation, then redemptions each followed by a reload of the same amount.

    Totals are computed now from the amounts alone; the rows themselves are built on first read.
    """
    start = card.activated_at or card.created_at
    end = _midday(today - timedelta(days=1)) - timedelta(hours=1)
    step = (end - start) / LONG_HISTORY
    tail = ids.rng.getrandbits(40) << 24

    def amount(i: int) -> Decimal:
        return Decimal(100 + (i * 37) % 900) / 100

    redeemed = sum((amount(i) for i in range(1, LONG_HISTORY, 2)), ZERO)
    card.reloaded_total = sum((amount(i - 1) for i in range(2, LONG_HISTORY, 2)), ZERO)
    last = amount(LONG_HISTORY - 1)
    card.balance = card.initial_value - last
    card.redeemed_total = redeemed
    card.updated_at = start + step * (LONG_HISTORY - 1)

    def factory() -> list[Transaction]:
        rows = []
        balance = ZERO
        activation = card.initial_value
        for i in range(LONG_HISTORY):
            moment = start + step * i
            if i == 0:
                tx_type, value, description = TxType.ACTIVATION, activation, "Gift card activation"
            elif i % 2:
                tx_type, value, description = TxType.REDEMPTION, -amount(i), "Coffee and cake"
            else:
                tx_type, value, description = TxType.RELOAD, amount(i - 1), "Gift card reload"
            redemption = tx_type is TxType.REDEMPTION
            rows.append(
                Transaction(
                    id=ids.oid(moment, tail | i),
                    type=tx_type,
                    amount=value,
                    balance_before=balance,
                    balance_after=balance + value,
                    created_at=moment,
                    merchant_id=card.merchant_id,
                    description=description,
                    pos_transaction_id=f"POS-L{i:05d}" if redemption else None,
                    cashier_id="cashier_02" if redemption else None,
                    terminal_id="till-2" if redemption else None,
                )
            )
            balance += value
        return rows

    card.history_factory = factory
    card.pending_rows = LONG_HISTORY
