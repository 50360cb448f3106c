"""Adding, changing and removing who may sign in, from the back office (the CLI has its own).

Only the PIN's scrypt hash is stored, every change names the manager who made it in the audit
trail, and the roster rules (:mod:`pos_app.domain.staff_roster`) hold whoever asks.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3

from pos_app.domain.staff_roster import Member, change_problem, same_name
from pos_app.journal.staff import MAX_NAME, Person
from pos_app.manager_pin import check_pin_format, hash_pin
from pos_app.services.till import Till

__all__ = ["StaffRefused", "remove_person", "roster", "set_person"]

log = logging.getLogger(__name__)


class StaffRefused(Exception):
    """A change that was not made; the message says why, in words for the manager."""


def roster(till: Till) -> list[Person]:
    """Everyone who may sign in on this till, by name."""
    return till.staff.people()


def _members(till: Till) -> list[Member]:
    return [Member(p.name, p.is_manager) for p in till.staff.people()]


def _name(name: str) -> str:
    clean = " ".join(name.split())
    if not 0 < len(clean) <= MAX_NAME:
        raise StaffRefused(f"A name has 1 to {MAX_NAME} characters; nothing was changed")
    return clean


def _journal_failed(exc: sqlite3.Error) -> StaffRefused:
    log.error("staff change not saved: %s", exc)
    return StaffRefused(
        f"The journal could not be written ({exc}). Check the list above before trying again: "
        "the change may be half made (free some disk space or call support)"
    )


async def set_person(
    till: Till, name: str, pin: str, pin_again: str, *, manager: bool, by: str
) -> str:
    """Add someone, or give them a new PIN and role; the sentence to show once it is done."""
    clean = _name(name)
    problem = check_pin_format(pin)
    if problem is not None:
        raise StaffRefused(f"{problem}; nothing was changed")
    if pin != pin_again:
        raise StaffRefused("The two PINs differ; nothing was changed")
    try:
        members = _members(till)
        rule = change_problem(members, clean, manager=manager, signed_in=by)
        if rule is not None:
            raise StaffRefused(rule)
        pin_hash = await asyncio.to_thread(hash_pin, pin)  # scrypt: ~0.1 s off the GUI thread
        known = any(same_name(m.name, clean) for m in members)
        stored = till.staff.set_person(clean, pin_hash, manager=manager)
        role = "manager" if manager else "cashier"
        till.audit.record("staff_set", {"name": stored, "role": role, "by": by}, "ok", cashier=by)
    except sqlite3.Error as exc:
        raise _journal_failed(exc) from None
    if known:
        return f"{stored} has a new PIN and signs in as {role}."
    return f"{stored} may sign in on this till as {role}."


def remove_person(till: Till, name: str, *, by: str) -> str:
    """Someone left: no more sign-in; their name stays on what they did."""
    clean = _name(name)
    if till.cashier is not None and same_name(till.cashier, clean):
        raise StaffRefused(f"{till.cashier} is signed in on this till; sign them out first")
    try:
        rule = change_problem(_members(till), clean, manager=None, signed_in=by)
        if rule is not None:
            raise StaffRefused(rule)
        person = till.staff.person(clean)
        stored = person.name if person is not None else clean
        till.staff.remove(clean)
        till.audit.record("staff_removed", {"name": stored, "by": by}, "ok", cashier=by)
    except sqlite3.Error as exc:
        raise _journal_failed(exc) from None
    return (
        f"{stored} can no longer sign in; their past operations keep their name. "
        "To undo, add them again with a new PIN."
    )
