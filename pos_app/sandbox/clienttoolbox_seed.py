"""Deterministic seed of the ClientToolbox emulator: campaigns, hand-made fixtures, ~570 customers.

The campaigns and the ``FIXTURES`` customers are the same for every seed, so tests and docs can
name them; the other customers come from ``random.Random(seed)``. Every date is relative to
``today`` so a seeded card looks equally fresh whenever the sandbox starts.
"""

from __future__ import annotations

import hashlib
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import NamedTuple, TypeVar

from pos_app.sandbox.clienttoolbox_model import (
    CENT,
    Account,
    Campaign,
    Customer,
    Promo,
    Reward,
    Transaction,
    floor_int,
)

_T = TypeVar("_T")

ACCOUNT_ID = "tillcard_demo"
USER_ID = "tillcard_api"
AGENCY_NAME = "Sandbox Coffee & Co. – Café"
AGENCY_EMAIL = "frontdesk@sandbox-coffee.test"
RANDOM_CUSTOMERS = 560
FIRST_TRANSACTION_ID = 1001

POINTS_MAIN = "318204775190"
POINTS_PARTNER = "0457712093381624"
POINTS_STAFF = "9001223344556677889"
GIFT_MAIN = "4564222953051300"
GIFT_MALL = "7712003400560078"
GIFT_USD = "55501234567890"
EVENTS_COFFEE = "2468013579024"
EARNED_BUCKS = "135791357913579"


def _campaigns(today: date) -> list[Campaign]:
    def stamp(days: int, hms: str) -> datetime:
        return datetime.combine(today - timedelta(days=days), time.fromisoformat(hms))

    return [
        Campaign(
            POINTS_MAIN, "Tillcard Points", "points", "EUR", "€", stamp(1400, "10:26:11"),
            points_ratio=Decimal(1), reward_ratio=Decimal("0.01"),
            rewards=[
                Reward("41", Decimal(100), "Free coffee", "COFFEE100"),
                Reward("42", Decimal(500), "€5 off your purchase", "EUR5"),
                Reward("43", Decimal(2000), "Lunch for two", "LUNCH2"),
            ],
            promos=[
                Promo("89", "x", Decimal(2), "Double points Tuesday"),
                Promo("90", "+", Decimal(50), "Welcome bonus"),
            ],
        ),
        Campaign(
            POINTS_PARTNER, "Partner Miles", "points", "EUR", "€", stamp(900, "08:00:00"),
            points_ratio=Decimal(10), reward_ratio=Decimal("0.001"),
            rewards=[
                Reward("51", Decimal(1000), "€1 voucher"),
                Reward("52", Decimal(5000), "€5 voucher"),
            ],
        ),
        Campaign(
            POINTS_STAFF, "Staff Perks", "points", "EUR", "€", stamp(700, "17:45:02"),
            points_ratio=Decimal(2), reward_ratio=Decimal("0.005"), opt_out=True,
            rewards=[Reward("61", Decimal(250), "Staff meal")],
        ),
        Campaign(GIFT_MAIN, "Gift Card", "giftcard", "EUR", "€", stamp(1500, "09:12:40")),
        Campaign(GIFT_MALL, "Mall Gift Card", "giftcard", "EUR", "€", stamp(1100, "12:00:00")),
        Campaign(
            GIFT_USD, "Visitor Card (USD)", "giftcard", "USD", "$", stamp(600, "15:30:00"),
            opt_out=True,
        ),
        Campaign(
            EVENTS_COFFEE, "Coffee Stamps", "events", "", "", stamp(1000, "07:05:59"),
            rewards=[
                Reward("71", Decimal(5), "Free espresso"),
                Reward("72", Decimal(10), "Free cake & coffee"),
            ],
        ),
        Campaign(
            EARNED_BUCKS, "Sales Bucks", "earned", "EUR", "€", stamp(500, "11:11:11"),
            earned_per_event=Decimal("4.95"),
        ),
    ]  # fmt: skip


class FixtureTx(NamedTuple):
    campaign_id: str
    days_ago: int
    redeemed: bool
    amount: str
    authorization: str = ""
    reward_id: str = ""


class Fixture(NamedTuple):
    code: str
    card_number: str
    first_name: str
    last_name: str
    city: str
    custom_field: str
    registered: bool
    transactions: tuple[FixtureTx, ...]


# Hand-made customers with known balances, identical for every seed so tests can name them.
FIXTURES: dict[str, Fixture] = {
    "ampersand": Fixture(
        "5190436001123456", "81001234", "Smith & Sons", "Catering", "Leeds",
        "Invoice monthly & keep receipts", True,
        (
            FixtureTx(GIFT_MAIN, 200, False, "100.00", "INV-0007"),
            FixtureTx(GIFT_MAIN, 30, True, "37.55", "POS-0815"),
            FixtureTx(POINTS_MAIN, 150, False, "850", "POS-0700"),
        ),
    ),
    "accented": Fixture(
        "6203117788990011", "920045678", "Renée", "Dubois-Éluard", "Besançon",
        "Préfère les reçus en €", True,
        (
            FixtureTx(POINTS_PARTNER, 300, False, "12340", "Caisse 3"),
            FixtureTx(EVENTS_COFFEE, 20, False, "1"),
            FixtureTx(EVENTS_COFFEE, 15, False, "1"),
            FixtureTx(EVENTS_COFFEE, 10, False, "1"),
            FixtureTx(EVENTS_COFFEE, 6, False, "1"),
            FixtureTx(EVENTS_COFFEE, 2, False, "1"),
        ),
    ),
    "giftcard": Fixture(
        "4000123412341234", "12345678", "Jane", "Doe", "Anytown", "She likes cheese!", True,
        (
            FixtureTx(GIFT_MAIN, 60, False, "50.00", "POS-1001"),
            FixtureTx(GIFT_MAIN, 40, True, "12.50", "POS-1002"),
        ),
    ),
    "points": Fixture(
        "173648028775637382", "3141592653", "Amy", "Acker", "Springfield", "", True,
        (
            FixtureTx(POINTS_MAIN, 120, False, "800", "POS-2001"),
            FixtureTx(POINTS_MAIN, 90, True, "100", "POS-2002", "41"),
            FixtureTx(POINTS_MAIN, 45, False, "550", "POS-2003"),
            FixtureTx(POINTS_PARTNER, 80, False, "1500", "POS-2004"),
        ),
    ),
    "events": Fixture(
        "8800555535352222", "55501234", "Bob", "Brewer", "Portland", "", True,
        tuple(FixtureTx(EVENTS_COFFEE, 40 - 3 * i, False, "1") for i in range(12)),
    ),
    "earned": Fixture(
        "3300998877665544", "440011223", "Carla", "Gómez", "Sevilla", "", True,
        (
            *(FixtureTx(EARNED_BUCKS, 50 - 5 * i, False, "4.95") for i in range(6)),
            FixtureTx(EARNED_BUCKS, 5, True, "9.90", "POS-3001"),
        ),
    ),
    "empty": Fixture(
        "2200110099887766", "66006600", "Zed", "Zero", "Anytown", "", True,
        (
            FixtureTx(GIFT_MAIN, 100, False, "20.00", "POS-4001"),
            FixtureTx(GIFT_MAIN, 99, True, "20.00", "POS-4002"),
        ),
    ),
    "unregistered": Fixture(
        "7000000100000001", "70000001", "", "", "", "", False,
        (FixtureTx(GIFT_MALL, 3, False, "25.00", "GIFT-SALE-1"),),
    ),
    "coalition": Fixture(
        "9100200030004000", "9100200030", "Colin", "Coalition", "Brussels", "", True,
        (
            FixtureTx(POINTS_MAIN, 70, False, "300"),
            FixtureTx(POINTS_PARTNER, 60, False, "2000"),
            FixtureTx(POINTS_STAFF, 50, False, "500"),
            FixtureTx(GIFT_MAIN, 40, False, "40.00"),
            FixtureTx(GIFT_MALL, 30, False, "10.00"),
            FixtureTx(GIFT_USD, 20, False, "99.00"),
        ),
    ),
}  # fmt: skip

FIRST_NAMES = (
    "John", "Mary", "Ahmed", "Li", "Sofia", "Lucas", "Emma", "Noah", "Olivia", "Liam", "José",
    "Zoë", "Łukasz", "Søren", "Anaïs", "Jürgen", "Chloé", "Mateo", "Aisha", "Kenji", "Fatima",
    "Oskar", "Ines", "Pedro", "Hannah", "Yusuf", "Maja", "Tomás", "Grace", "Ivan",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Jones", "O'Brien", "Müller", "García", "Nguyễn", "Rossi", "Dubois", "Kowalski",
    "Andersen", "Tanaka", "Silva", "Novak", "Brown", "Wilson", "Martin", "López", "Schäfer",
    "Öztürk", "Virtanen", "Byrne", "Costa", "Fischer", "Petit", "Walker", "Young",
)  # fmt: skip
CITIES = (
    ("Anytown", "ND", "12345", "US"), ("Springfield", "IL", "62701", "US"),
    ("Lyon", "", "69001", "FR"), ("München", "BY", "80331", "DE"),
    ("Dublin", "", "D02 XY45", "IE"), ("Wellington", "", "6011", "NZ"),
    ("Kraków", "", "30-001", "PL"), ("Porto", "", "4000-123", "PT"),
)  # fmt: skip
STREETS = ("Main St.", "High Street", "Rue de la Paix", "Bahnhofstraße", "Elm Avenue", "Quay Road")
NOTES = ("", "", "", "", "Allergic to nuts & gluten", "VIP", "Prefers oat milk", "Birthday club")
USER_NAMES = ("frontdesk", "cashier324", "manager", USER_ID)
# (campaign id, probability a random customer belongs to it)
MEMBERSHIP = (
    (POINTS_MAIN, 0.55), (GIFT_MAIN, 0.35), (EVENTS_COFFEE, 0.25), (POINTS_PARTNER, 0.15),
    (GIFT_MALL, 0.12), (EARNED_BUCKS, 0.08), (POINTS_STAFF, 0.04), (GIFT_USD, 0.04),
)  # fmt: skip
GIFT_LOADS = ("10.00", "20.00", "25.00", "50.00", "100.00", "150.00")


@dataclass
class SeedWorld:
    """Everything the seed produced, handed to ``ClientToolboxData``."""

    api_key: str
    campaigns: dict[str, Campaign]
    customers: dict[str, Customer]
    accounts: dict[tuple[str, str], Account]
    transactions: dict[str, Transaction]
    next_transaction_id: int
    members: dict[str, list[str]] = field(default_factory=dict)


class _RawTx(NamedTuple):
    timestamp: datetime
    campaign_id: str
    code: str
    redeemed: bool
    amount: Decimal
    authorization: str
    user_name: str
    reward_id: str


def api_key_for(seed: int) -> str:
    """An 18-hex-digit key like the docs' ``1959caadac9b13dcb3``, stable per seed."""
    return hashlib.sha256(f"clienttoolbox:{seed}".encode()).hexdigest()[:18]


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


class _Builder:
    def __init__(self, seed: int, today: date) -> None:
        self.rng = random.Random(seed)
        self.now = datetime.combine(today, time(18, 0, 0))
        self.campaigns = {c.id: c for c in _campaigns(today)}
        self.customers: dict[str, Customer] = {}
        self.cards: set[str] = set()
        self.raw: list[_RawTx] = []

    def number(self, low: int, high: int) -> int:
        """``randrange(low, high)`` at a third of the cost; the seed runs on every reset."""
        return low + int(self.rng.random() * (high - low))

    def pick(self, options: Sequence[_T]) -> _T:
        return options[int(self.rng.random() * len(options))]

    def stamp(self, days_ago: int, seconds: int) -> datetime:
        return self.now - timedelta(days=days_ago, seconds=seconds)

    def add_fixture(self, fx: Fixture) -> None:
        oldest = max((t.days_ago for t in fx.transactions), default=10)
        city = next((c for c in CITIES if c[0] == fx.city), (fx.city, "", "", ""))
        login = _ascii(f"{fx.first_name}{fx.last_name}").replace(" ", "").replace("&", "and")
        self.customers[fx.code] = Customer(
            code=fx.code,
            card_number=fx.card_number,
            first_name=fx.first_name,
            last_name=fx.last_name,
            phone="555-0100" if fx.registered else "",
            email=f"{login}@example.test" if fx.registered else "",
            street1="1 Market Square" if fx.registered else "",
            street2="",
            city=city[0],
            state=city[1],
            postal_code=city[2],
            country=city[3],
            custom_date=date(1980, 7, 14) if fx.registered else None,
            custom_field=fx.custom_field,
            customer_username=login,
            customer_password="pa$$w0rd" if fx.registered else "",
            customer_pin="1234",
            registered=fx.registered,
            record_timestamp=self.stamp(oldest + 5, 3600),
        )
        self.cards.add(fx.card_number)
        for i, t in enumerate(fx.transactions):
            self.raw.append(
                _RawTx(
                    self.stamp(t.days_ago, 600 + 60 * i + self.number(0, 60)),
                    t.campaign_id,
                    fx.code,
                    t.redeemed,
                    Decimal(t.amount),
                    t.authorization,
                    "frontdesk",
                    t.reward_id,
                )
            )

    def unique(self, digits: int, taken: set[str] | dict[str, Customer]) -> str:
        while True:
            text = str(self.rng.randrange(10 ** (digits - 1), 10**digits))
            if text not in taken:
                return text

    def add_random(self, index: int) -> None:
        rng = self.rng
        code = self.unique(18 if rng.random() < 0.06 else 16, self.customers)
        card = self.unique(self.pick((8, 9, 10)), self.cards)
        self.cards.add(card)
        first, last = self.pick(FIRST_NAMES), self.pick(LAST_NAMES)
        city, state, postal, country = self.pick(CITIES)
        login = f"{_ascii(first)[:1]}{_ascii(last).replace(chr(39), '')}{index}"
        age_days = self.number(20, 900)
        registered = rng.random() < 0.9
        self.customers[code] = Customer(
            code=code,
            card_number=card,
            first_name=first,
            last_name=last,
            phone=f"555-{self.number(1000, 10000)}",
            email=f"{login}@example.test",
            street1=f"{self.number(1, 400)} {self.pick(STREETS)}",
            street2=self.pick(("", "", "", "Apt 3G", "2nd floor")),
            city=city,
            state=state,
            postal_code=postal,
            country=country,
            custom_date=date(1950 + self.number(0, 55), self.number(1, 13), self.number(1, 29)),
            custom_field=self.pick(NOTES),
            customer_username=login,
            customer_password=f"pw{self.number(0, 10**6):06d}",
            customer_pin=f"{self.number(0, 10**4):04d}",
            registered=registered,
            record_timestamp=self.stamp(age_days, self.number(0, 86400)),
        )
        joined = [cid for cid, p in MEMBERSHIP if rng.random() < p] or [POINTS_MAIN]
        for cid in joined:
            self.history(code, self.campaigns[cid], age_days)

    def history(self, code: str, campaign: Campaign, age_days: int) -> None:
        """A plausible run of earns and spends whose running balance never goes below zero."""
        rng = self.rng
        steps: list[tuple[bool, Decimal, str]] = []
        balance = Decimal(0)
        if campaign.type == "giftcard":
            balance = Decimal(self.pick(GIFT_LOADS))
            steps.append((False, balance, ""))
            for _ in range(self.number(0, 4)):
                spend = (balance * Decimal(self.number(5, 100)) / 100).quantize(CENT)
                if rng.random() < 0.1 or spend <= 0:
                    spend = balance
                if spend <= 0:
                    break
                steps.append((True, spend, ""))
                balance -= spend
        elif campaign.type == "points":
            ratio = campaign.points_ratio or Decimal(1)
            for _ in range(self.number(1, 6)):
                points = floor_int(Decimal(self.number(300, 12000)) / 100 * ratio)
                steps.append((False, points, ""))
                balance += points
            affordable = [r for r in campaign.rewards if r.level <= balance]
            if affordable and rng.random() < 0.3:
                reward = self.pick(affordable)
                steps.append((True, reward.level, reward.id))
        elif campaign.type == "events":
            visits = self.number(1, 13)
            steps.extend((False, Decimal(1), "") for _ in range(visits))
            if visits >= 5 and rng.random() < 0.4:
                steps.append((True, campaign.rewards[0].level, campaign.rewards[0].id))
        else:
            per_event = campaign.earned_per_event or Decimal(1)
            visits = self.number(1, 9)
            steps.extend((False, per_event, "") for _ in range(visits))
            if rng.random() < 0.3:
                spend = (per_event * visits * Decimal(self.number(10, 100)) / 100).quantize(CENT)
                steps.append((True, spend, ""))
        span = max(age_days - 1, len(steps))
        offsets = sorted((self.number(1, span + 1) for _ in steps), reverse=True)
        for (redeemed, amount, reward_id), days in zip(steps, offsets, strict=True):
            auth = f"POS-{self.number(0, 10**5):05d}" if rng.random() < 0.7 else ""
            self.raw.append(
                _RawTx(
                    self.stamp(days, self.number(0, 28800)),
                    campaign.id,
                    code,
                    redeemed,
                    amount,
                    auth,
                    self.pick(USER_NAMES),
                    reward_id,
                )
            )

    def world(self, seed: int) -> SeedWorld:
        self.raw.sort(key=lambda t: t.timestamp)
        accounts: dict[tuple[str, str], Account] = {}
        transactions: dict[str, Transaction] = {}
        for number, r in enumerate(self.raw, start=FIRST_TRANSACTION_ID):
            tx = Transaction(
                str(number), r.campaign_id, r.code, r.timestamp, r.redeemed, r.amount,
                r.authorization, r.user_name, r.reward_id,
            )  # fmt: skip
            transactions[tx.id] = tx
            account = accounts.get((r.code, r.campaign_id))
            if account is None:
                account = accounts[(r.code, r.campaign_id)] = Account(r.code, r.campaign_id)
            account.transactions.append(tx)
            account.apply(tx)
        members: dict[str, list[str]] = {cid: [] for cid in self.campaigns}
        for code in self.customers:
            for cid in self.campaigns:
                if (code, cid) in accounts:
                    members[cid].append(code)
        return SeedWorld(
            api_key=api_key_for(seed),
            campaigns=self.campaigns,
            customers=self.customers,
            accounts=accounts,
            transactions=transactions,
            next_transaction_id=FIRST_TRANSACTION_ID + len(self.raw),
            members=members,
        )


def build_world(seed: int, today: date) -> SeedWorld:
    builder = _Builder(seed, today)
    for fixture in FIXTURES.values():
        builder.add_fixture(fixture)
    for index in range(RANDOM_CUSTOMERS):
        builder.add_random(index)
    return builder.world(seed)
