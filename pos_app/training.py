"""Training mode: the whole product against in-process emulators, with no accounts needed."""

from __future__ import annotations

import httpx

from pos_app.config import AppConfig, parse_config
from pos_app.credentials import Credentials
from pos_app.sandbox.inprocess import TRAINING_ORIGIN, InProcessTransport
from pos_app.sandbox.state import Sandbox


class TrainingWorld:
    """One seeded sandbox per run; configuration and secrets come from its public seed."""

    def __init__(self, seed: int = 0) -> None:
        self.sandbox = Sandbox(seed)
        self.seed = self.sandbox.seed_summary()

    def config(self) -> AppConfig:
        ld, leal, ctb = self.seed["loyaltydog"], self.seed["leal"], self.seed["clienttoolbox"]
        return parse_config(
            {
                "terminal": {"id": "training-till", "currency": "USD", "shop_name": "Training"},
                "loyaltydog": {
                    "base_url": f"{TRAINING_ORIGIN}/loyaltydog",
                    "program_id": ld["program_id"],
                    "username": ld["username"],
                },
                "leal": {"base_url": f"{TRAINING_ORIGIN}/leal", "account_id": leal["account_id"]},
                "clienttoolbox": {
                    "base_url": f"{TRAINING_ORIGIN}/clienttoolbox",
                    "account_id": ctb["account_id"],
                    "user_id": ctb["user_id"],
                    "campaign_ids": [c["campaign_id"] for c in ctb["campaigns"]],
                },
            },
            source="the training configuration",
        )

    def credentials(self) -> Credentials:
        return Credentials(
            {
                "loyaltydog": self.seed["loyaltydog"]["password"],
                "leal": self.seed["leal"]["token"],
                "clienttoolbox": self.seed["clienttoolbox"]["api_key"],
            }
        )

    def http_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=InProcessTransport(self.sandbox), base_url=TRAINING_ORIGIN, timeout=10
        )
