"""The timing rules on their own: no Qt, times given explicitly, payloads are ints.

Times are whole milliseconds here (any unit works if max_gap uses it too), so the boundary
tests compare exact numbers instead of rounded binary fractions of a second.
"""

from __future__ import annotations

import pytest

from pos_app.scanner import Decision, KeyKind, ScanBuffer, Stroke

GAP = 50


def buffer(**options: object) -> ScanBuffer[int]:
    settings: dict[str, object] = {"max_gap": GAP, "min_length": 4, **options}
    return ScanBuffer(**settings)  # type: ignore[arg-type]


class Feeder:
    """Numbers every stroke so a test can see exactly which keys come back, in which order."""

    def __init__(self, scan_buffer: ScanBuffer[int]) -> None:
        self.buffer = scan_buffer
        self.count = 0
        self.now = 100_000

    def pause(self, ms: int) -> None:
        self.now += ms

    def press(self, kind: KeyKind, text: str = "", after: int = 5) -> Decision[int]:
        self.now += after
        self.count += 1
        return self.buffer.press(Stroke(kind, text, self.count), self.now)

    def chars(self, text: str, after: int = 5) -> list[Decision[int]]:
        return [self.press(KeyKind.CHARACTER, char, after) for char in text]

    def enter(self, after: int = 5) -> Decision[int]:
        return self.press(KeyKind.TERMINATOR, "\r", after)


def test_a_burst_ended_by_a_terminator_is_a_scan() -> None:
    feed = Feeder(buffer())
    decisions = feed.chars("12345")
    assert all(d == Decision(swallow=True) for d in decisions)
    assert feed.enter() == Decision(swallow=True, code="12345")
    assert not feed.buffer.pending


def test_the_first_key_is_held_because_it_may_start_a_scan() -> None:
    feed = Feeder(buffer())
    assert feed.press(KeyKind.CHARACTER, "a", after=1000) == Decision(swallow=True)
    assert feed.buffer.pending
    assert feed.buffer.remaining(feed.now) == pytest.approx(GAP)


def test_a_slow_key_hands_back_the_held_keys_first() -> None:
    feed = Feeder(buffer())
    feed.chars("ab", after=10)
    decision = feed.press(KeyKind.CHARACTER, "c", after=200)
    assert decision == Decision(swallow=True, replay=(1, 2))
    assert feed.buffer.flush() == (3,)


def test_a_gap_of_exactly_max_gap_ends_the_burst() -> None:
    feed = Feeder(buffer(min_length=1))
    feed.chars("a")
    assert feed.enter(after=GAP) == Decision(swallow=False, replay=(1,))


def test_a_gap_just_below_max_gap_continues_it() -> None:
    feed = Feeder(buffer(min_length=1))
    feed.chars("a")
    assert feed.enter(after=GAP - 1) == Decision(swallow=True, code="a")


def test_a_short_burst_is_typing_and_its_terminator_passes() -> None:
    feed = Feeder(buffer())
    feed.chars("123")
    assert feed.enter() == Decision(swallow=False, replay=(1, 2, 3))


def test_a_terminator_on_its_own_passes() -> None:
    feed = Feeder(buffer())
    assert feed.enter(after=1000) == Decision(swallow=False)


def test_expire_only_after_the_gap() -> None:
    feed = Feeder(buffer())
    feed.chars("xy")
    assert feed.buffer.expire(feed.now + GAP / 2) == ()
    assert feed.buffer.remaining(feed.now + GAP / 2) == pytest.approx(GAP / 2)
    assert feed.buffer.expire(feed.now + GAP) == (1, 2)
    assert feed.buffer.remaining(feed.now + GAP) is None


@pytest.mark.parametrize("kind", [KeyKind.COMMAND, KeyKind.EDITING])
def test_commands_and_editing_keys_outside_a_burst_pass_at_once(kind: KeyKind) -> None:
    feed = Feeder(buffer())
    assert feed.press(kind, after=1000) == Decision(swallow=False)
    assert not feed.buffer.pending


def test_a_command_inside_a_burst_is_dropped_for_good() -> None:
    feed = Feeder(buffer())
    feed.chars("12")
    assert feed.press(KeyKind.COMMAND, "\x10") == Decision(swallow=True)
    feed.chars("34")
    assert feed.enter() == Decision(swallow=True, code="1234")
    feed.chars("56")
    feed.press(KeyKind.COMMAND, "\x1b")
    assert feed.buffer.flush() == (7, 8)  # the command (9) is not handed back as typing


def test_editing_keys_in_a_burst_are_kept_for_typing_but_not_part_of_a_code() -> None:
    feed = Feeder(buffer())
    feed.chars("abc")
    feed.press(KeyKind.EDITING, "\b")
    feed.chars("d")
    assert feed.buffer.flush() == (1, 2, 3, 4, 5)
    feed.pause(1000)
    feed.chars("wxyz")
    feed.press(KeyKind.EDITING, "\b")
    assert feed.enter() == Decision(swallow=True, code="wxyz")


def test_a_second_terminator_right_after_a_scan_is_swallowed() -> None:
    feed = Feeder(buffer())
    feed.chars("1234")
    feed.enter()
    assert feed.press(KeyKind.TERMINATOR, "\t") == Decision(swallow=True)
    assert feed.enter(after=1000) == Decision(swallow=False)


def test_prefix_is_required_and_stripped() -> None:
    feed = Feeder(buffer(prefix="]C"))
    feed.chars("]C1234")
    assert feed.enter() == Decision(swallow=True, code="1234")


def test_a_key_that_cannot_start_the_prefix_passes_without_delay() -> None:
    feed = Feeder(buffer(prefix="]C"))
    assert feed.press(KeyKind.CHARACTER, "1", after=1000) == Decision(swallow=False)
    assert not feed.buffer.pending


def test_a_burst_that_stops_matching_the_prefix_is_handed_back_at_once() -> None:
    feed = Feeder(buffer(prefix="]C"))
    feed.chars("]")
    assert feed.press(KeyKind.CHARACTER, "X") == Decision(swallow=False, replay=(1,))
    assert not feed.buffer.pending


def test_the_prefix_counts_towards_nothing() -> None:
    feed = Feeder(buffer(prefix="]C"))
    feed.chars("]C123")
    assert feed.enter() == Decision(swallow=False, replay=(1, 2, 3, 4, 5))


def test_the_suffix_ends_a_scan_and_is_stripped() -> None:
    feed = Feeder(buffer(suffix="##"))
    decisions = feed.chars("9876##")
    assert decisions[-1] == Decision(swallow=True, code="9876")
    assert decisions[-2] == Decision(swallow=True)
    assert feed.enter() == Decision(swallow=True)  # the Enter some scanners add after it


def test_a_suffix_too_early_for_a_code_is_part_of_it() -> None:
    feed = Feeder(buffer(suffix="#", min_length=2))
    feed.chars("1#")
    assert feed.buffer.pending  # "1" is too short to be a code: keep listening
    assert feed.chars("2#")[-1] == Decision(swallow=True, code="1#2")


def test_enter_still_ends_a_scan_when_a_suffix_is_configured() -> None:
    feed = Feeder(buffer(suffix="#"))
    feed.chars("5555")
    assert feed.enter() == Decision(swallow=True, code="5555")


@pytest.mark.parametrize(
    ("options", "message"),
    [({"max_gap": 0}, "max_gap"), ({"min_length": 0}, "min_length")],
)
def test_nonsense_settings_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        buffer(**options)
