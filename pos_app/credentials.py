"""Back-end secrets: from the environment (headless, CI) or the OS keyring, never from files."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Literal

from pos_app.logs import register_secret

Backend = Literal["loyaltydog", "leal", "clienttoolbox"]
KEYRING_SERVICE = "Tillcard"
ENV_VARS: Mapping[Backend, str] = {
    "loyaltydog": "POS_APP_LOYALTYDOG_PASSWORD",
    "leal": "POS_APP_LEAL_TOKEN",
    "clienttoolbox": "POS_APP_CLIENTTOOLBOX_API_KEY",
}
log = logging.getLogger(__name__)


class MissingCredential(Exception):
    """No secret for a back-end; the message tells the store owner where to put it."""


class Credentials:
    """Looks a secret up each time it is needed, so a changed password applies at once."""

    def __init__(self, fixed: Mapping[Backend, str] | None = None) -> None:
        self._fixed = dict(fixed or {})
        for value in self._fixed.values():
            register_secret(value)

    def get(self, backend: Backend, account: str) -> str:
        value = self._fixed.get(backend) or os.environ.get(ENV_VARS[backend])
        if not value:
            value = self._from_keyring(backend, account)
        if not value:
            raise MissingCredential(
                f"No {backend} secret is stored for {account!r}. Add it in Settings "
                f"(saved in the system keyring) or set {ENV_VARS[backend]}."
            )
        register_secret(value)
        return value

    @staticmethod
    def _from_keyring(backend: Backend, account: str) -> str | None:
        try:
            import keyring
            from keyring.errors import KeyringError

            try:
                return keyring.get_password(f"{KEYRING_SERVICE}/{backend}", account)
            except KeyringError as exc:
                log.warning("the system keyring is not usable: %s", exc)
                return None
        except Exception as exc:  # a broken keyring backend must not stop the till
            log.warning("the system keyring could not be read: %s", type(exc).__name__)
            return None
