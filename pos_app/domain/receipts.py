"""What a customer receipt says, and the short code its barcode carries.

A receipt is built from the journal alone, so a reprint years later says what the first print
said. It never holds a full card number: only the masked one. Its barcode carries a *receipt
code*, ``TC`` and the first 12 hex digits of the operation's reference, because a whole UUID in
Code128 is too dense to scan from 58 mm thermal paper (about 0.1 mm per bar).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from pos_app.domain._checks import require_aware
from pos_app.domain.money import Money

__all__ = [
    "RECEIPT_CODE_PREFIX",
    "PaperWidth",
    "Receipt",
    "ReceiptLine",
    "money_line",
    "names_an_operation",
    "receipt_code",
    "reference_prefix",
]

RECEIPT_CODE_PREFIX: Final = "TC"
_CODE_HEX: Final = 12
_CODE_RE: Final = re.compile(rf"^{RECEIPT_CODE_PREFIX}([0-9A-Fa-f]{{{_CODE_HEX}}})$")
_KEY_RE: Final = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
#: What a masked card may show besides its mask: the last four characters, nothing more.
_SHOWN_OF_A_CARD: Final = 4


class PaperWidth(StrEnum):
    """Receipt rolls a till prints on, and A4 for the back office."""

    MM58 = "58"
    MM80 = "80"
    A4 = "a4"

    @property
    def label(self) -> str:
        return "A4" if self is PaperWidth.A4 else f"{self.value} mm roll"

    @property
    def millimetres(self) -> int:
        return {PaperWidth.MM58: 58, PaperWidth.MM80: 80, PaperWidth.A4: 210}[self]


def receipt_code(reference: str) -> str:
    """``TC`` + the first 12 hex digits of a UUID reference, upper case: e.g. ``TC3F9A1C2B7D4E``."""
    if not _KEY_RE.fullmatch(reference):
        raise ValueError("a receipt code is made from an operation's UUID reference")
    return RECEIPT_CODE_PREFIX + reference.replace("-", "")[:_CODE_HEX].upper()


def reference_prefix(text: str) -> str | None:
    """The reference prefix a scanned receipt code stands for (``3f9a1c2b-7d4e``), or None.

    Scanners in the wrong keyboard layout can change letter case, so case is ignored.
    """
    found = _CODE_RE.match(text.strip().upper())
    if found is None:
        return None
    digits = found.group(1).lower()
    return f"{digits[:8]}-{digits[8:]}"


def names_an_operation(text: str) -> bool:
    """A receipt code or a whole reference: the lookup field opens the operation, not a card."""
    clean = text.strip()
    return reference_prefix(clean) is not None or bool(_KEY_RE.fullmatch(clean.lower()))


@dataclass(frozen=True)
class ReceiptLine:
    label: str
    value: str
    strong: bool = False


@dataclass(frozen=True, kw_only=True)
class Receipt:
    """Everything printed, in print order; the layout only decides fonts and widths."""

    shop_name: str
    terminal: str
    cashier: str | None
    at: datetime
    title: str  # "Gift card redemption", "Undo of a redemption", ...
    backend: str  # the back-end's name, as the cashier knows it
    masked_card: str
    lines: tuple[ReceiptLine, ...]
    reference: str
    mark: str | None = None  # "PENDING ...", "NOT CHARGED ...": printed large, above the lines
    copy: int = 0  # 0 for the first print; reprints say which copy they are
    footer: str = ""

    def __post_init__(self) -> None:
        require_aware(self.at, "at")
        if self.copy < 0:
            raise ValueError("copy is 0 for the original or the reprint's number")
        # Letters count too: a Leal code such as ZTLKCIUD is as good as the card itself.
        shown = "".join(self.masked_card.replace("•", "").replace("*", "").split())
        if len(shown) > _SHOWN_OF_A_CARD:
            raise ValueError("a receipt shows only the last four characters of a card")
        receipt_code(self.reference)  # the barcode needs it: refuse now, not at print time

    @property
    def code(self) -> str:
        """What the barcode carries; scanning it opens this operation at the till."""
        return receipt_code(self.reference)

    @property
    def short_reference(self) -> str:
        return self.reference[:8]

    @property
    def copy_text(self) -> str | None:
        return None if self.copy == 0 else f"COPY {self.copy} — reprinted"

    def text_lines(self) -> list[str]:
        """The receipt as plain lines (tests, logs, screen readers): what the paper says."""
        out = [self.shop_name, f"Till {self.terminal}"]
        if self.cashier:
            out.append(f"Cashier {self.cashier}")
        out.append(self.at.astimezone().strftime("%Y-%m-%d %H:%M:%S"))
        if self.copy_text:
            out.append(self.copy_text)
        if self.mark:
            out.append(self.mark)
        out += [self.title, f"{self.backend} card {self.masked_card}"]
        out += [f"{line.label}: {line.value}" for line in self.lines]
        out += [f"Ref {self.reference}", self.code]
        if self.footer:
            out.append(self.footer)
        return out


def money_line(
    label: str, amount: Money, separator: str = ".", *, strong: bool = False
) -> ReceiptLine:
    return ReceiptLine(label, amount.format(separator), strong)
