"""Open311 output in both formats: JSON (Spark convention) and XML built with ElementTree.

Every value goes into the XML as element text through ElementTree, which escapes it; the
only string written by hand is the XML declaration. Characters XML 1.0 cannot carry at all
(control characters other than tab and line breaks) are dropped from text.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from flask import Response

from ..i18n import Message

FORMATS = ("json", "xml")
JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

# How a list in JSON is wrapped in XML: list key -> (container element, item element).
# Top-level lists name their root and item elements explicitly.
ITEM_NAMES = {
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
    "photos": "photo",
    "notes": "note",
}

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Open311Error(Exception):
    """An error answered as an Open311 error list in the requested format.

    The body's code is always the HTTP status, as the spec's examples show: clients read
    either one, and the description says what exactly was wrong.
    """

    def __init__(
        self,
        status: int,
        description: Message | str,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.code = status
        if isinstance(description, dict):
            description = bilingual(description)
        self.description = description
        self.headers = headers or {}


def bilingual(message: Message) -> str:
    """German first, English second, as one Open311 description."""
    if message["de"] == message["en"]:
        return message["de"]
    return f"{message['de']} / {message['en']}"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _append(parent: ET.Element, name: str, value: Any) -> None:
    element = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, inner in value.items():
            _append(element, key, inner)
    elif isinstance(value, list):
        item_name = ITEM_NAMES.get(name, "item")
        for item in value:
            _append(element, item_name, item)
    else:
        element.text = _text(value) or None


def to_xml(data: Any, root: str, item: str | None = None) -> bytes:
    """The XML document of a JSON-shaped value: a list becomes <root><item>…</item></root>."""
    element = ET.Element(root)
    if isinstance(data, list):
        for entry in data:
            _append(element, item or "item", entry)
    else:
        for key, value in data.items():
            _append(element, key, value)
    return (XML_DECLARATION + ET.tostring(element, encoding="unicode")).encode("utf-8")


def render(data: Any, fmt: str, root: str, item: str | None = None, status: int = 200):
    """A response in the requested format; `root`/`item` name the XML elements."""
    if fmt == "xml":
        return Response(to_xml(data, root, item), status=status, content_type=XML_TYPE)
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Response(body.encode("utf-8"), status=status, content_type=JSON_TYPE)


def render_error(err: Open311Error, fmt: str):
    """The Open311 error list: [{code, description}] / <errors><error>…</error></errors>."""
    data = [{"code": err.code, "description": err.description}]
    resp = render(data, fmt if fmt in FORMATS else "json", "errors", "error", err.status)
    for key, value in err.headers.items():
        resp.headers[key] = value
    return resp
