"""What a back-end answered: the results the providers hand to the services and the screen.

Kept in the domain so the journal, the screen and the receipts speak of the same things,
whichever API produced them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pos_app.domain._checks import require_count, require_id
from pos_app.domain.customers import Customer
from pos_app.domain.gift_cards import GiftCardTransaction
from pos_app.domain.money import Money
from pos_app.domain.points import CampaignBalance, PointsReward, PointsTransaction
from pos_app.domain.stamp_cards import Reward, StampCard

__all__ = [
    "BalancesReportPage",
    "BalancesReportRow",
    "BusinessReport",
    "CustomerReport",
    "GdprExport",
    "GiftCardMove",
    "HistoryPage",
    "PointsAccount",
    "PointsActivity",
    "PointsHistory",
    "Program",
    "RewardRedemption",
    "StampCustomer",
]


@dataclass(frozen=True, kw_only=True)
class GiftCardMove:
    """A redeem, refund, reload or void as LoyaltyDog confirmed it."""

    transaction_id: str | None
    card_id: str
    amount: Money
    balance_after: Money
    message: str | None = None

    def __post_init__(self) -> None:
        require_id(self.card_id, "gift card id")


@dataclass(frozen=True, kw_only=True)
class HistoryPage:
    """One page of a card's history, newest first; ``has_more`` says whether to fetch on."""

    transactions: tuple[GiftCardTransaction, ...]
    offset: int
    has_more: bool


@dataclass(frozen=True, kw_only=True)
class Program:
    id: str
    name: str


@dataclass(frozen=True, kw_only=True)
class BusinessReport:
    """LoyaltyDog's program report; card counts by status plus money totals."""

    card_counts: dict[str, int]
    total_sold: Money
    total_redeemed: Money
    total_balance: Money
    cards_sold_this_month: int
    sales_this_month: Money


@dataclass(frozen=True, kw_only=True)
class CustomerReport:
    total_cards: int
    active_cards: int
    expiring_soon_cards: int
    total_spent: Money
    total_balance: Money


@dataclass(frozen=True, kw_only=True)
class GdprExport:
    export_id: str
    download_url: str
    format: str
    requested_at: datetime | None
    expires_at: datetime | None
    status: str


@dataclass(frozen=True, kw_only=True)
class StampCustomer:
    """A Leal customer with the stamp cards they hold (``rewards`` per card id: redeemable now)."""

    customer: Customer
    cards: tuple[StampCard, ...]
    rewards: dict[str, tuple[Reward, ...]] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class RewardRedemption:
    redemption_id: str | None
    reward_id: str
    reward_name: str
    stamps_spent: int
    stamps_remaining: int
    redeemed_at: datetime | None = None

    def __post_init__(self) -> None:
        require_id(self.reward_id, "reward id")
        require_count(self.stamps_spent, "stamps_spent")
        require_count(self.stamps_remaining, "stamps_remaining")


@dataclass(frozen=True, kw_only=True)
class PointsAccount:
    """A ClientToolbox customer: profile, balance per campaign, rewards redeemable per campaign."""

    customer: Customer
    code: str
    card_number: str | None
    balances: tuple[CampaignBalance, ...]
    rewards: dict[str, tuple[PointsReward, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        require_id(self.code, "customer code")


@dataclass(frozen=True, kw_only=True)
class PointsHistory:
    balance: CampaignBalance
    transactions: tuple[PointsTransaction, ...]


@dataclass(frozen=True, kw_only=True)
class PointsActivity:
    """The answer to record_activity / redeem / transaction_delete (no balance: re-read it)."""

    transaction_id: str | None
    authorization: str | None


@dataclass(frozen=True, kw_only=True)
class BalancesReportRow:
    code: str
    card_number: str | None
    first_name: str | None
    last_name: str | None
    email: str | None
    earned: int | Money
    redeemed: int | Money
    balance: int | Money
    earned_equivalent: Money | None
    redeemed_equivalent: Money | None
    balance_equivalent: Money | None


@dataclass(frozen=True, kw_only=True)
class BalancesReportPage:
    rows: tuple[BalancesReportRow, ...]
    offset: int
    limit: int

    @property
    def is_last(self) -> bool:
        """No total is documented: a short page is the end."""
        return len(self.rows) < self.limit
