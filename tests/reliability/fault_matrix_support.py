"""How one cell of the fault matrix is run and audited: one API, one fault, N cashier actions.

A cell opens a real till (journal file, sync engine and connectivity monitor running, httpx
clients to the served emulators), looks its cards up while all is well, switches the fault on
and lets a cashier per card do the work through ``CardActions``, the screen's own code path.
The background engine then finishes everything. The audit compares three records: what the
cashier was told, the journal, and the emulator's ledger and balances.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from pos_app.config import AppConfig
from pos_app.credentials import ENV_VARS, Credentials
from pos_app.domain import Money, OperationKind, Provider
from pos_app.journal.pending_operations import OPEN_STATES, Entry, EntryState
from pos_app.providers.factory import build_backends
from pos_app.sandbox.state import Sandbox
from pos_app.services.card_actions import ActionResult, CardActions
from pos_app.services.delivery import card_parts
from pos_app.services.lookup import Kind, Match, lookup
from pos_app.services.till import Till
from tests.cli_tills import MAIN_CARD, faults, ledger, secrets_env
from tests.journal.test_exactly_once import GENEROUS, Step, _assert_card_order, _pick
from tests.tills import till_config

PROVIDERS: Mapping[str, Provider] = {
    "loyaltydog": Provider.LOYALTYDOG,
    "leal": Provider.LEAL,
    "clienttoolbox": Provider.CLIENTTOOLBOX,
}
#: What a back-end's own "no" says; anything else in a refusal would be the till's invention.
REFUSAL = re.compile(r"insufficient|not enough|depleted", re.IGNORECASE)
#: How each back-end's credentials problem reads in the journal and on the status bar.
CREDENTIALS_PROBLEM: Mapping[str, str] = {
    "leal": "did not accept the API token",
    "clienttoolbox": "refused the API credentials",
}
CT_GIFT = "4564222953051300"  # ClientToolbox seed 0: the "Gift Card" stored-value campaign
CT_POINTS = "318204775190"  # ClientToolbox seed 0: "Tillcard Points"; reward 41 costs 100


@dataclass(frozen=True)
class Card:
    """A seed-0 card the matrix works on, and what it held before the test."""

    code: str  # what the cashier scans
    kind: Kind  # which of the code's matches is meant
    start: Decimal  # balance, stamps or points at the seed
    ledger_card: str  # how the emulator's ledger names the card
    rewards: tuple[str, ...] = ()  # rewards it can afford at the seed
    campaign: str | None = None  # ClientToolbox: the campaign of this balance


def _gift(number: str, balance: str) -> Card:
    return Card(number, "gift_card", Decimal(balance), number)


def _stamps(code: str, customer_card: str, stamps: int, *rewards: str) -> Card:
    return Card(code, "stamp_card", Decimal(stamps), customer_card, rewards)


def _stored(number: str, customer: str, balance: str) -> Card:
    return Card(number, "stored_value", Decimal(balance), customer, (), CT_GIFT)


def _points(number: str, customer: str, points: int, *rewards: str) -> Card:
    return Card(number, "points", Decimal(points), customer, rewards, CT_POINTS)


#: Per API: the cards random work goes to, and one card whose two steps the API must refuse
#: the second of (so every cell proves "needs attention only where the API said no").
CARDS: Mapping[str, tuple[Card, ...]] = {
    "loyaltydog": (
        _gift(MAIN_CARD, "100.00"),
        _gift("6119786109373652", "24.50"),
        _gift("6630356147884058", "9990.00"),
        _gift("6782982753715315", "180.00"),
        _gift("6996446568537332", "30.00"),
        _gift("6995917987413512", "60.00"),
        _gift("6229779678947608", "60.25"),
        _gift("6103492135060621", "37.25"),
    ),
    "leal": (
        _stamps("70KGIML2", "556", 9, "18", "19"),
        _stamps("TTWFTE1R", "557", 0),
        _stamps("LXPSVK9L", "559", 13, "17", "18", "19"),
        _stamps("APPTY2FN", "563", 3),
        _stamps("MH03RKYC", "569", 8, "18", "19"),
        _stamps("KO59RKLK", "567", 5, "18"),
        _stamps("S4ONTWLZ", "564", 6, "21", "22"),
        _stamps("Y4I1KFY7", "568", 3, "21"),
    ),
    "clienttoolbox": (
        _stored("12345678", "4000123412341234", "37.50"),
        _stored("91977487", "881095794711776029", "150.00"),
        _stored("48351184", "9728295196630569", "150.00"),
        _stored("46701402", "540392565800903864", "106.50"),
        _stored("23858193", "7240011999873148", "82.50"),
        _points("3141592653", "173648028775637382", 1250, "41", "42"),
        _points("54298696", "7301450313456013", 230, "41"),
        _points("3046691867", "8851242075888711", 349, "41"),
    ),
}
DOOMED: Mapping[str, tuple[Card, tuple[Step, Step]]] = {
    "loyaltydog": (
        _gift("6918428907045879", "10.00"),
        (
            Step("redeem", "6918428907045879", "gift_card", Decimal("6.00")),
            Step("redeem", "6918428907045879", "gift_card", Decimal("6.00")),
        ),
    ),
    "leal": (
        _stamps("ZTLKCIUD", "555", 7, "18"),  # Ana: 7 stamps, Size upgrade costs 5
        (
            Step("reward", "ZTLKCIUD", "stamp_card", reward="18"),
            Step("reward", "ZTLKCIUD", "stamp_card", reward="18"),
        ),
    ),
    "clienttoolbox": (
        _stored("56193944", "6925219456165746", "17.50"),
        (
            Step("redeem", "56193944", "stored_value", Decimal("10.00")),
            Step("redeem", "56193944", "stored_value", Decimal("10.00")),
        ),
    ),
}


def plan(api: str, count: int, rng: random.Random) -> list[Step]:
    """``count`` mixed cashier actions on one API, each within what its card showed at lookup."""
    steps = list(DOOMED[api][1])
    cards = CARDS[api]
    while len(steps) < count:
        card = rng.choice(cards)
        most = min(900, int(card.start * 100))
        if card.rewards and (card.kind == "points" or rng.random() < 0.3):
            steps.append(Step("reward", card.code, card.kind, reward=rng.choice(card.rewards)))
        elif card.kind == "stamp_card":
            steps.append(Step("stamp", card.code, card.kind, stamps=rng.randint(1, 3)))
        else:
            amount = Decimal(rng.randint(50, most)) / 100
            steps.append(Step("redeem", card.code, card.kind, amount))
    return steps[:count]


# --------------------------------------------------------------------------- faults


@dataclass(frozen=True)
class Fault:
    """A column of the matrix: the ``/_sandbox/faults`` body, and when it is in force.

    ``start`` and ``end`` are fractions of the cashier's work done; ``end`` 1 or more means the
    fault stays on until everything journaled has been delivered.
    """

    name: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    start: float = 0.0
    end: float = 2.0


FAULTS: Mapping[str, Fault] = {
    fault.name: fault
    for fault in (
        Fault("latency", {"latency_ms": 2000}),
        Fault("5xx", {"error_rate": 0.3, "error_status": 500}),
        Fault("429", {"rate_limit_rate": 0.3, "retry_after": 1}),
        Fault("drop", {"drop_rate": 0.3}),
        Fault("apply_then_drop", {"apply_then_drop_rate": 0.3}),
        Fault("outage", {"outage": True}, start=1 / 3, end=2 / 3),
        Fault("401"),  # per API: see Cell.schedule and Cell.new_secret
    )
}

#: Something done to the back-end between two stretches of the cashiers' work.
Switch = Callable[[], Awaitable[None]]


# --------------------------------------------------------------------------- one cell


@dataclass
class Figures:
    """What one cell did, for the report's table."""

    api: str
    fault: str
    ops: int
    seconds: float = 0.0
    states: Counter[str] = field(default_factory=Counter)
    offline: int = 0
    sends: int = 0
    reconciled: int = 0
    injected: int = 0
    note: str = ""

    def row(self) -> str:
        s = self.states
        return (
            f"| {self.api} | {self.fault} | {self.ops} | {self.seconds:.1f} | {s['done']} | "
            f"{s['rejected']} | {s['needs_attention']} | {s['cancelled']} | {self.offline} | "
            f"{self.sends} | {self.reconciled} | {self.injected} | {self.note} |"
        )


@dataclass
class Cell:
    """One API under one fault: the till, its cashiers, and the fault's schedule."""

    url: str
    sandbox: Sandbox
    data_dir: Path
    monkeypatch: pytest.MonkeyPatch
    api: str
    fault: Fault
    steps: list[Step]
    patience: float  # how long the whole cell may take before it counts as stuck
    figures: Figures = field(init=False)
    answers: list[tuple[Step, ActionResult]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.figures = Figures(self.api, self.fault.name, len(self.steps))
        self.provider = PROVIDERS[self.api]

    def config(self) -> AppConfig:
        """The sandbox configuration: fast retries, the cashier waits 1 s, caps out of the way."""
        policy = {**GENEROUS, "patience_seconds": 1}
        return till_config(self.url, self.sandbox, policy=policy, sync={"concurrency": 16})

    async def run(self) -> list[Entry]:
        """The whole cell; returns every journal entry once nothing is left to send."""
        started = time.monotonic()
        for name, value in secrets_env(self.sandbox).items():
            self.monkeypatch.setenv(name, value)  # looked up on each use, as from the keyring
        self._count_faults()
        config = self.config()
        till = Till.open(self.data_dir, config, build_backends(config, Credentials()))
        till.start()
        try:
            matches = await self._look_up(till)
            actions = CardActions(till)
            done = 0
            for at, switch in self.schedule():
                await self._cashiers(actions, matches, self.steps[done:at])
                await switch()
                done = at
            await self._cashiers(actions, matches, self.steps[done:])
            if self.fault.name == "401" and self.api != "loyaltydog":
                await self.new_secret(till)
            await self._until_delivered(till)
            await asyncio.to_thread(faults, self.url, self.api)
            dice = any(name.endswith("_rate") for name in self.fault.settings)
            if dice or (self.fault.name, self.api) == ("401", "loyaltydog"):
                assert self.figures.injected, "the fault never struck: the cell proves nothing"
            entries = till.operations.listing(frozenset(EntryState), 100_000)
        finally:
            await till.close()
        self.figures.seconds = time.monotonic() - started
        return sorted(entries, key=lambda e: e.seq)

    def _count_faults(self) -> None:
        """Seeded fault dice of the cell's own (put back afterwards), counting what they cast."""
        board = self.sandbox.faults
        self.monkeypatch.setattr(board, "rng", random.Random(f"{self.api}-{self.fault.name}"))
        roll = board.roll

        def counted(rate: float) -> bool:
            hit = roll(rate)
            self.figures.injected += hit
            return hit

        self.monkeypatch.setattr(board, "roll", counted)

    def _count_refused_tokens(self) -> None:
        """LoyaltyDog's 401s are this cell's injected faults: count the tokens it refuses."""
        data = self.sandbox.loyaltydog
        valid = data.token_valid

        def counted(token: str) -> bool:
            ok = valid(token)
            self.figures.injected += not ok
            return ok

        self.monkeypatch.setattr(data, "token_valid", counted)

    async def _look_up(self, till: Till) -> dict[str, Sequence[Match]]:
        """Each card is scanned once while all is well, as at the counter before the trouble."""
        codes = sorted({step.code for step in self.steps})
        found = await asyncio.gather(*(lookup(c, till.backends, memory=till.cards) for c in codes))
        return {code: result.matches for code, result in zip(codes, found, strict=True)}

    async def _cashiers(
        self, actions: CardActions, matches: Mapping[str, Sequence[Match]], steps: list[Step]
    ) -> None:
        """One cashier per card, each waiting for the till's answer before the next action."""
        lanes: dict[str, list[Step]] = {}
        for step in steps:
            lanes.setdefault(step.code, []).append(step)

        async def lane(mine: list[Step]) -> None:
            for step in mine:
                result = await act(actions, _pick(matches[step.code], step), step)
                self.answers.append((step, result))

        await asyncio.gather(*(lane(mine) for mine in lanes.values()))

    def schedule(self) -> list[tuple[int, Switch]]:
        """What happens to the back-end after how many of the cashiers' actions.

        Work between two switches runs in parallel (a cashier per card), so a switch lands
        exactly between the actions it is meant to separate.
        """
        count = len(self.steps)

        def post(**settings: Any) -> Switch:
            async def switch() -> None:
                await asyncio.to_thread(faults, self.url, self.api, **settings)

            return switch

        if self.fault.name != "401":
            switches = [(round(self.fault.start * count), post(**self.fault.settings))]
            if self.fault.end < 1:
                switches.append((round(self.fault.end * count), post()))
            return switches
        if self.api == "loyaltydog":
            # Bearer tokens expire: the client must log in again by itself, again and again.
            every = max(2, count // 8)
            expiries = range(0, count, every)
            self.figures.note = f"tokens expired {len(expiries)}x"
            self._count_refused_tokens()
            return [(at, post(expire_tokens=True)) for at in expiries]
        # A static secret replaced by the owner: the till's stored one is refused from now on.
        rotate = {"expire_tokens": True} if self.api == "leal" else {"rotate_api_key": True}
        return [(count // 3, post(**rotate))]

    async def new_secret(self, till: Till) -> None:
        """The owner enters the replaced secret, once the till has shown it is waiting for it.

        Until then nothing may be lost, given up on or sent; afterwards everything goes once.
        """
        waiting = await self._stuck_on_credentials(till)
        seed = await asyncio.to_thread(self.seed)
        secret = seed[self.api]["token" if self.api == "leal" else "api_key"]
        variable = ENV_VARS["leal" if self.api == "leal" else "clienttoolbox"]
        self.monkeypatch.setenv(variable, secret)  # read on each use, as from Settings
        self.figures.note = f"{waiting} waited for the new secret"

    async def _stuck_on_credentials(self, till: Till) -> int:
        """While the secret is wrong: the work waits, named as a credentials problem, unsent.

        Never "unknown" (a refused key applied nothing, and the till knows it), never given up
        on. Returns how many operations were waiting.
        """
        problem = CREDENTIALS_PROBLEM[self.api]
        deadline = time.monotonic() + 20
        while True:
            status = till.monitor.status(self.provider)
            if status.reason is not None and problem in status.reason:
                break
            assert time.monotonic() < deadline, f"the till never said why: {status}"
            await asyncio.sleep(0.05)
        applied = len(await asyncio.to_thread(ledger, self.url))
        await asyncio.sleep(1.5)  # several of the engine's retries (0.05-0.5 s back-off)
        assert len(await asyncio.to_thread(ledger, self.url)) == applied, "sent with a dead key"
        waiting = till.operations.listing(frozenset(OPEN_STATES), 100_000)
        assert waiting, "nothing was left waiting for the new secret: rotate it earlier"
        for entry in waiting:
            assert entry.state is not EntryState.UNKNOWN, entry.reason
            assert entry.reason is None or problem in entry.reason, entry.reason
        given_up = till.operations.listing(
            frozenset({EntryState.NEEDS_ATTENTION, EntryState.REJECTED}), 100_000
        )
        assert not [e.reason for e in given_up if e.reason and problem in e.reason]
        return len(waiting)

    async def _until_delivered(self, till: Till) -> None:
        """The background engine finishes every entry (with the fault still on)."""
        deadline = time.monotonic() + self.patience
        unfinished = frozenset({*OPEN_STATES, EntryState.HELD})
        while True:
            counts = till.operations.counts()
            if not any(counts.get(state) for state in unfinished):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"not delivered within {self.patience:.0f} s: {counts}")
            await asyncio.sleep(0.05)

    def seed(self) -> dict[str, Any]:
        """The emulators' state now, as ``/_sandbox/seed`` reports it (balances, secrets)."""
        response = httpx.get(f"{self.url}/_sandbox/seed")
        response.raise_for_status()
        return dict(response.json())


async def act(actions: CardActions, match: Match, step: Step) -> ActionResult:
    """The cashier's key press for one step."""
    if step.verb == "redeem":
        assert step.amount is not None
        assert match.balance is not None
        return await actions.redeem(match, Money(step.amount, match.balance.currency))
    if step.verb == "stamp":
        return await actions.add_stamps(match, step.stamps)
    assert step.reward is not None
    return await actions.redeem_reward(match, step.reward)


# --------------------------------------------------------------------------- the audit


def audit(cell: Cell, entries: list[Entry]) -> None:
    """The three records agree: the cashier's answers, the journal, the back-end's ledger.

    Raises AssertionError naming the first disagreement; fills in the cell's figures.
    """
    api, provider = cell.api, cell.provider
    by_key = {e.key: e for e in entries}
    told = {result.reference: result for _, result in cell.answers}
    cards = {card.code: card for card in (*CARDS[api], DOOMED[api][0])}
    assert len(cell.answers) == len(cell.steps), "a cashier action never got an answer"
    assert None not in told, [r.message for r in told.values() if r.reference is None]
    card_of = {str(result.reference): cards[step.code] for step, result in cell.answers}
    assert set(told) == set(by_key), "the journal and the cashier's answers differ"
    assert all(e.provider is provider for e in entries)
    figures = cell.figures
    figures.states = Counter(e.state.value for e in entries)
    figures.offline = sum(e.offline for e in entries)
    figures.sends = sum(e.attempts for e in entries)
    figures.reconciled = sum(1 for e in entries if "reconciled" in (e.result or {}))

    finished = {EntryState.DONE, EntryState.REJECTED, EntryState.NEEDS_ATTENTION}
    for entry in entries:
        assert entry.state in finished | {EntryState.CANCELLED}, f"lost: {entry}"
        _assert_told_the_truth(told[entry.key], entry)

    expected = _replay(entries, card_of)
    for entry in entries:
        if entry.state in (EntryState.REJECTED, EntryState.NEEDS_ATTENTION):
            assert REFUSAL.search(entry.reason or ""), (
                f"{entry.description} given up without the API saying no: {entry.reason}"
            )
    everything = ledger(cell.url)
    applied = [line for line in everything if line["api"] == api]
    assert len(everything) == len(applied), "another API was changed"
    done = [e for e in entries if e.state is EntryState.DONE]
    if api == "leal":
        _assert_leal_ledger(done, applied)
    else:
        field_name = "idempotency_key" if api == "loyaltydog" else "reference"
        _assert_keyed_ledger(api, done, applied, field_name, by_key)
    _assert_balances(cell, expected)


def _assert_told_the_truth(answer: ActionResult, entry: Entry) -> None:
    """Done means applied, "nothing was charged" means never sent, PENDING means seen through."""
    if answer.state == "done":
        assert entry.state is EntryState.DONE, (answer.message, entry.state)
    elif answer.state == "pending":
        assert entry.promised, entry
        assert entry.state in (EntryState.DONE, EntryState.NEEDS_ATTENTION), (
            answer.message,
            entry.state,
        )
    elif answer.state == "needs_attention":
        assert entry.state is EntryState.NEEDS_ATTENTION, (answer.message, entry.state)
    else:
        assert entry.state in (EntryState.REJECTED, EntryState.CANCELLED), (
            answer.message,
            entry.state,
        )


def _replay(entries: list[Entry], card_of: Mapping[str, Card]) -> dict[str, Decimal]:
    """Each card's journal, replayed in order against its seed value: what the API must do.

    An entry the back-end must accept has to be done, one it must refuse has to be refused
    (cancelled entries never left the till). Returns each card's value afterwards.
    """
    value = {card.code: card.start for card in card_of.values()}
    for entry in entries:
        if entry.state is EntryState.CANCELLED:
            continue
        card = card_of[entry.key]
        size = entry.amount.amount if entry.amount is not None else Decimal(entry.units or 0)
        if entry.kind is OperationKind.ADD_STAMPS:
            accepted, value[card.code] = True, value[card.code] + size
        elif size <= value[card.code]:
            accepted, value[card.code] = True, value[card.code] - size
        else:
            accepted = False
        assert (entry.state is EntryState.DONE) == accepted, (
            f"{entry.description}: {entry.state.value}, but {card.code} had "
            f"{value[card.code]} for it ({entry.reason})"
        )
    return value


def _assert_keyed_ledger(
    api: str,
    done: list[Entry],
    applied: list[dict[str, Any]],
    field_name: str,
    by_key: Mapping[str, Entry],
) -> None:
    """LoyaltyDog and ClientToolbox carry our key: each done entry exactly once, nothing else."""
    keys = Counter(line[field_name] for line in applied)
    doubled = {str(key)[:8]: n for key, n in keys.items() if n > 1}
    assert not doubled, f"{api} applied these twice: {doubled}"
    wanted = {e.key for e in done}
    assert set(keys) == wanted, (
        f"{api}: not applied {len(wanted - set(keys))}, applied but not done "
        f"{len(set(keys) - wanted)}"
    )
    for line in applied:
        entry = by_key[line[field_name]]
        size = entry.amount.amount if entry.amount is not None else Decimal(entry.units or 0)
        assert Decimal(line["amount"]) == size, (line, entry.description)
    _assert_card_order(done, [by_key[line[field_name]] for line in applied])


def _assert_leal_ledger(done: list[Entry], applied: list[dict[str, Any]]) -> None:
    """Leal has no key: per card, the applied sequence is the done entries' sequence."""
    for card_id in {line["card"] for line in applied} | {card_parts(e.card)[1] for e in done}:
        wanted = [(e.kind.value, e.units) for e in done if card_parts(e.card)[1] == card_id]
        got = [(line["operation"], line["stamps"]) for line in applied if line["card"] == card_id]
        assert got == wanted, f"Leal card {card_id}: applied {got}, journaled {wanted}"


def _assert_balances(cell: Cell, expected: Mapping[str, Decimal]) -> None:
    """The emulator's balances now are the seed's minus exactly what was applied."""
    now = cell.seed()
    cards = {card.code: card for card in (*CARDS[cell.api], DOOMED[cell.api][0])}
    for code, value in expected.items():
        card = cards[code]
        assert _held(now, cell.api, card) == value, f"{code}: {value} expected"


def _held(seed: Mapping[str, Any], api: str, card: Card) -> Decimal:
    if api == "loyaltydog":
        (found,) = [c for c in seed["loyaltydog"]["cards"] if c["cardNumber"] == card.code]
        return Decimal(found["balance"])
    if api == "leal":
        (stamps,) = [
            c["stamps_count"]
            for customer in seed["leal"]["customers"]
            for c in customer["customer_cards"]
            if str(c["id"]) == card.ledger_card
        ]
        return Decimal(stamps)
    (row,) = [
        r
        for r in seed["clienttoolbox"]["customers"]
        if r["code"] == card.ledger_card and r["campaign_id"] == card.campaign
    ]
    return Decimal(row["balance"])


TABLE_HEAD = (
    "| API | fault | ops | s | done | rejected | needs attention | cancelled | offline | sends "
    "| reconciled | faults injected | note |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)
