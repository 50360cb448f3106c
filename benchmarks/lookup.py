"""Lookup of one code across the three emulators over loopback, vs bare httpx.

Prints median and p95 wall time (client side) of Tillcard's lookup service and of a bare
``httpx.AsyncClient`` issuing the same three first requests concurrently. The emulators run in
their own process (``pos-app sandbox``) so they do not share this process's GIL. Target:
Tillcard within 1.5x of bare httpx.

    .venv/bin/python -m benchmarks.lookup [--rounds 200]
"""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx

from benchmarks.figures import report_ms
from benchmarks.served import served_sandbox
from pos_app.providers.factory import build_backends
from pos_app.services.lookup import lookup
from pos_app.training import sandbox_config, sandbox_credentials


async def main(rounds: int) -> None:
    with served_sandbox(seed=0) as (url, seed):
        ld, leal, ctb = seed["loyaltydog"], seed["leal"], seed["clienttoolbox"]
        config = sandbox_config(seed, url)
        credentials = sandbox_credentials(seed)
        code = next(c["cardNumber"] for c in ld["cards"] if c["status"] == "active")
        backends = build_backends(config, credentials)
        for _ in range(10):
            result = await lookup(code, backends)
        assert result.matches, "warm-up lookup found nothing"
        ours: list[float] = []
        for _ in range(rounds):
            started = time.perf_counter()
            await lookup(code, backends)
            ours.append(time.perf_counter() - started)
        await backends.aclose()

        async with httpx.AsyncClient() as bare:
            token = (
                await bare.post(
                    f"{url}/loyaltydog/v2/token",
                    data={"username": ld["username"], "password": ld["password"]},
                )
            ).json()["accessToken"]

            async def three() -> None:
                await asyncio.gather(
                    bare.get(
                        f"{url}/loyaltydog/v2/giftcards/programs/{ld['program_id']}/search",
                        params={"q": code},
                        headers={"Authorization": f"Bearer {token}"},
                    ),
                    bare.get(
                        f"{url}/leal/api/v1/accounts/{leal['account_id']}/customers",
                        params={"search": code, "items": 20, "page": 1},
                        headers={"Authorization": f"Bearer {leal['token']}"},
                    ),
                    bare.post(
                        f"{url}/clienttoolbox/",
                        data={
                            "type": "customer_info",
                            "card_number": code,
                            "user_id": ctb["user_id"],
                            "account_id": ctb["account_id"],
                        },
                        headers={"api_access_key": ctb["api_key"]},
                    ),
                )

            for _ in range(10):
                await three()
            bare_samples: list[float] = []
            for _ in range(rounds):
                started = time.perf_counter()
                await three()
                bare_samples.append(time.perf_counter() - started)
    print(f"lookup of one 16-digit gift card number across 3 emulators, {rounds} rounds")
    mine = report_ms("Tillcard lookup service", ours)
    base = report_ms("bare httpx, same 3 requests", bare_samples)
    print(f"ratio (median): {mine / base:.2f}x   target: <= 1.5x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    asyncio.run(main(parser.parse_args().rounds))
