"""Receipts from the journal: what the customer's paper says, the same on the first print as on
a reprint a year later, and a record of every copy printed.

A receipt is built only from the journal row (never from the screen), so ``pos-app receipt`` and
Ctrl+P agree. The card shows masked; the barcode carries the receipt code, which
:func:`find_operation` turns back into the operation.
"""

from __future__ import annotations

from pos_app.domain import Money, OperationKind, Provider
from pos_app.domain.receipts import (
    Receipt,
    ReceiptLine,
    money_line,
    receipt_code,
    reference_prefix,
)
from pos_app.journal.pending_operations import Entry, EntryState, utc_now
from pos_app.services.till import Till

__all__ = ["find_operation", "last_receipt", "printed_copies", "receipt_for", "record_print"]

_TITLES = {
    OperationKind.REDEEM: "Redemption",
    OperationKind.ADD_STAMPS: "Stamps added",
    OperationKind.REDEEM_REWARD: "Reward redeemed",
    OperationKind.REFUND: "Undo of a redemption",
}
_OPEN = frozenset({EntryState.PENDING, EntryState.IN_FLIGHT, EntryState.UNKNOWN, EntryState.HELD})


def find_operation(till: Till, text: str) -> Entry | None:
    """The operation a receipt code, a full reference or an 8-character short one stands for."""
    prefix = reference_prefix(text)
    return till.operations.find(prefix if prefix is not None else text)


def last_receipt(till: Till) -> Entry | None:
    """Ctrl+P: the newest operation of this till (any cashier), even if it was refused."""
    return till.operations.last_made_by(till.terminal)


def _mark(entry: Entry, undone_by: Entry | None) -> str | None:
    label = entry.provider.label
    if entry.state in _OPEN:
        return f"PENDING — not yet confirmed by {label}; it will be sent exactly once"
    if entry.state in (EntryState.REJECTED, EntryState.CANCELLED):
        if entry.kind is OperationKind.REFUND:
            return "NOT DONE — nothing was given back"
        return "NOT DONE — nothing was charged"
    if entry.state is EntryState.NEEDS_ATTENTION:
        return f"NOT CONFIRMED — {label} refused it after the sale; the shop will contact you"
    if entry.state is EntryState.RESOLVED:
        return "CHECKED BY A MANAGER"
    if undone_by is not None:
        return f"UNDONE — see receipt {receipt_code(undone_by.key)}"
    return None


def _result_money(entry: Entry, name: str) -> Money | None:
    result = entry.result or {}
    value, currency = result.get(name), result.get("currency")
    if value is None or currency is None:
        return None
    try:
        return Money.from_api(value, str(currency))
    except (ValueError, ArithmeticError):
        return None


def _lines(entry: Entry, separator: str) -> list[ReceiptLine]:
    result = entry.result or {}
    confirmed = entry.state is EntryState.DONE
    lines: list[ReceiptLine] = []
    if entry.kind is OperationKind.REDEEM and entry.amount is not None:
        lines.append(money_line("Paid with card", entry.amount, separator, strong=True))
    elif entry.kind is OperationKind.REFUND and entry.amount is not None:
        lines.append(money_line("Given back to card", entry.amount, separator, strong=True))
        if entry.undo_of:
            lines.append(ReceiptLine("Undoes receipt", receipt_code(entry.undo_of)))
    elif entry.kind is OperationKind.ADD_STAMPS:
        lines.append(ReceiptLine("Stamps added", str(entry.units or 0), strong=True))
        after, required = result.get("stamps_after"), result.get("stamps_required")
        if confirmed and after is not None:
            total = f"{after} of {required}" if required else str(after)
            lines.append(ReceiptLine("Stamps on card", total))
    elif entry.kind is OperationKind.REDEEM_REWARD:
        name = str(result.get("reward_name") or entry.description)
        lines.append(ReceiptLine("Reward", name, strong=True))
        unit = "stamps" if entry.provider is Provider.LEAL else "points"
        lines.append(ReceiptLine("Cost", f"{entry.units or 0} {unit}"))
        if confirmed and result.get("stamps_after") is not None:
            lines.append(ReceiptLine("Stamps left", str(result["stamps_after"])))
    balance = _result_money(entry, "balance_after")
    if (
        confirmed
        and balance is not None
        and entry.kind in (OperationKind.REDEEM, OperationKind.REFUND)
    ):
        lines.append(money_line("Balance now", balance, separator, strong=True))
    elif entry.kind in (OperationKind.REDEEM, OperationKind.REFUND) and entry.state in _OPEN:
        lines.append(ReceiptLine("Balance now", "shown once confirmed"))
    return lines


def receipt_for(till: Till, entry: Entry, *, copy: int | None = None) -> Receipt:
    """The receipt of one journaled operation; ``copy`` defaults to the copies printed so far."""
    config = till.config
    undone_by = next(
        (u for u in till.operations.undos_of(entry.key) if u.state is EntryState.DONE), None
    )
    return Receipt(
        shop_name=config.terminal.shop_name,
        terminal=entry.terminal or till.terminal,
        cashier=entry.cashier,
        at=entry.created_at,
        title=_TITLES[entry.kind],
        backend=entry.provider.label,
        masked_card=entry.masked,
        lines=tuple(_lines(entry, config.terminal.decimal_separator)),
        reference=entry.key,
        mark=_mark(entry, undone_by),
        copy=printed_copies(till, entry.key) if copy is None else copy,
        footer=config.receipts.footer,
    )


def printed_copies(till: Till, reference: str) -> int:
    (count,) = till.db.execute(
        "SELECT COUNT(*) FROM receipt_prints WHERE reference = ?", (reference,)
    ).fetchone()
    return int(count)


def record_print(till: Till, receipt: Receipt, how: str) -> None:
    """Every copy is counted (the next one says COPY n) and audited."""
    with till.db:
        till.db.execute(
            "INSERT INTO receipt_prints (reference, at, cashier, how) VALUES (?, ?, ?, ?)",
            (receipt.reference, utc_now().isoformat(), till.cashier, how[:200]),
        )
    till.audit.record(
        "receipt_printed",
        {"reference": receipt.reference, "copy": receipt.copy, "how": how[:200]},
        cashier=till.cashier,
    )
