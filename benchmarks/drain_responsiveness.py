"""GUI responsiveness while the sync engine drains 1,000 operations on the app's qasync loop.

The same workload as ``benchmarks/drain.py`` (1,000 journaled operations over 100 cards,
``pos-app sandbox`` in its own process on loopback, a fresh journal on the real disk), drained by
``Till.open(...).engine.drain()`` on a ``qasync.QEventLoop`` driving a ``QApplication``, as
``pos_app/gui/app.py`` runs it. A precise ``QTimer`` fires every 5 ms throughout; every gap
between two firings is time the loop could not paint or take a key. Prints the longest gap and
the p99 for an idle loop and for drains with no injected latency and with 50 ms. Target: the
longest stall under 50 ms. The ledger is checked afterwards (every operation applied once).

``--where`` says what the loop was doing during each gap over 30 ms: garbage collections (from
``gc.callbacks``) and journal commits (the till's SQLite connection is wrapped to time each
``commit()``, i.e. each fsync), with the rest as "other". Before each drain the benchmark does
what the app does once wired (``freeze_start_up_objects``: ``gc.collect(); gc.freeze()``);
``--no-gc-freeze`` skips it, to show what it buys.

    .venv/bin/python -m benchmarks.drain_responsiveness [--where] [--no-gc-freeze] [--concurrency N]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import os
import shlex
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from typing import Any

if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from benchmarks.drain import LATENCY_MS, find_cards, finish, fresh_data_dir, journal, prepared_till
from benchmarks.figures import percentile
from benchmarks.served import served_sandbox
from pos_app.config import SyncConfig
from pos_app.gui.app import freeze_start_up_objects
from pos_app.services.lookup import Match

PROBE_MS = 5
STALL_TARGET_MS = 50
#: Gaps longer than this are explained one by one with ``--where``.
EXPLAIN_MS = 30


class Probe:
    """A precise 5 ms QTimer noting when it fires; gaps between firings are loop stalls."""

    def __init__(self) -> None:
        self.fired: list[float] = []
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(PROBE_MS)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        self.fired.append(time.perf_counter())

    def start(self) -> None:
        self.fired = [time.perf_counter()]
        self.timer.start()

    def stop(self) -> list[float]:
        self.timer.stop()
        self.fired.append(time.perf_counter())
        return [b - a for a, b in itertools.pairwise(self.fired)]


@dataclass
class Blocking:
    """Synchronous work seen on the loop thread: (start, end, what)."""

    spans: list[tuple[float, float, str]] = field(default_factory=list)
    _gc_started: float = 0.0

    def on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            name = f"gc gen{info['generation']}"
            self.spans.append((self._gc_started, time.perf_counter(), name))

    def explain(self, start: float, end: float) -> str:
        """What took the time between two probe firings."""
        inside = [(a, b, what) for a, b, what in self.spans if a < end and b > start]
        gcs = [(b - a, what) for a, b, what in inside if what.startswith("gc")]
        commits = [b - a for a, b, what in inside if what == "commit"]
        known = sum(t for t, _ in gcs) + sum(commits)
        parts = [f"{what} {t * 1000:.1f} ms" for t, what in gcs]
        if commits:
            parts.append(
                f"{len(commits)} commits {sum(commits) * 1000:.1f} ms "
                f"(longest {max(commits) * 1000:.1f})"
            )
        parts.append(f"other {max(0.0, end - start - known) * 1000:.1f} ms")
        return ", ".join(parts)


class TimedConnection:
    """The till's SQLite connection with each ``commit()`` (each fsync) timed."""

    def __init__(self, db: sqlite3.Connection, blocking: Blocking) -> None:
        self._db = db
        self._blocking = blocking

    def commit(self) -> None:
        started = time.perf_counter()
        self._db.commit()
        self._blocking.spans.append((started, time.perf_counter(), "commit"))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


def report(name: str, gaps: list[float], extra: str = "") -> float:
    longest = max(gaps)
    late = sum(1 for g in gaps if g > STALL_TARGET_MS / 1000)
    p99 = percentile(gaps, 0.99)
    print(
        f"{name:<26} longest gap {longest * 1000:5.1f} ms   p99 {p99 * 1000:5.1f}"
        f" ms   median {percentile(gaps, 0.5) * 1000:4.1f} ms   > {STALL_TARGET_MS} ms: {late}"
        f"   ({len(gaps)} firings{extra})"
    )
    return longest


async def drain_with_probe(
    url: str,
    seed: dict[str, Any],
    matches: list[Match],
    *,
    latency_ms: int,
    concurrency: int,
    where: bool,
    freeze: bool,
) -> tuple[float, bool]:
    """Drain with the probe running; print the figures; return the longest gap and the check."""
    blocking = Blocking()
    with fresh_data_dir() as folder:
        till = await prepared_till(url, seed, folder, concurrency, latency_ms)
        try:
            count = journal(till, matches, 10)
            if freeze:
                freeze_start_up_objects()
            if where:
                till.operations.db = TimedConnection(till.db, blocking)  # type: ignore[assignment]
                gc.callbacks.append(blocking.on_gc)
            probe = Probe()
            probe.start()
            await asyncio.sleep(0.1)  # the probe is running before the first send
            started = time.perf_counter()
            drained = await till.engine.drain()
            seconds = time.perf_counter() - started
            await asyncio.sleep(0.1)
            gaps = probe.stop()
            fired = probe.fired
            if where:
                gc.callbacks.remove(blocking.on_gc)
                till.operations.db = till.db
            if freeze:
                gc.unfreeze()
            result = finish(url, till, count, len(matches), seconds, drained, latency_ms)
        finally:
            await till.close()
    name = "drain, no latency" if latency_ms == 0 else f"drain, {latency_ms} ms latency"
    longest = report(name, gaps, f", drain {result.seconds:.2f} s = {result.rate:.0f} ops/s")
    print(f"    {result.check}")
    if where:
        commits = sorted(b - a for a, b, what in blocking.spans if what == "commit")
        collections = [b - a for a, b, what in blocking.spans if what.startswith("gc")]
        print(
            f"    {len(commits)} commits: median {percentile(commits, 0.5) * 1000:.2f} ms, "
            f"p99 {percentile(commits, 0.99) * 1000:.1f} ms, longest {commits[-1] * 1000:.1f} ms;"
            f" {len(collections)} collections, longest {max(collections) * 1000:.1f} ms"
        )
        for a, b in itertools.pairwise(fired):
            if b - a > EXPLAIN_MS / 1000:
                print(f"    gap {(b - a) * 1000:5.1f} ms: {blocking.explain(a, b)}")
    return longest, result.exact


async def main(concurrency: int, where: bool, freeze: bool) -> bool:
    python = os.path.relpath(sys.executable)
    print(f"$ {shlex.join([python, '-m', 'benchmarks.drain_responsiveness', *sys.argv[1:]])}")
    with served_sandbox(seed=0) as (url, seed):
        matches = await find_cards(url, seed, 100)
        print(
            f"1000 operations over {len(matches)} cards drained on the qasync loop "
            f"(Qt platform {QGuiApplication.platformName()}), concurrency {concurrency}, probe "
            f"every {PROBE_MS} ms (PreciseTimer); pos-app sandbox on loopback"
            + ("; start-up objects frozen as in the app" if freeze else "")
        )
        idle = Probe()
        idle.start()
        await asyncio.sleep(1.0)
        report("idle loop (1 s)", idle.stop())
        worst = 0.0
        ok = True
        for latency in (0, LATENCY_MS):
            longest, exact = await drain_with_probe(
                url,
                seed,
                matches,
                latency_ms=latency,
                concurrency=concurrency,
                where=where,
                freeze=freeze,
            )
            worst = max(worst, longest)
            ok = ok and exact
    print(f"longest stall: {worst * 1000:.1f} ms   target: < {STALL_TARGET_MS} ms")
    return ok


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrency", type=int, default=SyncConfig().concurrency)
    parser.add_argument("--where", action="store_true", help="explain each gap over 30 ms")
    parser.add_argument(
        "--no-gc-freeze",
        dest="gc_freeze",
        action="store_false",
        help="skip what the app does once wired (gc.collect(); gc.freeze())",
    )
    arguments = parser.parse_args()
    QApplication(sys.argv[:1])  # before the loop: qasync drives this application
    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
        passed = runner.run(main(arguments.concurrency, arguments.where, arguments.gc_freeze))
    sys.exit(0 if passed else 1)
