"""Random input at the Leal emulator: it may refuse, but never with a 5xx or a non-Leal body."""

from __future__ import annotations

import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pos_app.sandbox.state import Sandbox

API = "/leal/api/v1/accounts/42"
CARD = f"{API}/customers/9005/customer_cards/559"

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
interesting_scalars = st.sampled_from(
    [0, -1, 1, "1", " 2 ", "x", "", None, True, False, 1.0, 2.5, "1e3", "0x10", 10**40, "٣", "17"]
)
field_values = interesting_scalars | json_values
bodies = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "stamps": field_values,
            "reward_id": field_values,
            "skip_notifications": field_values,
        },
    ),
    json_values,
)
path_ids = st.one_of(
    st.sampled_from(["9005", "559", "0", "-1", "1e3", "%20", "99999999999999999999999"]),
    st.text(alphabet="0123456789abcxyz-_.~", min_size=1, max_size=25),
)


def assert_leal_error_shape(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    assert "RateLimit-Remaining" in response.headers
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body, dict)
        assert "detail" not in body
        assert isinstance(body.get("error"), str)
        if "errors" in body:
            assert isinstance(body["errors"], dict)
            assert all(isinstance(m, str) for ms in body["errors"].values() for m in ms)


def test_random_bodies_never_break_stamp_or_redeem(
    asgi_client: httpx.Client, sandbox: Sandbox
) -> None:
    sandbox.leal.rate_limiter.limit = 10**9
    auth = {"Authorization": f"Bearer {sandbox.leal.seed_summary()['token']}"}
    statuses: set[int] = set()

    @settings(
        max_examples=250,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(action=st.sampled_from(["stamp", "redeem"]), body=bodies)
    def run(action: str, body: Any) -> None:
        card = sandbox.leal.customer_cards[559]
        before = card.stamps_count
        entries = len(sandbox.ledger.entries())
        response = asgi_client.post(f"{CARD}/{action}", headers=auth, json=body)
        assert_leal_error_shape(response)
        statuses.add(response.status_code)
        applied = len(sandbox.ledger.entries()) - entries
        if response.status_code == 200:
            assert applied == 1
            expected = response.json()
            after = expected["stamps_count"] if action == "stamp" else None
            if action == "redeem":
                after = expected["redemption"]["stamps_remaining"]
            assert card.stamps_count == after
        else:
            assert applied == 0
            assert card.stamps_count == before

    run()
    assert 422 in statuses


def test_random_raw_bytes_never_break_stamp(asgi_client: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.leal.rate_limiter.limit = 10**9
    auth = {"Authorization": f"Bearer {sandbox.leal.seed_summary()['token']}"}

    @settings(max_examples=120, deadline=None, database=None)
    @given(
        raw=st.binary(max_size=64) | st.text(max_size=64).map(str.encode),
        content_type=st.sampled_from(
            ["application/json", "application/x-www-form-urlencoded", "text/plain", "", "a/b+json"]
        ),
    )
    def run(raw: bytes, content_type: str) -> None:
        response = asgi_client.post(
            f"{CARD}/stamp", headers={**auth, "Content-Type": content_type}, content=raw
        )
        assert_leal_error_shape(response)

    run()
    # and a well-formed body still works afterwards
    ok = asgi_client.post(f"{CARD}/stamp", headers=auth, content=json.dumps({"stamps": 1}))
    assert ok.status_code == 422  # no JSON content type: Rails would not parse the body
    ok = asgi_client.post(f"{CARD}/stamp", headers=auth, json={"stamps": 1})
    assert ok.status_code == 200


def test_random_queries_and_ids_never_break_lookups(
    asgi_client: httpx.Client, sandbox: Sandbox
) -> None:
    sandbox.leal.rate_limiter.limit = 10**9
    auth = {"Authorization": f"Bearer {sandbox.leal.seed_summary()['token']}"}
    text = st.text(max_size=30)

    @settings(max_examples=250, deadline=None, database=None)
    @given(
        params=st.dictionaries(
            st.sampled_from(
                ["search", "page", "items", "source", "external_id", "card_id", "active", "scope"]
            ),
            text | st.integers(-5, 10**20).map(str),
            max_size=5,
        ),
        first=path_ids,
        second=path_ids,
        third=path_ids,
        which=st.integers(0, 5),
    )
    def run(params: dict[str, str], first: str, second: str, third: str, which: int) -> None:
        paths = [
            f"{API}/customers",
            f"{API}/rewards",
            f"{API}/cards",
            f"/leal/api/v1/accounts/{first}/customers/{second}",
            f"{API}/customers/{first}/customer_cards/{second}",
            f"{API}/customers/{first}/customer_cards/{second}/redeem?reward_id={third}",
        ]
        path = paths[which]
        if which == 5:
            response = asgi_client.post(path, headers=auth)
        else:
            response = asgi_client.get(path, params=params, headers=auth)
        assert_leal_error_shape(response)
        if which == 0 and response.status_code == 200:
            pagination = response.json()["pagination"]
            assert 1 <= pagination["items"] <= 100
            assert len(response.json()["customers"]) <= pagination["items"]

    run()
