"""Opaque cursors for keyset pagination: the last item's sort value and id, base64-encoded JSON."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from cspm.core.errors import BadRequest


def encode_cursor(values: dict[str, Any]) -> str:
    raw = json.dumps(values, default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("invalid cursor: not produced by this API") from exc
    if not isinstance(value, dict):
        raise BadRequest("invalid cursor: not produced by this API")
    return value
