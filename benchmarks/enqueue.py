"""Durable enqueue: committing one operation to the journal, vs a bare sqlite3 insert + commit.

Both databases live side by side in one temporary folder on the real disk (not a tmpfs), with
the journal's pragmas (WAL, ``synchronous=FULL``, busy timeout), so every commit includes the
fsync of the write-ahead log:

- Tillcard: ``PendingOperations.add()`` on a journal opened with ``open_journal()``; the entry is
  a real gift-card redemption built by ``new_entry()`` from a real lookup (in-process emulators,
  setup only), so the payload carries the card snapshot the sync engine sends from.
- bare: ``sqlite3.connect()``, the same pragmas and the same ``operations`` table and indexes
  (the journal's migrations), one ``INSERT`` of the same 16 values + ``commit()``.

Samples alternate (ours, bare, ours, ...) so both see the same disk. Target: Tillcard's median
within 1.5x of bare. ``--breakdown`` adds, one step at a time, what ``add()`` does on top of the
bare insert, to show where any extra time goes.

    .venv/bin/python -m benchmarks.enqueue [--samples 2000] [--breakdown]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from benchmarks.figures import percentile
from pos_app.domain import Money, Provider, Redeem, new_idempotency_key
from pos_app.journal.database import BUSY_TIMEOUT_MS, MIGRATIONS, open_journal
from pos_app.journal.pending_operations import NewEntry, PendingOperations, utc_now
from pos_app.providers.factory import build_backends
from pos_app.sandbox.inprocess import InProcessTransport
from pos_app.services.delivery import new_entry
from pos_app.services.lookup import lookup
from pos_app.training import TrainingWorld

TARGET_RATIO = 1.5
INSERT = (
    "INSERT INTO operations (key, seq, provider, kind, card, payload, state,"
    " created_at, updated_at, masked, description, terminal, cashier, amount,"
    " currency, units) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


async def real_entry() -> NewEntry:
    """A $1.00 redemption of seed card 6215943836307608, as the counter screen journals it."""
    world = TrainingWorld(seed=0)
    backends = build_backends(
        world.config(), world.credentials(), transport=InProcessTransport(world.sandbox)
    )
    try:
        result = await lookup("6215943836307608", backends)
    finally:
        await backends.aclose()
    match = next(m for m in result.matches if m.provider is Provider.LOYALTYDOG)
    assert match.subject is not None
    operation = Redeem(match.subject, Money(Decimal("1.00"), "USD"))  # type: ignore[arg-type]
    return new_entry(operation, match, terminal="till-1", cashier="bench")


def filesystem_of(path: Path) -> str:
    """The mount point and type holding ``path`` (from /proc/mounts; '?' elsewhere)."""
    best = ("", "?")
    try:
        lines = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return "?"
    resolved = str(path.resolve())
    for line in lines:
        _, mount, kind, *_ = line.split()
        if (resolved == mount or resolved.startswith(mount.rstrip("/") + "/")) and len(
            mount
        ) >= len(best[0]):
            best = (mount, kind)
    return f"{best[1]} on {best[0]}"


def bare_connection(path: Path) -> sqlite3.Connection:
    """Plain sqlite3 with the journal's pragmas and the same table and indexes."""
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    for step in MIGRATIONS:
        db.executescript(step)
    db.commit()
    return db


def row_values(new: NewEntry, seq: int, payload: str) -> tuple[Any, ...]:
    """The 16 values ``add()`` inserts, computed once (the bare side does no Python work)."""
    stamp = utc_now().isoformat(timespec="microseconds")
    return (
        new.key,
        seq,
        new.provider.value,
        new.kind.value,
        new.card,
        payload,
        "pending",
        stamp,
        stamp,
        new.masked,
        new.description,
        new.terminal,
        new.cashier,
        None if new.amount is None else str(new.amount.amount),
        None if new.amount is None else new.amount.currency,
        new.units,
    )


def bare_insert(db: sqlite3.Connection, row: tuple[Any, ...]) -> None:
    db.execute(INSERT, row)
    db.commit()


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def report(name: str, samples: list[float]) -> float:
    median = statistics.median(samples)
    print(
        f"{name:<44} median {median * 1e6:7.0f} µs   p99 {percentile(samples, 0.99) * 1e6:7.0f}"
        f" µs   (n={len(samples)})"
    )
    return median


def compare(template: NewEntry, folder: Path, samples: int) -> tuple[list[float], list[float]]:
    """Alternating samples of ``add()`` and of the bare insert + commit."""
    operations = PendingOperations(open_journal(folder))
    bare = bare_connection(folder / "bare.sqlite3")
    payload = json.dumps(dict(template.payload), sort_keys=True)
    ours: list[float] = []
    base: list[float] = []
    warm = 100
    for i in range(warm + samples):
        ours_entry = replace(template, key=new_idempotency_key())
        bare_row = row_values(replace(template, key=new_idempotency_key()), i + 1, payload)
        a = timed(lambda e=ours_entry: operations.add(e))  # type: ignore[misc]
        b = timed(lambda r=bare_row: bare_insert(bare, r))  # type: ignore[misc]
        if i >= warm:
            ours.append(a)
            base.append(b)
    operations.db.close()
    bare.close()
    return ours, base


def breakdown(template: NewEntry, folder: Path, samples: int) -> None:
    """What ``add()`` does beyond the bare insert, added one step at a time (same disk)."""
    db = bare_connection(folder / "ladder.sqlite3")
    operations = PendingOperations(db)
    payload = json.dumps(dict(template.payload), sort_keys=True)

    def plain(new: NewEntry) -> None:
        db.execute(INSERT, row_values(new, 0, payload))
        db.commit()

    def immediate(new: NewEntry) -> None:
        db.execute("BEGIN IMMEDIATE")
        db.execute(INSERT, row_values(new, 0, payload))
        db.commit()

    def with_seq(new: NewEntry) -> None:
        db.execute("BEGIN IMMEDIATE")
        seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM operations").fetchone()[0]
        db.execute(INSERT, row_values(new, seq, payload))
        db.commit()

    def with_json(new: NewEntry) -> None:
        db.execute("BEGIN IMMEDIATE")
        seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM operations").fetchone()[0]
        text = json.dumps(dict(new.payload), sort_keys=True)
        db.execute(INSERT, row_values(new, seq, text))
        db.commit()

    def with_get(new: NewEntry) -> None:
        with_json(new)
        operations.get(new.key)

    def whole(new: NewEntry) -> None:
        operations.add(new)

    def no_commit_get(new: NewEntry) -> None:
        operations.get(template.key)

    def no_commit_json(new: NewEntry) -> None:
        json.dumps(dict(new.payload), sort_keys=True)

    operations.add(template)
    steps: list[tuple[str, Callable[[NewEntry], None]]] = [
        ("bare INSERT + commit", plain),
        ("+ BEGIN IMMEDIATE", immediate),
        ("+ SELECT MAX(seq)", with_seq),
        ("+ json.dumps(payload)", with_json),
        ("+ get() re-read", with_get),
        ("PendingOperations.add()", whole),
        ("  alone: get() (SELECT + parse, no commit)", no_commit_get),
        ("  alone: json.dumps(payload)", no_commit_json),
    ]
    results: dict[str, list[float]] = {name: [] for name, _ in steps}
    for i in range(50 + samples):
        for name, step in steps:
            new = replace(template, key=new_idempotency_key())
            took = timed(lambda s=step, n=new: s(n))  # type: ignore[misc]
            if i >= 50:
                results[name].append(took)
    print("breakdown (each line adds one step of add(); interleaved, same disk):")
    medians = {name: report(name, results[name]) for name, _ in steps}
    extra = medians["PendingOperations.add()"] - medians["bare INSERT + commit"]
    get = medians["  alone: get() (SELECT + parse, no commit)"]
    dumps = medians["  alone: json.dumps(payload)"]
    seq = medians["+ SELECT MAX(seq)"] - medians["+ BEGIN IMMEDIATE"]
    rest = extra - get - dumps - seq
    print(
        f"add() over the bare commit: {extra * 1e6:.0f} µs = get() re-read {get * 1e6:.0f}"
        f" + SELECT MAX(seq) {seq * 1e6:.0f} + json.dumps {dumps * 1e6:.0f} + the rest"
        f" {rest * 1e6:.0f} (the _write() context manager, timestamps, the row tuple)"
    )
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--breakdown", action="store_true")
    parser.add_argument("--dir", type=Path, default=None, help="where the databases go")
    arguments = parser.parse_args()
    template = asyncio.run(real_entry())
    with tempfile.TemporaryDirectory(dir=arguments.dir, prefix="tillcard-enqueue-") as tmp:
        folder = Path(tmp)
        ours, base = compare(template, folder, arguments.samples)
        python = os.path.relpath(sys.executable)
        print(f"$ {shlex.join([python, '-m', 'benchmarks.enqueue', *sys.argv[1:]])}")
        print(
            f"durable enqueue of one operation, {arguments.samples} samples each, alternating; "
            f"{folder} ({filesystem_of(folder)}); WAL, synchronous=FULL; SQLite "
            f"{sqlite3.sqlite_version}; payload {len(json.dumps(dict(template.payload)))} bytes"
        )
        mine = report("PendingOperations.add() (journal)", ours)
        bare = report("bare sqlite3 INSERT + commit, same pragmas", base)
        print(
            f"ratio (median): {mine / bare:.2f}x   p99: "
            f"{percentile(ours, 0.99) / percentile(base, 0.99):.2f}x   target: <= {TARGET_RATIO}x"
        )
        if arguments.breakdown:
            breakdown(template, folder, min(arguments.samples, 1000))


if __name__ == "__main__":
    main()
