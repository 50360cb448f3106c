"""Shifts (one open per till, even across processes) and the staff list (history kept)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from pos_app.domain import Money, OperationKind, Provider
from pos_app.domain.shift_report import ShiftFacts
from pos_app.journal.database import JOURNAL_FILE, open_journal
from pos_app.journal.pending_operations import NewEntry, PendingOperations, utc_now
from pos_app.journal.shifts import Shifts
from pos_app.journal.staff import MAX_NAME, Staff
from pos_app.manager_pin import hash_pin, verify_pin


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    connection = open_journal(tmp_path)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def pins() -> dict[str, str]:
    """A few real hashes, made once: scrypt is slow on purpose."""
    return {pin: hash_pin(pin) for pin in ("1234", "5678", "0000")}


# ---------------------------------------------------------------------- shifts


def test_the_first_open_opens_and_later_ones_find_it(db: sqlite3.Connection) -> None:
    shifts = Shifts(db, "till-1")
    assert shifts.current() is None
    before = utc_now()
    opened, first = shifts.open("Ana")
    assert first
    assert (opened.terminal, opened.opened_by, opened.is_open) == ("till-1", "Ana", True)
    assert before <= opened.opened_at <= utc_now()
    again, second = shifts.open("Bruno")
    assert not second
    assert again == opened  # Bruno joins Ana's shift; it stays hers
    assert shifts.current() == opened


def test_times_are_kept_as_the_same_instant_in_utc(db: sqlite3.Connection) -> None:
    shifts = Shifts(db, "till-1")
    local = datetime(2025, 3, 9, 9, 30, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    opened, _ = shifts.open("Ana", at=local)
    assert opened.opened_at == local
    assert opened.opened_at.utcoffset() == timedelta(0)
    (text,) = db.execute("SELECT opened_at FROM shifts").fetchone()
    assert text == "2025-03-09T07:30:00.123456+00:00"


def test_a_naive_time_is_refused_before_it_reaches_the_file(db: sqlite3.Connection) -> None:
    shifts = Shifts(db, "till-1")
    with pytest.raises(ValueError, match="aware"):
        shifts.open("Ana", at=datetime(2025, 3, 9, 9, 30))
    assert db.execute("SELECT COUNT(*) FROM shifts").fetchone() == (0,)
    opened, _ = shifts.open("Ana")
    with pytest.raises(ValueError, match="aware"):
        shifts.close("Sam", at=datetime(2025, 3, 9, 18, 0))
    assert shifts.current() == opened  # still open, still readable


def test_a_close_before_the_opening_changes_nothing(db: sqlite3.Connection) -> None:
    shifts = Shifts(db, "till-1")
    opened, _ = shifts.open("Ana")
    with pytest.raises(ValueError, match="before it opened"):
        shifts.close("Sam", at=opened.opened_at - timedelta(seconds=1))
    assert shifts.current() == opened
    assert shifts.recent() == [opened]


def test_closing_ends_the_shift_once_and_the_next_open_starts_another(
    db: sqlite3.Connection,
) -> None:
    shifts = Shifts(db, "till-1")
    opened, _ = shifts.open("Ana", at=utc_now() - timedelta(hours=8))
    end = utc_now()
    closed = shifts.close("Sam", at=end)
    assert closed is not None
    assert (closed.shift_id, closed.opened_at, closed.closed_at, closed.closed_by) == (
        opened.shift_id,
        opened.opened_at,
        end,
        "Sam",
    )
    assert not closed.is_open
    assert shifts.current() is None
    assert shifts.close("Sam") is None  # twice: nothing to close, nothing changed
    assert shifts.get(opened.shift_id) == closed
    following, first = shifts.open("Bruno")
    assert first
    assert following.shift_id > opened.shift_id
    assert following.opened_by == "Bruno"


def test_recent_is_newest_first_and_only_this_tills(db: sqlite3.Connection) -> None:
    mine, other = Shifts(db, "till-1"), Shifts(db, "till-2")
    start = utc_now() - timedelta(days=1)
    made: list[ShiftFacts] = []
    for n in range(4):
        mine.open(f"Cashier {n}", at=start + timedelta(hours=2 * n))
        other.open("Elsewhere")
        closed = mine.close("Sam", at=start + timedelta(hours=2 * n + 1))
        assert closed is not None
        made.append(closed)
    now_open, _ = mine.open("Ana")
    assert mine.recent() == [now_open, *reversed(made)]
    assert mine.recent(limit=2) == [now_open, made[-1]]
    assert [s.opened_by for s in other.recent()] == ["Elsewhere"]
    assert other.get(made[0].shift_id) is None  # another till's shift is not this till's
    assert mine.get(10_000) is None


def test_each_till_has_its_own_open_shift(db: sqlite3.Connection) -> None:
    one, _ = Shifts(db, "till-1").open("Ana")
    two, opened = Shifts(db, "till-2").open("Bruno")
    assert opened
    assert one.shift_id != two.shift_id
    assert Shifts(db, "till-1").current() == one
    assert Shifts(db, "till-2").current() == two


def test_two_connections_on_one_file_share_one_open_shift(tmp_path: Path) -> None:
    first, second = open_journal(tmp_path), open_journal(tmp_path)
    try:
        opened, made = Shifts(first, "till-1").open("Ana")
        seen, made_again = Shifts(second, "till-1").open("Bruno")
        assert (made, made_again) == (True, False)
        assert seen == opened
        with pytest.raises(sqlite3.IntegrityError), second:  # the file itself says no
            second.execute(
                "INSERT INTO shifts (terminal, opened_at, opened_by) VALUES ('till-1', 'x', 'y')"
            )
        closed = Shifts(second, "till-1").close("Sam")
        assert closed is not None
        assert Shifts(first, "till-1").close("Sam") is None
        assert Shifts(first, "till-1").get(opened.shift_id) == closed
    finally:
        first.close()
        second.close()


def test_racing_processes_open_exactly_one_shift(tmp_path: Path) -> None:
    open_journal(tmp_path).close()
    racers = 6
    connections = [
        sqlite3.connect(tmp_path / JOURNAL_FILE, check_same_thread=False) for _ in range(racers)
    ]
    for connection in connections:
        connection.execute("PRAGMA busy_timeout = 5000")
    start = threading.Barrier(racers)
    answers: list[tuple[ShiftFacts, bool]] = []
    errors: list[BaseException] = []

    def race(connection: sqlite3.Connection, n: int) -> None:
        try:
            start.wait()
            answers.append(Shifts(connection, "till-1").open(f"Cashier {n}"))
        except BaseException as exc:  # reported below, on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=race, args=(c, n)) for n, c in enumerate(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for connection in connections:
        connection.close()
    assert errors == []
    assert sorted(made for _, made in answers) == [False] * (racers - 1) + [True]
    assert len({facts for facts, _ in answers}) == 1
    check = open_journal(tmp_path)
    assert check.execute("SELECT COUNT(*) FROM shifts").fetchone() == (1,)
    check.close()


# ---------------------------------------------------------------------- staff


def test_people_are_listed_by_name_whatever_its_case(
    db: sqlite3.Connection, pins: dict[str, str]
) -> None:
    staff = Staff(db)
    assert staff.set_person("bruno", pins["5678"], manager=False) == "bruno"
    assert staff.set_person("  Ana   Lima ", pins["1234"], manager=False) == "Ana Lima"
    assert staff.set_manager("Sam", pins["0000"]) == "Sam"
    assert [(p.name, p.role) for p in staff.people()] == [
        ("Ana Lima", "cashier"),
        ("bruno", "cashier"),
        ("Sam", "manager"),
    ]
    assert staff.managers() == [("Sam", pins["0000"])]
    found = staff.person("ANA lima")
    assert found is not None
    assert (found.name, found.is_manager) == ("Ana Lima", False)
    assert verify_pin("1234", found.pin_hash)


def test_a_name_in_another_case_changes_the_same_person(
    db: sqlite3.Connection, pins: dict[str, str]
) -> None:
    staff = Staff(db)
    staff.set_person("Ana", pins["1234"], manager=False)
    assert staff.set_person("ANA", pins["5678"], manager=True) == "Ana"  # spelling kept
    assert db.execute("SELECT COUNT(*) FROM staff").fetchone() == (1,)
    ana = staff.person("ana")
    assert ana is not None
    assert (ana.name, ana.role, ana.pin_hash) == ("Ana", "manager", pins["5678"])
    assert staff.managers() == [("Ana", pins["5678"])]
    staff.set_person("ana", pins["1234"], manager=False)  # and back again
    assert staff.managers() == []


def test_someone_who_left_cannot_sign_in_but_stays_on_record(
    tmp_path: Path, db: sqlite3.Connection, pins: dict[str, str]
) -> None:
    staff = Staff(db)
    staff.set_manager("Sam", pins["0000"])
    staff.set_person("Ana", pins["1234"], manager=False)
    operations = PendingOperations(db)
    operations.add(
        NewEntry(
            key="00000000-0000-4000-8000-000000000001",
            provider=Provider.LOYALTYDOG,
            kind=OperationKind.REDEEM,
            card="card-1",
            payload={},
            masked="•••• 1234",
            description="Redeem $ 5.00",
            terminal="till-1",
            cashier="Ana",
            amount=Money(Decimal("5.00"), "USD"),
        )
    )
    assert staff.remove("  aNA ")
    assert not staff.remove("Ana")  # already gone
    assert not staff.remove("Nobody")
    assert staff.person("Ana") is None
    assert [p.name for p in staff.people()] == ["Sam"]
    assert db.execute("SELECT name, active FROM staff WHERE name = 'Ana'").fetchall() == [
        ("Ana", 0)
    ]
    assert operations.get("00000000-0000-4000-8000-000000000001").cashier == "Ana"
    assert staff.remove("SAM")
    assert staff.managers() == []
    assert staff.set_person("ana", pins["5678"], manager=False) == "Ana"  # rehired: same row
    back = staff.person("Ana")
    assert back is not None
    assert back.pin_hash == pins["5678"]


def test_only_a_whole_scrypt_hash_is_ever_stored(
    db: sqlite3.Connection, pins: dict[str, str]
) -> None:
    staff = Staff(db)
    good = pins["1234"]
    for bad in ("1234", "scrypt$1234", "scrypt$", good[:-10], good.replace("scrypt", "bcrypt")):
        with pytest.raises(ValueError, match="scrypt"):
            staff.set_person("Ana", bad, manager=False)
    assert staff.people() == []
    staff.set_person("Ana", good, manager=False)
    assert [p.pin_hash for p in staff.people()] == [good]


def test_names_need_one_to_sixty_characters(db: sqlite3.Connection, pins: dict[str, str]) -> None:
    staff = Staff(db)
    for bad in ("", "   ", "x" * (MAX_NAME + 1)):
        with pytest.raises(ValueError, match="name"):
            staff.set_person(bad, pins["1234"], manager=False)
        assert staff.person(bad) is None
    assert staff.set_person("x" * MAX_NAME, pins["1234"], manager=False) == "x" * MAX_NAME
    assert staff.people()[0].name == "x" * MAX_NAME
