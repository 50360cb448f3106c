"""A gift card's transaction history as a Qt table model, fetched page by page as the view scrolls.

The model holds only the domain objects (about 1.5 kB a row, as the client parsed them) and
formats a cell when the view asks for it, so a card with 10,000 transactions costs about 15 MB
and nothing is formatted for rows that are never shown.

Loading is asynchronous: Qt's ``fetchMore()`` is synchronous, so it schedules one asyncio task
(on the app's qasync loop) for the next page and returns at once; the page is appended when it
arrives. At most one page is in flight. A failed page stops the fetching (``canFetchMore`` is
False) and emits ``loadFailed``; ``retry()`` asks for the same page again. ``reset_to()`` and
``clear()`` switch cards: the in-flight task is cancelled and a generation counter drops any page
of the previous card that still arrives. Rows are deduplicated by transaction id, so pages that
overlap (a server sending more rows than asked, or a new transaction shifting the offsets while
the cashier scrolls) never show a row twice.

Use it with a ``QTableView`` whose rows all have the same height, the table equivalent of
``QTreeView.setUniformRowHeights(True)``: a fixed vertical header section size, so the view never
measures rows to lay out 10,000 of them. :func:`prepare_history_view` does this::

    model = HistoryModel(None, decimal_separator=config.terminal.decimal_separator)
    prepare_history_view(view)
    view.setModel(model)
    ...
    model.reset_to(lambda offset, limit: gift_cards.history(card.id, offset=offset, limit=limit))
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import tzinfo
from typing import Any, Final

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView
from shiboken6 import isValid

from pos_app.domain.gift_cards import GiftCardTransaction
from pos_app.domain.money import Money
from pos_app.domain.outcomes import HistoryPage
from pos_app.providers.errors import BackendError

__all__ = ["COLUMNS", "MAX_PAGE_SIZE", "HistoryLoader", "HistoryModel", "prepare_history_view"]

log = logging.getLogger(__name__)

#: ``loader(offset, limit)``: one page of one card's history, newest first.
HistoryLoader = Callable[[int, int], Awaitable[HistoryPage]]
Index = QModelIndex | QPersistentModelIndex

#: The providers' page limit (``GiftCardProvider.history``).
MAX_PAGE_SIZE: Final = 100
COLUMNS: Final = ("Date", "Type", "Amount", "Balance", "Reference")
DATE, TYPE, AMOUNT, BALANCE, REFERENCE = range(len(COLUMNS))
_MONEY_COLUMNS: Final = frozenset({AMOUNT, BALANCE})
_RIGHT: Final = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT: Final = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_DATE_FORMAT: Final = "%Y-%m-%d %H:%M"
_MISSING: Final = "—"
_UNEXPECTED: Final = "The card history could not be loaded (details are in the log)"

_Role = Qt.ItemDataRole
# Plain ints: data() runs for every painted cell and role, and int comparison is the cheapest.
_DISPLAY: Final = int(_Role.DisplayRole)
_ALIGNMENT: Final = int(_Role.TextAlignmentRole)
_TOOLTIP: Final = int(_Role.ToolTipRole)
_USER: Final = int(_Role.UserRole)


class HistoryModel(QAbstractTableModel):
    """Read-only, newest first; ``UserRole`` gives the :class:`GiftCardTransaction` of a row.

    Signals: ``loadingChanged(bool)`` when a page request starts or ends; ``loadFailed(str)``
    with a message fit for the cashier; ``rowsLoaded(int)`` with the total row count after each
    page arrives.
    """

    loadingChanged = Signal(bool)
    loadFailed = Signal(str)
    rowsLoaded = Signal(int)

    def __init__(
        self,
        loader: HistoryLoader | None,
        page_size: int = MAX_PAGE_SIZE,
        parent: QObject | None = None,
        *,
        decimal_separator: str = ".",
        timezone: tzinfo | None = None,
    ) -> None:
        """``loader`` None is an empty model (no card yet); ``timezone`` None is the system's.

        Nothing is fetched here: the view (or the caller) calls ``fetchMore()`` once an asyncio
        loop is running.
        """
        super().__init__(parent)
        if isinstance(page_size, bool) or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        self._check_separator(decimal_separator)
        self._page_size = page_size
        self._separator = decimal_separator
        self._timezone = timezone
        self._loader = loader
        self._rows: list[GiftCardTransaction] = []
        self._ids: set[str] = set()
        self._next_offset = 0
        self._has_more = loader is not None
        self._error: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._generation = 0

    # -- state -------------------------------------------------------------------------------

    @property
    def loading(self) -> bool:
        """A page request is in flight."""
        return self._task is not None

    @property
    def error(self) -> str | None:
        """The last page's failure, until ``retry()`` or a new card."""
        return self._error

    @property
    def has_more(self) -> bool:
        """The server may have older transactions than those loaded."""
        return self._has_more

    @property
    def page_size(self) -> int:
        return self._page_size

    @property
    def decimal_separator(self) -> str:
        return self._separator

    def transaction(self, row: int) -> GiftCardTransaction:
        """The domain object behind a row (what ``UserRole`` gives), e.g. for a refund."""
        return self._rows[row]

    def set_decimal_separator(self, separator: str) -> None:
        """The till's decimal mark changed: the money columns are redrawn, nothing is reloaded."""
        self._check_separator(separator)
        if separator == self._separator:
            return
        self._separator = separator
        if self._rows:
            self.dataChanged.emit(self.index(0, AMOUNT), self.index(len(self._rows) - 1, BALANCE))

    # -- switching cards -----------------------------------------------------------------------

    def reset_to(self, loader: HistoryLoader) -> None:
        """Show another card's history: forget the rows and start loading its first page now."""
        self._reset(loader)
        self.fetchMore(QModelIndex())

    def clear(self) -> None:
        """No card: empty, nothing in flight, nothing to fetch."""
        self._reset(None)

    def retry(self) -> None:
        """Ask again for the page that failed; the rows already shown stay."""
        self._error = None
        self.fetchMore(QModelIndex())

    def _reset(self, loader: HistoryLoader | None) -> None:
        was_loading = self._task is not None
        self.beginResetModel()
        self._generation += 1
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self._loader = loader
        self._rows = []
        self._ids = set()
        self._next_offset = 0
        self._has_more = loader is not None
        self._error = None
        self.endResetModel()
        if was_loading:
            self.loadingChanged.emit(False)

    # -- Qt's incremental fetching -------------------------------------------------------------

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008 - Qt's signature
        """Older rows remain and the last page did not fail (one in flight still counts)."""
        if parent.isValid():
            return False
        return self._loader is not None and self._has_more and self._error is None

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008 - Qt's signature
        """Schedule the next page and return at once; a no-op while one is in flight."""
        if self._task is not None or not self.canFetchMore(parent):
            return
        assert self._loader is not None
        self._task = asyncio.ensure_future(
            self._load_page(self._loader, self._generation, self._next_offset)
        )
        self.loadingChanged.emit(True)

    async def _load_page(self, loader: HistoryLoader, generation: int, offset: int) -> None:
        """Fetch one page and append it; never raises (but lets a cancellation through)."""
        page: HistoryPage | None = None
        failure: str | None = None
        try:
            page = await loader(offset, self._page_size)
        except asyncio.CancelledError:
            raise
        except BackendError as exc:
            log.info("history page at offset %d failed: %s", offset, exc)
            failure = exc.message
        except Exception:
            log.exception("history page at offset %d failed unexpectedly", offset)
            failure = _UNEXPECTED
        if generation != self._generation:
            log.debug("dropped a history page of a previous card (offset %d)", offset)
            return
        if not isValid(self):
            log.debug("dropped a history page: its model was deleted (offset %d)", offset)
            return
        self._task = None
        try:
            if page is not None:
                self._append(page, offset)
            else:
                self._error = failure or _UNEXPECTED
        except Exception:
            log.exception("history page at offset %d could not be shown", offset)
            self._error = _UNEXPECTED
        self.loadingChanged.emit(False)
        if self._error is not None:
            self.loadFailed.emit(self._error)
        else:
            self.rowsLoaded.emit(len(self._rows))

    def _append(self, page: HistoryPage, offset: int) -> None:
        """Add the rows not seen yet. The next offset follows the rows the server sent (from the
        page's own offset), and a page that does not move it forward ends the history, so a
        server repeating itself cannot make the view fetch forever."""
        received = page.transactions
        fresh: list[GiftCardTransaction] = []
        for transaction in received:
            if transaction.id not in self._ids:
                self._ids.add(transaction.id)
                fresh.append(transaction)
        next_offset = page.offset + len(received)
        self._has_more = page.has_more and next_offset > offset
        if page.has_more and not self._has_more:
            log.info("history page at offset %d did not move on; treating it as the end", offset)
        self._next_offset = max(next_offset, offset)
        if fresh:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
            self._rows.extend(fresh)
            self.endInsertRows()

    # -- what the view shows -------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        """Formatted on demand: the view asks only for the rows it paints."""
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        if not 0 <= row < len(self._rows):
            return None
        transaction = self._rows[row]
        if role == _DISPLAY:
            return self._display(transaction, column)
        if role == _ALIGNMENT:
            return _RIGHT if column in _MONEY_COLUMNS else _LEFT
        if role == _TOOLTIP:
            return transaction.description
        if role == _USER:
            return transaction
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == _DISPLAY:
            return COLUMNS[section]
        if role == _ALIGNMENT:
            return _RIGHT if section in _MONEY_COLUMNS else _LEFT
        return None

    def _display(self, transaction: GiftCardTransaction, column: int) -> str | None:
        if column == DATE:
            return transaction.created_at.astimezone(self._timezone).strftime(_DATE_FORMAT)
        if column == TYPE:
            return transaction.type_label
        if column == AMOUNT:
            return transaction.amount.format_plain(self._separator, signed=True)
        if column == BALANCE:
            before, after = transaction.balance_before, transaction.balance_after
            if before is None and after is None:
                return ""
            return f"{self._plain(before)} → {self._plain(after)}"
        if column == REFERENCE:
            return transaction.reference or ""
        return None

    def _plain(self, money: Money | None) -> str:
        return _MISSING if money is None else money.format_plain(self._separator)

    @staticmethod
    def _check_separator(separator: str) -> None:
        if separator not in (".", ","):
            raise ValueError(f"decimal_separator must be '.' or ',', not {separator!r}")


def prepare_history_view(view: QTableView) -> None:
    """Uniform row heights (a fixed vertical header), whole-row selection, no row numbers.

    A fixed section size is what keeps 10,000 rows cheap: the view never asks each row's size.
    """
    rows = view.verticalHeader()
    rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    rows.setDefaultSectionSize(view.fontMetrics().height() + 8)
    rows.setVisible(False)
    columns = view.horizontalHeader()
    columns.setStretchLastSection(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setWordWrap(False)
    view.setAlternatingRowColors(True)
