"""The back office (F11) against the emulators over HTTP: real widgets, real till, real paging.

Expected rows come from the emulator's own seeded world (who belongs to a campaign), never
from what the window shows.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from pos_app.domain.balance_figures import balance_totals, cards_by_status
from pos_app.gui.back_office import COLUMNS, BackOfficeView
from pos_app.gui.back_office_desk import BackOfficeDesk
from pos_app.gui.main_window import KEY_HINT
from pos_app.sandbox.state import Sandbox
from pos_app.services.back_office_reports import BALANCES_CSV_HEADER
from pos_app.services.gdpr_exports import check_request
from pos_app.services.till import (
    PIN_ACCEPTED,
    PIN_REFUSED,
    TRAINING_MANAGER,
    TRAINING_MANAGER_PIN,
)
from tests.gui.conftest import MakeTill, Run, eventually
from tests.gui.counter import Counter
from tests.gui.test_shift_desk import open_desk
from tests.tills import enrol_customers

ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier
POINTS_CAMPAIGN = "318204775190"  # seed 0: Tillcard Points, 379 members
BALANCE = COLUMNS.index("Balance")


def office_desk(
    till: Counter, run: Run, on_settings: Callable[[], None] | None = None
) -> BackOfficeDesk:
    """The desk as the app wires it; closed before the window goes at the end."""
    desk = BackOfficeDesk(till.view, till.core, till.screen, on_settings=on_settings)

    async def cleanup() -> None:
        desk.close()

    run.cleanups.append(cleanup)
    return desk


def members(sandbox: Sandbox, campaign: str = POINTS_CAMPAIGN) -> set[str]:
    return set(sandbox.clienttoolbox.members[campaign])


def pick_campaign(office: BackOfficeView, campaign: str = POINTS_CAMPAIGN) -> None:
    index = office.campaign_picker.findData(campaign)
    assert index >= 0, campaign
    office.campaign_picker.setCurrentIndex(index)


async def fetch_with_keys(till: Counter, office: BackOfficeView) -> None:
    """Ctrl+2 to the balances tab, Alt+F to fetch: a manager's keys."""
    await till.activate(office.dialog)
    QTest.keyClick(office.dialog, Qt.Key.Key_2, CTRL)
    assert office.tabs.currentIndex() == 1
    QTest.keyClick(QApplication.focusWidget() or office.dialog, Qt.Key.Key_F, ALT)


def test_balances_arrive_page_by_page_then_sort_filter_and_export(
    make_till: MakeTill, run: Run, sandbox_server: tuple[str, Sandbox], tmp_path: Path
) -> None:
    till = make_till(start=())
    expected = members(sandbox_server[1])
    assert len(expected) > 300

    async def body() -> None:
        office = office_desk(till, run).show(TRAINING_MANAGER)
        office.page_size = 50
        pick_campaign(office)
        seen: list[tuple[int, int, int, int]] = []
        ended: list[str] = []
        office.pageArrived.connect(
            lambda pages: seen.append(
                (pages, office.model.rowCount(), office.progress.value(), office.progress.maximum())
            )
        )
        office.fetchEnded.connect(ended.append)
        await fetch_with_keys(till, office)
        await eventually(lambda: office.cancel_button.isEnabled())  # a mnemonic animates a click
        assert not office.fetch_button.isEnabled()
        await eventually(lambda: ended, timeout=30)
        assert ended == ["done"]
        pages = -(-len(expected) // 50)
        # Rows were on screen page by page, and the bar moved with them, one step ahead.
        assert [s[0] for s in seen] == list(range(1, pages + 1))
        assert [s[1] for s in seen] == [min(50 * n, len(expected)) for n in range(1, pages + 1)]
        assert [s[2] for s in seen] == list(range(1, pages + 1))
        assert all(maximum == value + 1 for _p, _r, value, maximum in seen[:-1])
        assert office.progress.value() == office.progress.maximum() == pages
        rows = office.visible_rows()
        assert sorted(row[0] for row in rows) == sorted(expected)  # each customer once

        # Sort: numerically on the balance, not as text.
        office.table.sortByColumn(BALANCE, Qt.SortOrder.DescendingOrder)
        texts = [row[BALANCE] for row in office.visible_rows()]
        numbers = [int(text.replace(",", "")) for text in texts]
        assert numbers == sorted(numbers, reverse=True)
        assert texts != sorted(texts, reverse=True)  # text order would differ: the test can fail

        # Filter by a last name, typed.
        fetched = office.balances
        assert fetched is not None
        someone = next(row for row in fetched.rows if row.last_name)
        assert someone.last_name
        wanted = {
            row.code
            for row in fetched.rows
            if someone.last_name.lower()
            in f"{row.code} {row.first_name} {row.last_name} {row.email}".lower()
        }
        office.filter_input.setFocus()
        QTest.keyClicks(office.filter_input, someone.last_name)
        shown = office.visible_rows()
        assert {row[0] for row in shown} == wanted
        assert 0 < len(shown) < len(expected)

        # Export what is shown through the save dialog (Ctrl+E), then read it back.
        path = tmp_path / "balances.csv"
        QTest.keyClick(office.dialog, Qt.Key.Key_E, CTRL)
        chooser = office.file_dialog
        assert chooser is not None
        chooser.selectFile(str(path))
        chooser.accept()
        await eventually(path.exists)
        with path.open(encoding="utf-8-sig", newline="") as handle:
            lines = list(csv.reader(handle))
        assert tuple(lines[0]) == BALANCES_CSV_HEADER
        assert [line[0] for line in lines[1:]] == [row[0] for row in shown]
        by_code = {row.code: row for row in fetched.rows}
        for line in lines[1:]:
            assert line[7] == str(by_code[line[0]].balance)
            assert line[8] == "points"

        # The distribution chart counts every fetched customer and paints them.
        bars = office.distribution_chart.bars
        assert sum(bar.value for bar in bars) == len(expected)
        image = office.distribution_chart.grab().toImage()
        assert _inked(image) > 500

    run(body())


def test_cancel_keeps_what_arrived(
    make_till: MakeTill, run: Run, sandbox_server: tuple[str, Sandbox]
) -> None:
    till = make_till(start=())
    expected = members(sandbox_server[1])

    async def body() -> None:
        office = office_desk(till, run).show(TRAINING_MANAGER)
        office.page_size = 20
        pick_campaign(office)
        ended: list[str] = []
        office.fetchEnded.connect(ended.append)

        def on_page(pages: int) -> None:
            if pages == 3:
                office.cancel_button.click()

        office.pageArrived.connect(on_page)
        office.show_tab(1)
        office.fetch()
        await eventually(lambda: ended, timeout=30)
        assert ended == ["cancelled"]
        assert office.model.rowCount() == 60 < len(expected)
        assert "Cancelled after 3 pages" in office.fetch_label.text()
        assert office.fetch_button.isEnabled()
        assert not office.cancel_button.isEnabled()
        assert office.progress.value() == 3

    run(body())


def test_a_failed_page_is_retried_without_starting_over(
    make_till: MakeTill, run: Run, sandbox_server: tuple[str, Sandbox]
) -> None:
    till = make_till(start=())
    expected = members(sandbox_server[1])

    async def body() -> None:
        office = office_desk(till, run).show(TRAINING_MANAGER)
        office.page_size = 50
        pick_campaign(office)
        ended: list[str] = []
        office.fetchEnded.connect(ended.append)

        def on_page(pages: int) -> None:
            if pages == 2 and not ended:
                till.faults("clienttoolbox", error_rate=1.0, error_status=503)

        office.pageArrived.connect(on_page)
        office.show_tab(1)
        office.fetch()
        await eventually(lambda: ended, timeout=60)
        assert ended == ["failed"]
        fetch = office.balances
        assert fetch is not None
        assert fetch.error is not None
        assert office.model.rowCount() == 100
        assert fetch.error.message in office.fetch_label.text()
        assert "Page 3 failed" in office.fetch_label.text()
        assert office.retry_button.isVisible()
        assert office.retry_button.isEnabled()

        till.faults("clienttoolbox")
        kept = [office.model.index(row, 0).data() for row in range(100)]
        resumed: list[int] = []
        office.pageArrived.connect(resumed.append)
        await till.activate(office.dialog)
        QTest.keyClick(office.dialog, Qt.Key.Key_T, ALT)
        await eventually(lambda: len(ended) == 2, timeout=30)
        assert ended[-1] == "done"
        assert office.balances is fetch  # the same fetch carried on: no page asked twice
        assert resumed[0] == 3
        assert [office.model.index(row, 0).data() for row in range(100)] == kept
        codes = [row[0] for row in office.visible_rows()]
        assert len(codes) == len(set(codes)) == len(expected)
        assert set(codes) == expected
        assert not office.retry_button.isVisible()

    run(body())


def test_gift_card_figures_and_status_chart(till: Counter, run: Run) -> None:
    async def body() -> None:
        office = office_desk(till, run).show(TRAINING_MANAGER)
        await eventually(lambda: office.business is not None)
        report = office.business
        assert report is not None
        assert office.values["outstandingValue"].text() == report.total_balance.format()
        counts = cards_by_status(report.card_counts)
        assert [(bar.label, bar.value) for bar in office.status_chart.bars] == [
            (status, float(count)) for status, count in counts
        ]
        # A customer report for a card id typed and Enter.
        card = next(c for c in till.seed["loyaltydog"]["cards"] if c["customerId"])
        office.show_tab(0)
        office.card_id_input.setFocus()
        QTest.keyClicks(office.card_id_input, card["id"])
        QTest.keyClick(office.card_id_input, Qt.Key.Key_Return)
        await eventually(lambda: office.customer is not None)
        customer = office.customer
        assert customer is not None
        mine = [
            c for c in till.seed["loyaltydog"]["cards"] if c["customerId"] == card["customerId"]
        ]
        assert office.values["totalCardsValue"].text() == str(len(mine))
        assert customer.total_cards == len(mine)

    run(body())


def test_gdpr_export_requested_shown_downloaded_and_audited(
    till: Counter, run: Run, tmp_path: Path
) -> None:
    customer = till.seed["loyaltydog"]["customers"][0]

    async def body() -> None:
        office = office_desk(till, run).show(TRAINING_MANAGER)
        await till.activate(office.dialog)
        QTest.keyClick(office.dialog, Qt.Key.Key_4, CTRL)
        office.email_input.setFocus()
        QTest.keyClicks(office.email_input, customer["email"])
        office.format_picker.setCurrentText("json")
        exports: list[object] = []
        office.exportRequested.connect(exports.append)
        office.request_button.click()
        await eventually(lambda: exports)
        export = office.export
        assert export is not None
        label = office.export_label.text()
        assert export.status.upper() in label
        assert export.export_id in label
        assert "expires" in label
        assert "—" not in label.split("expires")[1]
        audit = till.core.audit.recent(action="gdpr_export_requested")
        assert audit
        assert audit[0].detail["email"] == customer["email"]
        assert audit[0].cashier == TRAINING_MANAGER

        path = tmp_path / "export.json"
        saved: list[str] = []
        office.exportSaved.connect(saved.append)
        office.download_button.click()
        chooser = office.file_dialog
        assert chooser is not None
        chooser.selectFile(str(path))
        chooser.accept()
        await eventually(lambda: saved)
        assert saved == [str(path)]
        assert customer["email"] in json.dumps(json.loads(path.read_bytes()))
        assert till.core.audit.recent(action="gdpr_export_downloaded")

    run(body())


def test_gdpr_validation_is_shown_and_nothing_is_sent(till: Counter, run: Run) -> None:
    async def body() -> None:
        office = office_desk(till, run).show(TRAINING_MANAGER)
        office.show_tab(3)
        office.request_button.click()
        assert office.gdpr_error.text() == (
            f"{check_request(customer_id=None, email=None, fmt='json')}."
        )
        QTest.keyClicks(office.email_input, "not-an-address")
        office.request_button.click()
        said = check_request(customer_id=None, email="not-an-address", fmt="json")
        assert said is not None
        assert office.gdpr_error.text() == f"{said}."
        QTest.keyClicks(office.customer_id_input, "63567e4017d100f54fd915a7")
        office.request_button.click()  # both given: still refused
        assert "exactly one" in office.gdpr_error.text()
        await eventually(lambda: office.business is not None)  # let the window settle
        assert office.export is None
        assert not office.download_button.isEnabled()
        assert till.core.audit.recent(action="gdpr_export_requested") == []

    run(body())


def test_f11_asks_a_cashier_for_a_manager_pin(make_till: MakeTill, run: Run) -> None:
    till = make_till()

    async def body() -> None:
        open_desk(till, run, training=True)  # signs the training cashier in
        assert till.core.cashier is not None
        assert not till.core.is_manager
        desk = office_desk(till, run)
        assert "F11 Back office" in till.view.key_hint.text() == KEY_HINT
        await till.shortcut(Qt.Key.Key_F11)
        await eventually(lambda: desk.pin_dialog is not None)
        pin = desk.pin_dialog
        assert pin is not None
        await till.activate(pin.dialog)
        QTest.keyClicks(pin.dialog.focusWidget(), "1234")
        till.press(Qt.Key.Key_Return)
        assert desk.office is None
        assert pin.is_open
        QTest.keyClicks(pin.dialog.focusWidget(), TRAINING_MANAGER_PIN)
        till.press(Qt.Key.Key_Return)
        await eventually(lambda: desk.office is not None and desk.office.is_open)
        assert desk.office is not None
        assert desk.office.manager == TRAINING_MANAGER
        pins = till.core.audit.recent(2, actions=(PIN_REFUSED, PIN_ACCEPTED))
        assert [line.action for line in pins] == [PIN_ACCEPTED, PIN_REFUSED]
        # Asked again while a window is open (F11 reaching the counter): refused, one window.
        first = desk.office
        desk.open_back_office()
        assert "then press F11" in till.view.message.text()
        assert desk.office is first
        assert desk.pin_dialog is None
        desk.office.close()
        await eventually(lambda: desk.office is not None and not desk.office.is_open)

    run(body())


def test_a_signed_in_manager_goes_straight_in(make_till: MakeTill, run: Run) -> None:
    till = make_till()

    async def body() -> None:
        result = till.core.sign_in(TRAINING_MANAGER, TRAINING_MANAGER_PIN)
        assert result.ok
        assert till.core.is_manager
        desk = office_desk(till, run)
        await till.shortcut(Qt.Key.Key_F11)
        assert desk.pin_dialog is None
        office = desk.office
        assert office is not None
        assert office.is_open
        assert office.manager == TRAINING_MANAGER
        fetches: list[str] = []
        office.page_size = 10
        pick_campaign(office)
        office.fetchEnded.connect(fetches.append)
        office.fetch()
        await eventually(lambda: office.model.rowCount() > 0)
        task = office.fetch_task
        office.close()  # closing the window stops the fetch
        assert task is not None
        await eventually(task.done)
        assert office.balances is not None
        assert office.balances.cancelled
        assert fetches == []

    run(body())


def _inked(image: QImage) -> int:
    """Pixels that are not the white background."""
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    white = 0xFFFFFFFF
    return sum(
        1
        for y in range(0, image.height(), 2)
        for x in range(0, image.width(), 2)
        if image.pixel(x, y) != white
    )


def test_settings_button_calls_back_and_tabs_follow_the_keyboard(till: Counter, run: Run) -> None:
    opened: list[bool] = []

    async def body() -> None:
        office = office_desk(till, run, lambda: opened.append(True)).show(TRAINING_MANAGER)
        await till.activate(office.dialog)
        office.tabs.setFocus()
        QTest.keyClick(office.tabs, Qt.Key.Key_Tab, CTRL)
        assert office.tabs.currentIndex() == 1
        QTest.keyClick(office.dialog, Qt.Key.Key_4, CTRL)
        assert office.tabs.currentIndex() == 3
        office.settings_button.click()
        assert opened == [True]
        # An unknown card: LoyaltyDog's sentence is shown, the figures stay empty.
        office.show_tab(0)
        QTest.keyClicks(office.card_id_input, "000000000000000000000000")
        QTest.keyClick(office.card_id_input, Qt.Key.Key_Return)
        await eventually(lambda: office.status_label.property("tone") == "error")
        assert office.status_label.text().startswith("Customer report: ")
        assert office.values["totalCardsValue"].text() == "—"

    run(body())


def test_without_a_settings_window_the_button_is_off(till: Counter, run: Run) -> None:
    async def body() -> None:
        office = office_desk(till, run).show(TRAINING_MANAGER)
        assert not office.settings_button.isEnabled()

    run(body())


def campaign_names(sandbox: Sandbox) -> dict[str, str]:
    """What the seed calls each ClientToolbox campaign."""
    seeded = sandbox.seed_summary()["clienttoolbox"]["campaigns"]
    return {c["campaign_id"]: c["name"] for c in seeded}


def test_the_campaign_picker_offers_campaigns_by_name(
    make_till: MakeTill, run: Run, sandbox_server: tuple[str, Sandbox]
) -> None:
    till = make_till(start=())
    names = campaign_names(sandbox_server[1])
    configured = till.core.config.clienttoolbox
    assert configured is not None
    assert configured.campaign_ids

    async def body() -> None:
        office = office_desk(till, run).show(TRAINING_MANAGER)
        picker = office.campaign_picker
        expected = [f"{names[cid]} ({cid})" for cid in configured.campaign_ids]
        await eventually(lambda: [picker.itemText(i) for i in range(picker.count())] == expected)
        assert [picker.itemData(i) for i in range(picker.count())] == configured.campaign_ids

    run(body())


def test_campaigns_are_offered_by_id_while_clienttoolbox_is_down(
    make_till: MakeTill, run: Run
) -> None:
    till = make_till(start=())
    till.faults("clienttoolbox", outage=True)
    configured = till.core.config.clienttoolbox
    assert configured is not None

    async def body() -> None:
        office = office_desk(till, run).show(TRAINING_MANAGER)
        await eventually(lambda: not office._tasks, timeout=10)
        picker = office.campaign_picker
        assert [picker.itemText(i) for i in range(picker.count())] == [
            f"Campaign {cid}" for cid in configured.campaign_ids
        ]

    run(body())


def test_each_fetched_campaign_is_compared_by_what_it_still_owes(
    make_till: MakeTill, run: Run, sandbox_server: tuple[str, Sandbox]
) -> None:
    till = make_till(start=())
    gift = "4564222953051300"  # seed 0: a gift card (stored value) campaign, in EUR
    names = campaign_names(sandbox_server[1])

    async def body() -> None:
        office = office_desk(till, run).show(TRAINING_MANAGER)
        office.page_size = 200
        assert office.campaign_chart.bars == []
        await eventually(lambda: office.campaign_names == names)
        owed: dict[str, str] = {}
        ended: list[str] = []
        office.fetchEnded.connect(ended.append)
        for campaign in (POINTS_CAMPAIGN, gift):
            if office.campaign_picker.findData(campaign) < 0:
                office.campaign_picker.addItem(f"Campaign {campaign}", campaign)
            pick_campaign(office, campaign)
            ended.clear()
            office.fetch()
            await eventually(lambda: ended, timeout=30)
            assert ended == ["done"]
            fetch = office.balances
            assert fetch is not None
            values = [row.balance_equivalent for row in fetch.rows]
            if all(v is not None for v in values):
                total = sum((v.amount for v in values if v is not None), Decimal(0))
            else:
                total = balance_totals(fetch.rows).balance
            owed[names[campaign]] = format(total.normalize(), ",f")
        bars = office.campaign_chart.bars
        assert [bar.label for bar in bars] == list(owed)
        assert [bar.text.split(" ")[0] for bar in bars] == list(owed.values())
        assert all(bar.value > 0 for bar in bars)

    run(body())


def test_the_balances_table_pages_across_more_than_500_customers(
    make_till: MakeTill, run: Run, sandbox_server: tuple[str, Sandbox]
) -> None:
    url, sandbox = sandbox_server
    enrolled = enrol_customers(url, sandbox, POINTS_CAMPAIGN, 150)
    expected = members(sandbox)
    assert len(expected) > 500
    till = make_till(start=())

    async def body() -> None:
        office = office_desk(till, run).show(TRAINING_MANAGER)
        office.page_size = 50
        pick_campaign(office)
        seen: list[int] = []
        office.pageArrived.connect(lambda pages: seen.append(office.model.rowCount()))
        ended: list[str] = []
        office.fetchEnded.connect(ended.append)
        await fetch_with_keys(till, office)
        await eventually(lambda: ended, timeout=60)
        assert ended == ["done"]
        assert seen == [min(50 * n, len(expected)) for n in range(1, len(seen) + 1)]
        assert len(seen) == -(-len(expected) // 50)
        shown = {office.model.item(row, 0).text() for row in range(office.model.rowCount())}
        assert shown == expected
        assert set(enrolled) <= shown
        assert office.model.rowCount() == len(expected)  # each customer once
        assert office.progress.value() == len(seen)

    run(body())
