"""Where this till's configuration file lives by default, and writing it back from Settings.

The contract is ``--config`` first, then ``POS_APP_CONFIG``, then this default, which the
Settings dialog writes on a till set up from the first-run screen. The file is written so that
a crash or a full disk never leaves half a configuration behind (the till would not start),
and only the user may read it: it names accounts, even though secrets never go in it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import platformdirs
import tomli_w

from pos_app.config import AppConfig, parse_config
from pos_app.data_dir import APP_NAME
from pos_app.problems import ConfigError

CONFIG_FILE_NAME = "tillcard.toml"
HEADER = (
    "# Tillcard configuration, written by Settings (docs/configuration.md).\n"
    "# Secrets are not here: they are in the system keyring or POS_APP_* variables.\n"
)


def default_config_file() -> Path:
    """The per-user config location of the OS, e.g. ``~/.config/Tillcard/tillcard.toml``."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / CONFIG_FILE_NAME


def config_to_toml(config: AppConfig) -> str:
    """The TOML text of ``config``; ``load_config`` reads it back to an equal ``AppConfig``.

    Disabled-and-absent back-ends are left out (absent means disabled); ``None`` values have
    no TOML form and are their defaults anyway. Amounts are written as quoted strings, as the
    documentation asks, so ``50.10`` never turns into a binary fraction.
    """
    data = config.model_dump(mode="json", exclude_none=True)
    # parse_config refuses secrets on reading; refusing them on writing keeps them off disk.
    parse_config(data, source="the new configuration")
    return HEADER + tomli_w.dumps(data)


def write_config(config: AppConfig, path: Path) -> None:
    """Replace ``path`` atomically (temp file in the same folder, then rename), user-only."""
    text = config_to_toml(config)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temp_name = tempfile.mkstemp(prefix=".tillcard-", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise ConfigError(f"Cannot write the configuration to {path}: {exc.strerror}.") from None
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(OSError):  # Windows ignores POSIX modes; its profile is private
            os.chmod(temp, 0o600)
        os.replace(temp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise ConfigError(f"Cannot write the configuration to {path}: {exc.strerror}.") from None
