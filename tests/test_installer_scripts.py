"""The installer scripts, checked on every CI run without building a bundle (that is
``make package-test``): what goes in, the version, the NSIS script, the release workflow."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from pos_app.__about__ import __version__
from pos_app.gui.forms import FORMS
from tests.packaging_support import PACKAGING, ROOT, bundle_contents

contents = bundle_contents()
NSI = PACKAGING / "windows" / "tillcard.nsi"
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"


def test_the_installers_read_the_one_version_the_app_shows() -> None:
    assert contents.version() == __version__
    plist = contents.info_plist()
    assert plist["CFBundleShortVersionString"] == __version__
    assert plist["CFBundleVersion"] == __version__


def test_every_form_and_resource_is_in_the_bundle_data() -> None:
    shipped: set[Path] = set()
    for pattern, target in contents.datas():
        assert target.startswith("pos_app/_data/")  # where pos_app.assets looks in a bundle
        shipped.update(Path(pattern).parent.glob(Path(pattern).name))
    for form in FORMS:
        assert ROOT / "ui" / form in shipped
    for resource in (ROOT / "resources").iterdir():
        assert resource in shipped
    assert ROOT / "resources" / "tillcard.png" in shipped  # the window icon


@pytest.mark.parametrize(
    ("dest", "platform", "kept"),
    [
        ("PySide6/Qt/lib/libQt6Gui.so.6", "linux", True),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", "linux", True),
        ("PySide6/Qt/plugins/platforms/libqoffscreen.so", "linux", True),
        ("PySide6/Qt/plugins/printsupport/libcupsprintersupport.so", "linux", True),
        ("PySide6/Qt/plugins/imageformats/libqsvg.so", "linux", True),
        ("PySide6/Qt/plugins/imageformats/libqtiff.so", "linux", False),
        ("PySide6\\plugins\\imageformats\\qtiff.dll", "win32", False),
        ("PySide6\\plugins\\imageformats\\qjpeg.dll", "win32", True),
        ("PySide6\\plugins\\platforms\\qwindows.dll", "win32", True),
        ("PySide6\\plugins\\styles\\qmodernwindowsstyle.dll", "win32", True),
        ("PySide6/Qt/plugins/platforms/libqvnc.so", "linux", False),
        ("PySide6/Qt/plugins/generic/libqevdevmouseplugin.so", "linux", False),
        ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", "linux", False),
        ("libcups.so.2", "linux", False),
        ("libgnutls.so.30", "linux", False),
        ("PySide6/Qt/lib/libQt6Network.so.6", "linux", False),
        ("PySide6/Qt/lib/QtNetwork.framework/QtNetwork", "darwin", True),
        ("libcrypto.so.3", "linux", True),
        ("libpython3.11.so.1.0", "linux", True),
    ],
)
def test_what_the_bundle_keeps_and_drops(dest: str, platform: str, kept: bool) -> None:
    assert contents.keep_binary(dest, platform) is kept


def test_translations_stay_out_and_the_rest_stays_in() -> None:
    assert not contents.keep("PySide6/Qt/translations/qtbase_de.qm")
    assert contents.keep("pos_app/_data/ui/main_window.ui")
    assert contents.keep("certifi/cacert.pem")


def test_windows_gets_a_windowed_app_and_a_console_tool() -> None:
    assert contents.executables("win32") == [("Tillcard", False), ("pos-app", True)]
    assert [name for name, _ in contents.executables("darwin")] == ["pos-app"]
    assert contents.executables("linux") == [("pos-app", True)]
    assert contents.strip_binaries("linux")
    assert not contents.strip_binaries("darwin")


def test_icons_exist_for_both_installers() -> None:
    ico = Path(contents.icon("win32"))
    icns = Path(contents.icon("darwin"))
    assert ico.read_bytes()[:4] == b"\x00\x00\x01\x00"  # ICO header
    assert icns.read_bytes()[:4] == b"icns"
    assert contents.icon("linux") is None


def test_the_spec_is_python_and_builds_from_the_shared_contents() -> None:
    spec = (PACKAGING / "tillcard.spec").read_text(encoding="utf-8")
    compile(spec, "tillcard.spec", "exec")
    for used in ("contents.datas()", "contents.HIDDEN_IMPORTS", "contents.EXCLUDES"):
        assert used in spec


def _locked(path: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        found = re.match(r"^([A-Za-z0-9_.-]+)==([^\s;]+)", line)
        if found:
            pins[found.group(1).lower()] = found.group(2)
    return pins


def test_the_release_lock_pins_what_the_app_lock_pins() -> None:
    """The installers ship the same library versions the test suite ran against."""
    app = _locked(ROOT / "requirements" / "app.lock")
    package = _locked(ROOT / "requirements" / "package.lock")
    assert "pyinstaller" in package
    different = {
        name: (pin, package.get(name)) for name, pin in app.items() if package.get(name) != pin
    }
    assert different == {}


def test_the_release_lock_covers_windows_and_macos() -> None:
    text = (ROOT / "requirements" / "package.lock").read_text(encoding="utf-8")
    assert re.search(r"^pywin32-ctypes==.*sys_platform == 'win32'", text, re.MULTILINE)
    assert re.search(r"^macholib==.*sys_platform == 'darwin'", text, re.MULTILINE)


@pytest.fixture
def fake_bundle(tmp_path: Path) -> Path:
    bundle = tmp_path / "Tillcard"
    (bundle / "_internal").mkdir(parents=True)
    for name in ("Tillcard.exe", "pos-app.exe", "_internal/python311.dll"):
        (bundle / name).write_bytes(b"MZ")
    return bundle


def _makensis(bundle: Path, out: Path, *defines: str) -> subprocess.CompletedProcess[str]:
    makensis = shutil.which("makensis")
    if makensis is None:
        pytest.skip("makensis is not installed (Debian package nsis)")
    return subprocess.run(
        [
            makensis,
            "-WX",
            "-V2",
            "-DNO_COMPRESSION",
            f"-DBUNDLE_DIR={bundle}",
            f"-DOUT_FILE={out}",
            *defines,
            str(NSI),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_windows_installer_script_compiles_without_warnings(
    fake_bundle: Path, tmp_path: Path
) -> None:
    out = tmp_path / "Tillcard-test-setup.exe"
    done = _makensis(fake_bundle, out, f"-DVERSION={__version__}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert out.read_bytes()[:2] == b"MZ"


def test_the_installer_refuses_to_build_without_a_version(
    fake_bundle: Path, tmp_path: Path
) -> None:
    done = _makensis(fake_bundle, tmp_path / "Tillcard-test-setup.exe")
    assert done.returncode != 0
    assert "/DVERSION=X.Y.Z" in done.stdout + done.stderr


def test_a_failing_signing_step_fails_the_installer_build(
    fake_bundle: Path, tmp_path: Path
) -> None:
    """The SIGN hook really runs: a signer that fails must stop the build, not ship unsigned."""
    version = f"-DVERSION={__version__}"
    signed = _makensis(fake_bundle, tmp_path / "Tillcard-signed.exe", version, "-DSIGN=true")
    assert signed.returncode == 0, signed.stdout + signed.stderr
    refused = _makensis(fake_bundle, tmp_path / "Tillcard-unsigned.exe", version, "-DSIGN=false")
    assert refused.returncode != 0


def test_the_uninstaller_removes_only_what_the_installer_put_there() -> None:
    """``RMDir /r $INSTDIR`` would delete whatever else lives in a chosen folder."""
    script = NSI.read_text(encoding="utf-8")
    uninstall = script[script.index('Section "Uninstall"') :]
    assert 'RMDir /r "$INSTDIR"' not in uninstall
    assert 'RMDir /r "$INSTDIR\\_internal"' in uninstall
    assert "LOCALAPPDATA" not in uninstall
    assert "APPDATA" not in uninstall


def test_an_older_version_never_silently_replaces_a_newer_one() -> None:
    """A downgrade asks first, and a silent install (``/S``) answers no."""
    script = NSI.read_text(encoding="utf-8")
    on_init = script[script.index("Function .onInit") : script.index("FunctionEnd")]
    assert '${VersionCompare} "${VERSION}" "$OldVersion" $0' in on_init
    asked = next(line for line in on_init.splitlines() if "MessageBox MB_YESNO" in line)
    assert "/SD IDNO" in asked
    assert "Abort" in on_init.split(asked)[1]


def _workflow() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return loaded


def test_the_release_workflow_builds_and_self_checks_on_windows_and_macos() -> None:
    jobs = _workflow()["jobs"]
    python = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "requires-python"
    ].removeprefix(">=")
    for job, runner in (("windows", "windows"), ("macos", "macos")):
        steps = jobs[job]["steps"]
        assert jobs[job]["runs-on"].startswith(runner)
        runs = "\n".join(step.get("run", "") for step in steps)
        assert "requirements/package.lock" in runs
        assert "packaging/tillcard.spec" in runs
        assert "self-check" in runs
        uploads = [
            step for step in steps if step.get("uses", "").startswith("actions/upload-artifact")
        ]
        assert uploads
        assert uploads[0]["with"]["if-no-files-found"] == "error"
        pythons = [
            step["with"]["python-version"]
            for step in steps
            if "setup-python" in step.get("uses", "")
        ]
        assert pythons == [python]
    assert "makensis" in "\n".join(step.get("run", "") for step in jobs["windows"]["steps"])
    assert any("build_dmg.sh" in step.get("run", "") for step in jobs["macos"]["steps"])
    assert jobs["windows"]["needs"] == jobs["macos"]["needs"] == "tests"


def test_the_dmg_script_is_valid_shell() -> None:
    script = PACKAGING / "macos" / "build_dmg.sh"
    done = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    text = script.read_text(encoding="utf-8")
    for step in ("codesign", "notarytool submit", "stapler staple", "hdiutil create"):
        assert step in text
