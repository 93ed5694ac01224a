"""OWASP ZAP reports: XML (``-x``) and JSON (``-J``), told apart by their first byte.

One finding per alert and distinct (URL, parameter, method); instances of the same alert that
repeat those three (the same page with several pieces of evidence) are folded into one
finding whose evidence lists them all. Alerts with confidence 0 ("False Positive", set by a
user in ZAP) are not findings. An alert that names no plugin or alert, is not an object or whose
instances are not a list is skipped with its position (alerts counted from 1) and the reason; a
truncated or non-ZAP report is refused whole.

Identity (hashed into ``dedup_key``): ``plugin`` (alertRef when present — it refines the
plugin id for plugins that raise several alert types, e.g. 10055-4 vs 10055-5 — else
pluginid) + ``url`` (the instance URI as ZAP wrote it) + ``param`` + ``method``.

Mapping: riskcode 0/1/2/3 → info/low/medium/high (``tool_severity`` keeps risk and
confidence words); category ``web``; resource ``url`` (name = host); CVE ids named in the alert
name or its references ("Log4Shell (CVE-2021-44228)"); description and
solution with ZAP's HTML stripped; CWE id (also ``compliance_tags["CWE"]``) and WASC id
(``compliance_tags["WASC"]``); references = the URLs in ``reference``; evidence = method,
parameter, attack, evidence and other info. Request/response dumps (xml-plus) are never
copied: they carry session cookies.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from cspm.findings.models import CanonicalFinding
from cspm.scanners.base import ReportFormatError, SkippedRecord
from cspm.scanners.sniff import what_is_it
from cspm.scanners.streaming import open_report
from cspm.scanners.zap.parser_common import TOOL
from cspm.scanners.zap.parser_json import parse_json
from cspm.scanners.zap.parser_xml import parse_xml


class ZapParser:
    tool: str = TOOL
    formats: tuple[str, ...] = ("xml", "json")

    def parse(self, report: BinaryIO) -> Iterator[CanonicalFinding | SkippedRecord]:
        stream = open_report(self.tool, report)
        first = stream.first_char()
        if first == "<":
            return parse_xml(stream)
        if first in ("{", "["):
            return parse_json(stream)
        raise ReportFormatError(self.tool, f"not a ZAP XML or JSON report: {what_is_it(stream.head)}")
