"""testssl.sh JSON: the flat list (``--jsonfile``) or the pretty object (``--jsonfile-pretty``), streamed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cspm.findings.models import CanonicalFinding
from cspm.scanners.base import ReportFormatError, SkippedRecord, each_record
from cspm.scanners.normalize import as_list, mapping
from cspm.scanners.sniff import what_is_it
from cspm.scanners.streaming import PeekedReport, json_items
from cspm.scanners.testssl.parser_common import TOOL, to_finding

_TARGET_KEYS = {"targetHost", "ip", "port", "rDNS", "service", "hostname"}


def parse_json(stream: PeekedReport) -> Iterator[CanonicalFinding | SkippedRecord]:
    if stream.first_char() == "[":
        yield from each_record(json_items(TOOL, stream, "item"),
                               lambda check, count: to_finding(check, f"check #{count}"))
        return
    targets = 0

    def checks() -> Iterator[tuple[dict[str, Any], str]]:  # every target's, so indexes count across targets
        nonlocal targets
        for target in json_items(TOOL, stream, "scanResult.item"):
            targets += 1
            yield from _target_checks(mapping(target), f"target #{targets}")

    yield from each_record(checks(), lambda check, _index: to_finding(*check))
    if targets == 0 and b'"scanResult"' not in stream.head:
        raise ReportFormatError(TOOL, "not a testssl.sh JSON report: no scanResult list; " + what_is_it(stream.head))


def _target_checks(target: dict[str, Any], position: str) -> Iterator[tuple[dict[str, Any], str]]:
    """A pretty-JSON target's checks with their positions: its sections hold them; the address is the target's."""
    address = {"ip": f"{target.get('targetHost') or ''}/{target.get('ip') or ''}", "port": target.get("port")}
    count = 0
    for section, checks in target.items():
        if section in _TARGET_KEYS:
            continue
        for check in as_list(checks):
            count += 1
            if isinstance(check, dict):
                yield {**address, **check, "ip": address["ip"]}, f"{position} {section} #{count}"
