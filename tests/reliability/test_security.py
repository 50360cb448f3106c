"""Security, in one suite an auditor can read top to bottom (docs/reliability.md, "Security").

One session with known secrets runs the way a shop runs Tillcard: ``pos-app`` commands with the
secrets in ``POS_APP_*`` variables (lookups, redemptions, a stamp, sync, a failed login, the
manager's PIN), then the cashier window (``secret_session``: a manager signs in, a redemption,
two crash reports, Settings with new secrets typed in and saved, screenshots of it all). Every
byte the till wrote is then searched for the secrets and the card numbers, while the window
still runs (SQLite's WAL included) and after it has closed. The other promises follow: TLS
cannot be switched off, the sandbox stays on loopback, PIN guessing is locked out across
processes, and the files are the user's only.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import http.server
import ipaddress
import json
import logging
import logging.handlers
import os
import re
import ssl
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pos_app.config import load_config
from pos_app.credentials import ENV_VARS, Backend, Credentials
from pos_app.journal.database import JOURNAL_FILE
from pos_app.logs import LOG_FILE_NAME, setup_logging
from pos_app.providers.clienttoolbox import ClientToolboxClient
from pos_app.providers.errors import BackendError
from pos_app.providers.leal import LealClient
from pos_app.providers.loyaltydog import LoyaltyDogClient
from pos_app.sandbox.server import NonLoopbackRefused, make_server, running_sandbox
from pos_app.sandbox.state import Sandbox
from pos_app.training import sandbox_config
from tests.cli_tills import ANA_CODE, MAIN_CARD, POINTS, STORED_VALUE, Till, write_config

pytestmark = pytest.mark.reliability

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "pos_app"

# -- the known secrets: distinct, and found nowhere else --------------------------------------

#: What the till is given (the emulators are set to accept exactly these).
LOYALTYDOG_PASSWORD = "LDpw-sentinel-Q7x2Wm"
LEAL_TOKEN = "leal_sentinel_9f3b2c71d4e5a6b8"
CLIENTTOOLBOX_KEY = "ctbkeysentinel4b9a2d"
MANAGER = "Mia Manager"
MANAGER_PIN = "73915824"
#: A failed login's wrong secrets are secrets too (often a typo of the real one).
WRONG: dict[Backend, str] = {
    "loyaltydog": "LDpw-wrong-Zk81Pq",
    "leal": "leal_wrong_0c1d2e3f4a5b",
    "clienttoolbox": "ctbkeywrong77e1c9",
}
#: Typed into Settings and saved: they must reach the keyring and nothing else.
TYPED: dict[Backend, str] = {
    "loyaltydog": "LDpw-typed-Hq55Rv",
    "leal": "leal_typed_5e6f7a8b9c0d",
    "clienttoolbox": "ctbkeytyped3c9d11",
}
SECRETS: dict[str, str] = {
    "LoyaltyDog password": LOYALTYDOG_PASSWORD,
    "Leal token": LEAL_TOKEN,
    "ClientToolbox API key": CLIENTTOOLBOX_KEY,
    "manager PIN": MANAGER_PIN,
    **{f"wrong {name} secret": value for name, value in WRONG.items()},
    **{f"{name} secret typed in Settings": value for name, value in TYPED.items()},
}
#: The cards the session uses, as printed on them (the Leal code is its card's barcode).
CARDS: dict[str, str] = {
    "LoyaltyDog gift card": MAIN_CARD,
    "Leal stamp card": ANA_CODE,
    "ClientToolbox gift card": STORED_VALUE,
    "ClientToolbox points card": POINTS,
    "ClientToolbox customer code": "4000123412341234",  # what the back-end calls that card
}
#: Where a full card number may be kept: the journal remembers which code found which card,
#: so an offline scan still finds it (docs/reliability.md says so).
JOURNAL_FILES = {JOURNAL_FILE, f"{JOURNAL_FILE}-wal", f"{JOURNAL_FILE}-shm"}


def forms(value: str) -> dict[str, bytes]:
    """The ways a string can sit in a file: as text, as Windows/Qt UTF-16, base64-encoded."""
    raw = value.encode()
    return {"utf-8": raw, "utf-16": value.encode("utf-16-le"), "base64": base64.b64encode(raw)}


def files_under(*roots: Path) -> dict[Path, bytes]:
    """Every regular file under ``roots``, read whole (a till's files are small)."""
    found = {}
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                with contextlib.suppress(FileNotFoundError):  # a lock or temp file just went
                    found[path] = path.read_bytes()
    return found


def holders(files: dict[Path, bytes], needles: dict[str, str]) -> dict[str, list[str]]:
    """Which files hold each needle, in any of its forms."""
    found: dict[str, list[str]] = {}
    for name, value in needles.items():
        for path, data in files.items():
            for form, raw in forms(value).items():
                if raw in data:
                    found.setdefault(name, []).append(f"{path} ({form})")
    return found


def whole(number: str) -> re.Pattern[bytes]:
    """A card number on its own, not inside a longer run of digits or letters (the campaign id
    55501234567890 is not the card 12345678)."""
    return re.compile(rb"(?<![0-9A-Za-z])" + re.escape(number.encode()) + rb"(?![0-9A-Za-z])")


def card_holders(files: dict[Path, bytes]) -> dict[str, list[Path]]:
    """Which files hold a whole card number, as UTF-8 or UTF-16 text."""
    found: dict[str, list[Path]] = {}
    for name, number in CARDS.items():
        for path, data in files.items():
            if whole(number).search(data) or number.encode("utf-16-le") in data:
                found.setdefault(name, []).append(path)
    return found


# -- the session -------------------------------------------------------------------------------


@dataclass
class Session:
    """What one session with the known secrets left behind."""

    data_dir: Path
    config_file: Path
    roots: list[Path]  # everything Tillcard may write to
    outputs: dict[str, str]  # what each command and the window printed
    exit_codes: dict[str, int]
    report: dict[str, Any]  # what the window's script saw
    running: dict[Path, bytes]  # the files while the window still ran
    stopped: dict[Path, bytes] = field(default_factory=dict)  # ... and once it had closed


def accept_secrets(sandbox: Sandbox) -> None:
    """The emulators accept the sentinel secrets, as the real back-ends would the shop's."""
    sandbox.loyaltydog.password = LOYALTYDOG_PASSWORD
    sandbox.leal.primary_token = LEAL_TOKEN
    sandbox.leal.tokens = {LEAL_TOKEN: frozenset({sandbox.leal.seed_summary()["account_id"]})}
    sandbox.clienttoolbox.api_key = CLIENTTOOLBOX_KEY


def secret_env(values: dict[Backend, str]) -> dict[str, str]:
    """Secrets where a headless till reads them: its ``POS_APP_*`` environment."""
    return {ENV_VARS[backend]: value for backend, value in values.items()}


def wait_for_report(path: Path, process: subprocess.Popen[bytes], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return json.loads(path.read_text(encoding="utf-8"))
        if process.poll() is not None:
            raise AssertionError(f"the window exited with {process.returncode} too early")
        time.sleep(0.1)
    raise AssertionError("the window's script did not finish in time")


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    """The session with known secrets, once for the whole module (about 8 s)."""
    base = tmp_path_factory.mktemp("secret-session")
    data_dir, config_dir = base / "data", base / "config"
    config_dir.mkdir(mode=0o700)
    given: dict[Backend, str] = {
        "loyaltydog": LOYALTYDOG_PASSWORD,
        "leal": LEAL_TOKEN,
        "clienttoolbox": CLIENTTOOLBOX_KEY,
    }
    outputs: dict[str, str] = {}
    exit_codes: dict[str, int] = {}
    with running_sandbox(seed=0) as (url, sandbox):
        accept_secrets(sandbox)
        config = write_config(url, sandbox, config_dir / "tillcard.toml")
        till = Till(config, data_dir, env=secret_env(given))

        def run(name: str, *args: str, **kwargs: Any) -> None:
            done = till.run(*args, **kwargs)
            outputs[name] = done.stdout + done.stderr
            exit_codes[name] = done.returncode

        pin_twice = f"{MANAGER_PIN}\n{MANAGER_PIN}\n"
        run("manager-pin", "manager-pin", MANAGER, stdin=pin_twice)
        run("lookup", "lookup", MAIN_CARD)
        run("redeem", "redeem", "-v", MAIN_CARD, "2.00")
        run("stamp", "stamp", ANA_CODE, "1")
        run("stored value", "redeem", STORED_VALUE, "1.00", "--provider", "clienttoolbox")
        run("points", "lookup", "-v", POINTS)
        run("failed login", "lookup", "-v", MAIN_CARD, env=secret_env(WRONG))
        run("sync", "sync", "--once")
        run("queue", "queue")

        plan, report_path, stop = base / "plan.json", base / "report.json", base / "stop"
        plan.write_text(
            json.dumps(
                {
                    "card": MAIN_CARD,
                    "manager": MANAGER,
                    "pin": MANAGER_PIN,
                    "typed": TYPED,
                    "config_file": str(config),
                    "screenshots": str(data_dir / "screenshots"),
                }
            ),
            encoding="utf-8",
        )
        window_log = base / "window.log"
        command = [sys.executable, "-m", "tests.reliability.secret_session"]
        command += [str(plan), str(report_path), str(stop), "--", "-v"]
        command += ["--config", str(config), "--data-dir", str(data_dir)]
        xdg = [Path(os.environ[name]) for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME")]
        with window_log.open("wb") as out:
            window = subprocess.Popen(
                command, cwd=ROOT, env=till.process_env(), stdout=out, stderr=subprocess.STDOUT
            )
        try:
            report = wait_for_report(report_path, window, timeout=90)
            roots = [data_dir, config_dir, *[p for p in xdg if p.exists()]]
            running = files_under(*roots)
            stop.touch()
            exit_codes["window"] = window.wait(timeout=30)
        finally:
            if window.poll() is None:
                window.kill()
                window.wait()
        outputs["window"] = window_log.read_text(encoding="utf-8", errors="replace")
        run("shift report", "report", "shift", env={"POS_APP_MANAGER_PIN": MANAGER_PIN})
    found = Session(data_dir, config, roots, outputs, exit_codes, report, running)
    found.stopped = files_under(*roots)
    return found


def test_the_session_really_used_every_secret_and_every_card(session: Session) -> None:
    """Not a vacuous search: the commands worked, the failed login failed, the window ran."""
    codes = session.exit_codes
    assert codes == codes | dict.fromkeys(
        ["manager-pin", "lookup", "redeem", "stamp", "stored value", "points", "sync"], 0
    ), session.outputs
    assert codes["failed login"] == 1, session.outputs["failed login"]
    assert "401" in session.outputs["failed login"] or "password" in session.outputs["failed login"]
    assert codes["window"] == 0, session.outputs["window"]
    assert session.report["state"] == "ready", session.report.get("error")
    assert codes["shift report"] == 0, session.outputs["shift report"]
    log = (session.data_dir / "logs" / LOG_FILE_NAME).read_text(encoding="utf-8")
    for said in ("unexpected error", "screen task failed", "Traceback", "[REDACTED]"):
        assert said in log, f"the log has no {said!r}: the crash reports were not written"
    assert {p.name for p in session.running} >= {JOURNAL_FILE, f"{JOURNAL_FILE}-wal"}


def test_no_secret_is_in_any_file_the_till_wrote(session: Session) -> None:
    """Journal (and its WAL while open), logs, crash reports, configuration, screenshots."""
    assert holders(session.running, SECRETS) == {}
    assert holders(session.stopped, SECRETS) == {}
    assert len(session.stopped) >= 8, sorted(map(str, session.stopped))


def test_no_secret_is_printed_on_the_terminal(session: Session) -> None:
    """``-v`` copies the log to the terminal: redacted the same way."""
    printed = {Path(name): text.encode() for name, text in session.outputs.items()}
    assert holders(printed, SECRETS) == {}


def test_card_numbers_are_masked_in_logs_and_kept_only_in_the_journal(session: Session) -> None:
    for files in (session.running, session.stopped):
        outside = {
            card: [path for path in places if path.name not in JOURNAL_FILES]
            for card, places in card_holders(files).items()
        }
        assert {card: places for card, places in outside.items() if places} == {}
    log = (session.data_dir / "logs" / LOG_FILE_NAME).read_text(encoding="utf-8")
    for card in CARDS.values():
        assert re.search(f"•••• ?{card[-4:]}", log), f"the log never mentions {card[-4:]}"
    printed = {Path(name): text.encode() for name, text in session.outputs.items()}
    assert card_holders(printed) == {}, "the terminal shows card numbers masked too"


def test_screenshots_never_show_a_secret(session: Session) -> None:
    """PIN and secret fields draw bullets (the same picture whatever was typed), and no text on
    screen holds a secret; a full card number shows only where the cashier typed it."""
    report = session.report
    assert report["pin_field"] == {"echo": "Password", "drawn": False}
    for backend, field_ in report["settings_fields"].items():
        assert field_ == {"echo": "Password", "drawn": False, "drawn_when_shown": True}, backend
    shots = [Path(p) for p in report["shots"]]
    assert {p.stem for p in shots} >= {"sign-in", "main-window", "settings-saved"}
    assert all(p.is_file() and p.parent.parent == session.data_dir for p in shots)
    for shot, texts in report["texts"].items():
        for widget, text in texts:
            for name, secret in SECRETS.items():
                assert secret not in text, f"{name} shown by {widget} in {shot}"
            for card in CARDS.values():
                if whole(card).search(text.encode()):
                    assert widget == "lookupInput", f"{card} shown by {widget} in {shot}"
    assert report["crash_messages"], "the exception hook showed its calm message"
    assert all("Something went wrong" in text for text in report["crash_messages"])


def test_settings_put_secrets_in_the_keyring_and_never_in_the_file(session: Session) -> None:
    report = session.report
    assert "Saved to" in report["settings_status"]
    assert report["keyring"] == ["Tillcard/clienttoolbox", "Tillcard/leal", "Tillcard/loyaltydog"]
    text = session.config_file.read_text(encoding="utf-8")
    assert "Secrets are not here" in text, "the file was rewritten by Settings"
    assert load_config(session.config_file).loyaltydog is not None


def test_the_tills_files_are_the_users_only(session: Session) -> None:
    """Folders 0o700; the journal (with its WAL and shared memory), logs, screenshots and the
    configuration 0o600. The lock files are empty: they say only that a process runs."""
    if os.name != "posix":
        pytest.skip("POSIX permissions")
    for folder in (session.data_dir, session.data_dir / "logs", session.config_file.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    for path, data in {**session.running, **session.stopped}.items():
        if session.data_dir not in path.parents and path != session.config_file:
            continue
        if path.parent.name == "screenshots":
            continue  # the test's own pictures, not the till's files
        if path.suffix == ".lock" and not data:
            continue
        with contextlib.suppress(FileNotFoundError):
            mode = stat.S_IMODE(path.stat().st_mode)
            assert mode & 0o077 == 0, f"{path} is {oct(mode)}"


def test_a_rotated_log_file_stays_the_users_only(tmp_path: Path) -> None:
    """Regression: the stock rotating handler re-created ``tillcard.log`` with the umask's mode
    (0o644) at each rotation; now every log file is created 0o600."""
    if os.name != "posix":
        pytest.skip("POSIX permissions")
    log_path = setup_logging(tmp_path)
    root = logging.getLogger()
    handler = next(h for h in root.handlers if getattr(h, "_tillcard", False))
    try:
        logging.getLogger("pos_app.test").info("before the rotation")
        assert isinstance(handler, logging.handlers.RotatingFileHandler)
        handler.doRollover()
        logging.getLogger("pos_app.test").info("after the rotation")
        for path in (log_path, log_path.with_name(LOG_FILE_NAME + ".1")):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    finally:
        root.removeHandler(handler)
        handler.close()


# -- TLS cannot be switched off ----------------------------------------------------------------

CONTRACT = """
[terminal]
id = "till-1"

[loyaltydog]
base_url = "{url}"
program_id = "5eb7cf5a86d9755df3a6c593"
username = "frontdesk@example.com"
{extra}
"""


@pytest.mark.parametrize(
    "url",
    [
        "http://api.loyalty.dog",
        "http://192.168.1.20:8765/loyaltydog",
        "http://0.0.0.0:8765/loyaltydog",
        "http://localhost.example.com/loyaltydog",
        "http://127.0.0.1.nip.io/loyaltydog",
        "http://2130706433/loyaltydog",
        "ftp://api.loyalty.dog",
    ],
)
def test_plain_http_to_anything_but_this_machine_is_refused(tmp_path: Path, url: str) -> None:
    path = tmp_path / "tillcard.toml"
    path.write_text(CONTRACT.format(url=url, extra=""), encoding="utf-8")
    with pytest.raises(Exception, match=r"must use https|is not an http\(s\) URL") as refused:
        load_config(path)
    assert "loyaltydog.base_url" in str(refused.value)


@pytest.mark.parametrize(
    "extra", ["verify = false", "verify_tls = false", "insecure = true", "ca_bundle = '/tmp/x'"]
)
def test_no_setting_turns_tls_verification_off(tmp_path: Path, extra: str) -> None:
    """The contract has no such key, and unknown keys are refused, not ignored."""
    path = tmp_path / "tillcard.toml"
    path.write_text(CONTRACT.format(url="https://api.loyalty.dog", extra=extra), encoding="utf-8")
    with pytest.raises(Exception, match="Extra inputs are not permitted"):
        load_config(path)


def test_only_one_place_builds_http_clients_and_it_verifies() -> None:
    """A static guard for the next change: no other client, no switch to turn checks off."""
    risky = re.compile(
        r"httpx\.(Async)?Client\(|verify\s*=|CERT_NONE|check_hostname\s*=|_create_unverified"
    )
    found = [
        f"{path.relative_to(ROOT)}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if risky.search(line)
    ]
    assert found == [
        "pos_app/providers/http.py: return httpx.AsyncClient(",
        "pos_app/providers/http.py: verify=True,",
    ]


@contextlib.contextmanager
def self_signed_server(folder: Path) -> Iterator[tuple[str, Path, list[str]]]:
    """HTTPS on 127.0.0.1 with a certificate no authority signed; records what reaches it."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    reached: list[str] = []

    class Answer(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            reached.append(f"{self.command} {self.path}")
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads ``reached``."""

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", cert_file, reached
    finally:
        server.shutdown()
        server.server_close()


async def _check_all(origin: str) -> dict[str, str]:
    """Each real back-end client's connection test against ``origin``: what it said."""
    seed = Sandbox(seed=0).seed_summary()
    config = sandbox_config(seed, origin)
    credentials = Credentials(WRONG)
    assert config.loyaltydog is not None
    assert config.leal is not None
    assert config.clienttoolbox is not None
    clients: dict[str, LoyaltyDogClient | LealClient | ClientToolboxClient] = {
        "loyaltydog": LoyaltyDogClient(config.loyaltydog, credentials),
        "leal": LealClient(config.leal, credentials),
        "clienttoolbox": ClientToolboxClient(config.clienttoolbox, credentials),
    }
    said = {}
    for name, client in clients.items():
        try:
            await client.check()
            said[name] = "connected"
        except BackendError as exc:
            said[name] = f"{exc.message} ({exc.__cause__ or exc.__context__!r})"
        finally:
            await client.aclose()
    return said


@pytest.mark.expected_logs
async def test_a_certificate_nobody_vouches_for_is_refused_before_any_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The three clients meet a self-signed HTTPS server on 127.0.0.1: no request reaches it.
    The control: once the certificate is trusted (``SSL_CERT_FILE``), requests do."""
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    with self_signed_server(tmp_path) as (origin, cert_file, reached):
        refused = await _check_all(origin)
        assert reached == []
        for backend, message in refused.items():
            assert "CERTIFICATE_VERIFY_FAILED" in message, (backend, message)
            assert "security certificate could not be verified" in message, (backend, message)
        monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
        await _check_all(origin)
        assert reached, "with the certificate trusted, the same requests get through"


# -- the sandbox stays on this machine --------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["0.0.0.0", "::", "192.168.1.20", "localhost.example.com", "127.0.0.1.nip.io"]
)
def test_the_sandbox_refuses_to_serve_beyond_loopback(host: str) -> None:
    with pytest.raises(NonLoopbackRefused, match=r"not a loopback address.*--allow-remote"):
        make_server(host, 8765)


def test_pos_app_sandbox_on_all_interfaces_is_a_usage_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pos_app", "--data-dir", str(tmp_path), "sandbox", "--host", "::"],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ | {"QT_QPA_PLATFORM": "offscreen"},
        check=False,
    )
    assert done.returncode == 2
    assert "refusing to serve the sandbox on ::" in done.stderr
    assert "--allow-remote" in done.stderr


# -- guessing the manager PIN ------------------------------------------------------------------


def test_guessing_the_manager_pin_locks_every_process_out(tmp_path: Path) -> None:
    """Five wrong PINs, each from a new ``pos-app`` process: the sixth, right, one is refused."""
    with running_sandbox(seed=0) as (url, sandbox):
        till = Till(write_config(url, sandbox, tmp_path / "tillcard.toml"), tmp_path / "data")
        pin_twice = f"{MANAGER_PIN}\n{MANAGER_PIN}\n"
        assert till.run("manager-pin", MANAGER, stdin=pin_twice).returncode == 0
        said = []
        for guess in ("11111111", "22222222", "33333333", "44444444", "55555555"):
            done = till.run("report", "shift", "--manager-pin", guess)
            assert done.returncode == 1
            said.append(done.stderr.strip())
        right = till.run("report", "shift", env={"POS_APP_MANAGER_PIN": MANAGER_PIN})
    assert all("Manager PIN refused: Wrong PIN" in line for line in said), said
    assert right.returncode == 1
    assert "Too many wrong PINs; try again in 5 min" in right.stderr
