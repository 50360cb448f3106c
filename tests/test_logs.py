"""The log file never holds a full card number, a token or a password."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from pos_app.logs import redact, register_secret, setup_logging


@pytest.mark.parametrize(
    ("raw", "must_not_contain", "must_contain"),
    [
        ("card 4000123456789012 redeemed", "4000123456789012", "••••9012"),
        ("card 4000-1234-5678-9012 scanned", "5678", "••••9012"),
        ("card 4000 1234 5678 9012 scanned", "1234 5678", "••••9012"),
        ("leading zeros 0012345678901234", "00123456789", "••••1234"),
        ("Authorization: Bearer eyJhbGciOi.abc.def", "eyJhbGciOi", "Bearer [REDACTED]"),
        ('{"accessToken": "tok-123456"}', "tok-123456", "[REDACTED]"),
        ("username=a&password=hunter22&grant_type=password", "hunter22", "password=[REDACTED]"),
        ("api_access_key: k-998877", "k-998877", "[REDACTED]"),
        ("user_password=abcdef123", "abcdef123", "[REDACTED]"),
        ('"securityCode": "123456"', "123456", "[REDACTED]"),
    ],
)
def test_redact_hides_secrets_and_card_numbers(
    raw: str, must_not_contain: str, must_contain: str
) -> None:
    out = redact(raw)
    assert must_not_contain not in out
    assert must_contain in out


def test_redact_keeps_ordinary_text() -> None:
    text = "redeemed 12.50 at 2026-01-15T10:30:00Z, request 4f2a-77, phone +447700900123"
    assert redact(text) == text


def test_registered_secret_is_redacted_anywhere() -> None:
    register_secret("s3cr3t-value-xyz")
    assert "s3cr3t" not in redact("login failed for s3cr3t-value-xyz!")


@pytest.mark.expected_logs
def test_log_file_is_private_and_redacted(tmp_path: Path) -> None:
    log_path = setup_logging(tmp_path)
    logger = logging.getLogger("tillcard.test")
    logger.info("redeem on %s with token=%s", "4000123456789012", "abc-secret-1")
    try:
        raise RuntimeError("failed for card 4111111111111111")
    except RuntimeError:
        logger.exception("boom with Bearer zzz.yyy.xxx")
    for handler in logging.getLogger().handlers:
        handler.flush()
    content = log_path.read_text(encoding="utf-8")
    assert "••••9012" in content
    assert "••••1111" in content
    for secret in ("4000123456789012", "abc-secret-1", "4111111111111111", "zzz.yyy.xxx"):
        assert secret not in content
    assert "RuntimeError" in content  # the traceback is kept, only redacted
    if os.name == "posix":
        assert stat.S_IMODE(log_path.stat().st_mode) == 0o600


def test_logfail_catches_unexpected_warnings() -> None:
    """The suite-wide guard really fails a test that logs a stray warning."""
    from tests.logfail import LogFailHandler

    handler = LogFailHandler()
    logger = logging.getLogger("tillcard.logfail-probe")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("stray")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    assert handler.unexpected == ["tillcard.logfail-probe WARNING: stray"]
