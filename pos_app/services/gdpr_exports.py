"""GDPR subject-access exports through LoyaltyDog: request, show status and expiry, download.

Every request and download is written to the till's audit trail *with* the customer id or
e-mail address asked for: the audit trail is the store's own record of who asked for whose
data, which is exactly what a data-protection officer must be able to show. The exported data
itself never goes into the audit trail or the logs.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Final

from pos_app.domain.card_number import looks_like_email
from pos_app.domain.outcomes import GdprExport
from pos_app.journal.audit_trail import AuditTrail
from pos_app.providers.errors import BackendError
from pos_app.providers.factory import Backends
from pos_app.providers.protocols import GiftCardProvider
from pos_app.services.back_office_reports import ReportUnavailable

__all__ = [
    "FORMATS",
    "ExportUnavailable",
    "check_request",
    "download_export",
    "request_export",
]

FORMATS: Final = ("json", "csv")
MAX_CUSTOMER_ID: Final = 100


class ExportUnavailable(ReportUnavailable):
    """LoyaltyDog is not set up on this till, so there is nothing to export from."""


def check_request(*, customer_id: str | None, email: str | None, fmt: str) -> str | None:
    """None if the request may be sent, else one sentence saying what to fix (nothing sent)."""
    customer = (customer_id or "").strip()
    address = (email or "").strip()
    if bool(customer) == bool(address):
        return "Give either a customer id or an e-mail address (exactly one of them)"
    if fmt not in FORMATS:
        return f"The export format must be json or csv, not {fmt[:20]!r}"
    if address and not looks_like_email(address):
        return f"{address[:60]!r} is not an e-mail address (name@example.com)"
    if customer and (len(customer) > MAX_CUSTOMER_ID or not customer.isprintable()):
        return "That customer id cannot be right: it is too long or holds control characters"
    return None


def _gift_cards(backends: Backends) -> GiftCardProvider:
    if backends.gift_cards is None:
        raise ExportUnavailable(
            "GDPR exports come from LoyaltyDog, which is not set up on this till: add a "
            "[loyaltydog] section to the configuration"
        )
    return backends.gift_cards


def _subject(customer_id: str | None, email: str | None) -> dict[str, str]:
    if customer_id and customer_id.strip():
        return {"customer_id": customer_id.strip()}
    return {"email": (email or "").strip()}


async def request_export(
    backends: Backends,
    audit: AuditTrail,
    *,
    customer_id: str | None,
    email: str | None,
    fmt: str,
    by: str | None,
) -> GdprExport:
    """Validate (``ValueError`` with the sentence), ask LoyaltyDog, audit the request either way.

    A refused request is audited too (``result`` names the refusal): an attempt to get someone's
    data is worth recording even when it failed.
    """
    problem = check_request(customer_id=customer_id, email=email, fmt=fmt)
    if problem is not None:
        raise ValueError(problem)
    provider = _gift_cards(backends)
    subject = _subject(customer_id, email)
    try:
        export = await provider.gdpr_export(
            customer_id=subject.get("customer_id"), email=subject.get("email"), fmt=fmt
        )
    except BackendError as exc:
        audit.record(
            "gdpr_export_requested",
            {**subject, "format": fmt},
            f"failed: {exc.message}",
            cashier=by,
        )
        raise
    audit.record(
        "gdpr_export_requested",
        {
            **subject,
            "format": fmt,
            "export_id": export.export_id,
            "status": export.status,
            "expires_at": export.expires_at.isoformat() if export.expires_at else None,
        },
        export.status,
        cashier=by,
    )
    return export


def write_atomically(data: bytes, path: Path) -> None:
    """A temporary file in the same folder, fsynced, then renamed over ``path``: a reader never
    sees half an export, and an interrupted download leaves no partial file behind."""
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise


async def download_export(
    backends: Backends,
    export: GdprExport,
    path: Path,
    *,
    audit: AuditTrail | None = None,
    by: str | None = None,
) -> int:
    """Download the export to ``path`` (atomically); returns the bytes written.

    The audit line names the export and the file, so where a copy of personal data went is on
    record; the data itself is not.
    """
    data = await _gift_cards(backends).gdpr_download(export)
    write_atomically(data, path)
    if audit is not None:
        audit.record(
            "gdpr_export_downloaded",
            {"export_id": export.export_id, "format": export.format, "path": str(path)},
            f"{len(data)} bytes",
            cashier=by,
        )
    return len(data)
