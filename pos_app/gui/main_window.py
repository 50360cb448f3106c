"""The cashier's main window (``ui/main_window.ui``): how a card looks, not what happens to it.

The controller in ``counter_screen.py`` decides what to do; this class only shows things, by the
stable objectNames that automation and tests rely on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from pos_app.__about__ import __version__
from pos_app.gui.forms import load_form, stylesheet

if TYPE_CHECKING:  # the domain and services (httpx behind them) load after the first paint
    from pos_app.gui.queue_text import PendingPreview
    from pos_app.gui.till_status import QueueCounts
    from pos_app.journal.connectivity import BackendStatus
    from pos_app.services.lookup import Match

MATCH_ROLE = Qt.ItemDataRole.UserRole

#: Status words by how the cashier should treat the card; colour is never the only signal.
STATUS_TONE = {
    "active": "ok",
    "pending": "warn",
    "suspended": "bad",
    "expired": "bad",
    "voided": "bad",
    "depleted": "warn",
}
#: The keys that are not on a button, shown in the status bar.
KEY_HINT = "F1 Help · F10 Shift · F11 Back office · F12 Sign out"
KIND_LABEL = {
    "gift_card": "GIFT CARD",
    "stamp_card": "STAMP CARD",
    "points": "POINTS",
    "stored_value": "STORED VALUE",
}


def _set_tone(widget: QWidget, tone: str) -> None:
    """Re-polish so the stylesheet's [tone=...] selectors apply."""
    widget.setProperty("tone", tone)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def match_summary(match: Match) -> str:
    """One line for the results list: what, which card, and its value."""
    if match.balance is not None:
        value = match.balance.format()
    elif match.stamps is not None:
        value = f"{match.stamps}/{match.stamps_required} stamps"
    else:
        value = f"{match.count} {match.count_unit}"
    return f"{match.title} ({match.provider.label})\n{match.masked_number} · {value}"


class MainWindow:
    """Owns the form; exposes what the cashier sees."""

    def __init__(self, terminal_id: str, *, training: bool, cashier: str | None = None) -> None:
        window = load_form("main_window.ui")
        assert isinstance(window, QMainWindow)
        self.window = window
        window.setStyleSheet(stylesheet())
        window.setWindowTitle(f"Tillcard {__version__}" + (" — TRAINING" if training else ""))
        self.training = training
        c = self._child
        self.lookup_input: QLineEdit = c(QLineEdit, "lookupInput")
        self.find_button: QPushButton = c(QPushButton, "findButton")
        self.message: QLabel = c(QLabel, "messageLabel")
        self.result_list: QListWidget = c(QListWidget, "resultList")
        self.card_stack: QStackedWidget = c(QStackedWidget, "cardStack")
        self.ready_page: QWidget = c(QWidget, "readyPage")
        self.card_panel: QWidget = c(QWidget, "cardPanel")
        self.card_title: QLabel = c(QLabel, "cardTitle")
        self.status_value: QLabel = c(QLabel, "statusValue")
        self.expiry_value: QLabel = c(QLabel, "expiryValue")
        self.owner_value: QLabel = c(QLabel, "ownerValue")
        self.stale_label: QLabel = c(QLabel, "staleLabel")
        self.balance_caption: QLabel = c(QLabel, "balanceCaption")
        self.balance_value: QLabel = c(QLabel, "balanceValue")
        self.stamp_progress: QProgressBar = c(QProgressBar, "stampProgress")
        self.reward_list: QListWidget = c(QListWidget, "rewardList")
        self.history_label: QLabel = c(QLabel, "historyLabel")
        self.history_table: QTableView = c(QTableView, "historyTable")
        self.backend_status: QLabel = c(QLabel, "backendStatus")
        self.pending_indicator: QPushButton = c(QPushButton, "pendingIndicator")
        self.pending_mark: QLabel = c(QLabel, "pendingMark")
        self.training_cards: QTreeWidget = c(QTreeWidget, "trainingCards")
        self.buttons: dict[str, QPushButton] = {
            name: c(QPushButton, f"{name}Button")
            for name in ("redeem", "stamp", "reward", "refresh", "undo")
        }
        self.terminal_id = terminal_id
        self.terminal_label: QLabel = c(QLabel, "terminalLabel")
        self.terminal_label.setText(terminal_id)
        if cashier:
            self.show_cashier(cashier)
        c(QLabel, "modeBadge").setVisible(training)
        c(QLabel, "trainingCardsLabel").setVisible(training)
        self.training_cards.setVisible(training)
        self.pending_indicator.setVisible(False)  # shown once the journal is open
        self.pending_mark.setVisible(False)
        self.last_sync_label = QLabel("")
        self.last_sync_label.setObjectName("lastSyncLabel")
        self.key_hint = QLabel(KEY_HINT)
        self.key_hint.setObjectName("keyHintLabel")
        self.key_hint.setAccessibleName("Keys")
        window.statusBar().addPermanentWidget(self.key_hint)
        window.statusBar().addPermanentWidget(self.last_sync_label)
        for widget in (self.reward_list, self.history_table, self.training_cards):
            widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        for button in self.buttons.values():
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.find_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.message.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        central = window.centralWidget()
        assert central is not None
        layout = central.layout()
        assert isinstance(layout, QBoxLayout)
        layout.setStretchFactor(c(QSplitter, "mainSplitter"), 1)
        c(QSplitter, "mainSplitter").setSizes([320, 960])
        window.statusBar().showMessage(f"{terminal_id} · Tillcard {__version__}")
        self.show_ready()

    def size_history_columns(self) -> None:
        """Fixed widths from sample text: measuring 10,000 rows to fit them would stall paint."""
        metrics = self.history_table.fontMetrics()
        header = self.history_table.horizontalHeader()
        for column, sample in enumerate(
            ["2026-12-31 23:59", "OWNERSHIP TRANSFER", "-10,000.00", "10,000.00 → 10,000.00"]
        ):
            header.resizeSection(column, metrics.horizontalAdvance(sample) + 28)

    def _child(self, kind: type[Any], name: str) -> Any:
        widget = self.window.findChild(kind, name)
        if widget is None:
            raise LookupError(f"main_window.ui has no {kind.__name__} named {name}")
        return widget

    # -- messages and state -------------------------------------------------------------

    def show_message(self, text: str, tone: str = "info") -> None:
        """tone: info, ok, warn, bad, busy — the words always carry the meaning too."""
        self.message.setText(text)
        _set_tone(self.message, tone)

    def show_cashier(self, name: str | None, role: str | None = None) -> None:
        """Who is signed in, on two short lines: "Ana" / "cashier" (the till's name is in the
        status bar), so even a long name fits beside the rest of the header at its widest on a
        1280-pixel till screen, without being cut. Signed out: the till and "nobody signed in".
        """
        who = "nobody signed in" if name is None else name
        if name is None:
            self.terminal_label.setText(f"{self.terminal_id}\n{who}")
        else:
            self.terminal_label.setText(f"{name}\n{role}" if role else name)
        self.terminal_label.setAccessibleName(f"Till {self.terminal_id}, {who}")

    def show_ready(self) -> None:
        self.result_list.clear()
        self.card_stack.setCurrentWidget(self.ready_page)
        self.lookup_input.clear()
        self.lookup_input.setFocus()
        self.set_actions(set())

    def set_actions(self, enabled: set[str]) -> None:
        for name, button in self.buttons.items():
            button.setEnabled(name in enabled)

    def show_backends(self, statuses: Sequence[BackendStatus]) -> None:
        """● online, ○ not checked yet, and a second line "✕ OFFLINE: …" in words.

        The offline ones are grouped on their own line so the header of a 1280-pixel till
        screen still fits with every back-end down and both counts showing; the reasons and
        times are in the tooltip.
        """
        from pos_app.journal.connectivity import Reachability

        marks = []
        offline = []
        tips = []
        for status in statuses:
            label = status.provider.label
            if status.state is Reachability.ONLINE:
                marks.append(f"● {label}")
                tips.append(f"{label}: online")
            elif status.state is Reachability.OFFLINE:
                offline.append(label)
                since = f" since {status.since.astimezone():%H:%M}"
                tips.append(f"{label}: OFFLINE{since} — {status.reason or 'not reachable'}")
            else:
                marks.append(f"○ {label}")
                tips.append(f"{label}: not checked yet")
        lines = ["   ".join(marks)] if marks else []
        if offline:
            names = ", ".join(offline)
            lines += [f"✕ OFFLINE: {names}"] if marks else ["✕ ALL OFFLINE:", names]
        self.backend_status.setText("\n".join(lines))
        self.backend_status.setToolTip("\n".join(tips))
        _set_tone(self.backend_status, "bad" if offline else "ok")

    def show_counts(self, counts: QueueCounts) -> None:
        """The F9 button carries the journal's counts; the status bar the last sync time."""
        from pos_app.gui.queue_text import clock_text

        parts = []
        if counts.pending:
            parts.append(f"{counts.pending} PENDING")
        if counts.needs_attention:
            parts.append(f"{counts.needs_attention} NEEDS ATTENTION")
        text = " · ".join(parts) if parts else "All synced"
        button = self.pending_indicator
        button.setText("F9  " + ("\n".join(parts) if len(parts) > 1 else text))  # fits 1280 px
        last = (
            "No sync yet"
            if counts.last_sync is None
            else f"Last sync {clock_text(counts.last_sync)}"
        )
        button.setToolTip(f"Pending and needs attention (F9). {last}.")
        button.setAccessibleName(f"Pending and needs attention: {text}. {last}")
        _set_tone(button, "bad" if counts.needs_attention else "warn" if counts.pending else "ok")
        button.setVisible(True)
        self.last_sync_label.setText(last)

    def show_unavailable(self, text: str) -> None:
        """The till cannot work (its journal cannot be opened): say why, offer nothing to do."""
        self.show_message(text, "bad")
        self.card_stack.setCurrentWidget(self.ready_page)
        self.lookup_input.setEnabled(False)
        self.lookup_input.setPlaceholderText("Tillcard cannot take operations — see above")
        self.find_button.setEnabled(False)
        self.set_actions(set())

    # -- results and card ---------------------------------------------------------------

    def add_results(self, matches: list[Match]) -> None:
        for match in matches:
            item = QListWidgetItem(match_summary(match))
            item.setData(MATCH_ROLE, match)
            self.result_list.addItem(item)
        if self.result_list.currentRow() < 0 and self.result_list.count():
            self.result_list.setCurrentRow(0)

    def selected_match(self) -> Match | None:
        item = self.result_list.currentItem()
        from pos_app.services.lookup import Match

        match = item.data(MATCH_ROLE) if item is not None else None
        return match if isinstance(match, Match) else None

    def replace_selected(self, match: Match) -> None:
        item = self.result_list.currentItem()
        if item is not None:
            item.setData(MATCH_ROLE, match)
            item.setText(match_summary(match))

    def show_match(self, match: Match) -> None:
        from pos_app.domain import GiftCard

        self.card_stack.setCurrentWidget(self.card_panel)
        self.card_title.setText(f"{KIND_LABEL[match.kind]}  {match.masked_number}")
        status = match.status.lower()
        self.status_value.setText(status.upper())
        _set_tone(self.status_value, STATUS_TONE.get(status, "warn"))
        card = match.subject
        expires = card.expires_at if isinstance(card, GiftCard) else None
        if expires is not None:
            expired = expires <= datetime.now(UTC)
            self.expiry_value.setText(
                f"{'expired' if expired else 'expires'} {expires.astimezone():%d/%m/%Y}"
            )
        self.expiry_value.setVisible(expires is not None)
        owner = match.holder or "No owner on file"
        if isinstance(card, GiftCard) and card.owner_email and card.owner_name:
            owner = f"{card.owner_name} · {card.owner_email}"
        self.owner_value.setText(f"{match.title} · {owner}")
        self.stale_label.setVisible(match.stale_seconds is not None)
        if match.stale_seconds is not None:
            self.stale_label.setText(
                f"OFFLINE DATA — last seen {match.stale_seconds // 60} min ago"
            )
        has_balance = match.balance is not None or match.count is not None
        self.balance_caption.setVisible(has_balance)
        self.balance_value.setVisible(has_balance)
        if match.balance is not None:
            self.balance_caption.setText("Balance")
            self.balance_value.setText(match.balance.format())
        elif match.count is not None:
            self.balance_caption.setText(match.title)
            self.balance_value.setText(f"{match.count} {match.count_unit}")
        is_stamp = match.stamps is not None
        self.stamp_progress.setVisible(is_stamp)
        if match.stamps is not None and match.stamps_required:
            self.stamp_progress.setMaximum(match.stamps_required)
            self.stamp_progress.setValue(min(match.stamps, match.stamps_required))
            self.stamp_progress.setFormat(
                f"{match.stamps} of {match.stamps_required} stamps"
                + (" — card full" if match.stamps >= match.stamps_required else "")
            )
        self.reward_list.clear()
        for reward in match.rewards:
            unit = "stamps" if is_stamp else (match.count_unit or "points")
            tick = "✓ can redeem" if reward.redeemable else "not yet"
            item = QListWidgetItem(f"{reward.name} — {reward.cost} {unit} — {tick}")
            if not reward.redeemable:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            self.reward_list.addItem(item)
        self.reward_list.setVisible(bool(match.rewards))
        shows_history = match.kind in ("gift_card", "stored_value", "points")
        self.history_label.setVisible(shows_history)
        self.history_table.setVisible(shows_history)
        self.show_pending(match, None)

    def show_pending(self, match: Match, preview: PendingPreview | None) -> None:
        """Overlay what is waiting to sync: the expected figure, marked PENDING in words."""
        self.pending_mark.setVisible(preview is not None)
        tone = "pending" if preview is not None else ""
        _set_tone(self.balance_value, tone)
        _set_tone(self.balance_caption, tone)
        if preview is None:
            return
        self.pending_mark.setText(preview.text)
        if preview.balance is not None and match.balance is not None:
            self.balance_caption.setText("Expected balance\nPENDING")
            self.balance_value.setText(preview.balance.format())
        elif preview.count is not None and match.count is not None:
            self.balance_caption.setText(f"{match.title} expected\nPENDING")
            self.balance_value.setText(f"{preview.count} {match.count_unit}")
        if preview.stamps is not None and match.stamps_required:
            self.stamp_progress.setValue(min(preview.stamps, match.stamps_required))
            self.stamp_progress.setFormat(
                f"{preview.stamps} of {match.stamps_required} stamps — PENDING"
            )

    # -- training ---------------------------------------------------------------------------

    def show_training_cards(self, seed: dict[str, Any]) -> None:
        """List the emulators' seeded cards so a trainee knows what to scan."""
        tree = self.training_cards
        tree.clear()
        rows: list[list[str]] = []
        for card in seed.get("loyaltydog", {}).get("cards", []):
            rows.append(
                [
                    "LoyaltyDog gift card",
                    card["cardNumber"],
                    card.get("customerName") or "",
                    card["status"],
                    card["balance"],
                ]
            )
        for customer in seed.get("leal", {}).get("customers", []):
            for stamp_card in customer.get("customer_cards", []):
                rows.append(
                    [
                        "Leal stamp card",
                        stamp_card.get("card_code") or customer.get("card_code") or "",
                        customer.get("name") or "",
                        "active",
                        f"{stamp_card['stamps_count']} / {stamp_card['stamps_required']} stamps",
                    ]
                )
        for entry in seed.get("clienttoolbox", {}).get("customers", [])[:60]:
            holder = " ".join(p for p in (entry.get("first_name"), entry.get("last_name")) if p)
            rows.append(
                [
                    "ClientToolbox",
                    entry["card_number"] or entry["code"],
                    holder,
                    entry.get("campaign_type") or "",
                    entry["balance"],
                ]
            )
        tree.addTopLevelItems([QTreeWidgetItem(row) for row in rows])
        for column in range(tree.columnCount()):
            tree.resizeColumnToContents(column)

    def training_code(self, item: QTreeWidgetItem | None) -> str | None:
        return item.text(1) if item is not None else None
