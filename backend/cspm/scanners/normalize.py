"""Small value clean-ups every parser needs: text, ids, numbers, references.

Kept deliberately small: anything tool-specific lives in that tool's parser.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from cspm.findings.models import CanonicalFinding
from cspm.scanners.base import RecordError

_TAG = re.compile(r"<[^>]+>")
_BLOCK_TAG = re.compile(r"</p>|<br\s*/?>|</li>", re.IGNORECASE)
_CVE = re.compile(r"\bCVE-\d{4}-\d{4,}\b", re.IGNORECASE)
_CWE = re.compile(r"^(?:CWE[-_: ]?)?(\d{1,5})$", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s<>\"']+")


def text(value: object) -> str | None:
    """A trimmed string, or None for null/empty/whitespace."""
    if value is None:
        return None
    result = (value if type(value) is str else str(value)).strip()  # most values already are strings
    return result or None


def scan_scope(*parts: object) -> str | None:
    """What a report says was scanned, from the parts naming it (``aws:123456789012:eu-west-1``).

    None when the report names nothing: such findings import into no scope that a complete
    import could resolve within."""
    named = [part_text for part in parts if (part_text := text(part))]
    return ":".join(named) if named else None


def join_text(*parts: object, separator: str = "\n\n") -> str | None:
    cleaned = [t for t in (text(part) for part in parts) if t]
    return separator.join(cleaned) if cleaned else None


def strip_html(value: object) -> str | None:
    """ZAP-style descriptions (``<p>…</p>``) as plain text with paragraph breaks kept."""
    raw = text(value)
    if raw is None:
        return None
    with_breaks = _BLOCK_TAG.sub("\n", raw)
    plain = html.unescape(_TAG.sub("", with_breaks))
    lines = [line.strip() for line in plain.splitlines()]
    return text("\n".join(line for line in lines if line))


def unique(values: Iterable[object]) -> list[str]:
    """Trimmed, non-empty strings in first-seen order without duplicates."""
    seen: dict[str, None] = {}
    for value in values:
        if value is None:
            continue
        cleaned = (value if type(value) is str else str(value)).strip()  # text(), inlined: a hot loop
        if cleaned and cleaned not in seen:
            seen[cleaned] = None
    return list(seen)


def mapping(value: object) -> dict[str, Any]:
    """A JSON field that should be an object, as a dict ({} for null or anything else)."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """A JSON field that tools emit as a scalar, a list or null, as a list."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def cve_ids(*values: object) -> list[str]:
    """CVE ids (upper-cased) found in the given values, in order."""
    found: list[str] = []
    for value in values:
        for item in as_list(value):
            found.extend(match.upper() for match in _CVE.findall(str(item or "")))
    return unique(found)


def cwe_id(value: object) -> str | None:
    """``CWE-79`` from ``79``, ``"79"``, ``cwe-79`` or ``CWE-79``; None for ``-1``, ``0`` and junk."""
    raw = text(value)
    if raw is None:
        return None
    match = _CWE.match(raw)
    if match is None:
        return None
    number = int(match.group(1))
    return f"CWE-{number}" if number > 0 else None


def cwe_ids(*values: object) -> list[str]:
    result: list[str] = []
    for value in values:
        for item in as_list(value):
            cwe = cwe_id(item)
            if cwe:
                result.append(cwe)
    return unique(result)


def urls(*values: object) -> list[str]:
    """URLs found in free text / lists (ZAP and Nuclei put several in one string)."""
    found: list[str] = []
    for value in values:
        for item in as_list(value):
            found.extend(_trim_url(url) for url in _URL.findall(html.unescape(str(item or ""))))
    return unique(found)


def _trim_url(url: str) -> str:
    """Drop sentence punctuation after a URL; keep a closing parenthesis that belongs to it."""
    url = url.rstrip(".,;:")
    while url.endswith(")") and url.count(")") > url.count("("):
        url = url[:-1].rstrip(".,;:")
    return url


def number(value: object, *, low: float, high: float) -> float | None:
    """A float within [low, high], or None for null, junk or out-of-range values."""
    if value is None or isinstance(value, bool):
        return None
    try:
        result = float(str(value).strip()) if not isinstance(value, int | float) else float(value)
    except ValueError:
        return None
    if result != result or not (low <= result <= high):  # NaN or out of range
        return None
    return result


def cvss(value: object) -> float | None:
    return number(value, low=0.0, high=10.0)


def probability(value: object) -> float | None:
    return number(value, low=0.0, high=1.0)


def compliance(mapping: Mapping[str, Any] | None, extra: Mapping[str, Iterable[object]] | None = None
               ) -> dict[str, list[str]]:
    """framework → requirement ids, ids as trimmed strings, empty frameworks dropped."""
    result: dict[str, list[str]] = {}
    for source in (mapping or {}), (extra or {}):
        for framework, ids in source.items():
            name = text(framework)
            values = unique(as_list(ids))
            if name and values:
                earlier = result.get(name)
                result[name] = unique([*earlier, *values]) if earlier else values
    return result


def identity(**fields: object) -> dict[str, str]:
    """The identity dict: string values, absent/empty fields left out."""
    return {key: cleaned for key, value in fields.items() if (cleaned := text(value)) is not None}


def build_finding(tool: str, position: str, **fields: Any) -> CanonicalFinding:
    """A CanonicalFinding, or RecordError naming the item and the field that is wrong."""
    try:
        return CanonicalFinding(source_tool=tool, **fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "finding"
        raise RecordError(tool, f"{position}: field {where!r} is invalid ({first.get('msg')})") from None
