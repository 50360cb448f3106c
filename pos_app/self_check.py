"""``pos-app self-check``: prove an installation has every part a till needs, in a second.

Installer smoke tests (CI on Windows and macOS, ``make package-test`` here) and support run it.
Each line names what was proved; the first missing part stops it with a sentence saying what is
missing, and the exit code is 1.
"""

from __future__ import annotations

import asyncio
import ssl
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from pos_app.problems import JournalUnavailable

__all__ = ["CheckFailed", "run_checks"]

#: Picture formats the till's own files and printing need.
NEEDED_IMAGE_FORMATS = ("png", "svg", "jpeg", "ico")


class CheckFailed(RuntimeError):
    """One part of the installation is missing or broken; the message says which."""


def _journal(data_dir: Path) -> str:
    from pos_app.journal.database import open_journal, schema_version

    journal = open_journal(data_dir)
    try:
        return f"schema {schema_version(journal)} in {data_dir}"
    finally:
        journal.close()


def _window(terminal: str) -> str:
    from pos_app.gui.app import self_check

    return self_check(terminal)


def _qt_plugins() -> str:
    from PySide6.QtGui import QGuiApplication, QImageReader
    from PySide6.QtWidgets import QStyleFactory

    formats = {bytes(f.data()).decode() for f in QImageReader.supportedImageFormats()}
    missing = [name for name in NEEDED_IMAGE_FORMATS if name not in formats]
    if missing:
        raise CheckFailed(f"Qt cannot read {', '.join(missing)} pictures (imageformats plugins)")
    styles = QStyleFactory.keys()
    if not styles:
        raise CheckFailed("Qt has no widget style (styles plugins)")
    return (
        f"screen {QGuiApplication.platformName()}, pictures {', '.join(NEEDED_IMAGE_FORMATS)}, "
        f"styles {', '.join(styles)}"
    )


def _printing() -> str:
    from PySide6.QtPrintSupport import QPrinterInfo

    from pos_app.domain.money import Money
    from pos_app.domain.receipts import PaperWidth, Receipt, money_line
    from pos_app.printing.receipt_print import receipt_pdf

    receipt = Receipt(
        shop_name="Self-check",
        terminal="self-check",
        cashier="Tillcard",
        at=datetime.now(UTC),
        title="Redemption",
        backend="LoyaltyDog",
        masked_card="•••• 0000",
        lines=(money_line("Paid with card", Money(Decimal("1.00"), "USD"), strong=True),),
        reference="00000000-0000-4000-8000-000000000000",
        footer="",
    )
    with tempfile.TemporaryDirectory(prefix="tillcard-self-check-") as folder:
        pdf = Path(folder) / "receipt.pdf"
        receipt_pdf(receipt, pdf, PaperWidth.MM80)
        size = pdf.stat().st_size if pdf.exists() else 0
    if size < 1000:
        raise CheckFailed("a receipt could not be rendered to PDF (printing support)")
    printers = len(QPrinterInfo.availablePrinterNames())
    return f"receipt PDF {size:,} bytes; {printers} printer(s) on this computer"


def _training() -> str:
    from pos_app.providers.factory import build_backends
    from pos_app.sandbox.inprocess import InProcessTransport
    from pos_app.services.lookup import lookup
    from pos_app.training import TrainingWorld

    world = TrainingWorld()
    card = world.seed["loyaltydog"]["cards"][0]["cardNumber"]

    async def find() -> int:
        backends = build_backends(
            world.config(), world.credentials(), transport=InProcessTransport(world.sandbox)
        )
        try:
            result = await lookup(card, backends)
        finally:
            await backends.aclose()
        if result.errors:
            raise CheckFailed(f"the training emulators did not answer: {result.errors}")
        return len(result.matches)

    found = asyncio.run(find())
    if not found:
        raise CheckFailed("the training emulators found none of their own cards")
    return f"emulators answered a lookup ({found} card found)"


def _tls() -> str:
    import certifi

    context = ssl.create_default_context(cafile=certifi.where())
    authorities = len(context.get_ca_certs())
    if not authorities:
        raise CheckFailed("no certificate authorities: HTTPS to the back-ends would fail")
    return f"{authorities} certificate authorities; verification on"


def _keyring() -> str:
    import keyring

    backend = keyring.get_keyring()
    return f"{type(backend).__module__}.{type(backend).__name__} (or POS_APP_* variables)"


def run_checks(data_dir: Path, terminal: str, say: Callable[[str], None]) -> str:
    """Run every check, ``say`` one line each; returns the window title for the summary."""
    title = ""
    checks: list[tuple[str, Callable[[], str]]] = [
        ("journal", lambda: _journal(data_dir)),
        ("window", lambda: _window(terminal)),
        ("qt plugins", _qt_plugins),
        ("printing", _printing),
        ("training", _training),
        ("tls", _tls),
        ("keyring", _keyring),
    ]
    for name, check in checks:
        try:
            line = check()
        except (CheckFailed, JournalUnavailable):
            raise  # already a sentence for the person at the till
        except Exception as exc:  # the installation is damaged: say where, not how
            raise CheckFailed(f"{name}: {type(exc).__name__}: {exc}") from exc
        if name == "window":
            title = line
        say(f"  ok  {name:<11} {line}")
    return title
