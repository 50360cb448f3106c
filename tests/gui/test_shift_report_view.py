"""The shift report (F10) after real operations against the emulators, from the keyboard.

The expected figures are computed here from the operations the test made (amounts, who, which
back-end, how each ended), never copied from the report itself.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget

from pos_app.domain import Money, Provider
from pos_app.domain.shift_report import money_text, plain_money
from pos_app.gui.shift_desk import ShiftDesk
from pos_app.gui.shift_report_view import ShiftReportView
from pos_app.journal.pending_operations import EntryState
from pos_app.sandbox.state import Sandbox
from pos_app.services.lookup import Match
from pos_app.services.till import (
    TRAINING_CASHIER,
    TRAINING_CASHIER_PIN,
    TRAINING_MANAGER,
    TRAINING_MANAGER_PIN,
)
from tests.gui.conftest import MakeTill, Run, eventually
from tests.gui.counter import Counter
from tests.gui.test_shift_desk import open_desk, sign_in_dialog, type_sign_in
from tests.tills import ANA_CODE, MAIN_CARD, POINTS, STORED_VALUE, find, ref, usd

ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier


@dataclass(frozen=True)
class Made:
    """One operation as the test made it, and how it ended."""

    provider: Provider
    cashier: str
    kind: str  # redeem, undo, stamps, reward
    amount: Money | None = None
    stamps: int = 0
    ended: str = "done"  # done, pending, needs_attention


def _sums(amounts: Iterable[Money | None]) -> dict[str, Decimal]:
    """Per currency: the till never adds dollars to euros, and neither does this test."""
    out: dict[str, Decimal] = {}
    for money in amounts:
        if money is not None:
            out[money.currency] = out.get(money.currency, Decimal(0)) + money.amount
    return out


@dataclass(frozen=True)
class Expected:
    """The figures one slice of the shift should show, computed from what the test made."""

    redemptions: int
    redeemed: dict[str, Decimal]
    undos: int
    undone: dict[str, Decimal]
    net: dict[str, Decimal]
    stamps: int
    rewards: int
    pending: int
    needs_attention: int

    @classmethod
    def of(cls, ops: Iterable[Made]) -> Expected:
        ops = list(ops)
        done = [op for op in ops if op.ended == "done"]
        redeems = [op.amount for op in done if op.kind == "redeem"]
        undos = [op.amount for op in done if op.kind == "undo"]
        redeemed, undone = _sums(redeems), _sums(undos)
        net = dict(redeemed)
        for currency, amount in undone.items():
            net[currency] = net.get(currency, Decimal(0)) - amount
        return cls(
            redemptions=len(redeems),
            redeemed=redeemed,
            undos=len(undos),
            undone=undone,
            net=net,
            stamps=sum(op.stamps for op in done if op.kind == "stamps"),
            rewards=sum(1 for op in done if op.kind == "reward"),
            pending=sum(1 for op in ops if op.ended == "pending"),
            needs_attention=sum(1 for op in ops if op.ended == "needs_attention"),
        )


def expected_row(label: str, ops: Iterable[Made]) -> list[str]:
    want = Expected.of(ops)
    return [
        label,
        str(want.redemptions),
        money_text(want.redeemed),
        str(want.undos),
        money_text(want.undone),
        money_text(want.net),
        str(want.stamps),
        str(want.rewards),
        str(want.pending),
        str(want.needs_attention),
    ]


def expected_rows(made: list[Made]) -> list[list[str]]:
    rows = [expected_row("Whole shift", made)]
    for provider in Provider:
        mine = [op for op in made if op.provider is provider]
        if mine:
            rows.append(expected_row(provider.label, mine))
    for name in sorted({op.cashier for op in made}, key=str.casefold):
        rows.append(expected_row(f"By {name}", [op for op in made if op.cashier == name]))
    return rows


async def open_report(till: Counter, desk: ShiftDesk) -> ShiftReportView:
    """F10 as a signed-in manager: straight to the report, no PIN asked."""
    assert till.core.is_manager
    await till.shortcut(Qt.Key.Key_F10)
    view = desk.report_view
    assert view is not None
    assert view.is_open
    await till.activate(view.dialog)
    return view


async def as_manager(till: Counter, desk: ShiftDesk) -> None:
    await till.shortcut(Qt.Key.Key_F12)
    await type_sign_in(till, desk, TRAINING_MANAGER, TRAINING_MANAGER_PIN)
    assert till.core.cashier == TRAINING_MANAGER


async def a_shift_of_work(till: Counter, desk: ShiftDesk, sandbox: Sandbox) -> list[Made]:
    """Ana and then the manager work the counter: every kind of figure the report has."""
    actions, core = till.screen.actions, till.core
    await till.settled()
    ana, boss = TRAINING_CASHIER, TRAINING_MANAGER
    made: list[Made] = []
    gift = await find(core, MAIN_CARD, Provider.LOYALTYDOG)
    first = await actions.redeem(gift, usd("12.50"))
    second = await actions.redeem(first.match or gift, usd("7.25"))
    assert first.ok and second.ok, (first.message, second.message)  # noqa: PT018
    assert second.undo is not None
    undone = await actions.undo(second.undo, second.match)
    assert undone.ok, undone.message
    made += [
        Made(Provider.LOYALTYDOG, ana, "redeem", usd("12.50")),
        Made(Provider.LOYALTYDOG, ana, "redeem", usd("7.25")),
        Made(Provider.LOYALTYDOG, ana, "undo", usd("7.25")),
    ]
    stamp_card = await find(core, ANA_CODE, Provider.LEAL)
    stamped = await actions.add_stamps(stamp_card, 2)
    assert stamped.ok, stamped.message
    stored = await find(core, STORED_VALUE, Provider.CLIENTTOOLBOX, kind="stored_value")
    assert stored.balance is not None
    euros = Money(Decimal("3.00"), stored.balance.currency)  # this campaign is not in dollars
    spent = await actions.redeem(stored, euros)
    assert spent.ok, spent.message
    points: Match = await find(core, POINTS, Provider.CLIENTTOOLBOX, kind="points")
    reward = next(r for r in points.rewards if r.redeemable)
    rewarded = await actions.redeem_reward(points, reward.id)
    assert rewarded.ok, rewarded.message
    made += [
        Made(Provider.LEAL, ana, "stamps", stamps=2),
        Made(Provider.CLIENTTOOLBOX, ana, "redeem", euros),
        Made(Provider.CLIENTTOOLBOX, ana, "reward"),
    ]

    await as_manager(till, desk)
    gift = await find(core, MAIN_CARD, Provider.LOYALTYDOG)
    big = await actions.redeem(gift, usd("20.00"))
    assert big.ok, big.message
    made.append(Made(Provider.LOYALTYDOG, boss, "redeem", usd("20.00")))
    # Offline: a stamp still owed to Leal, and a redemption LoyaltyDog refuses once back.
    till.faults("leal", outage=True)
    owed = await actions.add_stamps(stamped.match or stamp_card, 1)
    assert owed.state == "pending", owed.message
    till.faults("loyaltydog", outage=True)
    late = await actions.redeem(big.match or gift, usd("5.00"))
    assert late.state == "pending", late.message
    card = next(c for c in sandbox.loyaltydog.cards if c.number == MAIN_CARD)
    sandbox.loyaltydog.void(card, reason="lost card", refund_reference=None)
    till.faults("loyaltydog")
    await core.engine.send_now(ref(late))
    await eventually(lambda: core.operations.get(ref(late)).state is EntryState.NEEDS_ATTENTION)
    assert core.operations.get(ref(owed)).state.is_open
    made += [
        Made(Provider.LEAL, boss, "stamps", stamps=1, ended="pending"),
        Made(Provider.LOYALTYDOG, boss, "redeem", usd("5.00"), ended="needs_attention"),
    ]
    return made


def test_the_report_totals_real_operations_per_backend_and_cashier(
    make_till: MakeTill, sandbox_server: tuple[str, Sandbox], run: Run, tmp_path: Path
) -> None:
    till = make_till()
    _, sandbox = sandbox_server

    async def body() -> None:
        desk = open_desk(till, run, training=True)
        made = await a_shift_of_work(till, desk, sandbox)
        view = await open_report(till, desk)
        shift = till.core.shifts.current()
        assert shift is not None
        assert view.rows() == expected_rows(made)
        assert [view.model.headerData(c, Qt.Orientation.Horizontal) for c in (0, 2, 9)] == [
            "Totals for",
            "Redeemed",
            "Needs\nattention",
        ]
        assert view.facts_label.text().startswith(f"Shift {shift.shift_id} on till-1 · opened ")
        assert view.facts_label.text().endswith(f" by {TRAINING_CASHIER} · OPEN")
        assert view.notes_label.text() == (
            "1 operation PENDING: not in the figures until the back-end confirms"
            " · 1 needs attention (F9)."
        )
        assert QApplication.focusWidget() is view.table
        assert view.close_shift_button.isEnabled()

        # The CSV says the same, in plain decimals for accounting.
        target = tmp_path / "shift.csv"
        assert view.export_csv(target)
        with target.open(newline="", encoding="utf-8-sig") as saved:
            lines = list(csv.DictReader(saved))
        whole = Expected.of(made)
        assert whole.redeemed.keys() == {"USD", "EUR"}  # two currencies, never added up
        assert [(r["section"], r["name"]) for r in lines] == [
            ("shift", f"Shift {shift.shift_id}"),
            ("backend", "LoyaltyDog"),
            ("backend", "Leal"),
            ("backend", "ClientToolbox"),
            ("cashier", TRAINING_CASHIER),
            ("cashier", TRAINING_MANAGER),
        ]
        total = lines[0]
        assert total["redemptions"] == str(whole.redemptions)
        assert total["redeemed"] == plain_money(whole.redeemed)
        assert total["undone"] == plain_money(whole.undone)
        assert total["net"] == plain_money(whole.net)
        assert total["stamps_added"] == str(whole.stamps)
        assert total["rewards_redeemed"] == str(whole.rewards)
        assert (total["pending"], total["needs_attention"]) == ("1", "1")
        boss = Expected.of(op for op in made if op.cashier == TRAINING_MANAGER)
        assert lines[-1]["redeemed"] == plain_money(boss.redeemed)
        assert view.status_label.text() == f"Saved shift {shift.shift_id} to {target}."
        (exported,) = till.core.audit.recent(action="shift_report_exported")
        assert exported.cashier == TRAINING_MANAGER

    run(body())


def test_export_from_the_keyboard(make_till: MakeTill, run: Run, tmp_path: Path) -> None:
    till = make_till()

    async def body() -> None:
        desk = open_desk(till, run, training=True)
        gift = await find(till.core, MAIN_CARD, Provider.LOYALTYDOG)
        done = await till.screen.actions.redeem(gift, usd("4.00"))
        assert done.ok, done.message
        await as_manager(till, desk)
        view = await open_report(till, desk)
        till.press(Qt.Key.Key_E, CTRL)
        await eventually(lambda: view.file_dialog is not None and view.file_dialog.isVisible())
        chooser = view.file_dialog
        assert chooser is not None
        await till.activate(chooser)
        name = chooser.findChild(QLineEdit, "fileNameEdit")
        assert name is not None
        assert name.text().startswith("tillcard-till-1-shift-")
        target = tmp_path / "export.csv"
        name.selectAll()
        QTest.keyClicks(name, str(target))
        till.press(Qt.Key.Key_Return)
        await eventually(lambda: target.exists())
        with target.open(newline="", encoding="utf-8-sig") as saved:
            lines = list(csv.DictReader(saved))
        assert [(r["name"], r["redemptions"], r["redeemed"]) for r in lines] == [
            (f"Shift {view.shown_shift()}", "1", "4.00 USD"),
            ("LoyaltyDog", "1", "4.00 USD"),
            (TRAINING_CASHIER, "1", "4.00 USD"),
        ]

    run(body())


async def confirm_window(view: ShiftReportView) -> QWidget:
    """The "Close the shift?" question (a mnemonic clicks its button a moment later)."""
    await eventually(lambda: view.confirm_dialog is not None and view.confirm_dialog.is_open)
    assert view.confirm_dialog is not None
    return view.confirm_dialog.dialog


def test_closing_the_shift_closes_it_in_the_journal_and_asks_for_a_new_sign_in(
    make_till: MakeTill, run: Run
) -> None:
    till = make_till()

    async def body() -> None:
        desk = open_desk(till, run, training=True)
        first = till.core.shifts.current()
        assert first is not None
        await as_manager(till, desk)
        view = await open_report(till, desk)
        till.press(Qt.Key.Key_F, ALT)
        confirm = await confirm_window(view)
        await till.activate(confirm)
        till.press(Qt.Key.Key_Return)  # a stray Enter cancels: closing is a deliberate act
        await eventually(
            lambda: view.confirm_dialog is not None and not view.confirm_dialog.is_open
        )
        assert till.core.shifts.current() == first
        assert view.is_open
        await till.activate(view.dialog)
        till.press(Qt.Key.Key_F, ALT)
        confirm = await confirm_window(view)
        await till.activate(confirm)
        till.press(Qt.Key.Key_C, ALT)  # "Close the shift"
        await eventually(lambda: till.core.shifts.current() is None)
        closed = till.core.shifts.get(first.shift_id)
        assert closed is not None
        assert closed.closed_by == TRAINING_MANAGER
        assert not view.is_open
        dialog = await sign_in_dialog(till, desk)
        assert dialog.status_label.text() == (
            f"Shift {first.shift_id} closed by {TRAINING_MANAGER}. "
            "The next sign-in opens a new shift."
        )
        assert till.core.cashier is None
        assert till.view.terminal_label.text() == "till-1\nnobody signed in"
        assert till.screen.sign_in_required

        await type_sign_in(till, desk, TRAINING_CASHIER, TRAINING_CASHIER_PIN)
        assert not dialog.is_open
        second = till.core.shifts.current()
        assert second is not None
        assert second.shift_id == first.shift_id + 1
        assert till.view.message.text() == (
            f"Signed in as Ana (cashier). Shift {second.shift_id} opened."
        )

    run(body())


def test_a_past_shift_can_be_picked_and_printed(
    make_till: MakeTill, run: Run, tmp_path: Path
) -> None:
    till = make_till()

    async def body() -> None:
        desk = open_desk(till, run, training=True)
        gift = await find(till.core, MAIN_CARD, Provider.LOYALTYDOG)
        early = await till.screen.actions.redeem(gift, usd("6.00"))
        assert early.ok, early.message
        old = till.core.shifts.current()
        assert old is not None
        till.core.close_shift(TRAINING_MANAGER)
        till.core.sign_out()
        assert till.core.sign_in(TRAINING_MANAGER, TRAINING_MANAGER_PIN).ok
        late = await till.screen.actions.redeem(early.match or gift, usd("9.00"))
        assert late.ok, late.message
        view = await open_report(till, desk)
        assert view.shift_picker.count() == 2
        assert view.shown_shift() == old.shift_id + 1
        assert view.rows()[0][:3] == ["Whole shift", "1", "$ 9.00"]

        till.press(Qt.Key.Key_H, ALT)
        assert QApplication.focusWidget() is view.shift_picker
        till.press(Qt.Key.Key_Down)
        assert view.shown_shift() == old.shift_id
        assert view.rows() == [
            ["Whole shift", "1", "$ 6.00", "0", "0", "$ 6.00", "0", "0", "0", "0"],
            ["LoyaltyDog", "1", "$ 6.00", "0", "0", "$ 6.00", "0", "0", "0", "0"],
            [f"By {TRAINING_CASHIER}", "1", "$ 6.00", "0", "0", "$ 6.00", "0", "0", "0", "0"],
        ]
        facts = till.core.shifts.get(old.shift_id)
        assert facts is not None
        assert facts.closed_at is not None
        assert view.facts_label.text() == (
            f"Shift {old.shift_id} on till-1 · opened {facts.opened_at.astimezone():%d/%m/%Y %H:%M}"
            f" by {TRAINING_CASHIER} · closed {facts.closed_at.astimezone():%d/%m/%Y %H:%M}"
            f" by {TRAINING_MANAGER}"
        )
        assert not view.close_shift_button.isEnabled()  # only the open shift can be closed

        till.press(Qt.Key.Key_P, CTRL)
        preview = view.print_preview
        assert preview is not None
        assert preview.is_open
        assert preview.paper.value == "a4"
        assert preview.dialog.windowTitle() == f"Shift {old.shift_id} report"
        pdf = tmp_path / "shift.pdf"
        preview.save_pdf(pdf)
        assert pdf.read_bytes().startswith(b"%PDF")
        (printed,) = till.core.audit.recent(action="shift_report_printed")
        assert printed.detail == {"shift": old.shift_id, "how": "pdf"}
        assert printed.cashier == TRAINING_MANAGER
        assert view.status_label.text() == f"Shift {old.shift_id} report printed (pdf)."
        preview.close()
        await till.activate(view.dialog)
        till.press(Qt.Key.Key_Escape)
        assert not view.is_open

    run(body())
