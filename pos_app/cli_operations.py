"""``pos-app redeem | stamp | redeem-reward``: one card operation through the journal and policy.

The same path as the cashier's F-keys: the card is looked up (the cache answers when a back-end
is down), the operation is journaled before it is sent, and the answer is told honestly, so a
script or a cashier at a terminal never repeats what already went through.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from pos_app.config import AppConfig
    from pos_app.domain.policy import OfflineDecision
    from pos_app.journal.pending_operations import Entry
    from pos_app.services.card_actions import ActionResult, Approve
    from pos_app.services.lookup import LookupResult, Match
    from pos_app.services.till import Till

from pos_app.cli import (
    EXIT_FAILED,
    EXIT_OK,
    MANAGER_PIN_ENV,
    PROVIDERS,
    Failed,
    UsageError,
    backend_setup,
)

log = logging.getLogger("pos_app.cli")

#: After an operation's answer, how long a send still on the wire may finish before the process
#: exits. Cutting it off is safe (the entry is reconciled at the next sync) but costs a check.
CLOSE_GRACE_SECONDS: Final = 5.0


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


def journal_failed(data_dir: Path, exc: sqlite3.Error, saved: Sequence[Entry] = ()) -> str:
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


#: How much of a refused amount is echoed back: enough to recognise it, never a flood.
ECHO_LIMIT: Final = 24
_DIGIT_RUN: Final = re.compile(r"[0-9]{8,}")


def echo(text: str, limit: int = ECHO_LIMIT) -> str:
    """A refused input as a terminal may show it: in quotes, control characters (which could
    drive the terminal) and undecodable bytes as ``?``, long digit runs (a card number in the
    wrong place) masked, clipped to ``limit`` characters."""
    from pos_app.domain import mask

    shown = "".join(char if char.isprintable() else "?" for char in text[: limit + 1])
    shown = _DIGIT_RUN.sub(lambda run: mask(run.group()), shown)
    return f'"{shown[:limit]}…"' if len(text) > limit else f'"{shown}"'


def _typed_amount(text: str, decimal_separator: str) -> Decimal:
    """The cashier's amount parser, so a script is held to what the keypad would accept."""
    from pos_app.domain import AmountEntryError, parse_cashier_amount

    try:
        return parse_cashier_amount(text, decimal_separator)
    except AmountEntryError as exc:
        raise UsageError(f"{echo(text)} is not an amount: {exc}") from None


def age_text(seconds: float) -> str:
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


async def open_till(
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


async def close_till(till: Till, grace: float = CLOSE_GRACE_SECONDS) -> None:
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

    till = await open_till(args, data_dir, config, credentials, transport)
    try:
        try:
            found = await lookup(args.code, till.backends, memory=till.cards)
        except LookupInputError as exc:
            raise Failed(str(exc)) from None
        match = choose_match(args, found)
        if match.stale_seconds is not None:
            print(
                f"pos-app: {match.provider.label} cannot be reached; using the card as this till "
                f"last saw it, {age_text(match.stale_seconds)} ago",
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
        await close_till(till)


def operate(args: argparse.Namespace, data_dir: Path) -> int:
    """``redeem`` / ``stamp`` / ``redeem-reward``: the counter's verbs, same journal and policy.

    Exit 0 when the operation is done or safely PENDING (it will be sent exactly once), 1 when
    it was refused or needs a manager's attention.
    """
    config, credentials, transport = backend_setup(args)
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
        raise Failed(journal_failed(data_dir, broke.error, broke.saved)) from None
    except _Interrupted as stopped:
        raise Failed(str(stopped)) from None
    except sqlite3.Error as exc:
        raise Failed(journal_failed(data_dir, exc)) from None
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
