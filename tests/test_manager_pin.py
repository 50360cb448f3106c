"""Manager PINs: salted hashes that verify, formats the till accepts, and the brute-force lock."""

from __future__ import annotations

import base64

import pytest

import pos_app.manager_pin as manager_pin
from pos_app.manager_pin import PinLockout, check_pin_format, hash_pin, verify_pin


class FakeClock:
    """Stands in for time.monotonic so a 5-minute lock is tested without waiting 5 minutes;
    the lockout only ever reads the clock, so advancing it is all that time does here."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="module")
def stored() -> list[str]:
    """Two managers' hashes, made once: each scrypt takes tens of milliseconds."""
    return [hash_pin("4321"), hash_pin("24681357")]


def test_hash_has_the_documented_shape_and_a_fresh_salt() -> None:
    first, second = hash_pin("1234"), hash_pin("1234")
    assert first != second
    scheme, n, r, p, salt, _digest = first.split("$")
    assert (scheme, n, r, p) == ("scrypt", str(2**14), "8", "1")
    assert salt != second.split("$")[4]
    assert verify_pin("1234", first)
    assert verify_pin("1234", second)


def test_wrong_pin_does_not_verify(stored: list[str]) -> None:
    assert verify_pin("4321", stored[0])
    assert not verify_pin("4322", stored[0])
    assert not verify_pin("1234", stored[0])
    assert not verify_pin("4321", stored[1])


def test_hash_refuses_a_pin_the_till_would_refuse() -> None:
    with pytest.raises(ValueError, match="4 to 12 digits"):
        hash_pin("123")


SALT = base64.b64encode(b"s" * 16).decode()
DIGEST = base64.b64encode(b"h" * 32).decode()


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "not a hash",
        f"scrypt$16384$8$1${SALT}",
        f"bcrypt$16384$8$1${SALT}${DIGEST}",
        f"scrypt$16383$8$1${SALT}${DIGEST}",  # n not a power of two
        f"scrypt$1073741824$8$1${SALT}${DIGEST}",  # n would need gigabytes
        f"scrypt$16384$0$1${SALT}${DIGEST}",
        f"scrypt$16384$8$x${SALT}${DIGEST}",
        f"scrypt$١٦٣٨٤$8$1${SALT}${DIGEST}",
        f"scrypt$16384$8$1$not base64!${DIGEST}",
        f"scrypt$16384$8$1$c2FsdA==${DIGEST}",  # 4-byte salt
        f"scrypt$16384$8$1${SALT}$c2hvcnQ=",  # 5-byte hash
    ],
)
def test_malformed_stored_hash_is_false_not_an_error(bad: str) -> None:
    assert verify_pin("1234", bad) is False


def test_well_formed_but_foreign_hash_is_just_wrong() -> None:
    assert verify_pin("1234", f"scrypt$16384$8$1${SALT}${DIGEST}") is False


def test_truncated_real_hash_is_false(stored: list[str]) -> None:
    assert verify_pin("4321", stored[0][:-8]) is False
    assert verify_pin("4321", stored[0] + "$extra") is False


@pytest.mark.parametrize("pin", ["1234", "0000", "123456789012", "007007"])
def test_good_pin_formats(pin: str) -> None:
    assert check_pin_format(pin) is None


@pytest.mark.parametrize(
    ("pin", "reason"),
    [
        ("", "Enter the manager PIN"),
        ("123", "4 to 12 digits"),
        ("1234567890123", "4 to 12 digits"),
        ("١٢٣٤", "digits 0-9 only"),  # Arabic-Indic digits: str.isdigit() says yes
        ("１２３４", "digits 0-9 only"),  # full-width digits
        ("12 34", "digits 0-9 only"),
        (" 1234", "digits 0-9 only"),
        ("1234\n", "digits 0-9 only"),
        ("12a4", "digits 0-9 only"),
        ("12²4", "digits 0-9 only"),
    ],
)
def test_bad_pin_formats_say_why(pin: str, reason: str) -> None:
    problem = check_pin_format(pin)
    assert problem is not None
    assert reason in problem


def test_right_pin_says_whose_it_was(stored: list[str]) -> None:
    lockout = PinLockout(clock=FakeClock())
    check = lockout.attempt("24681357", stored)
    assert check.ok
    assert check.matched_index == 1
    assert lockout.attempt("4321", iter(stored)).matched_index == 0


def test_wrong_pins_count_down_then_lock(stored: list[str]) -> None:
    clock = FakeClock()
    lockout = PinLockout(max_failures=3, lock_seconds=300, clock=clock)
    first = lockout.attempt("1111", stored)
    assert (first.ok, first.message, first.matched_index) == (
        False,
        "Wrong PIN, 2 tries left",
        None,
    )
    assert lockout.attempt("1111", stored).message == "Wrong PIN, 1 try left"
    locking = lockout.attempt("1111", stored)
    assert not locking.ok
    assert locking.message == "Too many wrong PINs; try again in 5 min"
    assert lockout.locked_for() == 300.0
    clock.advance(47.5)
    assert lockout.locked_for() == 252.5
    locked = lockout.attempt("4321", stored)  # even the right PIN is refused while locked
    assert (locked.ok, locked.matched_index) == (False, None)
    assert locked.message == "Too many wrong PINs; try again in 4 min 13 s"


def test_no_scrypt_while_locked(stored: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    lockout = PinLockout(max_failures=1, lock_seconds=60, clock=clock)
    assert not lockout.attempt("1111", stored).ok
    calls: list[str] = []

    def counting_verify(pin: str, stored_hash: str) -> bool:
        calls.append(stored_hash)
        return True

    monkeypatch.setattr(manager_pin, "verify_pin", counting_verify)
    assert not lockout.attempt("4321", stored).ok
    assert calls == []
    clock.advance(60)
    assert lockout.attempt("4321", stored).ok
    assert calls


def test_lock_expires_with_a_full_count_again(stored: list[str]) -> None:
    clock = FakeClock()
    lockout = PinLockout(max_failures=2, lock_seconds=30, clock=clock)
    lockout.attempt("1111", stored)
    lockout.attempt("1111", stored)
    assert lockout.locked_for() == 30.0
    clock.advance(29.2)
    assert "1 s" in lockout.attempt("4321", stored).message
    clock.advance(1.0)
    assert lockout.locked_for() == 0.0
    assert lockout.attempt("1111", stored).message == "Wrong PIN, 1 try left"


def test_success_resets_the_count(stored: list[str]) -> None:
    lockout = PinLockout(max_failures=2, clock=FakeClock())
    assert lockout.attempt("1111", stored).message == "Wrong PIN, 1 try left"
    assert lockout.attempt("4321", stored).ok
    assert lockout.attempt("1111", stored).message == "Wrong PIN, 1 try left"
    assert lockout.locked_for() == 0.0


def test_malformed_entry_is_refused_without_counting(stored: list[str]) -> None:
    lockout = PinLockout(max_failures=1, clock=FakeClock())
    check = lockout.attempt("12", stored)
    assert not check.ok
    assert "4 to 12 digits" in check.message
    assert lockout.locked_for() == 0.0
    assert lockout.attempt("4321", stored).ok


def test_no_managers_set_up(stored: list[str]) -> None:
    lockout = PinLockout(max_failures=1, clock=FakeClock())
    check = lockout.attempt("4321", [])
    assert (check.ok, check.message) == (False, "No manager PIN is set up on this till")
    assert lockout.locked_for() == 0.0


def test_corrupt_stored_hash_among_good_ones(stored: list[str]) -> None:
    lockout = PinLockout(clock=FakeClock())
    check = lockout.attempt("24681357", ["garbage", *stored])
    assert (check.ok, check.matched_index) == (True, 2)


def test_nonsense_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="max_failures"):
        PinLockout(max_failures=0)
    with pytest.raises(ValueError, match="lock_seconds"):
        PinLockout(lock_seconds=-1.0)
