"""Leal emulator over the in-process sandbox app: auth, look-ups, stamping, redeeming, errors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pos_app.sandbox.state import Sandbox

API = "/leal/api/v1"
STORE = f"{API}/accounts/42"


@pytest.fixture
def summary(sandbox: Sandbox) -> dict[str, Any]:
    return sandbox.leal.seed_summary()


@pytest.fixture
def auth(summary: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {summary['token']}"}


def customer(summary: dict[str, Any], customer_id: int) -> dict[str, Any]:
    return next(c for c in summary["customers"] if c["id"] == customer_id)


def card_path(customer_id: int, card_id: int) -> str:
    return f"{STORE}/customers/{customer_id}/customer_cards/{card_id}"


def leal_entries(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [e.as_json() for e in sandbox.ledger.entries() if e.api == "leal"]


def search(client: httpx.Client, auth: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get(f"{STORE}/customers", params=params, headers=auth)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ids(body: dict[str, Any]) -> list[int]:
    return [c["id"] for c in body["customers"]]


# --------------------------------------------------------------------- auth and stores


def test_status_is_open_and_reports_the_live_rate_limit(
    asgi_client: httpx.Client, sandbox: Sandbox
) -> None:
    sandbox.leal.rate_limiter.limit = 7
    response = asgi_client.get(f"{API}/status")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["api_version"] == "v1"
    assert body["rate_limit"] == {"limit": 7, "scope": "token", "window_seconds": 60}
    assert body["versioning"]["current"] == "v1"
    assert body["versioning"]["supported"] == ["v1"]


BAD_AUTH = [
    {},
    {"Authorization": "Bearer nope"},
    {"Authorization": "Bearer "},
    {"Authorization": "x"},
]


def test_missing_or_wrong_token_is_401(asgi_client: httpx.Client) -> None:
    for headers in BAD_AUTH:
        for path in (f"{API}/accounts", f"{STORE}/customers", card_path(9001, 555) + "/stamp"):
            response = asgi_client.request(
                "POST" if path.endswith("stamp") else "GET",
                path,
                headers=headers,
                json={"stamps": 1},
            )
            assert response.status_code == 401, (headers, path)
            assert response.json() == {"error": "Unauthorized"}
            assert response.headers["WWW-Authenticate"] == 'Bearer realm="Leal"'


def test_wrong_token_cannot_stamp(asgi_client: httpx.Client, sandbox: Sandbox) -> None:
    response = asgi_client.post(
        card_path(9001, 555) + "/stamp",
        headers={"Authorization": "Bearer leal_sbx_guess"},
        json={"stamps": 1},
    )
    assert response.status_code == 401
    assert sandbox.leal.customer_cards[555].stamps_count == 7
    assert leal_entries(sandbox) == []


def test_accounts_list_and_show(asgi_client: httpx.Client, auth: dict[str, str]) -> None:
    stores = asgi_client.get(f"{API}/accounts", headers=auth).json()
    assert [s["id"] for s in stores] == [42]
    store = asgi_client.get(STORE, headers=auth).json()
    assert store["display_store_name"] == "Corner Café & Cuts"
    assert store["customers_count"] == 16
    assert store["cards_count"] == 3


def test_unknown_foreign_or_malformed_store_is_404(
    asgi_client: httpx.Client, auth: dict[str, str]
) -> None:
    for account in ("77", "43", "abc", "-1", "4.2", "0042x", "٤٢"):
        for suffix in ("", "/cards", "/customers", "/rewards", "/customers/9001"):
            response = asgi_client.get(f"{API}/accounts/{account}{suffix}", headers=auth)
            assert response.status_code == 404, (account, suffix)
            assert response.json() == {"error": "Store not found"}


def test_foreign_store_customer_cannot_be_stamped(
    asgi_client: httpx.Client, auth: dict[str, str], sandbox: Sandbox
) -> None:
    response = asgi_client.post(
        f"{API}/accounts/77/customers/9901/customer_cards/99001/stamp",
        headers=auth,
        json={"stamps": 1},
    )
    assert response.status_code == 404
    assert sandbox.leal.customer_cards[99001].stamps_count == 8
    # and the foreign customer is not reachable through our store either
    response = asgi_client.get(f"{STORE}/customers/9901", headers=auth)
    assert response.json() == {"error": "Customer not found"}


# --------------------------------------------------------------------- cards, rewards, locations


def test_cards_default_hides_archived_templates(
    asgi_client: httpx.Client, auth: dict[str, str]
) -> None:
    def names(scope: str | None) -> list[str]:
        params = {"scope": scope} if scope else {}
        cards = asgi_client.get(f"{STORE}/cards", params=params, headers=auth).json()
        return [c["name"] for c in cards]

    assert names(None) == ["Coffee Card", "Haircut Card"]
    assert names("archived") == ["Smoothie Card"]
    assert names("all") == ["Coffee Card", "Haircut Card", "Smoothie Card"]
    coffee = asgi_client.get(f"{STORE}/cards/3", headers=auth).json()
    assert coffee["stamps_required"] == 10
    assert coffee["archived_at"] is None
    assert coffee["rewards_count"] == 4
    assert asgi_client.get(f"{STORE}/cards/90", headers=auth).json() == {"error": "Card not found"}


def test_rewards_filters(asgi_client: httpx.Client, auth: dict[str, str]) -> None:
    def reward_ids(**params: str) -> list[int]:
        rewards = asgi_client.get(f"{STORE}/rewards", params=params, headers=auth).json()
        return [r["id"] for r in rewards]

    assert reward_ids() == [18, 19, 17, 20, 21, 22, 23]
    assert reward_ids(card_id="3") == [18, 19, 17, 20]
    assert reward_ids(card_id="3", active="1") == [18, 19, 17]
    assert reward_ids(card_id="3", active="false") == [18, 19, 17]  # G18: present → active only
    assert reward_ids(card_id="x") == []
    reward = asgi_client.get(f"{STORE}/rewards/20", headers=auth).json()
    assert reward["active"] is False
    assert reward["stamps_required"] == 4
    foreign = asgi_client.get(f"{STORE}/rewards/901", headers=auth)
    assert foreign.status_code == 404
    assert foreign.json() == {"error": "Reward not found"}


def test_locations(asgi_client: httpx.Client, auth: dict[str, str]) -> None:
    locations = asgi_client.get(f"{STORE}/locations", headers=auth).json()
    assert [loc["name"] for loc in locations] == ["High Street", "Station Kiosk"]
    assert locations[1]["latitude"] is None
    assert asgi_client.get(f"{STORE}/locations/31", headers=auth).json()["latitude"] == 51.4545


# --------------------------------------------------------------------- search and paging


def test_search_by_every_card_code_finds_exactly_its_customer(
    asgi_client: httpx.Client, auth: dict[str, str], summary: dict[str, Any]
) -> None:
    seen = 0
    for person in summary["customers"]:
        for card in person["customer_cards"]:
            assert len(card["card_code"]) == 8
            assert ids(search(asgi_client, auth, search=card["card_code"])) == [person["id"]]
            seen += 1
    assert seen == 17


def test_card_code_matches_exactly_not_by_prefix(
    asgi_client: httpx.Client, auth: dict[str, str], summary: dict[str, Any]
) -> None:
    code = customer(summary, 9002)["card_code"]
    assert ids(search(asgi_client, auth, search=code.lower())) == [9002]
    assert ids(search(asgi_client, auth, search=f"  {code} ")) == [9002]
    assert 9002 not in ids(search(asgi_client, auth, search=code[:7]))
    assert 9002 not in ids(search(asgi_client, auth, search=code + "X"))


def test_search_by_customer_card_uuid(
    asgi_client: httpx.Client, auth: dict[str, str], summary: dict[str, Any]
) -> None:
    second = customer(summary, 9006)["customer_cards"][1]
    assert ids(search(asgi_client, auth, search=second["uuid"])) == [9006]
    assert ids(search(asgi_client, auth, search=second["uuid"].upper())) == [9006]
    assert ids(search(asgi_client, auth, search=second["uuid"][:-1])) == []


def test_search_by_phone_digits(
    asgi_client: httpx.Client, auth: dict[str, str], summary: dict[str, Any]
) -> None:
    phone_only = customer(summary, 9007)
    assert phone_only["email"] is None
    phone = phone_only["phone"]
    local = phone[-6:]
    for typed in (phone, f"+44 7700 {local}", f"(7700) {local[:3]}-{local[3:]}"):
        assert ids(search(asgi_client, auth, search=typed)) == [9007], typed
    everyone_with_phone = [c["id"] for c in summary["customers"] if c["phone"]]
    assert ids(search(asgi_client, auth, search="+44 7700 900", items=100)) == everyone_with_phone


def test_search_by_email_is_case_insensitive_substring(
    asgi_client: httpx.Client, auth: dict[str, str], summary: dict[str, Any]
) -> None:
    email_only = customer(summary, 9008)
    assert email_only["phone"] is None
    email = email_only["email"]
    assert ids(search(asgi_client, auth, search=email.upper())) == [9008]
    assert ids(search(asgi_client, auth, search=email.split("@")[0])) == [9008]
    with_email = [c["id"] for c in summary["customers"] if c["email"]]
    assert ids(search(asgi_client, auth, search="@EXAMPLE.com", items=100)) == with_email


def test_search_by_name_partial_and_full(
    asgi_client: httpx.Client, auth: dict[str, str], summary: dict[str, Any]
) -> None:
    person = customer(summary, 9004)
    first, last = person["name"].split(" ")
    assert ids(search(asgi_client, auth, search=person["name"].upper())) == [9004]
    assert 9004 in ids(search(asgi_client, auth, search=first.lower(), items=100))
    fragment = last[1:4].lower()
    expected = [
        c["id"]
        for c in summary["customers"]
        if fragment in c["name"].lower() or fragment in (c["email"] or "")
    ]
    assert 9004 in expected
    assert ids(search(asgi_client, auth, search=fragment, items=100)) == expected
    assert ids(search(asgi_client, auth, search="zzqx-nobody")) == []


def test_search_by_external_id_and_source_lookup(
    asgi_client: httpx.Client, auth: dict[str, str], summary: dict[str, Any]
) -> None:
    ref = customer(summary, 9011)["external_references"][0]
    assert ref["source"] == "square"
    assert ids(search(asgi_client, auth, search=ref["external_id"])) == [9011]
    assert ids(search(asgi_client, auth, search=ref["external_id"][:-1])) == []
    exact = search(asgi_client, auth, source="square", external_id=ref["external_id"])
    assert ids(exact) == [9011]
    assert ids(search(asgi_client, auth, source="shopify", external_id=ref["external_id"])) == []
    # G4: source+external_id win over search
    both = search(
        asgi_client, auth, source="tillcard", external_id="TC-1001", search=ref["external_id"]
    )
    assert ids(both) == [9001]


def test_paging_defaults_caps_and_past_the_end(
    asgi_client: httpx.Client, auth: dict[str, str]
) -> None:
    everyone = search(asgi_client, auth)
    assert everyone["pagination"] == {"count": 16, "items": 20, "page": 1, "pages": 1}
    assert ids(everyone) == list(range(9001, 9017))
    pages = [search(asgi_client, auth, items=5, page=n) for n in (1, 2, 3, 4)]
    assert [ids(p) for p in pages] == [
        list(range(9001, 9006)),
        list(range(9006, 9011)),
        list(range(9011, 9016)),
        [9016],
    ]
    assert pages[3]["pagination"] == {"count": 16, "items": 5, "page": 4, "pages": 4}
    past = search(asgi_client, auth, items=5, page=9)
    assert past == {"customers": [], "pagination": {"count": 16, "items": 5, "page": 9, "pages": 4}}
    assert search(asgi_client, auth, items=500)["pagination"]["items"] == 100
    none = search(asgi_client, auth, search="zzqx-nobody")
    assert none["pagination"] == {"count": 0, "items": 20, "page": 1, "pages": 1}


def test_bad_paging_params_are_422(asgi_client: httpx.Client, auth: dict[str, str]) -> None:
    for name, value in (("page", "0"), ("page", "x"), ("items", "0"), ("items", "-3")):
        response = asgi_client.get(f"{STORE}/customers", params={name: value}, headers=auth)
        assert response.status_code == 422, (name, value)
        assert response.json() == {
            "error": "Invalid pagination",
            "errors": {name: ["must be an integer greater than 0"]},
        }


# --------------------------------------------------------------------- customers and cards


def test_customer_show_embeds_card_summaries(
    asgi_client: httpx.Client, auth: dict[str, str], summary: dict[str, Any]
) -> None:
    body = asgi_client.get(f"{STORE}/customers/9006", headers=auth).json()
    assert body["id"] == 9006
    assert body["account_id"] == 42
    assert body["stamp_count"] == 9
    assert [(c["id"], c["card_name"], c["stamps_count"]) for c in body["customer_cards"]] == [
        (560, "Coffee Card", 4),
        (561, "Haircut Card", 5),
    ]
    card = body["customer_cards"][1]
    assert card["stamps_remaining"] == 1
    assert card["progress_percentage"] == pytest.approx(83.3)
    assert card["uuid"] == customer(summary, 9006)["customer_cards"][1]["uuid"]
    assert card["created_at"].endswith("Z")
    assert "code" not in card
    assert "card_code" not in card
    assert "available_rewards" not in card
    email_only = asgi_client.get(f"{STORE}/customers/9008", headers=auth).json()
    assert email_only["phone"] is None
    assert email_only["last_name"] is None
    assert asgi_client.get(f"{STORE}/customers/123", headers=auth).json() == {
        "error": "Customer not found"
    }


def test_customer_cards_list_is_a_bare_array(
    asgi_client: httpx.Client, auth: dict[str, str]
) -> None:
    cards = asgi_client.get(f"{STORE}/customers/9006/customer_cards", headers=auth).json()
    assert isinstance(cards, list)
    assert [c["card_id"] for c in cards] == [3, 4]


@pytest.mark.parametrize(
    ("customer_id", "card_id", "expected"),
    [
        (9005, 559, [18, 19, 17]),  # 13 stamps: everything active on coffee, by position
        (9002, 556, [18, 19]),  # 9 stamps
        (9001, 555, [18]),  # 7 stamps; the inactive 4-stamp muffin never shows
        (9003, 557, []),  # fresh card
        (9009, 564, [21, 22]),  # haircut card full
    ],
)
def test_customer_card_show_lists_redeemable_rewards(
    asgi_client: httpx.Client,
    auth: dict[str, str],
    customer_id: int,
    card_id: int,
    expected: list[int],
) -> None:
    body = asgi_client.get(card_path(customer_id, card_id), headers=auth).json()
    assert body["customer_id"] == customer_id
    assert body["account_id"] == 42
    assert [r["id"] for r in body["available_rewards"]] == expected
    for reward in body["available_rewards"]:
        assert reward == asgi_client.get(f"{STORE}/rewards/{reward['id']}", headers=auth).json()


def test_customer_card_of_another_customer_is_404(
    asgi_client: httpx.Client, auth: dict[str, str]
) -> None:
    response = asgi_client.get(card_path(9001, 556), headers=auth)
    assert response.status_code == 404
    assert response.json() == {"error": "Customer card not found"}
    response = asgi_client.post(card_path(9001, 556) + "/stamp", headers=auth, json={"stamps": 1})
    assert response.status_code == 404


def test_enrolling_on_another_card_has_no_endpoint(
    asgi_client: httpx.Client, auth: dict[str, str], sandbox: Sandbox
) -> None:
    response = asgi_client.post(
        f"{STORE}/customers/9001/customer_cards", headers=auth, json={"card_id": 4}
    )
    assert response.status_code == 404
    assert response.json() == {"error": "Not found"}
    assert sandbox.leal.customers[9001].card_ids == [555]


# --------------------------------------------------------------------- stamping


def test_stamp_adds_stamps_and_records_the_ledger(
    asgi_client: httpx.Client, auth: dict[str, str], sandbox: Sandbox
) -> None:
    before = asgi_client.get(card_path(9002, 556), headers=auth).json()
    response = asgi_client.post(card_path(9002, 556) + "/stamp", headers=auth, json={"stamps": 1})
    assert response.status_code == 200
    body = response.json()
    assert body["stamps_count"] == 10
    assert body["stamps_remaining"] == 0
    assert body["progress_percentage"] == 100.0
    assert [r["id"] for r in body["available_rewards"]] == [18, 19, 17]
    assert body["updated_at"] > before["updated_at"]
    entries = leal_entries(sandbox)
    assert [(e["operation"], e["card"], e["stamps"]) for e in entries] == [("stamp", "556", 1)]
    assert asgi_client.get(card_path(9002, 556), headers=auth).json()["stamps_count"] == 10


def test_stamp_is_not_idempotent(
    asgi_client: httpx.Client, auth: dict[str, str], sandbox: Sandbox
) -> None:
    for _ in range(2):
        response = asgi_client.post(
            card_path(9003, 557) + "/stamp", headers=auth, json={"stamps": 3}
        )
        assert response.status_code == 200
    assert sandbox.leal.customer_cards[557].stamps_count == 6
    assert [(e["card"], e["stamps"]) for e in leal_entries(sandbox)] == [("557", 3), ("557", 3)]


def test_stamp_may_overfill_a_card(asgi_client: httpx.Client, auth: dict[str, str]) -> None:
    body = asgi_client.post(
        card_path(9004, 558) + "/stamp", headers=auth, json={"stamps": 4}
    ).json()
    assert body["stamps_count"] == 14
    assert body["stamps_remaining"] == 0
    assert body["progress_percentage"] == 100.0


INVALID_STAMPS: list[tuple[dict[str, Any], str]] = [
    ({"stamps": 0}, "must be greater than 0"),
    ({"stamps": -1}, "must be greater than 0"),
    ({"stamps": "-4"}, "must be greater than 0"),
    ({"stamps": "x"}, "is not a number"),
    ({"stamps": True}, "is not a number"),
    ({"stamps": [1]}, "is not a number"),
    ({"stamps": 1.5}, "must be an integer"),
    ({"stamps": None}, "can't be blank"),
    ({"stamps": ""}, "can't be blank"),
    ({}, "can't be blank"),
    ({"stamp": 1}, "can't be blank"),
]


def test_invalid_stamps_are_422_in_leal_shape(
    asgi_client: httpx.Client, auth: dict[str, str], sandbox: Sandbox
) -> None:
    for body, message in INVALID_STAMPS:
        response = asgi_client.post(card_path(9001, 555) + "/stamp", headers=auth, json=body)
        assert response.status_code == 422, body
        assert response.json() == {"error": "Validation failed", "errors": {"stamps": [message]}}
    assert sandbox.leal.customer_cards[555].stamps_count == 7
    assert leal_entries(sandbox) == []


def test_skip_notifications_accepts_documented_booleans(
    asgi_client: httpx.Client, auth: dict[str, str], sandbox: Sandbox
) -> None:
    flags: list[tuple[Any, bool]] = [
        (True, True), (False, False), (1, True), (0, False), ("true", True), ("0", False)
    ]  # fmt: skip
    for n, (flag, _) in enumerate(flags, start=1):
        response = asgi_client.post(
            card_path(9001, 555) + "/stamp",
            headers=auth,
            json={"stamps": "2", "skip_notifications": flag},
        )
        assert response.status_code == 200, flag
        assert response.json()["stamps_count"] == 7 + 2 * n
    assert [(e.stamps, e.skip_notifications) for e in sandbox.leal.stamp_events] == [
        (2, skipped) for _, skipped in flags
    ]


def test_skip_notifications_rejects_other_words(
    asgi_client: httpx.Client, auth: dict[str, str]
) -> None:
    response = asgi_client.post(
        card_path(9001, 555) + "/stamp",
        headers=auth,
        json={"stamps": 1, "skip_notifications": "yes"},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "skip_notifications": ["must be one of: true, false, 1, 0"]
    }


def test_stamps_may_come_from_the_query_string_like_rails_params(
    asgi_client: httpx.Client, auth: dict[str, str], sandbox: Sandbox
) -> None:
    response = asgi_client.post(card_path(9001, 555) + "/stamp?stamps=2", headers=auth)
    assert response.status_code == 200
    assert response.json()["stamps_count"] == 9
    # the body wins over the query string
    response = asgi_client.post(
        card_path(9001, 555) + "/stamp?stamps=5", headers=auth, json={"stamps": 1}
    )
    assert response.json()["stamps_count"] == 10


def test_malformed_json_is_400_in_leal_shape(
    asgi_client: httpx.Client, auth: dict[str, str], sandbox: Sandbox
) -> None:
    for content in (
        b"{bad json",
        b'{"stamps": NaN}',
        b'{"stamps": 1',
        b"\xff\xfe\x00",
        b"[" * 50_000,
    ):
        response = asgi_client.post(
            card_path(9001, 555) + "/stamp",
            headers={**auth, "Content-Type": "application/json"},
            content=content,
        )
        assert response.status_code == 400, content[:20]
        body = response.json()
        assert body["error"] == "Malformed request body"
        assert isinstance(body["errors"]["base"][0], str)
        assert "detail" not in body
    assert leal_entries(sandbox) == []


def test_json_that_is_not_an_object_is_422(asgi_client: httpx.Client, auth: dict[str, str]) -> None:
    for body in ([1], 3, "stamps", None):
        response = asgi_client.post(card_path(9001, 555) + "/stamp", headers=auth, json=body)
        assert response.status_code == 422
        assert response.json()["errors"] == {"stamps": ["can't be blank"]}


def test_json_without_content_type_is_ignored_like_rails(
    asgi_client: httpx.Client, auth: dict[str, str]
) -> None:
    response = asgi_client.post(
        card_path(9001, 555) + "/stamp",
        headers={**auth, "Content-Type": "text/plain"},
        content=b'{"stamps": 1}',
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"stamps": ["can't be blank"]}


# --------------------------------------------------------------------- redeeming


def redeem(client: httpx.Client, auth: dict[str, str], cid: int, card: int, reward: Any) -> Any:
    return client.post(card_path(cid, card) + "/redeem", headers=auth, json={"reward_id": reward})


def test_redeem_deducts_the_reward_cost_and_records_the_ledger(
    asgi_client: httpx.Client, auth: dict[str, str], sandbox: Sandbox
) -> None:
    response = redeem(asgi_client, auth, 9001, 555, 18)
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    redemption = body["redemption"]
    assert redemption["reward_id"] == 18
    assert redemption["reward_name"] == "Size upgrade"
    assert redemption["stamps_spent"] == 5
    assert redemption["stamps_remaining"] == 2
    assert redemption["redeemed_at"].endswith("Z")
    card = asgi_client.get(card_path(9001, 555), headers=auth).json()
    assert card["stamps_count"] == 2
    assert card["available_rewards"] == []
    entries = leal_entries(sandbox)
    assert [(e["operation"], e["card"], e["stamps"], e["reference"]) for e in entries] == [
        ("redeem_reward", "555", 5, str(redemption["id"]))
    ]


def test_redeem_is_not_idempotent(
    asgi_client: httpx.Client, auth: dict[str, str], sandbox: Sandbox
) -> None:
    first = redeem(asgi_client, auth, 9005, 559, 18).json()["redemption"]
    second = redeem(asgi_client, auth, 9005, 559, 18).json()["redemption"]
    assert (first["stamps_remaining"], second["stamps_remaining"]) == (8, 3)
    assert second["id"] == first["id"] + 1
    assert [e["reference"] for e in leal_entries(sandbox)] == [str(first["id"]), str(second["id"])]


@pytest.mark.parametrize(
    ("customer_id", "card_id", "reward_id", "error", "errors"),
    [
        (
            9002,
            556,
            17,
            "Not enough stamps to redeem this reward",
            {"stamps": ["10 required, 9 available"]},
        ),
        (9005, 559, 20, "Reward is not active", {"reward_id": ["is not active"]}),
        (
            9005,
            559,
            22,
            "Reward does not belong to this card",
            {"reward_id": ["belongs to a different card"]},
        ),
    ],
    ids=["too-few-stamps", "inactive", "other-template"],
)
def test_redeem_refusals_are_422(
    asgi_client: httpx.Client,
    auth: dict[str, str],
    sandbox: Sandbox,
    customer_id: int,
    card_id: int,
    reward_id: int,
    error: str,
    errors: dict[str, list[str]],
) -> None:
    before = sandbox.leal.customer_cards[card_id].stamps_count
    response = redeem(asgi_client, auth, customer_id, card_id, reward_id)
    assert response.status_code == 422
    assert response.json() == {"error": error, "errors": errors}
    assert sandbox.leal.customer_cards[card_id].stamps_count == before
    assert leal_entries(sandbox) == []


def test_redeem_unknown_or_foreign_reward_is_404(
    asgi_client: httpx.Client, auth: dict[str, str], sandbox: Sandbox
) -> None:
    for reward_id in (999, 901, -1, 0, "12345678901234"):
        response = redeem(asgi_client, auth, 9005, 559, reward_id)
        assert response.status_code == 404, reward_id
        assert response.json() == {"error": "Reward not found"}
    assert sandbox.leal.customer_cards[559].stamps_count == 13
    assert leal_entries(sandbox) == []


def test_redeem_with_a_bad_reward_id_is_422(
    asgi_client: httpx.Client, auth: dict[str, str]
) -> None:
    cases = [("x", "is not a number"), (None, "can't be blank"), (1.5, "must be an integer")]
    for reward_id, message in cases:
        response = redeem(asgi_client, auth, 9005, 559, reward_id)
        assert response.status_code == 422, reward_id
        assert response.json()["errors"] == {"reward_id": [message]}


def test_redeem_accepts_a_digit_string_reward_id(
    asgi_client: httpx.Client, auth: dict[str, str]
) -> None:
    response = redeem(asgi_client, auth, 9009, 564, "22")
    assert response.status_code == 200
    assert response.json()["redemption"]["stamps_remaining"] == 0


# --------------------------------------------------------------------- sign-up (optional extra)


def test_create_customer_enrols_with_welcome_stamps(
    asgi_client: httpx.Client, auth: dict[str, str], sandbox: Sandbox
) -> None:
    response = asgi_client.post(
        f"{STORE}/customers",
        headers=auth,
        json={
            "customer": {
                "first_name": "Zed",
                "phone": "+447700900777",
                "birthday": "1990-05-17",
                "external_references": [{"source": "tillcard", "external_id": "TC-9"}],
            },
            "card_id": 4,
            "send_card_links": "false",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["id"] == 9017
    assert body["email"] is None
    assert body["birthday"] == "1990-05-17"
    assert [(c["card_id"], c["stamps_count"]) for c in body["customer_cards"]] == [(4, 1)]
    new_card = body["customer_cards"][0]["id"]
    assert [(e["operation"], e["card"], e["stamps"]) for e in leal_entries(sandbox)] == [
        ("stamp", str(new_card), 1)
    ]
    assert ids(search(asgi_client, auth, source="tillcard", external_id="TC-9")) == [9017]
    code = sandbox.leal.customer_cards[new_card].code
    assert ids(search(asgi_client, auth, search=code)) == [9017]


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        (
            {"customer": {"first_name": "Ann"}},
            {"customer.email": ["can't be blank when phone is blank"]},
        ),
        ({"customer": {"email": "a@b.co"}}, {"customer.first_name": ["can't be blank"]}),
        ({"customer": {"first_name": "A", "email": "nope"}}, {"customer.email": ["is invalid"]}),
        ({}, {"customer": ["can't be blank"]}),
        (
            {"customer": {"first_name": "A", "email": "a@b.co", "birthday": "17/05/1990"}},
            {"customer.birthday": ["is not a valid date (YYYY-MM-DD)"]},
        ),
    ],
)
def test_create_customer_validation(
    asgi_client: httpx.Client,
    auth: dict[str, str],
    payload: dict[str, Any],
    errors: dict[str, list[str]],
) -> None:
    response = asgi_client.post(f"{STORE}/customers", headers=auth, json=payload)
    assert response.status_code == 422
    assert response.json() == {"error": "Validation failed", "errors": errors}


def test_create_customer_rejects_a_taken_email(
    asgi_client: httpx.Client, auth: dict[str, str], summary: dict[str, Any]
) -> None:
    taken = customer(summary, 9001)["email"].upper()
    response = asgi_client.post(
        f"{STORE}/customers",
        headers=auth,
        json={"customer": {"first_name": "Copy", "email": taken}},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"email": ["has already been taken"]}
    assert search(asgi_client, auth)["pagination"]["count"] == 16


# --------------------------------------------------------------------- rate limiting and edges


def test_every_response_carries_rate_limit_headers(
    asgi_client: httpx.Client, auth: dict[str, str]
) -> None:
    responses = [
        asgi_client.get(f"{API}/status"),
        asgi_client.get(f"{API}/accounts"),
        asgi_client.get(f"{API}/accounts/77", headers=auth),
        asgi_client.get(f"{API}/nowhere", headers=auth),
        asgi_client.post(card_path(9001, 555) + "/stamp", headers=auth, json={"stamps": 0}),
        asgi_client.get(f"{STORE}/customers", headers=auth),
    ]
    assert [r.status_code for r in responses] == [200, 401, 404, 404, 422, 200]
    remaining = []
    for response in responses:
        assert response.headers["RateLimit-Limit"] == "120"
        assert response.headers["RateLimit-Policy"] == "120;w=60"
        assert 0 < int(response.headers["RateLimit-Reset"]) <= 60
        remaining.append(int(response.headers["RateLimit-Remaining"]))
    # the last four share the token's window, the first two the anonymous caller's
    assert remaining == [119, 118, 119, 118, 117, 116]


def test_exceeding_the_limit_is_429_until_the_window_resets(
    asgi_client: httpx.Client, auth: dict[str, str], sandbox: Sandbox
) -> None:
    now = [1000.0]
    limiter = sandbox.leal.rate_limiter
    limiter.limit, limiter.window_seconds, limiter.clock = 3, 30, lambda: now[0]
    codes = [asgi_client.get(STORE, headers=auth).status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    now[0] += 10
    blocked = asgi_client.post(card_path(9001, 555) + "/stamp", headers=auth, json={"stamps": 1})
    assert blocked.status_code == 429
    assert blocked.json() == {"error": "Rate limit exceeded. Retry later."}
    assert blocked.headers["Retry-After"] == "20"
    assert blocked.headers["RateLimit-Remaining"] == "0"
    assert blocked.headers["RateLimit-Limit"] == "3"
    assert sandbox.leal.customer_cards[555].stamps_count == 7
    assert leal_entries(sandbox) == []
    # a caller without the token has its own window
    assert asgi_client.get(f"{API}/status").status_code == 200
    now[0] += 20
    allowed = asgi_client.post(card_path(9001, 555) + "/stamp", headers=auth, json={"stamps": 1})
    assert allowed.status_code == 200
    assert allowed.headers["RateLimit-Remaining"] == "2"


def test_unknown_paths_and_methods_answer_404_in_leal_shape(
    asgi_client: httpx.Client, auth: dict[str, str]
) -> None:
    for method, path in (
        ("GET", f"{API}/nowhere"),
        ("DELETE", f"{STORE}/customers/9001"),
        ("PUT", card_path(9001, 555) + "/stamp"),
    ):
        response = asgi_client.request(method, path, headers=auth)
        assert response.status_code == 404, (method, path)
        assert response.json() == {"error": "Not found"}


def test_retired_switch_answers_410(
    asgi_client: httpx.Client, auth: dict[str, str], sandbox: Sandbox
) -> None:
    sandbox.leal.retired = True
    response = asgi_client.get(STORE, headers=auth)
    assert response.status_code == 410
    assert response.json() == {"error": "This API version has been retired"}
    assert "RateLimit-Remaining" in response.headers


def test_expire_tokens_revokes_the_old_token(
    asgi_client: httpx.Client, auth: dict[str, str], sandbox: Sandbox
) -> None:
    sandbox.leal.expire_tokens()
    assert asgi_client.get(STORE, headers=auth).status_code == 401
    fresh = sandbox.leal.seed_summary()["token"]
    assert f"Bearer {fresh}" != auth["Authorization"]
    assert asgi_client.get(STORE, headers={"Authorization": f"Bearer {fresh}"}).status_code == 200


def test_reset_restores_the_seeded_world(
    asgi_client: httpx.Client, auth: dict[str, str], sandbox: Sandbox
) -> None:
    asgi_client.post(card_path(9001, 555) + "/stamp", headers=auth, json={"stamps": 5})
    redeem(asgi_client, auth, 9001, 555, 17)
    sandbox.leal.rate_limiter.limit = 1
    assert asgi_client.get(card_path(9001, 555), headers=auth).status_code == 429
    assert asgi_client.post("/_sandbox/reset").json() == {"reset": True, "seed": 0}
    card = asgi_client.get(card_path(9001, 555), headers=auth)
    assert card.status_code == 200
    assert card.json()["stamps_count"] == 7
    assert card.headers["RateLimit-Limit"] == "120"
    assert leal_entries(sandbox) == []
    assert (
        asgi_client.get("/_sandbox/seed").json()["leal"]["customers"][0]["customer_cards"][0][
            "stamps_count"
        ]
        == 7
    )
