"""The back office (F11, managers only): reports, balances, charts, GDPR exports and staff.

Five tabs (Ctrl+1 … Ctrl+5, or Ctrl+Tab): LoyaltyDog's business and customer reports, the
ClientToolbox balances report of one campaign, charts of what was fetched, GDPR exports, and
who may sign in (``gui.staff_tab``).
Every figure and rule comes from ``services.back_office_reports``, ``services.gdpr_exports``
and ``services.staff_changes``;
this window only asks for them and shows them. Network work runs as tasks on the qasync loop,
so a long fetch never freezes the till: rows appear page by page, a failed page is retried
from where it stopped, and closing the window stops whatever is still under way.

Keyboard: Ctrl+1…5 tabs, F5 reloads the business report, Alt+F fetches, Alt+C cancels,
Alt+T retries the failed page, Alt+I filters, Ctrl+E exports CSV, Alt+Q requests a GDPR export,
Alt+D downloads it, Alt+V saves a person and Alt+R (or Del) removes one, Esc closes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDir, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableView,
    QTabWidget,
    QWidget,
)

from pos_app.domain.balance_figures import (
    balance_distribution,
    balance_of,
    balance_totals,
    cards_by_status,
)
from pos_app.domain.money import Money
from pos_app.domain.outcomes import BalancesReportRow, BusinessReport, CustomerReport, GdprExport
from pos_app.gui.charts import Bar, BarChart, distribution_bars
from pos_app.gui.forms import FormError
from pos_app.gui.staff_tab import StaffTab
from pos_app.gui.view_dialog import ViewDialog
from pos_app.providers.errors import BackendError
from pos_app.services.back_office_reports import (
    BalancesFetch,
    ReportUnavailable,
    business_report,
    campaign_label,
    campaign_names,
    customer_report,
    points_provider,
    write_balances_csv,
)
from pos_app.services.gdpr_exports import (
    FORMATS,
    check_request,
    download_export,
    request_export,
)
from pos_app.services.till import Till

log = logging.getLogger(__name__)

__all__ = ["COALITIONS", "COLUMNS", "BackOfficeView"]

Spawn = Callable[[Coroutine[Any, Any, Any]], "asyncio.Task[Any]"]

#: Balances table columns; the "value" ones are the money equivalents of points campaigns.
COLUMNS = (
    "Code",
    "Card",
    "Name",
    "E-mail",
    "Earned",
    "Redeemed",
    "Balance",
    "Earned value",
    "Redeemed value",
    "Balance value",
)
FIRST_AMOUNT = 4
#: What the coalition picker offers, as the back-end names them (None: this campaign alone).
COALITIONS: tuple[tuple[str, str | None], ...] = (
    ("This campaign only", None),
    ("Coalition: points", "points"),
    ("Coalition: stored value", "storedvalue"),
)
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
FILTER_ROLE = Qt.ItemDataRole.UserRole + 2
TABS = ("Gift cards", "Balances", "Charts", "GDPR export", "Staff")


def _clock(moment: datetime | None) -> str:
    return "—" if moment is None else f"{moment.astimezone():%d/%m/%Y %H:%M}"


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


class BackOfficeView(ViewDialog):
    """Owns the dialog built from ``ui/back_office.ui``; opened with ``open()``, never exec.

    ``manager`` is who opened it: GDPR requests are audited under that name. ``on_settings``
    opens the settings dialog (another window's business); without it the button is off.
    """

    pageArrived = Signal(int)  # pages fetched so far
    fetchEnded = Signal(str)  # "done", "cancelled" or "failed"
    exportRequested = Signal(object)  # GdprExport
    exportSaved = Signal(str)  # the path written

    def __init__(
        self,
        parent: QWidget,
        till: Till,
        spawn: Spawn,
        *,
        manager: str,
        on_settings: Callable[[], None] | None = None,
        separator: str = ".",
    ) -> None:
        super().__init__("back_office.ui", parent)
        self.till = till
        self.manager = manager
        self.separator = separator
        self.page_size = 100
        self._spawn = spawn
        self._tasks: set[asyncio.Task[Any]] = set()
        self.balances: BalancesFetch | None = None
        self.fetch_task: asyncio.Task[Any] | None = None
        self.export: GdprExport | None = None
        self.business: BusinessReport | None = None
        self.customer: CustomerReport | None = None
        child = self._child
        self.tabs: QTabWidget = child(QTabWidget, "tabs")
        self.status_label: QLabel = child(QLabel, "statusLabel")
        child(QLabel, "managerLabel").setText(f"Manager: {manager}")
        # Gift cards
        self.values = {
            name: child(QLabel, name)
            for name in (
                "cardCountsValue",
                "soldValue",
                "redeemedValue",
                "outstandingValue",
                "monthValue",
                "totalCardsValue",
                "activeCardsValue",
                "expiringValue",
                "spentValue",
                "customerBalanceValue",
            )
        }
        for label in self.values.values():
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.card_id_input: QLineEdit = child(QLineEdit, "cardIdInput")
        self.customer_button: QPushButton = child(QPushButton, "customerButton")
        self.reload_button: QPushButton = child(QPushButton, "reloadButton")
        # Balances
        self.campaign_picker: QComboBox = child(QComboBox, "campaignPicker")
        self.coalition_picker: QComboBox = child(QComboBox, "coalitionPicker")
        self.fetch_button: QPushButton = child(QPushButton, "fetchButton")
        self.cancel_button: QPushButton = child(QPushButton, "cancelButton")
        self.retry_button: QPushButton = child(QPushButton, "retryButton")
        self.progress: QProgressBar = child(QProgressBar, "progressBar")
        self.fetch_label: QLabel = child(QLabel, "fetchLabel")
        self.filter_input: QLineEdit = child(QLineEdit, "filterInput")
        self.shown_label: QLabel = child(QLabel, "shownLabel")
        self.export_button: QPushButton = child(QPushButton, "exportButton")
        self.table: QTableView = child(QTableView, "balancesTable")
        self.model = QStandardItemModel(0, len(COLUMNS), self)
        self.model.setHorizontalHeaderLabels(list(COLUMNS))
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setFilterRole(FILTER_ROLE)
        self.proxy.setFilterKeyColumn(0)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.table.setModel(self.proxy)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # arrival order until asked
        # Charts
        charts_page: QWidget = child(QWidget, "chartsTab")
        layout = charts_page.layout()
        if not isinstance(layout, QHBoxLayout):
            raise FormError("back_office.ui: chartsTab needs a horizontal layout")
        self.distribution_chart = BarChart(
            "Customers by balance", "Fetch a balances report (Ctrl+2) to see how balances spread."
        )
        self.distribution_chart.setObjectName("distributionChart")
        self.status_chart = BarChart(
            "Gift cards by status", "The LoyaltyDog business report has not arrived yet."
        )
        self.status_chart.setObjectName("statusChart")
        self.campaign_chart = BarChart(
            "Outstanding by campaign",
            "Fetch each campaign's balances (Ctrl+2) to compare what they still owe.",
        )
        self.campaign_chart.setObjectName("campaignChart")
        #: What each fetched campaign still owes: (campaign, coalition) -> label, amount, unit.
        self.campaign_totals: dict[tuple[str, str | None], tuple[str, Decimal, str]] = {}
        #: ClientToolbox's names for the campaigns, once asked (ids alone until then).
        self.campaign_names: dict[str, str] = {}
        # Side by side: each chart keeps the full height its bars and labels need.
        for chart in (self.distribution_chart, self.status_chart, self.campaign_chart):
            chart.setMinimumSize(370, 300)
            layout.addWidget(chart)
        # GDPR
        self.customer_id_input: QLineEdit = child(QLineEdit, "customerIdInput")
        self.email_input: QLineEdit = child(QLineEdit, "emailInput")
        self.format_picker: QComboBox = child(QComboBox, "formatPicker")
        self.format_picker.addItems(list(FORMATS))
        self.gdpr_error: QLabel = child(QLabel, "gdprError")
        self.export_label: QLabel = child(QLabel, "exportLabel")
        self.request_button: QPushButton = child(QPushButton, "requestButton")
        self.download_button: QPushButton = child(QPushButton, "downloadButton")
        # Bottom
        self.staff = StaffTab(child, till, self._run, self._tone, manager=manager)
        self.settings_button: QPushButton = child(QPushButton, "settingsButton")
        self.close_button: QPushButton = child(QPushButton, "closeButton")
        self.on_settings = on_settings
        self.settings_button.setEnabled(on_settings is not None)
        self._fill_pickers()
        self._connect()
        self._enable_fetch(running=False, failed=False)
        self.download_button.setEnabled(False)

    # --- wiring -------------------------------------------------------------------------------

    def _fill_pickers(self) -> None:
        settings = self.till.config.clienttoolbox
        for campaign_id in settings.campaign_ids if settings is not None else []:
            self.campaign_picker.addItem(campaign_label(campaign_id, {}), campaign_id)
        for text, value in COALITIONS:
            self.coalition_picker.addItem(text, value)

    def _connect(self) -> None:
        dialog = self._dialog
        self.reload_button.clicked.connect(self.load_business)
        self.customer_button.clicked.connect(self.load_customer)
        self.card_id_input.returnPressed.connect(self.load_customer)
        self.fetch_button.clicked.connect(self.fetch)
        self.cancel_button.clicked.connect(self.cancel_fetch)
        self.retry_button.clicked.connect(self.retry)
        self.filter_input.textChanged.connect(self._filter)
        self.export_button.clicked.connect(self.export_balances)
        self.request_button.clicked.connect(self.request_gdpr)
        self.download_button.clicked.connect(self.download_gdpr)
        self.settings_button.clicked.connect(self._open_settings)
        self.close_button.clicked.connect(dialog.reject)
        keys: list[tuple[str, Callable[[], object]]] = [
            ("F5", self.load_business),
            ("Ctrl+E", self.export_balances),
        ]
        for index in range(len(TABS)):
            keys.append((f"Ctrl+{index + 1}", partial(self.show_tab, index)))
        for key, slot in keys:
            shortcut = QShortcut(QKeySequence(key), dialog)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(slot)

    def show_tab(self, index: int) -> None:
        self.tabs.setCurrentIndex(index)
        self.tabs.currentWidget().focusNextChild()

    # --- gift cards ---------------------------------------------------------------------------

    def load_business(self) -> None:
        """F5: LoyaltyDog's program figures, and the cards-by-status chart."""
        self._run(self._load_business())

    async def _load_business(self) -> None:
        self._say("Asking LoyaltyDog for the program report…", "busy")
        try:
            report = await business_report(self.till.backends)
        except (ReportUnavailable, BackendError) as exc:
            self._say(f"Business report: {exc}", "error")
            return
        self.business = report
        money = self._money
        counts = cards_by_status(report.card_counts)
        total = report.card_counts.get("total", sum(count for _status, count in counts))
        self.values["cardCountsValue"].setText(
            f"{total:,} in all: " + " · ".join(f"{status} {count:,}" for status, count in counts)
        )
        self.values["soldValue"].setText(money(report.total_sold))
        self.values["redeemedValue"].setText(money(report.total_redeemed))
        self.values["outstandingValue"].setText(money(report.total_balance))
        sold = _plural(report.cards_sold_this_month, "card", "cards")
        self.values["monthValue"].setText(f"{money(report.sales_this_month)} ({sold})")
        self.status_chart.set_bars(
            [
                Bar(status, float(count), _plural(count, "card", "cards"))
                for status, count in counts
            ],
            subtitle=f"{money(report.total_balance)} outstanding in all (not split by status)",
        )
        self._say("Business report up to date.", "ok")

    def load_customer(self) -> None:
        """The customer report of the card typed or scanned (the program's when empty)."""
        self._run(self._load_customer(self.card_id_input.text().strip() or None))

    async def _load_customer(self, card_id: str | None) -> None:
        self._say("Asking LoyaltyDog for the customer report…", "busy")
        try:
            report = await customer_report(self.till.backends, card_id=card_id)
        except (ReportUnavailable, BackendError) as exc:
            self._say(f"Customer report: {exc}", "error")
            return
        self.customer = report
        self.values["totalCardsValue"].setText(f"{report.total_cards:,}")
        self.values["activeCardsValue"].setText(f"{report.active_cards:,}")
        self.values["expiringValue"].setText(f"{report.expiring_soon_cards:,}")
        self.values["spentValue"].setText(self._money(report.total_spent))
        self.values["customerBalanceValue"].setText(self._money(report.total_balance))
        whose = f"card {card_id}" if card_id else "the whole program"
        self._say(f"Customer report for {whose}.", "ok")

    # --- balances -----------------------------------------------------------------------------

    def fetch(self) -> None:
        """Alt+F: start the chosen campaign's report afresh; rows appear page by page."""
        if self._fetching():
            return
        campaign_id = self.campaign_picker.currentData()
        if not isinstance(campaign_id, str):
            self._fetch_said("No ClientToolbox campaign is configured on this till.", "error")
            return
        try:
            points = points_provider(self.till.backends)
        except ReportUnavailable as exc:
            self._fetch_said(str(exc), "error")
            return
        self.model.removeRows(0, self.model.rowCount())
        self.balances = BalancesFetch(
            points,
            campaign_id,
            coalition=self.coalition_picker.currentData(),
            page_size=self.page_size,
        )
        self._show_progress()
        self._start_fetch()

    def retry(self) -> None:
        """Alt+T: carry on from the page that failed; rows already shown stay."""
        fetch = self.balances
        if fetch is None or fetch.error is None or self._fetching():
            return
        self._start_fetch()

    def cancel_fetch(self) -> None:
        """Alt+C: stop; what arrived stays in the table and can be exported."""
        if self.balances is not None and self._fetching():
            self.balances.cancel()

    def _fetching(self) -> bool:
        return self.fetch_task is not None and not self.fetch_task.done()

    def _start_fetch(self) -> None:
        fetch = self.balances
        assert fetch is not None
        self._enable_fetch(running=True, failed=False)
        self._fetch_said(f"Fetching pages of {self.page_size} customers…", "busy")
        self.fetch_task = self._run(self._fetch(fetch))

    async def _fetch(self, fetch: BalancesFetch) -> None:
        try:
            await fetch.run(self._page_arrived)
        finally:
            if not self._closed:
                self._fetch_finished(fetch)

    def _page_arrived(self, rows: Sequence[BalancesReportRow]) -> None:
        if self._closed:
            return
        for row in rows:
            self.model.appendRow(self._items(row))
        if self.balances is not None and self.balances.pages == 1:
            self.table.resizeColumnsToContents()  # one page measures well enough, and cheaply
        self._show_progress()
        self._update_charts()
        if self.balances is not None:
            self.pageArrived.emit(self.balances.pages)

    def _fetch_finished(self, fetch: BalancesFetch) -> None:
        rows = _plural(len(fetch.rows), "customer", "customers")
        pages = _plural(fetch.pages, "page", "pages")
        if fetch.error is not None:
            how = "failed"
            self._fetch_said(
                f"Page {fetch.pages + 1} failed: {fetch.error.message}. {rows} kept; "
                "Retry the failed page (Alt+T) carries on from there.",
                "error",
            )
        elif fetch.cancelled:
            how = "cancelled"
            self._fetch_said(f"Cancelled after {pages}: {rows} shown.", "ok")
        else:
            how = "done"
            self._fetch_said(f"Complete: {rows} in {pages}.", "ok")
            self._count_campaign(fetch)
        self._enable_fetch(running=False, failed=fetch.error is not None)
        self._show_progress()
        self.fetchEnded.emit(how)

    def _items(self, row: BalancesReportRow) -> list[QStandardItem]:
        name = " ".join(part for part in (row.first_name, row.last_name) if part)
        texts: list[tuple[str, object]] = [
            (row.code, row.code.lower()),
            (row.card_number or "", row.card_number or ""),
            (name, name.lower()),
            (row.email or "", (row.email or "").lower()),
        ]
        for value in (
            row.earned,
            row.redeemed,
            row.balance,
            row.earned_equivalent,
            row.redeemed_equivalent,
            row.balance_equivalent,
        ):
            texts.append(self._amount(value))
        items = []
        for column, (text, key) in enumerate(texts):
            item = QStandardItem(text)
            item.setEditable(False)
            item.setData(key, SORT_ROLE)
            if column >= FIRST_AMOUNT:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            items.append(item)
        items[0].setData(f"{row.code} {name} {row.email or ''}", FILTER_ROLE)
        return items

    def _amount(self, value: int | Money | None) -> tuple[str, float]:
        """Shown text and the number it sorts by (an empty cell sorts below every amount)."""
        if value is None:
            return "", float("-inf")
        if isinstance(value, Money):
            return self._money(value), float(value.amount)
        return f"{value:,}", float(value)

    def _filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        self._show_counts()

    def _show_progress(self) -> None:
        fetch = self.balances
        bar = self.progress
        if fetch is None:
            bar.setRange(0, 1)
            bar.setValue(0)
            bar.setFormat("No report fetched yet")
            return
        # No total is known in advance: the bar keeps one step ahead until the last page.
        ahead = 0 if fetch.done else 1
        bar.setRange(0, max(fetch.pages + ahead, 1))
        bar.setValue(fetch.pages)
        bar.setFormat(
            f"{_plural(fetch.pages, 'page', 'pages')} · {_plural(len(fetch.rows), 'row', 'rows')}"
        )
        self._show_counts()

    def _show_counts(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.shown_label.setText(
            f"{shown:,} of {total:,} shown" if shown != total else f"{total:,} rows"
        )
        self.export_button.setEnabled(total > 0)

    def _enable_fetch(self, *, running: bool, failed: bool) -> None:
        self.fetch_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.retry_button.setEnabled(failed and not running)
        self.retry_button.setVisible(failed or running)
        self.campaign_picker.setEnabled(not running)
        self.coalition_picker.setEnabled(not running)
        self._show_counts()

    def _update_charts(self) -> None:
        """The distribution of what has arrived so far, in the campaign's own unit."""
        fetch = self.balances
        if fetch is None or not fetch.rows:
            self.distribution_chart.set_bars([])
            return
        first = fetch.rows[0].balance
        unit = first.currency if isinstance(first, Money) else "points"
        buckets = balance_distribution([balance_of(row) for row in fetch.rows])
        totals = balance_totals(fetch.rows)
        held = format(totals.balance.normalize(), ",f")
        self.distribution_chart.set_bars(
            distribution_bars(buckets, unit),
            subtitle=f"{_plural(totals.customers, 'customer', 'customers')} hold {held} {unit}",
        )

    def _count_campaign(self, fetch: BalancesFetch) -> None:
        """A complete campaign joins the comparison, in money where ClientToolbox values it."""
        key = (fetch.campaign_id, fetch.coalition)
        label = self.campaign_names.get(fetch.campaign_id) or fetch.campaign_id
        if fetch.coalition:
            label += f" + {fetch.coalition}"
        valued = [row.balance_equivalent for row in fetch.rows]
        money = [value for value in valued if value is not None]
        if money and len(money) == len(valued):
            total = sum((value.amount for value in money), Decimal(0))
            self.campaign_totals[key] = (label, total, money[0].currency)
        else:
            first = fetch.rows[0].balance if fetch.rows else 0
            unit = first.currency if isinstance(first, Money) else "points"
            self.campaign_totals[key] = (label, balance_totals(fetch.rows).balance, unit)
        self.campaign_chart.set_bars(
            [
                Bar(name, float(amount), f"{format(amount.normalize(), ',f')} {unit}")
                for name, amount, unit in self.campaign_totals.values()
            ],
            subtitle="Balances still held, per campaign fetched (bars compare within a unit)",
        )

    def visible_rows(self) -> list[list[str]]:
        """What the table shows, in its order, through the filter (tests, accessibility)."""
        proxy = self.proxy
        return [
            [str(proxy.index(row, column).data()) for column in range(proxy.columnCount())]
            for row in range(proxy.rowCount())
        ]

    def shown_report_rows(self) -> list[BalancesReportRow]:
        """The fetched rows the filter lets through, in the table's order: what CSV exports."""
        fetch = self.balances
        if fetch is None:
            return []
        by_code = {row.code: row for row in fetch.rows}
        codes = [str(self.proxy.index(row, 0).data()) for row in range(self.proxy.rowCount())]
        return [by_code[code] for code in codes if code in by_code]

    def export_balances(self) -> None:
        """Ctrl+E: ask where (never a nested exec loop), then write the rows shown."""
        fetch = self.balances
        if fetch is None or not fetch.rows or self._closed:
            return
        stamp = datetime.now().astimezone().strftime("%Y%m%d-%H%M")
        self.ask_save_path(
            "Export customer balances",
            "CSV files (*.csv)",
            "csv",
            QDir.homePath(),
            f"tillcard-balances-{fetch.campaign_id}-{stamp}.csv",
            lambda name: self.export_csv(Path(name)),
        )

    def export_csv(self, path: Path) -> int | None:
        """Write the rows the table shows (filter applied) to ``path``; say where, or why not."""
        rows = self.shown_report_rows()
        try:
            count = write_balances_csv(rows, path)
        except OSError as exc:
            log.warning("balances export to %s failed: %s", path, exc)
            self._say(f"Could not save {path.name}: {exc.strerror or exc}.", "error")
            return None
        self._say(f"Saved {_plural(count, 'customer', 'customers')} to {path}.", "ok")
        return count

    # --- GDPR ---------------------------------------------------------------------------------

    def request_gdpr(self) -> None:
        """Alt+Q: check the form here first (nothing is sent while it is wrong), then ask."""
        customer_id = self.customer_id_input.text().strip() or None
        email = self.email_input.text().strip() or None
        fmt = self.format_picker.currentText()
        problem = check_request(customer_id=customer_id, email=email, fmt=fmt)
        self.gdpr_error.setText(f"{problem}." if problem else "")
        if problem is not None:
            return
        self.request_button.setEnabled(False)
        self._run(self._request_gdpr(customer_id, email, fmt))

    async def _request_gdpr(self, customer_id: str | None, email: str | None, fmt: str) -> None:
        self._say("Asking LoyaltyDog for the export…", "busy")
        try:
            export = await request_export(
                self.till.backends,
                self.till.audit,
                customer_id=customer_id,
                email=email,
                fmt=fmt,
                by=self.manager,
            )
        except (ReportUnavailable, BackendError, ValueError) as exc:
            self._say(f"GDPR export: {exc}", "error")
            return
        finally:
            if not self._closed:
                self.request_button.setEnabled(True)
        self.export = export
        self.export_label.setText(
            f"Export {export.export_id} ({export.format.upper()}): {export.status.upper()}\n"
            f"Requested {_clock(export.requested_at)} · expires {_clock(export.expires_at)}"
        )
        self.download_button.setEnabled(True)
        self._say("Export requested; recorded in the audit trail. Download it (Alt+D).", "ok")
        self.exportRequested.emit(export)

    def download_gdpr(self) -> None:
        """Alt+D: ask where to keep the file, then download it there."""
        export = self.export
        if export is None or self._closed:
            return
        self.ask_save_path(
            "Save the GDPR export",
            "JSON files (*.json)" if export.format == "json" else "CSV files (*.csv)",
            export.format,
            QDir.homePath(),
            f"gdpr-export-{export.export_id}.{export.format}",
            lambda name: self.save_gdpr(Path(name)),
        )

    def save_gdpr(self, path: Path) -> asyncio.Task[Any] | None:
        export = self.export
        if export is None:
            return None
        return self._run(self._download(export, path))

    async def _download(self, export: GdprExport, path: Path) -> None:
        self._say(f"Downloading export {export.export_id}…", "busy")
        try:
            size = await download_export(
                self.till.backends, export, path, audit=self.till.audit, by=self.manager
            )
        except (ReportUnavailable, BackendError) as exc:
            self._say(f"Download: {exc}", "error")
            return
        except OSError as exc:
            log.warning("GDPR export download to %s failed: %s", path, exc)
            self._say(f"Could not save {path.name}: {exc.strerror or exc}.", "error")
            return
        self._say(f"Saved the export to {path} ({size:,} bytes).", "ok")
        self.exportSaved.emit(str(path))

    # --- internals ----------------------------------------------------------------------------

    def _open_settings(self) -> None:
        if self.on_settings is not None:
            self.on_settings()

    def _run(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = self._spawn(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _money(self, money: Money) -> str:
        return money.format(self.separator)

    def _initial_focus(self) -> QWidget:
        return self.tabs

    def _before_open(self) -> None:
        self._show_progress()
        self.staff.refresh()
        self.load_business()
        self._run(self._name_campaigns())

    async def _name_campaigns(self) -> None:
        """Relabel the campaign picker with ClientToolbox's names once they arrive."""
        names = await campaign_names(self.till.backends)
        if self._closed or not names:
            return
        self.campaign_names = names
        picker = self.campaign_picker
        for index in range(picker.count()):
            picker.setItemText(index, campaign_label(str(picker.itemData(index)), names))

    def _fetch_said(self, text: str, tone: str) -> None:
        self._tone(self.fetch_label, text, tone)

    def _say(self, text: str, tone: str) -> None:
        if not self._closed:
            self._tone(self.status_label, text, tone)

    @staticmethod
    def _tone(label: QLabel, text: str, tone: str) -> None:
        label.setText(text)
        label.setProperty("tone", tone)
        label.style().unpolish(label)
        label.style().polish(label)

    def _on_finished(self, result: int) -> None:
        """Closing stops every fetch and request still under way."""
        super()._on_finished(result)
        if self.balances is not None:
            self.balances.cancel()
        for task in list(self._tasks):
            task.cancel()
