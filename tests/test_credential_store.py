"""Secrets saved by Settings are what ``Credentials`` and the live clients read, at once.

CI machines have no OS keyring daemon (no Secret Service, no Keychain), so these tests install
``MemoryKeyring``: a real ``keyring`` backend kept in a dict, set with ``keyring.set_keyring``
and put back afterwards. The code under test goes through the ``keyring`` API unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import PasswordDeleteError

from pos_app.credential_store import (
    KeyringUnavailable,
    delete_secret,
    has_secret,
    keyring_available,
    keyring_service,
    save_secret,
)
from pos_app.credentials import ENV_VARS, Credentials, MissingCredential
from pos_app.providers.clienttoolbox import ClientToolboxClient
from pos_app.providers.errors import Unauthorized
from pos_app.providers.loyaltydog import BAD_LOGIN, LoyaltyDogClient
from pos_app.sandbox.state import Sandbox
from pos_app.training import sandbox_config


class MemoryKeyring(KeyringBackend):
    """An in-memory keyring backend: real ``keyring`` calls, no OS daemon needed."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError("no such password")


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    """The test keyring, with the secret variables cleared so the keyring is what answers."""
    for name in ENV_VARS.values():
        monkeypatch.delenv(name, raising=False)
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """keyring's own "fail" backend: what a till without any keyring service gets."""
    for name in ENV_VARS.values():
        monkeypatch.delenv(name, raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


def test_saved_secret_is_what_credentials_read(memory_keyring: MemoryKeyring) -> None:
    save_secret("loyaltydog", "frontdesk@example.com", "s3cret-one")
    assert memory_keyring.entries == {
        ("Tillcard/loyaltydog", "frontdesk@example.com"): "s3cret-one"
    }
    credentials = Credentials()
    assert credentials.get("loyaltydog", "frontdesk@example.com") == "s3cret-one"
    assert has_secret("loyaltydog", "frontdesk@example.com")
    save_secret("loyaltydog", "frontdesk@example.com", "s3cret-two")
    assert credentials.get("loyaltydog", "frontdesk@example.com") == "s3cret-two", (
        "looked up on each use: the same Credentials sees the change"
    )


def test_deleted_secret_is_missing_with_a_way_out(memory_keyring: MemoryKeyring) -> None:
    save_secret("leal", "42", "tok-12345")
    assert delete_secret("leal", "42") is True
    assert delete_secret("leal", "42") is False
    with pytest.raises(MissingCredential, match="POS_APP_LEAL_TOKEN"):
        Credentials().get("leal", "42")


def test_environment_wins_over_the_keyring(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_secret("clienttoolbox", "frontdesk", "from-keyring")
    monkeypatch.setenv("POS_APP_CLIENTTOOLBOX_API_KEY", "from-env")
    assert Credentials().get("clienttoolbox", "frontdesk") == "from-env"


def test_no_keyring_names_the_environment_variable(no_keyring: None) -> None:
    assert not keyring_available()
    assert not has_secret("leal", "42")
    with pytest.raises(KeyringUnavailable) as refused:
        save_secret("leal", "42", "tok-12345")
    message = str(refused.value)
    assert "no system keyring" in message
    assert "POS_APP_LEAL_TOKEN" in message
    with pytest.raises(KeyringUnavailable, match="POS_APP_LOYALTYDOG_PASSWORD"):
        delete_secret("loyaltydog", "someone")


def test_keyring_service_is_the_one_credentials_reads() -> None:
    assert keyring_service("clienttoolbox") == "Tillcard/clienttoolbox"


def _loyaltydog(url: str, seed: dict[str, Any]) -> LoyaltyDogClient:
    config = sandbox_config(seed, url)
    assert config.loyaltydog is not None
    return LoyaltyDogClient(config.loyaltydog, Credentials())


async def test_new_password_applies_to_a_running_client(
    memory_keyring: MemoryKeyring, sandbox_server: tuple[str, Sandbox]
) -> None:
    """A client built before the change (as the till's are) logs in with the new password."""
    url, sandbox = sandbox_server
    seed = sandbox.seed_summary()
    username = seed["loyaltydog"]["username"]
    save_secret("loyaltydog", username, "not-the-password")
    client = _loyaltydog(url, seed)
    try:
        with pytest.raises(Unauthorized, match=BAD_LOGIN):
            await client.check()
        save_secret("loyaltydog", username, seed["loyaltydog"]["password"])
        await client.check()
    finally:
        await client.aclose()


async def test_rotated_password_after_401_logs_in_with_the_new_one(
    memory_keyring: MemoryKeyring, sandbox_server: tuple[str, Sandbox]
) -> None:
    """LoyaltyDog keeps its bearer token in memory; when the account's password is changed
    and the old token dies, the 401 leads to a fresh login that reads the new password."""
    url, sandbox = sandbox_server
    seed = sandbox.seed_summary()
    username = seed["loyaltydog"]["username"]
    number = seed["loyaltydog"]["cards"][0]["cardNumber"]
    save_secret("loyaltydog", username, seed["loyaltydog"]["password"])
    client = _loyaltydog(url, seed)
    try:
        assert await client.find_cards(number)  # logged in; the token is cached
        sandbox.loyaltydog.password = "rotated-Pa55word"
        sandbox.loyaltydog.expire_tokens()
        save_secret("loyaltydog", username, "rotated-Pa55word")
        assert await client.find_cards(number), "the 401 led to a login with the new password"
    finally:
        await client.aclose()


async def test_new_api_key_applies_to_a_running_clienttoolbox_client(
    memory_keyring: MemoryKeyring, sandbox_server: tuple[str, Sandbox]
) -> None:
    url, sandbox = sandbox_server
    seed = sandbox.seed_summary()
    config = sandbox_config(seed, url).clienttoolbox
    assert config is not None
    save_secret("clienttoolbox", config.user_id, "wrong-key-123")
    client = ClientToolboxClient(config, Credentials())
    try:
        with pytest.raises(Unauthorized):
            await client.check()
        save_secret("clienttoolbox", config.user_id, seed["clienttoolbox"]["api_key"])
        await client.check()
    finally:
        await client.aclose()
