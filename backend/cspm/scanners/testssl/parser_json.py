"""testssl.sh JSON: the flat list (``--jsonfile``) or the pretty object (``--jsonfile-pretty``), streamed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cspm.findings.models import CanonicalFinding
from cspm.scanners.base import ReportFormatError
from cspm.scanners.normalize import as_list, mapping
from cspm.scanners.sniff import what_is_it
from cspm.scanners.streaming import PeekedReport, json_items
from cspm.scanners.testssl.parser_common import TOOL, to_finding

_TARGET_KEYS = {"targetHost", "ip", "port", "rDNS", "service", "hostname"}


def parse_json(stream: PeekedReport) -> Iterator[CanonicalFinding]:
    if stream.first_char() == "[":
        count = 0
        for check in json_items(TOOL, stream, "item"):
            count += 1
            yield from _convert(check, f"check #{count}")
        return
    targets = 0
    for target in json_items(TOOL, stream, "scanResult.item"):
        targets += 1
        yield from _target(mapping(target), f"target #{targets}")
    if targets == 0 and b'"scanResult"' not in stream.head:
        raise ReportFormatError(TOOL, "not a testssl.sh JSON report: no scanResult list; " + what_is_it(stream.head))


def _target(target: dict[str, Any], position: str) -> Iterator[CanonicalFinding]:
    """A pretty-JSON target: its sections hold the checks; the address is the target's."""
    address = {"ip": f"{target.get('targetHost') or ''}/{target.get('ip') or ''}", "port": target.get("port")}
    count = 0
    for section, checks in target.items():
        if section in _TARGET_KEYS:
            continue
        for check in as_list(checks):
            count += 1
            if isinstance(check, dict):
                yield from _convert({**address, **check, "ip": address["ip"]}, f"{position} {section} #{count}")


def _convert(check: object, position: str) -> Iterator[CanonicalFinding]:
    if not isinstance(check, dict):
        raise ReportFormatError(TOOL, f"{position} is not a JSON object")
    finding = to_finding(check, position)
    if finding is not None:
        yield finding
