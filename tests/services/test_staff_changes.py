"""Staff changes from the back office on a real till: real journal files, real PIN hashes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pos_app.sandbox.state import Sandbox
from pos_app.services.staff_changes import StaffRefused, remove_person, roster, set_person
from pos_app.services.till import Till
from tests.tills import open_till


@pytest.fixture
async def till(sandbox_server: tuple[str, Sandbox], tmp_path: Path) -> AsyncIterator[Till]:
    """A real (not training) till, so nobody is set up until the test says so."""
    url, sandbox = sandbox_server
    opened, _ = open_till(url, sandbox, tmp_path / "till", training=False)
    try:
        yield opened
    finally:
        await opened.close()


def people(till: Till) -> list[tuple[str, str]]:
    return [(p.name, p.role) for p in roster(till)]


def changes(till: Till) -> list[tuple[str | None, str, dict[str, object]]]:
    lines = till.audit.recent(actions=("staff_set", "staff_removed"))
    return [(line.cashier, line.action, line.detail) for line in reversed(lines)]


async def test_a_manager_adds_a_cashier_who_can_then_sign_in(till: Till) -> None:
    said = await set_person(till, "  Ana   Lopez ", "2468", "2468", manager=True, by="Owner")
    assert said == "Ana Lopez may sign in on this till as manager."
    said = await set_person(till, "Bo", "135790", "135790", manager=False, by="Ana Lopez")
    assert said == "Bo may sign in on this till as cashier."
    assert people(till) == [("Ana Lopez", "manager"), ("Bo", "cashier")]
    stored = till.db.execute("SELECT pin_hash FROM staff WHERE name = 'Bo'").fetchone()[0]
    assert stored.startswith("scrypt$")
    assert "135790" not in stored
    assert till.needs_sign_in
    assert till.sign_in("bo", "135790").ok
    assert changes(till) == [
        ("Owner", "staff_set", {"name": "Ana Lopez", "role": "manager", "by": "Owner"}),
        ("Ana Lopez", "staff_set", {"name": "Bo", "role": "cashier", "by": "Ana Lopez"}),
    ]


async def test_a_new_pin_replaces_the_old_one(till: Till) -> None:
    await set_person(till, "Ana", "2468", "2468", manager=True, by="Owner")
    await set_person(till, "Bo", "1111", "1111", manager=False, by="Ana")
    said = await set_person(till, "BO", "9999", "9999", manager=True, by="Ana")
    assert said == "Bo has a new PIN and signs in as manager."
    assert people(till) == [("Ana", "manager"), ("Bo", "manager")]
    assert not till.sign_in("Bo", "1111").ok
    assert till.sign_in("Bo", "9999").ok


@pytest.mark.parametrize(
    ("name", "pin", "again", "why"),
    [
        ("Bo", "2468", "2486", "The two PINs differ; nothing was changed"),
        ("Bo", "12", "12", "A PIN has 4 to 12 digits; nothing was changed"),
        ("Bo", "12ab", "12ab", "nothing was changed"),
        ("   ", "2468", "2468", "A name has 1 to 60 characters; nothing was changed"),
        ("x" * 61, "2468", "2468", "A name has 1 to 60 characters; nothing was changed"),
    ],
)
async def test_a_mistyped_change_changes_nothing(
    till: Till, name: str, pin: str, again: str, why: str
) -> None:
    await set_person(till, "Ana", "2468", "2468", manager=True, by="Owner")
    before = (people(till), changes(till))
    with pytest.raises(StaffRefused, match=why):
        await set_person(till, name, pin, again, manager=False, by="Ana")
    assert (people(till), changes(till)) == before


async def test_the_roster_always_keeps_a_manager(till: Till) -> None:
    await set_person(till, "Ana", "2468", "2468", manager=True, by="Owner")
    await set_person(till, "Bo", "1357", "1357", manager=False, by="Ana")
    with pytest.raises(StaffRefused, match="no manager left"):
        await set_person(till, "Ana", "2468", "2468", manager=False, by="Bo")
    with pytest.raises(StaffRefused, match="cannot remove themselves"):
        remove_person(till, "ana", by="Ana")
    with pytest.raises(StaffRefused, match="no manager left"):
        remove_person(till, "Ana", by="Owner")
    assert people(till) == [("Ana", "manager"), ("Bo", "cashier")]


async def test_someone_who_left_can_no_longer_sign_in(till: Till) -> None:
    await set_person(till, "Ana", "2468", "2468", manager=True, by="Owner")
    await set_person(till, "Bo", "1357", "1357", manager=False, by="Ana")
    assert till.sign_in("Bo", "1357").ok
    with pytest.raises(StaffRefused, match="Bo is signed in on this till; sign them out first"):
        remove_person(till, "Bo", by="Ana")
    till.sign_out()
    said = remove_person(till, "bo", by="Ana")
    assert said.startswith("Bo can no longer sign in")
    assert people(till) == [("Ana", "manager")]
    assert not till.sign_in("Bo", "1357").ok
    assert changes(till)[-1] == ("Ana", "staff_removed", {"name": "Bo", "by": "Ana"})
    with pytest.raises(StaffRefused, match="Nobody called Bo"):
        remove_person(till, "Bo", by="Ana")


async def test_a_journal_that_cannot_be_written_says_so(
    till: Till, caplog: pytest.LogCaptureFixture
) -> None:
    await set_person(till, "Ana", "2468", "2468", manager=True, by="Owner")
    till.db.execute("PRAGMA query_only = ON")  # real SQLite refusing writes, as on a full disk
    try:
        with (
            caplog.at_level(logging.ERROR, logger="pos_app.services.staff_changes"),
            pytest.raises(StaffRefused, match="The journal could not be written"),
        ):
            await set_person(till, "Bo", "1357", "1357", manager=False, by="Ana")
    finally:
        till.db.execute("PRAGMA query_only = OFF")
    assert people(till) == [("Ana", "manager")]
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == [
        "staff change not saved: attempt to write a readonly database"
    ]
