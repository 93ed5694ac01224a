"""The generic format as JSON: ``{"scanner": "...", "findings": [{...}, ...]}``, streamed finding by finding."""

from __future__ import annotations

from collections.abc import Iterator

from cspm.findings.models import CanonicalFinding
from cspm.scanners.base import RecordError, ReportFormatError, SkippedRecord, findings_or_skip
from cspm.scanners.generic.parser_common import DEFAULT_SCANNER, TOOL, scanner_name, to_finding
from cspm.scanners.sniff import what_is_it
from cspm.scanners.streaming import JsonEvents, PeekedReport

TOP_LEVEL_KEYS = {"scanner", "findings", "version"}
SUPPORTED_VERSIONS = {1}


def parse_json(stream: PeekedReport) -> Iterator[CanonicalFinding | SkippedRecord]:
    events = JsonEvents(TOOL, stream)
    scanner = DEFAULT_SCANNER
    keys: set[str] = set()
    count = 0
    for prefix, event, value in events:
        if prefix == "":
            if event == "start_array":
                raise ReportFormatError(TOOL, "expected an object {\"scanner\": ..., \"findings\": [...]} but the "
                                              "report is a JSON array; " + what_is_it(stream.head))
            if event == "map_key":
                if value not in TOP_LEVEL_KEYS:
                    raise ReportFormatError(TOOL, f"unknown top-level field {value!r} (expected scanner, version, "
                                                  f"findings); " + what_is_it(stream.head))
                keys.add(value)
            elif event not in ("start_map", "end_map"):
                raise ReportFormatError(TOOL, "expected a JSON object with a findings array")
        elif prefix == "scanner":
            if count:
                raise ReportFormatError(TOOL, "\"scanner\" must come before \"findings\"")
            scanner = scanner_name(events.build(event, value) if event != "null" else None)
        elif prefix == "version":
            if value not in SUPPORTED_VERSIONS:
                raise ReportFormatError(TOOL, f"unsupported generic format version {value!r} (supported: 1)")
        elif prefix == "findings" and event not in ("start_array", "end_array"):
            raise ReportFormatError(TOOL, "\"findings\" must be an array")
        elif prefix == "findings.item":
            item = events.build(event, value)
            count += 1
            yield from findings_or_skip(count, _record_finding, item, scanner, count)
    if "findings" not in keys:
        raise ReportFormatError(TOOL, "no \"findings\" array in the report; " + what_is_it(stream.head))


def _record_finding(item: object, scanner: str, count: int) -> CanonicalFinding:
    if not isinstance(item, dict):
        raise RecordError(TOOL, f"finding #{count} is not a JSON object")
    return to_finding(item, scanner, f"finding #{count}")
