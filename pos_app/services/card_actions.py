"""What the cashier does to a card: redeem, add stamps, redeem a reward, undo, refresh.

Each action validates through the domain first (nothing is sent for a refused amount), then
calls the back-end, and always answers with an :class:`ActionResult` in cashier language — an
exception never reaches the screen. The idempotency key is born with the domain operation, so a
LoyaltyDog retry can never double a redemption.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from pos_app.domain import (
    AddStamps,
    CampaignBalance,
    DomainError,
    GiftCard,
    Money,
    PointsReward,
    Provider,
    Redeem,
    RedeemReward,
    Reward,
    StampCard,
    new_idempotency_key,
)
from pos_app.providers.errors import (
    BackendError,
    BackendUnavailable,
    NotFound,
    OutcomeUnknown,
    Rejected,
    Unauthorized,
)
from pos_app.providers.factory import Backends
from pos_app.services.lookup import Match, gift_card_match, points_matches, restamp

log = logging.getLogger(__name__)

State = Literal["done", "rejected", "unknown", "unavailable"]


@dataclass(frozen=True)
class UndoTicket:
    """Enough to reverse one action where the API allows it (LoyaltyDog refund, CTB delete)."""

    provider: Provider
    description: str
    amount: Money
    card_id: str
    transaction_id: str
    campaign_id: str | None = None


@dataclass(frozen=True)
class ActionResult:
    state: State
    message: str
    match: Match | None = None
    undo: UndoTicket | None = None
    remainder: Money | None = None

    @property
    def ok(self) -> bool:
        return self.state == "done"


def explain(error: BackendError, what: str) -> tuple[State, str]:
    """The one sentence a cashier needs, by what the error means for the customer's money."""
    label = error.backend
    if isinstance(error, OutcomeUnknown):
        return "unknown", (
            f"The connection to {label} dropped during the {what}; it may or may not have gone "
            "through. Refresh the card (F5) to check before trying again."
        )
    if isinstance(error, BackendUnavailable):
        return "unavailable", f"{label} cannot be reached right now; nothing was changed."
    if isinstance(error, Unauthorized):
        return "rejected", f"{label} refused Tillcard's login. Ask a manager to check Settings."
    if isinstance(error, NotFound):
        return "rejected", f"{error.message}. Look the card up again."
    if isinstance(error, Rejected):
        return "rejected", f"{label} refused: {error.message}"
    return "rejected", f"{label} could not do the {what}: {error.message}"


class CardActions:
    """The cashier's verbs, one code path for the screen and the CLI."""

    def __init__(self, backends: Backends) -> None:
        self.backends = backends

    async def redeem(self, match: Match, amount: Money) -> ActionResult:
        subject = match.subject
        if not isinstance(subject, GiftCard | CampaignBalance):
            return ActionResult("rejected", "This card has no balance to redeem from.")
        try:
            operation = Redeem(subject, amount)
        except DomainError as exc:
            return ActionResult("rejected", str(exc))
        try:
            if isinstance(subject, GiftCard):
                assert self.backends.gift_cards is not None
                move = await self.backends.gift_cards.redeem(
                    subject,
                    amount,
                    idempotency_key=operation.key,
                    reference=operation.short_reference,
                )
                fresh = await self._refresh_quietly(match)
                undo = None
                if move.transaction_id:
                    undo = UndoTicket(
                        Provider.LOYALTYDOG,
                        operation.describe(),
                        amount,
                        subject.id,
                        move.transaction_id,
                    )
                return ActionResult(
                    "done",
                    f"Redeemed {amount.format()}. New balance {move.balance_after.format()}.",
                    match=fresh,
                    undo=undo,
                )
            assert self.backends.points is not None
            assert subject.customer_code is not None
            activity = await self.backends.points.redeem_amount(
                subject.customer_code,
                subject.campaign_id,
                amount,
                authorization=operation.reference,
            )
        except BackendError as exc:
            state, message = explain(exc, "redemption")
            return ActionResult(state, message)
        fresh = await self._refresh_quietly(match)
        undo = None
        if activity.transaction_id:
            undo = UndoTicket(
                Provider.CLIENTTOOLBOX,
                operation.describe(),
                amount,
                subject.customer_code,
                activity.transaction_id,
                campaign_id=subject.campaign_id,
            )
        after = f" New balance {fresh.balance.format()}." if fresh and fresh.balance else ""
        return ActionResult("done", f"Redeemed {amount.format()}.{after}", match=fresh, undo=undo)

    async def add_stamps(self, match: Match, stamps: int) -> ActionResult:
        card = match.subject
        if not isinstance(card, StampCard) or match.owner_id is None:
            return ActionResult("rejected", "Stamps can only be added to a stamp card.")
        try:
            AddStamps(card, stamps)
        except DomainError as exc:
            return ActionResult("rejected", str(exc))
        assert self.backends.stamp_cards is not None
        try:
            updated = await self.backends.stamp_cards.add_stamps(match.owner_id, card.id, stamps)
        except BackendError as exc:
            state, message = explain(exc, "stamping")
            return ActionResult(state, message)
        fresh = await self._refresh_quietly(match)
        word = "stamp" if stamps == 1 else "stamps"
        return ActionResult(
            "done",
            f"Added {stamps} {word}: {updated.stamps_count} of {updated.stamps_required}.",
            match=fresh,
        )

    async def redeem_reward(self, match: Match, reward_id: str) -> ActionResult:
        card, reward = match.subject, match.reward(reward_id)
        if reward is None or not isinstance(card, StampCard | CampaignBalance):
            return ActionResult("rejected", "That reward is not offered on this card.")
        try:
            operation = RedeemReward(card, reward)
        except (DomainError, TypeError) as exc:
            return ActionResult("rejected", str(exc))
        name = reward.name if isinstance(reward, Reward) else reward.description
        try:
            if isinstance(card, StampCard):
                assert self.backends.stamp_cards is not None
                assert match.owner_id is not None
                await self.backends.stamp_cards.redeem_reward(match.owner_id, card.id, reward.id)
            else:
                assert isinstance(reward, PointsReward)
                assert card.customer_code is not None
                assert self.backends.points is not None
                await self.backends.points.redeem_reward(
                    card.customer_code,
                    card.campaign_id,
                    reward.id,
                    authorization=operation.reference,
                )
        except BackendError as exc:
            state, message = explain(exc, "reward redemption")
            return ActionResult(state, message)
        fresh = await self._refresh_quietly(match)
        return ActionResult("done", f"Reward redeemed: {name}.", match=fresh)

    async def undo(self, ticket: UndoTicket, match: Match | None = None) -> ActionResult:
        """Reverse a redemption: a LoyaltyDog refund, or a ClientToolbox transaction delete.

        ``match`` is the card on screen, re-read afterwards so the cashier sees the new balance.
        """
        try:
            if ticket.provider is Provider.LOYALTYDOG:
                assert self.backends.gift_cards is not None
                move = await self.backends.gift_cards.refund(
                    ticket.card_id,
                    ticket.transaction_id,
                    ticket.amount,
                    idempotency_key=new_idempotency_key(),
                    reason="Undone at the till",
                )
                return ActionResult(
                    "done",
                    f"Undone: {ticket.amount.format()} refunded. "
                    f"New balance {move.balance_after.format()}.",
                    match=await self._refresh_quietly(match) if match else None,
                )
            if ticket.provider is Provider.CLIENTTOOLBOX and ticket.campaign_id is not None:
                assert self.backends.points is not None
                await self.backends.points.delete_transaction(
                    ticket.card_id, ticket.campaign_id, ticket.transaction_id
                )
                return ActionResult(
                    "done",
                    f"Undone: {ticket.description}.",
                    match=await self._refresh_quietly(match) if match else None,
                )
        except BackendError as exc:
            state, message = explain(exc, "undo")
            return ActionResult(state, message)
        return ActionResult("rejected", f"{ticket.provider.label} cannot undo this.")

    async def refresh(self, match: Match) -> ActionResult:
        try:
            fresh = await self._refresh(match)
        except BackendError as exc:
            state, message = explain(exc, "refresh")
            return ActionResult(state, message)
        if fresh is None:
            return ActionResult("rejected", "The card is no longer found on the back-end.")
        return ActionResult("done", "Card refreshed.", match=fresh)

    async def _refresh_quietly(self, match: Match) -> Match | None:
        """After a successful change, a failed re-read must not turn success into failure."""
        try:
            return await self._refresh(match)
        except BackendError as exc:
            log.info("refresh after action failed: %s", exc)
            return None

    async def _refresh(self, match: Match) -> Match | None:
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
