"""Drain 1,000 journaled operations across 100 cards against the emulators, and check the ledger.

The emulators run in their own process (``pos-app sandbox``) on loopback. Before each scenario
the sandbox is reset (fresh balances, a fresh Leal rate-limit window, no faults) and the faults
are set; then a fresh journal on the real disk gets the operations as real rows, the ones the
counter screen writes (``new_entry()`` of a domain operation built from a real looked-up card,
``PendingOperations.add()``), round-robin over the cards, 10 per card. Only
``SyncEngine.drain()`` (``Till.open(...).engine``) is timed, from cold clients as a fresh
``pos-app sync`` would start. The cards:

- LoyaltyDog: the 12 active seed gift cards with room for ten $0.25 redemptions;
- Leal: 4 stamp cards, +1 stamp each time (Leal allows 120 requests a minute per token and an
  operation takes two, the card being read before sending for reconciliation: 4 x 10 x 2 keeps
  the drain clear of Leal's rate limit);
- ClientToolbox: the rest from the EUR gift-card and "earned" campaigns, EUR 0.10 redemptions.

After each drain the emulators' ledger must show every journaled operation applied exactly once
(LoyaltyDog by ``Idempotency-Key``, ClientToolbox by the ``authorization`` reference, Leal by
stamps per card), and the journal every operation done. Target: with 50 ms injected latency, at
least 10x the rate of strictly sequential sending (``[sync] concurrency = 1``). ``--sweep``
drains again at 50 ms with other ``[sync] concurrency`` values (the configuration allows 1-64).

    .venv/bin/python -m benchmarks.drain [--sweep 16,32,64] [--ops-per-card 10] [--cards 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from benchmarks.served import served_sandbox
from pos_app.config import AppConfig, SyncConfig
from pos_app.domain import AddStamps, CampaignBalance, GiftCard, Money, Provider, Redeem, StampCard
from pos_app.journal.pending_operations import Entry, EntryState
from pos_app.journal.sync import DrainReport
from pos_app.providers.factory import Backends, build_backends
from pos_app.services.delivery import new_entry
from pos_app.services.lookup import Match, lookup
from pos_app.services.till import Till
from pos_app.training import sandbox_config, sandbox_credentials

SPEEDUP_TARGET = 10
LATENCY_MS = 50
LEAL_CARDS = 4
GIFT_CARD_STEP = Money(Decimal("0.25"), "USD")
STORED_VALUE_STEP = Decimal("0.10")
#: ClientToolbox campaigns that hold EUR and can be spent at the till (seed 0).
STORED_VALUE_TYPES = ("giftcard", "earned")

#: The configured default, so the headline figure is what a till gets out of the box.
DEFAULT = SyncConfig().concurrency


@dataclass
class DrainResult:
    concurrency: int
    latency_ms: int
    operations: int
    cards: int
    seconds: float
    report: DrainReport
    check: str
    exact: bool

    @property
    def rate(self) -> float:
        return self.operations / self.seconds


def config_for(seed: dict[str, Any], url: str, concurrency: int) -> AppConfig:
    config = sandbox_config(seed, url)
    return config.model_copy(
        update={"sync": config.sync.model_copy(update={"concurrency": concurrency})}
    )


async def find_cards(url: str, seed: dict[str, Any], cards: int, per_card: int = 10) -> list[Match]:
    """``cards`` distinct cards over the three back-ends with room for ``per_card`` changes.

    Each is found by a real lookup on its own back-end (Leal is searched only for its cards, to
    keep its rate-limit window for the drain).
    """
    backends = build_backends(sandbox_config(seed, url), sandbox_credentials(seed))
    ld, leal, ctb = seed["loyaltydog"], seed["leal"], seed["clienttoolbox"]
    gift_cards = Backends(gift_cards=backends.gift_cards)
    stamp_cards = Backends(stamp_cards=backends.stamp_cards)
    points = Backends(points=backends.points)
    wanted: list[tuple[Backends, str, Provider, str | None]] = [
        (gift_cards, card["cardNumber"], Provider.LOYALTYDOG, None)
        for card in ld["cards"]
        if card["status"] == "active"
        and card["role"] != "past-expiry-active"
        and Decimal(card["balance"]) >= per_card * GIFT_CARD_STEP.amount
    ]
    wanted += [
        (stamp_cards, customer["card_code"], Provider.LEAL, None)
        for customer in leal["customers"][:LEAL_CARDS]
    ]
    opted_out = {c["campaign_id"] for c in ctb["campaigns"] if c["opt_out"]}
    seen: set[str] = set()
    for row in ctb["customers"]:
        if len(wanted) >= cards:
            break
        if (
            row["campaign_type"] in STORED_VALUE_TYPES
            and row["campaign_id"] not in opted_out
            and Decimal(row["balance"]) >= per_card * STORED_VALUE_STEP
            and row["code"] not in seen
        ):
            seen.add(row["code"])
            wanted.append((points, row["card_number"], Provider.CLIENTTOOLBOX, row["campaign_id"]))
    found: list[Match] = []
    try:
        for only, code, provider, campaign in wanted[:cards]:
            result = await lookup(code, only)
            found.append(next(m for m in result.matches if _is(m, provider, campaign)))
    finally:
        await backends.aclose()
    if len(found) < cards:
        raise RuntimeError(f"only {len(found)} usable cards in the seed")
    return found


def _is(match: Match, provider: Provider, campaign: str | None) -> bool:
    if match.provider is not provider:
        return False
    subject = match.subject
    return campaign is None or (
        isinstance(subject, CampaignBalance) and subject.campaign_id == campaign
    )


def operation_for(match: Match) -> Redeem | AddStamps:
    """A small change the card has room for ``per_card`` times: the drain sees no refusal."""
    subject = match.subject
    if isinstance(subject, GiftCard):
        return Redeem(subject, GIFT_CARD_STEP)
    if isinstance(subject, StampCard):
        return AddStamps(subject, 1)
    assert isinstance(subject, CampaignBalance)
    assert subject.money is not None
    return Redeem(subject, Money(STORED_VALUE_STEP, subject.money.currency))


def journal(till: Till, matches: list[Match], per_card: int) -> int:
    """Commit the operations as pending journal rows, round-robin over the cards."""
    for _ in range(per_card):
        for match in matches:
            till.operations.add(
                new_entry(operation_for(match), match, terminal=till.terminal, cashier="bench")
            )
    return per_card * len(matches)


def all_entries(till: Till) -> list[Entry]:
    return till.operations.listing(frozenset(EntryState), limit=1_000_000)


def check_exactly_once(entries: list[Entry], ledger: list[dict[str, Any]]) -> tuple[bool, str]:
    """Every journaled operation applied once on its back-end, and nothing else applied."""
    states = Counter(e.state.value for e in entries)
    by_provider: dict[Provider, list[Entry]] = {p: [] for p in Provider}
    for entry in entries:
        by_provider[entry.provider].append(entry)
    applied = Counter(
        (row["api"], row["idempotency_key"] if row["api"] == "loyaltydog" else row["reference"])
        for row in ledger
        if row["api"] != "leal"
    )
    parts: list[str] = []
    ok = states == Counter({"done": len(entries)})
    for provider in (Provider.LOYALTYDOG, Provider.CLIENTTOOLBOX):
        keys = [e.key for e in by_provider[provider]]
        once = sum(1 for key in keys if applied[(provider.value, key)] == 1)
        extra = sum(n for (api, _), n in applied.items() if api == provider.value) - once
        ok = ok and once == len(keys) and extra == 0
        parts.append(f"{provider.label} {once}/{len(keys)} once, {extra} extra")
    journaled: Counter[str] = Counter()
    for entry in by_provider[Provider.LEAL]:
        journaled[entry.card.partition("/")[2]] += entry.units or 0
    stamped: Counter[str] = Counter()
    for row in ledger:
        if row["api"] == "leal":
            stamped[row["card"]] += row["stamps"] or 0
    ok = ok and journaled == stamped
    parts.append(
        f"Leal {sum(stamped.values())}/{sum(journaled.values())} stamps on "
        f"{len(journaled)} cards {'as journaled' if journaled == stamped else 'MISMATCH'}"
    )
    summary = ", ".join(f"{n} {state}" for state, n in sorted(states.items()))
    verdict = "OK" if ok else "FAILED"
    return ok, (
        f"journal: {summary}; ledger: {len(ledger)} entries: {'; '.join(parts)}"
        f" -> exactly once: {verdict}"
    )


def set_faults(url: str, latency_ms: int) -> None:
    httpx.post(f"{url}/_sandbox/reset", timeout=10).raise_for_status()
    if latency_ms:
        httpx.post(
            f"{url}/_sandbox/faults", json={"api": "all", "latency_ms": latency_ms}, timeout=10
        ).raise_for_status()


@contextmanager
def fresh_data_dir() -> Iterator[Path]:
    """A new journal folder on the real disk (the system temp folder, not /dev/shm)."""
    with tempfile.TemporaryDirectory(prefix="tillcard-drain-") as tmp:
        yield Path(tmp)


async def prepared_till(
    url: str, seed: dict[str, Any], folder: Path, concurrency: int, latency_ms: int
) -> Till:
    """A till on a fresh journal, the sandbox reset with its faults set (nothing journaled)."""
    set_faults(url, latency_ms)
    config = config_for(seed, url, concurrency)
    return Till.open(folder, config, build_backends(config, sandbox_credentials(seed)))


def finish(
    url: str,
    till: Till,
    operations: int,
    cards: int,
    seconds: float,
    report: DrainReport,
    latency_ms: int,
) -> DrainResult:
    """Check the ledger against the journal (call before ``till.close()``)."""
    ledger = httpx.get(f"{url}/_sandbox/ledger", timeout=30).json()["entries"]
    exact, check = check_exactly_once(all_entries(till), ledger)
    return DrainResult(
        concurrency=till.engine.concurrency,
        latency_ms=latency_ms,
        operations=operations,
        cards=cards,
        seconds=seconds,
        report=report,
        check=check,
        exact=exact,
    )


async def one_drain(
    url: str,
    seed: dict[str, Any],
    matches: list[Match],
    *,
    per_card: int,
    concurrency: int,
    latency_ms: int,
) -> DrainResult:
    with fresh_data_dir() as folder:
        till = await prepared_till(url, seed, folder, concurrency, latency_ms)
        try:
            count = journal(till, matches, per_card)
            started = time.perf_counter()
            report = await till.engine.drain()
            seconds = time.perf_counter() - started
            result = finish(url, till, count, len(matches), seconds, report, latency_ms)
        finally:
            await till.close()
    return result


def print_result(name: str, result: DrainResult) -> None:
    print(
        f"{name:<34} concurrency {result.concurrency:>2}   {result.operations} ops in "
        f"{result.seconds:6.2f} s   {result.rate:7.1f} ops/s"
        + ("" if result.report.waiting == 0 else f"   ({result.report.waiting} left waiting)")
    )
    print(f"    {result.check}")


async def main(per_card: int, cards: int, sweep: list[int]) -> bool:
    python = os.path.relpath(sys.executable)
    print(f"$ {shlex.join([python, '-m', 'benchmarks.drain', *sys.argv[1:]])}")
    with served_sandbox(seed=0) as (url, seed):
        matches = await find_cards(url, seed, cards, per_card)
        mix = Counter(m.provider.label for m in matches)
        print(
            f"drain {per_card * cards} journaled operations over {cards} cards "
            f"({', '.join(f'{n} {label}' for label, n in mix.items())}), {per_card} per card; "
            f"pos-app sandbox on loopback; journal in {tempfile.gettempdir()} (WAL, FULL)"
        )
        zero = await one_drain(
            url, seed, matches, per_card=per_card, concurrency=DEFAULT, latency_ms=0
        )
        print_result("zero latency", zero)
        slow = await one_drain(
            url, seed, matches, per_card=per_card, concurrency=DEFAULT, latency_ms=LATENCY_MS
        )
        print_result(f"{LATENCY_MS} ms latency", slow)
        serial = await one_drain(
            url, seed, matches, per_card=per_card, concurrency=1, latency_ms=LATENCY_MS
        )
        print_result(f"{LATENCY_MS} ms latency, sequential", serial)
        ok = zero.exact and slow.exact and serial.exact
        print(
            f"speed-up at {LATENCY_MS} ms, concurrency {DEFAULT} (default) vs sequential: "
            f"{slow.rate / serial.rate:.1f}x   target: >= {SPEEDUP_TARGET}x"
        )
        for concurrency in sweep:
            other = await one_drain(
                url,
                seed,
                matches,
                per_card=per_card,
                concurrency=concurrency,
                latency_ms=LATENCY_MS,
            )
            print_result(f"{LATENCY_MS} ms latency", other)
            print(f"    speed-up vs sequential: {other.rate / serial.rate:.1f}x")
            ok = ok and other.exact
    return ok


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--ops-per-card", type=int, default=10)
    parser.add_argument("--cards", type=int, default=100)
    parser.add_argument(
        "--sweep",
        default="16,32,64",
        help="more concurrencies to try at 50 ms latency (comma-separated, '' for none)",
    )
    arguments = parser.parse_args()
    levels = [int(n) for n in arguments.sweep.split(",") if n.strip()]
    sys.exit(0 if asyncio.run(main(arguments.ops_per_card, arguments.cards, levels)) else 1)
