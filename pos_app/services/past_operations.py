"""An operation found again (a scanned receipt): what it was, and whether it may be undone.

Undo is a LoyaltyDog refund or a ClientToolbox transaction delete of a *confirmed* redemption.
Leal has no undo. An operation is undone at most once: any undo that may still go through (or
went through) blocks another, so a customer cannot be refunded twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from pos_app.domain import OperationKind, Provider
from pos_app.journal.pending_operations import Entry, EntryState, utc_now
from pos_app.services.card_actions import UndoTicket, undo_blocked, undo_ticket
from pos_app.services.till import Till

__all__ = ["UndoCheck", "check_undo"]


@dataclass(frozen=True)
class UndoCheck:
    allowed: bool
    reason: str
    needs_manager: bool = False
    ticket: UndoTicket | None = None


def check_undo(till: Till, entry: Entry) -> UndoCheck:
    """May this operation be undone now, by whom, and if not, why (in the cashier's words)."""
    if entry.provider is Provider.LEAL:
        return UndoCheck(False, "Leal has no undo: stamps and rewards are corrected in Leal.")
    if entry.kind is not OperationKind.REDEEM:
        what = "an undo" if entry.kind is OperationKind.REFUND else "this kind of operation"
        return UndoCheck(False, f"Tillcard cannot undo {what}.")
    if entry.state is not EntryState.DONE:
        return UndoCheck(
            False,
            "Only a confirmed redemption can be undone; this one is "
            f"{entry.state.value.replace('_', ' ')}.",
        )
    blocked = undo_blocked(till, entry.key)
    if blocked is not None:
        return UndoCheck(False, blocked)
    ticket = undo_ticket(entry)
    if ticket is None:
        return UndoCheck(False, "The back-end's transaction number is missing; undo it there.")
    rules = till.config.policy.refund
    age = utc_now() - entry.created_at
    if age > timedelta(days=rules.max_age_days):
        return UndoCheck(
            False,
            f"This redemption is more than {rules.max_age_days} days old; a return is handled "
            "in the back office.",
        )
    late = age > timedelta(minutes=rules.cashier_minutes)
    other_till = entry.terminal not in ("", till.terminal)
    if (late or other_till) and not till.is_manager:
        why = "made on another till" if other_till else f"over {rules.cashier_minutes} minutes old"
        return UndoCheck(
            True, f"This redemption is {why}: a manager's PIN is needed.", True, ticket
        )
    return UndoCheck(True, "It can be undone.", False, ticket)
