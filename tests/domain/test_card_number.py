"""Scanned and typed codes: cleaning, classification, validation and masking."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos_app.domain import (
    MASK,
    CardNumberError,
    CodeKind,
    classify_code,
    code_from_url,
    last_four,
    looks_like_card_code,
    looks_like_email,
    looks_like_gift_card_number,
    looks_like_phone,
    looks_like_wallet_url,
    mask,
    normalize_code,
    normalize_phone,
    validate_card_code,
    validate_gift_card_number,
)

digit_strings = st.text(alphabet="0123456789", min_size=1, max_size=30)


class TestNormalizeCode:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("6035 5512 3456 9012", "6035551234569012"),
            ("6035-5512-3456-9012", "6035551234569012"),
            ("  6035551234569012\r\n", "6035551234569012"),
            ("\x026035551234569012\x03", "6035551234569012"),
            ("6035\u200b5512\u00a03456\u20139012", "6035551234569012"),
            ("\ufeff0000123456789012", "0000123456789012"),
            ("ABCD-1234", "ABCD1234"),
            ("abcd 1234", "abcd1234"),
            ("3f1c0000-aaaa-bbbb-cccc-000000000000", "3f1c0000-aaaa-bbbb-cccc-000000000000"),
            (" ana-maria@example.com ", "ana-maria@example.com"),
            ("https://x.test/p/AB-12", "https://x.test/p/AB-12"),
            ("", ""),
            ("   ", ""),
        ],
    )
    def test_cleans_what_scanners_and_people_add(self, raw: str, expected: str) -> None:
        assert normalize_code(raw) == expected

    def test_keeps_leading_zeros_and_stays_a_string(self) -> None:
        result = normalize_code("0000 1234 5678 9012")
        assert result == "0000123456789012"
        assert isinstance(result, str)

    def test_refuses_non_text(self) -> None:
        with pytest.raises(TypeError):
            normalize_code(6035551234569012)  # type: ignore[arg-type]

    @given(st.text(max_size=60))
    def test_is_idempotent(self, raw: str) -> None:
        once = normalize_code(raw)
        assert normalize_code(once) == once

    @given(
        st.lists(st.text(alphabet="0123456789", min_size=1, max_size=6), min_size=1, max_size=6),
        st.sampled_from([" ", "-", "  ", " - ", "\u2013"]),
    )
    def test_digit_groups_join_whatever_the_separator(self, groups: list[str], sep: str) -> None:
        assert normalize_code(sep.join(groups)) == "".join(groups)

    @given(st.text(alphabet="0123456789", min_size=16, max_size=20).map(lambda s: "0" + s[1:]))
    def test_leading_zero_numbers_stay_strings(self, number: str) -> None:
        result = validate_gift_card_number(number)
        assert result == number
        assert isinstance(result, str)
        assert result.startswith("0")


class TestMask:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("6035551234569012", "•••• 9012"),
            ("6035 5512 3456 9012", "•••• 9012"),
            ("60355512345690120000", "•••• 0000"),
            ("12345678", "•••• 5678"),
            ("1234567", "••••"),
            ("9012", "••••"),
            ("12", "••••"),
            ("", "••••"),
            ("ABCD1234", "•••• 1234"),
        ],
    )
    def test_mask(self, raw: str, expected: str) -> None:
        assert mask(raw) == expected

    def test_last_four(self) -> None:
        assert last_four("6035-5512-3456-9012") == "9012"

    @given(digit_strings)
    def test_never_reveals_more_than_the_last_four(self, number: str) -> None:
        masked = mask(number)
        shown = masked.removeprefix(MASK).strip()
        assert masked.startswith(MASK)
        assert len(shown) <= 4
        assert number.endswith(shown)
        assert all(ch in "• 0123456789" for ch in masked)

    @given(st.text(alphabet="0123456789", min_size=8, max_size=30))
    def test_long_numbers_always_end_with_their_last_four(self, number: str) -> None:
        assert mask(number) == f"{MASK} {number[-4:]}"
        assert mask(number).endswith(number[-4:])

    @given(st.text(max_size=40))
    def test_any_text_shows_at_most_four_characters(self, raw: str) -> None:
        shown = mask(raw).removeprefix(MASK).removeprefix(" ")
        assert len(shown) <= 4
        assert normalize_code(raw).endswith(shown)


class TestValidation:
    @pytest.mark.parametrize(
        "raw", ["6035551234569012", "6035 5512 3456 9012 123", "00000000000000000000"]
    )
    def test_plausible_gift_card_numbers(self, raw: str) -> None:
        assert validate_gift_card_number(raw) == normalize_code(raw)
        assert looks_like_gift_card_number(raw)

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            ("", "Scan or type the gift card number"),
            ("  - ", "Scan or type the gift card number"),
            ("603555123456901", "A gift card number has 16 to 20 digits (this one has 15)"),
            ("603555123456901212345", "A gift card number has 16 to 20 digits (this one has 21)"),
            ("6035551234569O12", "A gift card number has only the digits 0-9"),
            ("١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦", "A gift card number has only the digits 0-9"),
            ("６０３５５５１２３４５６９０１２", "A gift card number has only the digits 0-9"),
        ],
    )
    def test_implausible_gift_card_numbers(self, raw: str, message: str) -> None:
        with pytest.raises(CardNumberError) as caught:
            validate_gift_card_number(raw)
        assert str(caught.value) == message
        assert not looks_like_gift_card_number(raw)

    @pytest.mark.parametrize(
        "raw", ["ABCD1234", "abcd", "1212121212", "3f1c0000-aaaa-bbbb-cccc-000000000000", "A" * 64]
    )
    def test_card_codes(self, raw: str) -> None:
        assert validate_card_code(raw) == normalize_code(raw)

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            ("", "Scan or type the card code"),
            ("ab1", "A card code has 4 to 64 letters and digits"),
            ("A" * 65, "A card code has 4 to 64 letters and digits"),
            ("ABC/123", "A card code has 4 to 64 letters and digits"),
            ("ÄBCD1234", "A card code has 4 to 64 letters and digits"),
            ("ab'; DROP TABLE--", "A card code has 4 to 64 letters and digits"),
        ],
    )
    def test_bad_card_codes(self, raw: str, message: str) -> None:
        with pytest.raises(CardNumberError) as caught:
            validate_card_code(raw)
        assert str(caught.value) == message


class TestLooksLike:
    @pytest.mark.parametrize(
        ("raw", "phone"),
        [
            ("+44 7700 900123", True),
            ("(555) 111-5555", True),
            ("555.111.5555", True),
            ("5551115555", True),
            ("07700900123", True),
            ("+1", False),
            ("123456", False),
            ("6035551234569012", False),
            ("+1234567890123456", False),
            ("555-CALL-NOW", False),
            ("+٥٥٥١١١٥٥٥٥", False),
        ],
    )
    def test_phone(self, raw: str, phone: bool) -> None:
        assert looks_like_phone(raw) is phone

    def test_normalize_phone(self) -> None:
        assert normalize_phone(" +44 (0)7700-900.123 ") == "+4407700900123"
        assert normalize_phone("(555) 111-5555") == "5551115555"

    @pytest.mark.parametrize(
        ("raw", "email"),
        [
            ("john@example.com", True),
            (" Ana.Silva+tag@mail.example.co.uk ", True),
            ("john@example", False),
            ("@example.com", False),
            ("john@@example.com", False),
            ("john doe@example.com", False),
            ("x" * 300 + "@example.com", False),
        ],
    )
    def test_email(self, raw: str, email: bool) -> None:
        assert looks_like_email(raw) is email

    @pytest.mark.parametrize(
        ("url", "code"),
        [
            ("https://app.getleal.com/passes/ABCD1234", "ABCD1234"),
            ("https://app.getleal.com/passes/ABCD1234/", "ABCD1234"),
            ("HTTPS://pass.example/p/6035-5512-3456-9012?utm=x#frag", "6035551234569012"),
            (
                "http://pass.example/a/b/3f1c0000-aaaa-bbbb-cccc-000000000000",
                "3f1c0000-aaaa-bbbb-cccc-000000000000",
            ),
            ("https://pass.example/p/AB%20CD", "ABCD"),
            ("https://pass.example/", None),
            ("https://pass.example", None),
            ("https:///nohost/x", None),
            ("http://[::1/x", None),
            ("ftp://pass.example/p/ABCD", None),
            ("not a url", None),
        ],
    )
    def test_code_from_url(self, url: str, code: str | None) -> None:
        assert code_from_url(url) == code
        assert looks_like_wallet_url(url) is (code is not None)

    @pytest.mark.parametrize(
        ("raw", "card_code"),
        [("ABCD1234", True), ("abc", False), ("ab cd 12", True), ("a@b", False)],
    )
    def test_card_code(self, raw: str, card_code: bool) -> None:
        assert looks_like_card_code(raw) is card_code


class TestClassify:
    @pytest.mark.parametrize(
        ("raw", "kinds", "value"),
        [
            (
                "6035 5512 3456 9012",
                (CodeKind.GIFT_CARD_NUMBER, CodeKind.CARD_CODE),
                "6035551234569012",
            ),
            ("+44 7700 900123", (CodeKind.PHONE,), "+447700900123"),
            ("(555) 111-5555", (CodeKind.PHONE,), "5551115555"),
            ("1212121212", (CodeKind.PHONE, CodeKind.CARD_CODE), "1212121212"),
            ("89898989898989", (CodeKind.CARD_CODE,), "89898989898989"),
            (" john@example.com\n", (CodeKind.EMAIL,), "john@example.com"),
            ("https://app.getleal.com/passes/ABCD1234", (CodeKind.WALLET_URL,), "ABCD1234"),
            ("ABCD1234", (CodeKind.CARD_CODE,), "ABCD1234"),
            (
                "\x02000012345678901234\x03",
                (CodeKind.GIFT_CARD_NUMBER, CodeKind.CARD_CODE),
                "000012345678901234",
            ),
            ("???", (CodeKind.UNKNOWN,), "???"),
            ("", (CodeKind.UNKNOWN,), ""),
            ("1" * 3000, (CodeKind.UNKNOWN,), ""),
        ],
    )
    def test_classify(self, raw: str, kinds: tuple[CodeKind, ...], value: str) -> None:
        scanned = classify_code(raw)
        assert scanned.kinds == kinds
        assert scanned.kind is kinds[0]
        assert scanned.value == value
        assert scanned.raw == raw

    @given(st.text(max_size=80))
    def test_always_answers_with_at_least_one_kind(self, raw: str) -> None:
        scanned = classify_code(raw)
        assert scanned.kinds
        assert len(set(scanned.kinds)) == len(scanned.kinds)
        assert (CodeKind.UNKNOWN in scanned.kinds) == (scanned.kinds == (CodeKind.UNKNOWN,))
