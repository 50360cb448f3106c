"""Tillcard: gift cards, stamp cards and loyalty points at the counter."""

from pos_app.__about__ import __version__

__all__ = ["__version__"]
