"""The GUI half of the security proof, inside a real ``pos-app`` process with known secrets.

``python -m tests.reliability.secret_session PLAN REPORT STOP -- --config C --data-dir D -v``
runs the cashier window unchanged (secrets from the ``POS_APP_*`` environment, as a headless
till gets them), hooked in as ``scripted_cashier`` does. Once the screen is wired it: looks a
card up and redeems from it; makes the app write two crash reports whose exceptions carry a
secret and the card's number (a failed screen task, and the exception hook); grabs the main
window and every Settings tab, with secrets typed in, as PNG files in the data folder; and saves
Settings (the secrets go to an in-memory keyring, as CI has no OS keyring). REPORT, outside the
data folder, lists what was visible. The till stays up, journal open, until the test creates
STOP, so the test reads the files of a running till (the SQLite WAL included).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

import keyring
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QTabWidget,
    QTextEdit,
    QWidget,
)

from pos_app.credentials import ENV_VARS
from pos_app.gui.settings_dialog import BACKENDS, SettingsDialog
from pos_app.gui.shift_desk import ShiftDesk
from tests.gui.conftest import eventually
from tests.gui.counter import Counter
from tests.reliability.scripted_cashier import run_app
from tests.test_credential_store import MemoryKeyring


def visible_texts(root: QWidget | None = None) -> list[tuple[str, str]]:
    """Every text a screenshot could show: (widget name, text), visible widgets only.

    A field in Password echo mode shows bullets, never its text, so only its placeholder counts.
    """
    widgets = QApplication.allWidgets() if root is None else [root, *root.findChildren(QWidget)]
    texts: list[tuple[str, str]] = []
    for widget in widgets:
        if not widget.isVisible():
            continue
        name = widget.objectName() or type(widget).__name__
        shown = [widget.toolTip()]
        if widget.isWindow():
            shown.append(widget.windowTitle())
        if isinstance(widget, QLabel | QAbstractButton):
            shown.append(widget.text())
        elif isinstance(widget, QLineEdit):
            shown.append(widget.placeholderText())
            if widget.echoMode() is QLineEdit.EchoMode.Normal:
                shown.append(widget.text())
        elif isinstance(widget, QTextEdit | QPlainTextEdit):
            shown.append(widget.toPlainText())
        elif isinstance(widget, QComboBox):
            shown.append(widget.currentText())
        elif isinstance(widget, QAbstractItemView) and widget.model() is not None:
            model = widget.model()
            for row in range(min(model.rowCount(QModelIndex()), 200)):
                column = 0
                while (cell := model.index(row, column)).isValid():
                    shown.append(str(model.data(cell) or ""))
                    column += 1
        texts += [(name, text) for text in shown if text]
    return texts


def renders_text(edit: QLineEdit, first: str, second: str) -> bool:
    """Whether two texts of one length look different in ``edit``: False, it is not drawn."""
    images: list[QImage] = []
    for text in (first, second):
        edit.clear()
        QTest.keyClicks(edit, text)
        edit.clearFocus()  # no blinking cursor in the picture
        images.append(edit.grab().toImage())
    return images[0] != images[1]


class SecretSession:
    """The scripted session; ``report`` collects what the test checks."""

    def __init__(self, counter: Counter, plan: dict[str, Any], report: Path, stop: Path) -> None:
        self.counter = counter
        self.plan = plan
        self.report_path = report
        self.stop = stop
        self.shots = Path(plan["screenshots"])
        self.report: dict[str, Any] = {"texts": {}, "shots": []}

    async def run(self) -> None:
        try:
            await self.sign_in()
            await self.cashier_work()
            await self.crash_reports()
            self.shoot(self.counter.view.window, "main-window")
            await self.settings()
            self.report["state"] = "ready"
        except BaseException:
            self.report["state"] = "failed"
            self.report["error"] = traceback.format_exc()
        self._write()
        try:
            if self.report["state"] == "ready":
                while not self.stop.exists():
                    await asyncio.sleep(0.1)
        finally:
            self.counter.view.window.close()

    async def sign_in(self) -> None:
        """Staff exist on this till, so it opens locked: the manager signs in with the PIN."""
        desk = self.counter.view.window.findChild(ShiftDesk)
        assert isinstance(desk, ShiftDesk)
        await eventually(lambda: desk.sign_in_dialog is not None and desk.sign_in_dialog.is_open)
        dialog = desk.sign_in_dialog
        assert dialog is not None
        line = dialog.name_input.lineEdit()
        assert line is not None
        QTest.keyClicks(line, self.plan["manager"])
        pin = self.plan["pin"]
        self.report["pin_field"] = {
            "echo": dialog.pin_input.echoMode().name,
            "drawn": renders_text(dialog.pin_input, pin, "0" * len(pin)),
        }
        dialog.pin_input.clear()
        QTest.keyClicks(dialog.pin_input, pin)
        self.shoot(dialog.dialog, "sign-in")
        QTest.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
        await eventually(lambda: self.counter.core.cashier is not None)

    async def cashier_work(self) -> None:
        counter = self.counter
        result = await counter.look_up(self.plan["card"])
        assert result.matches, result.summary()
        await counter.shortcut(Qt.Key.Key_F2)
        amount = counter.dialog_widget(QLineEdit, "amountInput")
        QTest.keyClicks(amount, "1.00")
        done = await counter.act(lambda: QTest.keyClick(amount, Qt.Key.Key_Return))
        assert done.ok, done.message
        counter.press(Qt.Key.Key_Escape)

    async def crash_reports(self) -> None:
        """Two unexpected exceptions, each carrying a secret in use and the card's number."""
        card = self.plan["card"]
        password = os.environ[ENV_VARS["loyaltydog"]]
        token = os.environ[ENV_VARS["leal"]]

        async def broken_task() -> None:
            raise RuntimeError(f"LoyaltyDog said no to password {password} for card {card}")

        self.counter.screen.spawn(broken_task())
        await asyncio.sleep(0.1)
        try:
            raise ValueError(f"Leal rejected Bearer {token} while card {card} was shown")
        except ValueError:
            sys.excepthook(*sys.exc_info())
        boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
        self.report["crash_messages"] = [box.text() for box in boxes if box.isVisible()]
        for box in boxes:
            self.shoot(box, "crash-message")
            box.close()

    async def settings(self) -> None:
        """Secrets typed into Settings: never drawn, never in a file, saved to the keyring."""
        keyring.set_keyring(MemoryKeyring())
        till = self.counter.core
        dialog = SettingsDialog(
            self.counter.view.window,
            config=till.config,
            config_file=Path(self.plan["config_file"]),
            on_saved=None,
        )
        dialog.open()
        typed: dict[str, str] = self.plan["typed"]
        drawn = {}
        for backend in BACKENDS:
            edit = dialog.dialog.findChild(QLineEdit, f"{backend}SecretEdit")
            assert isinstance(edit, QLineEdit)
            secret = typed[backend]
            other = "x" * len(secret)
            drawn[backend] = {
                "echo": edit.echoMode().name,
                "drawn": renders_text(edit, secret, other),
            }
            edit.setEchoMode(QLineEdit.EchoMode.Normal)  # the control: a shown text is seen
            drawn[backend]["drawn_when_shown"] = renders_text(edit, secret, other)
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.clear()
            QTest.keyClicks(edit, secret)
        self.report["settings_fields"] = drawn
        tabs = dialog.dialog.findChild(QTabWidget, "backendTabs")
        sections = dialog.dialog.findChild(QTabWidget, "sectionTabs")
        assert isinstance(tabs, QTabWidget)
        assert isinstance(sections, QTabWidget)
        pages = [sections.widget(i) for i in range(sections.count())]
        sections.setCurrentWidget(next(p for p in pages if p is not None and p.isAncestorOf(tabs)))
        for index in range(tabs.count()):
            tabs.setCurrentIndex(index)
            await asyncio.sleep(0.05)
            secret_field = dialog.dialog.findChild(QLineEdit, f"{BACKENDS[index]}SecretEdit")
            assert isinstance(secret_field, QLineEdit)
            assert secret_field.isVisible(), "the screenshot shows the field with the secret"
            self.shoot(dialog.dialog, f"settings-{BACKENDS[index]}")
        QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        await eventually(lambda: "Saved to" in dialog.status_label.text())
        self.report["settings_status"] = dialog.status_label.text()
        self.shoot(dialog.dialog, "settings-saved")
        self.report["keyring"] = sorted(
            service
            for (service, _account) in keyring.get_keyring().entries  # type: ignore[attr-defined]
        )
        dialog.close()

    def shoot(self, widget: QWidget, name: str) -> None:
        """A screenshot as a PNG in the data folder, and the texts it shows."""
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{name}.png"
        assert widget.grab().save(str(path), "PNG"), path
        self.report["shots"].append(str(path))
        self.report["texts"][name] = visible_texts(widget)

    def _write(self) -> None:
        partial = self.report_path.with_suffix(".partial")
        partial.write_text(json.dumps(self.report), encoding="utf-8")
        os.replace(partial, self.report_path)


def main(argv: list[str]) -> int:
    plan, report, stop, *rest = argv
    settings = json.loads(Path(plan).read_text(encoding="utf-8"))
    return run_app(
        rest, lambda counter: SecretSession(counter, settings, Path(report), Path(stop)).run()
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
