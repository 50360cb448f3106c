"""Small builders for domain objects, so each test states only the fields it is about."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from pos_app.domain import (
    CampaignBalance,
    CampaignType,
    GiftCard,
    GiftCardStatus,
    GiftCardTransaction,
    Money,
    PointsReward,
    Reward,
    StampCard,
    TransactionType,
)

NOW = datetime(2025, 3, 9, 10, 0, tzinfo=UTC)
NUMBER = "6035551234569012"


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def gift_card(**overrides: Any) -> GiftCard:
    fields: dict[str, Any] = {
        "id": "507f1f77bcf86cd799439011",
        "number": NUMBER,
        "balance": usd("74.50"),
        "status": GiftCardStatus.ACTIVE,
        "expires_at": NOW + timedelta(days=365 * 50),  # valid whatever the real clock says
        "owner_name": "John Doe",
        "owner_email": "john@example.com",
    }
    fields.update(overrides)
    return GiftCard(**fields)


def redemption_line(**overrides: Any) -> GiftCardTransaction:
    fields: dict[str, Any] = {
        "id": "65f000000000000000000001",
        "type": TransactionType.REDEMPTION,
        "amount": usd("-25.50"),
        "balance_before": usd("100.00"),
        "balance_after": usd("74.50"),
        "created_at": NOW - timedelta(days=1),
        "reference": "ORDER_12345",
    }
    fields.update(overrides)
    return GiftCardTransaction(**fields)


def stamp_card(**overrides: Any) -> StampCard:
    fields: dict[str, Any] = {
        "id": "555",
        "template_id": "3",
        "template_name": "Coffee Card",
        "stamps_count": 7,
        "stamps_required": 10,
        "customer_id": "9001",
    }
    fields.update(overrides)
    return StampCard(**fields)


def reward(**overrides: Any) -> Reward:
    fields: dict[str, Any] = {
        "id": "17",
        "name": "Free coffee",
        "cost": 5,
        "card_id": "3",
        "active": True,
    }
    fields.update(overrides)
    return Reward(**fields)


def stored_value(**overrides: Any) -> CampaignBalance:
    fields: dict[str, Any] = {
        "campaign_id": "123456789012",
        "type": CampaignType.GIFTCARD,
        "name": "Gift balance",
        "balance": usd("40.00"),
        "customer_code": "1234567890123456",
    }
    fields.update(overrides)
    return CampaignBalance(**fields)


def points_balance(**overrides: Any) -> CampaignBalance:
    fields: dict[str, Any] = {
        "campaign_id": "223456789012",
        "type": CampaignType.POINTS,
        "name": "Coffee Points",
        "balance": 120,
        "customer_code": "1234567890123456",
    }
    fields.update(overrides)
    return CampaignBalance(**fields)


def points_reward(**overrides: Any) -> PointsReward:
    fields: dict[str, Any] = {"id": "98", "level": 100, "description": "Free drink"}
    fields.update(overrides)
    return PointsReward(**fields)
