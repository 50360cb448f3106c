"""ClientToolbox campaigns: balances are Money or counts according to the campaign type."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from pos_app.domain import (
    ApiAmountError,
    CampaignType,
    DomainError,
    Money,
    PointsTransaction,
    parse_campaign_value,
    points_reward_refusal,
)
from tests.domain.builders import points_balance, points_reward, stored_value, usd


class TestCampaignType:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("points", CampaignType.POINTS),
            ("GiftCard", CampaignType.GIFTCARD),
            (" events ", CampaignType.EVENTS),
            ("earned", CampaignType.EARNED),
            ("buyx", CampaignType.BUYX),
            ("coalition_points", CampaignType.UNKNOWN),
            ("T", CampaignType.UNKNOWN),
            (None, CampaignType.UNKNOWN),
        ],
    )
    def test_parse(self, raw: object, expected: CampaignType) -> None:
        assert CampaignType.parse(raw) is expected

    def test_money_and_count_types(self) -> None:
        money = {t for t in CampaignType if t.holds_money}
        counts = {t for t in CampaignType if t.holds_count}
        assert money == {CampaignType.GIFTCARD, CampaignType.EARNED}
        assert counts == {CampaignType.POINTS, CampaignType.EVENTS, CampaignType.BUYX}

    @pytest.mark.parametrize(
        ("kind", "count", "text"),
        [
            (CampaignType.POINTS, 1, "1 point"),
            (CampaignType.POINTS, 1234, "1,234 points"),
            (CampaignType.EVENTS, 3, "3 visits"),
            (CampaignType.BUYX, 2, "2 items"),
            (CampaignType.UNKNOWN, 7, "7"),
        ],
    )
    def test_count_text(self, kind: CampaignType, count: int, text: str) -> None:
        assert kind.count_text(count) == text


class TestParseCampaignValue:
    @pytest.mark.parametrize(
        ("kind", "value", "expected"),
        [
            (CampaignType.GIFTCARD, "9.95", usd("9.95")),
            (CampaignType.EARNED, 4.95, usd("4.95")),
            (CampaignType.GIFTCARD, "20", usd("20.00")),
            (CampaignType.POINTS, "4,437", 4437),
            (CampaignType.POINTS, "20", 20),
            (CampaignType.EVENTS, 3, 3),
            (CampaignType.BUYX, "-3,010", -3010),
            (CampaignType.UNKNOWN, "1,427", 1427),
            (CampaignType.UNKNOWN, "9.51", usd("9.51")),
        ],
    )
    def test_per_type_rule(self, kind: CampaignType, value: object, expected: object) -> None:
        result = parse_campaign_value(kind, value, "USD")
        assert result == expected
        assert type(result) is type(expected)

    def test_money_fields_refuse_grouping(self) -> None:
        with pytest.raises(ApiAmountError):
            parse_campaign_value(CampaignType.GIFTCARD, "1,427", "USD")

    def test_count_fields_refuse_decimals(self) -> None:
        with pytest.raises(DomainError):
            parse_campaign_value(CampaignType.POINTS, "9.51", "USD")

    def test_unknown_type_refuses_garbage(self) -> None:
        with pytest.raises(ApiAmountError):
            parse_campaign_value(CampaignType.UNKNOWN, "lots", "USD")


class TestCampaignBalance:
    def test_stored_value(self) -> None:
        balance = stored_value(balance=usd("40"))
        assert balance.holds_money
        assert balance.money == usd("40.00")
        assert balance.count is None
        assert balance.format() == "$ 40.00"
        assert balance.format(",") == "$ 40,00"

    def test_points(self) -> None:
        balance = points_balance(balance=120)
        assert not balance.holds_money
        assert balance.count == 120
        assert balance.money is None
        assert balance.format() == "120 points"

    def test_money_type_needs_money(self) -> None:
        with pytest.raises(DomainError, match="must be money"):
            stored_value(balance=40)

    def test_count_type_needs_a_count(self) -> None:
        with pytest.raises(DomainError, match="must be a whole number"):
            points_balance(balance=usd("1.20"))

    @pytest.mark.parametrize("bad", [True, 1.5, Decimal("1"), "120"])
    def test_balance_type_is_checked(self, bad: object) -> None:
        with pytest.raises(TypeError):
            points_balance(balance=bad)

    def test_unknown_type_takes_either(self) -> None:
        assert points_balance(type=CampaignType.UNKNOWN, balance=5).count == 5
        assert stored_value(type=CampaignType.UNKNOWN, balance=usd("5")).money == usd("5")

    def test_ids_are_strings(self) -> None:
        with pytest.raises(TypeError):
            points_balance(campaign_id=123456789012)
        with pytest.raises(TypeError):
            points_balance(customer_code=1234567890123456)


class TestPointsRewards:
    def test_affordable(self) -> None:
        assert points_reward(level=100).affordable_with(100)
        assert not points_reward(level=100).affordable_with(99)
        assert points_reward_refusal(points_balance(balance=120), points_reward(level=100)) is None

    def test_not_enough_points(self) -> None:
        reason = points_reward_refusal(points_balance(balance=80), points_reward(level=100))
        assert reason == "'Free drink' needs 100 points; the customer has 80 points"

    def test_pending_spends_count(self) -> None:
        reason = points_reward_refusal(
            points_balance(balance=120), points_reward(level=100), pending_spent=30
        )
        assert reason == "'Free drink' needs 100 points; the customer has 90 points"

    def test_visits(self) -> None:
        balance = points_balance(type=CampaignType.EVENTS, balance=1, name="Visits")
        reason = points_reward_refusal(balance, points_reward(level=5, description="Free wash"))
        assert reason == "'Free wash' needs 5 visits; the customer has 1 visit"

    def test_money_campaigns_have_no_rewards(self) -> None:
        reason = points_reward_refusal(stored_value(), points_reward())
        assert reason == "Gift balance has no rewards to redeem at the till"

    def test_level_is_a_count(self) -> None:
        with pytest.raises(DomainError):
            points_reward(level=-1)
        with pytest.raises(TypeError):
            points_reward(level="100")


class TestPointsTransaction:
    def test_reference_matching(self) -> None:
        line = PointsTransaction(
            id="4056",
            date=datetime(2025, 3, 9, 10, 0, tzinfo=UTC),
            redeemed=True,
            amount=Money.from_api("9.95", "USD"),
            authorization=" 0b6e4c1e-0000-4000-8000-000000000000 ",
        )
        assert line.authorization == "0b6e4c1e-0000-4000-8000-000000000000"
        assert line.matches_reference("0b6e4c1e-0000-4000-8000-000000000000")
        assert not line.matches_reference("something-else")

    def test_blank_authorization_matches_nothing(self) -> None:
        line = PointsTransaction(
            id="1",
            date=datetime(2025, 3, 9, tzinfo=UTC),
            redeemed=False,
            amount=5,
            authorization="",
        )
        assert line.authorization is None
        assert not line.matches_reference("")

    def test_fields_are_checked(self) -> None:
        with pytest.raises(TypeError):
            PointsTransaction(id="1", date=datetime(2025, 3, 9, tzinfo=UTC), redeemed="Y", amount=5)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="time-zone aware"):
            PointsTransaction(id="1", date=datetime(2025, 3, 9), redeemed=True, amount=5)
