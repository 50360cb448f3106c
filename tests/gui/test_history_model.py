"""The history table model with the real LoyaltyDog client against the served emulator.

Tests are ``async def`` under pytest-asyncio's plain asyncio loop while real Qt widgets exist;
``wait_until`` alternates ``QApplication.processEvents()`` (the view lays out, paints and calls
``fetchMore()``) with ``asyncio.sleep`` (the page tasks run). The app runs on qasync instead, but
qasync is not needed here (the screen's tests in test_counter_screen.py use it): a plain loop
keeps these model tests independent of the loop integration. ``qtbot.waitUntil`` is not used either:
it blocks the asyncio loop, so no page could arrive while it waits.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx
import pytest
import shiboken6
from PySide6.QtCore import QModelIndex, QObject, Qt
from PySide6.QtWidgets import QApplication, QTableView
from pytestqt.qtbot import QtBot

from pos_app.config import parse_config
from pos_app.credentials import Credentials
from pos_app.domain import GiftCardTransaction, Money, TransactionType
from pos_app.domain.outcomes import HistoryPage
from pos_app.gui.history_model import (
    COLUMNS,
    MAX_PAGE_SIZE,
    HistoryLoader,
    HistoryModel,
    prepare_history_view,
)
from pos_app.providers.http import NO_RETRY
from pos_app.providers.loyaltydog import LoyaltyDogClient
from pos_app.sandbox.state import Sandbox

BIG_CARD_ROWS = 10_000
Display = Qt.ItemDataRole.DisplayRole


async def wait_until(predicate: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    """Let Qt and asyncio take turns until ``predicate`` holds."""
    deadline = time.monotonic() + timeout
    while True:
        QApplication.processEvents()
        if predicate():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.002)


async def settle(seconds: float = 0.15) -> None:
    """Give the view time to run its delayed layout and fetch-more timers (and to misbehave)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        QApplication.processEvents()
        await asyncio.sleep(0.002)


class Backend:
    """The real LoyaltyDog client on the served emulator, plus the seed's cards by role."""

    def __init__(self, url: str, sandbox: Sandbox) -> None:
        self.url = url
        seed = sandbox.seed_summary()["loyaltydog"]
        config = parse_config(
            {
                "loyaltydog": {
                    "base_url": f"{url}/loyaltydog",
                    "program_id": seed["program_id"],
                    "username": seed["username"],
                }
            }
        )
        assert config.loyaltydog is not None
        self.client = LoyaltyDogClient(
            config.loyaltydog, Credentials({"loyaltydog": seed["password"]}), retry=NO_RETRY
        )
        self.cards: list[dict[str, Any]] = seed["cards"]
        self.big = max(self.cards, key=lambda card: card["transactionCount"])
        assert self.big["transactionCount"] == BIG_CARD_ROWS

    def card(self, role: str) -> dict[str, Any]:
        return next(card for card in self.cards if card["role"] == role)

    def loader(self, card_id: str) -> HistoryLoader:
        client = self.client

        def load(offset: int, limit: int) -> Awaitable[HistoryPage]:
            return client.history(card_id, offset=offset, limit=limit)

        return load

    async def server_rows(self, card_id: str, count: int) -> list[GiftCardTransaction]:
        """The first ``count`` rows as the server lists them, read without the model."""
        rows: list[GiftCardTransaction] = []
        while len(rows) < count:
            page = await self.client.history(card_id, offset=len(rows), limit=MAX_PAGE_SIZE)
            rows.extend(page.transactions)
            if not page.has_more:
                break
        return rows[:count]

    def faults(self, **settings: Any) -> None:
        response = httpx.post(
            f"{self.url}/_sandbox/faults", json={"api": "loyaltydog", **settings}, timeout=10
        )
        response.raise_for_status()


@pytest.fixture
async def backend(sandbox_server: tuple[str, Sandbox]) -> AsyncIterator[Backend]:
    served = Backend(*sandbox_server)
    try:
        yield served
    finally:
        await served.client.aclose()


@pytest.fixture
def view(qtbot: QtBot) -> QTableView:
    """A real table view, shown offscreen, about 15 rows tall so one page overfills it."""
    table = QTableView()
    prepare_history_view(table)
    table.resize(800, table.verticalHeader().defaultSectionSize() * 15)
    qtbot.addWidget(table)
    table.show()
    return table


class Recorder:
    """Everything the model's own signals said, in order."""

    def __init__(self, model: HistoryModel) -> None:
        self.loading: list[bool] = []
        self.failures: list[str] = []
        self.loaded: list[int] = []
        model.loadingChanged.connect(self.loading.append)
        model.loadFailed.connect(self.failures.append)
        model.rowsLoaded.connect(self.loaded.append)


def rows_of(model: HistoryModel) -> list[GiftCardTransaction]:
    return [model.transaction(row) for row in range(model.rowCount())]


def ids_of(model: HistoryModel) -> list[str]:
    return [transaction.id for transaction in rows_of(model)]


def has_rows(model: HistoryModel, count: int) -> Callable[[], bool]:
    return lambda: model.rowCount() == count


def grew_or_ended(model: HistoryModel, count: int) -> Callable[[], bool]:
    return lambda: model.rowCount() > count or not model.canFetchMore(QModelIndex())


def assert_newest_first(rows: list[GiftCardTransaction]) -> None:
    stamps = [row.created_at for row in rows]
    assert stamps == sorted(stamps, reverse=True)


def visible_rows(view: QTableView) -> tuple[int, int]:
    """First and last row the viewport shows."""
    top = view.rowAt(0)
    bottom = view.rowAt(view.viewport().height() - 1)
    return top, bottom


# -- loading -----------------------------------------------------------------------------------


async def test_view_fetches_the_first_page_newest_first(backend: Backend, view: QTableView) -> None:
    model = HistoryModel(backend.loader(backend.big["id"]), page_size=100)
    seen = Recorder(model)
    view.setModel(model)  # the view itself asks for the first page
    await wait_until(lambda: model.rowCount() > 0, "the first page")
    await settle()
    assert model.rowCount() == 100, "the view must not fetch more than one screen needs"
    assert seen.loading == [True, False]
    assert seen.loaded == [100]
    assert seen.failures == []
    expected = await backend.server_rows(backend.big["id"], 100)
    assert ids_of(model) == [row.id for row in expected]
    assert_newest_first(rows_of(model))
    assert model.canFetchMore(QModelIndex())
    assert not model.loading
    assert visible_rows(view)[0] == 0
    shown = view.model().index(0, 1).data(Display)
    assert shown == expected[0].type_label


async def test_scrolling_to_the_bottom_fetches_the_next_page(
    backend: Backend, view: QTableView
) -> None:
    model = HistoryModel(None)
    view.setModel(model)
    model.reset_to(backend.loader(backend.big["id"]))
    await wait_until(lambda: model.rowCount() == 100, "the first page")
    await settle()
    assert model.rowCount() == 100
    view.scrollToBottom()
    await wait_until(lambda: model.rowCount() == 200, "the page after scrolling")
    expected = await backend.server_rows(backend.big["id"], 200)
    assert ids_of(model) == [row.id for row in expected]
    assert_newest_first(rows_of(model))
    await settle()
    assert model.rowCount() == 200, "one scroll fetches one page"


@pytest.mark.slow
async def test_scrolling_to_the_end_loads_all_10000_rows_once(
    backend: Backend, view: QTableView
) -> None:
    model = HistoryModel(None)
    seen = Recorder(model)
    view.setModel(model)
    model.reset_to(backend.loader(backend.big["id"]))
    await wait_until(lambda: model.rowCount() > 0, "the first page")
    while model.canFetchMore(QModelIndex()):
        before = model.rowCount()
        view.scrollToBottom()
        await wait_until(grew_or_ended(model, before), f"the page after row {before}")
    await settle()
    ids = ids_of(model)
    assert len(ids) == BIG_CARD_ROWS
    assert len(set(ids)) == BIG_CARD_ROWS
    assert_newest_first(rows_of(model))
    assert not model.canFetchMore(QModelIndex())
    assert not model.has_more
    assert seen.loaded[-1] == BIG_CARD_ROWS
    # A full last page cannot tell it is the last: one more, empty, page ends the history.
    assert seen.loaded == [*range(100, BIG_CARD_ROWS + 1, 100), BIG_CARD_ROWS]
    assert seen.failures == []
    model.fetchMore(QModelIndex())
    assert not model.loading, "nothing left to fetch"
    view.scrollToBottom()
    await settle()
    assert visible_rows(view)[1] == BIG_CARD_ROWS - 1
    assert view.model().index(BIG_CARD_ROWS - 1, 1).data(Display) == "ACTIVATION"


async def test_pages_that_overlap_do_not_duplicate_rows(backend: Backend, view: QTableView) -> None:
    """A server answering with more rows than asked, starting before the offset asked."""

    client, card_id = backend.client, backend.big["id"]

    async def generous(offset: int, limit: int) -> HistoryPage:
        return await client.history(card_id, offset=max(0, offset - 10), limit=limit + 10)

    model = HistoryModel(generous, page_size=50)
    view.setModel(model)
    await wait_until(lambda: model.rowCount() == 60, "the first page")
    for expected_rows in (110, 160):
        view.scrollToBottom()
        await wait_until(has_rows(model, expected_rows), f"{expected_rows} rows")
    expected = await backend.server_rows(card_id, 160)
    assert ids_of(model) == [row.id for row in expected]


async def test_a_transaction_made_while_scrolling_does_not_repeat_a_row(
    backend: Backend, view: QTableView
) -> None:
    """A new transaction shifts every offset by one: the next page starts with a row seen."""

    client, card_id = backend.client, backend.big["id"]
    model = HistoryModel(None)
    view.setModel(model)
    model.reset_to(backend.loader(card_id))
    await wait_until(lambda: model.rowCount() == 100, "the first page")
    await client.reload(card_id, Money(Decimal("1.00"), "USD"), idempotency_key=uuid.uuid4().hex)
    view.scrollToBottom()
    await wait_until(lambda: model.rowCount() > 100, "the second page")
    await settle()
    ids = ids_of(model)
    assert len(ids) == 199 == len(set(ids))
    now = await backend.server_rows(card_id, 201)
    assert ids == [row.id for row in now[1:200]], "the new reload waits for a refresh"


# -- failures ----------------------------------------------------------------------------------


async def test_a_failed_page_stops_fetching_and_retry_continues(
    backend: Backend, view: QTableView
) -> None:
    model = HistoryModel(None)
    seen = Recorder(model)
    view.setModel(model)
    model.reset_to(backend.loader(backend.big["id"]))
    await wait_until(lambda: model.rowCount() == 100, "the first page")
    backend.faults(outage=True)
    view.scrollToBottom()
    await wait_until(lambda: bool(seen.failures), "loadFailed")
    assert len(seen.failures) == 1
    assert "LoyaltyDog" in seen.failures[0]
    assert model.error == seen.failures[0]
    assert not model.canFetchMore(QModelIndex())
    assert not model.loading
    assert model.rowCount() == 100
    view.scrollToTop()
    view.scrollToBottom()
    await settle()
    assert len(seen.failures) == 1, "a failed page is not fetched again by scrolling"
    assert model.rowCount() == 100

    backend.faults(outage=False)
    model.retry()
    await wait_until(lambda: model.rowCount() == 200, "the retried page")
    assert model.error is None
    assert model.canFetchMore(QModelIndex())
    expected = await backend.server_rows(backend.big["id"], 200)
    assert ids_of(model) == [row.id for row in expected]
    assert seen.loaded == [100, 200]
    assert seen.loading == [True, False, True, False, True, False]


async def test_an_unknown_card_reports_the_backend_message(
    backend: Backend, view: QTableView
) -> None:
    model = HistoryModel(None)
    seen = Recorder(model)
    view.setModel(model)
    model.reset_to(backend.loader("0123456789abcdef01234567"))
    await wait_until(lambda: bool(seen.failures), "loadFailed")
    assert seen.failures == ["No such gift card"]
    assert model.rowCount() == 0
    assert not model.canFetchMore(QModelIndex())


@pytest.mark.expected_logs
async def test_a_broken_page_is_logged_and_reported_not_raised(
    backend: Backend, view: QTableView, caplog: pytest.LogCaptureFixture
) -> None:
    client, card_id = backend.client, backend.big["id"]

    async def corrupt(offset: int, limit: int) -> HistoryPage:
        await client.history(card_id, offset=offset, limit=limit)
        return HistoryPage(transactions=(None,) * 3, offset=offset, has_more=True)  # type: ignore[arg-type]

    model = HistoryModel(corrupt)
    seen = Recorder(model)
    view.setModel(model)
    await wait_until(lambda: bool(seen.failures), "loadFailed")
    assert "could not be loaded" in seen.failures[0]
    assert model.rowCount() == 0
    assert not model.loading
    errors = [r for r in caplog.records if r.name == "pos_app.gui.history_model"]
    assert errors
    assert errors[0].levelno == logging.ERROR
    assert errors[0].exc_info is not None


# -- switching cards ---------------------------------------------------------------------------


async def test_reset_to_another_card_cancels_the_request_in_flight(
    backend: Backend, view: QTableView
) -> None:
    client = backend.client
    big, small = backend.big["id"], backend.card("active-partly-used")["id"]
    outcome: list[str] = []

    async def slow_big(offset: int, limit: int) -> HistoryPage:
        try:
            await asyncio.sleep(0.3)
            return await client.history(big, offset=offset, limit=limit)
        except asyncio.CancelledError:
            outcome.append("cancelled")
            raise

    model = HistoryModel(None)
    seen = Recorder(model)
    view.setModel(model)
    model.reset_to(slow_big)
    await asyncio.sleep(0.05)
    assert model.loading
    model.reset_to(backend.loader(small))
    await wait_until(lambda: model.rowCount() > 0, "the new card's first page")
    await asyncio.sleep(0.4)
    expected = await backend.server_rows(small, 100)
    assert ids_of(model) == [row.id for row in expected]
    assert 0 < len(expected) < 10
    assert outcome == ["cancelled"]
    assert seen.loaded == [len(expected)]
    assert not model.canFetchMore(QModelIndex()), "a short card fits in one page"


async def test_a_late_page_of_the_previous_card_is_dropped(
    backend: Backend, view: QTableView
) -> None:
    """A loader that ignores cancellation still cannot put the old card's rows on screen."""

    client = backend.client
    big, small = backend.big["id"], backend.card("active-partly-used")["id"]
    release = asyncio.Event()
    delivered: list[int] = []

    async def stubborn(offset: int, limit: int) -> HistoryPage:
        while not release.is_set():
            try:
                await release.wait()
            except asyncio.CancelledError:
                continue  # swallowed, as a badly behaved library might
        page = await client.history(big, offset=offset, limit=limit)
        delivered.append(len(page.transactions))
        return page

    model = HistoryModel(None)
    seen = Recorder(model)
    view.setModel(model)
    model.reset_to(stubborn)
    await asyncio.sleep(0.05)
    model.reset_to(backend.loader(small))
    await wait_until(lambda: model.rowCount() > 0, "the new card's first page")
    release.set()
    await wait_until(lambda: delivered == [100], "the old card's late page")
    await settle()
    expected = await backend.server_rows(small, 100)
    assert ids_of(model) == [row.id for row in expected]
    assert seen.loaded == [len(expected)]
    assert not model.loading

    model.clear()
    assert model.rowCount() == 0
    assert not model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert not model.loading


async def test_a_page_for_a_deleted_model_is_ignored(backend: Backend, qtbot: QtBot) -> None:
    """The window owning the model closed while a page was on its way."""
    owner = QObject()
    model = HistoryModel(None, parent=owner)
    before = asyncio.all_tasks()
    model.reset_to(backend.loader(backend.big["id"]))
    (task,) = asyncio.all_tasks() - before
    shiboken6.delete(owner)
    assert not shiboken6.isValid(model)
    await asyncio.wait_for(task, timeout=10)
    assert task.exception() is None


# -- what the cells say ------------------------------------------------------------------------


async def test_cells_roles_and_separator(backend: Backend, view: QTableView) -> None:
    client = backend.client
    card_id = backend.card("active")["id"]
    card = await client.card(card_id)
    assert card.balance == Money(Decimal("100.00"), "USD")
    await client.redeem(card, Money(Decimal("25.50"), "USD"), idempotency_key="hist-1")
    await client.reload(
        card_id, Money(Decimal("5.00"), "USD"), idempotency_key="hist-2", reference="TILL-42"
    )
    plus_two = timezone(timedelta(hours=2))
    model = HistoryModel(None, timezone=plus_two)
    view.setModel(model)
    model.reset_to(backend.loader(card_id))
    await wait_until(lambda: model.rowCount() > 0, "the first page")

    def cells(row: int) -> list[str]:
        return [model.index(row, column).data(Display) for column in range(len(COLUMNS))]

    redemption = model.transaction(1)
    assert redemption.type is TransactionType.REDEMPTION
    when = redemption.created_at.astimezone(UTC)
    assert abs(when - datetime.now(UTC)) < timedelta(minutes=5)
    assert cells(1) == [
        (when + timedelta(hours=2)).strftime("%Y-%m-%d %H:%M"),
        "REDEMPTION",
        "-25.50",
        "100.00 → 74.50",
        "",
    ]
    assert cells(0)[1:] == ["RELOAD", "+5.00", "74.50 → 79.50", "TILL-42"]
    assert cells(model.rowCount() - 1)[1:4] == ["ACTIVATION", "+100.00", "0.00 → 100.00"]

    index = model.index(1, 2)
    assert index.data(Qt.ItemDataRole.ToolTipRole) == "Gift card redemption"
    assert index.data(Qt.ItemDataRole.UserRole) is redemption
    assert model.data(model.index(1, 0), Qt.ItemDataRole.UserRole).id == redemption.id
    right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    for column in range(len(COLUMNS)):
        aligned = model.index(1, column).data(Qt.ItemDataRole.TextAlignmentRole)
        assert (aligned == right) is (column in (2, 3)), column
    assert model.index(1, 0).data(Qt.ItemDataRole.DecorationRole) is None
    assert model.data(QModelIndex()) is None
    headers = [model.headerData(c, Qt.Orientation.Horizontal, Display) for c in range(len(COLUMNS))]
    assert headers == ["Date", "Type", "Amount", "Balance", "Reference"]
    assert model.headerData(0, Qt.Orientation.Vertical, Display) is None

    changed: list[tuple[int, int, int, int]] = []
    model.dataChanged.connect(
        lambda a, b, *_: changed.append((a.row(), a.column(), b.row(), b.column()))
    )
    model.set_decimal_separator(",")
    assert changed == [(0, 2, model.rowCount() - 1, 3)]
    assert cells(1)[2:4] == ["-25,50", "100,00 → 74,50"]
    model.set_decimal_separator(",")
    assert len(changed) == 1, "no change, no repaint"


async def test_missing_balances_and_descriptions_show_blank(qtbot: QtBot) -> None:
    """Rows the server sent without balances: the loader is a real client on a stub answer."""
    created = datetime(2026, 1, 15, 10, 30, tzinfo=UTC).isoformat()
    answer = [
        {"id": "a1", "transactionType": "gift_wrap", "amount": -3, "createdAt": created},
        {"id": "a2", "transactionType": "RELOAD", "amount": "7.5", "balanceAfter": "7.50",
         "createdAt": created},
    ]  # fmt: skip

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/v2/token"):
            return httpx.Response(200, json={"accessToken": "t", "tokenType": "bearer"})
        return httpx.Response(200, json=answer)

    config = parse_config(
        {
            "loyaltydog": {
                "base_url": "https://ld.test",
                "program_id": "0" * 24,
                "username": "u",
            }
        }
    )
    assert config.loyaltydog is not None
    client = LoyaltyDogClient(
        config.loyaltydog,
        Credentials({"loyaltydog": "p"}),
        transport=httpx.MockTransport(handler),
        retry=NO_RETRY,
    )
    model = HistoryModel(None, timezone=UTC, decimal_separator=",")
    model.reset_to(lambda offset, limit: client.history("c1", offset=offset, limit=limit))
    await wait_until(lambda: model.rowCount() == 2, "the stub page")
    first = [model.index(0, c).data(Display) for c in range(len(COLUMNS))]
    assert first == ["2026-01-15 10:30", "GIFT_WRAP", "-3,00", "", ""]
    assert model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole) is None
    assert model.index(1, 3).data(Display) == "— → 7,50"
    assert not model.canFetchMore(QModelIndex()), "a short page is the last"
    await client.aclose()


async def test_signals_do_not_leak_references_to_true(qtbot: QtBot) -> None:
    """Guards the PySide6 pin (<6.12): 6.12.0's ``SignalInstance.emit()`` loses a reference to
    True per call on Python 3.11, and a long shift would end in ``bool_dealloc``."""

    async def never(offset: int, limit: int) -> HistoryPage:
        raise AssertionError("a cancelled request never starts")

    model = HistoryModel(None)
    seen = Recorder(model)
    gc.collect()
    before = sys.getrefcount(True)
    for _ in range(300):
        model.reset_to(never)  # emits loadingChanged(True)
        model.clear()  # cancels before the task starts; emits loadingChanged(False)
        model.set_decimal_separator(",")
        model.set_decimal_separator(".")
    await asyncio.sleep(0.05)
    gc.collect()
    assert len(seen.loading) == 600
    assert sys.getrefcount(True) >= before + 300 - 10, "True is held by seen.loading only"
    assert seen.failures == []


async def test_model_passes_qt_model_checks(backend: Backend, qtmodeltester: Any) -> None:
    """Qt's own model tester stays attached (it also calls fetchMore) while pages arrive."""
    card_id = backend.card("active-partly-used")["id"]
    expected = await backend.server_rows(card_id, 100)
    assert len(expected) == 3
    model = HistoryModel(None, page_size=2)
    model.reset_to(backend.loader(card_id))
    await wait_until(has_rows(model, 2), "the first page")
    qtmodeltester.check(model)
    await wait_until(lambda: not model.canFetchMore(QModelIndex()), "the end of the history")
    assert ids_of(model) == [row.id for row in expected]


@pytest.mark.parametrize("page_size", [0, -1, MAX_PAGE_SIZE + 1])
def test_page_size_out_of_range_is_refused(qtbot: QtBot, page_size: int) -> None:
    with pytest.raises(ValueError, match="page_size"):
        HistoryModel(None, page_size=page_size)


def test_unknown_decimal_separator_is_refused(qtbot: QtBot) -> None:
    with pytest.raises(ValueError, match="decimal_separator"):
        HistoryModel(None, decimal_separator=";")
    model = HistoryModel(None)
    with pytest.raises(ValueError, match="decimal_separator"):
        model.set_decimal_separator(" ")
    assert model.decimal_separator == "."


def test_an_empty_model_has_nothing_to_fetch(qtbot: QtBot) -> None:
    model = HistoryModel(None)
    assert model.rowCount() == 0
    assert model.columnCount() == len(COLUMNS)
    assert not model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert not model.loading
    assert model.error is None
