"""The offline risk policy (architecture §3) as pure functions: may this be done without a network?

Hard limits (stale card, not enough cached balance or stamps, a mode that requires a connection)
deny outright. The caps (per transaction, per terminal) are softer: going over them needs a
manager PIN. The service asks for the PIN and then proceeds; this module only decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Final

from pos_app.domain._checks import require_count
from pos_app.domain.money import Money
from pos_app.domain.operations import OperationKind

__all__ = [
    "DEFAULT_MAX_CARD_AGE",
    "DEFAULT_MODES",
    "DEFAULT_PER_TRANSACTION_CAP",
    "DEFAULT_TERMINAL_CAP",
    "OfflineDecision",
    "OnlineMode",
    "Verdict",
    "check_offline_add_stamps",
    "check_offline_redeem",
    "check_offline_redeem_reward",
    "check_offline_refund",
]

DEFAULT_PER_TRANSACTION_CAP: Final = Decimal("50.00")
DEFAULT_TERMINAL_CAP: Final = Decimal("500.00")
DEFAULT_MAX_CARD_AGE: Final = timedelta(hours=24)


class OnlineMode(StrEnum):
    """``require_online``: never offline. ``prefer_online``: try the network, fall back to the
    offline limits. ``allow_offline``: the offline limits apply without waiting for the network.
    """

    REQUIRE_ONLINE = "require_online"
    PREFER_ONLINE = "prefer_online"
    ALLOW_OFFLINE = "allow_offline"


#: Architecture §3 defaults; ClientToolbox stored value follows the gift-card rules.
DEFAULT_MODES: Final[dict[OperationKind, OnlineMode]] = {
    OperationKind.REDEEM: OnlineMode.PREFER_ONLINE,
    OperationKind.ADD_STAMPS: OnlineMode.PREFER_ONLINE,
    OperationKind.REDEEM_REWARD: OnlineMode.PREFER_ONLINE,
    OperationKind.REFUND: OnlineMode.REQUIRE_ONLINE,
}


class Verdict(StrEnum):
    ALLOW = "allow"
    NEEDS_MANAGER_PIN = "needs_manager_pin"
    DENY = "deny"


@dataclass(frozen=True, slots=True)
class OfflineDecision:
    """The verdict and every reason for it, in words the cashier (and manager) can read."""

    verdict: Verdict
    reasons: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        """True only for a plain yes; a manager PIN answer is not a yes until the PIN is given."""
        return self.verdict is Verdict.ALLOW

    @property
    def message(self) -> str:
        return "; ".join(self.reasons)


_ALLOW: Final = OfflineDecision(Verdict.ALLOW)


def _deny(reason: str) -> OfflineDecision:
    return OfflineDecision(Verdict.DENY, (reason,))


def _needs_connection(mode: OnlineMode) -> OfflineDecision | None:
    if mode is OnlineMode.REQUIRE_ONLINE:
        return _deny("This needs a connection; try again when the back-end is reachable")
    return None


def _duration_text(duration: timedelta) -> str:
    minutes = int(duration.total_seconds() // 60)
    if minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} min"


def _freshness(card_seen_age: timedelta | None, max_age: timedelta) -> OfflineDecision | None:
    if card_seen_age is None:
        return _deny("This card has not been checked online on this till")
    if card_seen_age < timedelta(0):
        return _deny("The till's clock changed since this card was checked; check it online")
    if card_seen_age > max_age:
        return _deny(f"This card was not checked online in the last {_duration_text(max_age)}")
    return None


def check_offline_redeem(
    amount: Money,
    cached_balance: Money,
    pending_debits: Money,
    *,
    terminal_pending_total: Money,
    card_seen_age: timedelta | None,
    per_transaction_cap: Decimal = DEFAULT_PER_TRANSACTION_CAP,
    terminal_cap: Decimal = DEFAULT_TERMINAL_CAP,
    max_age: timedelta = DEFAULT_MAX_CARD_AGE,
    mode: OnlineMode = OnlineMode.PREFER_ONLINE,
) -> OfflineDecision:
    """May ``amount`` be taken from a gift card or stored value while the back-end is unreachable?

    ``pending_debits`` are this card's redemptions still waiting to sync; ``terminal_pending_total``
    is everything this till has waiting. ``card_seen_age`` is how long ago the card was last read
    online (None: never on this till). Amounts must share one currency.
    """
    refusal = _needs_connection(mode)
    if refusal is not None:
        return refusal
    if not amount.is_positive:
        return _deny("The amount must be more than zero")
    stale = _freshness(card_seen_age, max_age)
    if stale is not None:
        return stale
    available = cached_balance - pending_debits
    if amount > available:
        shown = max(available, Money.zero(available.currency))
        return _deny(f"Not enough balance for offline use: {shown.format()} available")

    reasons: list[str] = []
    if amount.amount > per_transaction_cap:
        cap = Money(per_transaction_cap, amount.currency).format()
        reasons.append(f"Offline redemptions above {cap} need a manager PIN")
    if (terminal_pending_total + amount).amount > terminal_cap:
        pending = terminal_pending_total.format()
        cap = Money(terminal_cap, amount.currency).format()
        reasons.append(
            f"This till already has {pending} waiting to sync; above {cap} needs a manager PIN"
        )
    if reasons:
        return OfflineDecision(Verdict.NEEDS_MANAGER_PIN, tuple(reasons))
    return _ALLOW


def check_offline_add_stamps(mode: OnlineMode = OnlineMode.PREFER_ONLINE) -> OfflineDecision:
    """Earning is safe offline: it is sent exactly once when the network returns."""
    return _needs_connection(mode) or _ALLOW


def check_offline_redeem_reward(
    cost: int,
    cached_stamps: int,
    pending_spent: int,
    *,
    mode: OnlineMode = OnlineMode.PREFER_ONLINE,
) -> OfflineDecision:
    """A reward offline only if the cached stamps (or points) minus pending spends cover it."""
    require_count(cost, "cost", minimum=1)
    require_count(cached_stamps, "cached_stamps")
    require_count(pending_spent, "pending_spent")
    refusal = _needs_connection(mode)
    if refusal is not None:
        return refusal
    available = max(0, cached_stamps - pending_spent)
    if cost > available:
        return _deny(f"Not enough for offline use: needs {cost}, {available} available")
    return _ALLOW


def check_offline_refund(mode: OnlineMode = OnlineMode.REQUIRE_ONLINE) -> OfflineDecision:
    """Refunds and voids default to online only: they must see the card's real history."""
    return _needs_connection(mode) or _ALLOW
