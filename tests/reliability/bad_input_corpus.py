"""The bad-input corpus as data: what a cashier, a scanner or a back-end may hand the till.

Each case names the input and the kind of answer the till must give; ``test_bad_input.py``
sends every case through every way in (typed at the counter, scanned, ``pos-app``) and checks
the answer, that nothing was journaled or sent, and that the till still works afterwards.
docs/reliability.md ("Bad input") summarises this table for an auditor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Final

#: LoyaltyDog seed 0: a gift card with $ 100.00 (tests/cli_tills.py).
GOOD_CARD: Final = "6215943836307608"
#: What the till says when a text cannot be any card, phone, e-mail or wallet pass.
CANNOT_BE_A_CARD: Final = "Scan a card, or type a card number, phone number or e-mail address"

ARABIC_INDIC: Final = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULL_WIDTH: Final = str.maketrans("0123456789", "０１２３４５６７８９")


class Answer(StrEnum):
    """The kind of answer a case must get."""

    REFUSED = "refused"
    """Nothing is sent; one sentence says what the till can read (card codes) or what to type
    (amounts)."""
    NOT_FOUND = "not found"
    """It could be a card, so it was searched; the till says nothing was found, code masked."""
    FOUND = "found"
    """The junk around a real card is ignored (scanner framing, invisible characters)."""
    ACCEPTED = "accepted"
    """A legitimate amount, shown as the till read it before the cashier confirms."""
    UNUSABLE = "unusable"
    """A back-end's answer cannot be used: its name and what was wrong, in words; no card
    from it, the other back-ends unaffected."""
    NOT_LOST = "not lost"
    """A write whose answer was bad: journaled, told as PENDING (or done once reconciled),
    then finished exactly once."""


class Way(StrEnum):
    """How a card code reaches the till."""

    TYPED = "typed"  # keys into the counter's lookup field (at most 256 characters)
    SCANNED = "scanned"  # a keyboard-wedge burst to the window, ended with Enter
    CLI = "cli"  # ``pos-app lookup CODE``

    @classmethod
    def all(cls) -> frozenset[Way]:
        return frozenset(cls)


@dataclass(frozen=True)
class CodeCase:
    """A typed or scanned card code; ``ways`` lists where it can arrive at all."""

    name: str
    text: str
    answer: Answer
    ways: frozenset[Way] = field(default_factory=Way.all)


_CLI: Final = frozenset({Way.CLI})
CODES: Final[tuple[CodeCase, ...]] = (
    CodeCase("empty", "", Answer.REFUSED),
    CodeCase("spaces only", "     ", Answer.REFUSED),
    # Tab and Enter are keys at the counter (focus, submit): only a script can pass them.
    CodeCase("tab, CR and LF only", "\t\r\n", Answer.REFUSED, _CLI),
    CodeCase("10,000 digits", "7" * 10_000, Answer.REFUSED),
    CodeCase("10,000 letters", "A" * 10_000, Answer.REFUSED),
    CodeCase("Arabic-Indic digits", GOOD_CARD.translate(ARABIC_INDIC), Answer.REFUSED),
    CodeCase("full-width digits", GOOD_CARD.translate(FULL_WIDTH), Answer.REFUSED),
    CodeCase("emoji", "💳💳💳💳", Answer.REFUSED),
    CodeCase("emoji before a real card", f"💳{GOOD_CARD}", Answer.REFUSED),
    CodeCase("control characters", "\x00\x07\x1b[2J\x7f", Answer.REFUSED),
    CodeCase("scanner framing STX/ETX", f"\x02{GOOD_CARD}\x03", Answer.FOUND),
    CodeCase("zero-width space inside", f"{GOOD_CARD[:8]}\u200b{GOOD_CARD[8:]}", Answer.FOUND),
    CodeCase("right-to-left override", f"\u202e{GOOD_CARD}", Answer.FOUND),
    CodeCase("grouped with spaces and dashes", "6215 9438-3630 7608", Answer.FOUND),
    CodeCase("padded with spaces", f"   {GOOD_CARD}   ", Answer.FOUND),
    CodeCase("SQL: always true", "' OR '1'='1", Answer.REFUSED),
    CodeCase("SQL: stacked statement", "1; DROP TABLE operations;--", Answer.REFUSED),
    CodeCase("SQL inside an e-mail address", "x'--@example.com", Answer.NOT_FOUND),
    CodeCase("the word null", "null", Answer.NOT_FOUND),
    CodeCase("shell: command substitution", "$(reboot)", Answer.REFUSED),
    CodeCase("shell: separators and pipes", "; rm -rf / | cat /etc/passwd &", Answer.REFUSED),
    CodeCase("path traversal", "../../etc/passwd", Answer.REFUSED),
    CodeCase("format strings", "%s%s%n{0}{.__class__}", Answer.REFUSED),
    CodeCase("HTML around a real card", f"<b>{GOOD_CARD}</b>", Answer.REFUSED),
    CodeCase(
        "wallet URL with encoded traversal",
        "https://evil.example/pass/..%2f..%2fetc%2fpasswd",
        Answer.NOT_FOUND,
    ),
    CodeCase("unknown card number", "0000000000000000", Answer.NOT_FOUND),
    # A script may pass what no keyboard sends: two codes on two lines, undecodable bytes.
    CodeCase("two cards on two lines", f"{GOOD_CARD}\n{GOOD_CARD}", Answer.NOT_FOUND, _CLI),
    CodeCase("undecodable bytes (surrogates)", "\udcff\udcfe1234", Answer.REFUSED, _CLI),
)


@dataclass(frozen=True)
class AmountCase:
    """An amount typed in the redeem dialog (or passed to ``pos-app redeem``).

    ``says`` is the sentence a refusal must show; ``value`` what an accepted one redeems.
    """

    name: str
    text: str
    answer: Answer
    says: str = ""
    value: Decimal | None = None


ENTER_LIKE: Final = "Enter an amount like 12.50"
MORE_THAN_ZERO: Final = "The amount must be more than zero"
KEYPAD_DIGITS: Final = "Use the digits 0-9 on the keypad"
NO_GROUPING: Final = "Leave out thousands separators: type 1234.50"

# Digits other than 0-9 (Arabic-Indic, full-width, fractions) are refused, not read: Python's
# Decimal would turn "١٢٣" into 123 silently, but the keypad and every receipt use 0-9, and
# the back-ends' amounts are refused the same way (money.parse_api_amount). One rule, one
# sentence, in the dialog and in pos-app alike.
AMOUNTS: Final[tuple[AmountCase, ...]] = (
    AmountCase("empty", "", Answer.REFUSED, ENTER_LIKE),
    AmountCase("spaces only", "   ", Answer.REFUSED, ENTER_LIKE),
    AmountCase("10,000 digits", "1" * 10_000, Answer.REFUSED, ENTER_LIKE),
    AmountCase("exponent", "1e9", Answer.REFUSED, ENTER_LIKE),
    AmountCase("negative zero", "-0", Answer.REFUSED, MORE_THAN_ZERO),
    AmountCase("negative", "-5", Answer.REFUSED, MORE_THAN_ZERO),
    AmountCase("plus sign", "+5", Answer.REFUSED, ENTER_LIKE),
    AmountCase("zero", "0.00", Answer.REFUSED, MORE_THAN_ZERO),
    AmountCase("a tenth of a cent", "0.001", Answer.REFUSED, "Amounts have at most 2 decimals"),
    AmountCase("Arabic-Indic digits", "١٢٣", Answer.REFUSED, KEYPAD_DIGITS),
    AmountCase("full-width digits", "１２３", Answer.REFUSED, KEYPAD_DIGITS),
    AmountCase("a fraction sign", "½", Answer.REFUSED, KEYPAD_DIGITS),
    AmountCase("emoji", "12💶", Answer.REFUSED, ENTER_LIKE),
    AmountCase("control characters", "\x1b[2J", Answer.REFUSED, ENTER_LIKE),
    AmountCase("NaN", "NaN", Answer.REFUSED, ENTER_LIKE),
    AmountCase("Infinity", "Infinity", Answer.REFUSED, ENTER_LIKE),
    AmountCase("negative infinity", "-inf", Answer.REFUSED, ENTER_LIKE),
    AmountCase("hexadecimal", "0x10", Answer.REFUSED, ENTER_LIKE),
    AmountCase("underscore grouping", "1_000", Answer.REFUSED, ENTER_LIKE),
    AmountCase("comma grouping", "1,500", Answer.REFUSED, NO_GROUPING),
    AmountCase("grouped with decimals", "1,234.50", Answer.REFUSED, NO_GROUPING),
    AmountCase("two decimal marks", "1.2.3", Answer.REFUSED, ENTER_LIKE),
    AmountCase("currency symbol", "$12", Answer.REFUSED, ENTER_LIKE),
    AmountCase("SQL", "1; DROP TABLE operations", Answer.REFUSED, ENTER_LIKE),
    AmountCase("shell", "$(reboot)", Answer.REFUSED, ENTER_LIKE),
    AmountCase("over the till's maximum", "100000.01", Answer.REFUSED, "That amount is too large"),
    AmountCase(
        "a card number",
        GOOD_CARD,
        Answer.REFUSED,
        "That looks like a card number, not an amount",
    ),
    # Legitimate: a comma is a decimal mark where it cannot be a thousands separator.
    AmountCase("comma as decimal mark", "1,50", Answer.ACCEPTED, value=Decimal("1.50")),
    AmountCase("padded with spaces", "  12.50  ", Answer.ACCEPTED, value=Decimal("12.50")),
    AmountCase("leading decimal mark", ".50", Answer.ACCEPTED, value=Decimal("0.50")),
)


@dataclass(frozen=True)
class ServerCase:
    """A back-end answering badly (``answer`` is a tests/hostile_server.py answer name).

    ``lookup`` is what a lookup meeting it must give, ``says`` a phrase its message must hold;
    ``write`` what a redemption meeting it must give: NOT_LOST, or REFUSED when the back-end
    said no (nothing applied, the refusal kept). ``xml`` replaces ``answer`` for ClientToolbox,
    whose API speaks XML.
    """

    name: str
    answer: str
    lookup: Answer = Answer.UNUSABLE
    says: str = ""
    xml: str | None = None
    write: Answer = Answer.NOT_LOST

    def answer_for(self, backend: str) -> str:
        return self.xml if backend == "clienttoolbox" and self.xml else self.answer


SERVER: Final[tuple[ServerCase, ...]] = (
    ServerCase("truncated body (the real answer cut in half)", "truncated"),
    ServerCase("wrong types (numbers as words, amounts as objects)", "wrongtypes"),
    # The body is judged by what it is, not by its label.
    ServerCase("wrong content type (real body labelled text/html)", "wrongctype", Answer.FOUND),
    ServerCase("HTML login page with 200", "html200"),
    ServerCase("HTML error page with 500", "html500", says="500"),
    ServerCase("empty body", "empty"),
    ServerCase("XML bomb (billion laughs)", "bomb"),
    ServerCase("XML external entity (file:///etc/passwd)", "xxe"),
    ServerCase("JSON nested 100,000 deep", "deep"),
    ServerCase("50 MB body", "big", says="too large"),
    ServerCase("slowloris (a byte every 0.5 s)", "slow", says="too slowly"),
    # Words shown as words: a refusal reading "<h1>APPROVED</h1>" must not look approved.
    ServerCase("a refusal whose words are HTML", "markup", xml="markup_xml", write=Answer.REFUSED),
)
#: Server cases where the redemption never reached the back-end (a gateway answered), so
#: reconciliation must send it again; the others are applied first, then answered badly
#: (except a refusal, which is never applied).
NOT_APPLIED: Final = frozenset({"html500", "slow"})
