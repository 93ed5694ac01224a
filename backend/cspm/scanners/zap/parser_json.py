"""ZAP's JSON report (``-J``, the traditional-json template): streamed alert by alert.

``{"@programName", "@version", "@generated", "site": [{"@name", "@host", "@port", "@ssl",
"alerts": [{"pluginid", "alertRef", "alert", "name", "riskcode", "confidence", "riskdesc",
"desc", "instances": [{"id", "uri", "method", "param", "attack", "evidence", "otherinfo"}],
"count", "systemic", "solution", "otherinfo", "reference", "cweid", "wascid", "sourceid"}]}],
"sequences": [...]}``. Old reports converted from XML may hold a single ``site`` object
instead of a list; both are read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cspm.findings.models import CanonicalFinding
from cspm.scanners.base import ReportFormatError, SkippedRecord, findings_or_skip
from cspm.scanners.sniff import what_is_it
from cspm.scanners.streaming import JsonEvents, PeekedReport
from cspm.scanners.zap.parser_common import TOOL, alert_findings

_SITE_BASES = ("site.item", "site")
_ALERTS = {f"{base}.alerts.item": base for base in _SITE_BASES}
_SITE_FIELDS = {f"{base}.@{name}": name for base in _SITE_BASES for name in ("name", "host", "port")}
_REPORT_KEYS = {"site", "@version", "@programName", "@generated"}


def parse_json(stream: PeekedReport) -> Iterator[CanonicalFinding | SkippedRecord]:
    events = JsonEvents(TOOL, stream)
    site: dict[str, Any] = {}
    keys: set[str] = set()
    alerts = 0
    for prefix, event, value in events:
        if prefix == "":
            if event == "start_array":
                raise ReportFormatError(TOOL, "expected a ZAP JSON report object but the report is a JSON array; "
                                              + what_is_it(stream.head))
            if event == "map_key":
                keys.add(value)
            elif event not in ("start_map", "end_map"):
                raise ReportFormatError(TOOL, "not a ZAP JSON report: the document is a single scalar value")
            continue
        if prefix in _SITE_BASES and event == "start_map":
            site = {}
        elif prefix in _SITE_FIELDS and event in ("string", "number"):
            site[_SITE_FIELDS[prefix]] = str(value)
        elif prefix in _ALERTS and event not in ("map_key", "end_map", "end_array"):
            alert = events.build(event, value)  # any JSON value: one that is not an object is skipped
            alerts += 1
            yield from findings_or_skip(alerts, alert_findings, alert, site, f"alert #{alerts}")
    if not keys & _REPORT_KEYS:
        raise ReportFormatError(TOOL, "not a ZAP JSON report: no site list or @version; " + what_is_it(stream.head))
