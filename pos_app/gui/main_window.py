"""The cashier's main window, built from ``ui/main_window.ui``."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QLineEdit, QMainWindow, QTreeWidget, QTreeWidgetItem

from pos_app.__about__ import __version__
from pos_app.gui.forms import load_form, stylesheet


class MainWindow:
    """Owns the form and exposes what the cashier sees, by stable objectName."""

    def __init__(self, terminal_id: str, *, training: bool) -> None:
        window = load_form("main_window.ui")
        assert isinstance(window, QMainWindow)
        self.window = window
        window.setStyleSheet(stylesheet())
        window.setWindowTitle(f"Tillcard {__version__}" + (" — TRAINING" if training else ""))
        self.lookup_input = self._child(QLineEdit, "lookupInput")
        self.message = self._child(QLabel, "messageLabel")
        self.training_cards = self._child(QTreeWidget, "trainingCards")
        self._child(QLabel, "terminalLabel").setText(terminal_id)
        badge = self._child(QLabel, "modeBadge")
        badge.setVisible(training)
        self._child(QLabel, "trainingCardsLabel").setVisible(training)
        self.training_cards.setVisible(training)
        self.lookup_input.setEnabled(False)
        self.lookup_input.setPlaceholderText("Card lookup is not available in this version yet")
        window.statusBar().showMessage(f"{terminal_id} · Tillcard {__version__}")

    def _child(self, kind: type[Any], name: str) -> Any:
        widget = self.window.findChild(kind, name)
        if widget is None:
            raise LookupError(f"main_window.ui has no {kind.__name__} named {name}")
        return widget

    def show_message(self, text: str) -> None:
        self.message.setText(text)

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
            holder = " ".join(
                part for part in (entry.get("first_name"), entry.get("last_name")) if part
            )
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
