"""What goes into the installed Tillcard, in one place the spec, the tests and CI all read.

Pure Python with no PyInstaller import, so ``tests/test_bundle_contents.py`` can check it
on every CI run without building anything.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP_NAME = "Tillcard"
BUNDLE_ID = "com.tillcard.pos"
#: The windowed app (Start menu, Dock) and the console tool for headless commands.
GUI_EXE = "Tillcard"
CLI_EXE = "pos-app"

#: Loaded by name at run time, so PyInstaller's import scan cannot see them.
HIDDEN_IMPORTS = [
    "uvicorn.logging",
    "uvicorn.loops.auto",
    "uvicorn.loops.asyncio",
    "uvicorn.protocols.http.auto",
    "uvicorn.protocols.http.h11_impl",
    "uvicorn.protocols.websockets.auto",
    "uvicorn.lifespan.on",
    "keyring.backends.macOS",
    "keyring.backends.Windows",
    "keyring.backends.SecretService",
    "keyring.backends.fail",
    "keyring.backends.null",
]

#: Importable from the environment but never used by Tillcard; kept out to save space.
EXCLUDES = [
    "tkinter",
    "_tkinter",
    "unittest",
    "pydoc_data",
    "lib2to3",
    "test",
    "IPython",
    "numpy",
    "PIL",
    "pytest",
    "readline",
    "setuptools",
    "distutils",
    "_distutils_hack",
    "pkg_resources",
    "PySide6.QtNetwork",
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtOpenGL",
    "PySide6.QtOpenGLWidgets",
    "PySide6.QtDBus",
    "PySide6.QtSql",
    "PySide6.QtTest",
    "PySide6.QtXml",
    "PySide6.QtConcurrent",
    "PySide6.QtHelp",
    "PySide6.QtDesigner",
]

#: The Qt plugin folders the till needs: a screen, pictures, printing, widget styles.
REQUIRED_QT_PLUGINS = ("platforms", "imageformats", "printsupport", "styles")

#: Collected by PyInstaller's Qt hooks, of no use to an English-only cashier screen.
DROPPED_DATA_PREFIXES = (
    "PySide6/Qt/translations/",
    "PySide6/translations/",
)


#: Linux only: Qt's GTK 3 theme plugin and the GTK stack it alone pulls in (about 8.5 MB). The
#: till draws its own theme (resources/theme.qss), so the native GTK look buys nothing.
GTK_ONLY_LIBRARIES = (
    "libqgtk3.so",
    "libatk-1.0.so",
    "libcairo-gobject.so",
    "libcairo.so",
    "libdatrie.so",
    "libfribidi.so",
    "libgdk_pixbuf-2.0.so",
    "libpango-1.0.so",
    "libpangocairo-1.0.so",
    "libpangoft2-1.0.so",
    "libpixman-1.so",
    "libthai.so",
    "libgraphite2.so",
    "libharfbuzz.so",
    "libjpeg.so",
    "libgio-2.0.so",
    "libgmodule-2.0.so",
    "libgobject-2.0.so",
    "libmount.so",
    "libblkid.so",
    "libselinux.so",
    "libbsd.so",
    "libmd.so",
    "libXau.so",
    "libXdmcp.so",
    "libXext.so",
    "libXrender.so",
)
#: Linux only: CUPS and what only it needs (about 9 MB). A print client must match the
#: host's CUPS, so the till uses the system's libcups, as every Linux desktop has one; without
#: it Qt finds no printers and the till offers Save as PDF.
HOST_PRINTING_LIBRARIES = (
    "libcups.so",
    "libavahi-client.so",
    "libavahi-common.so",
    "libcom_err.so",
    "libgmp.so",
    "libgnutls.so",
    "libgssapi_krb5.so",
    "libhogweed.so",
    "libidn2.so",
    "libk5crypto.so",
    "libkeyutils.so",
    "libkrb5.so",
    "libkrb5support.so",
    "libnettle.so",
    "libp11-kit.so",
    "libtasn1.so",
    "libunistring.so",
)


#: Qt plugins (folder, name without "lib" and suffix) a till never loads on any platform:
#: picture formats nobody prints, kiosk-only screens (EGLFS, framebuffer, VNC) and their
#: input drivers. ``*`` drops the whole folder.
DROPPED_QT_PLUGINS = (
    ("imageformats", "qicns"),
    ("imageformats", "qtga"),
    ("imageformats", "qtiff"),
    ("imageformats", "qwbmp"),
    ("imageformats", "qwebp"),
    ("platforms", "qeglfs"),
    ("platforms", "qlinuxfb"),
    ("platforms", "qminimalegl"),
    ("platforms", "qvkkhrdisplay"),
    ("platforms", "qvnc"),
    ("generic", "*"),
    ("egldeviceintegrations", "*"),
)
#: Linux only: Qt libraries that only the dropped plugins above load.
KIOSK_ONLY_QT_LIBRARIES = (
    "libQt6Network.so",
    "libQt6EglFSDeviceIntegration.so",
    "libQt6EglFsKmsSupport.so",
)


def _dropped_plugin(dest_name: str) -> bool:
    parts = dest_name.split("/")
    if "plugins" not in parts[:-2]:
        return False
    folder, file_name = parts[-2], parts[-1]
    stem = file_name.split(".")[0]
    stem = stem[3:] if stem.startswith("lib") else stem
    return any(
        folder == drop_folder and (drop_name in ("*", stem))
        for drop_folder, drop_name in DROPPED_QT_PLUGINS
    )


def executables(platform: str) -> list[tuple[str, bool]]:
    """(name, console) per executable. Windows needs a windowed app and a console tool; macOS
    and Linux executables print to a terminal either way, so one serves both there."""
    if platform == "win32":
        return [(GUI_EXE, False), (CLI_EXE, True)]
    return [(CLI_EXE, platform != "darwin")]


def keep_binary(dest_name: str, platform: str) -> bool:
    """False for what a till never loads or takes from the host: see the lists above."""
    name = dest_name.replace("\\", "/")
    if _dropped_plugin(name):
        return False
    if not platform.startswith("linux"):
        return True
    base = name.rsplit("/", 1)[-1]
    dropped = GTK_ONLY_LIBRARIES + KIOSK_ONLY_QT_LIBRARIES + HOST_PRINTING_LIBRARIES
    return not any(base.startswith(lib) for lib in dropped)


def strip_binaries(platform: str) -> bool:
    """Strip debug symbols on Linux only: stripping breaks macOS signatures, and Windows DLLs
    carry none."""
    return platform.startswith("linux")


def version() -> str:
    """The one version number, read from ``pos_app/__about__.py`` without importing the app."""
    text = (ROOT / "pos_app" / "__about__.py").read_text(encoding="utf-8")
    found = re.search(r'^__version__ = "([0-9]+\.[0-9]+\.[0-9]+)"$', text, re.MULTILINE)
    if found is None:
        raise ValueError('pos_app/__about__.py has no __version__ = "X.Y.Z" line')
    return found.group(1)


def datas() -> list[tuple[str, str]]:
    """Designer forms and resources, where ``pos_app.assets`` looks inside a bundle."""
    return [
        (str(ROOT / "ui" / "*.ui"), "pos_app/_data/ui"),
        (str(ROOT / "resources" / "*"), "pos_app/_data/resources"),
    ]


def keep(dest_name: str) -> bool:
    """False for collected files the till never loads (see ``DROPPED_DATA_PREFIXES``)."""
    name = dest_name.replace("\\", "/")
    return not name.startswith(DROPPED_DATA_PREFIXES)


def icon(platform: str) -> str | None:
    """The icon file for ``sys.platform``; Linux bundles have none (the window sets its own)."""
    if platform == "win32":
        return str(ROOT / "packaging" / "icons" / "tillcard.ico")
    if platform == "darwin":
        return str(ROOT / "packaging" / "icons" / "tillcard.icns")
    return None


def info_plist() -> dict[str, object]:
    """macOS bundle metadata; the version is the app's own."""
    return {
        "CFBundleName": APP_NAME,
        "CFBundleDisplayName": APP_NAME,
        "CFBundleShortVersionString": version(),
        "CFBundleVersion": version(),
        "LSMinimumSystemVersion": "12.0",
        "LSApplicationCategoryType": "public.app-category.business",
        "NSHighResolutionCapable": True,
        "NSHumanReadableCopyright": "Tillcard",
    }


def windows_version_file(path: Path) -> Path:
    """Write the Windows file-properties resource (Version tab) for the executables."""
    numbers = [*map(int, version().split(".")), 0]
    text = f"""VSVersionInfo(
  ffi=FixedFileInfo(filevers={tuple(numbers)}, prodvers={tuple(numbers)}),
  kids=[
    StringFileInfo([StringTable('040904B0', [
      StringStruct('CompanyName', 'Tillcard'),
      StringStruct('FileDescription', 'Tillcard — gift cards and loyalty at the counter'),
      StringStruct('FileVersion', '{version()}'),
      StringStruct('ProductName', 'Tillcard'),
      StringStruct('ProductVersion', '{version()}')])]),
    VarFileInfo([VarStruct('Translation', [1033, 1200])])
  ]
)
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _main(argv: list[str]) -> int:
    """``python packaging/bundle_contents.py version``: the version, for shell scripts and CI."""
    if argv[1:] == ["version"]:
        print(version())
        return 0
    print("usage: bundle_contents.py version")
    return 2


if __name__ == "__main__":
    import sys

    raise SystemExit(_main(sys.argv))
