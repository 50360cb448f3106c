"""``pos-app report business|customer|balances`` and ``pos-app gdpr-export``, headless.

Back-office reads for nightly exports (accounting, a data-protection request): they run with
the store's back-end credentials and need no manager PIN. Nothing here touches the journal's
operations; ``gdpr-export`` writes its request to the audit trail.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sqlite3
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pos_app.cli import EXIT_OK, Failed, UsageError, backend_setup
from pos_app.cli_operations import journal_failed

if TYPE_CHECKING:
    from pos_app.domain.money import Money
    from pos_app.domain.outcomes import (
        BalancesReportRow,
        BusinessReport,
        CustomerReport,
        GdprExport,
    )
    from pos_app.providers.factory import Backends

__all__ = ["gdpr_export", "report"]

_ONLY_FOR = {"campaign": "balances", "coalition": "balances", "card": "customer"}


def _writable(path_text: str) -> Path:
    path = Path(path_text).expanduser()
    if not path.parent.is_dir():
        raise Failed(f"The folder {path.parent} does not exist; nothing was written")
    return path


def _backends(args: argparse.Namespace) -> tuple[Any, Backends]:
    from pos_app.providers.factory import build_backends

    config, credentials, transport = backend_setup(args)
    return config, build_backends(config, credentials, transport=transport)


def _failed(exc: Exception) -> Failed:
    from pos_app.providers.errors import BackendError

    if isinstance(exc, BackendError):
        return Failed(f"{exc.backend}: {exc.message}")
    return Failed(str(exc))


def _money(value: Money) -> str:
    return value.to_api()


# -- business and customer ---------------------------------------------------------------------


def business_json(report: BusinessReport) -> dict[str, Any]:
    return {
        "report": "business",
        "currency": report.total_balance.currency,
        "card_counts": dict(report.card_counts),
        "total_sold": _money(report.total_sold),
        "total_redeemed": _money(report.total_redeemed),
        "total_balance": _money(report.total_balance),
        "cards_sold_this_month": report.cards_sold_this_month,
        "sales_this_month": _money(report.sales_this_month),
    }


def customer_json(report: CustomerReport, card: str | None) -> dict[str, Any]:
    return {
        "report": "customer",
        "card": card,
        "currency": report.total_balance.currency,
        "total_cards": report.total_cards,
        "active_cards": report.active_cards,
        "expiring_soon_cards": report.expiring_soon_cards,
        "total_spent": _money(report.total_spent),
        "total_balance": _money(report.total_balance),
    }


def figures_csv(figures: dict[str, Any]) -> list[list[str]]:
    """A two-column sheet (figure, value) plus the currency of money figures."""
    currency = figures["currency"]
    lines = [["figure", "value", "currency"]]
    for name, value in figures.items():
        if name in ("report", "currency", "card"):
            continue
        if isinstance(value, dict):
            lines += [[f"{name}.{key}", str(count), ""] for key, count in value.items()]
        else:
            money = isinstance(value, str)
            lines.append([name, str(value), currency if money else ""])
    return lines


def _business_lines(report: BusinessReport) -> list[str]:
    from pos_app.domain.balance_figures import cards_by_status

    counts = ", ".join(f"{status} {n}" for status, n in cards_by_status(report.card_counts))
    total = report.card_counts.get("total", sum(n for _, n in cards_by_status(report.card_counts)))
    return [
        f"Gift cards: {total} ({counts})",
        f"Sold:        {report.total_sold.format():>14}",
        f"Redeemed:    {report.total_redeemed.format():>14}",
        f"Outstanding: {report.total_balance.format():>14}",
        f"This month:  {report.sales_this_month.format():>14}"
        f"  ({report.cards_sold_this_month} cards sold)",
    ]


def _customer_lines(report: CustomerReport, card: str | None) -> list[str]:
    whose = f"The customer of card {card}" if card else "All customers of the program"
    return [
        f"{whose}: {report.total_cards} cards, {report.active_cards} active, "
        f"{report.expiring_soon_cards} expiring within 30 days",
        f"Spent:       {report.total_spent.format():>14}",
        f"Balance:     {report.total_balance.format():>14}",
    ]


async def _card_id(backends: Backends, card: str) -> str:
    """A gift card number (what a manager has in hand) is looked up; an id is used as it is."""
    from pos_app.domain.card_number import looks_like_gift_card_number

    if backends.gift_cards is None or not looks_like_gift_card_number(card):
        return card
    found = await backends.gift_cards.find_cards(card)
    if len(found) != 1:
        what = "No gift card has" if not found else "Several gift cards have"
        raise Failed(f"{what} the number {card}; give the card's id instead")
    return found[0].id


async def _loyaltydog_report(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    """The report as JSON and as lines for a terminal."""
    from pos_app.services import back_office_reports as reports

    _, backends = _backends(args)
    try:
        if args.kind == "business":
            business = await reports.business_report(backends)
            return business_json(business), _business_lines(business)
        card_id = await _card_id(backends, args.card) if args.card else None
        customer = await reports.customer_report(backends, card_id=card_id)
        return customer_json(customer, args.card), _customer_lines(customer, args.card)
    finally:
        await backends.aclose()


# -- balances ----------------------------------------------------------------------------------


def _amount(value: int | Money | None) -> str | None:
    from pos_app.domain.money import Money

    if value is None:
        return None
    return value.to_api() if isinstance(value, Money) else str(value)


def balances_json(
    rows: Sequence[BalancesReportRow], *, campaign: str, coalition: str | None, pages: int
) -> dict[str, Any]:
    from pos_app.domain.balance_figures import balance_distribution, balance_of, balance_totals
    from pos_app.services.back_office_reports import row_unit

    totals = balance_totals(rows)
    unit = row_unit(rows[0]) if rows else None
    return {
        "report": "balances",
        "campaign_id": campaign,
        "coalition": coalition,
        "pages": pages,
        "customers": totals.customers,
        "unit": unit,
        "totals": {
            "earned": str(totals.earned),
            "redeemed": str(totals.redeemed),
            "balance": str(totals.balance),
        },
        "distribution": [
            {"label": b.label, "count": b.count, "total": str(b.total)}
            for b in balance_distribution([balance_of(row) for row in rows])
        ],
        "rows": [
            {
                "code": row.code,
                "card_number": row.card_number,
                "first_name": row.first_name,
                "last_name": row.last_name,
                "email": row.email,
                "earned": _amount(row.earned),
                "redeemed": _amount(row.redeemed),
                "balance": _amount(row.balance),
                "balance_equivalent": _amount(row.balance_equivalent),
            }
            for row in rows
        ],
    }


def _campaign(args: argparse.Namespace, config: Any) -> str:
    if args.campaign:
        return str(args.campaign)
    section = getattr(config, "clienttoolbox", None)
    campaigns = list(section.campaign_ids) if section is not None else []
    if not campaigns:
        raise UsageError(
            "report balances needs --campaign ID: the configuration lists no "
            "[clienttoolbox] campaign_ids to default to"
        )
    return str(campaigns[0])


async def _balances(
    args: argparse.Namespace,
) -> tuple[dict[str, Any], list[BalancesReportRow]]:
    from pos_app.services.back_office_reports import BalancesFetch, points_provider

    config, backends = _backends(args)
    try:
        campaign = _campaign(args, config)
        fetch = BalancesFetch(
            points_provider(backends),
            campaign,
            coalition=args.coalition,
            page_size=args.page_size,
        )

        def progress(rows: Sequence[BalancesReportRow]) -> None:
            if not args.json:
                print(
                    f"page {fetch.pages}: {len(rows)} rows ({len(fetch.rows)} so far)",
                    file=sys.stderr,
                    flush=True,
                )

        await fetch.run(progress)
        if fetch.error is not None and fetch.error.retry_safe:
            # One more try of the failed page: the client has already retried it, but a
            # nightly export should not lose every page fetched for one bad moment.
            await fetch.run(progress)
        if fetch.error is not None:
            error = fetch.error
            stopped = f" after {len(fetch.rows)} rows" if fetch.rows else ""
            again = "; run it again later" if error.retry_safe else ""
            raise Failed(
                f"{error.backend}: {error.message} (the report stopped{stopped}; "
                f"nothing was written{again})"
            )
        result = balances_json(
            fetch.rows, campaign=campaign, coalition=args.coalition, pages=fetch.pages
        )
        return result, fetch.rows
    finally:
        await backends.aclose()


def _balances_lines(result: dict[str, Any]) -> list[str]:
    lines = [
        f"{'CODE':<20} {'CARD':<20} {'NAME':<28} {'EARNED':>12} {'REDEEMED':>12} {'BALANCE':>12}"
    ]
    for row in result["rows"]:
        name = " ".join(part for part in (row["first_name"], row["last_name"]) if part)
        lines.append(
            f"{row['code']:<20} {row['card_number'] or '':<20} {name[:28]:<28} "
            f"{row['earned']:>12} {row['redeemed']:>12} {row['balance']:>12}"
        )
    coalition = f" (coalition {result['coalition']})" if result["coalition"] else ""
    totals = result["totals"]
    lines.append(
        f"Campaign {result['campaign_id']}{coalition}: {result['customers']} customers, "
        f"balance {totals['balance']} {result['unit'] or ''}".rstrip()
    )
    return lines


# -- the command ---------------------------------------------------------------------------------


def _check_options(args: argparse.Namespace) -> None:
    for option, kind in _ONLY_FOR.items():
        if getattr(args, option, None) is not None and args.kind != kind:
            raise UsageError(f"--{option} is for report {kind}, not report {args.kind}")
    if args.page_size is not None and args.kind != "balances":
        raise UsageError(f"--page-size is for report balances, not report {args.kind}")
    if args.page_size is None:
        args.page_size = 100
    elif not 1 <= args.page_size <= 1000:
        raise UsageError("--page-size must be 1 to 1000")


def report(args: argparse.Namespace, data_dir: Path) -> int:
    """``report business|customer|balances``: print, ``--json``, and/or ``--csv PATH``."""
    from pos_app.providers.errors import BackendError
    from pos_app.services.back_office_reports import (
        ReportUnavailable,
        balances_csv_rows,
        write_csv_lines,
    )

    _check_options(args)
    csv_path = _writable(args.csv) if args.csv else None
    try:
        if args.kind == "balances":
            result, rows = asyncio.run(_balances(args))
            sheet = balances_csv_rows(rows)
            lines = _balances_lines(result)
        else:
            result, lines = asyncio.run(_loyaltydog_report(args))
            sheet = figures_csv(result)
    except (BackendError, ReportUnavailable) as exc:
        raise _failed(exc) from None
    if csv_path is not None:
        try:
            write_csv_lines(sheet, csv_path)
        except OSError as exc:
            raise Failed(f"Cannot write {csv_path}: {exc.strerror or exc}") from None
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return EXIT_OK
    for line in lines:
        print(line)
    if csv_path is not None:
        print(f"Written to {csv_path} ({len(sheet) - 1} rows)")
    return EXIT_OK


# -- GDPR --------------------------------------------------------------------------------------


def _requester() -> str:
    """Who asked, for the audit trail: the operating-system account that ran the command."""
    try:
        return f"{getpass.getuser()} (pos-app)"
    except (OSError, KeyError):
        return "pos-app"


def _when(value: datetime | None) -> str:
    return "unknown" if value is None else f"{value.astimezone():%Y-%m-%d %H:%M %Z}"


def export_json(export: GdprExport, download: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "export_id": export.export_id,
        "status": export.status,
        "format": export.format,
        "requested_at": export.requested_at.isoformat() if export.requested_at else None,
        "expires_at": export.expires_at.isoformat() if export.expires_at else None,
        "download": download,
    }


def gdpr_export(args: argparse.Namespace, data_dir: Path) -> int:
    """Request an export (audited), print its status and expiry, download it when asked."""
    from pos_app.journal.audit_trail import AuditTrail
    from pos_app.journal.database import open_journal
    from pos_app.providers.errors import BackendError
    from pos_app.services.back_office_reports import ReportUnavailable
    from pos_app.services.gdpr_exports import check_request, download_export, request_export

    problem = check_request(customer_id=args.customer_id, email=args.email, fmt=args.format)
    if problem is not None:
        raise UsageError(problem)
    target = _writable(args.download) if args.download else None
    config, credentials, transport = backend_setup(args)

    async def go() -> tuple[GdprExport, dict[str, Any] | None]:
        from pos_app.providers.factory import build_backends

        journal = open_journal(data_dir)
        backends = build_backends(config, credentials, transport=transport)
        try:
            audit = AuditTrail(journal, config.terminal.id)
            by = _requester()
            export = await request_export(
                backends,
                audit,
                customer_id=args.customer_id,
                email=args.email,
                fmt=args.format,
                by=by,
            )
            download = None
            if target is not None:
                try:
                    size = await download_export(backends, export, target, audit=audit, by=by)
                except (BackendError, OSError) as exc:
                    # The request itself went through: say which export, so nobody asks twice.
                    reason = (
                        exc.message if isinstance(exc, BackendError) else exc.strerror or str(exc)
                    )
                    raise Failed(
                        f"GDPR export {export.export_id} was requested ({export.status}, expires "
                        f"{_when(export.expires_at)}) but could not be saved to {target}: {reason}"
                    ) from None
                download = {"path": str(target), "bytes": size}
            return export, download
        finally:
            await backends.aclose()
            journal.close()

    try:
        export, download = asyncio.run(go())
    except (BackendError, ReportUnavailable) as exc:
        raise _failed(exc) from None
    except sqlite3.Error as exc:
        raise Failed(journal_failed(data_dir, exc)) from None
    except OSError as exc:
        raise Failed(f"Cannot write {target}: {exc.strerror or exc}") from None
    if args.json:
        print(json.dumps(export_json(export, download), indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"GDPR export {export.export_id} ({export.format}): {export.status}")
    print(f"Requested: {_when(export.requested_at)}")
    print(f"Expires:   {_when(export.expires_at)}")
    if download is not None:
        print(f"Downloaded {download['bytes']} bytes to {download['path']}")
    return EXIT_OK
