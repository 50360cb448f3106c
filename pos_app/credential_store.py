"""Saving and removing back-end secrets in the OS keyring, where ``Credentials`` reads them.

Settings writes here; nothing else does. A till without a keyring (a headless Linux box with no
Secret Service, a locked-down Windows image) gets one clear sentence naming the environment
variable to use instead, never a traceback: the secret can still reach the app that way.
"""

from __future__ import annotations

import logging
from typing import Final

from pos_app.credentials import ENV_VARS, KEYRING_SERVICE, Backend
from pos_app.logs import register_secret

log = logging.getLogger(__name__)

LABELS: Final[dict[Backend, str]] = {
    "loyaltydog": "LoyaltyDog password",
    "leal": "Leal API token",
    "clienttoolbox": "ClientToolbox API key",
}


class KeyringUnavailable(Exception):
    """No usable keyring on this machine; the message says which variable to set instead."""


def keyring_service(backend: Backend) -> str:
    """The keyring service name ``Credentials`` looks a back-end's secret up under."""
    return f"{KEYRING_SERVICE}/{backend}"


def no_keyring_message(backend: Backend) -> str:
    return (
        f"This computer has no system keyring to keep the {LABELS[backend]} in. Set the "
        f"environment variable {ENV_VARS[backend]} for Tillcard instead "
        "(see docs/configuration.md)."
    )


def keyring_available() -> bool:
    """False when keyring fell back to its "fail" backend (no Secret Service, no Keychain…)."""
    try:
        import keyring
        from keyring.backends import fail

        return not isinstance(keyring.get_keyring(), fail.Keyring)
    except Exception:  # an unimportable or broken backend is as good as none
        return False


def save_secret(backend: Backend, account: str, secret: str) -> None:
    """Store ``secret`` for ``account`` (the username, account id or user id of the config).

    Raises ``KeyringUnavailable`` with the environment-variable route when it cannot.
    """
    import keyring
    from keyring.errors import KeyringError, NoKeyringError

    register_secret(secret)
    if not keyring_available():
        raise KeyringUnavailable(no_keyring_message(backend))
    try:
        keyring.set_password(keyring_service(backend), account, secret)
    except NoKeyringError:
        raise KeyringUnavailable(no_keyring_message(backend)) from None
    except KeyringError as exc:
        log.info("the keyring refused to store the %s secret: %s", backend, type(exc).__name__)
        raise KeyringUnavailable(
            f"The system keyring did not accept the {LABELS[backend]} ({exc}). "
            f"Unlock it and try again, or set {ENV_VARS[backend]} instead."
        ) from None
    log.info("saved the %s secret for %r in the system keyring", backend, account)


def delete_secret(backend: Backend, account: str) -> bool:
    """Remove a stored secret (e.g. the account changed); False if there was none."""
    import keyring
    from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError

    if not keyring_available():
        raise KeyringUnavailable(no_keyring_message(backend))
    try:
        keyring.delete_password(keyring_service(backend), account)
    except PasswordDeleteError:
        return False
    except NoKeyringError:
        raise KeyringUnavailable(no_keyring_message(backend)) from None
    except KeyringError as exc:
        raise KeyringUnavailable(
            f"The system keyring did not remove the {LABELS[backend]} ({exc})."
        ) from None
    return True


def has_secret(backend: Backend, account: str) -> bool:
    """Whether the keyring holds a secret for this account (Settings shows "stored")."""
    if not account or not keyring_available():
        return False
    try:
        import keyring

        return bool(keyring.get_password(keyring_service(backend), account))
    except Exception:  # a locked keyring is not a reason to fail opening Settings
        return False
