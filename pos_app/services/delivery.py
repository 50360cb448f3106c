"""How each back-end's journaled operations are described, sent and reconciled.

An entry's payload holds everything needed to send it after a restart, written when the
cashier acted. Reconciliation follows each API's own evidence: LoyaltyDog deduplicates by
``Idempotency-Key`` (resending is the check), Leal has no key so the card is re-read and compared
with the reading taken just before sending, and ClientToolbox's history carries our reference in
``authorization``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from pos_app.domain import (
    AddStamps,
    CampaignBalance,
    GiftCard,
    Money,
    OperationKind,
    Provider,
    Redeem,
    RedeemReward,
    StampCard,
    new_idempotency_key,
)
from pos_app.journal.pending_operations import Entry, NewEntry, utc_now
from pos_app.journal.sync import Ambiguous, Applied, Delivery, NotApplied, Reconciled
from pos_app.providers.errors import InvalidRequest, NotFound
from pos_app.providers.protocols import GiftCardProvider, PointsProvider, StampCardProvider
from pos_app.services.card_snapshots import match_from_json, match_to_json
from pos_app.services.lookup import Match

__all__ = [
    "ClientToolboxDelivery",
    "LealDelivery",
    "LoyaltyDogDelivery",
    "card_key",
    "card_parts",
    "deliveries_for",
    "new_entry",
    "refund_entry",
]

#: How far back a card's history is searched for our reference.
HISTORY_WINDOW = 100
#: LoyaltyDog stores an Idempotency-Key for 24 h; an hour's margin for clocks and queues.
IDEMPOTENCY_KEY_LIFETIME = timedelta(hours=23)


def card_key(match: Match) -> str:
    """One key per card per back-end: the journal's FIFO unit and the card cache's row."""
    subject = match.subject
    if isinstance(subject, GiftCard):
        return subject.id
    if isinstance(subject, StampCard):
        return f"{match.owner_id}/{subject.id}"
    if isinstance(subject, CampaignBalance):
        return f"{subject.customer_code or match.owner_id}/{subject.campaign_id}"
    raise ValueError("this result is not a card Tillcard can change")


def card_parts(card: str) -> tuple[str, str]:
    """The two halves of a Leal or ClientToolbox :func:`card_key` (owner, then card/campaign)."""
    owner, _, part = card.rpartition("/")
    return owner, part


def _money(data: dict[str, Any], name: str = "amount") -> Money:
    return Money(Decimal(str(data[name])), str(data["currency"]))


def new_entry(
    operation: Redeem | AddStamps | RedeemReward,
    match: Match,
    *,
    terminal: str,
    cashier: str | None = None,
) -> NewEntry:
    """The journal row for a cashier's operation, self-contained for sending after a restart."""
    payload: dict[str, Any] = {"snapshot": match_to_json(match)}
    amount: Money | None = None
    units: int | None = None
    if isinstance(operation, Redeem):
        amount = operation.amount
        payload |= {"amount": amount.to_api(), "currency": amount.currency}
        payload["reference"] = operation.reference  # LoyaltyDog keeps it as posTransactionId
    elif isinstance(operation, AddStamps):
        units = operation.stamps
        payload["stamps"] = operation.stamps
    else:
        units = operation.cost
        payload["reward_id"] = operation.reward.id
        payload["cost"] = operation.cost
    return NewEntry(
        key=operation.key,
        provider=operation.provider,
        kind=operation.kind,
        card=card_key(match),
        payload=payload,
        masked=match.masked_number,
        description=operation.describe(),
        terminal=terminal,
        cashier=cashier,
        amount=amount,
        units=units,
        created_at=operation.created_at,
    )


def refund_entry(
    *,
    provider: Provider,
    amount: Money,
    original: str,
    card: str,
    masked: str,
    transaction_id: str,
    terminal: str,
    cashier: str | None = None,
) -> NewEntry:
    """Undo of a redemption: a LoyaltyDog refund, or a ClientToolbox transaction delete."""
    payload: dict[str, Any] = {
        "transaction_id": transaction_id,
        "amount": amount.to_api(),
        "currency": amount.currency,
        "original": original,
    }
    return NewEntry(
        key=new_idempotency_key(),
        provider=provider,
        kind=OperationKind.REFUND,
        card=card,
        payload=payload,
        masked=masked,
        description=f"Undo: {amount.format()} back to {masked} (redemption {original[:8]})",
        terminal=terminal,
        cashier=cashier,
        amount=amount,
        undo_of=original,
    )


def refusal_advice(entry: Entry) -> str:
    """The next step for a manager when an operation promised at the till is refused later."""
    amount = entry.amount.format() if entry.amount is not None else ""
    if entry.kind is OperationKind.REDEEM:
        return (
            f"The card did not pay {amount}: collect it from the customer another way "
            "(or note why not), then resolve this"
        )
    if entry.kind is OperationKind.ADD_STAMPS:
        return "The stamps were not added: add them in the back-end's dashboard if still due"
    if entry.kind is OperationKind.REDEEM_REWARD:
        return (
            "The reward was handed over but not recorded: note it, or charge for it, "
            "then resolve this"
        )
    return f"The customer did not get {amount} back: refund them another way, then resolve this"


def _snapshot(entry: Entry) -> Match:
    return match_from_json(entry.payload["snapshot"])


class _Shared:
    """What every back-end's delivery does alike: the manager's advice, the card key's halves."""

    def advice(self, entry: Entry) -> str:
        return refusal_advice(entry)

    def _ids(self, entry: Entry) -> tuple[str, str]:
        return card_parts(entry.card)


@dataclass
class LoyaltyDogDelivery(_Shared, Delivery):
    """Every LoyaltyDog move carries the entry key as ``Idempotency-Key``: resends are replays."""

    client: GiftCardProvider

    def idempotent(self, entry: Entry) -> bool:
        """LoyaltyDog keeps a key 24 h; after that a resend could debit twice, so look first."""
        sent = entry.first_sent_at
        return sent is None or utc_now() - sent < IDEMPOTENCY_KEY_LIFETIME

    async def before_send(self, entry: Entry) -> dict[str, Any] | None:
        return None

    async def send(self, entry: Entry) -> dict[str, Any]:
        data = entry.payload
        if entry.kind is OperationKind.REDEEM:
            card = _snapshot(entry).subject
            if not isinstance(card, GiftCard):
                raise InvalidRequest("LoyaltyDog", "The journaled card is not a gift card")
            move = await self.client.redeem(
                card, _money(data), idempotency_key=entry.key, reference=data.get("reference")
            )
        elif entry.kind is OperationKind.REFUND:
            move = await self.client.refund(
                entry.card,
                str(data["transaction_id"]),
                _money(data),
                idempotency_key=entry.key,
                reason="Undone at the till",
            )
        else:
            raise InvalidRequest("LoyaltyDog", f"LoyaltyDog cannot do {entry.kind.value}")
        return {
            "transaction_id": move.transaction_id,
            "balance_after": move.balance_after.to_api(),
            "currency": move.balance_after.currency,
        }

    async def reconcile(self, entry: Entry) -> Reconciled:
        """Only for a key too old to be deduplicated: find our reference in the card's history."""
        if entry.kind is not OperationKind.REDEEM:
            return Ambiguous(
                "The refund's answer was lost more than a day ago; check the card's history "
                "in LoyaltyDog before refunding again"
            )
        reference = str(entry.payload.get("reference", ""))
        sent = entry.first_sent_at
        offset = 0
        while offset < HISTORY_WINDOW:
            page = await self.client.history(entry.card, offset=offset, limit=50)
            for line in page.transactions:
                if line.pos_transaction_id == reference:
                    return Applied({"transaction_id": line.id, "reconciled": "found in history"})
                if sent is not None and line.created_at < sent:
                    return NotApplied("not in the card's history since it was first sent")
            if not page.has_more:
                return NotApplied("not in the card's history")
            offset += len(page.transactions) or 50
        return Ambiguous(
            "LoyaltyDog's recent history does not reach back to this redemption; check the "
            "card's transactions by hand"
        )


@dataclass
class LealDelivery(_Shared, Delivery):
    """Leal has no idempotency: read the card before sending, and compare after a lost answer."""

    client: StampCardProvider

    def idempotent(self, entry: Entry) -> bool:
        return False

    async def before_send(self, entry: Entry) -> dict[str, Any] | None:
        card, _ = await self.client.stamp_card(*self._ids(entry))
        return {"stamps": card.stamps_count, "stamps_required": card.stamps_required}

    async def send(self, entry: Entry) -> dict[str, Any]:
        customer, card = self._ids(entry)
        if entry.kind is OperationKind.ADD_STAMPS:
            updated = await self.client.add_stamps(customer, card, int(entry.payload["stamps"]))
            return {
                "stamps_after": updated.stamps_count,
                "stamps_required": updated.stamps_required,
            }
        if entry.kind is OperationKind.REDEEM_REWARD:
            done = await self.client.redeem_reward(customer, card, str(entry.payload["reward_id"]))
            return {
                "redemption_id": done.redemption_id,
                "reward_name": done.reward_name,
                "stamps_after": done.stamps_remaining,
            }
        raise InvalidRequest("Leal", f"Leal cannot do {entry.kind.value}")

    async def reconcile(self, entry: Entry) -> Reconciled:
        if entry.before is None:
            return NotApplied("never sent")
        card, _ = await self.client.stamp_card(*self._ids(entry))
        before = int(entry.before["stamps"])
        now = card.stamps_count
        change = int(entry.units or 0)
        expected = before + change if entry.kind is OperationKind.ADD_STAMPS else before - change
        if now == expected:
            return Applied({"stamps_after": now, "reconciled": "card re-read"})
        if now == before:
            return NotApplied("the card is as it was before sending")
        return Ambiguous(
            f"The card had {before} stamps before sending and has {now} now; this operation "
            f"expected {expected}. Another till may have changed it: check the card with the "
            "customer and resolve by hand.",
            {"stamps_before": before, "stamps_now": now, "stamps_expected": expected},
        )


@dataclass
class ClientToolboxDelivery(_Shared, Delivery):
    """ClientToolbox writes our reference into ``authorization``; its history is the evidence."""

    client: PointsProvider

    def idempotent(self, entry: Entry) -> bool:
        return False

    async def before_send(self, entry: Entry) -> dict[str, Any] | None:
        return None

    async def send(self, entry: Entry) -> dict[str, Any]:
        code, campaign = self._ids(entry)
        data = entry.payload
        if entry.kind is OperationKind.REDEEM:
            activity = await self.client.redeem_amount(
                code, campaign, _money(data), authorization=entry.key
            )
        elif entry.kind is OperationKind.REDEEM_REWARD:
            activity = await self.client.redeem_reward(
                code, campaign, str(data["reward_id"]), authorization=entry.key
            )
        elif entry.kind is OperationKind.REFUND:
            activity = await self.client.delete_transaction(
                code, campaign, str(data["transaction_id"])
            )
        else:
            raise InvalidRequest("ClientToolbox", f"ClientToolbox cannot do {entry.kind.value}")
        return {"transaction_id": activity.transaction_id}

    async def reconcile(self, entry: Entry) -> Reconciled:
        code, campaign = self._ids(entry)
        try:
            history = await self.client.history(code, campaign, transactions=HISTORY_WINDOW)
        except NotFound:
            return Ambiguous("The customer is no longer found on ClientToolbox")
        lines = history.transactions
        if entry.kind is OperationKind.REFUND:
            target = str(entry.payload["transaction_id"])
            if any(line.id == target for line in lines):
                return NotApplied("the transaction is still there")
            if len(lines) < HISTORY_WINDOW:
                return Applied({"transaction_id": target, "reconciled": "transaction gone"})
            return Ambiguous("Too many newer transactions to tell whether the undo went through")
        for line in lines:
            if line.matches_reference(entry.key):
                return Applied({"transaction_id": line.id, "reconciled": "found in history"})
        sent = entry.first_sent_at
        covers = len(lines) < HISTORY_WINDOW or (
            sent is not None and min(line.date for line in lines) <= sent
        )
        if covers:
            return NotApplied("not in the card's history")
        return Ambiguous(
            "ClientToolbox's recent history does not reach back to this operation; "
            "check the customer's transactions by hand"
        )


def deliveries_for(
    gift_cards: GiftCardProvider | None,
    stamp_cards: StampCardProvider | None,
    points: PointsProvider | None,
) -> dict[Provider, Delivery]:
    found: dict[Provider, Delivery] = {}
    if gift_cards is not None:
        found[Provider.LOYALTYDOG] = LoyaltyDogDelivery(gift_cards)
    if stamp_cards is not None:
        found[Provider.LEAL] = LealDelivery(stamp_cards)
    if points is not None:
        found[Provider.CLIENTTOOLBOX] = ClientToolboxDelivery(points)
    return found
