"""``pos-app``: the cashier GUI by default, sub-commands for headless use (see the contract)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import logging
import os
import signal
import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from pos_app.__about__ import __version__
from pos_app.data_dir import DataDirError, ensure_data_dir, resolve_data_dir
from pos_app.logs import setup_logging
from pos_app.problems import ConfigError, JournalUnavailable

if TYPE_CHECKING:  # pydantic loads only when a configuration is read
    from pos_app.config import AppConfig
    from pos_app.domain.policy import OfflineDecision
    from pos_app.journal.pending_operations import Entry
    from pos_app.services.card_actions import ActionResult, Approve
    from pos_app.services.lookup import LookupResult, Match
    from pos_app.services.till import Till

log = logging.getLogger("pos_app.cli")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
PROVIDERS: Final = ("loyaltydog", "leal", "clienttoolbox")
OPERATIONS: Final = ("redeem", "stamp", "redeem-reward")
MANAGER_PIN_ENV: Final = "POS_APP_MANAGER_PIN"
#: After an operation's answer, how long a send still on the wire may finish before the process
#: exits. Cutting it off is safe (the entry is reconciled at the next sync) but costs a check.
CLOSE_GRACE_SECONDS: Final = 5.0
LATER = {
    "receipt": "receipt rendering",
    "report": "back-office reports",
    "gdpr-export": "GDPR exports",
}


class UsageError(Exception):
    """Bad invocation; exit code 2."""


class Failed(Exception):
    """The command could not do its job; exit code 1 with this message."""


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="configuration file (env POS_APP_CONFIG)",
    )
    common.add_argument(
        "--data-dir",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="journal and logs folder (env POS_APP_DATA_DIR)",
    )
    common.add_argument(
        "--training",
        action="store_true",
        default=argparse.SUPPRESS,
        help="use the built-in emulators instead of the real back-ends",
    )
    common.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="log debug details to stderr too",
    )

    parser = argparse.ArgumentParser(
        prog="pos-app",
        description="Tillcard: gift cards, stamp cards and loyalty points at the counter.",
        parents=[common],
        epilog="Without a command, the cashier window opens.",
    )
    parser.add_argument("--version", action="version", version=f"Tillcard {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sandbox = sub.add_parser(
        "sandbox", parents=[common], help="serve the emulators of the three APIs over HTTP"
    )
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8765)
    sandbox.add_argument("--seed", type=int, default=0)
    sandbox.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host (exposes public test credentials)",
    )

    lookup = sub.add_parser("lookup", parents=[common], help="look a card up on every back-end")
    lookup.add_argument("code")
    lookup.add_argument("--json", action="store_true")
    operation = argparse.ArgumentParser(add_help=False)
    operation.add_argument("--json", action="store_true", help="print the result as JSON")
    operation.add_argument(
        "--provider",
        choices=PROVIDERS,
        help="which back-end's card, when the code finds several",
    )
    operation.add_argument(
        "--card",
        metavar="NAME",
        help="which card, when the code finds several: part of its name (see lookup)",
    )
    operation.add_argument(
        "--manager-pin",
        metavar="PIN",
        help=f"approve what the offline policy allows only with a manager (env {MANAGER_PIN_ENV})",
    )
    redeem = sub.add_parser(
        "redeem", parents=[common, operation], help="redeem an amount from a card"
    )
    redeem.add_argument("code")
    redeem.add_argument("amount", help="as a cashier types it: 12.50 (or 12,50)")
    stamp = sub.add_parser("stamp", parents=[common, operation], help="add stamps to a stamp card")
    stamp.add_argument("code")
    stamp.add_argument("n", type=int, help="how many stamps (1 or more)")
    reward = sub.add_parser("redeem-reward", parents=[common, operation], help="redeem a reward")
    reward.add_argument("code")
    reward.add_argument("reward_id", help="the reward's id, as lookup lists it")
    sync = sub.add_parser("sync", parents=[common], help="send pending operations")
    sync.add_argument(
        "--once",
        action="store_true",
        help="send what is due, print a summary and exit (default: run until stopped)",
    )
    queue = sub.add_parser("queue", parents=[common], help="list pending / needs-attention work")
    queue.add_argument("--json", action="store_true")
    manager = sub.add_parser(
        "manager-pin",
        parents=[common],
        help="set a manager's PIN on this till (read twice from the terminal or stdin)",
    )
    manager.add_argument("name", help="the manager's name, as the audit trail shows it")
    receipt = sub.add_parser("receipt", parents=[common], help="render a receipt to PDF")
    receipt.add_argument("reference")
    receipt.add_argument("--pdf", required=True, metavar="PATH")
    report = sub.add_parser("report", parents=[common], help="back-office reports")
    report.add_argument("kind", choices=["business", "customer", "balances"])
    report.add_argument("--campaign", metavar="ID")
    report.add_argument("--coalition", choices=["points", "storedvalue"])
    report.add_argument("--csv", metavar="PATH")
    report.add_argument("--json", action="store_true")
    gdpr = sub.add_parser("gdpr-export", parents=[common], help="request a GDPR export")
    who = gdpr.add_mutually_exclusive_group(required=True)
    who.add_argument("--customer-id")
    who.add_argument("--email")
    gdpr.add_argument("--format", required=True, choices=["json", "csv"])
    gdpr.add_argument("--download", metavar="PATH")
    sub.add_parser(
        "self-check",
        parents=[common],
        help="start headless, open the data folder, build the main window, exit 0",
    )
    return parser


def _config(args: argparse.Namespace) -> AppConfig | None:
    from pos_app.config import config_path, load_config

    path = config_path(getattr(args, "config", None))
    return load_config(path) if path else None


def _serve_sandbox(args: argparse.Namespace) -> int:
    from pos_app.sandbox.server import NonLoopbackRefused, make_server

    try:
        server, _ = make_server(
            args.host, args.port, args.seed, allow_remote=args.allow_remote, log_level="warning"
        )
    except NonLoopbackRefused as exc:
        raise UsageError(str(exc)) from None
    print(
        f"Tillcard sandbox (seed {args.seed}) on http://{args.host}:{args.port}\n"
        f"  LoyaltyDog    http://{args.host}:{args.port}/loyaltydog\n"
        f"  Leal          http://{args.host}:{args.port}/leal\n"
        f"  ClientToolbox http://{args.host}:{args.port}/clienttoolbox/\n"
        f"  control       http://{args.host}:{args.port}/_sandbox/seed  (Ctrl+C to stop)",
        flush=True,
    )
    server.run()
    if not server.started:
        raise Failed(f"the sandbox could not listen on {args.host}:{args.port}")
    return EXIT_OK


def _backend_setup(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    """Config, credentials and transport: the emulators in-process for --training."""
    from pos_app.credentials import Credentials

    if getattr(args, "training", False):
        from pos_app.sandbox.inprocess import InProcessTransport
        from pos_app.training import TrainingWorld

        world = TrainingWorld()
        return world.config(), world.credentials(), InProcessTransport(world.sandbox)
    config = _config(args)
    if config is None:
        raise UsageError("No configuration: pass --config PATH (or POS_APP_CONFIG), or --training")
    if not config.enabled_backends():
        raise Failed("No back-end is enabled in the configuration")
    return config, Credentials(), None


def _lookup(args: argparse.Namespace, data_dir: Path) -> int:
    """Cards seen online are remembered in the journal, as a scan at the counter is, so a later
    offline ``redeem`` has a cached card to work from and an offline lookup shows it (stale)."""
    from pos_app.journal.card_cache import CardCache
    from pos_app.journal.database import open_journal
    from pos_app.providers.factory import build_backends
    from pos_app.services.lookup import LookupInputError, lookup
    from pos_app.services.offline_cards import OfflineCards

    config, credentials, transport = _backend_setup(args)

    async def go() -> LookupResult:
        journal = open_journal(data_dir)
        try:
            backends = build_backends(config, credentials, transport=transport)
            try:
                return await lookup(args.code, backends, memory=OfflineCards(CardCache(journal)))
            finally:
                await backends.aclose()
        finally:
            journal.close()

    try:
        result = asyncio.run(go())
    except LookupInputError as exc:
        raise Failed(str(exc)) from None
    except sqlite3.Error as exc:
        raise Failed(_journal_failed(data_dir, exc)) from None
    if args.json:
        print(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
    else:
        for line in describe_matches(result):
            print(line)
    for provider, message in result.errors.items():
        print(f"pos-app: {provider.label}: {message}", file=sys.stderr)
    if not result.matches:
        print(f"pos-app: {result.summary()}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def describe_matches(result: Any) -> list[str]:
    """Plain-text lines for a terminal: one per card found."""
    lines = []
    for match in result.matches:
        if match.balance is not None:
            value = match.balance.format()
        elif match.stamps is not None:
            value = f"{match.stamps}/{match.stamps_required} stamps"
        else:
            value = f"{match.count} {match.count_unit}"
        rewards = ", ".join(
            f"{r.name} ({r.cost}){' ✓' if r.redeemable else ''}" for r in match.rewards
        )
        lines.append(
            f"{match.provider.label:<14} {match.kind:<12} {match.masked_number:<28} "
            f"{match.title[:18]:<18} {match.status:<10} {value:>14}  {match.holder or ''}"
            + (f"\n{'':<15}rewards: {rewards}" if rewards else "")
        )
    return lines


# ---------------------------------------------------------------------- journaled operations


@dataclass(frozen=True)
class _Outcome:
    result: ActionResult
    match: Match
    approved_by: str | None
    manager_asked: bool


class _JournalBroke(Exception):
    """A journal write failed after the operation's own row may already have been committed."""

    def __init__(self, error: sqlite3.Error, saved: list[Entry]) -> None:
        super().__init__(str(error))
        self.error = error
        self.saved = saved


class _Interrupted(Exception):
    """Ctrl+C while the operation was under way; the message says where it stands."""


def _interrupted(till: Till, saved: Sequence[Entry]) -> str:
    """Stop what was never sent; for the rest, tell the truth so nobody repeats it.

    A PENDING entry is certainly not applied, so Ctrl+C can still mean "don't": it is cancelled.
    Anything further along may already be on the card and is finished by the next sync.
    """
    from pos_app.journal.pending_operations import EntryState

    told = []
    for entry in saved:
        what = f"{entry.description} (reference {entry.key[:8]})"
        if entry.state is EntryState.DONE:
            told.append(f"{what} went through; do not repeat it")
        elif entry.state in (EntryState.HELD, EntryState.PENDING) and till.operations.cancel(
            entry.key, "interrupted at the command line"
        ):
            told.append(f"{what} was cancelled; nothing was charged")
        elif entry.state.is_open:  # sent, or taken by the engine after all
            told.append(
                f"{what} may already have reached the back-end; the next sync finishes it "
                "exactly once, so do not repeat it"
            )
    return "Interrupted. " + ("; ".join(told) if told else "Nothing was saved or sent") + "."


def _journal_failed(data_dir: Path, exc: sqlite3.Error, saved: Sequence[Entry] = ()) -> str:
    """A journal write failed mid-command (full disk, lost permissions): what it means for money.

    Nothing is sent before its journal row is committed, so whatever happened, no back-end was
    asked to do anything this till has no record of. If the operation's row did get committed
    before the failure, it went through or will still be sent: the cashier must hear that, or
    they would repeat the operation and the customer would pay twice.
    """
    from pos_app.journal.pending_operations import EntryState

    told = []
    for entry in saved:
        if entry.state is EntryState.DONE:
            told.append(f"{entry.description} (reference {entry.key[:8]}) went through")
        elif entry.state.is_open:
            told.append(
                f"{entry.description} (reference {entry.key[:8]}) is saved, and the next sync "
                "finishes it exactly once"
            )
    if told:
        return (
            f"Tillcard's journal in {data_dir} failed ({exc}), but first: {'; '.join(told)}. "
            "Do not repeat it. Free some disk space or fix the folder's permissions; "
            "`pos-app queue` shows what is waiting."
        )
    return (
        f"Tillcard cannot use its journal in {data_dir} ({exc}). Free some disk space or fix the "
        "folder's permissions, then check `pos-app queue`. Nothing is ever sent without being "
        "written to the journal first, so no card was changed without a record."
    )


def _typed_amount(text: str, decimal_separator: str) -> Decimal:
    """The cashier's amount parser, so a script is held to what the keypad would accept."""
    from pos_app.domain import AmountEntryError, parse_cashier_amount

    try:
        return parse_cashier_amount(text, decimal_separator)
    except AmountEntryError as exc:
        raise UsageError(f"{text!r} is not an amount: {exc}") from None


def _age_text(seconds: float) -> str:
    total = max(0, int(seconds))
    if total < 60:
        return f"{total} s"
    if total < 3600:
        return f"{total // 60} min"
    if total < 86400:
        return f"{total // 3600} h"
    return f"{total // 86400} d"


def _describe(match: Match, *, rewards: bool = False) -> str:
    text = f"{match.provider.label} {match.kind.replace('_', ' ')} '{match.title}'"
    if rewards and match.rewards:
        text += " (rewards " + ", ".join(r.id for r in match.rewards) + ")"
    return text


def _fits(command: str, match: Match, reward_id: str | None) -> bool:
    if command == "redeem":
        return match.kind in ("gift_card", "stored_value")
    if command == "stamp":
        return match.kind == "stamp_card"
    return reward_id is not None and match.reward(reward_id) is not None


def choose_match(args: argparse.Namespace, found: LookupResult) -> Match:
    """The one card the command is about; never a guess between two cards' money.

    Nothing fitting is a refusal (exit 1); several fitting is a usage error (exit 2), because
    the command line has to say which (``--provider``, ``--card``).
    """
    from pos_app.domain import mask

    reward_id = getattr(args, "reward_id", None)
    want = {
        "redeem": "gift card or stored-value balance",
        "stamp": "stamp card",
        "redeem-reward": f"card offering reward {reward_id}",
    }[args.command]
    candidates = [m for m in found.matches if _fits(args.command, m, reward_id)]
    if args.provider:
        candidates = [m for m in candidates if m.provider.value == args.provider]
    if args.card:
        needle = args.card.casefold()
        candidates = [m for m in candidates if needle in m.title.casefold()]
    if len(candidates) == 1:
        return candidates[0]
    shown = mask(found.code)
    if not candidates:
        if not found.matches:
            raise Failed(found.summary())
        listed = "; ".join(
            _describe(m, rewards=args.command == "redeem-reward") for m in found.matches
        )
        narrowed = " with those options" if args.provider or args.card else ""
        problems = "".join(f" {p.label}: {message}." for p, message in found.errors.items())
        raise Failed(f"No {want} found for {shown}{narrowed}. Found: {listed}.{problems}")
    listed = "; ".join(_describe(m) for m in candidates)
    raise UsageError(
        f"{shown} finds {len(candidates)} cards that fit ({listed}). Say which with "
        f"--provider ({', '.join(PROVIDERS)}) and/or --card NAME."
    )


async def _open_till(
    args: argparse.Namespace, data_dir: Path, config: AppConfig, credentials: Any, transport: Any
) -> Till:
    from pos_app.providers.factory import build_backends
    from pos_app.services.till import Till

    backends = build_backends(config, credentials, transport=transport)
    try:
        return Till.open(data_dir, config, backends, training=bool(getattr(args, "training", 0)))
    except BaseException:
        await backends.aclose()
        raise


async def _close_till(till: Till, grace: float = CLOSE_GRACE_SECONDS) -> None:
    """Let a send already on the wire finish (briefly), then close cleanly.

    The CLI does not run the background engine, but ``send_now`` starts a worker for the
    card; if the process exited under it, the entry would be left in flight and need a
    reconciliation at the next sync (safe, but for Leal possibly a manual check).
    """
    current = asyncio.current_task()
    others = [task for task in asyncio.all_tasks() if task is not current and not task.done()]
    if others:
        _, unfinished = await asyncio.wait(others, timeout=grace)
        for task in unfinished:
            task.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)
    await till.close()


def _approver(till: Till, pin: str | None, approvals: list[str], asked: list[bool]) -> Approve:
    """The manager-PIN question the screen asks in a dialog, answered from the command line."""

    async def approve(decision: OfflineDecision) -> str | None:
        asked.append(True)
        if not pin:
            return None
        name, message = till.verify_manager(pin)
        if name is None:
            print(f"pos-app: manager PIN refused: {message}", file=sys.stderr)
            return None
        approvals.append(name)
        return name

    return approve


def _newest_seq(till: Till) -> int:
    from pos_app.journal.pending_operations import EntryState

    newest = till.operations.listing(frozenset(EntryState), limit=1)
    return newest[0].seq if newest else 0


def _saved_since(till: Till, match: Match, card: str, after: int) -> list[Entry]:
    """This command's entries that made it into the journal, in any state (best effort)."""
    from pos_app.journal.pending_operations import EntryState

    try:
        recent = till.operations.listing(frozenset(EntryState), limit=100)
    except sqlite3.Error:
        return []
    return [e for e in recent if e.seq > after and e.provider is match.provider and e.card == card]


async def _operation(
    args: argparse.Namespace,
    data_dir: Path,
    config: AppConfig,
    credentials: Any,
    transport: Any,
    amount: Decimal | None,
    pin: str | None,
) -> _Outcome:
    from pos_app.domain import Money
    from pos_app.services.card_actions import CardActions
    from pos_app.services.delivery import card_key
    from pos_app.services.lookup import LookupInputError, lookup

    till = await _open_till(args, data_dir, config, credentials, transport)
    try:
        try:
            found = await lookup(args.code, till.backends, memory=till.cards)
        except LookupInputError as exc:
            raise Failed(str(exc)) from None
        match = choose_match(args, found)
        if match.stale_seconds is not None:
            print(
                f"pos-app: {match.provider.label} cannot be reached; using the card as this till "
                f"last saw it, {_age_text(match.stale_seconds)} ago",
                file=sys.stderr,
            )
        approvals: list[str] = []
        asked: list[bool] = []
        approve = _approver(till, pin, approvals, asked)
        actions = CardActions(till)
        card = card_key(match)
        after = _newest_seq(till)
        try:
            if args.command == "redeem":
                assert amount is not None
                currency = match.balance.currency if match.balance else config.terminal.currency
                result = await actions.redeem(match, Money(amount, currency), approve)
            elif args.command == "stamp":
                result = await actions.add_stamps(match, args.n, approve)
            else:
                result = await actions.redeem_reward(match, args.reward_id, approve)
        except sqlite3.Error as exc:
            raise _JournalBroke(exc, _saved_since(till, match, card, after)) from None
        except asyncio.CancelledError:  # Ctrl+C: asyncio.run cancels this task
            raise _Interrupted(_interrupted(till, _saved_since(till, match, card, after))) from None
        return _Outcome(result, match, approvals[0] if approvals else None, bool(asked))
    finally:
        await _close_till(till)


def _operate(args: argparse.Namespace, data_dir: Path) -> int:
    """``redeem`` / ``stamp`` / ``redeem-reward``: the counter's verbs, same journal and policy.

    Exit 0 when the operation is done or safely PENDING (it will be sent exactly once), 1 when
    it was refused or needs a manager's attention.
    """
    config, credentials, transport = _backend_setup(args)
    amount: Decimal | None = None
    if args.command == "redeem":
        amount = _typed_amount(args.amount, config.terminal.decimal_separator)
    if args.command == "stamp" and args.n < 1:
        raise UsageError("N is how many stamps to add: a whole number, 1 or more")
    pin = args.manager_pin or os.environ.get(MANAGER_PIN_ENV) or None
    try:
        outcome = asyncio.run(
            _operation(args, data_dir, config, credentials, transport, amount, pin)
        )
    except _JournalBroke as broke:
        raise Failed(_journal_failed(data_dir, broke.error, broke.saved)) from None
    except _Interrupted as stopped:
        raise Failed(str(stopped)) from None
    except sqlite3.Error as exc:
        raise Failed(_journal_failed(data_dir, exc)) from None
    result = outcome.result
    ok = result.state in ("done", "pending")
    if args.json:
        data = result.as_json() | {
            "card": outcome.match.masked_number,
            "approved_by": outcome.approved_by,
        }
        print(json.dumps(data, indent=2, ensure_ascii=False))
    elif ok:
        print(result.message)
        if outcome.approved_by:
            print(f"Approved by {outcome.approved_by} (manager PIN).")
        if result.reference:
            print(f"Reference: {result.reference[:8]}")
        if result.state == "pending":
            print("Saved in this till's journal; `pos-app sync` or the cashier window sends it.")
    if not ok:
        print(f"pos-app: {result.message}", file=sys.stderr)
        if outcome.manager_asked and not pin:
            print(
                f"pos-app: a manager can approve it: add --manager-pin PIN (or set "
                f"{MANAGER_PIN_ENV})",
                file=sys.stderr,
            )
        if result.state == "needs_attention" and result.reference:
            print(
                f"pos-app: reference {result.reference[:8]} is in `pos-app queue` for a manager",
                file=sys.stderr,
            )
    return EXIT_OK if ok else EXIT_FAILED


# ---------------------------------------------------------------------- sync and queue

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


def _sync(args: argparse.Namespace, data_dir: Path) -> int:
    config, credentials, transport = _backend_setup(args)
    try:
        if args.once:
            return asyncio.run(_sync_once(args, data_dir, config, credentials, transport))
        return asyncio.run(_sync_forever(args, data_dir, config, credentials, transport))
    except sqlite3.Error as exc:
        raise Failed(_journal_failed(data_dir, exc)) from None
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

    till = await _open_till(args, data_dir, config, credentials, transport)
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
        await _close_till(till)
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

    till = await _open_till(args, data_dir, config, credentials, transport)
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
            f"{_age_text(entry.age(now).total_seconds()):>6}  {entry.provider.label:<13}  "
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


def _queue(args: argparse.Namespace, data_dir: Path) -> int:
    """Read-only: no configuration or back-end is needed to see what this till still owes."""
    from pos_app.journal.database import open_journal
    from pos_app.journal.pending_operations import PendingOperations, utc_now

    journal = open_journal(data_dir)
    try:
        entries = PendingOperations(journal).listing()
    except sqlite3.Error as exc:
        raise Failed(_journal_failed(data_dir, exc)) from None
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


def _read_new_pin() -> str:
    """Twice, hidden, from a terminal; or two lines on stdin (provisioning scripts)."""
    if sys.stdin.isatty():
        try:
            first = getpass.getpass("New manager PIN: ")
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


def _manager_pin(args: argparse.Namespace, data_dir: Path) -> int:
    """Only the scrypt hash is stored; the change itself goes into the audit trail."""
    from pos_app.journal.audit_trail import AuditTrail
    from pos_app.journal.database import open_journal
    from pos_app.journal.staff import Staff
    from pos_app.manager_pin import check_pin_format, hash_pin

    name = args.name.strip()
    if not name or len(name) > 60:
        raise UsageError("A manager's name has 1 to 60 characters")
    pin = _read_new_pin()
    problem = check_pin_format(pin)
    if problem is not None:
        raise Failed(f"{problem}; nothing was changed")
    config = _config(args)
    terminal = config.terminal.id if config else "pos-app"
    journal = open_journal(data_dir)
    try:
        Staff(journal).set_manager(name, hash_pin(pin))
        AuditTrail(journal, terminal).record("manager_pin_set", {"manager": name}, "ok")
    except sqlite3.Error as exc:
        raise Failed(_journal_failed(data_dir, exc)) from None
    finally:
        journal.close()
    print(f"Manager PIN set for {name} on this till.")
    return EXIT_OK


def _self_check(args: argparse.Namespace, data_dir: Path) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from pos_app.gui.app import self_check
    from pos_app.journal.database import open_journal, schema_version

    config = _config(args)
    terminal = config.terminal.id if config else "till-1"
    journal = open_journal(data_dir)
    version = schema_version(journal)
    journal.close()
    title = self_check(terminal)
    print(f"self-check ok: {title}; journal schema {version}; data folder {data_dir}")
    return EXIT_OK


def _gui(args: argparse.Namespace, data_dir: Path) -> int:
    from pos_app.gui.app import Setup, run_gui

    if getattr(args, "training", False):

        def training_setup() -> Setup:
            from pos_app.sandbox.inprocess import InProcessTransport
            from pos_app.training import TrainingWorld

            world = TrainingWorld()
            return Setup(
                world.config(),
                world.credentials(),
                data_dir,
                transport=InProcessTransport(world.sandbox),
                world=world,
            )

        from pos_app.sandbox import TRAINING_TERMINAL

        return run_gui(TRAINING_TERMINAL, training=True, prepare=training_setup)
    config = _config(args)
    if config is None:
        raise UsageError(
            "No configuration found. Start with --training to try Tillcard, or pass "
            "--config PATH (or set POS_APP_CONFIG)."
        )
    from pos_app.credentials import Credentials

    return run_gui(
        config.terminal.id,
        training=False,
        prepare=lambda: Setup(config, Credentials(), data_dir),
    )


def run(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = args.command
    if command in LATER:
        raise UsageError(
            f"{LATER[command]} ({command}) is not yet available in Tillcard {__version__}"
        )
    training = bool(getattr(args, "training", False))
    data_dir = ensure_data_dir(resolve_data_dir(getattr(args, "data_dir", None), training=training))
    # A full disk must not turn every log line into a traceback on the terminal: the journal
    # reports the real problem in one sentence.
    logging.raiseExceptions = False
    try:
        setup_logging(data_dir, verbose=bool(getattr(args, "verbose", False)))
    except OSError as exc:
        print(f"pos-app: cannot write the log file in {data_dir}: {exc.strerror}", file=sys.stderr)
    log.info("pos-app %s %s (training=%s)", __version__, command or "gui", training)
    if command == "sandbox":
        return _serve_sandbox(args)
    if command == "self-check":
        return _self_check(args, data_dir)
    if command == "lookup":
        return _lookup(args, data_dir)
    if command in OPERATIONS:
        return _operate(args, data_dir)
    if command == "sync":
        return _sync(args, data_dir)
    if command == "queue":
        return _queue(args, data_dir)
    if command == "manager-pin":
        return _manager_pin(args, data_dir)
    return _gui(args, data_dir)


def main(argv: Sequence[str] | None = None) -> int:
    """Exit codes per contract: 0 ok, 1 refused/failed, 2 usage; never a traceback."""
    try:
        return run(argv)
    except UsageError as exc:
        print(f"pos-app: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (Failed, ConfigError, DataDirError, JournalUnavailable) as exc:
        print(f"pos-app: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("pos-app: interrupted", file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:
        log.exception("unexpected failure")
        print(
            f"pos-app: unexpected error ({type(exc).__name__}); details are in the log file",
            file=sys.stderr,
        )
        return EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(main())
