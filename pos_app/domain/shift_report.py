"""The end-of-shift report: what a till did between a shift's opening and its closing.

Only what a back-end confirmed counts as redeemed, stamped or undone; operations still owed
(PENDING) and those a manager must look at are counted apart, so the drawer can be reconciled
against money that really moved. Amounts are kept per currency and never added across them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Final

from pos_app.domain._checks import require_aware
from pos_app.domain.backends import Provider
from pos_app.domain.money import Money
from pos_app.domain.operations import OperationKind

__all__ = [
    "CSV_HEADER",
    "NO_CASHIER",
    "Outcome",
    "ShiftFacts",
    "ShiftOperation",
    "ShiftReport",
    "Totals",
    "money_text",
    "plain_money",
    "shift_report",
]

#: How operations made without a sign-in (headless commands, tills without staff) are listed.
NO_CASHIER: Final = "(no sign-in)"


class Outcome(StrEnum):
    """Where an operation ended, as far as the shift's money is concerned."""

    CONFIRMED = "confirmed"  # the back-end applied it
    PENDING = "pending"  # still owed to the back-end (offline, or the answer was lost)
    NEEDS_ATTENTION = "needs_attention"  # refused after the customer left: a manager's job
    RESOLVED = "resolved"  # a manager closed it by hand
    NOT_DONE = "not_done"  # refused or cancelled while the cashier watched: nothing moved


@dataclass(frozen=True)
class ShiftOperation:
    """One journaled operation, as the report needs it."""

    provider: Provider
    kind: OperationKind
    outcome: Outcome
    cashier: str | None
    amount: Money | None = None
    units: int | None = None


def _add(into: dict[str, Decimal], amount: Money | None) -> None:
    if amount is not None:
        into[amount.currency] = into.get(amount.currency, Decimal(0)) + amount.amount


@dataclass
class Totals:
    """Counts and sums for one slice of the shift (all, one back-end, one cashier)."""

    redemptions: int = 0
    redeemed: dict[str, Decimal] = field(default_factory=dict)
    stamps: int = 0
    stamp_operations: int = 0
    rewards: int = 0
    undos: int = 0
    undone: dict[str, Decimal] = field(default_factory=dict)
    pending: int = 0
    pending_amount: dict[str, Decimal] = field(default_factory=dict)
    needs_attention: int = 0
    resolved: int = 0
    not_done: int = 0

    def count(self, op: ShiftOperation) -> None:
        if op.outcome is Outcome.PENDING:
            self.pending += 1
            if op.kind is OperationKind.REDEEM:
                _add(self.pending_amount, op.amount)
            return
        if op.outcome is Outcome.NEEDS_ATTENTION:
            self.needs_attention += 1
            return
        if op.outcome is Outcome.RESOLVED:
            self.resolved += 1
            return
        if op.outcome is Outcome.NOT_DONE:
            self.not_done += 1
            return
        if op.kind is OperationKind.REDEEM:
            self.redemptions += 1
            _add(self.redeemed, op.amount)
        elif op.kind is OperationKind.ADD_STAMPS:
            self.stamp_operations += 1
            self.stamps += op.units or 0
        elif op.kind is OperationKind.REDEEM_REWARD:
            self.rewards += 1
        elif op.kind is OperationKind.REFUND:
            self.undos += 1
            _add(self.undone, op.amount)

    @property
    def operations(self) -> int:
        return (
            self.redemptions
            + self.stamp_operations
            + self.rewards
            + self.undos
            + self.pending
            + self.needs_attention
            + self.resolved
            + self.not_done
        )

    def net(self) -> dict[str, Decimal]:
        """Redeemed minus undone, per currency: what the cards paid for in this shift."""
        out = dict(self.redeemed)
        for currency, amount in self.undone.items():
            out[currency] = out.get(currency, Decimal(0)) - amount
        return out


def money_text(amounts: Mapping[str, Decimal], separator: str = ".") -> str:
    """``"$ 25.00"``, ``"€ 3.00 + $ 25.00"`` (by currency code), or ``"0"`` when nothing moved."""
    if not amounts:
        return "0"
    return " + ".join(
        Money(amounts[currency], currency).format(separator) for currency in sorted(amounts)
    )


def plain_money(amounts: Mapping[str, Decimal]) -> str:
    """For CSV: ``"25.00 USD"``; several currencies separated by ``"; "``."""
    return "; ".join(
        f"{Money(amounts[currency], currency).to_api()} {currency}" for currency in sorted(amounts)
    )


@dataclass(frozen=True, kw_only=True)
class ShiftFacts:
    shift_id: int
    terminal: str
    opened_at: datetime
    opened_by: str
    closed_at: datetime | None = None
    closed_by: str | None = None

    def __post_init__(self) -> None:
        require_aware(self.opened_at, "opened_at")
        if self.closed_at is not None:
            require_aware(self.closed_at, "closed_at")
            if self.closed_at < self.opened_at:
                raise ValueError("a shift cannot close before it opened")

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


CSV_HEADER: Final = (
    "section",
    "name",
    "redemptions",
    "redeemed",
    "undos",
    "undone",
    "net",
    "stamp_operations",
    "stamps_added",
    "rewards_redeemed",
    "pending",
    "pending_amount",
    "needs_attention",
    "resolved",
    "not_done",
)


@dataclass(frozen=True)
class ShiftReport:
    facts: ShiftFacts
    total: Totals
    by_backend: dict[Provider, Totals]
    by_cashier: dict[str, Totals]

    def slices(self) -> list[tuple[str, str, Totals]]:
        """(section, name, totals) in print order: the whole shift, then back-ends, cashiers."""
        out: list[tuple[str, str, Totals]] = [("shift", f"Shift {self.facts.shift_id}", self.total)]
        out += [("backend", p.label, t) for p, t in self.by_backend.items()]
        out += [("cashier", name, t) for name, t in self.by_cashier.items()]
        return out

    def csv_rows(self) -> list[tuple[str, ...]]:
        """Header first; amounts as plain decimals with their currency (accounting imports)."""
        rows: list[tuple[str, ...]] = [CSV_HEADER]
        for section, name, t in self.slices():
            rows.append(
                (
                    section,
                    name,
                    str(t.redemptions),
                    plain_money(t.redeemed),
                    str(t.undos),
                    plain_money(t.undone),
                    plain_money(t.net()),
                    str(t.stamp_operations),
                    str(t.stamps),
                    str(t.rewards),
                    str(t.pending),
                    plain_money(t.pending_amount),
                    str(t.needs_attention),
                    str(t.resolved),
                    str(t.not_done),
                )
            )
        return rows


def shift_report(facts: ShiftFacts, operations: Iterable[ShiftOperation]) -> ShiftReport:
    """Totals for the whole shift, per back-end (in a fixed order) and per cashier (by name)."""
    total = Totals()
    by_backend: dict[Provider, Totals] = {}
    by_cashier: dict[str, Totals] = {}
    for op in operations:
        total.count(op)
        by_backend.setdefault(op.provider, Totals()).count(op)
        by_cashier.setdefault(op.cashier or NO_CASHIER, Totals()).count(op)
    backends = {p: by_backend[p] for p in Provider if p in by_backend}
    cashiers = {name: by_cashier[name] for name in sorted(by_cashier, key=str.casefold)}
    return ShiftReport(facts, total, backends, cashiers)
