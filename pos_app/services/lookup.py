"""Find a scanned or typed code on every enabled back-end at once.

Results are reported per back-end as they arrive, so the screen can show the fast ones while a
slow back-end is still thinking; one back-end failing never hides another's card.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

from pos_app.domain import (
    CampaignBalance,
    CampaignType,
    CodeKind,
    GiftCard,
    Money,
    PointsReward,
    Provider,
    Reward,
    StampCard,
    classify_code,
    mask,
)
from pos_app.domain.outcomes import PointsAccount, StampCustomer
from pos_app.providers.errors import BackendError
from pos_app.providers.factory import Backends

log = logging.getLogger(__name__)

Kind = Literal["gift_card", "stamp_card", "points", "stored_value"]


@dataclass(frozen=True)
class RewardOption:
    id: str
    name: str
    cost: int
    redeemable: bool


@dataclass(frozen=True)
class Match:
    """One card found on one back-end, flattened for the screen and ``--json``."""

    provider: Provider
    kind: Kind
    masked_number: str
    status: str
    title: str
    holder: str | None
    balance: Money | None = None
    count: int | None = None
    count_unit: str | None = None
    stamps: int | None = None
    stamps_required: int | None = None
    rewards: tuple[RewardOption, ...] = ()
    stale_seconds: int | None = None
    subject: GiftCard | StampCard | CampaignBalance | None = field(default=None, compare=False)
    owner_id: str | None = None
    reward_objects: tuple[Reward | PointsReward, ...] = field(default=(), compare=False)

    def reward(self, reward_id: str) -> Reward | PointsReward | None:
        return next((r for r in self.reward_objects if r.id == reward_id), None)

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "provider": self.provider.value,
            "kind": self.kind,
            "masked_number": self.masked_number,
            "status": self.status,
            "title": self.title,
            "holder": self.holder,
            "stale_seconds": self.stale_seconds,
            "rewards": [
                {"id": r.id, "name": r.name, "cost": r.cost, "redeemable": r.redeemable}
                for r in self.rewards
            ],
        }
        if self.balance is not None:
            data["balance"] = self.balance.to_api()
            data["currency"] = self.balance.currency
        if self.count is not None:
            data["balance"] = str(self.count)
            data["unit"] = self.count_unit
        if self.stamps is not None:
            data["stamps"] = self.stamps
            data["stamps_required"] = self.stamps_required
        return data


@dataclass
class LookupResult:
    code: str
    searched: list[Provider] = field(default_factory=list)
    matches: list[Match] = field(default_factory=list)
    errors: dict[Provider, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "searched": [p.value for p in self.searched],
            "matches": [m.as_json() for m in self.matches],
            "errors": {p.value: message for p, message in self.errors.items()},
        }

    def summary(self) -> str:
        """What to tell the cashier when nothing (or not everything) answered."""
        names = ", ".join(p.label for p in self.searched) or "no back-end"
        if self.matches:
            return f"{len(self.matches)} found"
        if self.errors:
            failed = "; ".join(f"{p.label}: {m}" for p, m in self.errors.items())
            return f"No card found for {mask(self.code)} (searched {names}). {failed}"
        return f"No card found for {mask(self.code)} (searched {names})."


class LookupInputError(ValueError):
    """The text cannot be a card, phone, e-mail or wallet pass; nothing was sent."""


def gift_card_match(card: GiftCard) -> Match:
    return Match(
        provider=Provider.LOYALTYDOG,
        kind="gift_card",
        masked_number=card.masked_number,
        status=card.status_raw or card.status.value,
        title="Gift card",
        holder=card.owner_name or card.owner_email,
        balance=card.balance,
        subject=card,
        owner_id=card.id,
    )


def stamp_card_matches(
    found: StampCustomer, all_rewards: dict[str, list[Reward]], scanned: str
) -> list[Match]:
    """Leal never returns the card code, so the masked number is the code the cashier scanned."""
    matches = []
    for card in found.cards:
        redeemable = {r.id for r in found.rewards.get(card.id, ())}
        options = all_rewards.get(card.template_id) or list(found.rewards.get(card.id, ()))
        matches.append(
            Match(
                provider=Provider.LEAL,
                kind="stamp_card",
                masked_number=mask(scanned),
                status=card.status or "active",
                title=card.template_name,
                holder=found.customer.display_name,
                stamps=card.stamps_count,
                stamps_required=card.stamps_required,
                rewards=tuple(
                    RewardOption(r.id, r.name, r.cost, r.id in redeemable)
                    for r in sorted(options, key=lambda r: (r.position, r.cost))
                ),
                reward_objects=tuple(options),
                subject=card,
                owner_id=found.customer.id,
            )
        )
    return matches


def restamp(match: Match, card: StampCard, redeemable: list[Reward]) -> Match:
    """The same stamp-card match with a freshly read card and its redeemable rewards."""
    ids = {r.id for r in redeemable}
    known = {r.id: r for r in match.reward_objects if isinstance(r, Reward)}
    known.update({r.id: r for r in redeemable})
    options = sorted(known.values(), key=lambda r: (r.position, r.cost))
    return replace(
        match,
        status=card.status or "active",
        stamps=card.stamps_count,
        stamps_required=card.stamps_required,
        rewards=tuple(RewardOption(r.id, r.name, r.cost, r.id in ids) for r in options),
        reward_objects=tuple(options),
        subject=card,
    )


def points_matches(account: PointsAccount) -> list[Match]:
    matches = []
    for balance in account.balances:
        rewards: tuple[PointsReward, ...] = account.rewards.get(balance.campaign_id, ())
        money = balance.money
        matches.append(
            Match(
                provider=Provider.CLIENTTOOLBOX,
                kind="stored_value" if balance.holds_money else "points",
                masked_number=mask(account.card_number or account.code),
                status="active",
                title=balance.name or balance.type.value,
                holder=account.customer.display_name,
                balance=money,
                count=balance.count,
                count_unit=None if money is not None else _unit(balance.type),
                rewards=tuple(RewardOption(r.id, r.description, r.level, True) for r in rewards),
                reward_objects=rewards,
                subject=balance,
                owner_id=account.code,
            )
        )
    return matches


def _unit(kind: CampaignType) -> str:
    return "visits" if kind is CampaignType.EVENTS else "points"


OnResult = Callable[[Provider, list[Match] | BackendError], Awaitable[None] | None]


class CardMemory(Protocol):
    """Where cards seen online are kept, so an unreachable back-end still shows them (stale)."""

    def remember(self, code: str, matches: list[Match]) -> None: ...

    def recall(self, code: str, provider: Provider) -> list[Match]: ...


async def lookup(
    code: str,
    backends: Backends,
    on_result: OnResult | None = None,
    *,
    memory: CardMemory | None = None,
) -> LookupResult:
    """Ask every enabled back-end concurrently; report each answer through ``on_result``.

    With ``memory``, fresh answers are remembered and an unreachable back-end answers with
    its last known cards (``stale_seconds`` set) instead of nothing.
    """
    scanned = classify_code(code)
    if scanned.kind is CodeKind.UNKNOWN or not scanned.value:
        raise LookupInputError("Scan a card, or type a card number, phone number or e-mail address")
    result = LookupResult(code=scanned.value)
    jobs: dict[Provider, Awaitable[list[Match]]] = {}
    if backends.gift_cards is not None and CodeKind.GIFT_CARD_NUMBER in scanned.kinds:
        jobs[Provider.LOYALTYDOG] = _gift_cards(backends, scanned.value)
    if backends.stamp_cards is not None:
        jobs[Provider.LEAL] = _stamp_cards(backends, code.strip())
    if backends.points is not None and scanned.kind not in (CodeKind.EMAIL, CodeKind.WALLET_URL):
        jobs[Provider.CLIENTTOOLBOX] = _points(backends, scanned.value)
    result.searched = list(jobs)

    async def run(provider: Provider, job: Awaitable[list[Match]]) -> None:
        outcome: list[Match] | BackendError
        try:
            outcome = await job
        except BackendError as exc:
            log.info("lookup on %s failed: %s", provider.value, exc)
            outcome = exc
            result.errors[provider] = exc.message
            if memory is not None and exc.retry_safe:
                remembered = memory.recall(scanned.value, provider)
                if remembered:
                    outcome = remembered
                    result.matches.extend(remembered)
                    result.errors[provider] = f"{exc.message} (showing the last known state)"
        else:
            result.matches.extend(outcome)
            if memory is not None:
                memory.remember(scanned.value, outcome)
        if on_result is not None:
            maybe = on_result(provider, outcome)
            if maybe is not None:
                await maybe

    await asyncio.gather(*(run(provider, job) for provider, job in jobs.items()))
    order = list(Provider)
    result.matches.sort(key=lambda m: order.index(m.provider))
    return result


async def _gift_cards(backends: Backends, number: str) -> list[Match]:
    assert backends.gift_cards is not None
    return [gift_card_match(card) for card in await backends.gift_cards.find_cards(number)]


async def _stamp_cards(backends: Backends, text: str) -> list[Match]:
    assert backends.stamp_cards is not None
    customers = await backends.stamp_cards.find_customers(text)
    if not customers:
        return []
    rewards = await backends.stamp_cards.rewards()
    by_template: dict[str, list[Reward]] = {}
    for reward in rewards:
        by_template.setdefault(reward.card_id, []).append(reward)
    scanned = classify_code(text).value
    return [m for found in customers for m in stamp_card_matches(found, by_template, scanned)]


async def _points(backends: Backends, code: str) -> list[Match]:
    assert backends.points is not None
    return [
        m for account in await backends.points.find_accounts(code) for m in points_matches(account)
    ]
