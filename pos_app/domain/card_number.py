"""Card numbers and other codes as scanned or typed at the till: cleaning, checking, masking.

Codes are always strings: a number like ``0000123456789012`` must keep its leading zeros, and
back-ends match on the exact text. Nothing here is ever converted to ``int``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Final
from urllib.parse import unquote, urlsplit

from pos_app.domain.errors import CardNumberError

__all__ = [
    "GIFT_CARD_MAX_DIGITS",
    "GIFT_CARD_MIN_DIGITS",
    "MASK",
    "CodeKind",
    "ScannedCode",
    "classify_code",
    "code_from_url",
    "last_four",
    "looks_like_card_code",
    "looks_like_email",
    "looks_like_gift_card_number",
    "looks_like_phone",
    "looks_like_wallet_url",
    "mask",
    "normalize_code",
    "normalize_phone",
    "validate_card_code",
    "validate_gift_card_number",
]

GIFT_CARD_MIN_DIGITS: Final = 16
GIFT_CARD_MAX_DIGITS: Final = 20
MASK: Final = "••••"
#: Below this length even the last four would give away too much of the code.
_MIN_LENGTH_TO_SHOW_LAST_FOUR: Final = 8
_CARD_CODE_LENGTHS: Final = range(4, 65)
_MAX_CODE_TEXT: Final = 2048

_URL_RE: Final = re.compile(r"https?://\S+", re.IGNORECASE)
_EMAIL_RE: Final = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[A-Za-z]{2,}")
_UUID_RE: Final = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
_PHONE_RE: Final = re.compile(r"\+?[0-9(][0-9 ().\-]*")
_ALNUM_RE: Final = re.compile(r"[A-Za-z0-9]+")


class CodeKind(StrEnum):
    """What a scanned or typed text most likely is, to decide where to look it up."""

    GIFT_CARD_NUMBER = "gift_card_number"
    CARD_CODE = "card_code"
    PHONE = "phone"
    EMAIL = "email"
    WALLET_URL = "wallet_url"
    UNKNOWN = "unknown"


def _is_invisible(char: str) -> bool:
    """Control and format characters: scanner framing (STX/ETX, CR/LF, tab), zero-width, BOM."""
    return unicodedata.category(char) in {"Cc", "Cf"}


def _is_separator(char: str) -> bool:
    """Spaces and dashes people and printers put between digit groups."""
    return char.isspace() or unicodedata.category(char) == "Pd"


def _trimmed(text: str) -> str:
    return "".join(char for char in text if not _is_invisible(char)).strip()


def normalize_code(text: str) -> str:
    """The code to search for: invisible characters, spaces and dashes removed.

    URLs, e-mail addresses and UUIDs (Leal wallet ids) are only trimmed, since their dashes
    and spelling are part of the value. Idempotent: normalising twice changes nothing.
    """
    if not isinstance(text, str):
        raise TypeError(f"A code must be text, not {type(text).__name__}")
    trimmed = _trimmed(text)
    if _URL_RE.fullmatch(trimmed) or "@" in trimmed or _UUID_RE.fullmatch(trimmed):
        return trimmed
    return "".join(char for char in trimmed if not _is_separator(char))


def normalize_phone(text: str) -> str:
    """A phone number as ``+`` (if given) and digits, the form the back-ends search best."""
    trimmed = _trimmed(text)
    digits = "".join(char for char in trimmed if "0" <= char <= "9")
    return f"+{digits}" if trimmed.startswith("+") else digits


def last_four(number: str) -> str:
    """The last four characters of the cleaned number (what receipts and screens may show)."""
    return normalize_code(number)[-4:]


def mask(number: str) -> str:
    """``"•••• 9012"``: only the last four, and only when the code has at least 8 characters.

    Shorter codes are masked entirely (``"••••"``), because showing four of six characters
    would give most of the code away. The mask has a fixed width so it hides the length too.
    """
    code = normalize_code(number)
    if len(code) < _MIN_LENGTH_TO_SHOW_LAST_FOUR:
        return MASK
    return f"{MASK} {code[-4:]}"


def looks_like_gift_card_number(text: str) -> bool:
    """16 to 20 digits 0-9 once spaces and dashes are gone (LoyaltyDog card numbers)."""
    code = normalize_code(text)
    return code.isascii() and code.isdigit() and len(code) in _gift_card_lengths()


def _gift_card_lengths() -> range:
    return range(GIFT_CARD_MIN_DIGITS, GIFT_CARD_MAX_DIGITS + 1)


def looks_like_email(text: str) -> bool:
    trimmed = _trimmed(text)
    return len(trimmed) <= 254 and _EMAIL_RE.fullmatch(trimmed) is not None


def looks_like_phone(text: str) -> bool:
    """``+`` with 8-15 digits, or 7-11 digits with the usual spaces, dashes, dots, brackets.

    National numbers rarely exceed 11 digits; longer bare digit runs are more likely card codes.
    """
    trimmed = _trimmed(text)
    if not trimmed.isascii() or not _PHONE_RE.fullmatch(trimmed):
        return False
    digits = sum(char.isdigit() for char in trimmed)
    if trimmed.startswith("+"):
        return 8 <= digits <= 15
    return 7 <= digits <= 11


def looks_like_card_code(text: str) -> bool:
    """4-64 ASCII letters and digits (Leal card code, ClientToolbox code), or a UUID."""
    code = normalize_code(text)
    if _UUID_RE.fullmatch(code):
        return True
    return len(code) in _CARD_CODE_LENGTHS and _ALNUM_RE.fullmatch(code) is not None


def code_from_url(url: str) -> str | None:
    """The last path segment of a wallet-pass URL, cleaned, or None if there is none."""
    trimmed = _trimmed(url)
    if len(trimmed) > _MAX_CODE_TEXT or not _URL_RE.fullmatch(trimmed):
        return None
    try:
        parts = urlsplit(trimmed)
    except ValueError:
        return None
    segments = [segment for segment in parts.path.split("/") if segment]
    if not parts.netloc or not segments:
        return None
    code = normalize_code(unquote(segments[-1]))
    return code or None


def looks_like_wallet_url(text: str) -> bool:
    return code_from_url(text) is not None


@dataclass(frozen=True, slots=True)
class ScannedCode:
    """What was scanned or typed, what it most likely is, and the value to search for.

    ``kinds`` lists every plausible reading, most likely first: ``1212121212`` may be a phone
    number or a ClientToolbox card number, so lookups should try all of them.
    """

    raw: str
    kinds: tuple[CodeKind, ...]
    value: str

    @property
    def kind(self) -> CodeKind:
        return self.kinds[0]


def classify_code(text: str) -> ScannedCode:
    """Tell a gift card number from a phone, e-mail, card code or wallet-pass URL."""
    trimmed = _trimmed(text)
    if not trimmed or len(trimmed) > _MAX_CODE_TEXT:
        return ScannedCode(text, (CodeKind.UNKNOWN,), "")
    from_url = code_from_url(trimmed)
    if from_url is not None:
        return ScannedCode(text, (CodeKind.WALLET_URL,), from_url)
    if looks_like_email(trimmed):
        return ScannedCode(text, (CodeKind.EMAIL,), trimmed)
    code = normalize_code(trimmed)
    kinds: list[CodeKind] = []
    if looks_like_gift_card_number(code):
        kinds.append(CodeKind.GIFT_CARD_NUMBER)
    if looks_like_phone(trimmed):
        kinds.append(CodeKind.PHONE)
    if looks_like_card_code(code):
        kinds.append(CodeKind.CARD_CODE)
    if not kinds:
        return ScannedCode(text, (CodeKind.UNKNOWN,), code)
    value = normalize_phone(trimmed) if kinds[0] is CodeKind.PHONE else code
    return ScannedCode(text, tuple(kinds), value)


def validate_gift_card_number(text: str) -> str:
    """The cleaned gift card number, or :class:`CardNumberError` saying what is wrong."""
    code = normalize_code(text)
    if not code:
        raise CardNumberError("Scan or type the gift card number")
    if not (code.isascii() and code.isdigit()):
        raise CardNumberError("A gift card number has only the digits 0-9")
    if len(code) not in _gift_card_lengths():
        raise CardNumberError(
            f"A gift card number has {GIFT_CARD_MIN_DIGITS} to {GIFT_CARD_MAX_DIGITS} digits"
            f" (this one has {len(code)})"
        )
    return code


def validate_card_code(text: str) -> str:
    """The cleaned card code (letters and digits, or a UUID), or :class:`CardNumberError`."""
    code = normalize_code(text)
    if not code:
        raise CardNumberError("Scan or type the card code")
    if not looks_like_card_code(code):
        raise CardNumberError("A card code has 4 to 64 letters and digits")
    return code
