"""What the cashier does to a card: redeem, add stamps, redeem a reward, undo, refresh.

Every change of value takes one path, online or not: the domain checks it, the journal commits
it, the sync engine sends it, and the cashier waits a few seconds for the answer. When the
back-end cannot be reached, the offline risk policy decides whether the operation stays PENDING
(synced later, exactly once) or is cancelled with nothing charged. An exception never reaches
the screen: every action answers with an :class:`ActionResult` in cashier language.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from typing import Any, Literal

from pos_app.domain import (
    AddStamps,
    CampaignBalance,
    DomainError,
    GiftCard,
    Money,
    OperationKind,
    Provider,
    Redeem,
    RedeemReward,
    StampCard,
)
from pos_app.domain.policy import (
    OfflineDecision,
    OnlineMode,
    Verdict,
    check_offline_add_stamps,
    check_offline_redeem,
    check_offline_redeem_reward,
    check_offline_refund,
)
from pos_app.journal.pending_operations import Entry, EntryState, NewEntry, utc_now
from pos_app.providers.errors import (
    BackendError,
    BackendUnavailable,
    NotFound,
    OutcomeUnknown,
    Rejected,
    Unauthorized,
)
from pos_app.services.delivery import card_key, card_parts, new_entry, refund_entry
from pos_app.services.lookup import Match, gift_card_match, points_matches, restamp
from pos_app.services.till import Till

log = logging.getLogger(__name__)

State = Literal["done", "pending", "rejected", "needs_attention"]

#: How long past the cashier's patience an answer is still awaited when offline is not allowed.
HARD_WAIT_SECONDS = 30.0

Approve = Callable[[OfflineDecision], Awaitable[str | None]]
"""Asks for a manager's PIN; returns the approving manager's name, or None if refused."""


@dataclass(frozen=True)
class UndoTicket:
    """Enough to reverse one action where the API allows it (LoyaltyDog refund, CTB delete)."""

    provider: Provider
    description: str
    amount: Money
    card_id: str
    transaction_id: str
    campaign_id: str | None = None
    reference: str | None = None
    masked: str = ""


@dataclass(frozen=True)
class ActionResult:
    state: State
    message: str
    match: Match | None = None
    undo: UndoTicket | None = None
    remainder: Money | None = None
    reference: str | None = None
    provider: Provider | None = None
    balance_after: Money | None = None
    offline: bool = False

    @property
    def ok(self) -> bool:
        return self.state == "done"

    @property
    def pending(self) -> bool:
        return self.state == "pending"

    def as_json(self) -> dict[str, Any]:
        """The contract's ``redeem`` / ``stamp`` / ``redeem-reward`` ``--json`` shape."""
        return {
            "reference": self.reference,
            "provider": None if self.provider is None else self.provider.value,
            "state": self.state,
            "message": self.message,
            "balance_after": None if self.balance_after is None else self.balance_after.to_api(),
            "currency": None if self.balance_after is None else self.balance_after.currency,
            "offline": self.offline,
        }


def explain(error: BackendError, what: str) -> tuple[State, str]:
    """The one sentence a cashier needs, by what the error means for the customer's money."""
    label = error.backend
    if isinstance(error, OutcomeUnknown):
        return "pending", (
            f"The connection to {label} dropped during the {what}; Tillcard is checking "
            "whether it went through."
        )
    if isinstance(error, BackendUnavailable):
        return "rejected", f"{label} cannot be reached right now; nothing was changed."
    if isinstance(error, Unauthorized):
        return "rejected", f"{label} refused Tillcard's login. Ask a manager to check Settings."
    if isinstance(error, NotFound):
        return "rejected", f"{error.message}. Look the card up again."
    if isinstance(error, Rejected):
        return "rejected", f"{label} refused: {error.message}"
    return "rejected", f"{label} could not do the {what}: {error.message}"


def _why_not_answered(entry: Entry, known_offline: bool) -> str:
    """The back-end's last failure as the journal has it ("did not accept the API token" tells
    a manager what to fix); else offline if the connectivity monitor says so, or only slow."""
    reason = (entry.reason or "").strip().rstrip(".")
    state = "is offline" if known_offline else "is not answering"
    return reason or f"{entry.provider.label} {state}"


def _pending_message(entry: Entry, offline: bool, known_offline: bool = False) -> str:
    if entry.state is EntryState.UNKNOWN:
        return (
            f"PENDING: the answer from {entry.provider.label} was lost; Tillcard is checking "
            "whether it went through and will finish it exactly once."
        )
    if offline:
        return (
            f"PENDING: {_why_not_answered(entry, known_offline)}. {entry.description} is saved "
            f"on this till and will be sent exactly once when {entry.provider.label} answers "
            "again."
        )
    return (
        f"PENDING: still waiting for {entry.provider.label}; Tillcard will finish "
        f"{entry.description.lower()} in the background."
    )


class CardActions:
    """The cashier's verbs, one code path for the screen and the CLI."""

    def __init__(self, till: Till) -> None:
        self.till = till
        self.backends = till.backends

    # ------------------------------------------------------------------ verbs

    async def redeem(
        self, match: Match, amount: Money, approve: Approve | None = None
    ) -> ActionResult:
        subject = match.subject
        if not isinstance(subject, GiftCard | CampaignBalance):
            return ActionResult("rejected", "This card has no balance to redeem from.")
        try:
            operation = Redeem(subject, amount)
        except DomainError as exc:
            return ActionResult("rejected", str(exc))
        return await self._submit(operation, match, approve)

    async def add_stamps(
        self, match: Match, stamps: int, approve: Approve | None = None
    ) -> ActionResult:
        card = match.subject
        if not isinstance(card, StampCard) or match.owner_id is None:
            return ActionResult("rejected", "Stamps can only be added to a stamp card.")
        try:
            operation = AddStamps(card, stamps)
        except DomainError as exc:
            return ActionResult("rejected", str(exc))
        return await self._submit(operation, match, approve)

    async def redeem_reward(
        self, match: Match, reward_id: str, approve: Approve | None = None
    ) -> ActionResult:
        card, reward = match.subject, match.reward(reward_id)
        if reward is None or not isinstance(card, StampCard | CampaignBalance):
            return ActionResult("rejected", "That reward is not offered on this card.")
        try:
            operation = RedeemReward(card, reward)
        except (DomainError, TypeError) as exc:
            return ActionResult("rejected", str(exc))
        return await self._submit(operation, match, approve)

    async def undo(self, ticket: UndoTicket, match: Match | None = None) -> ActionResult:
        """Reverse a redemption: a LoyaltyDog refund, or a ClientToolbox transaction delete.

        Journaled like everything else; by default it needs the back-end to answer (the policy
        for refunds is ``require_online``), since a refund must see the card's real history.
        """
        if ticket.provider is Provider.CLIENTTOOLBOX and ticket.campaign_id is None:
            return ActionResult("rejected", f"{ticket.provider.label} cannot undo this.")
        if ticket.provider is Provider.LEAL or not ticket.amount.is_positive:
            return ActionResult("rejected", f"{ticket.provider.label} cannot undo this.")
        blocked = undo_blocked(self.till, ticket.reference)
        if blocked is not None:
            return ActionResult("rejected", blocked)
        entry = refund_entry(
            provider=ticket.provider,
            amount=ticket.amount,
            original=ticket.reference or ticket.transaction_id,
            card=(
                f"{ticket.card_id}/{ticket.campaign_id}"
                if ticket.provider is Provider.CLIENTTOOLBOX
                else ticket.card_id
            ),
            masked=ticket.masked,
            transaction_id=ticket.transaction_id,
            terminal=self.till.terminal,
            cashier=self.till.cashier,
        )
        mode = self.till.config.policy.mode_for(OperationKind.REFUND)
        result = await self._journal_and_send(entry, check_offline_refund(mode), mode, None, match)
        if result.ok:
            return replace(result, message=f"Undone: {result.message}")
        return result

    async def refresh(self, match: Match) -> ActionResult:
        try:
            fresh = await self._refresh(match)
        except BackendError as exc:
            state, message = explain(exc, "refresh")
            return ActionResult(state, message)
        if fresh is None:
            return ActionResult("rejected", "The card is no longer found on the back-end.")
        return ActionResult("done", "Card refreshed.", match=fresh)

    # ------------------------------------------------------------------ policy and journal

    def _offline_decision(
        self, operation: Redeem | AddStamps | RedeemReward, match: Match, mode: OnlineMode
    ) -> OfflineDecision:
        """Architecture §3, from what this till saw online and what it has not synced yet."""
        if isinstance(operation, AddStamps):
            return check_offline_add_stamps(mode)
        till = self.till
        seen = till.cards.seen(match)
        cached = (till.cards.read(seen) if seen is not None else None) or match
        age: timedelta | None = None if seen is None else utc_now() - seen.seen_at
        since = None if seen is None else seen.seen_at
        key = card_key(match)
        if isinstance(operation, Redeem):
            rules = till.config.policy.redeem
            currency = operation.amount.currency
            spent, _ = till.operations.spent_since(operation.provider, key, since, currency)
            assert spent is not None
            balance = cached.balance if cached.balance is not None else Money.zero(currency)
            return check_offline_redeem(
                operation.amount,
                balance,
                spent,
                terminal_pending_total=till.operations.pending_money(currency),
                card_seen_age=age,
                per_transaction_cap=rules.per_transaction_cap,
                terminal_cap=rules.terminal_cap,
                max_age=rules.max_card_age,
                mode=mode,
            )
        _, units = till.operations.spent_since(operation.provider, key, since, None)
        have = cached.stamps if cached.stamps is not None else (cached.count or 0)
        if age is None:
            return OfflineDecision(
                Verdict.DENY, ("This card has not been checked online on this till",)
            )
        return check_offline_redeem_reward(operation.cost, max(0, have), units, mode=mode)

    async def _submit(
        self, operation: Redeem | AddStamps | RedeemReward, match: Match, approve: Approve | None
    ) -> ActionResult:
        mode = self.till.config.policy.mode_for(operation.kind)
        decision = self._offline_decision(operation, match, mode)
        entry = new_entry(operation, match, terminal=self.till.terminal, cashier=self.till.cashier)
        return await self._journal_and_send(entry, decision, mode, approve, match)

    async def _journal_and_send(
        self,
        new: NewEntry,
        decision: OfflineDecision,
        mode: OnlineMode,
        approve: Approve | None,
        match: Match | None,
    ) -> ActionResult:
        """Commit, send, answer; a failing journal write never leaves the cashier guessing."""
        till = self.till
        known_offline = till.monitor.is_offline(new.provider)
        skip_wait = decision.verdict is not Verdict.DENY and (
            mode is OnlineMode.ALLOW_OFFLINE or known_offline
        )
        try:
            entry = till.operations.add(
                new, state=EntryState.HELD if skip_wait else EntryState.PENDING
            )
        except sqlite3.IntegrityError:
            if new.undo_of is None:
                raise
            # Another till or window journaled an undo of this sale a moment ago.
            why = undo_blocked(till, new.undo_of) or "It is being undone elsewhere."
            return ActionResult("rejected", f"{why} Nothing was changed.", provider=new.provider)
        except (sqlite3.Error, OSError) as exc:
            log.error("journal write failed before %s was sent: %s", new.key[:8], exc)
            return ActionResult(
                "rejected",
                f"Tillcard could not save this operation in its journal ({exc}); nothing was "
                "sent or charged. Free some disk space or call support before trying again.",
                provider=new.provider,
            )
        try:
            if skip_wait:
                return await self._keep_offline(entry, decision, approve, match)
            self._audit(entry, "submitted")
            await till.engine.send_now(entry.key)
            patience = float(till.config.policy.patience_seconds)
            entry = await till.engine.settle(entry.key, patience)
            if entry.state is EntryState.IN_FLIGHT and not decision.allowed:
                entry = await till.engine.settle(entry.key, HARD_WAIT_SECONDS)
            return await self._answer(entry, decision, approve, match)
        except (sqlite3.Error, OSError) as exc:
            log.error("journal write failed after %s was saved: %s", new.key[:8], exc)
            return ActionResult(
                "pending",
                f"Operation {new.key[:8]} is saved, but Tillcard could not update its journal "
                f"({exc}). Do NOT repeat it: it may already have gone through. Ask a manager to "
                "check the pending list (F9).",
                reference=new.key,
                provider=new.provider,
            )

    async def _answer(
        self,
        entry: Entry,
        decision: OfflineDecision,
        approve: Approve | None,
        match: Match | None,
    ) -> ActionResult:
        till = self.till
        if entry.state is EntryState.DONE:
            return await self._done(entry, match)
        if entry.state in (EntryState.REJECTED, EntryState.NEEDS_ATTENTION):
            self._audit(entry, entry.state.value)
            label = entry.provider.label
            return self._result(
                entry,
                "rejected" if entry.state is EntryState.REJECTED else "needs_attention",
                f"{label} refused: {entry.reason}" if entry.reason else f"{label} refused it.",
            )
        if entry.state is EntryState.PENDING:
            # Not sent, or certainly not applied: the offline policy decides now.
            if decision.verdict is Verdict.DENY:
                if till.operations.cancel(entry.key, "not allowed offline"):
                    return self._cancelled(entry, decision)
            elif till.operations.hold(entry.key):
                return await self._keep_offline(
                    till.operations.get(entry.key), decision, approve, match
                )
            # The engine took it up again meanwhile: wait for that attempt instead.
            entry = await till.engine.settle(entry.key, HARD_WAIT_SECONDS)
            return await self._answer(entry, decision, approve, match)
        # In flight past patience, or unknown: it may have reached the back-end; see it through.
        entry = till.operations.promise(entry.key)
        if not entry.state.is_open:
            return await self._answer(entry, decision, approve, match)
        self._audit(entry, "pending")
        return self._result(entry, "pending", _pending_message(entry, offline=False))

    async def _keep_offline(
        self,
        entry: Entry,
        decision: OfflineDecision,
        approve: Approve | None,
        match: Match | None,
    ) -> ActionResult:
        """A held entry becomes PENDING if the policy (or a manager) allows, else is cancelled."""
        till = self.till
        manager: str | None = None
        if decision.verdict is Verdict.NEEDS_MANAGER_PIN:
            manager = await approve(decision) if approve is not None else None
            if manager is None:
                return self._cancel(entry, decision, asked=approve is not None)
            till.audit.record(
                "manager_override",
                {"reference": entry.key, "reasons": list(decision.reasons)},
                "approved",
                cashier=manager,
            )
        elif decision.verdict is Verdict.DENY:
            return self._cancel(entry, decision)
        till.operations.release(entry.key, offline=True)
        entry = till.operations.promise(entry.key)
        till.engine.wake()
        self._audit(entry, "pending offline", manager=manager)
        known_offline = till.monitor.is_offline(entry.provider)
        message = _pending_message(entry, offline=True, known_offline=known_offline)
        return self._result(entry, "pending", message, offline=True)

    def _cancel(
        self, entry: Entry, decision: OfflineDecision, *, asked: bool = True
    ) -> ActionResult:
        """Cancel a held entry (nothing was sent) and say why."""
        self.till.operations.cancel(entry.key, "not allowed offline")
        return self._cancelled(entry, decision, asked=asked)

    def _cancelled(
        self, entry: Entry, decision: OfflineDecision, *, asked: bool = True
    ) -> ActionResult:
        why = decision.message or "this needs a connection"
        if decision.verdict is Verdict.NEEDS_MANAGER_PIN and not asked:
            why += " (give a manager PIN to allow it)"
        elif decision.verdict is Verdict.NEEDS_MANAGER_PIN:
            why += "; no manager approved it"
        known_offline = self.till.monitor.is_offline(entry.provider)
        reason = (
            f"{_why_not_answered(entry, known_offline)}, and this cannot be done offline: {why}"
        )
        self.till.operations.note_reason(entry.key, reason)
        self._audit(self.till.operations.get(entry.key), "cancelled")
        return self._result(entry, "rejected", f"{reason}. Nothing was charged.")

    async def _done(self, entry: Entry, match: Match | None) -> ActionResult:
        result = entry.result or {}
        self._audit(entry, "done")
        fresh = await self._refresh_quietly(match) if match is not None else None
        balance_after: Money | None = None
        if result.get("balance_after") is not None:
            balance_after = Money(Decimal(str(result["balance_after"])), str(result["currency"]))
        elif (
            fresh is not None
            and fresh.balance is not None
            and entry.kind is not OperationKind.ADD_STAMPS
        ):
            balance_after = fresh.balance
        if balance_after is not None and result.get("balance_after") is None:
            # Re-read after the answer: the receipt (and its reprints) show it too.
            till_facts = {
                "balance_after": balance_after.to_api(),
                "currency": balance_after.currency,
            }
            self.till.operations.add_facts(entry.key, till_facts)
        undo = undo_ticket(entry)
        return self._result(
            entry, "done", _done_message(entry, result, balance_after), fresh, balance_after, undo
        )

    def _result(
        self,
        entry: Entry,
        state: State,
        message: str,
        match: Match | None = None,
        balance_after: Money | None = None,
        undo: UndoTicket | None = None,
        *,
        offline: bool = False,
    ) -> ActionResult:
        return ActionResult(
            state,
            message,
            match=match,
            undo=undo,
            reference=entry.key,
            provider=entry.provider,
            balance_after=balance_after,
            offline=offline or entry.offline,
        )

    def _audit(self, entry: Entry, result: str, *, manager: str | None = None) -> None:
        detail: dict[str, Any] = {
            "reference": entry.key,
            "provider": entry.provider.value,
            "kind": entry.kind.value,
            "card": entry.masked,
            "what": entry.description,
        }
        if entry.amount is not None:
            detail["amount"] = entry.amount.to_api()
        if entry.units is not None:
            detail["units"] = entry.units
        if manager is not None:
            detail["approved_by"] = manager
        self.till.audit.record(entry.kind.value, detail, result, cashier=self.till.cashier)

    # ------------------------------------------------------------------ reading cards

    async def _refresh_quietly(self, match: Match) -> Match | None:
        """After a successful change, a failed re-read must not turn success into failure."""
        try:
            return await self._refresh(match)
        except BackendError as exc:
            log.info("refresh after action failed: %s", exc)
            return None

    async def _refresh(self, match: Match) -> Match | None:
        fresh = await self._read(match)
        if fresh is not None:
            self.till.cards.update(fresh)
        return fresh

    async def _read(self, match: Match) -> Match | None:
        subject = match.subject
        if isinstance(subject, GiftCard) and self.backends.gift_cards is not None:
            return gift_card_match(await self.backends.gift_cards.card(subject.id))
        if isinstance(subject, StampCard) and self.backends.stamp_cards is not None:
            assert match.owner_id is not None
            card, redeemable = await self.backends.stamp_cards.stamp_card(
                match.owner_id, subject.id
            )
            return restamp(match, card, redeemable)
        if isinstance(subject, CampaignBalance) and self.backends.points is not None:
            assert match.owner_id is not None
            for account in await self.backends.points.find_accounts(match.owner_id):
                for candidate in points_matches(account):
                    if (
                        isinstance(candidate.subject, CampaignBalance)
                        and candidate.subject.campaign_id == subject.campaign_id
                    ):
                        return candidate
        return None


def undo_blocked(till: Till, reference: str | None) -> str | None:
    """Why a redemption may not be undone again, or None: one undo, never two refunds.

    The journal backs this up: a unique index allows one live undo per redemption, so two tills
    or windows racing past this check cannot both journal one.
    """
    if reference is None:
        return None
    for undo in till.operations.undos_of(reference):
        if undo.state is EntryState.DONE:
            return f"Already undone (ref {undo.key[:8]})."
        if undo.state in (EntryState.NEEDS_ATTENTION, EntryState.RESOLVED):
            # Refused after the till said PENDING: the manager settles it (perhaps by hand), so
            # a second undo here could pay the customer twice.
            return f"An earlier undo (ref {undo.key[:8]}) is for a manager to settle."
        if undo.state not in (EntryState.REJECTED, EntryState.CANCELLED):
            return (
                f"An undo of this is already on its way (ref {undo.key[:8]}, "
                f"{undo.state.value.replace('_', ' ')})."
            )
    return None


def undo_ticket(entry: Entry) -> UndoTicket | None:
    """How to reverse a confirmed redemption, where the back-end allows it."""
    transaction = (entry.result or {}).get("transaction_id")
    if entry.kind is not OperationKind.REDEEM or not transaction or entry.amount is None:
        return None
    if entry.provider is Provider.LOYALTYDOG:
        return UndoTicket(
            Provider.LOYALTYDOG,
            entry.description,
            entry.amount,
            entry.card,
            str(transaction),
            reference=entry.key,
            masked=entry.masked,
        )
    if entry.provider is not Provider.CLIENTTOOLBOX:
        return None
    code, campaign = card_parts(entry.card)
    return UndoTicket(
        Provider.CLIENTTOOLBOX,
        entry.description,
        entry.amount,
        code,
        str(transaction),
        campaign_id=campaign,
        reference=entry.key,
        masked=entry.masked,
    )


def _done_message(entry: Entry, result: dict[str, Any], balance_after: Money | None) -> str:
    if entry.kind is OperationKind.ADD_STAMPS:
        after = result.get("stamps_after")
        required = result.get("stamps_required")
        word = "stamp" if entry.units == 1 else "stamps"
        tail = f": {after} of {required}." if after is not None and required else "."
        return f"Added {entry.units} {word}{tail}"
    if entry.kind is OperationKind.REDEEM_REWARD:
        return f"Reward redeemed: {entry.description}."
    if entry.kind is OperationKind.REFUND:
        tail = f" New balance {balance_after.format()}." if balance_after else ""
        return f"{entry.amount.format() if entry.amount else ''} given back.{tail}".strip()
    amount = entry.amount.format() if entry.amount else ""
    tail = f" New balance {balance_after.format()}." if balance_after else ""
    return f"Redeemed {amount}.{tail}"


__all__ = [
    "ActionResult",
    "Approve",
    "CardActions",
    "UndoTicket",
    "explain",
    "undo_blocked",
    "undo_ticket",
]
