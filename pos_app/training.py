"""Training mode: the whole product against in-process emulators, with no accounts needed."""

from __future__ import annotations

from typing import Any

from pos_app.config import AppConfig, parse_config
from pos_app.credentials import Credentials
from pos_app.sandbox import TRAINING_TERMINAL
from pos_app.sandbox.inprocess import TRAINING_ORIGIN
from pos_app.sandbox.state import Sandbox


def sandbox_config(
    seed: dict[str, Any], origin: str, *, terminal_id: str = "till-1", currency: str = "USD"
) -> AppConfig:
    """A configuration for the emulators at ``origin`` (in-process or ``pos-app sandbox``)."""
    ld, leal, ctb = seed["loyaltydog"], seed["leal"], seed["clienttoolbox"]
    return parse_config(
        {
            "terminal": {"id": terminal_id, "currency": currency, "shop_name": "Training"},
            "loyaltydog": {
                "base_url": f"{origin}/loyaltydog",
                "program_id": ld["program_id"],
                "username": ld["username"],
            },
            "leal": {"base_url": f"{origin}/leal", "account_id": leal["account_id"]},
            "clienttoolbox": {
                "base_url": f"{origin}/clienttoolbox",
                "account_id": ctb["account_id"],
                "user_id": ctb["user_id"],
                "campaign_ids": [c["campaign_id"] for c in ctb["campaigns"]],
            },
        },
        source="the sandbox configuration",
    )


def sandbox_credentials(seed: dict[str, Any]) -> Credentials:
    """The emulators' public test secrets, as if they came from the keyring."""
    return Credentials(
        {
            "loyaltydog": seed["loyaltydog"]["password"],
            "leal": seed["leal"]["token"],
            "clienttoolbox": seed["clienttoolbox"]["api_key"],
        }
    )


class TrainingWorld:
    """One seeded sandbox per run; configuration and secrets come from its public seed."""

    def __init__(self, seed: int = 0) -> None:
        self.sandbox = Sandbox(seed)
        self.seed = self.sandbox.seed_summary()

    def config(self) -> AppConfig:
        return sandbox_config(self.seed, TRAINING_ORIGIN, terminal_id=TRAINING_TERMINAL)

    def credentials(self) -> Credentials:
        return sandbox_credentials(self.seed)
