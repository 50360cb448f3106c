"""The operations table: committed before sending, states only move forward, nothing vanishes."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from pos_app.domain import Money, OperationKind, Provider
from pos_app.journal.audit_trail import AuditTrail
from pos_app.journal.card_cache import CardCache
from pos_app.journal.database import JOURNAL_FILE, open_journal
from pos_app.journal.pending_operations import (
    EntryState,
    NewEntry,
    PendingOperations,
    utc_now,
)
from pos_app.journal.staff import Staff
from pos_app.manager_pin import hash_pin


def usd(text: str) -> Money:
    return Money(Decimal(text), "USD")


def new(key: str, card: str = "card-1", amount: str | None = "5.00", **extra: object) -> NewEntry:
    fields: dict[str, object] = {
        "key": key,
        "provider": Provider.LOYALTYDOG,
        "kind": OperationKind.REDEEM,
        "card": card,
        "payload": {"amount": amount},
        "masked": "•••• 1234",
        "description": f"Redeem {amount}",
        "terminal": "till-1",
        "amount": None if amount is None else usd(amount),
    }
    fields.update(extra)
    return NewEntry(**fields)  # type: ignore[arg-type]


def key(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


@pytest.fixture
def journal(tmp_path: Path) -> PendingOperations:
    return PendingOperations(open_journal(tmp_path))


def test_an_added_entry_is_on_disk_before_anything_else_happens(tmp_path: Path) -> None:
    operations = PendingOperations(open_journal(tmp_path))
    operations.add(new(key(1)))
    other = sqlite3.connect(tmp_path / JOURNAL_FILE)  # a second reader, as after a crash
    assert other.execute("SELECT key, state FROM operations").fetchall() == [(key(1), "pending")]


def test_add_answers_exactly_what_was_written(journal: PendingOperations) -> None:
    journal.add(new(key(1)))
    added = journal.add(new(key(2), card="other", units=3))
    assert added == journal.get(key(2))
    assert added.seq == 2


def test_the_same_key_can_never_be_journaled_twice(journal: PendingOperations) -> None:
    journal.add(new(key(1)))
    with pytest.raises(sqlite3.IntegrityError):
        journal.add(new(key(1)))
    assert len(journal.listing()) == 1


def test_cards_are_served_first_in_first_out(journal: PendingOperations) -> None:
    for n, card in enumerate(["a", "b", "a", "c", "b"], start=1):
        journal.add(new(key(n), card=card))
    assert [c for _, c in journal.due_cards(utc_now())] == ["a", "b", "c"]
    head = journal.head(Provider.LOYALTYDOG, "a")
    assert head is not None
    assert head.key == key(1)
    journal.retry_later(key(1), "offline", utc_now() + timedelta(minutes=5))
    assert [c for _, c in journal.due_cards(utc_now())] == ["b", "c"]  # a waits, b and c go
    head = journal.head(Provider.LOYALTYDOG, "a")
    assert head is not None
    assert head.key == key(1)  # a's later entry stays behind its head
    due = journal.next_due()
    assert due is not None
    assert due > utc_now() + timedelta(minutes=4)  # the only head backing off is a's


def test_a_back_end_that_answers_again_ends_only_its_own_waits(
    journal: PendingOperations,
) -> None:
    later = utc_now() + timedelta(minutes=5)
    journal.add(new(key(1), card="a"))
    journal.add(new(key(2), card="b"))
    journal.add(new(key(3), card="c", provider=Provider.LEAL))
    journal.add(new(key(4), card="d"), state=EntryState.HELD)
    journal.add(new(key(5), card="e"))
    journal.retry_later(key(1), "offline", later)
    journal.outcome_unknown(key(2), "lost answer", later)
    journal.retry_later(key(3), "offline", later)
    journal.needs_attention(key(5), "card voided")
    assert journal.due_cards(utc_now()) == []
    assert journal.retry_provider_now(Provider.LOYALTYDOG) == 2
    assert journal.due_cards(utc_now()) == [(Provider.LOYALTYDOG, "a"), (Provider.LOYALTYDOG, "b")]
    assert journal.get(key(2)).state is EntryState.UNKNOWN  # still checked before any resend
    assert journal.get(key(3)).next_attempt_at == later  # Leal's wait is Leal's
    assert journal.get(key(4)).state is EntryState.HELD
    assert journal.get(key(5)).state is EntryState.NEEDS_ATTENTION
    assert journal.retry_provider_now(Provider.LOYALTYDOG) == 0


def test_a_refusal_reaches_the_manager_once_the_cashier_was_told_pending(
    journal: PendingOperations,
) -> None:
    journal.add(new(key(1)))
    journal.add(new(key(2)))
    journal.promise(key(2))
    assert journal.refuse(key(1), "Insufficient balance") is EntryState.REJECTED
    assert journal.refuse(key(2), "Insufficient balance") is EntryState.NEEDS_ATTENTION
    assert [e.key for e in journal.listing()] == [key(2)]


def test_only_an_unsent_entry_can_be_cancelled(journal: PendingOperations) -> None:
    journal.add(new(key(1)))
    journal.add(new(key(2)))
    assert journal.mark_in_flight(key(2), None)
    assert journal.cancel(key(1), "cashier stopped it")
    assert not journal.cancel(key(2), "too late")
    assert journal.get(key(2)).state is EntryState.IN_FLIGHT


def test_in_flight_after_a_crash_becomes_unknown(journal: PendingOperations) -> None:
    journal.add(new(key(1)))
    journal.mark_in_flight(key(1), {"stamps": 3})
    assert journal.recover_interrupted() == 1
    entry = journal.get(key(1))
    assert entry.state is EntryState.UNKNOWN
    assert entry.before == {"stamps": 3}
    assert entry.attempts == 1


def test_resolving_needs_a_note_and_a_needs_attention_entry(journal: PendingOperations) -> None:
    journal.add(new(key(1)))
    assert not journal.resolve(key(1), "called the customer", "Sam")
    journal.needs_attention(key(1), "card voided")
    with pytest.raises(ValueError, match="note"):
        journal.resolve(key(1), "   ", "Sam")
    assert journal.resolve(key(1), "collected 5.00 in cash", "Sam")
    entry = journal.get(key(1))
    assert entry.state is EntryState.RESOLVED
    assert entry.note == "collected 5.00 in cash (Sam)"


def test_held_entries_are_never_due_until_released(journal: PendingOperations) -> None:
    journal.add(new(key(1)), state=EntryState.HELD)
    assert journal.due_cards(utc_now()) == []
    assert journal.release(key(1))
    assert journal.get(key(1)).offline
    assert len(journal.due_cards(utc_now())) == 1


def test_spending_counts_what_the_cached_card_cannot_show_yet(
    journal: PendingOperations,
) -> None:
    seen = utc_now()
    journal.add(new(key(1), amount="10.00"))  # still owed to the back-end
    journal.add(new(key(2), amount="20.00"))
    journal.complete(key(2), {})  # confirmed after the card was read: not in the cache yet
    journal.add(new(key(3), amount="40.00"))
    journal.cancel(key(3), "never sent")
    journal.add(new(key(4), card="other", amount="80.00"))
    spent, units = journal.spent_since(Provider.LOYALTYDOG, "card-1", seen, "USD")
    assert spent == usd("30.00")
    assert units == 0
    later, _ = journal.spent_since(Provider.LOYALTYDOG, "card-1", utc_now(), "USD")
    assert later == usd("10.00")
    assert journal.pending_money("USD") == usd("90.00")


def test_a_short_reference_finds_exactly_one_entry(journal: PendingOperations) -> None:
    journal.add(new("1234abcd-0000-4000-8000-000000000001"))
    journal.add(new("5678abcd-0000-4000-8000-000000000002"))
    journal.add(new("5678abcd-0000-4000-8000-000000000003"))
    found = journal.find("1234ABCD")
    assert found is not None
    assert found.key.startswith("1234abcd")
    assert journal.find("5678abcd") is None  # ambiguous: never guess
    assert journal.find("123") is None
    assert journal.find("%%%%%%%%") is None


def test_queue_json_has_the_contract_keys(journal: PendingOperations) -> None:
    journal.add(new(key(1)))
    item = journal.listing()[0].as_json()
    assert {"reference", "state", "provider", "kind", "age_seconds"} <= set(item)
    assert item["amount"] == "5.00"
    assert item["card"] == "•••• 1234"


def test_card_cache_keeps_the_newest_sighting_and_its_codes(tmp_path: Path) -> None:
    cache = CardCache(open_journal(tmp_path))
    now = utc_now()
    cache.remember(Provider.LEAL, "9001/555", '{"v": 2}', code="ZTLK", seen_at=now)
    cache.remember(
        Provider.LEAL, "9001/555", '{"v": 1}', code="ana@x", seen_at=now - timedelta(hours=1)
    )
    (found,) = cache.recall("ana@x")
    assert found.snapshot == '{"v": 2}'  # an older reading never overwrites a newer one
    assert cache.recall("ZTLK", Provider.LOYALTYDOG) == []


def test_audit_trail_is_append_only(tmp_path: Path) -> None:
    db = open_journal(tmp_path)
    audit = AuditTrail(db, "till-1")
    audit.record("redeem", {"card": "•••• 1234"}, "done", cashier="Ana")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE audit SET result = 'changed'")
    (line,) = audit.recent()
    assert (line.terminal, line.cashier, line.action, line.result) == (
        "till-1",
        "Ana",
        "redeem",
        "done",
    )


def test_staff_keeps_only_scrypt_hashes(tmp_path: Path) -> None:
    staff = Staff(open_journal(tmp_path))
    with pytest.raises(ValueError, match="scrypt"):
        staff.set_manager("Sam", "1234")
    staff.set_manager("Sam", hash_pin("4321"))
    ((name, stored),) = staff.managers()
    assert name == "Sam"
    assert "4321" not in stored
