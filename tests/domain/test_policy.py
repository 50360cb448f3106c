"""The offline risk policy: hard denials, manager-PIN caps, and the §3 defaults."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos_app.domain import (
    DEFAULT_MAX_CARD_AGE,
    DEFAULT_MODES,
    DEFAULT_PER_TRANSACTION_CAP,
    DEFAULT_TERMINAL_CAP,
    CurrencyMismatchError,
    Money,
    OfflineDecision,
    OnlineMode,
    OperationKind,
    Verdict,
    check_offline_add_stamps,
    check_offline_redeem,
    check_offline_redeem_reward,
    check_offline_refund,
)
from tests.domain.builders import usd

FRESH = timedelta(hours=1)


def redeem(amount: str, **overrides: Any) -> OfflineDecision:
    arguments: dict[str, Any] = {
        "cached_balance": usd("100"),
        "pending_debits": usd("0"),
        "terminal_pending_total": usd("0"),
        "card_seen_age": FRESH,
    }
    arguments.update(overrides)
    cached = arguments.pop("cached_balance")
    pending = arguments.pop("pending_debits")
    return check_offline_redeem(usd(amount), cached, pending, **arguments)


def test_defaults_follow_the_architecture() -> None:
    assert Decimal("50.00") == DEFAULT_PER_TRANSACTION_CAP
    assert Decimal("500.00") == DEFAULT_TERMINAL_CAP
    assert timedelta(hours=24) == DEFAULT_MAX_CARD_AGE
    assert DEFAULT_MODES == {
        OperationKind.REDEEM: OnlineMode.PREFER_ONLINE,
        OperationKind.ADD_STAMPS: OnlineMode.PREFER_ONLINE,
        OperationKind.REDEEM_REWARD: OnlineMode.PREFER_ONLINE,
        OperationKind.REFUND: OnlineMode.REQUIRE_ONLINE,
    }


class TestOfflineRedeem:
    def test_small_redeem_on_a_fresh_card_is_allowed(self) -> None:
        decision = redeem("20")
        assert decision.verdict is Verdict.ALLOW
        assert decision.allowed
        assert decision.reasons == ()
        assert decision.message == ""

    def test_limits_are_inclusive(self) -> None:
        assert redeem("50", card_seen_age=DEFAULT_MAX_CARD_AGE).allowed
        assert redeem("50", terminal_pending_total=usd("450")).allowed
        assert redeem("50", cached_balance=usd("80"), pending_debits=usd("30")).allowed

    @pytest.mark.parametrize(
        ("overrides", "reason"),
        [
            ({"mode": OnlineMode.REQUIRE_ONLINE}, "This needs a connection"),
            ({"card_seen_age": None}, "has not been checked online on this till"),
            (
                {"card_seen_age": DEFAULT_MAX_CARD_AGE + timedelta(seconds=1)},
                "not checked online in the last 24 h",
            ),
            ({"card_seen_age": timedelta(seconds=-5)}, "clock changed"),
            (
                {"cached_balance": usd("30")},
                r"Not enough balance for offline use: \$ 30.00 available",
            ),
            (
                {"cached_balance": usd("30"), "pending_debits": usd("25")},
                r"Not enough balance for offline use: \$ 5.00 available",
            ),
            (
                {"cached_balance": usd("30"), "pending_debits": usd("45")},
                r"Not enough balance for offline use: \$ 0.00 available",
            ),
        ],
    )
    def test_hard_denials(self, overrides: dict[str, Any], reason: str) -> None:
        decision = redeem("40", **overrides)
        assert decision.verdict is Verdict.DENY
        assert not decision.allowed
        assert len(decision.reasons) == 1
        assert re.search(reason, decision.message)

    def test_zero_amount_is_denied(self) -> None:
        decision = redeem("0")
        assert decision.verdict is Verdict.DENY
        assert decision.message == "The amount must be more than zero"

    def test_max_age_in_minutes_is_said_in_minutes(self) -> None:
        decision = redeem("5", card_seen_age=timedelta(hours=2), max_age=timedelta(minutes=90))
        assert decision.message == "This card was not checked online in the last 90 min"

    def test_above_the_per_transaction_cap_needs_a_manager(self) -> None:
        decision = redeem("50.01")
        assert decision.verdict is Verdict.NEEDS_MANAGER_PIN
        assert not decision.allowed
        assert decision.reasons == ("Offline redemptions above $ 50.00 need a manager PIN",)

    def test_above_the_terminal_cap_needs_a_manager(self) -> None:
        decision = redeem("20", terminal_pending_total=usd("490"))
        assert decision.verdict is Verdict.NEEDS_MANAGER_PIN
        assert decision.reasons == (
            "This till already has $ 490.00 waiting to sync; above $ 500.00 needs a manager PIN",
        )

    def test_both_caps_give_both_reasons(self) -> None:
        decision = redeem("60", terminal_pending_total=usd("480"))
        assert decision.verdict is Verdict.NEEDS_MANAGER_PIN
        assert len(decision.reasons) == 2
        assert decision.message.count("manager PIN") == 2

    def test_hard_denial_wins_over_caps(self) -> None:
        decision = redeem("60", cached_balance=usd("55"), terminal_pending_total=usd("480"))
        assert decision.verdict is Verdict.DENY

    def test_caps_are_configurable(self) -> None:
        assert redeem("80", per_transaction_cap=Decimal("100")).allowed
        decision = redeem("10", terminal_cap=Decimal("5"))
        assert decision.verdict is Verdict.NEEDS_MANAGER_PIN

    def test_allow_offline_mode_applies_the_same_limits(self) -> None:
        assert redeem("20", mode=OnlineMode.ALLOW_OFFLINE).allowed
        assert redeem("60", mode=OnlineMode.ALLOW_OFFLINE).verdict is Verdict.NEEDS_MANAGER_PIN

    def test_currencies_must_agree(self) -> None:
        with pytest.raises(CurrencyMismatchError):
            redeem("20", cached_balance=Money.from_api("100", "EUR"))

    @given(
        amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(200), places=2),
        balance=st.decimals(min_value=Decimal(0), max_value=Decimal(200), places=2),
        pending=st.decimals(min_value=Decimal(0), max_value=Decimal(200), places=2),
        terminal=st.decimals(min_value=Decimal(0), max_value=Decimal(600), places=2),
        age_minutes=st.integers(0, 48 * 60),
    )
    def test_never_allows_spending_more_than_is_there(
        self,
        amount: Decimal,
        balance: Decimal,
        pending: Decimal,
        terminal: Decimal,
        age_minutes: int,
    ) -> None:
        decision = check_offline_redeem(
            Money(amount, "USD"),
            Money(balance, "USD"),
            Money(pending, "USD"),
            terminal_pending_total=Money(terminal, "USD"),
            card_seen_age=timedelta(minutes=age_minutes),
        )
        if decision.verdict is not Verdict.DENY:
            assert amount <= balance - pending
            assert age_minutes <= 24 * 60
        if decision.allowed:
            assert amount <= DEFAULT_PER_TRANSACTION_CAP
            assert terminal + amount <= DEFAULT_TERMINAL_CAP
        else:
            assert decision.reasons


class TestOtherOperations:
    def test_add_stamps_is_safe_offline(self) -> None:
        assert check_offline_add_stamps().allowed
        assert check_offline_add_stamps(OnlineMode.ALLOW_OFFLINE).allowed
        assert check_offline_add_stamps(OnlineMode.REQUIRE_ONLINE).verdict is Verdict.DENY

    def test_reward_needs_enough_cached_stamps(self) -> None:
        assert check_offline_redeem_reward(5, 8, 3).allowed
        decision = check_offline_redeem_reward(5, 8, 4)
        assert decision.verdict is Verdict.DENY
        assert decision.message == "Not enough for offline use: needs 5, 4 available"
        assert check_offline_redeem_reward(5, 2, 9).message.endswith("0 available")

    def test_reward_respects_the_mode(self) -> None:
        decision = check_offline_redeem_reward(1, 10, 0, mode=OnlineMode.REQUIRE_ONLINE)
        assert decision.verdict is Verdict.DENY

    def test_reward_arguments_are_counts(self) -> None:
        with pytest.raises(ValueError, match="at least 1"):
            check_offline_redeem_reward(0, 10, 0)
        with pytest.raises(TypeError):
            check_offline_redeem_reward(1, 10.0, 0)  # type: ignore[arg-type]

    def test_refund_requires_online_by_default(self) -> None:
        decision = check_offline_refund()
        assert decision.verdict is Verdict.DENY
        assert decision.message.startswith("This needs a connection")
        assert check_offline_refund(OnlineMode.ALLOW_OFFLINE).allowed
