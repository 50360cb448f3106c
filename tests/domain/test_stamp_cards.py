"""Stamp cards, rewards and the redeemable-rewards rule; customers' display names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos_app.domain import Customer, DomainError, redeemable_rewards, reward_refusal
from tests.domain.builders import reward, stamp_card


class TestStampCard:
    @pytest.mark.parametrize(
        ("count", "required", "remaining", "percent", "full"),
        [
            (0, 10, 10, 0, False),
            (7, 10, 3, 70, False),
            (10, 10, 0, 100, True),
            (13, 10, 0, 100, True),
            (1, 3, 2, 33, False),
        ],
    )
    def test_progress(
        self, count: int, required: int, remaining: int, percent: int, full: bool
    ) -> None:
        card = stamp_card(stamps_count=count, stamps_required=required)
        assert card.stamps_remaining == remaining
        assert card.progress_percent == percent
        assert card.is_full is full
        assert card.progress_text == f"{count} of {required} stamps"

    @given(st.integers(0, 500), st.integers(1, 50))
    def test_progress_stays_in_range(self, count: int, required: int) -> None:
        card = stamp_card(stamps_count=count, stamps_required=required)
        assert 0 <= card.progress_percent <= 100
        assert card.stamps_remaining + min(count, required) == required

    def test_pending_spends_reduce_available_stamps(self) -> None:
        card = stamp_card(stamps_count=7)
        assert card.stamps_available() == 7
        assert card.stamps_available(5) == 2
        assert card.stamps_available(9) == 0

    @pytest.mark.parametrize(
        ("overrides", "error"),
        [
            ({"stamps_count": -1}, DomainError),
            ({"stamps_required": 0}, DomainError),
            ({"stamps_count": True}, TypeError),
            ({"stamps_count": 1.0}, TypeError),
            ({"id": 555}, TypeError),
            ({"template_id": 3}, TypeError),
            ({"customer_id": 9001}, TypeError),
        ],
    )
    def test_bad_values_are_refused(self, overrides: dict[str, object], error: type) -> None:
        with pytest.raises(error):
            stamp_card(**overrides)


class TestRewards:
    def test_cost_text(self) -> None:
        assert reward(cost=1).cost_text == "1 stamp"
        assert reward(cost=8).cost_text == "8 stamps"

    @pytest.mark.parametrize(
        ("overrides", "error"),
        [
            ({"cost": 0}, DomainError),
            ({"cost": -3}, DomainError),
            ({"name": "  "}, DomainError),
            ({"active": "yes"}, TypeError),
            ({"id": 17}, TypeError),
            ({"position": "1"}, TypeError),
        ],
    )
    def test_bad_values_are_refused(self, overrides: dict[str, object], error: type) -> None:
        with pytest.raises(error):
            reward(**overrides)

    def test_blank_description_is_none(self) -> None:
        assert reward(description="   ").description is None
        assert reward(description=" Any size ").description == "Any size"

    def test_redeemable_when_active_same_template_and_affordable(self) -> None:
        assert reward_refusal(stamp_card(stamps_count=5), reward(cost=5)) is None

    @pytest.mark.parametrize(
        ("card_overrides", "reward_overrides", "pending", "reason"),
        [
            ({}, {"active": False}, 0, "The reward 'Free coffee' is not active"),
            ({}, {"card_id": "4"}, 0, "The reward 'Free coffee' belongs to another card"),
            ({"stamps_count": 4}, {}, 0, "'Free coffee' needs 5 stamps; the card has 4 stamps"),
            ({"stamps_count": 1}, {}, 0, "'Free coffee' needs 5 stamps; the card has 1 stamp"),
            ({"stamps_count": 7}, {}, 3, "'Free coffee' needs 5 stamps; the card has 4 stamps"),
        ],
    )
    def test_refusals(
        self,
        card_overrides: dict[str, object],
        reward_overrides: dict[str, object],
        pending: int,
        reason: str,
    ) -> None:
        card = stamp_card(**card_overrides)
        assert reward_refusal(card, reward(**reward_overrides), pending) == reason

    def test_redeemable_rewards_filters_and_orders(self) -> None:
        card = stamp_card(stamps_count=8)
        upgrade = reward(id="1", name="Size upgrade", cost=5, position=2)
        cookie = reward(id="2", name="Cookie", cost=3, position=2)
        first = reward(id="3", name="Muffin", cost=8, position=1)
        coffee = reward(id="4", name="Free coffee", cost=10, position=0)
        retired = reward(id="5", name="Old offer", cost=1, active=False)
        other_card = reward(id="6", name="Haircut", cost=1, card_id="99")
        result = redeemable_rewards(card, [upgrade, cookie, first, coffee, retired, other_card])
        assert [r.id for r in result] == ["3", "2", "1"]

    def test_pending_spends_hide_rewards(self) -> None:
        card = stamp_card(stamps_count=8)
        assert redeemable_rewards(card, [reward(cost=5)], pending_spent=4) == ()


class TestCustomer:
    @pytest.mark.parametrize(
        ("fields", "expected"),
        [
            ({"first_name": "Ana", "last_name": "Silva"}, "Ana Silva"),
            ({"first_name": " Ana ", "last_name": ""}, "Ana"),
            ({"last_name": "Silva"}, "Silva"),
            ({"email": "ana@example.com", "phone": "+447700900123"}, "ana@example.com"),
            ({"phone": "+447700900123"}, "+447700900123"),
            ({"first_name": "  ", "email": "  "}, "Customer 9001"),
            ({}, "Customer 9001"),
        ],
    )
    def test_display_name(self, fields: dict[str, str], expected: str) -> None:
        assert Customer(id="9001", **fields).display_name == expected

    def test_blank_fields_become_none(self) -> None:
        customer = Customer(id="9001", first_name=" ", email=" ana@example.com ")
        assert customer.first_name is None
        assert customer.email == "ana@example.com"
        assert customer.full_name is None

    def test_id_is_a_string(self) -> None:
        with pytest.raises(TypeError):
            Customer(id=9001)  # type: ignore[arg-type]
