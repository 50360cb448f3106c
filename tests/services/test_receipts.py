"""Receipts built from the journal after real operations against the emulators over HTTP.

Each receipt is checked for what the customer needs (amount, balance, stamps, the mark saying
whether it went through) and for what must never be on it: the full card number or code.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pos_app.domain import Money, Provider, mask
from pos_app.domain.receipts import Receipt, receipt_code
from pos_app.journal.pending_operations import Entry, EntryState
from pos_app.sandbox.state import Sandbox
from pos_app.services.receipts import (
    find_operation,
    last_receipt,
    printed_copies,
    receipt_for,
    record_print,
)
from pos_app.services.till import TRAINING_CASHIER, TRAINING_CASHIER_PIN
from tests.tills import (
    ANA_CODE,
    MAIN_CARD,
    STORED_VALUE,
    Counter,
    counter_at,
    faults,
    find,
    ledger,
    ref,
    usd,
)


@pytest.fixture
async def counter(sandbox_server: tuple[str, Sandbox], tmp_path: Path) -> AsyncIterator[Counter]:
    async with counter_at(sandbox_server, tmp_path) as counter:
        signed = counter.till.sign_in(TRAINING_CASHIER, TRAINING_CASHIER_PIN)
        assert signed.ok, signed.message
        yield counter


def paper(receipt: Receipt) -> str:
    return "\n".join(receipt.text_lines())


def line(receipt: Receipt, label: str) -> str | None:
    """The value printed after ``label:``, or None when the receipt has no such line."""
    found = [f.value for f in receipt.lines if f.label == label]
    assert len(found) <= 1, found
    return found[0] if found else None


async def test_a_gift_card_receipt_shows_amount_balance_and_only_the_masked_card(
    counter: Counter,
) -> None:
    till = counter.till
    match = await find(till, MAIN_CARD, Provider.LOYALTYDOG)
    assert match.balance is not None
    amount = usd("25.50")
    result = await counter.actions.redeem(match, amount)
    assert result.ok, result.message
    entry = till.operations.get(ref(result))
    receipt = receipt_for(till, entry)

    assert receipt.title == "Redemption"
    assert receipt.backend == "LoyaltyDog"
    assert receipt.cashier == TRAINING_CASHIER
    assert receipt.terminal == till.terminal
    assert receipt.shop_name == till.config.terminal.shop_name
    assert receipt.footer == till.config.receipts.footer
    assert receipt.at == entry.created_at
    assert receipt.mark is None
    assert receipt.copy == 0
    assert receipt.reference == entry.key
    assert line(receipt, "Paid with card") == amount.format()
    assert line(receipt, "Balance now") == (match.balance - amount).format()
    assert receipt.masked_card == mask(MAIN_CARD)
    text = paper(receipt)
    assert MAIN_CARD not in text
    assert MAIN_CARD[-4:] in text
    assert receipt_code(entry.key) in receipt.text_lines()
    assert last_receipt(till) == entry


async def test_the_receipt_code_finds_the_operation_again(counter: Counter) -> None:
    till = counter.till
    match = await find(till, MAIN_CARD, Provider.LOYALTYDOG)
    first = await counter.actions.redeem(match, usd("1.00"))
    second = await counter.actions.redeem(match, usd("2.00"))
    assert first.ok, first.message
    assert second.ok, second.message
    for key in (ref(first), ref(second)):
        code = receipt_for(till, till.operations.get(key)).code
        for typed in (code, code.lower(), f" {code}\n", key[:8], key[:8].upper(), key):
            found = find_operation(till, typed)
            assert found is not None, typed
            assert found.key == key
    assert find_operation(till, receipt_code("00000000-0000-4000-8000-000000000000")) is None
    assert find_operation(till, "TC") is None


async def test_a_clienttoolbox_receipt_shows_the_balance_read_again_after_the_answer(
    counter: Counter,
) -> None:
    till = counter.till
    match = await find(till, STORED_VALUE, Provider.CLIENTTOOLBOX, kind="stored_value")
    assert match.balance is not None
    amount = Money(usd("7.50").amount, match.balance.currency)
    result = await counter.actions.redeem(match, amount)
    assert result.ok, result.message
    entry = till.operations.get(ref(result))
    after = match.balance - amount
    assert entry.result is not None
    assert entry.result["transaction_id"]  # ClientToolbox's own answer, kept
    assert (entry.result["balance_after"], entry.result["currency"]) == (
        after.to_api(),
        after.currency,
    )
    receipt = receipt_for(till, entry)
    assert receipt.backend == "ClientToolbox"
    assert line(receipt, "Paid with card") == amount.format()
    assert line(receipt, "Balance now") == after.format()
    assert receipt.masked_card == match.masked_number
    assert STORED_VALUE not in paper(receipt)


async def test_a_stamp_receipt_shows_the_stamps_on_the_card_and_a_reward_receipt_the_rest(
    counter: Counter,
) -> None:
    till = counter.till
    match = await find(till, ANA_CODE, Provider.LEAL)
    assert match.stamps is not None
    assert match.stamps_required is not None
    stamped = await counter.actions.add_stamps(match, 1)
    assert stamped.ok, stamped.message
    receipt = receipt_for(till, till.operations.get(ref(stamped)))
    assert receipt.title == "Stamps added"
    assert line(receipt, "Stamps added") == "1"
    assert line(receipt, "Stamps on card") == f"{match.stamps + 1} of {match.stamps_required}"
    assert line(receipt, "Balance now") is None
    assert receipt.masked_card == mask(ANA_CODE)
    assert ANA_CODE not in paper(receipt)

    assert stamped.match is not None
    reward = next(r for r in stamped.match.rewards if r.redeemable)
    rewarded = await counter.actions.redeem_reward(stamped.match, reward.id)
    assert rewarded.ok, rewarded.message
    assert rewarded.match is not None
    assert rewarded.match.stamps is not None
    spent = receipt_for(till, till.operations.get(ref(rewarded)))
    assert spent.title == "Reward redeemed"
    assert line(spent, "Reward") == reward.name
    assert line(spent, "Cost") == f"{reward.cost} stamps"
    assert line(spent, "Stamps left") == str(rewarded.match.stamps)


async def test_an_offline_receipt_says_pending_and_its_reprint_after_sync_does_not(
    counter: Counter,
) -> None:
    till = counter.till
    match = await find(till, MAIN_CARD, Provider.LOYALTYDOG)
    assert match.balance is not None
    amount = usd("12.00")
    faults(counter.url, "loyaltydog", outage=True)
    result = await counter.actions.redeem(match, amount)
    assert result.state == "pending", result.message
    first = receipt_for(till, till.operations.get(ref(result)))
    assert first.mark is not None
    assert first.mark.startswith("PENDING")
    assert "LoyaltyDog" in first.mark
    assert first.mark in first.text_lines()
    assert line(first, "Paid with card") == amount.format()
    assert line(first, "Balance now") == "shown once confirmed"
    record_print(till, first, "pdf")

    faults(counter.url, "loyaltydog")
    till.engine.retry_now(ref(result))
    await till.engine.drain()
    entry = till.operations.get(ref(result))
    assert entry.state is EntryState.DONE
    reprint = receipt_for(till, entry)
    assert reprint.mark is None
    assert not any(text.startswith("PENDING") for text in reprint.text_lines())
    assert line(reprint, "Balance now") == (match.balance - amount).format()
    assert reprint.copy == 1
    assert reprint.copy_text in reprint.text_lines()
    assert [(e["operation"], e["amount"]) for e in ledger(counter.url)] == [
        ("redeem", amount.to_api())
    ]


async def test_a_refused_redemption_receipt_says_not_done(counter: Counter) -> None:
    till = counter.till
    stale = await find(till, MAIN_CARD, Provider.LOYALTYDOG)
    assert stale.balance is not None
    spent = await counter.actions.redeem(stale, usd("60.00"))
    assert spent.ok, spent.message
    # The screen still shows the old balance; the back-end knows better and refuses.
    refused = await counter.actions.redeem(stale, usd("60.00"))
    assert refused.state == "rejected", refused.message
    entry = till.operations.get(ref(refused))
    assert entry.state is EntryState.REJECTED
    receipt = receipt_for(till, entry)
    assert receipt.mark == "NOT DONE — nothing was charged"
    assert line(receipt, "Paid with card") == usd("60.00").format()
    assert line(receipt, "Balance now") is None
    assert last_receipt(till) == entry  # Ctrl+P reprints even a refusal


async def test_every_copy_is_counted_and_audited(counter: Counter) -> None:
    till = counter.till
    match = await find(till, MAIN_CARD, Provider.LOYALTYDOG)
    result = await counter.actions.redeem(match, usd("3.00"))
    entry = till.operations.get(ref(result))
    hows = ["printer Star TSP100", "pdf", "printer Star TSP100"]
    for n, how in enumerate(hows):
        receipt = receipt_for(till, entry)
        assert receipt.copy == n == printed_copies(till, entry.key)
        assert receipt.copy_text == (None if n == 0 else f"COPY {n} — reprinted")
        assert (receipt.copy_text in receipt.text_lines()) is (n > 0)
        record_print(till, receipt, how)
    assert printed_copies(till, entry.key) == len(hows)
    assert receipt_for(till, entry, copy=0).copy_text is None  # a preview may say "original"
    lines = till.audit.recent(action="receipt_printed")
    assert [(a.detail, a.cashier, a.terminal) for a in reversed(lines)] == [
        ({"reference": entry.key, "copy": n, "how": how}, TRAINING_CASHIER, till.terminal)
        for n, how in enumerate(hows)
    ]
    assert printed_copies(till, "00000000-0000-4000-8000-000000000000") == 0


async def test_an_undone_redemption_points_to_its_undo_and_back(counter: Counter) -> None:
    till = counter.till
    match = await find(till, MAIN_CARD, Provider.LOYALTYDOG)
    assert match.balance is not None
    amount = usd("25.50")
    done = await counter.actions.redeem(match, amount)
    assert done.undo is not None, done.message
    undone = await counter.actions.undo(done.undo)
    assert undone.ok, undone.message
    original: Entry = till.operations.get(ref(done))
    undo = till.operations.get(ref(undone))
    assert undo.undo_of == original.key

    before = receipt_for(till, original)
    assert before.mark == f"UNDONE — see receipt {receipt_code(undo.key)}"
    after = receipt_for(till, undo)
    assert after.title == "Undo of a redemption"
    assert after.mark is None
    assert line(after, "Given back to card") == amount.format()
    assert line(after, "Undoes receipt") == receipt_code(original.key)
    assert line(after, "Balance now") == match.balance.format()
    assert MAIN_CARD not in paper(after)
    assert last_receipt(till) == undo


async def test_an_undo_that_could_not_reach_the_back_end_says_nothing_was_given_back(
    counter: Counter,
) -> None:
    till = counter.till
    match = await find(till, MAIN_CARD, Provider.LOYALTYDOG)
    done = await counter.actions.redeem(match, usd("5.00"))
    assert done.undo is not None, done.message
    faults(counter.url, "loyaltydog", outage=True)
    refused = await counter.actions.undo(done.undo)
    assert refused.state == "rejected", refused.message
    undo = till.operations.get(ref(refused))
    assert undo.state is EntryState.CANCELLED
    assert receipt_for(till, undo).mark == "NOT DONE — nothing was given back"
    assert receipt_for(till, till.operations.get(ref(done))).mark is None  # still charged
