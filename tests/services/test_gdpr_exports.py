"""GDPR exports against the LoyaltyDog emulator over HTTP, with a real journal's audit trail."""

from __future__ import annotations

import csv
import io
import json
import stat
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from pos_app.journal.audit_trail import AuditTrail
from pos_app.journal.database import open_journal
from pos_app.providers.errors import BackendUnavailable, NotFound
from pos_app.providers.factory import Backends, build_backends
from pos_app.sandbox.state import Sandbox
from pos_app.services.back_office_reports import ReportUnavailable
from pos_app.services.gdpr_exports import check_request, download_export, request_export
from pos_app.training import sandbox_credentials
from tests.tills import faults, till_config

ALICE = "alice.martin@example.com"  # LoyaltyDog seed 0: several gift cards


@pytest.fixture
async def backends(sandbox_server: tuple[str, Sandbox]) -> AsyncIterator[Backends]:
    url, sandbox = sandbox_server
    built = build_backends(till_config(url, sandbox), sandbox_credentials(sandbox.seed_summary()))
    try:
        yield built
    finally:
        await built.aclose()


@pytest.fixture
def audit(tmp_path: Path) -> Iterator[AuditTrail]:
    journal = open_journal(tmp_path / "data")
    try:
        yield AuditTrail(journal, "till-1")
    finally:
        journal.close()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Where the manager saves exports (the journal lives elsewhere)."""
    path = tmp_path / "exports"
    path.mkdir()
    return path


def exports_made(sandbox: Sandbox) -> int:
    """How many exports the emulator prepared: proof of whether a request reached it."""
    return len(sandbox.loyaltydog._exports)


@pytest.mark.parametrize(
    ("customer_id", "email", "fmt", "says"),
    [
        (None, None, "json", "exactly one"),
        ("abc", ALICE, "json", "exactly one"),
        ("  ", None, "csv", "exactly one"),
        (None, "alice.example.com", "json", "not an e-mail address"),
        (None, "alice@", "csv", "not an e-mail address"),
        (None, ALICE, "xml", "json or csv"),
        (None, ALICE, "JSON", "json or csv"),
        ("x" * 101, None, "json", "too long"),
        ("a\nb", None, "json", "control characters"),
    ],
)
def test_bad_requests_are_one_sentence(
    customer_id: str | None, email: str | None, fmt: str, says: str
) -> None:
    problem = check_request(customer_id=customer_id, email=email, fmt=fmt)
    assert problem is not None
    assert says in problem
    assert "\n" not in problem


@pytest.mark.parametrize(
    ("customer_id", "email", "fmt"),
    [("63567e4017d100f54fd915a7", None, "csv"), (None, ALICE, "json")],
)
def test_good_requests_pass(customer_id: str | None, email: str | None, fmt: str) -> None:
    assert check_request(customer_id=customer_id, email=email, fmt=fmt) is None


async def test_request_then_download_json(
    backends: Backends, audit: AuditTrail, sandbox_server: tuple[str, Sandbox], tmp_path: Path
) -> None:
    _, sandbox = sandbox_server
    export = await request_export(
        backends, audit, customer_id=None, email=ALICE, fmt="json", by="Maria"
    )
    assert export.status == "completed"
    assert export.requested_at is not None
    assert export.expires_at is not None
    assert export.expires_at > export.requested_at
    [line] = audit.recent(action="gdpr_export_requested")
    assert line.cashier == "Maria"
    assert line.detail["email"] == ALICE
    assert line.detail["export_id"] == export.export_id
    assert line.detail["format"] == "json"
    assert line.result == "completed"

    target = tmp_path / "alice.json"
    size = await download_export(backends, export, target, audit=audit, by="Maria")
    assert size == target.stat().st_size > 0
    data = json.loads(target.read_bytes())
    assert data["customer"]["email"] == ALICE
    seed = sandbox.seed_summary()["loyaltydog"]
    theirs = {c["cardNumber"] for c in seed["cards"] if c["customerEmail"] == ALICE}
    assert {card["cardNumber"] for card in data["giftCards"]} == theirs
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # personal data: the owner only
    [downloaded] = audit.recent(action="gdpr_export_downloaded")
    assert downloaded.detail == {
        "export_id": export.export_id,
        "format": "json",
        "path": str(target),
    }
    assert downloaded.result == f"{size} bytes"
    assert ALICE not in json.dumps(downloaded.detail)  # the data itself is never audited


async def test_request_by_customer_id_as_csv_replaces_an_old_file(
    backends: Backends, audit: AuditTrail, sandbox_server: tuple[str, Sandbox], folder: Path
) -> None:
    _, sandbox = sandbox_server
    seed = sandbox.seed_summary()["loyaltydog"]
    card = next(c for c in seed["cards"] if c["role"] == "active")
    export = await request_export(
        backends, audit, customer_id=card["customerId"], email=None, fmt="csv", by=None
    )
    target = folder / "export.csv"
    target.write_text("an older export, much longer than nothing " * 100, encoding="utf-8")
    await download_export(backends, export, target)
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert rows
    assert {row["customerId"] for row in rows} == {card["customerId"]}
    assert card["cardNumber"] in target.read_text(encoding="utf-8")
    assert sorted(p.name for p in folder.iterdir()) == ["export.csv"]  # no temp file left
    assert (
        audit.recent(action="gdpr_export_requested")[0].detail["customer_id"]
        == (card["customerId"])
    )


@pytest.mark.parametrize(
    ("email", "fmt"), [("not-an-address", "json"), (ALICE, "pdf"), (None, "json")]
)
async def test_a_bad_request_sends_nothing_and_audits_nothing(
    backends: Backends,
    audit: AuditTrail,
    sandbox_server: tuple[str, Sandbox],
    email: str | None,
    fmt: str,
) -> None:
    _, sandbox = sandbox_server
    with pytest.raises(ValueError, match=r"\w"):
        await request_export(backends, audit, customer_id=None, email=email, fmt=fmt, by="Maria")
    assert exports_made(sandbox) == 0
    assert audit.recent(actions=("gdpr_export_requested", "gdpr_export_downloaded")) == []


async def test_an_unknown_customer_is_refused_and_the_attempt_audited(
    backends: Backends, audit: AuditTrail
) -> None:
    with pytest.raises(NotFound):
        await request_export(
            backends, audit, customer_id=None, email="nobody@example.com", fmt="csv", by="Maria"
        )
    [line] = audit.recent(action="gdpr_export_requested")
    assert line.result is not None
    assert line.result.startswith("failed:")
    assert line.detail["email"] == "nobody@example.com"


async def test_a_failed_download_leaves_the_target_untouched(
    backends: Backends, audit: AuditTrail, sandbox_server: tuple[str, Sandbox], folder: Path
) -> None:
    url, _ = sandbox_server
    export = await request_export(
        backends, audit, customer_id=None, email=ALICE, fmt="json", by=None
    )
    target = folder / "keep.json"
    target.write_text("previous", encoding="utf-8")
    faults(url, "loyaltydog", outage=True)
    with pytest.raises(BackendUnavailable):
        await download_export(backends, export, target, audit=audit)
    assert target.read_text(encoding="utf-8") == "previous"
    assert sorted(p.name for p in folder.iterdir()) == ["keep.json"]
    assert audit.recent(action="gdpr_export_downloaded") == []


async def test_without_loyaltydog_there_is_nothing_to_export(audit: AuditTrail) -> None:
    with pytest.raises(ReportUnavailable, match="LoyaltyDog"):
        await request_export(Backends(), audit, customer_id="abc", email=None, fmt="json", by=None)
