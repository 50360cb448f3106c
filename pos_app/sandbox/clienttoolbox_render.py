"""XML, JSON and JSONP bodies of the ClientToolbox emulator.

A payload is a dict whose keys are element names; a string is text content, a dict nests
elements and a list repeats the element once per item (the API's "one or many" siblings).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["success", "error", "no_match"]
Payload = dict[str, Any]

# Characters XML 1.0 cannot carry at all; echoed input must not make the body unparseable.
_XML_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CALLBACK_RE = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*")


@dataclass
class Reply:
    """What a handler answers; ``json_keys`` renames top-level keys in JSON only."""

    status: Status
    payload: Payload = field(default_factory=dict)
    json_keys: dict[str, str] = field(default_factory=dict)


def error(message: str) -> Reply:
    return Reply("error", {"error": message})


def valid_callback(name: str) -> bool:
    return len(name) <= 128 and _CALLBACK_RE.fullmatch(name) is not None


def _text(value: str, raw_ampersands: bool) -> str:
    value = _XML_ILLEGAL.sub("", value)
    value = value.replace("&", "&amp;") if not raw_ampersands else value
    return value.replace("<", "&lt;").replace(">", "&gt;")


def _xml_items(tag: str, value: Any, depth: int, raw: bool, out: list[str]) -> None:
    pad = "  " * depth
    if isinstance(value, list):
        for item in value:
            _xml_items(tag, item, depth, raw, out)
    elif isinstance(value, dict):
        if not value:
            out.append(f"{pad}<{tag}/>")
            return
        out.append(f"{pad}<{tag}>")
        for key, child in value.items():
            _xml_items(key, child, depth + 1, raw, out)
        out.append(f"{pad}</{tag}>")
    elif value == "":
        out.append(f"{pad}<{tag}/>")
    else:
        out.append(f"{pad}<{tag}>{_text(str(value), raw)}</{tag}>")


def render_xml(reply: Reply, *, raw_ampersands: bool = False) -> bytes:
    """UTF-8 with a declaration; ``raw_ampersands`` reproduces the bare-``&`` quirk."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', f'<response status="{reply.status}">']
    for key, value in reply.payload.items():
        _xml_items(key, value, 1, raw_ampersands, out)
    out.append("</response>")
    return ("\n".join(out) + "\n").encode("utf-8")


def _json_value(value: Any, single_as_object: bool) -> Any:
    if isinstance(value, list):
        items = [_json_value(item, single_as_object) for item in value]
        return items[0] if single_as_object and len(items) == 1 else items
    if isinstance(value, dict):
        if len(value) == 1:
            (only,) = value.values()
            if isinstance(only, list):
                return _json_value(only, single_as_object)
        return {key: _json_value(child, single_as_object) for key, child in value.items()}
    return value


def json_document(reply: Reply, *, single_as_object: bool = False) -> dict[str, Any]:
    """The JSON form: ``status`` first, wrappers of repeated elements collapsed to arrays."""
    doc: dict[str, Any] = {"status": reply.status}
    for key, value in reply.payload.items():
        name = reply.json_keys.get(key, key)
        if isinstance(value, list):
            doc[name] = [_json_value(item, single_as_object) for item in value]
            if single_as_object and len(value) == 1:
                doc[name] = doc[name][0]
        else:
            doc[name] = _json_value(value, single_as_object)
    return doc


def render_json(
    reply: Reply, *, condensed: bool = False, callback: str = "", single_as_object: bool = False
) -> bytes:
    doc = json_document(reply, single_as_object=single_as_object)
    if condensed:
        text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    else:
        text = json.dumps(doc, ensure_ascii=False, indent=2)
    if callback:
        text = f"{callback}({text})"
    return text.encode("utf-8")
