"""``pos-app receipt`` and ``pos-app report shift``: paper and figures from the journal, headless.

Both read only the journal (no back-end is called), so they work on a till that is offline and
in support sessions. Rendering uses Qt offscreen; no window opens.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pos_app.cli import (
    EXIT_OK,
    MANAGER_PIN_ENV,
    Failed,
    UsageError,
    backend_setup,
    config_from_args,
)
from pos_app.cli_operations import journal_failed

if TYPE_CHECKING:
    from pos_app.domain.receipts import PaperWidth
    from pos_app.domain.shift_report import ShiftReport, Totals
    from pos_app.services.till import Till

__all__ = ["receipt", "shift_report"]


def _qt() -> None:
    """PDFs are drawn with Qt; headless (CI, a service) it must not look for a display.

    A full QApplication, not a QGuiApplication: a process can have only one, and one without
    widget support would break anything in the same process that later builds a widget.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is None:
        QApplication(["pos-app"])


def _journal_till(args: argparse.Namespace, data_dir: Path) -> Till:
    """The till's journal with its configuration, but no back-end: nothing goes on the wire."""
    from pos_app.config import AppConfig
    from pos_app.providers.factory import Backends
    from pos_app.services.till import Till

    if getattr(args, "training", False):
        config = backend_setup(args)[0]
    else:
        config = config_from_args(args) or AppConfig()
    return Till.open(data_dir, config, Backends(), training=bool(getattr(args, "training", 0)))


def _paper(args: argparse.Namespace, till: Till) -> PaperWidth:
    from pos_app.domain.receipts import PaperWidth

    return PaperWidth(args.paper) if args.paper else till.config.receipts.paper


def _writable(path_text: str) -> Path:
    path = Path(path_text).expanduser()
    if not path.parent.is_dir():
        raise Failed(f"The folder {path.parent} does not exist; nothing was written")
    return path


def receipt(args: argparse.Namespace, data_dir: Path) -> int:
    """Render one journaled operation's receipt; each render counts as a copy (COPY n)."""
    from pos_app.printing.receipt_print import receipt_pdf
    from pos_app.services.receipts import find_operation, receipt_for, record_print

    path = _writable(args.pdf)
    till = _journal_till(args, data_dir)
    try:
        entry = find_operation(till, args.reference)
        if entry is None:
            raise Failed(
                f"No operation {args.reference!r} in this till's journal ({data_dir}). Give the "
                "code under the receipt's barcode, the full reference or its first 8 characters."
            )
        paper = _paper(args, till)
        slip = receipt_for(till, entry)
        _qt()
        try:
            receipt_pdf(slip, path, paper)
        except OSError as exc:
            raise Failed(f"Cannot write {path}: {exc.strerror or exc}") from None
        record_print(till, slip, f"pdf via pos-app ({paper.label})")
    except sqlite3.Error as exc:
        raise Failed(journal_failed(data_dir, exc)) from None
    finally:
        asyncio.run(till.close())
    copy = f", copy {slip.copy}" if slip.copy else ""
    print(f"Receipt {slip.code} ({entry.description}{copy}) written to {path}")
    return EXIT_OK


def _amounts(values: dict[str, Decimal]) -> dict[str, str]:
    return {currency: str(amount) for currency, amount in sorted(values.items())}


def _totals_json(totals: Totals) -> dict[str, Any]:
    return {
        "redemptions": totals.redemptions,
        "redeemed": _amounts(totals.redeemed),
        "undos": totals.undos,
        "undone": _amounts(totals.undone),
        "net": _amounts(totals.net()),
        "stamp_operations": totals.stamp_operations,
        "stamps_added": totals.stamps,
        "rewards_redeemed": totals.rewards,
        "pending": totals.pending,
        "pending_amount": _amounts(totals.pending_amount),
        "needs_attention": totals.needs_attention,
        "resolved": totals.resolved,
        "not_done": totals.not_done,
    }


def report_json(report: ShiftReport) -> dict[str, Any]:
    facts = report.facts
    return {
        "shift": {
            "id": facts.shift_id,
            "terminal": facts.terminal,
            "opened_at": facts.opened_at.isoformat(),
            "opened_by": facts.opened_by,
            "closed_at": None if facts.closed_at is None else facts.closed_at.isoformat(),
            "closed_by": facts.closed_by,
        },
        "total": _totals_json(report.total),
        "backends": {p.value: _totals_json(t) for p, t in report.by_backend.items()},
        "cashiers": {name: _totals_json(t) for name, t in report.by_cashier.items()},
    }


def _report_lines(report: ShiftReport, separator: str) -> list[str]:
    from pos_app.domain.shift_report import money_text

    facts = report.facts
    closed = (
        f"closed {facts.closed_at.astimezone():%Y-%m-%d %H:%M} by {facts.closed_by}"
        if facts.closed_at
        else "still open"
    )
    lines = [
        f"Shift {facts.shift_id} on {facts.terminal}: opened "
        f"{facts.opened_at.astimezone():%Y-%m-%d %H:%M} by {facts.opened_by}, {closed}"
    ]
    for _section, name, t in report.slices():
        lines.append(
            f"{name:<20} {t.redemptions:>4} redeemed {money_text(t.redeemed, separator):>12}"
            f"  undone {t.undos} ({money_text(t.undone, separator)})"
            f"  net {money_text(t.net(), separator)}  stamps {t.stamps}  rewards {t.rewards}"
            f"  pending {t.pending}  needs attention {t.needs_attention}"
        )
    return lines


def shift_report(args: argparse.Namespace, data_dir: Path) -> int:
    """Manager only, like the screen: the PIN comes from --manager-pin or the environment."""
    from pos_app.services.shift_reports import report_for, write_csv

    pin = args.manager_pin or os.environ.get(MANAGER_PIN_ENV)
    if not pin:
        raise UsageError(
            f"The shift report is for managers: give --manager-pin PIN (or set {MANAGER_PIN_ENV})"
        )
    csv_path = _writable(args.csv) if args.csv else None
    pdf_path = _writable(args.pdf) if args.pdf else None
    till = _journal_till(args, data_dir)
    try:
        manager, message = till.verify_manager(pin)
        if manager is None:
            raise Failed(f"Manager PIN refused: {message}")
        till.audit.record("shift_report", {"shift": args.shift}, "viewed", cashier=manager)
        report = report_for(till, args.shift)
        if report is None:
            which = f"shift {args.shift}" if args.shift else "open shift"
            raise Failed(f"This till ({till.terminal}) has no {which}")
        separator = till.config.terminal.decimal_separator
        if csv_path is not None:
            write_csv(report, csv_path)
        if pdf_path is not None:
            from pos_app.domain.receipts import PaperWidth
            from pos_app.printing.shift_report_print import shift_report_pdf

            _qt()
            shift_report_pdf(report, pdf_path, PaperWidth(args.paper or "a4"))
    except sqlite3.Error as exc:
        raise Failed(journal_failed(data_dir, exc)) from None
    except OSError as exc:
        raise Failed(f"Cannot write the report: {exc.strerror or exc}") from None
    finally:
        asyncio.run(till.close())
    if args.json:
        print(json.dumps(report_json(report), indent=2, ensure_ascii=False))
    else:
        for line in _report_lines(report, separator):
            print(line)
    return EXIT_OK
