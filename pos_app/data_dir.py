"""Where the journal, logs and caches live: flag, then environment, then the OS default."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

DATA_DIR_ENV = "POS_APP_DATA_DIR"
APP_NAME = "Tillcard"


class DataDirError(Exception):
    """The data directory cannot be used; the message says what to do."""


def resolve_data_dir(explicit: str | None, *, training: bool = False) -> Path:
    """Training work goes to its own sub-folder so it never mixes with the shop's journal."""
    chosen = explicit or os.environ.get(DATA_DIR_ENV)
    base = Path(chosen).expanduser() if chosen else Path(platformdirs.user_data_dir(APP_NAME))
    return base / "training" if training else base


def ensure_data_dir(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise DataDirError(
            f"Tillcard cannot create its data folder {path}: {exc.strerror}. "
            "Choose another with --data-dir or POS_APP_DATA_DIR."
        ) from None
    if not os.access(path, os.W_OK):
        raise DataDirError(
            f"Tillcard cannot write to its data folder {path}. "
            "Check its permissions or choose another with --data-dir."
        )
    return path
