"""Back-office reports: LoyaltyDog's business and customer reports, ClientToolbox balances.

Reports are reads: nothing goes through the journal and nothing is retried beyond what the
provider clients already do. The balances report can be long (hundreds of customers, a page
per request), so :class:`BalancesFetch` keeps what arrived and can resume after a failed page.
"""

from __future__ import annotations

import asyncio
import csv
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from pos_app.domain.backends import Provider
from pos_app.domain.money import Money
from pos_app.domain.outcomes import BalancesReportRow, BusinessReport, CustomerReport
from pos_app.providers.errors import BackendError, BadResponse
from pos_app.providers.factory import Backends
from pos_app.providers.protocols import GiftCardProvider, PointsProvider

__all__ = [
    "BALANCES_CSV_HEADER",
    "BalancesFetch",
    "ReportUnavailable",
    "balances_csv_rows",
    "business_report",
    "campaign_label",
    "campaign_names",
    "customer_report",
    "points_provider",
    "row_unit",
    "write_balances_csv",
    "write_csv_lines",
]

log = logging.getLogger(__name__)

BALANCES_CSV_HEADER = (
    "code",
    "card_number",
    "first_name",
    "last_name",
    "email",
    "earned",
    "redeemed",
    "balance",
    "unit",
    "earned_equivalent",
    "redeemed_equivalent",
    "balance_equivalent",
    "equivalent_currency",
)


class ReportUnavailable(Exception):
    """The back-end a report needs is not enabled on this till; the message is for a manager."""


def _gift_cards(backends: Backends) -> GiftCardProvider:
    if backends.gift_cards is None:
        raise ReportUnavailable(
            "LoyaltyDog is not set up on this till, so its reports are not available: "
            "add a [loyaltydog] section to the configuration"
        )
    return backends.gift_cards


def points_provider(backends: Backends) -> PointsProvider:
    """The ClientToolbox client, or :class:`ReportUnavailable` when it is not configured."""
    if backends.points is None:
        raise ReportUnavailable(
            "ClientToolbox is not set up on this till, so its balances report is not "
            "available: add a [clienttoolbox] section to the configuration"
        )
    return backends.points


async def campaign_names(backends: Backends) -> dict[str, str]:
    """ClientToolbox's campaign names by id; empty when it is not set up or cannot be asked,
    since the ids alone still work for every report."""
    if backends.points is None:
        return {}
    try:
        return await backends.points.campaign_names()
    except BackendError as exc:
        log.info("campaign names not known, ids shown instead: %s", exc)
        return {}


def campaign_label(campaign_id: str, names: Mapping[str, str]) -> str:
    """How a manager picks a campaign: its name with the id the reports and CSV files carry."""
    name = names.get(campaign_id)
    return f"{name} ({campaign_id})" if name else f"Campaign {campaign_id}"


async def business_report(backends: Backends) -> BusinessReport:
    """The program's card counts by status, money sold / redeemed / outstanding, this month."""
    return await _gift_cards(backends).business_report()


async def customer_report(backends: Backends, *, card_id: str | None = None) -> CustomerReport:
    """The report of ``card_id``'s customer, or of the whole program without a card."""
    return await _gift_cards(backends).customer_report(card_id=card_id)


class BalancesFetch:
    """One campaign's balances report, fetched page by page; resumable after a failed page.

    The API gives no total, so a short page is the end. Rows are kept as they arrive (the
    screen shows them at once); a failed page leaves them in place and ``run()`` again starts
    at that page, so a flaky connection never costs the pages already fetched.
    """

    def __init__(
        self,
        points: PointsProvider,
        campaign_id: str,
        *,
        coalition: str | None = None,
        page_size: int = 100,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be 1 or more")
        self.points = points
        self.campaign_id = campaign_id
        self.coalition = coalition
        self.page_size = page_size
        self.rows: list[BalancesReportRow] = []
        self.pages = 0
        self.done = False
        self.cancelled = False
        self.error: BackendError | None = None
        self._offset = 0
        self._seen: set[str] = set()
        self._task: asyncio.Task[object] | None = None
        self._running = False

    @property
    def offset(self) -> int:
        """Where the next page starts (rows the back-end has listed so far)."""
        return self._offset

    async def run(
        self, on_page: Callable[[Sequence[BalancesReportRow]], None] | None = None
    ) -> None:
        """Fetch from where it stopped until done, cancelled, or a page fails (``.error``).

        One run at a time: two would ask for the same page and race over ``rows``.
        """
        if self._running:
            raise RuntimeError("This balances report is already being fetched")
        self._running = True
        try:
            await self._fetch(on_page)
        finally:
            self._running = False

    async def _fetch(self, on_page: Callable[[Sequence[BalancesReportRow]], None] | None) -> None:
        self.error = None
        while not (self.done or self.cancelled):
            self._task = asyncio.ensure_future(
                self.points.balances_report(
                    self.campaign_id,
                    coalition=self.coalition,
                    offset=self._offset,
                    limit=self.page_size,
                )
            )
            try:
                page = await self._task
            except asyncio.CancelledError:
                if self.cancelled and not _current_task_cancelling():
                    return  # cancel() stopped the page in flight; rows so far are kept
                raise
            except BackendError as exc:
                log.info(
                    "Balances report %s stopped at offset %d: %s",
                    self.campaign_id,
                    self._offset,
                    exc.message,
                )
                self.error = exc
                return
            finally:
                self._task = None
            fresh = [row for row in page.rows if row.code not in self._seen]
            if page.rows and not fresh:
                self.error = BadResponse(
                    Provider.CLIENTTOOLBOX.label,
                    "ClientToolbox's report pages do not advance; try again later",
                )
                return
            self._seen.update(row.code for row in fresh)
            self.rows.extend(fresh)
            self.pages += 1
            self._offset += len(page.rows)
            self.done = page.is_last
            if on_page is not None:
                on_page(fresh)

    def cancel(self) -> None:
        """Stop: the page in flight is abandoned, the rows so far are kept."""
        self.cancelled = True
        if self._task is not None:
            self._task.cancel()


def _current_task_cancelling() -> bool:
    """Whether our own caller was cancelled too (then the cancellation must propagate)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _number(value: int | Money | None) -> str:
    if value is None:
        return ""
    return value.to_api() if isinstance(value, Money) else str(value)


def row_unit(row: BalancesReportRow) -> str:
    """The currency of a money campaign's row, or ``points`` for points and visits."""
    return row.balance.currency if isinstance(row.balance, Money) else "points"


def balances_csv_rows(rows: Sequence[BalancesReportRow]) -> list[list[str]]:
    """Header and one line per customer; amounts as plain decimals (``37.50``), no symbols.

    ``unit`` is the currency for money campaigns and ``points`` for counts (points, visits):
    accounting software must not read 1250 points as 1250 euros.
    """
    lines = [list(BALANCES_CSV_HEADER)]
    for row in rows:
        equivalent = row.balance_equivalent or row.earned_equivalent or row.redeemed_equivalent
        lines.append(
            [
                row.code,
                row.card_number or "",
                row.first_name or "",
                row.last_name or "",
                row.email or "",
                _number(row.earned),
                _number(row.redeemed),
                _number(row.balance),
                row_unit(row),
                _number(row.earned_equivalent),
                _number(row.redeemed_equivalent),
                _number(row.balance_equivalent),
                equivalent.currency if equivalent is not None else "",
            ]
        )
    return lines


def write_csv_lines(lines: Sequence[Sequence[str]], path: Path) -> None:
    """UTF-8 with a BOM, so a double-click opens it right in spreadsheet programs."""
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        csv.writer(out).writerows(lines)


def write_balances_csv(rows: Sequence[BalancesReportRow], path: Path) -> int:
    """Write the report as CSV (see :func:`balances_csv_rows`); returns the rows written."""
    write_csv_lines(balances_csv_rows(rows), path)
    return len(rows)
