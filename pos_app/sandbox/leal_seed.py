"""The seeded Leal world: one reachable store with coffee and haircut cards, plus a foreign store.

Ids and stamp progress are fixed so tests and trainers can rely on them; names, phone numbers,
card codes, uuids and dates vary with the seed. Every date counts back from ``today``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime

from pos_app.sandbox.leal_data import (
    ACCOUNT_ID,
    FOREIGN_ACCOUNT_ID,
    CardTemplate,
    Customer,
    CustomerCard,
    ExternalReference,
    LealData,
    Location,
    Reward,
    Store,
    at,
)

COFFEE, HAIRCUT, SMOOTHIE, TEA = 3, 4, 5, 90

FIRST_NAMES = (
    "Ana", "Bruno", "Chloe", "Dev", "Elif", "Farah", "Gustavo", "Hana", "Ivan", "Jude",
    "Kofi", "Lena", "Mateo", "Nia", "Oskar", "Priya", "Quentin", "Rosa", "Sami", "Tomasz",
)  # fmt: skip
LAST_NAMES = (
    "Silva", "Okafor", "Nguyen", "Patel", "Kowalski", "Haddad", "Moreau", "Tanaka", "Byrne",
    "Costa", "Lindqvist", "Mensah", "Reyes", "Schmidt", "Yilmaz", "Walsh", "Ibrahim", "Novak",
)  # fmt: skip


@dataclass(frozen=True)
class Profile:
    """One seeded customer: which cards at what progress, and which contact details."""

    cards: tuple[tuple[int, int], ...]
    email: bool = True
    phone: bool = True
    last_name: bool = True
    reference: tuple[str, str] | None = None


PROFILES: tuple[Profile, ...] = (
    Profile(((COFFEE, 7),), reference=("tillcard", "TC-1001")),  # 9001 can redeem a size upgrade
    Profile(((COFFEE, 9),)),  # 9002 one stamp short of a free coffee
    Profile(((COFFEE, 0),)),  # 9003 fresh card
    Profile(((COFFEE, 10),)),  # 9004 exactly full
    Profile(((COFFEE, 13),)),  # 9005 over-full
    Profile(((COFFEE, 4), (HAIRCUT, 5))),  # 9006 two cards
    Profile(((HAIRCUT, 2),), email=False),  # 9007 phone only
    Profile(((COFFEE, 3),), phone=False, last_name=False),  # 9008 email only, no last name
    Profile(((HAIRCUT, 6),)),  # 9009 haircut card full
    Profile(((HAIRCUT, 0),)),  # 9010 fresh haircut card
    Profile(((COFFEE, 1),), reference=("square", "SQ-{n}")),  # 9011
    Profile(((COFFEE, 5),)),  # 9012 exactly the size-upgrade cost
    Profile(((HAIRCUT, 3),), reference=("shopify", "{n}")),  # 9013
    Profile(((COFFEE, 8),)),  # 9014
    Profile(((COFFEE, 2),)),  # 9015
    Profile(((HAIRCUT, 1),)),  # 9016
)


def populate(data: LealData, rng: random.Random, today: date) -> None:
    """Fill an empty ``LealData`` with the seeded world."""
    data.primary_token = data.make_token(data.seed)
    data.tokens = {data.primary_token: frozenset({ACCOUNT_ID})}
    opened = at(today, 900, 8)
    data.stores = {
        ACCOUNT_ID: Store(ACCOUNT_ID, "corner-cafe", "Corner Café & Cuts", False, opened, opened),
        FOREIGN_ACCOUNT_ID: Store(
            FOREIGN_ACCOUNT_ID, "Teahouse (another user)", None, False, opened, opened
        ),
    }
    _cards(data, today)
    _rewards(data, today)
    data.locations = {
        31: Location(31, ACCOUNT_ID, "High Street", "12 High Street, Bristol BS1 2AW",
                     51.4545, -2.5879, opened, opened),
        32: Location(32, ACCOUNT_ID, "Station Kiosk", "Temple Meads Station, Bristol BS1 6QF",
                     None, None, at(today, 3, 9), at(today, 3, 9)),
    }  # fmt: skip
    _customers(data, rng, today)
    _foreign_customer(data, rng, today)


def _template(
    data: LealData,
    today: date,
    card_id: int,
    account_id: int,
    name: str,
    required: int,
    *,
    icon: str = "star",
    initial_stamps: int = 0,
    card_color: str = "#3B2A20",
    strip_color: str = "#6F4E37",
    header_text: str | None = None,
    archived_days: int | None = None,
) -> None:
    created = at(today, 800, 10)
    data.cards[card_id] = CardTemplate(
        id=card_id,
        account_id=account_id,
        name=name,
        stamps_required=required,
        initial_stamps=initial_stamps,
        stamp_icon=icon,
        card_color=card_color,
        text_color="#FFFFFF",
        stamp_color="#F5C542",
        stamp_background_color="#5A4334",
        strip_type="color",
        strip_color=strip_color,
        strip_preset=None,
        header_text=header_text,
        archived_at=None if archived_days is None else at(today, archived_days, 17),
        created_at=created,
        updated_at=created,
    )


def _cards(data: LealData, today: date) -> None:
    _template(
        data,
        today,
        COFFEE,
        ACCOUNT_ID,
        "Coffee Card",
        10,
        icon="coffee",
        header_text="10th coffee on us",
    )
    _template(
        data,
        today,
        HAIRCUT,
        ACCOUNT_ID,
        "Haircut Card",
        6,
        initial_stamps=1,
        card_color="#1F2937",
        strip_color="#374151",
    )
    _template(
        data,
        today,
        SMOOTHIE,
        ACCOUNT_ID,
        "Smoothie Card",
        8,
        icon="heart",
        archived_days=120,
        card_color="#2F855A",
    )
    _template(data, today, TEA, FOREIGN_ACCOUNT_ID, "Tea Card", 8, icon="heart")  # fmt: skip


def _rewards(data: LealData, today: date) -> None:
    created = at(today, 790, 11)
    rows = (
        (17, ACCOUNT_ID, COFFEE, "Free coffee", "Any size, any blend", 10, 3, True),
        (18, ACCOUNT_ID, COFFEE, "Size upgrade", None, 5, 1, True),
        (19, ACCOUNT_ID, COFFEE, "Free pastry", "From the counter", 8, 2, True),
        (20, ACCOUNT_ID, COFFEE, "Free muffin", "Retired offer", 4, 4, False),
        (21, ACCOUNT_ID, HAIRCUT, "Free beard trim", None, 3, 1, True),
        (22, ACCOUNT_ID, HAIRCUT, "Free haircut", "Standard cut", 6, 2, True),
        (23, ACCOUNT_ID, SMOOTHIE, "Free smoothie", None, 8, 1, True),
        (901, FOREIGN_ACCOUNT_ID, TEA, "Free tea", None, 8, 1, True),
    )
    for rid, account, card, name, description, cost, position, active in rows:
        data.rewards[rid] = Reward(
            rid, account, card, name, description, cost, position, active, created, created
        )


def _customers(data: LealData, rng: random.Random, today: date) -> None:
    firsts = rng.sample(FIRST_NAMES, len(PROFILES))
    lasts = rng.sample(LAST_NAMES, len(PROFILES))
    phones = rng.sample(range(1000), len(PROFILES))
    for index, profile in enumerate(PROFILES):
        cid = data.next_customer_id
        first = firsts[index]
        last = lasts[index] if profile.last_name else None
        email = None
        if profile.email:
            local = f"{first}.{last}" if last else f"{first}{rng.randint(10, 99)}"
            email = f"{local.lower()}@example.com"
        days_back = rng.randint(30, 700)
        created = at(today, days_back, rng.randint(8, 18), rng.randint(0, 59))
        updated = at(today, rng.randint(1, days_back - 1), rng.randint(8, 18), rng.randint(0, 59))
        refs = []
        if profile.reference:
            source, pattern = profile.reference
            refs.append(
                ExternalReference(source, pattern.format(n=rng.randint(100000, 999999)), {})
            )
        customer = Customer(
            id=cid,
            account_id=ACCOUNT_ID,
            first_name=first,
            last_name=last,
            email=email,
            phone=f"+447700900{phones[index]:03d}" if profile.phone else None,
            birthday=None if index % 3 == 2 else _birthday(rng),
            metadata={"tier": "gold"} if index == 4 else {},
            external_references=refs,
            card_ids=[],
            created_at=created,
            updated_at=updated,
        )
        data.customers[cid] = customer
        data.next_customer_id += 1
        for offset, (card_id, stamps) in enumerate(profile.cards):
            issued = at(today, max(1, days_back - 20 * offset), 12)
            _enrol(data, rng, customer, card_id, stamps, issued, updated)


def _enrol(
    data: LealData,
    rng: random.Random,
    customer: Customer,
    card_id: int,
    stamps: int,
    issued: datetime,
    updated: datetime,
) -> None:
    card = CustomerCard(
        id=data.next_customer_card_id,
        uuid=data.new_uuid(rng),
        code=data.new_code(rng),
        account_id=customer.account_id,
        customer_id=customer.id,
        card_id=card_id,
        stamps_count=stamps,
        pass_installed=rng.random() < 0.7,
        issued_at=issued,
        created_at=issued,
        updated_at=max(issued, updated),
    )
    data.customer_cards[card.id] = card
    data.next_customer_card_id += 1
    customer.card_ids.append(card.id)


def _foreign_customer(data: LealData, rng: random.Random, today: date) -> None:
    created = at(today, 200, 14)
    customer = Customer(
        id=9901,
        account_id=FOREIGN_ACCOUNT_ID,
        first_name="Olu",
        last_name="Adeyemi",
        email="olu.adeyemi@example.org",
        phone="+447700900999",
        birthday=None,
        metadata={},
        external_references=[],
        card_ids=[],
        created_at=created,
        updated_at=created,
    )
    data.customers[customer.id] = customer
    saved = data.next_customer_card_id
    data.next_customer_card_id = 99001
    _enrol(data, rng, customer, TEA, 8, created, created)
    data.next_customer_card_id = saved


def _birthday(rng: random.Random) -> date:
    return date(1960 + rng.randint(0, 45), rng.randint(1, 12), rng.randint(1, 28))
