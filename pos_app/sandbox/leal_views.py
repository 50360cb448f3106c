"""JSON shapes of Leal's objects, as the official SDKs name the fields (gap G1 for nested arrays).

Unset optionals are ``null`` (G16) and every timestamp is UTC with a ``Z`` (G17). The card code
is never serialised: production does not expose it either (G3).
"""

from __future__ import annotations

from typing import Any

from pos_app.sandbox.leal_data import (
    CardTemplate,
    Customer,
    CustomerCard,
    LealData,
    Location,
    Redemption,
    Reward,
    Store,
    iso,
)

WALLET_BASE = "https://wallet.leal.sandbox.invalid"
"""Wallet links point at a reserved domain so a training till can never reach the real service."""


def store_json(data: LealData, store: Store) -> dict[str, Any]:
    return {
        "id": store.id,
        "name": store.name,
        "store_name": store.store_name,
        "display_store_name": store.store_name or store.name,
        "personal": store.personal,
        "locations_count": sum(1 for x in data.locations.values() if x.account_id == store.id),
        "cards_count": sum(1 for x in data.cards.values() if x.account_id == store.id),
        "customers_count": sum(1 for x in data.customers.values() if x.account_id == store.id),
        "posters_count": 0,
        "created_at": iso(store.created_at),
        "updated_at": iso(store.updated_at),
    }


def card_json(data: LealData, card: CardTemplate) -> dict[str, Any]:
    return {
        "id": card.id,
        "account_id": card.account_id,
        "name": card.name,
        "card_color": card.card_color,
        "text_color": card.text_color,
        "stamp_color": card.stamp_color,
        "stamp_background_color": card.stamp_background_color,
        "stamp_icon": card.stamp_icon,
        "stamps_required": card.stamps_required,
        "initial_stamps": card.initial_stamps,
        "strip_type": card.strip_type,
        "strip_color": card.strip_color,
        "strip_preset": card.strip_preset,
        "header_text": card.header_text,
        "archived_at": iso(card.archived_at),
        "rewards_count": sum(1 for r in data.rewards.values() if r.card_id == card.id),
        "customer_cards_count": sum(
            1 for c in data.customer_cards.values() if c.card_id == card.id
        ),
        "created_at": iso(card.created_at),
        "updated_at": iso(card.updated_at),
    }


def reward_json(reward: Reward) -> dict[str, Any]:
    return {
        "id": reward.id,
        "account_id": reward.account_id,
        "card_id": reward.card_id,
        "name": reward.name,
        "description": reward.description,
        "stamps_required": reward.stamps_required,
        "position": reward.position,
        "active": reward.active,
        "created_at": iso(reward.created_at),
        "updated_at": iso(reward.updated_at),
    }


def location_json(location: Location) -> dict[str, Any]:
    return {
        "id": location.id,
        "account_id": location.account_id,
        "name": location.name,
        "address": location.address,
        "latitude": location.latitude,
        "longitude": location.longitude,
        "created_at": iso(location.created_at),
        "updated_at": iso(location.updated_at),
    }


def customer_card_summary(data: LealData, card: CustomerCard) -> dict[str, Any]:
    """Gap G6: remaining never goes below 0 and progress is capped at 100 on an over-full card."""
    required = data.template(card).stamps_required
    progress = min(100.0, round(100.0 * card.stamps_count / required, 1)) if required else 100.0
    return {
        "id": card.id,
        "uuid": card.uuid,
        "card_id": card.card_id,
        "card_name": data.template(card).name,
        "stamps_count": card.stamps_count,
        "stamps_remaining": max(0, required - card.stamps_count),
        "progress_percentage": progress,
        "status": card.status,
        "pass_installed": card.pass_installed,
        "apple_wallet_url": f"{WALLET_BASE}/apple/{card.uuid}",
        "google_wallet_url": f"{WALLET_BASE}/google/{card.uuid}",
        "issued_at": iso(card.issued_at),
        "created_at": iso(card.created_at),
        "updated_at": iso(card.updated_at),
    }


def customer_card_full(data: LealData, card: CustomerCard) -> dict[str, Any]:
    return {
        **customer_card_summary(data, card),
        "account_id": card.account_id,
        "customer_id": card.customer_id,
        "available_rewards": [reward_json(r) for r in data.available_rewards(card)],
    }


def customer_json(data: LealData, customer: Customer) -> dict[str, Any]:
    cards = data.cards_of(customer)
    return {
        "id": customer.id,
        "account_id": customer.account_id,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "email": customer.email,
        "phone": customer.phone,
        "birthday": customer.birthday.isoformat() if customer.birthday else None,
        "stamp_count": sum(card.stamps_count for card in cards),
        "metadata": dict(customer.metadata),
        "external_references": [
            {"source": ref.source, "external_id": ref.external_id, "metadata": dict(ref.metadata)}
            for ref in customer.external_references
        ],
        "customer_cards": [customer_card_summary(data, card) for card in cards],
        "created_at": iso(customer.created_at),
        "updated_at": iso(customer.updated_at),
    }


def redemption_json(redemption: Redemption) -> dict[str, Any]:
    return {
        "success": True,
        "redemption": {
            "id": redemption.id,
            "reward_id": redemption.reward_id,
            "reward_name": redemption.reward_name,
            "stamps_spent": redemption.stamps_spent,
            "stamps_remaining": redemption.stamps_remaining,
            "redeemed_at": iso(redemption.redeemed_at),
        },
    }
