"""Smoke tests of the built PyInstaller bundle: ``make package-test`` (marker ``bundle``).

They run the bundled executable as a cashier's computer would: no Python, no source tree, no
QT_QPA_PLATFORM from the developer's shell. Building takes about 30 s, so CI's ``make test``
leaves them out (pyproject's addopts); tests/test_installer_scripts.py covers the scripts there.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pos_app.__about__ import __version__
from tests.packaging_support import PACKAGING, ROOT, bundle_contents

pytestmark = pytest.mark.bundle

contents = bundle_contents()
BUNDLE: Path = ROOT / "dist" / str(contents.APP_NAME)
INTERNAL = BUNDLE / "_internal"
PROGRAM = BUNDLE / str(contents.CLI_EXE)
#: The issue's budget for the unpacked bundle.
BUDGET_BYTES = 150_000_000


@pytest.fixture(scope="module")
def bundle() -> Path:
    if not PROGRAM.is_file():
        pytest.fail(f"{PROGRAM} is missing: build it with `make package` first")
    return BUNDLE


def _clean_env(tmp_path: Path) -> dict[str, str]:
    """A shell without the developer's Python or Qt settings, and private user folders."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("QT_", "PYTHON", "VIRTUAL_ENV", "POS_APP_"))
    }
    env["PATH"] = "/usr/bin:/bin"
    env["HOME"] = str(tmp_path / "home")
    return env


def test_version_is_the_apps_version(bundle: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [str(PROGRAM), "--version"], env=_clean_env(tmp_path), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"Tillcard {__version__}"


def test_self_check_passes_headless_with_nothing_but_the_bundle(
    bundle: Path, tmp_path: Path
) -> None:
    done = subprocess.run(
        [str(PROGRAM), "--data-dir", str(tmp_path / "data"), "self-check"],
        env=_clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for check in ("journal", "window", "qt plugins", "printing", "training", "tls", "keyring"):
        assert re.search(rf"^  ok  {check}\b", done.stdout, re.MULTILINE), done.stdout
    assert "self-check ok" in done.stdout
    assert "Traceback" not in done.stderr


def test_a_headless_training_lookup_works_from_the_bundle(bundle: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [str(PROGRAM), "--training", "--data-dir", str(tmp_path), "lookup", "ZTLKCIUD"],
        env=_clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Leal" in done.stdout


def _bundle_bytes() -> int:
    return sum(path.lstat().st_size for path in BUNDLE.rglob("*"))


def test_the_bundle_stays_under_its_size_budget(bundle: Path) -> None:
    size = _bundle_bytes()
    print(f"bundle: {size / 1e6:.1f} MB unpacked")
    assert size < BUDGET_BYTES


def test_the_qt_plugins_a_till_needs_are_in_and_the_dropped_ones_are_out(bundle: Path) -> None:
    plugins = INTERNAL / "PySide6" / "Qt" / "plugins"
    needed = [folder for folder in contents.REQUIRED_QT_PLUGINS if folder != "styles"]
    for folder in needed:  # Qt 6 on Linux builds its Fusion style in; Windows and macOS have
        assert any((plugins / folder).iterdir()), folder  # style plugins (checked in CI there)
    for path in INTERNAL.rglob("*"):
        relative = path.relative_to(INTERNAL).as_posix()
        assert contents.keep_binary(relative, sys.platform), f"{relative} should have been left out"


def test_nothing_from_the_developer_tools_is_shipped(bundle: Path) -> None:
    names = {path.name for path in INTERNAL.iterdir()}
    for unwanted in ("numpy", "PIL", "pytest", "_pytest", "hypothesis", "setuptools"):
        assert unwanted not in names


@pytest.mark.skipif(sys.platform != "linux", reason="ldd is the Linux dynamic linker's report")
def test_no_bundled_library_misses_one_the_bundle_dropped(bundle: Path) -> None:
    """Dropping the GTK theme and CUPS stack must not orphan anything that stayed."""
    dropped = (
        contents.GTK_ONLY_LIBRARIES
        + contents.KIOSK_ONLY_QT_LIBRARIES
        + contents.HOST_PRINTING_LIBRARIES
    )
    for path in INTERNAL.rglob("*.so*"):
        if path.is_symlink() or not path.is_file():
            continue
        report = subprocess.run(["ldd", str(path)], capture_output=True, text=True).stdout
        for line in report.splitlines():
            if "not found" in line:
                missing = line.split("=>")[0].strip()
                assert not missing.startswith(dropped), f"{path.name} needs {missing}"


@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs xvfb, xdotool and imagemagick")
def test_the_bundled_app_paints_the_cashier_screen_in_training_mode(
    bundle: Path, tmp_path: Path
) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "bundle_screenshot.py"), str(BUNDLE), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    from PySide6.QtGui import QImage

    shot = QImage(str(tmp_path / "bundle_training.png"))
    assert (shot.width(), shot.height()) == (1280, 800)
    colours = {shot.pixel(x, y) for x in range(0, 1280, 40) for y in range(0, 800, 40)}
    assert len(colours) > 5  # a painted screen, not a blank one


@pytest.mark.skipif(shutil.which("makensis") is None, reason="needs makensis (Debian: nsis)")
def test_the_windows_installer_script_packs_this_bundle(bundle: Path, tmp_path: Path) -> None:
    """The real bundle's file tree through the real script (uncompressed, to stay quick)."""
    out = tmp_path / "Tillcard-linux-check-setup.exe"
    done = subprocess.run(
        [
            "makensis",
            "-WX",
            "-V2",
            "-DNO_COMPRESSION",
            f"-DVERSION={__version__}",
            f"-DBUNDLE_DIR={BUNDLE}",
            f"-DOUT_FILE={out}",
            f"-DGUI_EXE={contents.CLI_EXE}",
            f"-DCLI_EXE={contents.CLI_EXE}",
            str(PACKAGING / "windows" / "tillcard.nsi"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert out.stat().st_size > _bundle_bytes() * 0.9  # every file went in
