"""Leal emulator behind the real uvicorn server: faults, parallel tills, reset over HTTP."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from pos_app.sandbox.state import Sandbox

CARD = "/leal/api/v1/accounts/42/customers/9002/customer_cards/556"


def token_headers(sandbox: Sandbox) -> dict[str, str]:
    return {"Authorization": f"Bearer {sandbox.leal.seed_summary()['token']}"}


def leal_ledger(client: httpx.Client) -> list[dict[str, object]]:
    entries = client.get("/_sandbox/ledger").json()["entries"]
    return [e for e in entries if e["api"] == "leal"]


def test_apply_then_drop_stamps_but_the_client_never_hears_back(
    sandbox_http: httpx.Client, sandbox_server: tuple[str, Sandbox]
) -> None:
    _, sandbox = sandbox_server
    auth = token_headers(sandbox)
    fault = sandbox_http.post("/_sandbox/faults", json={"api": "leal", "apply_then_drop_rate": 1.0})
    assert fault.status_code == 200
    assert fault.json()["faults"]["leal"]["apply_then_drop_rate"] == 1.0
    with pytest.raises(httpx.TransportError):
        sandbox_http.post(f"{CARD}/stamp", headers=auth, json={"stamps": 1})
    assert [(e["operation"], e["card"], e["stamps"]) for e in leal_ledger(sandbox_http)] == [
        ("stamp", "556", 1)
    ]
    sandbox_http.post("/_sandbox/faults", json={"api": "leal"})
    card = sandbox_http.get(CARD, headers=auth)
    assert card.status_code == 200
    assert card.json()["stamps_count"] == 10  # 9 seeded + the stamp whose answer was lost


def test_outage_fault_uses_the_leal_error_shape(
    sandbox_http: httpx.Client, sandbox_server: tuple[str, Sandbox]
) -> None:
    _, sandbox = sandbox_server
    sandbox_http.post("/_sandbox/faults", json={"api": "leal", "outage": True})
    response = sandbox_http.post(
        f"{CARD}/stamp", headers=token_headers(sandbox), json={"stamps": 1}
    )
    assert response.status_code == 503
    assert response.json() == {"error": "Service unavailable"}
    assert leal_ledger(sandbox_http) == []


def test_parallel_tills_stamping_one_card_lose_nothing(
    sandbox_http: httpx.Client, sandbox_server: tuple[str, Sandbox]
) -> None:
    url, sandbox = sandbox_server
    auth = token_headers(sandbox)

    def stamp(_: int) -> int:
        with httpx.Client(base_url=url, timeout=10) as till:
            return till.post(f"{CARD}/stamp", headers=auth, json={"stamps": 2}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(stamp, range(24)))
    assert codes == [200] * 24
    assert sandbox_http.get(CARD, headers=auth).json()["stamps_count"] == 9 + 48
    assert len(leal_ledger(sandbox_http)) == 24


def test_rate_limit_over_real_http_and_reset_restores(
    sandbox_http: httpx.Client, sandbox_server: tuple[str, Sandbox]
) -> None:
    _, sandbox = sandbox_server
    auth = token_headers(sandbox)
    sandbox.leal.rate_limiter.limit = 2
    codes = [sandbox_http.get(CARD, headers=auth).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    blocked = sandbox_http.get(CARD, headers=auth)
    assert int(blocked.headers["Retry-After"]) > 0
    refused = sandbox_http.post(f"{CARD}/stamp", headers=auth, json={"stamps": 1})
    assert refused.status_code == 429
    assert leal_ledger(sandbox_http) == []
    assert sandbox_http.post("/_sandbox/reset").status_code == 200
    card = sandbox_http.get(CARD, headers=auth)
    assert card.status_code == 200
    assert card.json()["stamps_count"] == 9
    assert card.headers["RateLimit-Limit"] == "120"
    assert sandbox_http.get("/_sandbox/seed").json()["leal"]["account_id"] == 42
