"""``pos-app sync | queue | manager-pin``: drain and inspect the journal, headless."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import logging
import signal
import sqlite3
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pos_app.config import AppConfig
    from pos_app.journal.pending_operations import Entry
    from pos_app.services.till import Till

from pos_app.cli import (
    EXIT_FAILED,
    EXIT_OK,
    Failed,
    backend_setup,
)
from pos_app.cli_operations import age_text, close_till, journal_failed, open_till

log = logging.getLogger("pos_app.cli")


_LOCKED = (
    "Another Tillcard process (the cashier window or `pos-app sync`) is already sending the "
    "journal in {data_dir}; only one may send at a time. Let it do the sending, or stop it first."
)


def _progress(entry: Entry) -> None:
    """One line per operation the engine finishes, for a terminal or a service log."""
    from pos_app.journal.pending_operations import EntryState

    if entry.state not in (EntryState.DONE, EntryState.REJECTED, EntryState.NEEDS_ATTENTION):
        return
    line = (
        f"{entry.state.value.replace('_', ' '):<15}  {entry.key[:8]}  "
        f"{entry.provider.label:<13}  {entry.description}"
    )
    if entry.reason and entry.state is not EntryState.DONE:
        line += f": {entry.reason}"
    print(line, flush=True)


def _try_everything_now(till: Till) -> None:
    """A sync someone just started tries every card at once, whatever back-off an earlier run
    (or the cashier window) left in the journal; from then on, back-off applies again."""
    from pos_app.journal.pending_operations import EntryState

    waiting = till.operations.listing(frozenset({EntryState.PENDING, EntryState.UNKNOWN}), 10**9)
    for provider, card in {(entry.provider, entry.card) for entry in waiting}:
        till.operations.retry_card_now(provider, card)


def sync(args: argparse.Namespace, data_dir: Path) -> int:
    config, credentials, transport = backend_setup(args)
    try:
        if args.once:
            return asyncio.run(_sync_once(args, data_dir, config, credentials, transport))
        return asyncio.run(_sync_forever(args, data_dir, config, credentials, transport))
    except sqlite3.Error as exc:
        raise Failed(journal_failed(data_dir, exc)) from None
    except KeyboardInterrupt:  # only where the loop cannot take signals (Windows)
        return EXIT_FAILED if args.once else EXIT_OK


async def _sync_once(
    args: argparse.Namespace, data_dir: Path, config: AppConfig, credentials: Any, transport: Any
) -> int:
    """Try everything waiting now; exit 0 only if nothing is left waiting and nothing was refused.

    A script (cron, a closing-time job) can then alert on 1 and a person looks at the queue.
    Older needs-attention entries are reported but do not fail the run: they failed before.
    """
    from pos_app.journal.pending_operations import EntryState

    till = await open_till(args, data_dir, config, credentials, transport)
    try:
        if not till.engine.acquire():
            raise Failed(_LOCKED.format(data_dir=data_dir))
        _try_everything_now(till)
        till.engine.listeners.append(_progress)
        report = await till.engine.drain()
        counts = till.operations.counts()
        waiting = till.operations.listing(
            frozenset({EntryState.PENDING, EntryState.UNKNOWN}), 10**9
        )
    finally:
        await close_till(till)
    print(
        f"Sync: {report.done} done, {report.rejected} rejected, "
        f"{report.needs_attention} need attention, {len(waiting)} still waiting."
    )
    per_backend: dict[str, list[Entry]] = {}
    for entry in waiting:
        per_backend.setdefault(entry.provider.label, []).append(entry)
    for label, entries in per_backend.items():
        # Only a card's oldest entry is tried (first in, first out): its reason is the news.
        why = next((e.reason for e in reversed(entries) if e.reason), "not tried yet")
        print(f"  {label}: {len(entries)} waiting ({why})")
    older = counts.get(EntryState.NEEDS_ATTENTION, 0) - report.needs_attention
    if older > 0:
        print(f"  {older} older operation(s) still need attention: see `pos-app queue`.")
    held = counts.get(EntryState.HELD, 0)
    if held:
        print(f"  {held} operation(s) held for a manager's approval: see `pos-app queue`.")
    problems = []
    if report.rejected or report.needs_attention:
        problems.append(
            f"{report.rejected + report.needs_attention} operation(s) were refused; "
            "see `pos-app queue`"
        )
    if waiting:
        problems.append(
            f"{len(waiting)} operation(s) could not be sent yet; run `pos-app sync` again later"
        )
    for problem in problems:
        print(f"pos-app: {problem}", file=sys.stderr)
    return EXIT_FAILED if problems else EXIT_OK


async def _sync_forever(
    args: argparse.Namespace, data_dir: Path, config: AppConfig, credentials: Any, transport: Any
) -> int:
    """The GUI's background sync without the window (a back-office machine, a service).

    SIGINT and SIGTERM stop it cleanly (exit 0). A send cut off by the stop is left "in flight"
    in the journal and reconciled at the next start, exactly as after a crash.
    """
    from pos_app.journal.pending_operations import EntryState

    till = await open_till(args, data_dir, config, credentials, transport)
    try:
        if not till.engine.acquire():
            raise Failed(_LOCKED.format(data_dir=data_dir))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, stop.set)
        _try_everything_now(till)
        till.engine.listeners.append(_progress)
        till.start()
        print(f"Sending the journal in {data_dir} (Ctrl+C to stop).", flush=True)
        await stop.wait()
        counts = till.operations.counts()
    finally:
        await till.close()
    left = sum(counts.get(s, 0) for s in (EntryState.PENDING, EntryState.UNKNOWN))
    attention = counts.get(EntryState.NEEDS_ATTENTION, 0)
    print(f"Stopped: {left} operation(s) still waiting, {attention} need attention.", flush=True)
    return EXIT_OK


def queue_lines(entries: Sequence[Entry], now: datetime) -> list[str]:
    """A table a person can read in a terminal: newest first, the reason under each line."""
    if not entries:
        return ["Nothing is waiting: every operation on this till has been sent."]
    lines = [f"{'REF':<8}  {'STATE':<15}  {'AGE':>6}  {'BACK-END':<13}  {'CARD':<14}  WHAT"]
    for entry in entries:
        lines.append(
            f"{entry.key[:8]:<8}  {entry.state.value.replace('_', ' '):<15}  "
            f"{age_text(entry.age(now).total_seconds()):>6}  {entry.provider.label:<13}  "
            f"{entry.masked:<14}  {entry.description}"
        )
        if entry.reason:
            lines.append(f"{'':<10}{entry.reason}")
    tally: dict[str, int] = {}
    for entry in entries:
        word = entry.state.value.replace("_", " ")
        tally[word] = tally.get(word, 0) + 1
    lines.append(", ".join(f"{count} {word}" for word, count in tally.items()) + ".")
    return lines


def queue(args: argparse.Namespace, data_dir: Path) -> int:
    """Read-only: no configuration or back-end is needed to see what this till still owes."""
    from pos_app.journal.database import open_journal
    from pos_app.journal.pending_operations import PendingOperations, utc_now

    journal = open_journal(data_dir)
    try:
        entries = PendingOperations(journal).listing()
    except sqlite3.Error as exc:
        raise Failed(journal_failed(data_dir, exc)) from None
    finally:
        journal.close()
    now = utc_now()
    if args.json:
        payload = {"operations": [entry.as_json(now) for entry in entries]}
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        for line in queue_lines(entries, now):
            print(line)
    return EXIT_OK


def read_new_pin() -> str:
    """Twice, hidden, from a terminal; or two lines on stdin (provisioning scripts)."""
    if sys.stdin.isatty():
        try:
            first = getpass.getpass("New PIN: ")
            second = getpass.getpass("The same PIN again: ")
        except EOFError:
            raise Failed("No PIN was entered; nothing was changed") from None
    else:
        first, second = sys.stdin.readline(), sys.stdin.readline()
        if not second:  # readline() says end of input with ""
            raise Failed("Give the PIN twice on standard input, one per line")
        first, second = first.rstrip("\r\n"), second.rstrip("\r\n")
    if first != second:
        raise Failed("The two PINs are different; nothing was changed")
    return first
