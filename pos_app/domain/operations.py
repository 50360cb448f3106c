"""What a cashier does to a card, as immutable records journaled before any network call.

Each operation gets its idempotency key at birth (a UUID4 string). The same key is the
LoyaltyDog ``Idempotency-Key``, the ClientToolbox ``authorization`` text and the reference
printed on the receipt, so a retried or reconciled operation is always recognisable.

Constructors check the operation against the card *snapshot* it carries and its own
``created_at``; the result depends only on stored fields, so a journaled operation can be
rebuilt later (passing ``key`` and ``created_at``) and passes the same checks.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import ClassVar, Final

from pos_app.domain._checks import require_aware
from pos_app.domain.backends import Provider
from pos_app.domain.errors import OperationError
from pos_app.domain.gift_cards import GiftCard, GiftCardTransaction
from pos_app.domain.money import Money
from pos_app.domain.points import CampaignBalance, PointsReward, points_reward_refusal
from pos_app.domain.stamp_cards import Reward, StampCard, reward_refusal

__all__ = [
    "MAX_STAMPS_PER_OPERATION",
    "AddStamps",
    "AnyOperation",
    "Operation",
    "OperationKind",
    "Redeem",
    "RedeemReward",
    "Refund",
    "new_idempotency_key",
]

#: Enough to fill the largest Leal template (21) at once; a "100" is a typo, not a purchase.
MAX_STAMPS_PER_OPERATION: Final = 25


class OperationKind(StrEnum):
    """Operation names as the sandbox ledger and ``pos-app queue --json`` spell them."""

    REDEEM = "redeem"
    ADD_STAMPS = "stamp"
    REDEEM_REWARD = "redeem_reward"
    REFUND = "refund"


def new_idempotency_key() -> str:
    return str(uuid.uuid4())


def _now() -> datetime:
    return datetime.now(UTC)


def _stamps_text(count: int) -> str:
    return "1 stamp" if count == 1 else f"{count} stamps"


@dataclass(frozen=True, kw_only=True)
class Operation(ABC):
    """Fields and checks every operation shares; ``key`` and ``created_at`` default at birth."""

    kind: ClassVar[OperationKind]

    key: str = field(default_factory=new_idempotency_key)
    created_at: datetime = field(default_factory=_now)

    def __post_init__(self) -> None:
        if not isinstance(self.key, str):
            raise TypeError("key must be a UUID string")
        try:
            canonical: str | None = str(uuid.UUID(self.key))
        except ValueError:
            canonical = None
        if canonical != self.key:
            raise ValueError(f"key must be a lower-case UUID string, not {self.key[:40]!r}")
        require_aware(self.created_at, "created_at")

    @property
    def reference(self) -> str:
        """The POS reference for receipts and back-ends: the idempotency key itself."""
        return self.key

    @property
    def short_reference(self) -> str:
        """First 8 characters of the reference, enough for a cashier to read out."""
        return self.key[:8]

    @property
    @abstractmethod
    def provider(self) -> Provider:
        """The back-end this operation goes to."""

    @abstractmethod
    def describe(self) -> str:
        """One short line for the receipt and the audit trail."""


def _target_name(card: GiftCard | CampaignBalance) -> str:
    if isinstance(card, GiftCard):
        return f"gift card {card.masked_number}"
    return f"{card.name or 'campaign ' + card.campaign_id} (ClientToolbox)"


@dataclass(frozen=True)
class Redeem(Operation):
    """Take ``amount`` off a gift card (LoyaltyDog) or a stored-value campaign (ClientToolbox)."""

    kind: ClassVar[OperationKind] = OperationKind.REDEEM

    card: GiftCard | CampaignBalance
    amount: Money

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.amount, Money):
            raise TypeError("amount must be Money")
        if not self.amount.is_positive:
            raise OperationError("The amount must be more than zero")
        if isinstance(self.card, GiftCard):
            refusal = self.card.redeem_refusal(self.created_at, self.amount)
        elif isinstance(self.card, CampaignBalance):
            refusal = _stored_value_refusal(self.card, self.amount)
        else:
            raise TypeError("Redeem needs a GiftCard or a CampaignBalance")
        if refusal is not None:
            raise OperationError(refusal)

    @property
    def provider(self) -> Provider:
        return Provider.LOYALTYDOG if isinstance(self.card, GiftCard) else Provider.CLIENTTOOLBOX

    @property
    def balance_before(self) -> Money:
        if isinstance(self.card, GiftCard):
            return self.card.balance
        money = self.card.money
        assert money is not None  # guaranteed by __post_init__
        return money

    @property
    def expected_balance_after(self) -> Money:
        """What the card should hold afterwards, for a PENDING receipt before the server answers."""
        return self.balance_before - self.amount

    def describe(self) -> str:
        return f"Redeem {self.amount.format()} from {_target_name(self.card)}"


def _stored_value_refusal(balance: CampaignBalance, amount: Money) -> str | None:
    money = balance.money
    if money is None or not balance.type.holds_money:
        return f"{balance.name or 'This campaign'} holds {balance.type.value}, not money"
    if balance.customer_code is None:
        return "The customer's ClientToolbox code is missing; look the card up again"
    if amount > money:
        return f"Not enough balance: {money.format()} available"
    return None


@dataclass(frozen=True)
class AddStamps(Operation):
    """Give ``stamps`` stamps on a Leal stamp card (earning: always safe, even offline)."""

    kind: ClassVar[OperationKind] = OperationKind.ADD_STAMPS

    card: StampCard
    stamps: int

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.card, StampCard):
            raise TypeError("AddStamps needs a StampCard")
        if isinstance(self.stamps, bool) or not isinstance(self.stamps, int):
            raise TypeError("stamps must be a whole number")
        if self.stamps < 1:
            raise OperationError("Add at least 1 stamp")
        if self.stamps > MAX_STAMPS_PER_OPERATION:
            raise OperationError(f"At most {MAX_STAMPS_PER_OPERATION} stamps at once")

    @property
    def provider(self) -> Provider:
        return Provider.LEAL

    @property
    def expected_stamps_after(self) -> int:
        return self.card.stamps_count + self.stamps

    def describe(self) -> str:
        card = self.card
        return (
            f"Add {_stamps_text(self.stamps)} to {card.template_name}"
            f" ({card.stamps_count} → {self.expected_stamps_after} of {card.stamps_required})"
        )


@dataclass(frozen=True)
class RedeemReward(Operation):
    """Spend stamps (Leal) or points/visits (ClientToolbox) on one reward."""

    kind: ClassVar[OperationKind] = OperationKind.REDEEM_REWARD

    card: StampCard | CampaignBalance
    reward: Reward | PointsReward

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.card, StampCard) and isinstance(self.reward, Reward):
            refusal = reward_refusal(self.card, self.reward)
        elif isinstance(self.card, CampaignBalance) and isinstance(self.reward, PointsReward):
            refusal = points_reward_refusal(self.card, self.reward)
            if refusal is None and self.card.customer_code is None:
                refusal = "The customer's ClientToolbox code is missing; look the card up again"
        else:
            raise TypeError(
                "Pair a StampCard with a Reward, or a CampaignBalance with a PointsReward"
            )
        if refusal is not None:
            raise OperationError(refusal)

    @property
    def provider(self) -> Provider:
        return Provider.LEAL if isinstance(self.card, StampCard) else Provider.CLIENTTOOLBOX

    @property
    def cost(self) -> int:
        return self.reward.cost if isinstance(self.reward, Reward) else self.reward.level

    def describe(self) -> str:
        if isinstance(self.card, StampCard) and isinstance(self.reward, Reward):
            return (
                f"Redeem reward '{self.reward.name}' ({self.reward.cost_text})"
                f" on {self.card.template_name}"
            )
        assert isinstance(self.card, CampaignBalance)
        assert isinstance(self.reward, PointsReward)
        cost = self.card.type.count_text(self.reward.level)
        return f"Redeem reward '{self.reward.description}' ({cost}) on {_target_name(self.card)}"


@dataclass(frozen=True)
class Refund(Operation):
    """Put money back after a redemption: all of it, or part of it on LoyaltyDog.

    ``of`` is the journaled :class:`Redeem` or a REDEMPTION line of the card's history (then
    ``card`` is required, since history lines do not name their card). ClientToolbox can only
    delete the whole transaction, so a partial refund there is refused.
    """

    kind: ClassVar[OperationKind] = OperationKind.REFUND

    of: Redeem | GiftCardTransaction
    amount: Money
    card: GiftCard | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.amount, Money):
            raise TypeError("amount must be Money")
        if isinstance(self.of, Redeem):
            if self.card is not None and self.card != self.of.card:
                raise OperationError("This refund names a different card than the redemption")
            original = self.of.amount
        elif isinstance(self.of, GiftCardTransaction):
            if not self.of.is_refundable:
                raise OperationError("Only a redemption can be refunded")
            if self.card is None:
                raise TypeError("Refunding a history line needs the gift card it belongs to")
            original = -self.of.amount
        else:
            raise TypeError("Refund needs a Redeem or a GiftCardTransaction")
        if not self.amount.is_positive:
            raise OperationError("The amount must be more than zero")
        if self.amount > original:
            raise OperationError(f"At most {original.format()} can be refunded")
        if self.provider is Provider.CLIENTTOOLBOX and self.amount != original:
            raise OperationError("ClientToolbox can only undo the whole redemption")

    @classmethod
    def full(cls, of: Redeem | GiftCardTransaction, *, card: GiftCard | None = None) -> Refund:
        """Refund everything the redemption took."""
        amount = of.amount if isinstance(of, Redeem) else -of.amount
        return cls(of, amount, card=card)

    @property
    def target(self) -> GiftCard | CampaignBalance:
        if isinstance(self.of, Redeem):
            return self.of.card
        assert self.card is not None  # guaranteed by __post_init__
        return self.card

    @property
    def original_reference(self) -> str:
        """The redemption being undone: our key for a Redeem, the server's id for a history line."""
        return self.of.key if isinstance(self.of, Redeem) else self.of.id

    @property
    def provider(self) -> Provider:
        if isinstance(self.of, Redeem):
            return self.of.provider
        return Provider.LOYALTYDOG

    def describe(self) -> str:
        original = self.original_reference[:8]
        return (
            f"Refund {self.amount.format()} to {_target_name(self.target)} (redemption {original})"
        )


AnyOperation = Redeem | AddStamps | RedeemReward | Refund
