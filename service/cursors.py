"""Opaque page cursors shared by the lists: a JSON array, base64url without padding.

A cursor comes back from the client, so each list checks the values it decodes before they reach
SQL; this module only refuses what is not a cursor at all.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from service.errors import BadParameter

INVALID_CURSOR = "cursor is not valid; start again without it"


def encode_cursor(*values: Any) -> str:
    """The cursor carrying ``values`` (JSON-serialisable)."""
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, length: int) -> list[Any]:
    """The ``length`` values a cursor carries; BadParameter("cursor") for anything else."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error) as error:
        raise BadParameter("cursor", INVALID_CURSOR) from error
    if not isinstance(values, list) or len(values) != length:
        raise BadParameter("cursor", INVALID_CURSOR)
    return values
