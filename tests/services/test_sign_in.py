"""Cashier sign-in and shifts on the Till: real journal files, PIN hashes and lock-outs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from pos_app.domain.shift_report import ShiftFacts
from pos_app.sandbox.state import Sandbox
from pos_app.services.till import (
    TRAINING_CASHIER,
    TRAINING_CASHIER_PIN,
    TRAINING_MANAGER,
    TRAINING_MANAGER_PIN,
    Till,
)
from tests.tills import open_till

OpenTill = Callable[..., Till]
LOCKED = "Too many wrong PINs; try again in 5 min"


@pytest.fixture
async def tills(sandbox_server: tuple[str, Sandbox], tmp_path: Path) -> AsyncIterator[OpenTill]:
    """Opens tills (training staff seeded) on journals in tmp_path; closes them after."""
    url, sandbox = sandbox_server
    opened: list[Till] = []

    def make(folder: str = "till", **sections: Any) -> Till:
        till, _ = open_till(url, sandbox, tmp_path / folder, **sections)
        opened.append(till)
        return till

    try:
        yield make
    finally:
        for till in opened:
            await till.close()


def who(till: Till) -> tuple[str | None, bool]:
    """Who the till says is signed in, and whether a manager."""
    return till.cashier, till.is_manager


def actions(till: Till) -> list[str]:
    """The audit trail's actions, oldest first."""
    return [line.action for line in reversed(till.audit.recent())]


async def test_sign_in_opens_the_shift_and_knows_the_role(tills: OpenTill) -> None:
    till = tills()
    assert till.needs_sign_in
    assert till.shifts.current() is None

    ana = till.sign_in(TRAINING_CASHIER, TRAINING_CASHIER_PIN)
    assert ana.ok, ana.message
    assert (ana.name, ana.is_manager) == (TRAINING_CASHIER, False)
    assert ana.shift is not None
    assert ana.message == f"Signed in as Ana (cashier). Shift {ana.shift.shift_id} opened."
    assert who(till) == (TRAINING_CASHIER, False)
    current = till.shifts.current()
    assert current == ana.shift
    assert (current.opened_by, current.terminal, current.is_open) == ("Ana", "till-1", True)

    till.sign_out()
    assert who(till) == (None, False)
    manager = till.sign_in("training MANAGER", TRAINING_MANAGER_PIN)  # names ignore case
    assert manager.ok, manager.message
    assert manager.name == TRAINING_MANAGER
    assert manager.is_manager
    assert till.is_manager
    assert manager.message == "Signed in as Training manager (manager)."  # same shift
    assert manager.shift == ana.shift
    assert actions(till) == [
        "manager_pin_accepted",
        "shift_opened",
        "signed_in",
        "signed_out",
        "manager_pin_accepted",
        "signed_in",
    ]
    (signed_in, _) = till.audit.recent(action="signed_in")
    assert signed_in.cashier == TRAINING_MANAGER
    assert signed_in.detail == {"shift": ana.shift.shift_id, "role": "manager"}


async def test_wrong_pins_count_down_then_lock_sign_in_and_approvals(tills: OpenTill) -> None:
    till = tills()
    said = [till.sign_in(TRAINING_CASHIER, "9999").message for _ in range(5)]
    assert said == [
        "Wrong PIN, 4 tries left",
        "Wrong PIN, 3 tries left",
        "Wrong PIN, 2 tries left",
        "Wrong PIN, 1 try left",
        LOCKED,
    ]
    right = till.sign_in(TRAINING_CASHIER, TRAINING_CASHIER_PIN)
    assert not right.ok
    assert right.message.startswith("Too many wrong PINs; try again in ")
    assert till.cashier is None
    assert till.shifts.current() is None  # nobody got in, so no shift opened
    manager, message = till.verify_manager(TRAINING_MANAGER_PIN)
    assert manager is None
    assert message.startswith("Too many wrong PINs")
    # Another Tillcard process on this journal reads the same lock from the audit trail.
    other = tills("till")
    assert not other.sign_in(TRAINING_CASHIER, TRAINING_CASHIER_PIN).ok
    assert other.cashier is None


async def test_a_malformed_pin_is_refused_without_costing_a_try(tills: OpenTill) -> None:
    till = tills()
    assert till.sign_in(TRAINING_CASHIER, "").message == "Enter the manager PIN"
    assert till.sign_in(TRAINING_CASHIER, "12").message == "A PIN has 4 to 12 digits"
    assert till.sign_in(TRAINING_CASHIER, "0000").message == "Wrong PIN, 4 tries left"


async def test_an_unknown_name_reads_and_counts_like_a_wrong_pin(tills: OpenTill) -> None:
    till = tills()
    nobody = till.sign_in("Mallory", TRAINING_CASHIER_PIN)
    wrong = till.sign_in(TRAINING_CASHIER, "9999")
    assert not nobody.ok
    assert not wrong.ok
    assert nobody.message == "Wrong PIN, 4 tries left"  # the name is not given away
    assert wrong.message == "Wrong PIN, 3 tries left"  # and it cost a try
    for _ in range(3):
        till.sign_in("Mallory", "1111")
    assert till.sign_in(TRAINING_CASHIER, TRAINING_CASHIER_PIN).message.startswith(
        "Too many wrong PINs"
    )
    refused = till.audit.recent(action="manager_pin_refused")
    assert [line.detail["sign_in"] for line in reversed(refused)] == [
        "Mallory",
        "Ana",
        "Mallory",
        "Mallory",
        "Mallory",
    ]


async def test_a_removed_person_can_no_longer_sign_in(tills: OpenTill) -> None:
    till = tills()
    assert till.staff.remove(TRAINING_CASHIER)
    gone = till.sign_in(TRAINING_CASHIER, TRAINING_CASHIER_PIN)
    assert (gone.ok, gone.message) == (False, "Wrong PIN, 4 tries left")


async def test_closing_the_shift_makes_the_next_sign_in_open_a_new_one(tills: OpenTill) -> None:
    till = tills()
    first = till.sign_in(TRAINING_MANAGER, TRAINING_MANAGER_PIN).shift
    assert first is not None
    closed = till.close_shift(TRAINING_MANAGER)
    assert closed is not None
    assert closed.shift_id == first.shift_id
    assert closed.closed_by == TRAINING_MANAGER
    assert closed.closed_at is not None
    assert closed.closed_at >= first.opened_at
    assert not closed.is_open
    assert till.shifts.current() is None
    assert till.close_shift(TRAINING_MANAGER) is None  # closing twice changes nothing
    assert [line.detail for line in till.audit.recent(action="shift_closed")] == [
        {"shift": first.shift_id}
    ]
    till.sign_out()
    again = till.sign_in(TRAINING_CASHIER, TRAINING_CASHIER_PIN)
    assert again.shift is not None
    assert again.shift.shift_id == first.shift_id + 1
    assert again.message == f"Signed in as Ana (cashier). Shift {again.shift.shift_id} opened."
    assert [s.shift_id for s in till.shifts.recent()] == [again.shift.shift_id, first.shift_id]
    assert till.shifts.get(first.shift_id) == closed


async def test_two_tills_on_one_journal_share_the_open_shift(
    tills: OpenTill, monkeypatch: pytest.MonkeyPatch
) -> None:
    front = tills("shop")
    back = tills("shop")
    opened = front.sign_in(TRAINING_CASHIER, TRAINING_CASHIER_PIN)
    joined = back.sign_in(TRAINING_MANAGER, TRAINING_MANAGER_PIN)
    assert opened.shift is not None
    assert joined.shift is not None
    assert joined.shift == opened.shift
    assert "opened" in opened.message
    assert "opened" not in joined.message
    # The race: the other process read "no open shift" just before this one inserted its own.
    front.close_shift(TRAINING_MANAGER)
    raced = front.sign_in(TRAINING_CASHIER, TRAINING_CASHIER_PIN).shift
    assert raced is not None
    real_current = back.shifts.current
    stale: list[ShiftFacts | None] = [None]

    def read_before_the_insert() -> ShiftFacts | None:
        return stale.pop() if stale else real_current()

    monkeypatch.setattr(back.shifts, "current", read_before_the_insert)
    shift, inserted = back.shifts.open(TRAINING_MANAGER)
    assert (shift, inserted) == (raced, False)
    assert len([s for s in back.shifts.recent() if s.is_open]) == 1


async def test_each_terminal_has_its_own_shift_on_a_shared_journal(tills: OpenTill) -> None:
    one = tills("shop")
    two = tills("shop", terminal={"id": "till-2"})
    first = one.sign_in(TRAINING_CASHIER, TRAINING_CASHIER_PIN).shift
    second = two.sign_in(TRAINING_CASHIER, TRAINING_CASHIER_PIN).shift
    assert first is not None
    assert second is not None
    assert (first.terminal, second.terminal) == ("till-1", "till-2")
    assert first.shift_id != second.shift_id
    one.close_shift(TRAINING_MANAGER)
    assert one.shifts.current() is None
    assert two.shifts.current() == second


async def test_a_card_scanned_into_the_name_field_is_masked_in_the_audit(
    tills: OpenTill,
) -> None:
    till = tills()
    card = "6215943836307608"
    refused = till.sign_in(card, "1234")
    assert not refused.ok
    (line,) = till.audit.recent(1, "manager_pin_refused")
    assert line.detail == {"sign_in": "•••• 7608"}
    assert card not in str(line.detail)
    till.sign_in("Bo", "1234")
    (line,) = till.audit.recent(1, "manager_pin_refused")
    assert line.detail == {"sign_in": "Bo"}  # a name is kept as typed


async def test_a_training_journal_from_before_cashiers_gets_its_training_cashier(
    tills: OpenTill, tmp_path: Path
) -> None:
    """Issue 5's training journals hold only the training manager; training must still be able
    to sign its cashier in by itself, so the missing one is added, the manager kept."""
    from pos_app.journal.database import MIGRATIONS, open_journal
    from pos_app.manager_pin import hash_pin

    old = open_journal(tmp_path / "old", MIGRATIONS[:2])
    with old:  # schema 2's staff table, the manager's PIN as a trainee changed it
        old.execute(
            "INSERT INTO staff (name, pin_hash, is_manager, created_at) VALUES (?, ?, 1, 'then')",
            (TRAINING_MANAGER, hash_pin("9999")),
        )
    old.close()
    till = tills("old")
    assert till.sign_in(TRAINING_CASHIER, TRAINING_CASHIER_PIN).ok
    till.sign_out()
    assert till.sign_in(TRAINING_MANAGER, "9999").ok  # the manager's own PIN was kept
