"""Money: construction, arithmetic, display, and the parsers for API values and cashier input."""

from __future__ import annotations

import copy
import pickle
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos_app.domain import (
    CENT,
    DEFAULT_MAXIMUM,
    AmountEntryError,
    ApiAmountError,
    CurrencyMismatchError,
    Money,
    MoneyError,
    currency_symbol,
    parse_api_amount,
    parse_cashier_amount,
)

SEPARATORS = [".", ","]


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def quantized(value: Decimal) -> Decimal:
    """The reference rule the parsers must follow: half-up to cents, no negative zero."""
    result = value.quantize(CENT, rounding=ROUND_HALF_UP)
    return result if not result.is_zero() else Decimal("0.00")


def entry_outcome(text: str, separator: str) -> Decimal | AmountEntryError:
    try:
        return parse_cashier_amount(text, separator)
    except AmountEntryError as error:
        return error


# --- construction --------------------------------------------------------------------------


class TestMoneyConstruction:
    def test_amount_is_quantised_to_cents(self) -> None:
        money = Money(Decimal("74.5"), "USD")
        assert money.amount == Decimal("74.50")
        assert str(money.amount) == "74.50"

    def test_rounding_is_half_up(self) -> None:
        assert Money(Decimal("0.005"), "USD").amount == Decimal("0.01")
        assert Money(Decimal("0.004"), "USD").amount == Decimal("0.00")
        assert Money(Decimal("-0.005"), "USD").amount == Decimal("-0.01")
        assert Money(Decimal("2.675"), "USD").amount == Decimal("2.68")

    def test_negative_zero_becomes_zero(self) -> None:
        money = Money(Decimal("-0.001"), "USD")
        assert money.amount == Decimal("0.00")
        assert not money.amount.is_signed()
        assert money.to_api() == "0.00"

    def test_int_amount_is_accepted(self) -> None:
        assert Money(100, "USD").amount == Decimal("100.00")  # type: ignore[arg-type]

    def test_currency_is_upper_cased(self) -> None:
        assert Money(Decimal(1), " eur ").currency == "EUR"

    @pytest.mark.parametrize("bad", [1.5, True, "12.50", None])
    def test_non_decimal_amounts_are_refused(self, bad: object) -> None:
        with pytest.raises(TypeError):
            Money(bad, "USD")  # type: ignore[arg-type]

    @pytest.mark.parametrize("bad", ["US", "USDX", "12$", "", "€€€", "ÜSD"])
    def test_bad_currency_codes_are_refused(self, bad: str) -> None:
        with pytest.raises(MoneyError, match="Unknown currency code"):
            Money(Decimal(1), bad)

    @pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity", "sNaN"])
    def test_non_finite_amounts_are_refused(self, bad: str) -> None:
        with pytest.raises(MoneyError, match="finite"):
            Money(Decimal(bad), "USD")

    @pytest.mark.parametrize("bad", ["1E+12", "-1E+12", "1E+100000", "999999999999.995"])
    def test_absurd_amounts_are_refused(self, bad: str) -> None:
        with pytest.raises(MoneyError, match="out of range"):
            Money(Decimal(bad), "USD")

    def test_immutable(self) -> None:
        money = usd("1.00")
        with pytest.raises(AttributeError):
            money.amount = Decimal(2)  # type: ignore[misc]

    def test_hashable_and_equal_by_value(self) -> None:
        assert usd("1.0") == usd("1.00")
        assert {usd("1.0"), usd("1.00")} == {usd("1.00")}
        assert usd("1.00") != Money(Decimal("1.00"), "EUR")

    def test_copy_and_pickle_keep_the_value(self) -> None:
        money = usd("12.34")
        assert copy.deepcopy(money) == money
        assert pickle.loads(pickle.dumps(money)) == money


class TestMoneyArithmetic:
    def test_add_and_subtract(self) -> None:
        assert usd("100.00") - usd("25.50") == usd("74.50")
        assert usd("0.10") + usd("0.20") == usd("0.30")

    def test_negate_and_abs(self) -> None:
        assert -usd("25.50") == usd("-25.50")
        assert abs(usd("-25.50")) == usd("25.50")

    def test_comparisons(self) -> None:
        assert usd("1.00") < usd("1.01")
        assert usd("1.01") > usd("1.00")
        assert usd("1.00") <= usd("1.00")
        assert usd("1.00") >= usd("1.00")
        assert max(usd("3.00"), usd("5.00"), usd("4.00")) == usd("5.00")

    def test_other_currency_is_refused(self) -> None:
        eur = Money(Decimal(1), "EUR")
        with pytest.raises(CurrencyMismatchError, match="Cannot combine USD with EUR"):
            usd("1.00") + eur
        with pytest.raises(CurrencyMismatchError):
            usd("1.00") - eur
        with pytest.raises(CurrencyMismatchError):
            _ = usd("1.00") < eur

    def test_plain_numbers_are_refused(self) -> None:
        with pytest.raises(TypeError):
            usd("1.00") + 1  # type: ignore[operator]
        with pytest.raises(TypeError):
            _ = usd("1.00") < Decimal(2)  # type: ignore[operator]

    def test_total(self) -> None:
        assert Money.total([usd("1.10"), usd("2.20"), usd("3.30")], "USD") == usd("6.60")
        assert Money.total([], "USD") == usd("0")

    def test_sign_properties(self) -> None:
        zero = usd("0")
        assert zero.is_zero
        assert not zero.is_positive
        assert not zero.is_negative
        assert usd("0.01").is_positive
        assert usd("-0.01").is_negative


class TestMoneyDisplay:
    @pytest.mark.parametrize(
        ("amount", "currency", "separator", "expected"),
        [
            ("74.50", "USD", ".", "$ 74.50"),
            ("74.50", "EUR", ",", "€ 74,50"),
            ("1234.5", "USD", ".", "$ 1,234.50"),
            ("1234567.89", "EUR", ",", "€ 1.234.567,89"),
            ("-25.50", "USD", ".", "-$ 25.50"),
            ("0", "GBP", ".", "£ 0.00"),
            ("9.95", "SEK", ".", "SEK 9.95"),
        ],
    )
    def test_format(self, amount: str, currency: str, separator: str, expected: str) -> None:
        assert Money(Decimal(amount), currency).format(separator) == expected

    def test_format_without_grouping(self) -> None:
        assert usd("1234.50").format(grouping=False) == "$ 1234.50"

    def test_str_is_display_format(self) -> None:
        assert str(usd("1234.5")) == "$ 1,234.50"

    @pytest.mark.parametrize(
        ("amount", "separator", "signed", "expected"),
        [
            ("74.5", ".", False, "74.50"),
            ("74.5", ",", False, "74,50"),
            ("1234.5", ".", False, "1234.50"),
            ("100", ".", True, "+100.00"),
            ("-25.5", ".", True, "-25.50"),
            ("-25.5", ",", False, "-25,50"),
            ("0", ".", True, "0.00"),
        ],
    )
    def test_format_plain(self, amount: str, separator: str, signed: bool, expected: str) -> None:
        assert usd(amount).format_plain(separator, signed=signed) == expected

    @pytest.mark.parametrize(("amount", "expected"), [("74.5", "74.50"), ("-25.5", "-25.50")])
    def test_to_api(self, amount: str, expected: str) -> None:
        assert usd(amount).to_api() == expected

    def test_bad_separator_is_a_programming_error(self) -> None:
        with pytest.raises(ValueError, match="decimal_separator"):
            usd("1").format(";")

    def test_currency_symbol(self) -> None:
        assert currency_symbol("USD") == "$"
        assert currency_symbol("EUR") == "€"
        assert currency_symbol("XYZ") == "XYZ"


# --- back-end amounts ----------------------------------------------------------------------


class TestParseApiAmount:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("74.50", "74.50"),
            (74.5, "74.50"),
            (100, "100.00"),
            ("-25.50", "-25.50"),
            (-25.5, "-25.50"),
            ("0", "0.00"),
            (0, "0.00"),
            ("+12", "12.00"),
            (".75", "0.75"),
            ("12.", "12.00"),
            ("0012.5", "12.50"),
            (" 9.51 ", "9.51"),
            ("-6", "-6.00"),
            (1.01, "1.01"),
            (0.1 + 0.2, "0.30"),
            ("5000.005", "5000.01"),
            (Decimal("3.14159"), "3.14"),
        ],
    )
    def test_accepts_what_the_apis_send(self, value: object, expected: str) -> None:
        result = parse_api_amount(value)
        assert result == Decimal(expected)
        assert str(result) == expected

    def test_float_goes_through_str_not_binary(self) -> None:
        binary = 0.1
        assert Decimal(binary) != Decimal("0.1")
        assert parse_api_amount(0.1) == Decimal("0.10")
        assert parse_api_amount(2.675) == Decimal("2.68")  # binary 2.67499999... would round down

    @pytest.mark.parametrize(
        "value",
        [
            True,
            False,
            None,
            float("nan"),
            float("inf"),
            float("-inf"),
            Decimal("NaN"),
            "",
            "   ",
            "abc",
            "NaN",
            "Infinity",
            "1e5",
            "1E5",
            "1,427",
            "9,95",
            "12.50.1",
            "--1",
            "+-1",
            ".",
            "-",
            "$12",
            "١٢٣",
            "１２",
            "12 50",
            "x" * 10_000,
            "1" * 50,
            10**20,
            1e20,
            [12],
            {"amount": 12},
            b"12",
        ],
    )
    def test_refuses_everything_else(self, value: object) -> None:
        with pytest.raises(ApiAmountError, match="Unexpected amount from the server"):
            parse_api_amount(value)

    def test_error_message_is_short_for_huge_garbage(self) -> None:
        with pytest.raises(ApiAmountError) as caught:
            parse_api_amount("x" * 10_000)
        assert len(str(caught.value)) < 80

    def test_api_errors_are_money_errors_and_value_errors(self) -> None:
        with pytest.raises(MoneyError):
            parse_api_amount("nope")
        with pytest.raises(ValueError, match="Unexpected amount"):
            parse_api_amount("nope")

    def test_money_from_api(self) -> None:
        assert Money.from_api(74.5, "usd") == usd("74.50")

    @given(st.integers(min_value=-(10**11), max_value=10**11))
    def test_ints_parse_exactly(self, value: int) -> None:
        assert parse_api_amount(value) == Decimal(value)

    @given(st.floats(min_value=-1e11, max_value=1e11, allow_nan=False, allow_infinity=False))
    def test_floats_parse_as_their_str(self, value: float) -> None:
        assert parse_api_amount(value) == quantized(Decimal(str(value)))

    @given(st.decimals(min_value=-(10**11), max_value=10**11, places=4))
    def test_decimal_strings_parse_as_written(self, value: Decimal) -> None:
        assert parse_api_amount(f"{value:f}") == quantized(value)

    @given(st.decimals(min_value=-(10**9), max_value=10**9, places=2))
    def test_to_api_round_trips(self, value: Decimal) -> None:
        money = Money(value, "USD")
        assert parse_api_amount(money.to_api()) == money.amount


# --- cashier input -------------------------------------------------------------------------


class TestParseCashierAmount:
    @pytest.mark.parametrize(
        ("text", "separator", "expected"),
        [
            ("12", ".", "12.00"),
            ("12.5", ".", "12.50"),
            ("12.50", ".", "12.50"),
            ("12,50", ".", "12.50"),
            ("12,50", ",", "12.50"),
            ("12.50", ",", "12.50"),
            ("12,5", ",", "12.50"),
            ("  12.50  ", ".", "12.50"),
            (".50", ".", "0.50"),
            (",5", ",", "0.50"),
            ("12.", ".", "12.00"),
            ("0.01", ".", "0.01"),
            ("007.50", ".", "7.50"),
            ("1234.50", ".", "1234.50"),
            ("1234,50", ",", "1234.50"),
            ("1234,567", ".", None),
            ("100000", ".", "100000.00"),
            ("100000.00", ".", "100000.00"),
            ("99999.99", ",", "99999.99"),
        ],
    )
    def test_accepts(self, text: str, separator: str, expected: str | None) -> None:
        if expected is None:
            with pytest.raises(AmountEntryError):
                parse_cashier_amount(text, separator)
            return
        result = parse_cashier_amount(text, separator)
        assert result == Decimal(expected)
        assert str(result) == expected

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("", "Enter an amount like 12.50"),
            ("   ", "Enter an amount like 12.50"),
            ("1" * 10_000, "Enter an amount like 12.50"),
            ("x" * 10_000, "Enter an amount like 12.50"),
            ("١٢٣", "Use the digits 0-9 on the keypad"),
            ("١٢.٥٠", "Use the digits 0-9 on the keypad"),
            ("１２.５０", "Use the digits 0-9 on the keypad"),
            ("12½", "Use the digits 0-9 on the keypad"),
            ("²", "Use the digits 0-9 on the keypad"),
            ("😀", "Enter an amount like 12.50"),
            ("12😀", "Enter an amount like 12.50"),
            ("12\x00", "Enter an amount like 12.50"),
            ("\x1b[2J12", "Enter an amount like 12.50"),
            ("12\n", "Enter an amount like 12.50"),
            ("1\t2", "Enter an amount like 12.50"),
            ("12\u200b", "Enter an amount like 12.50"),
            ("\u00a012.50", "Enter an amount like 12.50"),
            ("12; DROP TABLE cards;--", "Enter an amount like 12.50"),
            ("1' OR '1'='1", "Enter an amount like 12.50"),
            ("$(rm -rf /)", "Enter an amount like 12.50"),
            ("`reboot`", "Enter an amount like 12.50"),
            ("12 | cat", "Enter an amount like 12.50"),
            ("12&&", "Enter an amount like 12.50"),
            ("1e9", "Enter an amount like 12.50"),
            ("1E2", "Enter an amount like 12.50"),
            ("NaN", "Enter an amount like 12.50"),
            ("nan", "Enter an amount like 12.50"),
            ("inf", "Enter an amount like 12.50"),
            ("-inf", "Enter an amount like 12.50"),
            ("Infinity", "Enter an amount like 12.50"),
            ("twelve", "Enter an amount like 12.50"),
            ("$12.50", "Enter an amount like 12.50"),
            ("12.50€", "Enter an amount like 12.50"),
            ("+5", "Enter an amount like 12.50"),
            ("5-", "Enter an amount like 12.50"),
            ("--5", "Enter an amount like 12.50"),
            ("-", "Enter an amount like 12.50"),
            (".", "Enter an amount like 12.50"),
            (",", "Enter an amount like 12.50"),
            ("12 50", "Enter an amount like 12.50"),
            ("1.2.3", "Enter an amount like 12.50"),
            ("12.,5", "Enter an amount like 12.50"),
            ("0000000000000.5", "Enter an amount like 12.50"),
            ("-0", "The amount must be more than zero"),
            ("-0.00", "The amount must be more than zero"),
            ("-5", "The amount must be more than zero"),
            ("-12.50", "The amount must be more than zero"),
            ("0", "The amount must be more than zero"),
            ("0.00", "The amount must be more than zero"),
            ("0,0", "The amount must be more than zero"),
            ("0.001", "Amounts have at most 2 decimals"),
            ("12.345", "Amounts have at most 2 decimals"),
            ("1,2345", "Amounts have at most 2 decimals"),
            ("100000.01", "That amount is too large (max 100,000.00)"),
            ("250000", "That amount is too large (max 100,000.00)"),
            ("99999999999", "That amount is too large (max 100,000.00)"),
            ("1,234.50", "Leave out thousands separators: type 1234.50"),
            ("1.234,50", "Leave out thousands separators: type 1234.50"),
            ("1,234,567", "Leave out thousands separators: type 1234.50"),
            ("1,234", "Leave out thousands separators: type 1234.50"),
            ("12,345", "Leave out thousands separators: type 1234.50"),
            ("6035551234569012", "That looks like a card number, not an amount"),
            ("000012345678901234", "That looks like a card number, not an amount"),
        ],
    )
    def test_rejects_with_a_message_the_cashier_understands(self, text: str, message: str) -> None:
        with pytest.raises(AmountEntryError) as caught:
            parse_cashier_amount(text)
        assert str(caught.value) == message

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("", "Enter an amount like 12,50"),
            ("abc", "Enter an amount like 12,50"),
            ("1.234", "Leave out thousands separators: type 1234,50"),
            ("1.234,50", "Leave out thousands separators: type 1234,50"),
            ("1,234", "Amounts have at most 2 decimals"),
            ("100000,01", "That amount is too large (max 100.000,00)"),
            ("١٢٣", "Use the digits 0-9 on the keypad"),
        ],
    )
    def test_messages_follow_the_comma_locale(self, text: str, message: str) -> None:
        with pytest.raises(AmountEntryError) as caught:
            parse_cashier_amount(text, ",")
        assert str(caught.value) == message

    def test_leading_zero_group_is_a_decimal_not_grouping(self) -> None:
        with pytest.raises(AmountEntryError, match="at most 2 decimals"):
            parse_cashier_amount("0,001", ".")

    def test_configurable_maximum(self) -> None:
        assert parse_cashier_amount("50", maximum=Decimal("50.00")) == Decimal("50.00")
        with pytest.raises(AmountEntryError) as caught:
            parse_cashier_amount("50.01", maximum=Decimal("50.00"))
        assert str(caught.value) == "That amount is too large (max 50.00)"
        with pytest.raises(AmountEntryError) as caught:
            parse_cashier_amount("2000", maximum=Decimal("1500"))
        assert str(caught.value) == "That amount is too large (max 1,500.00)"

    def test_zero_allowed_when_asked(self) -> None:
        assert parse_cashier_amount("0", allow_zero=True) == Decimal("0.00")
        assert not parse_cashier_amount("0", allow_zero=True).is_signed()
        with pytest.raises(AmountEntryError, match="more than zero"):
            parse_cashier_amount("-0", allow_zero=True)

    def test_entry_errors_are_money_errors(self) -> None:
        with pytest.raises(MoneyError):
            parse_cashier_amount("x")
        assert issubclass(AmountEntryError, ValueError)

    def test_non_text_is_a_programming_error(self) -> None:
        with pytest.raises(TypeError):
            parse_cashier_amount(12)  # type: ignore[arg-type]

    def test_bad_options_are_programming_errors(self) -> None:
        with pytest.raises(ValueError, match="decimal_separator"):
            parse_cashier_amount("12", "'")
        with pytest.raises(ValueError, match="maximum"):
            parse_cashier_amount("12", maximum=Decimal(0))

    @given(
        st.decimals(min_value=Decimal("0.01"), max_value=DEFAULT_MAXIMUM, places=2),
        st.sampled_from(SEPARATORS),
    )
    def test_format_plain_then_parse_round_trips(self, value: Decimal, separator: str) -> None:
        money = Money(value, "EUR")
        assert parse_cashier_amount(money.format_plain(separator), separator) == money.amount

    @given(
        st.decimals(min_value=Decimal("0.01"), max_value=DEFAULT_MAXIMUM, places=2),
        st.sampled_from(SEPARATORS),
    )
    def test_display_format_is_symbol_plus_plain_text(self, value: Decimal, separator: str) -> None:
        money = Money(value, "USD")
        shown = money.format(separator, grouping=False)
        assert shown == f"$ {money.format_plain(separator)}"
        assert parse_cashier_amount(shown.removeprefix("$ "), separator) == money.amount

    @given(
        st.decimals(min_value=Decimal("0.01"), max_value=DEFAULT_MAXIMUM, places=2),
        st.sampled_from(SEPARATORS),
    )
    def test_the_other_decimal_mark_also_works_when_unambiguous(
        self, value: Decimal, separator: str
    ) -> None:
        other = "," if separator == "." else "."
        text = Money(value, "USD").format_plain(other)
        assert parse_cashier_amount(text, separator) == value

    @given(st.text(max_size=40), st.sampled_from(SEPARATORS))
    def test_any_text_gives_a_valid_amount_or_an_entry_error(self, text: str, sep: str) -> None:
        outcome = entry_outcome(text, sep)
        if isinstance(outcome, AmountEntryError):
            assert str(outcome)
            return
        result = outcome
        assert Decimal("0.01") <= result <= DEFAULT_MAXIMUM
        assert result == result.quantize(CENT)
        assert set(text.strip(" ")) <= set("0123456789.,")
