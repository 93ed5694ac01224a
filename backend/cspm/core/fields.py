"""Field types shared by request schemas: free text, and secrets.

Free text. A name or reason is stored, then shown in the dashboard, audit exports, logs
and terminals, and handed to scanners: a NUL cuts paths and C strings, CR-LF forges log
lines, an ANSI escape repaints a terminal, a lone surrogate cannot be stored at all. Every
free-text field of a request schema is ``SingleLineText`` or ``MultiLineText`` (the latter
keeps line feeds and tabs). The rule is a ``pattern`` constraint, so it composes with any
bounds added per field (``Annotated[SingleLineText, StringConstraints(max_length=80)]`` or
``Field(max_length=...)``), is enforced by pydantic-core (which also refuses lone surrogates
once a string has a pattern), and is published in the JSON schema for clients and fuzzers.
``text_rule_message`` turns a mismatch into words for the validation error handler.

Secrets. ``SecretStr`` fields, and ``str`` fields typed ``SecretText``, are ``writeOnly`` in
the JSON schema; ``secret_field_names`` reads them from the OpenAPI document, and the
validation error handler (``cspm.core.errors``) never echoes what was sent in them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Annotated, Any

from pydantic import Field, StringConstraints

# Refused: C0 controls (for one line, tab and line feed too), DEL, C1 controls, and in one line
# also the Unicode line and paragraph separators.
SINGLE_LINE_PATTERN = r"^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*$"
MULTI_LINE_PATTERN = r"^[^\u0000-\u0008\u000b-\u001f\u007f-\u009f]*$"

SingleLineText = Annotated[str, StringConstraints(pattern=SINGLE_LINE_PATTERN)]
"""Names, titles, values, identifiers: no control characters at all."""

MultiLineText = Annotated[str, StringConstraints(pattern=MULTI_LINE_PATTERN)]
"""Reasons and descriptions: line feeds and tabs, but no other control characters (no CR)."""

SecretText = Annotated[str, Field(json_schema_extra={"format": "password", "writeOnly": True})]
"""A secret the service needs as ``str`` (passwords, tokens); marked the way ``SecretStr`` is."""

_TEXT_RULES: dict[str, tuple[re.Pattern[str], str]] = {
    SINGLE_LINE_PATTERN: (re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]"), "must not contain control characters"),
    MULTI_LINE_PATTERN: (re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]"),
                         "must not contain control characters other than line feeds and tabs"),
}


def text_rule_message(error: Mapping[str, Any]) -> str | None:
    """The reason for a pydantic error that is a text type's rule ("... found U+001B at position 3"), else None."""
    if error.get("type") != "string_pattern_mismatch":
        return None
    rule = _TEXT_RULES.get(str((error.get("ctx") or {}).get("pattern")))
    if rule is None:
        return None
    refused, message = rule
    found = refused.search(error["input"]) if isinstance(error.get("input"), str) else None
    if found is None:
        return message
    return f"{message} (found U+{ord(found.group()):04X} at position {found.start()})"


def is_secret(schema: Mapping[str, Any]) -> bool:
    """A property's JSON schema is a secret's: writeOnly, itself or in an alternative (``SecretStr | None``)."""
    if schema.get("writeOnly"):
        return True
    return any(is_secret(option) for key in ("anyOf", "oneOf", "allOf") for option in schema.get(key, []))


def secret_properties(openapi: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(schema name, property name) of every secret property among the OpenAPI document's schemas."""
    for schema_name, schema in openapi.get("components", {}).get("schemas", {}).items():
        for property_name, prop in schema.get("properties", {}).items():
            if is_secret(prop):
                yield schema_name, property_name


def secret_field_names(openapi: Mapping[str, Any]) -> frozenset[str]:
    return frozenset(name for _, name in secret_properties(openapi))
