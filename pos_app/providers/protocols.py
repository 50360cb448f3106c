"""The small interfaces the services use; each back-end client implements one of them.

Every method returns domain objects or raises a ``providers.errors.BackendError`` subclass.
"""

from __future__ import annotations

from typing import Protocol

from pos_app.domain import GiftCard, Money, PointsReward, Provider, Reward, StampCard
from pos_app.domain.outcomes import (
    BalancesReportPage,
    BusinessReport,
    CustomerReport,
    GdprExport,
    GiftCardMove,
    HistoryPage,
    PointsAccount,
    PointsActivity,
    PointsHistory,
    Program,
    RewardRedemption,
    StampCustomer,
)


class Backend(Protocol):
    provider: Provider

    async def check(self) -> None:
        """A cheap call proving the back-end is reachable and the credentials work."""

    async def aclose(self) -> None: ...


class GiftCardProvider(Backend, Protocol):
    """LoyaltyDog: gift cards, found by their printed number."""

    async def find_cards(self, number: str) -> list[GiftCard]:
        """Cards whose number equals ``number`` exactly (search results are filtered)."""

    async def card(self, card_id: str) -> GiftCard: ...

    async def history(self, card_id: str, *, offset: int = 0, limit: int = 100) -> HistoryPage: ...

    async def redeem(
        self, card: GiftCard, amount: Money, *, idempotency_key: str, reference: str | None = None
    ) -> GiftCardMove:
        """Debit ``amount``; safe to call again with the same key after an unknown outcome."""

    async def refund(
        self,
        card_id: str,
        transaction_id: str,
        amount: Money | None,
        *,
        idempotency_key: str,
        reason: str | None = None,
    ) -> GiftCardMove: ...

    async def reload(
        self, card_id: str, amount: Money, *, idempotency_key: str, reference: str | None = None
    ) -> GiftCardMove: ...

    async def void(self, card_id: str, reason: str, *, idempotency_key: str) -> GiftCardMove: ...

    async def programs(self) -> list[Program]: ...

    async def business_report(self) -> BusinessReport: ...

    async def customer_report(self, *, card_id: str | None = None) -> CustomerReport: ...

    async def gdpr_export(
        self, *, customer_id: str | None = None, email: str | None = None, fmt: str = "json"
    ) -> GdprExport: ...

    async def gdpr_download(self, export: GdprExport) -> bytes: ...


class StampCardProvider(Backend, Protocol):
    """Leal: customers found by scanned card code, phone, e-mail or wallet-pass URL."""

    async def find_customers(self, code: str) -> list[StampCustomer]: ...

    async def stamp_card(self, customer_id: str, card_id: str) -> tuple[StampCard, list[Reward]]:
        """The card as it is now, with the rewards redeemable now."""

    async def add_stamps(self, customer_id: str, card_id: str, stamps: int) -> StampCard:
        """Not idempotent: never call again after an unknown outcome without reconciling."""

    async def redeem_reward(
        self, customer_id: str, card_id: str, reward_id: str
    ) -> RewardRedemption: ...

    async def rewards(self, card_id: str | None = None) -> list[Reward]: ...


class PointsProvider(Backend, Protocol):
    """ClientToolbox: points, visits and stored value per campaign."""

    async def find_accounts(self, code: str) -> list[PointsAccount]: ...

    async def history(
        self, code: str, campaign_id: str, *, transactions: int | None = 20
    ) -> PointsHistory: ...

    async def record_activity(
        self, code: str, campaign_id: str, *, amount: Money | None, authorization: str
    ) -> PointsActivity: ...

    async def redeem_amount(
        self, code: str, campaign_id: str, amount: Money, *, authorization: str
    ) -> PointsActivity: ...

    async def redeem_reward(
        self, code: str, campaign_id: str, reward_id: str, *, authorization: str
    ) -> PointsActivity: ...

    async def delete_transaction(
        self, code: str, campaign_id: str, transaction_id: str
    ) -> PointsActivity: ...

    async def campaign_rewards(self, campaign_id: str) -> list[PointsReward]: ...

    async def campaign_names(self) -> dict[str, str]: ...

    async def balances_report(
        self, campaign_id: str, *, coalition: str | None = None, offset: int = 0, limit: int = 100
    ) -> BalancesReportPage: ...
