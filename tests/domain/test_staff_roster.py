"""The roster rules: nobody removes themselves, and people are never left without a manager."""

from __future__ import annotations

import pytest

from pos_app.domain.staff_roster import Member, change_problem, same_name

ANA = Member("Ana Lopez", is_manager=True)
BO = Member("Bo", is_manager=False)
CY = Member("Cy", is_manager=True)


def test_names_match_as_sign_in_matches_them() -> None:
    assert same_name("ana  lopez", "Ana Lopez")
    assert same_name(" ANA LOPEZ ", "ana lopez")
    assert not same_name("Ana", "Ana Lopez")


@pytest.mark.parametrize(
    ("roster", "name", "manager", "allowed"),
    [
        ([], "Ana Lopez", True, True),  # the first manager
        ([], "Bo", False, False),  # a first cashier would leave nobody to manage
        ([ANA], "Bo", False, True),
        ([ANA, BO], "ana lopez", False, False),  # the only manager demoted
        ([ANA, BO, CY], "Ana Lopez", False, True),  # another manager remains
        ([ANA, BO], "Bo", True, True),  # promoted
        ([ANA, BO], "Bo", False, True),  # a new PIN, same role
    ],
)
def test_setting_someone_keeps_a_manager(
    roster: list[Member], name: str, manager: bool, allowed: bool
) -> None:
    problem = change_problem(roster, name, manager=manager, signed_in=None)
    assert (problem is None) == allowed, problem
    if not allowed:
        assert problem is not None
        assert "no manager left" in problem


def test_removing_keeps_a_manager_unless_nobody_is_left() -> None:
    assert change_problem([ANA, BO], "Bo", manager=None, signed_in="Ana Lopez") is None
    problem = change_problem([ANA, BO], "Ana Lopez", manager=None, signed_in=None)
    assert problem is not None
    assert "no manager left" in problem
    assert change_problem([ANA, BO, CY], "Ana Lopez", manager=None, signed_in="Cy") is None
    # The last person goes: the till opens without sign-in again, as before anyone was set up.
    assert change_problem([ANA], "Ana Lopez", manager=None, signed_in=None) is None


def test_nobody_removes_themselves_or_someone_unknown() -> None:
    problem = change_problem([ANA, CY], "ana lopez", manager=None, signed_in="Ana Lopez")
    assert problem is not None
    assert "cannot remove themselves" in problem
    problem = change_problem([ANA], "Dee", manager=None, signed_in="Ana Lopez")
    assert problem == "Nobody called Dee may sign in on this till"
