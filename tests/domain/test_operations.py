"""Operations: born with an idempotency key, validated against the card snapshot they carry."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos_app.domain import (
    MAX_STAMPS_PER_OPERATION,
    AddStamps,
    CampaignType,
    GiftCardStatus,
    Money,
    Operation,
    OperationError,
    OperationKind,
    Provider,
    Redeem,
    RedeemReward,
    Refund,
    TransactionType,
)
from tests.domain.builders import (
    NOW,
    gift_card,
    points_balance,
    points_reward,
    redemption_line,
    reward,
    stamp_card,
    stored_value,
    usd,
)


class TestIdentity:
    def test_key_is_a_fresh_uuid4_string(self) -> None:
        first = Redeem(gift_card(), usd("5"))
        second = Redeem(gift_card(), usd("5"))
        assert isinstance(first.key, str)
        assert uuid.UUID(first.key).version == 4
        assert first.key != second.key
        assert first != second
        assert first.reference == first.key
        assert first.short_reference == first.key[:8]

    def test_created_at_defaults_to_now_in_utc(self) -> None:
        before = datetime.now(UTC)
        operation = AddStamps(stamp_card(), 1)
        assert before <= operation.created_at <= datetime.now(UTC)
        assert operation.created_at.tzinfo is not None

    def test_rebuilt_from_the_journal_is_equal(self) -> None:
        original = Redeem(gift_card(), usd("5"), created_at=NOW)
        rebuilt = Redeem(original.card, original.amount, key=original.key, created_at=NOW)
        assert rebuilt == original

    @pytest.mark.parametrize(
        "key", ["", "not-a-uuid", str(uuid.uuid4()).upper(), "{" + str(uuid.uuid4()) + "}"]
    )
    def test_key_must_be_a_canonical_uuid(self, key: str) -> None:
        with pytest.raises(ValueError, match="UUID"):
            AddStamps(stamp_card(), 1, key=key)

    def test_created_at_must_be_aware(self) -> None:
        with pytest.raises(ValueError, match="time-zone aware"):
            AddStamps(stamp_card(), 1, created_at=datetime(2025, 1, 1))

    def test_immutable(self) -> None:
        operation = AddStamps(stamp_card(), 1)
        with pytest.raises(dataclasses.FrozenInstanceError):
            operation.stamps = 2  # type: ignore[misc]

    def test_base_class_is_abstract(self) -> None:
        with pytest.raises(TypeError):
            Operation()  # type: ignore[abstract]

    @given(st.integers(1, MAX_STAMPS_PER_OPERATION))
    def test_every_operation_gets_its_own_key(self, stamps: int) -> None:
        keys = {AddStamps(stamp_card(), stamps).key for _ in range(5)}
        assert len(keys) == 5


class TestRedeem:
    def test_gift_card(self) -> None:
        operation = Redeem(gift_card(balance=usd("100")), usd("25.50"), created_at=NOW)
        assert operation.kind is OperationKind.REDEEM
        assert operation.provider is Provider.LOYALTYDOG
        assert operation.balance_before == usd("100")
        assert operation.expected_balance_after == usd("74.50")
        assert operation.describe() == "Redeem $ 25.50 from gift card •••• 9012"

    def test_whole_balance(self) -> None:
        operation = Redeem(gift_card(balance=usd("74.50")), usd("74.50"), created_at=NOW)
        assert operation.expected_balance_after == usd("0")

    @pytest.mark.parametrize(
        ("amount", "reason"),
        [
            ("0", "The amount must be more than zero"),
            ("-5", "The amount must be more than zero"),
            ("74.51", "Not enough balance: $ 74.50 available"),
        ],
    )
    def test_amount_rules(self, amount: str, reason: str) -> None:
        with pytest.raises(OperationError) as caught:
            Redeem(gift_card(), usd(amount), created_at=NOW)
        assert str(caught.value) == reason

    def test_card_must_be_redeemable_at_birth(self) -> None:
        with pytest.raises(OperationError, match="This card is suspended"):
            Redeem(gift_card(status=GiftCardStatus.SUSPENDED), usd("5"), created_at=NOW)
        card = gift_card(expires_at=NOW - timedelta(seconds=1))
        with pytest.raises(OperationError, match="expired"):
            Redeem(card, usd("5"), created_at=NOW)

    def test_expiry_is_judged_at_the_operation_time(self) -> None:
        card = gift_card(expires_at=NOW + timedelta(hours=1))
        assert Redeem(card, usd("5"), created_at=NOW).amount == usd("5")
        with pytest.raises(OperationError, match="expired"):
            Redeem(card, usd("5"), created_at=NOW + timedelta(hours=2))

    def test_currency_must_match(self) -> None:
        with pytest.raises(ValueError, match="Cannot combine"):
            Redeem(gift_card(), Money.from_api("5", "EUR"), created_at=NOW)

    def test_stored_value(self) -> None:
        operation = Redeem(stored_value(balance=usd("40")), usd("9.95"))
        assert operation.provider is Provider.CLIENTTOOLBOX
        assert operation.expected_balance_after == usd("30.05")
        assert operation.describe() == "Redeem $ 9.95 from Gift balance (ClientToolbox)"

    def test_stored_value_refusals(self) -> None:
        with pytest.raises(OperationError, match=r"Not enough balance: \$ 40.00 available"):
            Redeem(stored_value(), usd("40.01"))
        with pytest.raises(OperationError, match="code is missing"):
            Redeem(stored_value(customer_code=None), usd("1"))
        with pytest.raises(OperationError, match="Coffee Points holds points, not money"):
            Redeem(points_balance(), usd("1"))

    def test_unknown_campaign_holding_money_is_not_a_money_campaign(self) -> None:
        card = stored_value(type=CampaignType.UNKNOWN, balance=usd("10"))
        with pytest.raises(OperationError, match="holds unknown, not money"):
            Redeem(card, usd("1"))

    def test_needs_a_card(self) -> None:
        with pytest.raises(TypeError):
            Redeem(stamp_card(), usd("1"))  # type: ignore[arg-type]


class TestAddStamps:
    def test_describe(self) -> None:
        operation = AddStamps(stamp_card(stamps_count=7), 2)
        assert operation.kind is OperationKind.ADD_STAMPS
        assert operation.kind.value == "stamp"
        assert operation.provider is Provider.LEAL
        assert operation.expected_stamps_after == 9
        assert operation.describe() == "Add 2 stamps to Coffee Card (7 → 9 of 10)"
        assert AddStamps(stamp_card(), 1).describe().startswith("Add 1 stamp to ")

    @pytest.mark.parametrize(
        ("stamps", "reason"),
        [
            (0, "Add at least 1 stamp"),
            (-1, "Add at least 1 stamp"),
            (MAX_STAMPS_PER_OPERATION + 1, f"At most {MAX_STAMPS_PER_OPERATION} stamps at once"),
            (100, f"At most {MAX_STAMPS_PER_OPERATION} stamps at once"),
        ],
    )
    def test_stamp_range(self, stamps: int, reason: str) -> None:
        with pytest.raises(OperationError) as caught:
            AddStamps(stamp_card(), stamps)
        assert str(caught.value) == reason

    def test_upper_limit_is_allowed(self) -> None:
        assert AddStamps(stamp_card(), MAX_STAMPS_PER_OPERATION).stamps == MAX_STAMPS_PER_OPERATION

    @pytest.mark.parametrize("stamps", [True, 1.0, "1"])
    def test_stamps_must_be_an_int(self, stamps: object) -> None:
        with pytest.raises(TypeError):
            AddStamps(stamp_card(), stamps)  # type: ignore[arg-type]

    def test_over_filling_a_full_card_is_allowed(self) -> None:
        assert AddStamps(stamp_card(stamps_count=10), 3).expected_stamps_after == 13


class TestRedeemReward:
    def test_stamp_reward(self) -> None:
        operation = RedeemReward(stamp_card(stamps_count=8), reward(cost=8))
        assert operation.kind is OperationKind.REDEEM_REWARD
        assert operation.provider is Provider.LEAL
        assert operation.cost == 8
        assert operation.describe() == "Redeem reward 'Free coffee' (8 stamps) on Coffee Card"

    @pytest.mark.parametrize(
        ("overrides", "reason"),
        [
            ({"active": False}, "The reward 'Free coffee' is not active"),
            ({"card_id": "4"}, "The reward 'Free coffee' belongs to another card"),
            ({"cost": 9}, "'Free coffee' needs 9 stamps; the card has 8 stamps"),
        ],
    )
    def test_reward_must_be_redeemable(self, overrides: dict[str, object], reason: str) -> None:
        with pytest.raises(OperationError) as caught:
            RedeemReward(stamp_card(stamps_count=8), reward(**overrides))
        assert str(caught.value) == reason

    def test_points_reward(self) -> None:
        operation = RedeemReward(points_balance(balance=120), points_reward(level=100))
        assert operation.provider is Provider.CLIENTTOOLBOX
        assert operation.cost == 100
        assert operation.describe() == (
            "Redeem reward 'Free drink' (100 points) on Coffee Points (ClientToolbox)"
        )

    def test_points_reward_refusals(self) -> None:
        with pytest.raises(OperationError, match="needs 100 points"):
            RedeemReward(points_balance(balance=99), points_reward(level=100))
        with pytest.raises(OperationError, match="code is missing"):
            RedeemReward(points_balance(customer_code=None), points_reward(level=1))

    def test_mismatched_pairs_are_refused(self) -> None:
        with pytest.raises(TypeError, match="Pair"):
            RedeemReward(stamp_card(), points_reward())
        with pytest.raises(TypeError, match="Pair"):
            RedeemReward(points_balance(), reward())


class TestRefund:
    def test_full_refund_of_a_redeem(self) -> None:
        redeem = Redeem(gift_card(balance=usd("100")), usd("25.50"), created_at=NOW)
        refund = Refund.full(redeem)
        assert refund.kind is OperationKind.REFUND
        assert refund.amount == usd("25.50")
        assert refund.provider is Provider.LOYALTYDOG
        assert refund.original_reference == redeem.key
        assert refund.target == redeem.card
        assert refund.key != redeem.key
        assert refund.describe() == (
            f"Refund $ 25.50 to gift card •••• 9012 (redemption {redeem.key[:8]})"
        )

    def test_partial_refund_of_a_history_line(self) -> None:
        card = gift_card()
        refund = Refund(redemption_line(), usd("10"), card=card)
        assert refund.amount == usd("10.00")
        assert refund.target == card
        assert refund.original_reference == "65f000000000000000000001"
        assert refund.describe() == ("Refund $ 10.00 to gift card •••• 9012 (redemption 65f00000)")

    def test_full_refund_of_a_history_line(self) -> None:
        assert Refund.full(redemption_line(), card=gift_card()).amount == usd("25.50")

    @pytest.mark.parametrize(
        ("amount", "reason"),
        [
            ("0", "The amount must be more than zero"),
            ("-1", "The amount must be more than zero"),
            ("25.51", "At most $ 25.50 can be refunded"),
        ],
    )
    def test_amount_rules(self, amount: str, reason: str) -> None:
        with pytest.raises(OperationError) as caught:
            Refund(redemption_line(), usd(amount), card=gift_card())
        assert str(caught.value) == reason

    def test_only_redemptions(self) -> None:
        reload_line = redemption_line(
            type=TransactionType.RELOAD,
            amount=usd("20"),
            balance_before=None,
            balance_after=None,
        )
        with pytest.raises(OperationError, match="Only a redemption can be refunded"):
            Refund(reload_line, usd("5"), card=gift_card())

    def test_history_line_needs_its_card(self) -> None:
        with pytest.raises(TypeError, match="needs the gift card"):
            Refund(redemption_line(), usd("5"))

    def test_card_must_match_the_redeem(self) -> None:
        redeem = Redeem(gift_card(), usd("5"), created_at=NOW)
        with pytest.raises(OperationError, match="different card"):
            Refund(redeem, usd("5"), card=gift_card(id="another"))

    def test_clienttoolbox_only_undoes_whole_redemptions(self) -> None:
        redeem = Redeem(stored_value(), usd("9.95"))
        assert Refund.full(redeem).provider is Provider.CLIENTTOOLBOX
        with pytest.raises(OperationError, match="only undo the whole redemption"):
            Refund(redeem, usd("5"))
