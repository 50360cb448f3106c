"""Who may sign in: the rules a change to the till's staff must keep, whoever makes it.

Once anyone is set up, every sign-in needs a name and PIN, and only a manager opens the back
office; a roster with people but no manager would lock the store out of its own settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Member", "change_problem", "same_name"]


@dataclass(frozen=True)
class Member:
    """One person on the roster, as the rules need them: a name and whether they manage."""

    name: str
    is_manager: bool


def same_name(a: str, b: str) -> bool:
    """Names match without regard to case or spacing, as sign-in matches them."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def change_problem(
    roster: Sequence[Member], name: str, *, manager: bool | None, signed_in: str | None
) -> str | None:
    """Why the change may not be made (None: it may).

    ``manager`` is the person's role after the change; None removes them. ``signed_in`` is whoever
    makes the change, who may not remove themselves (they would be signed in as nobody).
    """
    if manager is None:
        if not any(same_name(m.name, name) for m in roster):
            return f"Nobody called {name} may sign in on this till"
        if signed_in is not None and same_name(signed_in, name):
            return (
                f"{signed_in} is signed in and cannot remove themselves; "
                "another manager can, after they sign out"
            )
    after = [m for m in roster if not same_name(m.name, name)]
    if manager is not None:
        after.append(Member(name, manager))
    if after and not any(m.is_manager for m in after):
        return (
            "The till would have no manager left, and nobody could open the back office: "
            "make someone else a manager first"
        )
    return None
