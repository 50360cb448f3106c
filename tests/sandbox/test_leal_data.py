"""Leal seed and building blocks without HTTP: summary shape, determinism, limiter, locking."""

from __future__ import annotations

import re
import threading
from datetime import UTC, date, datetime, timedelta

import pytest

from pos_app.sandbox.leal import LealData
from pos_app.sandbox.leal_limits import RateLimiter
from pos_app.sandbox.ledger import Ledger

TODAY = date(2025, 3, 9)


def test_seed_summary_has_the_agreed_shape() -> None:
    summary = LealData.seeded(0, TODAY).seed_summary()
    assert {"account_id", "token", "customers", "rewards"} <= summary.keys()
    assert summary["account_id"] == 42
    assert summary["token"].startswith("leal_sbx_")
    assert len(summary["customers"]) >= 12
    for person in summary["customers"]:
        assert {"id", "name", "email", "phone", "card_code", "customer_cards"} <= person.keys()
        assert person["email"] or person["phone"]
        assert re.fullmatch(r"[A-Z0-9]{8}", person["card_code"])
        assert person["card_code"] == person["customer_cards"][0]["card_code"]
        for card in person["customer_cards"]:
            assert {"id", "card_id", "stamps_count", "stamps_required"} <= card.keys()
    for reward in summary["rewards"]:
        assert set(reward) >= {"id", "card_id", "name", "stamps_required", "active"}


def test_seed_covers_the_interesting_cases() -> None:
    summary = LealData.seeded(0, TODAY).seed_summary()
    cards = [c for p in summary["customers"] for c in p["customer_cards"]]
    progress = {(c["stamps_count"], c["stamps_required"]) for c in cards}
    assert any(count == 0 for count, _ in progress)
    assert any(0 < count < need for count, need in progress)
    assert any(count == need for count, need in progress)
    assert any(count > need for count, need in progress)
    assert any(len(p["customer_cards"]) == 2 for p in summary["customers"])
    assert any(p["phone"] and not p["email"] for p in summary["customers"])
    assert any(p["email"] and not p["phone"] for p in summary["customers"])
    codes = [c["card_code"] for c in cards]
    uuids = [c["uuid"] for c in cards]
    assert len(set(codes)) == len(codes) == 17
    assert len(set(uuids)) == len(uuids)
    templates = {c["name"]: c["stamps_required"] for c in summary["cards"]}
    assert templates == {"Coffee Card": 10, "Haircut Card": 6, "Smoothie Card": 8}
    rewards = summary["rewards"]
    assert any(not r["active"] for r in rewards)
    assert len({r["stamps_required"] for r in rewards if r["card_id"] == 3}) == 4


def test_same_seed_same_world_and_other_seed_other_codes() -> None:
    first = LealData.seeded(7, TODAY).seed_summary()
    assert LealData.seeded(7, TODAY).seed_summary() == first
    other = LealData.seeded(8, TODAY).seed_summary()
    assert other["token"] != first["token"]
    assert [p["card_code"] for p in other["customers"]] != [
        p["card_code"] for p in first["customers"]
    ]
    assert [p["id"] for p in other["customers"]] == [p["id"] for p in first["customers"]]


@pytest.mark.parametrize("today", [date(2020, 1, 1), date(2031, 12, 31)])
def test_seed_dates_are_relative_to_today(today: date) -> None:
    data = LealData.seeded(0, today)
    start_of_today = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
    stamps = [
        *[c.created_at for c in data.customers.values()],
        *[c.updated_at for c in data.customer_cards.values()],
        *[c.issued_at for c in data.customer_cards.values()],
    ]
    assert all(start_of_today - timedelta(days=1000) < t < start_of_today for t in stamps)


def test_expire_tokens_rotates_deterministically() -> None:
    data = LealData.seeded(0, TODAY)
    old = data.primary_token
    data.expire_tokens()
    assert data.accounts_for(old) is None
    assert data.accounts_for(data.primary_token) == frozenset({42})
    twin = LealData.seeded(0, TODAY)
    twin.expire_tokens()
    assert twin.primary_token == data.primary_token != old


def test_rate_limiter_counts_per_key_in_fixed_windows() -> None:
    now = [0.0]
    limiter = RateLimiter(limit=2, window_seconds=10, clock=lambda: now[0])
    assert [limiter.hit("a").allowed for _ in range(3)] == [True, True, False]
    assert limiter.hit("b").remaining == 1
    now[0] = 9.2
    blocked = limiter.hit("a")
    assert (blocked.allowed, blocked.reset_seconds) == (False, 1)
    assert (b"retry-after", b"1") in blocked.headers()
    now[0] = 10.0
    fresh = limiter.hit("a")
    assert (fresh.allowed, fresh.remaining, fresh.reset_seconds) == (True, 1, 10)
    assert all(name != b"retry-after" for name, _ in fresh.headers())


def test_concurrent_stamps_on_one_card_are_all_applied() -> None:
    data = LealData.seeded(0, TODAY)
    ledger = Ledger()
    card = data.customer_cards[557]
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        for _ in range(250):
            data.stamp(card, 1, skip_notifications=False, ledger=ledger)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert card.stamps_count == 2000
    assert len(ledger.entries()) == 2000
    assert len(data.stamp_events) == 2000


def test_concurrent_redeems_never_overspend() -> None:
    data = LealData.seeded(0, TODAY)
    ledger = Ledger()
    card = data.customer_cards[559]  # 13 stamps: room for two 5-stamp size upgrades
    results: list[str] = []
    barrier = threading.Barrier(6)

    def worker() -> None:
        barrier.wait()
        try:
            data.redeem(card, 18, ledger=ledger)
            results.append("ok")
        except Exception as exc:  # LealRefusal
            results.append(type(exc).__name__)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["LealRefusal"] * 4 + ["ok"] * 2
    assert card.stamps_count == 3
    assert [e.stamps for e in ledger.entries()] == [5, 5]
