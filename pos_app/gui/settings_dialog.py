"""Settings: the configuration contract on screen, saved as TOML, secrets in the OS keyring.

The form never decides what is valid: it turns the widgets into the same plain data a TOML file
holds and lets ``parse_config`` judge it, so the dialog and the file can never disagree. Nothing
is written while anything is invalid. Sections the form does not show (``[sync]``, the serial
scanner) are carried over from the configuration it was opened on, never dropped.

Secrets are looked up by ``Credentials`` on each use, so a new password applies at the next
request; other changes are read at start-up, and the dialog says so.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

from pydantic import ValidationError
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QWidget,
)

from pos_app.config import AppConfig, parse_config
from pos_app.config_file import write_config
from pos_app.credential_store import (
    LABELS,
    KeyringUnavailable,
    has_secret,
    keyring_available,
    no_keyring_message,
    save_secret,
)
from pos_app.credentials import ENV_VARS, Backend, Credentials
from pos_app.domain.policy import OnlineMode
from pos_app.domain.receipts import PaperWidth
from pos_app.gui.forms import stylesheet
from pos_app.gui.view_dialog import ViewDialog
from pos_app.problems import ConfigError

__all__ = ["BACKENDS", "SettingsDialog"]

log = logging.getLogger(__name__)

BACKENDS: Final[tuple[Backend, ...]] = ("loyaltydog", "leal", "clienttoolbox")
TITLES: Final[dict[Backend, str]] = {
    "loyaltydog": "LoyaltyDog",
    "leal": "Leal",
    "clienttoolbox": "ClientToolbox",
}
#: The config key each back-end's secret is filed under in the keyring (what Credentials asks).
ACCOUNT_KEYS: Final[dict[Backend, str]] = {
    "loyaltydog": "username",
    "leal": "account_id",
    "clienttoolbox": "user_id",
}
#: A test that hangs must not keep the button busy forever: the retries end well before this.
TEST_TIMEOUT_S: Final = 30.0
#: Settings read only at start-up; changing them is followed by "restart Tillcard".
RESTART_SECTIONS: Final = ("terminal", "scanner", "policy", "receipts", "sync", *BACKENDS)

#: Local rules on top of theme.qss: a field pydantic refused, and the test result lines.
EXTRA_STYLE: Final = """
QDialog#settingsDialog QLineEdit[invalid="true"], QDialog#settingsDialog QSpinBox[invalid="true"],
QDialog#settingsDialog QComboBox[invalid="true"] { border: 3px solid #a40e26; }
QDialog#settingsDialog QLabel[role="result"] { font-size: 18pt; padding: 4px 10px; }
QDialog#settingsDialog QLabel[role="result"][tone="busy"] { color: #0a3069; background: #ddf4ff; }
QDialog#settingsDialog QLabel[role="result"][tone="ok"] { color: #0f5323; background: #dafbe1; }
QDialog#settingsDialog QLabel[role="result"][tone="error"] { color: #82071e; background: #ffebe9;
    font-weight: 700; }
QDialog#settingsDialog QLabel[role="note"] { font-size: 15pt; color: #6f4a00; }
"""

#: Human names of the fields, for the list of problems (keyed by pydantic's error location).
FIELD_NAMES: Final[dict[tuple[str, ...], str]] = {
    ("terminal", "id"): "Terminal id",
    ("terminal", "currency"): "Currency",
    ("terminal", "shop_name"): "Shop name",
    ("terminal", "decimal_separator"): "Decimal separator",
    ("loyaltydog", "base_url"): "LoyaltyDog base URL",
    ("loyaltydog", "program_id"): "LoyaltyDog program id",
    ("loyaltydog", "username"): "LoyaltyDog username",
    ("leal", "base_url"): "Leal base URL",
    ("leal", "account_id"): "Leal account id",
    ("clienttoolbox", "base_url"): "ClientToolbox base URL",
    ("clienttoolbox", "account_id"): "ClientToolbox account id",
    ("clienttoolbox", "user_id"): "ClientToolbox user id",
    ("clienttoolbox", "campaign_ids"): "ClientToolbox campaign ids",
    ("policy", "patience_seconds"): "Patience",
    ("policy", "redeem", "per_transaction_cap"): "Per-transaction cap",
    ("policy", "redeem", "terminal_cap"): "Terminal cap",
    ("policy", "redeem", "max_card_age_hours"): "Max card age",
    ("policy", "refund", "cashier_minutes"): "Cashier undo window",
    ("policy", "refund", "max_age_days"): "No undo after",
    ("scanner", "max_gap_ms"): "Scanner max gap",
    ("scanner", "min_length"): "Scanner min length",
    ("scanner", "prefix"): "Scanner prefix",
    ("scanner", "suffix"): "Scanner suffix",
    ("receipts", "printer"): "Printer",
    ("receipts", "footer"): "Receipt footer",
}
#: Which widget shows a field's problem (and which tab to turn to).
FIELD_WIDGETS: Final[dict[tuple[str, ...], str]] = {
    ("terminal", "id"): "terminalIdEdit",
    ("terminal", "currency"): "currencyEdit",
    ("terminal", "shop_name"): "shopNameEdit",
    ("loyaltydog", "base_url"): "loyaltydogUrlEdit",
    ("loyaltydog", "program_id"): "loyaltydogProgramEdit",
    ("loyaltydog", "username"): "loyaltydogUsernameEdit",
    ("leal", "base_url"): "lealUrlEdit",
    ("leal", "account_id"): "lealAccountEdit",
    ("clienttoolbox", "base_url"): "clienttoolboxUrlEdit",
    ("clienttoolbox", "account_id"): "clienttoolboxAccountEdit",
    ("clienttoolbox", "user_id"): "clienttoolboxUserEdit",
    ("clienttoolbox", "campaign_ids"): "clienttoolboxCampaignsEdit",
    ("policy", "redeem", "per_transaction_cap"): "perTransactionCapEdit",
    ("policy", "redeem", "terminal_cap"): "terminalCapEdit",
    ("scanner", "prefix"): "prefixEdit",
    ("scanner", "suffix"): "suffixEdit",
    ("receipts", "printer"): "printerCombo",
    ("receipts", "footer"): "footerEdit",
}
MODE_LABELS: Final[dict[OnlineMode, str]] = {
    OnlineMode.REQUIRE_ONLINE: "Only online",
    OnlineMode.PREFER_ONLINE: "Online, offline within limits",
    OnlineMode.ALLOW_OFFLINE: "Offline within limits at once",
}
PAPER_LABELS: Final[dict[PaperWidth, str]] = {
    PaperWidth.MM58: "58 mm roll",
    PaperWidth.MM80: "80 mm roll",
    PaperWidth.A4: "A4 sheet",
}
DEFAULT_PRINTER_TEXT: Final = "(the system's default printer)"


def _problem_text(message: str) -> str:
    """Pydantic prefixes our own sentences with "Value error, "; the store owner needs not."""
    return message.removeprefix("Value error, ")


def _describe(loc: tuple[int | str, ...], message: str) -> str:
    """One problem as "Field: sentence", with the field's name as the form shows it."""
    path = tuple(str(part) for part in loc)
    field = next((path[:n] for n in range(len(path), 0, -1) if path[:n] in FIELD_NAMES), path)
    return f"{FIELD_NAMES.get(field, '.'.join(path))}: {_problem_text(message)}"


def available_printers() -> list[str]:
    """The printers the OS lists; none on a till without a print system (or offscreen)."""
    try:
        from PySide6.QtPrintSupport import QPrinterInfo

        return [info.printerName() for info in QPrinterInfo.availablePrinters()]
    except Exception:  # printing support missing must not stop Settings from opening
        log.info("no printer list: QtPrintSupport is not usable here")
        return []


class SettingsDialog(ViewDialog):
    """The settings window; ``save()`` and ``test_connection()`` are what its buttons call."""

    def __init__(
        self,
        parent: QWidget | None,
        *,
        config: AppConfig | None,
        config_file: Path,
        on_saved: Callable[[AppConfig], None] | None = None,
    ) -> None:
        super().__init__("settings_dialog.ui", parent)
        dialog = self.dialog
        self._original = config
        self._base = config if config is not None else AppConfig()
        self._config_file = config_file
        self._on_saved = on_saved
        self._tests: dict[Backend, asyncio.Task[bool]] = {}
        self.saved_config: AppConfig | None = None
        dialog.setStyleSheet((stylesheet() if parent is None else "") + EXTRA_STYLE)

        self.tabs = self._child(QTabWidget, "sectionTabs")
        self.backend_tabs = self._child(QTabWidget, "backendTabs")
        self.status_label = self._child(QLabel, "statusLabel")
        self.restart_label = self._child(QLabel, "restartLabel")
        self.save_button = self._child(QPushButton, "saveButton")
        self.cancel_button = self._child(QPushButton, "cancelButton")
        self.save_button.setDefault(True)
        self.status_label.hide()
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(dialog.reject)
        QShortcut(QKeySequence.StandardKey.Save, dialog, self.save)
        if config is None:
            dialog.setWindowTitle("Set up this till")

        for combo_name in (
            "redeemModeCombo",
            "stampModeCombo",
            "rewardModeCombo",
            "refundModeCombo",
        ):
            combo = self._child(QComboBox, combo_name)
            combo.clear()
            for mode, text in MODE_LABELS.items():
                combo.addItem(text, mode.value)
        paper = self._child(QComboBox, "paperCombo")
        paper.clear()
        for width, text in PAPER_LABELS.items():
            paper.addItem(text, width.value)
        printer = self._child(QComboBox, "printerCombo")
        printer.clear()
        printer.addItem(DEFAULT_PRINTER_TEXT, "")
        for name in available_printers():
            printer.addItem(name, name)
        printer.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        for backend in BACKENDS:
            button = self._child(QPushButton, f"{backend}TestButton")
            button.clicked.connect(lambda _=False, b=backend: self.test_connection(b))
            result = self._child(QLabel, f"{backend}ResultLabel")
            result.setProperty("role", "result")
            result.hide()
            self._child(QLabel, f"{backend}SecretNote").setProperty("role", "note")
            self._child(QCheckBox, f"{backend}EnabledCheck").toggled.connect(
                lambda _on, b=backend: self._refresh_backend(b)
            )
            # The keyring entry is filed under the account: say again whether one is stored.
            self._child(QLineEdit, self._account_field(backend)).editingFinished.connect(
                self._refresh_secret_notes
            )
        self._fill(self._base)

    # --- what callers use -------------------------------------------------------------------

    def form_data(self) -> dict[str, Any]:
        """The widgets as TOML-shaped data, on top of what the form does not show."""
        data = self._base.model_dump(mode="json", exclude_none=True)
        data["terminal"] = data.get("terminal", {}) | {
            "id": self._text("terminalIdEdit"),
            "shop_name": self._text("shopNameEdit"),
            "currency": self._text("currencyEdit").upper(),
            "decimal_separator": self._child(QComboBox, "decimalSeparatorCombo").currentText(),
        }
        for backend in BACKENDS:
            section = self._backend_section(backend, keep=data.get(backend, {}))
            if section is None:
                data.pop(backend, None)
            else:
                data[backend] = section
        policy = data.setdefault("policy", {})
        policy["patience_seconds"] = self._number("patienceSpin")
        policy["redeem"] = policy.get("redeem", {}) | {
            "mode": self._mode("redeemModeCombo"),
            "per_transaction_cap": self._text("perTransactionCapEdit"),
            "terminal_cap": self._text("terminalCapEdit"),
            "max_card_age_hours": self._number("maxCardAgeSpin"),
        }
        policy["stamp"] = policy.get("stamp", {}) | {"mode": self._mode("stampModeCombo")}
        policy["redeem_reward"] = policy.get("redeem_reward", {}) | {
            "mode": self._mode("rewardModeCombo")
        }
        policy["refund"] = policy.get("refund", {}) | {
            "mode": self._mode("refundModeCombo"),
            "cashier_minutes": self._number("refundMinutesSpin"),
            "max_age_days": self._number("refundMaxAgeSpin"),
        }
        data["scanner"] = data.get("scanner", {}) | {
            "max_gap_ms": self._number("maxGapSpin"),
            "min_length": self._number("minLengthSpin"),
            "prefix": self._child(QLineEdit, "prefixEdit").text(),
            "suffix": self._child(QLineEdit, "suffixEdit").text(),
        }
        data["receipts"] = data.get("receipts", {}) | {
            "paper": self._child(QComboBox, "paperCombo").currentData(),
            "printer": self._printer_name(),
            "footer": self._child(QLineEdit, "footerEdit").text(),
            "print_after_operation": self._child(QCheckBox, "printAfterCheck").isChecked(),
        }
        return data

    def save(self) -> bool:
        """Validate, then write the file and the typed secrets; False (nothing saved) if not.

        Secrets are checked for a keyring before the file is written, so a till without one
        never ends up with a saved file that names an account whose secret went nowhere.
        """
        data = self.form_data()
        problems = self._problems(data)
        if problems:
            self._show_status("Nothing was saved. Please correct:\n" + "\n".join(problems), "error")
            return False
        try:
            config = parse_config(data, source="These settings")
        except ConfigError as exc:
            self._show_status(f"Nothing was saved. {exc}", "error")
            return False
        if not config.enabled_backends():
            self._show_status(
                "Nothing was saved. Turn on at least one back-end (Back-ends tab); "
                "to try Tillcard without accounts, start it in training mode.",
                "error",
            )
            return False
        secrets = self._typed_secrets()
        if secrets and not keyring_available():
            first = next(iter(secrets))
            self._show_status(
                f"Nothing was saved. {no_keyring_message(first)} Then clear the secret "
                "fields and save again.",
                "error",
            )
            return False
        try:
            write_config(config, self._config_file)
            for backend, secret in secrets.items():
                save_secret(backend, self._account(config, backend), secret)
        except (ConfigError, KeyringUnavailable) as exc:
            self._show_status(str(exc), "error")
            return False
        for backend in secrets:
            self._child(QLineEdit, f"{backend}SecretEdit").clear()
        self._base = config
        self.saved_config = config
        self._refresh_secret_notes()
        self._show_status(self._saved_text(config, secrets), "ok")
        log.info("settings saved to %s", self._config_file)
        if self._on_saved is not None:
            self._on_saved(config)
        return True

    def test_connection(self, backend: Backend) -> asyncio.Task[bool]:
        """Build ``backend``'s client from the page as it is now and run its ``check()``.

        The secret typed on the page is used if there is one (it is not saved by testing);
        otherwise the one the till would use (environment, then keyring). The task's result
        says whether the back-end accepted; the page shows the back-end's own sentence.
        """
        previous = self._tests.get(backend)
        if previous is not None and not previous.done():
            return previous
        task = asyncio.ensure_future(self._run_test(backend))
        self._tests[backend] = task
        return task

    # --- filling the form -------------------------------------------------------------------

    def _fill(self, config: AppConfig) -> None:
        terminal = config.terminal
        self._child(QLineEdit, "terminalIdEdit").setText(terminal.id)
        self._child(QLineEdit, "shopNameEdit").setText(terminal.shop_name)
        self._child(QLineEdit, "currencyEdit").setText(terminal.currency)
        self._select_text("decimalSeparatorCombo", terminal.decimal_separator)
        sections: dict[Backend, Mapping[str, Any] | None] = {
            "loyaltydog": config.loyaltydog.model_dump(mode="json") if config.loyaltydog else None,
            "leal": config.leal.model_dump(mode="json") if config.leal else None,
            "clienttoolbox": (
                config.clienttoolbox.model_dump(mode="json") if config.clienttoolbox else None
            ),
        }
        for backend, section in sections.items():
            values = dict(section or {})
            self._child(QCheckBox, f"{backend}EnabledCheck").setChecked(
                bool(section and section.get("enabled", True))
            )
            self._child(QLineEdit, f"{backend}UrlEdit").setText(str(values.get("base_url", "")))
            for name, key in self._id_fields(backend).items():
                value = values.get(key, "")
                text = ", ".join(value) if isinstance(value, list) else str(value)
                self._child(QLineEdit, name).setText(text)
            self._child(QLineEdit, f"{backend}SecretEdit").clear()
            self._refresh_backend(backend)
        default_urls = {
            "loyaltydog": "https://api.loyalty.dog",
            "leal": "https://app.getleal.com",
            "clienttoolbox": "https://api.clienttoolbox.com",
        }
        for name, url in default_urls.items():
            edit = self._child(QLineEdit, f"{name}UrlEdit")
            if not edit.text():
                edit.setText(url)
        policy = config.policy
        self._child(QSpinBox, "patienceSpin").setValue(policy.patience_seconds)
        self._select_data("redeemModeCombo", policy.redeem.mode.value)
        self._child(QLineEdit, "perTransactionCapEdit").setText(
            f"{policy.redeem.per_transaction_cap:.2f}"
        )
        self._child(QLineEdit, "terminalCapEdit").setText(f"{policy.redeem.terminal_cap:.2f}")
        self._child(QSpinBox, "maxCardAgeSpin").setValue(policy.redeem.max_card_age_hours)
        self._select_data("stampModeCombo", policy.stamp.mode.value)
        self._select_data("rewardModeCombo", policy.redeem_reward.mode.value)
        self._select_data("refundModeCombo", policy.refund.mode.value)
        self._child(QSpinBox, "refundMinutesSpin").setValue(policy.refund.cashier_minutes)
        self._child(QSpinBox, "refundMaxAgeSpin").setValue(policy.refund.max_age_days)
        scanner = config.scanner
        self._child(QSpinBox, "maxGapSpin").setValue(scanner.max_gap_ms)
        self._child(QSpinBox, "minLengthSpin").setValue(scanner.min_length)
        self._child(QLineEdit, "prefixEdit").setText(scanner.prefix)
        self._child(QLineEdit, "suffixEdit").setText(scanner.suffix)
        receipts = config.receipts
        self._select_data("paperCombo", receipts.paper.value)
        printer = self._child(QComboBox, "printerCombo")
        if not receipts.printer:
            printer.setCurrentIndex(0)
        else:
            index = printer.findData(receipts.printer)
            if index < 0:  # a printer not connected now: keep its name, it may come back
                printer.addItem(receipts.printer, receipts.printer)
                index = printer.count() - 1
            printer.setCurrentIndex(index)
        self._child(QLineEdit, "footerEdit").setText(receipts.footer)
        self._child(QCheckBox, "printAfterCheck").setChecked(receipts.print_after_operation)
        self._refresh_secret_notes()

    @staticmethod
    def _id_fields(backend: Backend) -> dict[str, str]:
        """Widget name -> config key of a back-end's account fields (besides URL and secret)."""
        return {
            "loyaltydog": {
                "loyaltydogProgramEdit": "program_id",
                "loyaltydogUsernameEdit": "username",
            },
            "leal": {"lealAccountEdit": "account_id"},
            "clienttoolbox": {
                "clienttoolboxAccountEdit": "account_id",
                "clienttoolboxUserEdit": "user_id",
                "clienttoolboxCampaignsEdit": "campaign_ids",
            },
        }[backend]

    def _refresh_backend(self, backend: Backend) -> None:
        """A back-end switched off keeps its ids (saved as ``enabled = false``) but greys out."""
        enabled = self._child(QCheckBox, f"{backend}EnabledCheck").isChecked()
        for name in (f"{backend}UrlEdit", *self._id_fields(backend), f"{backend}SecretEdit"):
            self._child(QLineEdit, name).setEnabled(enabled)
        self._child(QPushButton, f"{backend}TestButton").setEnabled(enabled)

    def _refresh_secret_notes(self) -> None:
        """Say where the secret comes from: environment (wins), keyring, or nowhere yet."""
        have_keyring = keyring_available()
        for backend in BACKENDS:
            note = self._child(QLabel, f"{backend}SecretNote")
            edit = self._child(QLineEdit, f"{backend}SecretEdit")
            account = self._account_on_page(backend)
            env = ENV_VARS[backend]
            if os.environ.get(env):
                text = (
                    f"{env} is set for this till and is used instead of the keyring: "
                    "change it there."
                )
                edit.setPlaceholderText("from the environment")
            elif not have_keyring:
                text = f"No system keyring on this computer: set {env} instead."
                edit.setPlaceholderText("no keyring on this computer")
            elif has_secret(backend, account):
                text = ""
                edit.setPlaceholderText("stored in the keyring; type to replace")
            else:
                text = f"No {LABELS[backend]} is stored yet."
                edit.setPlaceholderText("not stored yet")
            note.setText(text)
            note.setVisible(bool(text))

    # --- reading the form -------------------------------------------------------------------

    def _backend_section(self, backend: Backend, keep: Mapping[str, Any]) -> dict[str, Any] | None:
        """The section as typed; None (left out: disabled) when off and nothing was entered."""
        enabled = self._child(QCheckBox, f"{backend}EnabledCheck").isChecked()
        section: dict[str, Any] = dict(keep)
        section["enabled"] = enabled
        section["base_url"] = self._text(f"{backend}UrlEdit")
        typed_any = False
        for name, key in self._id_fields(backend).items():
            text = self._text(name)
            typed_any = typed_any or bool(text)
            if key == "campaign_ids":
                section[key] = [
                    part.strip() for part in text.replace(";", ",").split(",") if part.strip()
                ]
            else:
                section[key] = text
        if not enabled and not typed_any:
            return None
        return section

    def _typed_secrets(self) -> dict[Backend, str]:
        """Secrets typed for back-ends that are in the file (an empty field keeps the stored)."""
        typed: dict[Backend, str] = {}
        for backend in BACKENDS:
            secret = self._child(QLineEdit, f"{backend}SecretEdit").text()
            if secret and self._child(QCheckBox, f"{backend}EnabledCheck").isChecked():
                typed[backend] = secret
        return typed

    def _account_field(self, backend: Backend) -> str:
        key = ACCOUNT_KEYS[backend]
        return next(n for n, k in self._id_fields(backend).items() if k == key)

    def _account_on_page(self, backend: Backend) -> str:
        return self._text(self._account_field(backend))

    @staticmethod
    def _account(config: AppConfig, backend: Backend) -> str:
        section = getattr(config, backend)
        return str(getattr(section, ACCOUNT_KEYS[backend]))

    def _problems(self, data: dict[str, Any]) -> list[str]:
        """Pydantic's problems as "Field: sentence" lines; the fields get a red frame."""
        for name in FIELD_WIDGETS.values():
            self._mark(name, "")
        try:
            AppConfig.model_validate(data)
        except ValidationError as exc:
            lines: list[str] = []
            first_widget: str | None = None
            for error in exc.errors():
                loc = tuple(str(part) for part in error["loc"])
                field = next(
                    (loc[:n] for n in range(len(loc), 0, -1) if loc[:n] in FIELD_NAMES), loc
                )
                text = _problem_text(error["msg"])
                lines.append(f"{FIELD_NAMES.get(field, '.'.join(loc))}: {text}")
                widget = FIELD_WIDGETS.get(field)
                if widget is not None:
                    self._mark(widget, text)
                    first_widget = first_widget or widget
            if first_widget is not None:
                self._reveal(first_widget)
            return lines
        return []

    def _saved_text(self, config: AppConfig, secrets: Mapping[Backend, str]) -> str:
        parts = [f"Saved to {self._config_file}."]
        if secrets:
            names = ", ".join(LABELS[b] for b in secrets)
            parts.append(f"{names} saved in the keyring: in use from now on.")
        before = self._original
        if before is None:
            parts.append("Tillcard starts with these settings.")
        elif any(getattr(before, name) != getattr(config, name) for name in RESTART_SECTIONS):
            parts.append("Restart Tillcard for the other changes to take effect.")
        return " ".join(parts)

    # --- test connection --------------------------------------------------------------------

    async def _run_test(self, backend: Backend) -> bool:
        from pos_app.providers.errors import BackendError
        from pos_app.providers.factory import build_backends

        result = self._child(QLabel, f"{backend}ResultLabel")
        button = self._child(QPushButton, f"{backend}TestButton")
        data = self.form_data()
        section = data.get(backend) or {}
        only = {"terminal": data["terminal"], backend: section | {"enabled": True}}
        try:
            config = AppConfig.model_validate(only)
        except ValidationError as exc:
            lines = [_describe(error["loc"], error["msg"]) for error in exc.errors()]
            self._show_result(result, "Cannot test yet: " + "; ".join(lines), "error")
            return False
        secret = self._child(QLineEdit, f"{backend}SecretEdit").text()
        credentials = Credentials({backend: secret} if secret else None)
        self._show_result(result, f"Asking {TITLES[backend]}…", "busy")
        button.setEnabled(False)
        backends = build_backends(config, credentials)
        ok = False
        try:
            client = backends.enabled()[0]
            async with asyncio.timeout(TEST_TIMEOUT_S):
                await client.check()
        except BackendError as exc:
            text = f"{TITLES[backend]}: {exc}"
        except TimeoutError:
            text = f"{TITLES[backend]} did not answer within {TEST_TIMEOUT_S:.0f} seconds."
        else:
            ok = True
            text = f"{TITLES[backend]} answered: connection and credentials are good."
        finally:
            await backends.aclose()
        log.info("settings: %s connection test %s", backend, "ok" if ok else "failed")
        if not self._closed:
            self._show_result(result, text, "ok" if ok else "error")
            button.setEnabled(self._child(QCheckBox, f"{backend}EnabledCheck").isChecked())
        return ok

    # --- small helpers ----------------------------------------------------------------------

    def _initial_focus(self) -> QWidget:
        return self._child(QLineEdit, "terminalIdEdit")

    def _text(self, name: str) -> str:
        return self._child(QLineEdit, name).text().strip()

    def _number(self, name: str) -> int:
        return self._child(QSpinBox, name).value()

    def _mode(self, name: str) -> str:
        return str(self._child(QComboBox, name).currentData())

    def _printer_name(self) -> str:
        combo = self._child(QComboBox, "printerCombo")
        text = combo.currentText().strip()
        if text == DEFAULT_PRINTER_TEXT:
            return ""
        index = combo.findText(text)
        return str(combo.itemData(index)) if index >= 0 else text

    def _select_text(self, name: str, text: str) -> None:
        combo = self._child(QComboBox, name)
        combo.setCurrentIndex(max(combo.findText(text), 0))

    def _select_data(self, name: str, value: str) -> None:
        combo = self._child(QComboBox, name)
        combo.setCurrentIndex(max(combo.findData(value), 0))

    def _mark(self, name: str, problem: str) -> None:
        widget = self._dialog.findChild(QWidget, name)
        if widget is None:
            return
        widget.setProperty("invalid", bool(problem))
        widget.setToolTip(problem or widget.accessibleName())
        self._repolish(widget)

    def _reveal(self, name: str) -> None:
        """Turn to the tab holding the first refused field and put the cursor in it."""
        widget = self._dialog.findChild(QWidget, name)
        if widget is None:
            return
        for tabs in (self.tabs, self.backend_tabs):
            for index in range(tabs.count()):
                page = tabs.widget(index)
                if page is not None and page.isAncestorOf(widget):
                    tabs.setCurrentIndex(index)
        widget.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_status(self, text: str, tone: str) -> None:
        """The status line takes room only when it says something (the tabs need the height)."""
        self.status_label.setText(text)
        self.status_label.setVisible(bool(text))
        self.status_label.setProperty("tone", tone)
        self._repolish(self.status_label)

    def _show_result(self, label: QLabel, text: str, tone: str) -> None:
        label.setText(text)
        label.setVisible(bool(text))
        label.setProperty("tone", tone)
        self._repolish(label)

    @staticmethod
    def _repolish(widget: QWidget) -> None:
        widget.style().unpolish(widget)
        widget.style().polish(widget)

    def _on_finished(self, result: int) -> None:
        super()._on_finished(result)
        for task in self._tests.values():
            if not task.done():
                task.cancel()
