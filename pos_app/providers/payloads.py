"""Turn untrusted bodies into Python values, or into a BadResponse — nothing else escapes.

XML follows the ClientToolbox reference §7: no DTD, no entities, capped depth and element count,
status checked first, and one retry that escapes bare ``&`` (a known quirk of that API).
"""

from __future__ import annotations

import json
import re
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from pos_app.providers.errors import BadResponse

MAX_DEPTH = 32
MAX_ELEMENTS = 500_000
_BARE_AMPERSAND = re.compile(rb"&(?!(?:[A-Za-z_][\w.-]*|#[0-9]+|#x[0-9A-Fa-f]+);)")
_JSONP = re.compile(rb"^\s*[A-Za-z_$][\w$.]*\s*\(")


def parse_json(body: bytes, backend: str) -> Any:
    """Parse JSON; refuse JSONP, HTML pages and pathological nesting."""
    if _JSONP.match(body):
        raise BadResponse(backend, f"{backend} sent a script (JSONP) instead of data")
    try:
        return json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        snippet = body[:60].decode("utf-8", errors="replace")
        raise BadResponse(
            backend, f"{backend} sent an answer that is not valid JSON", detail=snippet
        ) from None


def _check_shape(root: Element, backend: str) -> None:
    count = 0
    stack: list[tuple[Element, int]] = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH or count > MAX_ELEMENTS:
            raise BadResponse(backend, f"{backend} sent XML nested or sized beyond reason")
        stack.extend((child, depth + 1) for child in element)


def _parse(body: bytes) -> Element:
    root = SafeET.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    assert isinstance(root, Element)
    return root


def parse_xml(body: bytes, backend: str) -> Element:
    """Parse a ``<response status=...>`` document safely and return its root."""
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped.startswith(b"<"):
        raise BadResponse(backend, f"{backend} sent an answer that is not XML")
    head = stripped[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in head or b"<html" in head:
        raise BadResponse(backend, f"{backend} sent an answer that is not a data document")
    try:
        try:
            root = _parse(stripped)
        except ParseError:
            repaired = _BARE_AMPERSAND.sub(b"&amp;", stripped)
            if repaired == stripped:
                raise
            root = _parse(repaired)
    except (ParseError, DefusedXmlException, ValueError, RecursionError) as exc:
        raise BadResponse(
            backend, f"{backend} sent XML that cannot be read", detail=type(exc).__name__
        ) from None
    _check_shape(root, backend)
    if root.tag != "response":
        raise BadResponse(backend, f"{backend} sent an unexpected document <{root.tag[:30]}>")
    return root


def text_of(element: Element | None, path: str) -> str | None:
    """Stripped text at ``path`` below ``element``; empty elements count as absent."""
    if element is None:
        return None
    found = element.find(path)
    if found is None or found.text is None:
        return None
    value = found.text.strip()
    return value or None


def all_of(element: Element | None, path: str) -> list[Element]:
    """Every match: one element or many siblings both give a list."""
    return [] if element is None else element.findall(path)
