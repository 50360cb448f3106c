"""The one place the version lives (wheel metadata, --version, About, installers)."""

__version__ = "0.1.0"
