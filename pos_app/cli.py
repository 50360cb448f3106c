"""``pos-app``: the cashier GUI by default, sub-commands for headless use (see the contract)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from pos_app.__about__ import __version__
from pos_app.data_dir import DataDirError, ensure_data_dir, resolve_data_dir
from pos_app.logs import setup_logging
from pos_app.problems import ConfigError, JournalUnavailable

if TYPE_CHECKING:  # pydantic loads only when a configuration is read
    from pos_app.config import AppConfig
    from pos_app.services.lookup import LookupResult

log = logging.getLogger("pos_app.cli")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
PROVIDERS: Final = ("loyaltydog", "leal", "clienttoolbox")
OPERATIONS: Final = ("redeem", "stamp", "redeem-reward")
MANAGER_PIN_ENV: Final = "POS_APP_MANAGER_PIN"
PAPERS: Final = ("58", "80", "a4")
#: Qt platforms with no screen: a window there could never be answered.
NO_SCREEN_PLATFORMS: Final = frozenset({"offscreen", "minimal"})


class UsageError(Exception):
    """Bad invocation; exit code 2."""


class Failed(Exception):
    """The command could not do its job; exit code 1 with this message."""


class Quit(Exception):
    """The owner closed the first-run window: nothing to start, nothing went wrong (exit 0)."""


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
    receipt = sub.add_parser(
        "receipt", parents=[common], help="render a journaled operation's receipt to PDF"
    )
    receipt.add_argument(
        "reference", help="the code under the receipt's barcode, or the operation's reference"
    )
    receipt.add_argument("--pdf", required=True, metavar="PATH")
    receipt.add_argument(
        "--paper", choices=PAPERS, help="58 or 80 mm roll, or a4 (default: [receipts] paper)"
    )
    report = sub.add_parser(
        "report", parents=[common], help="back-office reports, and the end-of-shift report"
    )
    report.add_argument("kind", choices=["business", "customer", "balances", "shift"])
    report.add_argument(
        "--campaign",
        metavar="ID",
        help="balances: the ClientToolbox campaign (default: the first in the configuration)",
    )
    report.add_argument(
        "--coalition",
        choices=["points", "storedvalue"],
        help="balances: sum each customer over the coalition's campaigns of that kind",
    )
    report.add_argument(
        "--card",
        metavar="CARD",
        help="customer: the customer of this gift card (its id, or its number)",
    )
    report.add_argument(
        "--page-size",
        type=int,
        metavar="N",
        help="balances: customers per request (default 100)",
    )
    report.add_argument("--csv", metavar="PATH")
    report.add_argument("--json", action="store_true")
    report.add_argument(
        "--shift",
        type=int,
        metavar="N",
        help="shift: a past shift's number (default: the open one)",
    )
    report.add_argument("--pdf", metavar="PATH", help="shift: also render it to PDF")
    report.add_argument("--paper", choices=PAPERS, help="shift: paper of the PDF (default a4)")
    report.add_argument(
        "--manager-pin",
        metavar="PIN",
        help=f"shift: the report is for managers (env {MANAGER_PIN_ENV})",
    )
    staff = sub.add_parser("staff", parents=[common], help="who may sign in on this till")
    staff_do = staff.add_subparsers(dest="staff_command", metavar="ACTION", required=True)
    add = staff_do.add_parser(
        "add", parents=[common], help="add someone or change their PIN (read twice)"
    )
    add.add_argument("name")
    add.add_argument("--manager", action="store_true", help="may approve and see shift reports")
    remove = staff_do.add_parser("remove", parents=[common], help="someone left: no more sign-in")
    remove.add_argument("name")
    listing = staff_do.add_parser("list", parents=[common], help="everyone who may sign in")
    listing.add_argument("--json", action="store_true")
    gdpr = sub.add_parser("gdpr-export", parents=[common], help="request a GDPR export")
    who = gdpr.add_mutually_exclusive_group(required=True)
    who.add_argument("--customer-id")
    who.add_argument("--email")
    gdpr.add_argument("--format", required=True, choices=["json", "csv"])
    gdpr.add_argument("--download", metavar="PATH", help="also save the export to this file")
    gdpr.add_argument("--json", action="store_true", help="print the export's details as JSON")
    sub.add_parser(
        "self-check",
        parents=[common],
        help="start headless, open the data folder, build the main window, exit 0",
    )
    return parser


def config_from_args(args: argparse.Namespace) -> AppConfig | None:
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


def backend_setup(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    """Config, credentials and transport: the emulators in-process for --training."""
    from pos_app.credentials import Credentials

    if getattr(args, "training", False):
        from pos_app.sandbox.inprocess import InProcessTransport
        from pos_app.training import TrainingWorld

        world = TrainingWorld()
        return world.config(), world.credentials(), InProcessTransport(world.sandbox)
    config = config_from_args(args)
    if config is None:
        raise UsageError("No configuration: pass --config PATH (or POS_APP_CONFIG), or --training")
    if not config.enabled_backends():
        raise Failed("No back-end is enabled in the configuration")
    return config, Credentials(), None


def _lookup(args: argparse.Namespace, data_dir: Path) -> int:
    """Cards seen online are remembered in the journal, as a scan at the counter is, so a later
    offline ``redeem`` has a cached card to work from and an offline lookup shows it (stale)."""
    from pos_app.cli_operations import journal_failed
    from pos_app.journal.card_cache import CardCache
    from pos_app.journal.database import open_journal
    from pos_app.providers.factory import build_backends
    from pos_app.services.lookup import LookupInputError, lookup
    from pos_app.services.offline_cards import OfflineCards

    config, credentials, transport = backend_setup(args)

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
        raise Failed(journal_failed(data_dir, exc)) from None
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


def _self_check(args: argparse.Namespace, data_dir: Path) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from pos_app.self_check import CheckFailed, run_checks

    config = config_from_args(args)
    terminal = config.terminal.id if config else "till-1"
    print(f"Tillcard {__version__} self-check", flush=True)
    try:
        title = run_checks(data_dir, terminal, lambda line: print(line, flush=True))
    except CheckFailed as exc:
        log.error("self-check failed: %s", exc, exc_info=exc.__cause__ is not None)
        raise Failed(f"self-check failed: {exc}") from exc
    print(f"self-check ok: {title}; data folder {data_dir}")
    return EXIT_OK


def _gui(args: argparse.Namespace, data_dir: Path) -> int:
    from pos_app.gui.app import Setup, run_gui

    if getattr(args, "training", False):
        return _training_gui(data_dir)
    from pos_app.config import config_path
    from pos_app.config_file import default_config_file

    config = config_from_args(args)
    config_file = config_path(getattr(args, "config", None)) or default_config_file()
    if config is None:
        config = _first_run()
        if config is None:  # the owner chose training mode
            training_dir = resolve_data_dir(getattr(args, "data_dir", None), training=True)
            return _training_gui(ensure_data_dir(training_dir))
    from pos_app.credentials import Credentials

    chosen = config
    return run_gui(
        chosen.terminal.id,
        training=False,
        prepare=lambda: Setup(chosen, Credentials(), data_dir, config_file=config_file),
    )


def _training_gui(data_dir: Path) -> int:
    """The GUI against the in-process emulators; ``data_dir`` is already the training folder."""
    from pos_app.gui.app import Setup, run_gui
    from pos_app.sandbox import TRAINING_TERMINAL

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

    return run_gui(TRAINING_TERMINAL, training=True, prepare=training_setup)


def _first_run() -> AppConfig | None:
    """No configuration anywhere: the welcome window offers training mode or setting up.

    Returns the configuration Settings saved, or None for training mode. Without a screen
    (offscreen or minimal Qt, as on CI) nobody could answer the window, so it stays the usage
    error it always was.
    """
    if os.environ.get("QT_QPA_PLATFORM", "").split(":")[0] in NO_SCREEN_PLATFORMS:
        raise UsageError(
            "No configuration found. Start with --training to try Tillcard, or pass "
            "--config PATH (or set POS_APP_CONFIG)."
        )
    from pos_app.config_file import default_config_file
    from pos_app.gui.welcome import Choice, run_welcome

    outcome = run_welcome(default_config_file())
    if outcome.choice is Choice.TRAINING:
        return None
    if outcome.choice is Choice.CONFIGURED and outcome.config is not None:
        return outcome.config
    raise Quit


def run(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = args.command
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
        from pos_app.cli_operations import operate

        return operate(args, data_dir)
    if command == "gdpr-export" or (command == "report" and args.kind != "shift"):
        from pos_app import cli_back_office

        return (cli_back_office.report if command == "report" else cli_back_office.gdpr_export)(
            args, data_dir
        )
    if command in ("receipt", "report"):
        from pos_app import cli_receipts

        return (cli_receipts.receipt if command == "receipt" else cli_receipts.shift_report)(
            args, data_dir
        )
    if command in ("staff", "manager-pin"):
        from pos_app import cli_staff

        return (cli_staff.staff if command == "staff" else cli_staff.manager_pin)(args, data_dir)
    if command in ("sync", "queue"):
        from pos_app import cli_sync

        return (cli_sync.sync if command == "sync" else cli_sync.queue)(args, data_dir)
    return _gui(args, data_dir)


def main(argv: Sequence[str] | None = None) -> int:
    """Exit codes per contract: 0 ok, 1 refused/failed, 2 usage; never a traceback."""
    try:
        return run(argv)
    except UsageError as exc:
        print(f"pos-app: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Quit:
        return EXIT_OK
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
