"""Indicator files → ``ParsedIndicator``: STIX 2.1 bundles, CSV lists and MISP event JSON.

STIX bundles are parsed and validated by the ``stix2`` library (a bundle it refuses is refused
whole); patterns are read with ``stix2-patterns``. A pattern becomes observables only when each of
its comparisons is an equality on a value the platform can see (``ipv4-addr:value = '…'``,
``file:hashes.'SHA-256' = '…'``), joined by OR: an AND or a MATCHES cannot be decided on one
value, so such an indicator is kept, with its pattern, but matches nothing. STIX ``vulnerability``
objects become CVE indicators, so a campaign that targets a CVE is context for findings with it.

MISP event JSON is read with ``pymisp`` (``MISPEvent.load``): its attributes, those inside its
objects too, with their ``to_ids`` flag, tags (TLP among them) and first/last seen.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import stix2
from pymisp import MISPEvent
from stix2.exceptions import STIXError
from stix2patterns.v21.pattern import Pattern

from cspm.threat_intel.models import (
    ContextRef,
    IndicatorError,
    IndicatorType,
    Observable,
    ParsedIndicator,
    Tlp,
    observable,
)

MAX_INDICATORS = 100_000
_STIX_PATHS: dict[tuple[str, str], IndicatorType] = {
    ("ipv4-addr", "value"): IndicatorType.IPV4,
    ("ipv6-addr", "value"): IndicatorType.IPV6,
    ("domain-name", "value"): IndicatorType.DOMAIN,
    ("url", "value"): IndicatorType.URL,
    ("email-addr", "value"): IndicatorType.EMAIL,
    ("email-message", "from_ref.value"): IndicatorType.EMAIL,
    ("file", "hashes.md5"): IndicatorType.MD5,
    ("file", "hashes.sha-1"): IndicatorType.SHA1,
    ("file", "hashes.sha1"): IndicatorType.SHA1,
    ("file", "hashes.sha-256"): IndicatorType.SHA256,
    ("file", "hashes.sha256"): IndicatorType.SHA256,
}
_TLP_MARKINGS = {stix2.TLP_WHITE.id: Tlp.CLEAR, stix2.TLP_GREEN.id: Tlp.GREEN, stix2.TLP_AMBER.id: Tlp.AMBER,
                 stix2.TLP_RED.id: Tlp.RED}
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'")
_CONTEXT_TYPES = {"malware", "campaign", "threat-actor", "intrusion-set", "tool", "attack-pattern"}
_MISP_TYPES: dict[str, IndicatorType] = {
    "ip-src": IndicatorType.IPV4, "ip-dst": IndicatorType.IPV4, "domain": IndicatorType.DOMAIN,
    "hostname": IndicatorType.DOMAIN, "url": IndicatorType.URL, "link": IndicatorType.URL,
    "md5": IndicatorType.MD5, "sha1": IndicatorType.SHA1, "sha256": IndicatorType.SHA256,
    "email": IndicatorType.EMAIL, "email-src": IndicatorType.EMAIL, "email-dst": IndicatorType.EMAIL,
    "vulnerability": IndicatorType.CVE,
}
_CSV_COLUMNS = ("value", "type", "confidence", "tags")


class IndicatorFileError(ValueError):
    """The file is not a valid bundle, list or event; the message says where."""


def stable_id(source: str, kind: str, value: str) -> str:
    """A STIX-shaped id for values without one (CSV, MISP): the same value from the same source keeps it."""
    return f"indicator--{uuid.uuid5(uuid.NAMESPACE_URL, f'{source}|{kind}|{value}')}"


# --- STIX 2.1 ---------------------------------------------------------------------------
def parse_stix_bundle(raw: bytes | str, source: str) -> list[ParsedIndicator]:
    try:
        bundle = stix2.parse(raw, allow_custom=True, version="2.1")
    except (STIXError, ValueError, TypeError) as exc:
        raise IndicatorFileError(f"not a valid STIX 2.1 bundle: {exc}") from None
    if getattr(bundle, "type", None) != "bundle":
        raise IndicatorFileError("not a STIX bundle (expected an object of type 'bundle')")
    objects = {obj.id: obj for obj in bundle.get("objects", [])}
    context = _context(objects)
    parsed: list[ParsedIndicator] = []
    for obj in objects.values():
        if obj.type == "indicator":
            parsed.append(_stix_indicator(obj, source, context.get(obj.id, [])))
        elif obj.type == "vulnerability" and (item := _stix_vulnerability(obj, source, context.get(obj.id, []))):
            parsed.append(item)
    return parsed


def _context(objects: dict[str, Any]) -> dict[str, list[ContextRef]]:
    """Each object's neighbours worth showing: related malware, campaigns, actors, and reports naming it."""
    found: dict[str, list[ContextRef]] = defaultdict(list)

    def add(subject: str, other_id: str, relationship: str) -> None:
        other = objects.get(other_id)
        if other is not None and (other.type in _CONTEXT_TYPES or other.type == "report"):
            found[subject].append(ContextRef(stix_id=other.id, type=other.type,
                                             name=str(other.get("name") or other.id), relationship=relationship))

    for obj in objects.values():
        if obj.type == "relationship":
            add(obj.source_ref, obj.target_ref, obj.relationship_type)
            add(obj.target_ref, obj.source_ref, f"{obj.relationship_type} (by)")
        elif obj.type == "report":
            for ref in obj.get("object_refs", []):
                add(ref, obj.id, "reported in")
    return found


def _tlp(obj: Any) -> Tlp | None:
    for ref in obj.get("object_marking_refs", []) or []:
        if ref in _TLP_MARKINGS:
            return _TLP_MARKINGS[ref]
    for label in obj.get("labels", []) or []:
        if str(label).lower().startswith("tlp:") and (tlp := Tlp.from_text(label)):
            return tlp
    return None


def pattern_observables(pattern: str) -> list[Observable]:
    """The values an OR-only equality pattern stands for; [] when it cannot be decided on one value."""
    if re.search(r"\b(AND|FOLLOWEDBY)\b", _QUOTED.sub("''", pattern)):
        return []
    found: list[Observable] = []
    for object_type, comparisons in Pattern(pattern).inspect().comparisons.items():
        for path, operator, quoted in comparisons:
            kind = _STIX_PATHS.get((object_type, ".".join(str(part) for part in path).lower()))
            if kind is None or operator != "=" or not str(quoted).startswith("'"):
                return []
            value = str(quoted)[1:-1].replace("\\'", "'").replace("\\\\", "\\")
            try:
                found.append(observable(kind, value))
            except IndicatorError:
                continue  # a malformed value in a feed (e.g. "domain autuo.xicp.net") matches nothing
    return found


def _stix_indicator(obj: Any, source: str, context: list[ContextRef]) -> ParsedIndicator:
    pattern_type = str(obj.get("pattern_type", "stix"))
    observables = pattern_observables(obj.pattern) if pattern_type == "stix" else []
    return ParsedIndicator(
        stix_id=obj.id, name=obj.get("name"), description=obj.get("description"), pattern=obj.pattern,
        pattern_type=pattern_type, observables=observables, valid_from=_datetime(obj.get("valid_from")),
        valid_until=_datetime(obj.get("valid_until")), confidence=obj.get("confidence"), tlp=_tlp(obj),
        tags=[str(label) for label in obj.get("labels", []) or [] if not str(label).lower().startswith("tlp:")],
        source=source, context=context)


def _stix_vulnerability(obj: Any, source: str, context: list[ContextRef]) -> ParsedIndicator | None:
    cves = [ref.get("external_id") for ref in obj.get("external_references", []) or []
            if ref.get("source_name") == "cve" and ref.get("external_id")]
    if not cves and str(obj.get("name", "")).upper().startswith("CVE-"):
        cves = [obj.name]
    observables = []
    for cve in cves:
        try:
            observables.append(observable(IndicatorType.CVE, cve))
        except IndicatorError:
            continue
    if not observables:
        return None
    return ParsedIndicator(stix_id=obj.id, name=obj.get("name"), description=obj.get("description"),
                           pattern_type="vulnerability", observables=observables, tlp=_tlp(obj),
                           confidence=obj.get("confidence"), source=source, context=context)


def _datetime(value: Any) -> datetime | None:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None


# --- CSV (value,type,confidence,tags) -------------------------------------------------------
def parse_csv(raw: bytes | str, source: str) -> list[ParsedIndicator]:
    text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or [name.strip().lower() for name in reader.fieldnames[:2]] != ["value", "type"]:
        raise IndicatorFileError(f"CSV header must start with value,type (columns: {', '.join(_CSV_COLUMNS)})")
    parsed: list[ParsedIndicator] = []
    for line, row in enumerate(reader, start=2):
        row = {str(key).strip().lower(): (value or "").strip() for key, value in row.items() if key}
        try:
            kind = IndicatorType(row["type"].lower())
            item = observable(kind, row["value"])
            confidence = int(row["confidence"]) if row.get("confidence") else None
        except ValueError as exc:
            raise IndicatorFileError(f"line {line}: {exc}") from None
        tags = [tag.strip() for tag in re.split(r"[;|]", row.get("tags", "")) if tag.strip()]
        tlp = next((t for tag in tags if tag.lower().startswith("tlp:") and (t := Tlp.from_text(tag))), None)
        parsed.append(_plain(source, item, confidence=confidence, tlp=tlp,
                             tags=[tag for tag in tags if not tag.lower().startswith("tlp:")]))
        _bounded(parsed)
    return parsed


def _plain(source: str, item: Observable, *, confidence: int | None, tlp: Tlp | None, tags: list[str],
           valid_from: datetime | None = None, valid_until: datetime | None = None,
           context: Iterable[ContextRef] = (), name: str | None = None) -> ParsedIndicator:
    try:
        return ParsedIndicator(stix_id=stable_id(source, item.type.value, item.value), name=name or item.value,
                               pattern_type=source.split(":", 1)[0], observables=[item], confidence=confidence,
                               tlp=tlp, tags=tags, source=source, valid_from=valid_from, valid_until=valid_until,
                               context=list(context))
    except ValueError as exc:
        raise IndicatorFileError(str(exc)) from None


def _bounded(parsed: list[ParsedIndicator]) -> None:
    if len(parsed) > MAX_INDICATORS:
        raise IndicatorFileError(f"more than {MAX_INDICATORS} indicators in one file: split it")


# --- MISP event JSON ------------------------------------------------------------------------
def parse_misp_event(raw: bytes | str, source: str) -> list[ParsedIndicator]:
    event = MISPEvent()
    try:
        event.load(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    except (ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
        raise IndicatorFileError(f"not a MISP event: {exc}") from None
    event_tlp = _misp_tlp(event.tags)
    context = [ContextRef(stix_id=f"misp-event--{event.uuid}", type="misp-event", name=str(event.info),
                          relationship="reported in")] if getattr(event, "info", None) else []
    attributes = list(event.attributes) + [attribute for obj in event.objects for attribute in obj.attributes]
    parsed: list[ParsedIndicator] = []
    for attribute in attributes:
        kind = _MISP_TYPES.get(attribute.type)
        if kind is None or not getattr(attribute, "to_ids", True):
            continue  # MISP's to_ids=false marks context values that must not raise alerts
        try:
            item = observable(kind, str(attribute.value))
        except IndicatorError:
            if kind is IndicatorType.IPV4:  # MISP ip-src/ip-dst hold either family
                try:
                    item = observable(IndicatorType.IPV6, str(attribute.value))
                except IndicatorError:
                    continue
            else:
                continue
        tags = [str(tag.name) for tag in attribute.tags if not str(tag.name).lower().startswith("tlp:")]
        parsed.append(_plain(source, item, confidence=None, tlp=_misp_tlp(attribute.tags) or event_tlp, tags=tags,
                             valid_from=getattr(attribute, "first_seen", None),
                             valid_until=getattr(attribute, "last_seen", None), context=context,
                             name=str(attribute.comment) if getattr(attribute, "comment", None) else None))
        _bounded(parsed)
    return parsed


def _misp_tlp(tags: Iterable[Any]) -> Tlp | None:
    return next((tlp for tag in tags if (tlp := Tlp.from_text(getattr(tag, "name", ""))) is not None
                 and str(getattr(tag, "name", "")).lower().startswith("tlp:")), None)


PARSERS = {"stix": parse_stix_bundle, "csv": parse_csv, "misp": parse_misp_event}


def parse_indicator_file(kind: str, raw: bytes, source: str) -> list[ParsedIndicator]:
    try:
        parser = PARSERS[kind]
    except KeyError:
        raise IndicatorFileError(f"unknown indicator format {kind!r}; one of {', '.join(PARSERS)}") from None
    return parser(raw, source)
