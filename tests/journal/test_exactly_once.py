"""The proof of "never lose, never double": real ``pos-app`` processes against the emulators.

Each test journals real operations (the cashier's own code path: lookup, policy, journal), lets
``pos-app sync`` send them under hostile conditions, and then audits the emulators' ledger, the
back-ends' own record of what they applied, against the journal: every operation exactly once,
in order per card, and nothing the journal does not know about.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pos_app.config import load_config
from pos_app.domain import Money, OperationKind, Provider
from pos_app.journal.database import open_journal
from pos_app.journal.pending_operations import Entry, EntryState, PendingOperations
from pos_app.providers.factory import build_backends
from pos_app.sandbox.state import Sandbox
from pos_app.services.card_actions import CardActions
from pos_app.services.lookup import Match, lookup
from pos_app.services.till import Till as ServiceTill
from pos_app.training import sandbox_credentials
from tests.cli_tills import (
    ANA_CODE,
    MAIN_CARD,
    POINTS,
    STORED_VALUE,
    Till,
    faults,
    ledger,
    secrets_env,
    wait_for_text,
    write_config,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def emulators(sandbox_server: tuple[str, Sandbox]) -> tuple[str, Sandbox]:
    """The served emulators without Leal's 120-requests-a-minute throttle.

    The throttle is real (the engine waits out its ``Retry-After``; see test_sync), but here it
    would only turn a delivery proof into minutes of waiting.
    """
    url, sandbox = sandbox_server
    sandbox.leal.rate_limiter.limit = 10**9
    return url, sandbox


#: Offline work without caps in the way: these tests are about delivery, not the policy.
GENEROUS = {
    "redeem": {"per_transaction_cap": "1000.00", "terminal_cap": "100000.00"},
}

# Seed 0 cards. LoyaltyDog: number -> balance. Leal: code -> (customer card id, reward to spend).
LOYALTYDOG_CARDS = {
    MAIN_CARD: Decimal("100.00"),
    "6630356147884058": Decimal("9990.00"),
    "6878977827625429": Decimal("498.37"),
    "6782982753715315": Decimal("180.00"),
}
LEAL_CARDS = {
    ANA_CODE: ("555", "18"),  # 7 stamps; Size upgrade costs 5
    "70KGIML2": ("556", "19"),  # Bruno, 9 stamps; Free pastry costs 8
    "TTWFTE1R": ("557", None),  # Dev, 0 stamps
    "LXPSVK9L": ("559", "17"),  # Jude, 13 stamps; Free coffee costs 10
    "APPTY2FN": ("563", None),  # Rosa, 3 stamps
}
STORED_VALUE_CARDS = (STORED_VALUE, "91977487", "48351184")  # EUR 37.50, 150.00, 150.00
POINTS_REWARD = "41"  # Amy Acker's Tillcard Points: a free coffee for 100 of her 1250


@dataclass(frozen=True)
class Step:
    """One cashier action: what to do, on which card."""

    verb: str  # redeem | stamp | reward
    code: str
    kind: str  # the Match kind that is meant (a code can find several cards)
    amount: Decimal | None = None
    stamps: int = 0
    reward: str | None = None


def plan(rng: random.Random, per_card: int) -> list[Step]:
    """Mixed work on all three APIs, shuffled across cards, within every card's balance.

    ``per_card`` scales it: each gift card and stored-value card gets that many redemptions,
    each stamp card that many stamp actions (plus its one reward), the points card 1 in 4.
    """
    steps: list[Step] = []
    for number in LOYALTYDOG_CARDS:
        for _ in range(per_card):
            cents = rng.randint(50, 300)  # at most 3.00 x per_card; the smallest card has 100
            steps.append(Step("redeem", number, "gift_card", Decimal(cents) / 100))
    for code in STORED_VALUE_CARDS:
        for _ in range(per_card):
            cents = rng.randint(50, 200)  # Jane's 37.50 covers 18 x 2.00
            steps.append(Step("redeem", code, "stored_value", Decimal(cents) / 100))
    steps += [Step("reward", POINTS, "points", reward=POINTS_REWARD)] * max(1, per_card // 4)
    for code, (_, reward) in LEAL_CARDS.items():
        card_steps = [
            Step("stamp", code, "stamp_card", stamps=rng.randint(1, 3)) for _ in range(per_card)
        ]
        if reward is not None:
            spend = Step("reward", code, "stamp_card", reward=reward)
            card_steps.insert(rng.randrange(len(card_steps) + 1), spend)
        steps += card_steps
    rng.shuffle(steps)
    return steps


def _pick(matches: Sequence[Match], step: Step) -> Match:
    for match in matches:
        if step.reward is not None and match.reward(step.reward) is None:
            continue
        if match.kind != step.kind:
            continue
        return match
    raise AssertionError(f"no card for {step} in {[m.as_json() for m in matches]}")


async def journal(
    url: str, config_path: Path, sandbox: Sandbox, data_dir: Path, steps: list[Step]
) -> None:
    """Do the steps as a cashier would, with the back-ends unreachable: each must be PENDING.

    Each card is looked up while online first (as at the counter), so the till has the cached
    state the offline policy needs; during the outage it is scanned again (the till shows it
    stale) and every step goes through ``CardActions``, the screen's and the CLI's code path.
    """
    config = load_config(config_path)
    backends = build_backends(config, sandbox_credentials(sandbox.seed_summary()))
    till = ServiceTill.open(data_dir, config, backends)
    try:
        codes = sorted({step.code for step in steps})
        await asyncio.gather(*(lookup(code, backends, memory=till.cards) for code in codes))
        faults(url, "all", outage=True)
        scans = await asyncio.gather(*(lookup(c, backends, memory=till.cards) for c in codes))
        seen = {code: scan.matches for code, scan in zip(codes, scans, strict=True)}
        assert all(m.stale_seconds is not None for ms in seen.values() for m in ms)
        actions = CardActions(till)
        for step in steps:
            match = _pick(seen[step.code], step)
            if step.verb == "redeem":
                assert step.amount is not None
                assert match.balance is not None
                result = await actions.redeem(match, Money(step.amount, match.balance.currency))
            elif step.verb == "stamp":
                result = await actions.add_stamps(match, step.stamps)
            else:
                assert step.reward is not None
                result = await actions.redeem_reward(match, step.reward)
            assert result.state == "pending", (step, result.message)
    finally:
        await till.close()


def journal_entries(data_dir: Path) -> list[Entry]:
    db = open_journal(data_dir)
    try:
        operations = PendingOperations(db)
        every = frozenset(EntryState)
        return sorted(operations.listing(every, limit=100_000), key=lambda e: e.seq)
    finally:
        db.close()


async def leal_stamps(config_path: Path, sandbox: Sandbox) -> dict[str, int]:
    """Each test card's stamps now, read from Leal over HTTP."""
    config = load_config(config_path)
    backends = build_backends(config, sandbox_credentials(sandbox.seed_summary()))
    try:
        now = {}
        for code, (card_id, _) in LEAL_CARDS.items():
            (match,) = [
                m
                for m in (await lookup(code, backends)).matches
                if m.provider is Provider.LEAL and m.owner_id
            ]
            assert match.stamps is not None
            now[card_id] = match.stamps
        return now
    finally:
        await backends.aclose()


def assert_exactly_once(
    entries: list[Entry], applied: list[dict[str, Any]], stamps_now: dict[str, int]
) -> None:
    """The ledger against the journal, per API, by each API's own evidence."""
    assert entries, "nothing was journaled"
    states = Counter(e.state for e in entries)
    assert states == {EntryState.DONE: len(entries)}, states
    by_key = {e.key: e for e in entries}

    # LoyaltyDog and ClientToolbox carry our key: exactly one application per key, none unknown.
    for api, provider, field in (
        ("loyaltydog", Provider.LOYALTYDOG, "idempotency_key"),
        ("clienttoolbox", Provider.CLIENTTOOLBOX, "reference"),
    ):
        lines = [line for line in applied if line["api"] == api]
        keys = Counter(line[field] for line in lines)
        doubled = {key[:8]: n for key, n in keys.items() if n > 1}
        assert not doubled, f"{api} applied these twice: {doubled}"
        journaled = {e.key for e in entries if e.provider is provider}
        assert set(keys) == journaled, (
            f"{api}: lost {len(journaled - set(keys))}, unknown {len(set(keys) - journaled)}"
        )
        for line in lines:
            entry = by_key[line[field]]
            expected = (
                entry.amount.amount if entry.amount is not None else Decimal(entry.units or 0)
            )
            assert Decimal(line["amount"]) == expected, (line, entry.description)
        _assert_card_order(entries, [by_key[line[field]] for line in lines])

    # Leal has no key: per customer card, the applied sequence must be the journaled one.
    for card_id in {line["card"] for line in applied if line["api"] == "leal"} | {
        e.card.rpartition("/")[2] for e in entries if e.provider is Provider.LEAL
    }:
        wanted = [
            (e.kind.value, e.units)  # the ledger's names are the journal's
            for e in entries
            if e.provider is Provider.LEAL and e.card.rpartition("/")[2] == card_id
        ]
        got = [
            (line["operation"], line["stamps"])
            for line in applied
            if line["api"] == "leal" and line["card"] == card_id
        ]
        assert got == wanted, f"Leal card {card_id}: applied {got}, journaled {wanted}"
    seeded = {  # a fresh seed-0 world: what the cards had before the test
        str(card["id"]): card["stamps_count"]
        for customer in Sandbox(0).seed_summary()["leal"]["customers"]
        for card in customer["customer_cards"]
    }
    for card_id, now in stamps_now.items():
        change = sum(
            (e.units or 0) * (1 if e.kind is OperationKind.ADD_STAMPS else -1)
            for e in entries
            if e.provider is Provider.LEAL and e.card.rpartition("/")[2] == card_id
        )
        assert now == seeded[card_id] + change, f"Leal card {card_id}: {now} stamps"


def _assert_card_order(entries: list[Entry], applied_order: list[Entry]) -> None:
    """First in, first out per card: the back-end saw each card's entries in journal order."""
    journal_order: dict[str, list[int]] = defaultdict(list)
    for entry in entries:
        journal_order[entry.card].append(entry.seq)
    seen: dict[str, list[int]] = defaultdict(list)
    for entry in applied_order:
        seen[entry.card].append(entry.seq)
    for card, seqs in seen.items():
        assert seqs == journal_order[card], f"card {card}: sent out of order"


# ---------------------------------------------------------------------------------------------


def test_sigkill_during_sync_never_loses_or_doubles(
    emulators: tuple[str, Sandbox], tmp_path: Path
) -> None:
    """``kill -9`` at random moments, 30 times, while the answers keep getting lost.

    Faults on every API: "apply then drop" (the back-end commits, the answer never arrives) and
    dropped connections, plus a little latency so kills land while requests are on the wire.
    """
    url, sandbox = emulators
    config = write_config(
        url, sandbox, tmp_path / "till.toml", policy=GENEROUS, sync={"concurrency": 4}
    )
    till = Till(config, tmp_path / "data", secrets_env(sandbox))
    steps = plan(random.Random(20251122), per_card=8)
    asyncio.run(journal(url, config, sandbox, till.data_dir, steps))
    faults(url, "all", apply_then_drop_rate=0.3, drop_rate=0.15, latency_ms=25)

    rng = random.Random(7)
    after_kill: list[Counter[EntryState]] = []
    for kill in range(30):
        log = tmp_path / f"sync-{kill}.log"
        process = till.start("sync", log=log)
        wait_for_text(log, "Sending the journal")
        time.sleep(rng.uniform(0.0, 0.6))
        process.kill()
        assert process.wait(timeout=10) < 0
        assert "Traceback" not in log.read_text(encoding="utf-8")
        after_kill.append(Counter(e.state for e in journal_entries(till.data_dir)))
    interrupted = sum(1 for states in after_kill if states[EntryState.IN_FLIGHT])
    busy = sum(1 for states in after_kill if states[EntryState.DONE] < len(steps))

    faults(url, "all")
    done = till.sync_until_empty()
    assert done.returncode == 0, done.stdout + done.stderr
    entries = journal_entries(till.data_dir)
    assert len(entries) == len(steps)
    print(f"30 kills: {busy} with work left, {interrupted} with a send on the wire")
    print("done after each kill:", [states[EntryState.DONE] for states in after_kill])
    assert busy >= 15, "the queue emptied early: give the kill test more work"
    assert interrupted >= 5, "the kills never caught a send on the wire"
    assert any(e.result and "reconciled" in e.result for e in entries), "nothing was reconciled"
    stamps = asyncio.run(leal_stamps(config, sandbox))
    assert_exactly_once(entries, ledger(url), stamps)


def test_two_hundred_offline_operations_sync_once_each_in_card_order(
    emulators: tuple[str, Sandbox], tmp_path: Path
) -> None:
    """An afternoon without network: 200 operations on 15 cards, then one ``pos-app sync``."""
    url, sandbox = emulators
    config = write_config(url, sandbox, tmp_path / "till.toml", policy=GENEROUS)
    till = Till(config, tmp_path / "data", secrets_env(sandbox))
    steps = plan(random.Random(1), per_card=17)[:200]  # a random 200 of 211
    assert len(steps) == 200
    asyncio.run(journal(url, config, sandbox, till.data_dir, steps))
    entries = journal_entries(till.data_dir)
    assert [e.state for e in entries] == [EntryState.PENDING] * 200
    assert all(e.promised for e in entries)  # the cashier was told PENDING for each
    assert ledger(url) == []

    faults(url, "all")
    done = till.sync_until_empty()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "200 done" in done.stdout or "still waiting" not in done.stdout
    stamps = asyncio.run(leal_stamps(config, sandbox))
    assert_exactly_once(journal_entries(till.data_dir), ledger(url), stamps)


def test_two_tills_cannot_spend_one_balance_twice_offline(
    emulators: tuple[str, Sandbox], tmp_path: Path
) -> None:
    """Each till alone may spend 60.00 of the card's 100.00 offline; the back-end decides.

    The second to sync is refused by LoyaltyDog; the cashier was told PENDING, so the refusal
    must land in needs-attention with the API's reason, and the ledger has one redemption.
    """
    url, sandbox = emulators
    tills = [
        Till(
            write_config(url, sandbox, tmp_path / f"{name}.toml", terminal_id=name),
            tmp_path / name,
            secrets_env(sandbox),
        )
        for name in ("till-a", "till-b")
    ]
    for till in tills:
        assert till.run("manager-pin", "Maria", stdin="2468\n2468\n").returncode == 0
        assert till.run("lookup", MAIN_CARD).returncode == 0  # online: the card is cached
    faults(url, "loyaltydog", outage=True)
    answers = []
    for till in tills:
        code, answer = till.json("redeem", MAIN_CARD, "60.00", env={"POS_APP_MANAGER_PIN": "2468"})
        assert (code, answer["state"], answer["approved_by"]) == (0, "pending", "Maria"), answer
        answers.append(answer)
    assert ledger(url) == []

    faults(url, "loyaltydog")
    first, second = (till.run("sync", "--once") for till in tills)
    assert first.returncode == 0, first.stderr
    assert "1 done" in first.stdout
    assert second.returncode == 1
    assert "1 need attention" in second.stdout
    assert "refused" in second.stderr

    code, queue = tills[1].json("queue")
    assert code == 0
    (waiting,) = queue["operations"]
    assert waiting["reference"] == answers[1]["reference"]
    assert waiting["state"] == "needs_attention"
    assert waiting["amount"] == "60.00"
    assert "balance" in waiting["reason"].lower()
    assert tills[0].json("queue") == (0, {"operations": []})
    applied = [(e["operation"], e["amount"], e["idempotency_key"]) for e in ledger(url)]
    assert applied == [("redeem", "60.00", answers[0]["reference"])]
