"""The header at its fullest still fits a 1280-pixel till screen, in words, not just colours."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtWidgets import QApplication

from pos_app.domain import Provider
from pos_app.gui.main_window import MainWindow
from pos_app.gui.till_status import QueueCounts
from pos_app.journal.connectivity import BackendStatus, Reachability

NOW = datetime.now(UTC)


def status(provider: Provider, state: Reachability) -> BackendStatus:
    reason = "LoyaltyDog is temporarily unavailable" if state is Reachability.OFFLINE else None
    return BackendStatus(provider, state, reason, NOW, None)


@pytest.mark.parametrize(
    ("states", "text"),
    [
        ((Reachability.ONLINE,) * 3, "● LoyaltyDog   ● Leal   ● ClientToolbox"),
        ((Reachability.UNKNOWN,) * 3, "○ LoyaltyDog   ○ Leal   ○ ClientToolbox"),
        (
            (Reachability.OFFLINE, Reachability.ONLINE, Reachability.OFFLINE),
            "● Leal\n✕ OFFLINE: LoyaltyDog, ClientToolbox",
        ),
        ((Reachability.OFFLINE,) * 3, "✕ ALL OFFLINE:\nLoyaltyDog, Leal, ClientToolbox"),
    ],
)
def test_worst_header_fits_the_till_screen(
    qapp: QApplication, states: tuple[Reachability, ...], text: str
) -> None:
    view = MainWindow("training-till", training=True)
    try:
        view.show_backends([status(p, s) for p, s in zip(Provider, states, strict=True)])
        view.show_counts(QueueCounts(pending=128, needs_attention=12, last_sync=NOW))
        assert view.backend_status.text() == text
        assert view.pending_indicator.text() == "F9  128 PENDING\n12 NEEDS ATTENTION"
        bad = Reachability.OFFLINE in states
        assert view.backend_status.property("tone") == ("bad" if bad else "ok")
        if bad:
            assert "OFFLINE since" in view.backend_status.toolTip()
        view.window.resize(1280, 800)
        view.window.show()
        qapp.processEvents()
        assert view.window.minimumSizeHint().width() <= 1280
        assert view.window.width() <= 1280
        assert view.last_sync_label.text() == f"Last sync {NOW.astimezone():%H:%M}"
    finally:
        view.window.close()
        view.window.deleteLater()
