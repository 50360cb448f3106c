"""Undo from a scanned receipt: what may be undone, by whom, and never twice.

Real operations against the emulators over HTTP and a real journal file. Where a test needs an
old operation, it ages the journal row by writing its ``created_at`` in SQLite directly: the
till's clock cannot be wound forward, and the age is all :func:`check_undo` reads.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from pos_app.domain import Money, Provider
from pos_app.journal.pending_operations import Entry, EntryState, utc_now
from pos_app.sandbox.state import Sandbox
from pos_app.services.card_actions import CardActions, undo_ticket
from pos_app.services.delivery import refund_entry
from pos_app.services.past_operations import check_undo
from pos_app.services.till import (
    TRAINING_CASHIER,
    TRAINING_CASHIER_PIN,
    TRAINING_MANAGER,
    TRAINING_MANAGER_PIN,
    Till,
)
from tests.tills import (
    ANA_CODE,
    MAIN_CARD,
    POINTS,
    STORED_VALUE,
    Counter,
    counter_at,
    faults,
    find,
    ledger,
    ref,
    usd,
)

CASHIER_MINUTES = 10  # not the default 30, so the tests prove the configuration is read
MAX_AGE_DAYS = 3


@pytest.fixture
async def counter(sandbox_server: tuple[str, Sandbox], tmp_path: Path) -> AsyncIterator[Counter]:
    refund = {"cashier_minutes": CASHIER_MINUTES, "max_age_days": MAX_AGE_DAYS}
    async with counter_at(sandbox_server, tmp_path, policy={"refund": refund}) as counter:
        assert counter.till.sign_in(TRAINING_CASHIER, TRAINING_CASHIER_PIN).ok
        yield counter


async def redeemed(counter: Counter, amount: str = "10.00") -> Entry:
    """A confirmed LoyaltyDog redemption, as the journal has it."""
    match = await find(counter.till, MAIN_CARD, Provider.LOYALTYDOG)
    result = await counter.actions.redeem(match, usd(amount))
    assert result.ok, result.message
    return counter.till.operations.get(ref(result))


def age(till: Till, entry: Entry, by: timedelta) -> Entry:
    """Backdate the row (see the module's docstring): the journal keeps UTC ISO text."""
    moment: datetime = utc_now() - by
    with till.db:
        till.db.execute(
            "UPDATE operations SET created_at = ? WHERE key = ?",
            (moment.isoformat(timespec="microseconds"), entry.key),
        )
    return till.operations.get(entry.key)


def refunds(url: str) -> list[tuple[str, str]]:
    return [
        (e["operation"], e["amount"])
        for e in ledger(url)
        if e["operation"] in ("refund", "transaction_delete")
    ]


# ---------------------------------------------------------------------- what is refused


async def test_leal_has_no_undo(counter: Counter) -> None:
    till = counter.till
    match = await find(till, ANA_CODE, Provider.LEAL)
    stamped = await counter.actions.add_stamps(match, 1)
    assert stamped.ok, stamped.message
    assert stamped.match is not None
    reward = next(r for r in stamped.match.rewards if r.redeemable)
    rewarded = await counter.actions.redeem_reward(stamped.match, reward.id)
    assert rewarded.ok, rewarded.message
    for result in (stamped, rewarded):
        check = check_undo(till, till.operations.get(ref(result)))
        assert (check.allowed, check.needs_manager, check.ticket) == (False, False, None)
        assert check.reason.startswith("Leal has no undo")


async def test_only_redemptions_can_be_undone(counter: Counter) -> None:
    till = counter.till
    match = await find(till, POINTS, Provider.CLIENTTOOLBOX, count=1250)
    reward = next(r for r in match.rewards if r.redeemable)
    rewarded = await counter.actions.redeem_reward(match, reward.id)
    assert rewarded.ok, rewarded.message
    check = check_undo(till, till.operations.get(ref(rewarded)))
    assert not check.allowed
    assert check.reason == "Tillcard cannot undo this kind of operation."

    entry = await redeemed(counter)
    ticket = undo_ticket(entry)
    assert ticket is not None
    undone = await counter.actions.undo(ticket)
    assert undone.ok, undone.message
    of_the_undo = check_undo(till, till.operations.get(ref(undone)))
    assert (of_the_undo.allowed, of_the_undo.reason) == (False, "Tillcard cannot undo an undo.")


async def test_a_pending_redemption_cannot_be_undone_yet(counter: Counter) -> None:
    till = counter.till
    match = await find(till, MAIN_CARD, Provider.LOYALTYDOG)
    faults(counter.url, "loyaltydog", outage=True)
    result = await counter.actions.redeem(match, usd("5.00"))
    assert result.state == "pending", result.message
    check = check_undo(till, till.operations.get(ref(result)))
    assert not check.allowed
    assert check.ticket is None
    assert check.reason.endswith("this one is pending.")
    assert "confirmed" in check.reason


async def test_a_refused_redemption_has_nothing_to_undo(counter: Counter) -> None:
    till = counter.till
    stale = await find(till, MAIN_CARD, Provider.LOYALTYDOG)
    assert (await counter.actions.redeem(stale, usd("80.00"))).ok
    refused = await counter.actions.redeem(stale, usd("80.00"))  # the back-end says no
    assert refused.state == "rejected", refused.message
    check = check_undo(till, till.operations.get(ref(refused)))
    assert not check.allowed
    assert check.reason.endswith("this one is rejected.")


async def test_without_the_back_ends_transaction_number_there_is_no_undo(
    counter: Counter,
) -> None:
    till = counter.till
    entry = await redeemed(counter)
    with till.db:
        till.db.execute("UPDATE operations SET result = '{}' WHERE key = ?", (entry.key,))
    check = check_undo(till, till.operations.get(entry.key))
    assert not check.allowed
    assert "transaction number is missing" in check.reason


# ---------------------------------------------------------------------- who may undo, and when


async def test_a_fresh_redemption_of_this_till_is_the_cashiers_to_undo(counter: Counter) -> None:
    till = counter.till
    entry = age(till, await redeemed(counter), timedelta(minutes=CASHIER_MINUTES - 1))
    check = check_undo(till, entry)
    assert (check.allowed, check.needs_manager) == (True, False)
    assert check.ticket == undo_ticket(entry)
    assert check.ticket is not None
    assert (check.ticket.reference, check.ticket.amount) == (entry.key, entry.amount)


async def test_a_late_undo_needs_a_manager_unless_a_manager_is_signed_in(
    counter: Counter,
) -> None:
    till = counter.till
    entry = age(till, await redeemed(counter), timedelta(minutes=CASHIER_MINUTES + 1))
    check = check_undo(till, entry)
    assert (check.allowed, check.needs_manager) == (True, True)
    assert check.ticket is not None
    assert f"over {CASHIER_MINUTES} minutes old" in check.reason
    assert "manager" in check.reason
    till.sign_out()
    assert till.sign_in(TRAINING_MANAGER, TRAINING_MANAGER_PIN).is_manager
    by_manager = check_undo(till, entry)
    assert (by_manager.allowed, by_manager.needs_manager) == (True, False)


async def test_another_tills_redemption_needs_a_manager(counter: Counter) -> None:
    till = counter.till
    entry = await redeemed(counter)
    with till.db:
        till.db.execute("UPDATE operations SET terminal = 'till-9' WHERE key = ?", (entry.key,))
    check = check_undo(till, till.operations.get(entry.key))
    assert (check.allowed, check.needs_manager) == (True, True)
    assert "made on another till" in check.reason


async def test_too_old_is_refused_even_for_a_manager(counter: Counter) -> None:
    till = counter.till
    till.is_manager = True
    entry = await redeemed(counter)
    inside = check_undo(till, age(till, entry, timedelta(days=MAX_AGE_DAYS, minutes=-1)))
    assert (inside.allowed, inside.needs_manager) == (True, False)
    check = check_undo(till, age(till, entry, timedelta(days=MAX_AGE_DAYS, minutes=1)))
    assert not check.allowed
    assert check.ticket is None
    assert f"more than {MAX_AGE_DAYS} days old" in check.reason


# ---------------------------------------------------------------------- never twice


async def test_an_undo_in_flight_blocks_a_second_until_it_is_finished(counter: Counter) -> None:
    till = counter.till
    entry = await redeemed(counter, "15.00")
    first = check_undo(till, entry)
    assert first.allowed
    assert first.ticket is not None
    # The refund reaches LoyaltyDog but its answer is lost: the undo is owed, maybe applied.
    faults(counter.url, "loyaltydog", apply_then_drop_rate=1.0)
    lost = await counter.actions.undo(first.ticket)
    assert lost.state == "pending", lost.message
    undo = till.operations.get(ref(lost))
    assert undo.state.is_open
    second = check_undo(till, entry)
    assert (second.allowed, second.ticket) == (False, None)
    assert f"already on its way (ref {undo.key[:8]}" in second.reason

    faults(counter.url, "loyaltydog")
    till.engine.retry_now(undo.key)
    await till.engine.drain()
    assert till.operations.get(undo.key).state is EntryState.DONE
    third = check_undo(till, entry)
    assert (third.allowed, third.reason) == (False, f"Already undone (ref {undo.key[:8]}).")
    assert refunds(counter.url) == [("refund", "15.00")]  # the resend was a replay


async def test_an_undo_that_went_nowhere_does_not_block_another(counter: Counter) -> None:
    till = counter.till
    entry = await redeemed(counter)
    check = check_undo(till, entry)
    assert check.ticket is not None
    faults(counter.url, "loyaltydog", outage=True)
    failed = await counter.actions.undo(check.ticket)
    assert till.operations.get(ref(failed)).state is EntryState.CANCELLED
    faults(counter.url, "loyaltydog")
    # Let the failed attempt's worker wind down, as the GUI's running sync loop would: the
    # engine's send_now skips a card whose last worker has not been removed yet.
    await till.engine.drain()
    again = check_undo(till, entry)
    assert again.allowed
    assert again.ticket is not None
    assert (await counter.actions.undo(again.ticket)).ok
    assert [u.state for u in till.operations.undos_of(entry.key)] == [
        EntryState.CANCELLED,
        EntryState.DONE,
    ]
    assert refunds(counter.url) == [("refund", "10.00")]


async def test_an_undo_a_manager_must_settle_blocks_another(counter: Counter) -> None:
    till = counter.till
    entry = await redeemed(counter)
    assert entry.amount is not None
    # As if written by another window: an undo promised, then refused by the back-end.
    held = till.operations.add(
        refund_entry(
            provider=Provider.LOYALTYDOG,
            amount=entry.amount,
            original=entry.key,
            card=entry.card,
            masked=entry.masked,
            transaction_id="tx-gone",
            terminal=till.terminal,
        )
    )
    till.operations.needs_attention(held.key, "card closed")
    check = check_undo(till, entry)
    assert not check.allowed
    assert check.reason == f"An earlier undo (ref {held.key[:8]}) is for a manager to settle."
    till.operations.resolve(held.key, "refunded in cash", "Training manager")
    assert not check_undo(till, entry).allowed


async def test_a_full_undo_on_loyaltydog_refunds_once(counter: Counter) -> None:
    till = counter.till
    match = await find(till, MAIN_CARD, Provider.LOYALTYDOG)
    assert match.balance is not None
    entry = await redeemed(counter, "30.25")
    check = check_undo(till, entry)
    assert check.allowed
    assert not check.needs_manager
    assert check.ticket is not None
    result = await CardActions(till).undo(check.ticket)
    assert result.ok, result.message
    assert result.balance_after == match.balance
    undo = till.operations.get(ref(result))
    assert (undo.undo_of, undo.cashier, undo.amount) == (entry.key, TRAINING_CASHIER, entry.amount)
    assert refunds(counter.url) == [("refund", "30.25")]
    again = check_undo(till, entry)
    assert (again.allowed, again.reason) == (False, f"Already undone (ref {undo.key[:8]}).")


async def test_a_full_undo_on_clienttoolbox_deletes_the_transaction_once(
    counter: Counter,
) -> None:
    till = counter.till
    match = await find(till, STORED_VALUE, Provider.CLIENTTOOLBOX, kind="stored_value")
    assert match.balance is not None
    amount = Money(usd("7.50").amount, match.balance.currency)
    result = await counter.actions.redeem(match, amount)
    assert result.ok, result.message
    entry = till.operations.get(ref(result))
    check = check_undo(till, entry)
    assert check.allowed
    assert check.ticket is not None
    assert check.ticket.campaign_id is not None
    undone = await CardActions(till).undo(check.ticket)
    assert undone.ok, undone.message
    assert refunds(counter.url) == [("transaction_delete", amount.to_api())]
    refreshed = await counter.actions.refresh(match)
    assert refreshed.match is not None
    assert refreshed.match.balance == match.balance
    again = check_undo(till, entry)
    assert not again.allowed
    assert again.reason == f"Already undone (ref {ref(undone)[:8]})."


async def test_two_undos_racing_past_the_check_journal_only_one(
    counter: Counter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another window journals an undo of the sale between this one's check and its insert.

    That instant cannot be hit on purpose with real processes, so the check is made to miss
    the other undo once (monkeypatch); the journal's unique index must still refuse the second.
    """
    import pos_app.services.card_actions as card_actions

    entry = await redeemed(counter)
    ticket = undo_ticket(entry)
    assert ticket is not None
    other = refund_entry(
        provider=ticket.provider,
        amount=ticket.amount,
        original=entry.key,
        card=entry.card,
        masked=entry.masked,
        transaction_id=ticket.transaction_id,
        terminal="till-2",
    )
    counter.till.operations.add(other)  # the other window's undo, not sent yet
    real = card_actions.undo_blocked
    calls: list[str | None] = []

    def misses_once(till: Till, reference: str | None) -> str | None:
        calls.append(reference)
        return None if len(calls) == 1 else real(till, reference)

    monkeypatch.setattr(card_actions, "undo_blocked", misses_once)
    result = await counter.actions.undo(ticket)
    assert result.state == "rejected"
    assert result.message.startswith("An undo of this is already on its way")
    assert "Nothing was changed" in result.message
    assert [u.key for u in counter.till.operations.undos_of(entry.key)] == [other.key]
    assert [e["operation"] for e in ledger(counter.url)] == ["redeem"]
    assert len(calls) == 2  # the check missed it, the journal refused, the message says why
