"""Leal stamp cards and their rewards, and the rule for which rewards a card can pay for now.

A customer holds a *stamp card* (an instance of a card *template*); rewards belong to a template
and cost stamps. Leal lets the count grow past ``stamps_required``, so progress is capped here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pos_app.domain._checks import clean_text, require_count, require_id
from pos_app.domain.errors import DomainError

__all__ = ["Reward", "StampCard", "redeemable_rewards", "reward_refusal"]


@dataclass(frozen=True, kw_only=True)
class StampCard:
    """A customer's stamp card as last read from Leal (``id`` is the customer-card id)."""

    id: str
    template_id: str
    template_name: str
    stamps_count: int
    stamps_required: int
    customer_id: str | None = None
    status: str | None = None

    def __post_init__(self) -> None:
        require_id(self.id, "stamp card id")
        require_id(self.template_id, "card template id")
        if not isinstance(self.template_name, str):
            raise TypeError("template_name must be text")
        require_count(self.stamps_count, "stamps_count")
        require_count(self.stamps_required, "stamps_required", minimum=1)
        if self.customer_id is not None:
            require_id(self.customer_id, "customer id")

    @property
    def stamps_remaining(self) -> int:
        """Stamps still missing to fill the card (0 once full, even if over-filled)."""
        return max(0, self.stamps_required - self.stamps_count)

    @property
    def is_full(self) -> bool:
        return self.stamps_count >= self.stamps_required

    @property
    def progress_percent(self) -> int:
        """Whole percent toward a full card, 0-100, for the progress bar."""
        return min(100, self.stamps_count * 100 // self.stamps_required)

    @property
    def progress_text(self) -> str:
        return f"{self.stamps_count} of {self.stamps_required} stamps"

    def stamps_available(self, pending_spent: int = 0) -> int:
        """Stamps left to spend once rewards already queued offline are taken off."""
        require_count(pending_spent, "pending_spent")
        return max(0, self.stamps_count - pending_spent)


@dataclass(frozen=True, kw_only=True)
class Reward:
    """A reward of a card template; ``cost`` is Leal's ``stamps_required`` for the reward."""

    id: str
    name: str
    cost: int
    card_id: str
    active: bool = True
    description: str | None = None
    position: int = 0

    def __post_init__(self) -> None:
        require_id(self.id, "reward id")
        require_id(self.card_id, "card template id")
        if not isinstance(self.name, str) or not self.name.strip():
            raise DomainError("A reward needs a name")
        require_count(self.cost, "A reward's cost in stamps", minimum=1)
        if not isinstance(self.active, bool):
            raise TypeError("active must be True or False")
        if isinstance(self.position, bool) or not isinstance(self.position, int):
            raise TypeError("position must be a whole number")
        object.__setattr__(self, "description", clean_text(self.description))

    @property
    def cost_text(self) -> str:
        return "1 stamp" if self.cost == 1 else f"{self.cost} stamps"


def reward_refusal(card: StampCard, reward: Reward, pending_spent: int = 0) -> str | None:
    """Why ``reward`` cannot be redeemed on ``card`` now, or None if it can.

    The rule: the reward is active, belongs to the card's template, and costs no more than the
    stamps on the card minus those already spent by operations still waiting to sync.
    """
    if not reward.active:
        return f"The reward '{reward.name}' is not active"
    if reward.card_id != card.template_id:
        return f"The reward '{reward.name}' belongs to another card"
    available = card.stamps_available(pending_spent)
    if reward.cost > available:
        have = "1 stamp" if available == 1 else f"{available} stamps"
        return f"'{reward.name}' needs {reward.cost_text}; the card has {have}"
    return None


def redeemable_rewards(
    card: StampCard, rewards: Iterable[Reward], pending_spent: int = 0
) -> tuple[Reward, ...]:
    """The rewards the cashier can offer now, in the store's order (position, then cost)."""
    usable = (reward for reward in rewards if reward_refusal(card, reward, pending_spent) is None)
    return tuple(sorted(usable, key=lambda reward: (reward.position, reward.cost, reward.name)))
