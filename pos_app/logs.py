"""Rotating log file under the data dir, with card numbers and secrets redacted on the way in."""

from __future__ import annotations

import io
import logging
import logging.handlers
import os
import re
import sys
import threading
from pathlib import Path

LOG_FILE_NAME = "tillcard.log"
MAX_BYTES = 2 * 1024 * 1024
BACKUPS = 5
FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"

_CARD_RUN = re.compile(r"(?<![\w.])(?:\d[ -]?){12,19}\d(?![\w.])")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+")
_KEY_VALUE = re.compile(
    r"(?i)((?:access_?token|token|password|passwd|api_?key|api_access_key|user_password|"
    r"user_api_key|secret|pin|security_?code|securityCode)[\"']?\s*[:=]\s*[\"']?)"
    r"([^\"'&\s,}]+)"
)
_known_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Remember a secret's exact value so it is redacted wherever it turns up in a log."""
    if value and len(value) >= 4:
        with _secrets_lock:
            _known_secrets.add(value)


def _mask_card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "••••" + digits[-4:]


def redact(text: str) -> str:
    with _secrets_lock:
        secrets = sorted(_known_secrets, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, "[REDACTED]")
    text = _BEARER.sub(r"\1[REDACTED]", text)
    text = _KEY_VALUE.sub(lambda m: m.group(1) + "[REDACTED]", text)
    return _CARD_RUN.sub(_mask_card, text)


class RedactingFilter(logging.Filter):
    """Rewrites each record before any handler formats it, tracebacks included."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def _private_file(path: Path) -> None:
    """Create the log file readable by this user only before the handler opens it."""
    fd = os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
    os.close(fd)


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Every log file it opens is user-only: at start and after each rotation (the stock handler
    would create the new file with the umask's mode, 0o644 on most systems)."""

    def _open(self) -> io.TextIOWrapper:
        _private_file(Path(self.baseFilename))
        return super()._open()


def current_log_file() -> Path | None:
    """Where this process writes its log, for the About box and support calls."""
    for handler in logging.getLogger().handlers:
        if getattr(handler, "_tillcard", False) and isinstance(handler, logging.FileHandler):
            return Path(handler.baseFilename)
    return None


def setup_logging(data_dir: Path, *, verbose: bool = False) -> Path:
    log_dir = data_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    log_path = log_dir / LOG_FILE_NAME
    _private_file(log_path)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_tillcard", False):
            root.removeHandler(handler)
            handler.close()
    file_handler = _PrivateRotatingFileHandler(
        log_path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
    )
    handlers: list[logging.Handler] = [file_handler]
    if verbose and sys.stderr is not None:  # None in the windowed Windows app (no console)
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.addFilter(RedactingFilter())
        handler._tillcard = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for noisy in ("httpx", "httpcore", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return log_path
