"""Helpers for the ClientToolbox emulator tests: signed form posts and strict parsing."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from xml.etree.ElementTree import Element

import httpx
from defusedxml import ElementTree

from pos_app.sandbox.clienttoolbox import ClientToolboxData
from pos_app.sandbox.state import Sandbox

ENDPOINT = "/clienttoolbox/"


class Api:
    """Posts signed forms to the emulator, reading the credentials from the live data object."""

    def __init__(self, client: httpx.Client, sandbox: Sandbox) -> None:
        self.client = client
        self.sandbox = sandbox

    @property
    def data(self) -> ClientToolboxData:
        return self.sandbox.clienttoolbox

    def creds(self) -> dict[str, str]:
        return {
            "user_id": self.data.user_id,
            "user_password": self.data.api_key,
            "account_id": self.data.account_id,
        }

    def post(self, kind: str | None, **fields: str) -> httpx.Response:
        form = {**self.creds(), **fields}
        if kind is not None:
            form["type"] = kind
        response = self.client.post(ENDPOINT, data=form)
        assert response.status_code == 200, response.text
        return response

    def xml(self, kind: str | None, **fields: str) -> Element:
        response = self.post(kind, **fields)
        assert response.headers["content-type"].startswith("text/xml")
        return parse_xml(response.content)

    def ok(self, kind: str, **fields: str) -> Element:
        root = self.xml(kind, **fields)
        assert root.get("status") == "success", text_of(root, "error")
        return root

    def err(self, kind: str | None, **fields: str) -> str:
        root = self.xml(kind, **fields)
        assert root.get("status") == "error"
        return text_of(root, "error")

    def json(self, kind: str, **fields: str) -> dict[str, Any]:
        response = self.post(kind, output="JSON", **fields)
        assert response.headers["content-type"].startswith("application/json")
        doc = json.loads(response.content)
        assert isinstance(doc, dict)
        return doc

    def balance(self, campaign_id: str, code: str) -> str:
        root = self.ok(
            "customer_balance", campaign_id=campaign_id, code=code, transactions_number="0"
        )
        return text_of(root, "campaign/customer/balance")

    def ledger(self) -> list[tuple[str, str, Decimal | None, str | None]]:
        return [
            (e.operation, e.card, e.amount, e.reference)
            for e in self.sandbox.ledger.entries()
            if e.api == "clienttoolbox"
        ]


def parse_xml(body: bytes) -> Element:
    root: Element = ElementTree.fromstring(body)
    assert root.tag == "response"
    return root


def text_of(node: Element, path: str) -> str:
    found = node.find(path)
    assert found is not None, f"no <{path}> in the response"
    return found.text or ""
