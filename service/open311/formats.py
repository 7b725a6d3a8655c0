"""Open311 GeoReport v2's two formats: bare JSON arrays and objects, and its XML documents.

The spec's shapes exactly: a JSON list is a bare array (a single request too, as a one-element
array), XML has the spec's root and item elements and the UTF-8 declaration, and times are ISO
8601 with a zone. Errors are ``[{"code": ..., "description": ...}]`` (XML ``<errors><error>``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

from flask import Response

JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'


class Open311Error(Exception):
    """A request the spec answers with an error list: 400, 403 or 404."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def timestamp(value: datetime | None) -> str | None:
    """ISO 8601 with a zone, to the second (the spec's w3c format)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat(timespec="seconds")


#: Characters XML 1.0 cannot carry at all (not even escaped): one of them in a title would make
#: the whole document unreadable to every client.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return timestamp(value) or ""
    return _NOT_XML.sub("\ufffd", str(value))


def _element(parent: ElementTree.Element, name: str, value: Any, items: Mapping[str, str]) -> None:
    """One field as XML: a scalar as text, a list as repeated children, a mapping as fields."""
    child = ElementTree.SubElement(parent, name)
    if value is None:
        return
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _element(child, key, inner, items)
    elif isinstance(value, list):
        item = items.get(name, name.rstrip("s"))
        for inner in value:
            _element(child, item, inner, items)
    else:
        child.text = _text(value)


def xml_document(
    root: str, item: str | None, body: Any, items: Mapping[str, str] | None = None
) -> str:
    """``body`` (a list of ``item`` records, or one record) as a GeoReport XML document.

    ``items`` names the children of nested lists (``values`` holds ``value`` elements, ...).
    """
    names = dict(items or {})
    top = ElementTree.Element(root)
    records: Sequence[Any] = body if isinstance(body, list) else [body]
    for record in records:
        parent = ElementTree.SubElement(top, item) if item else top
        for key, value in record.items():
            _element(parent, key, value, names)
    return XML_DECLARATION + ElementTree.tostring(top, encoding="unicode")


def respond(
    fmt: str,
    body: Any,
    *,
    root: str,
    item: str | None,
    status: int = 200,
    items: Mapping[str, str] | None = None,
) -> Response:
    """The answer in the format the URL asked for."""
    if fmt == "xml":
        return Response(xml_document(root, item, body, items), status=status, content_type=XML_TYPE)
    return Response(json.dumps(body, ensure_ascii=False), status=status, content_type=JSON_TYPE)


def error_response(fmt: str, status: int, description: str) -> Response:
    """The spec's error list."""
    errors = [{"code": status, "description": description}]
    return respond(fmt, errors, root="errors", item="error", status=status)
