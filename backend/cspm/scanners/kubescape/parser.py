"""Kubescape JSON reports (``kubescape scan … --format json``): one finding per control and resource.

``{"clusterName", "summaryDetails": {"controls": {"C-0017": {"name", "scoreFactor", …}},
"frameworks": [{"name": "NSA", "controls": {...}}]}, "resources": [...], "results":
[{"resourceID", "controls": [{"controlID", "name", "status": {"status"}, "rules": [{"name",
"status", "paths": [{"failedPath" | "fixPath" | "reviewPath" | "deletePath"}]}]}]}]}``.

Read twice, both times streamed: the first pass builds ``summaryDetails`` only (control
severities and the frameworks each control belongs to: Kubescape writes it after the results
in some versions), the second converts the results one resource at a time. ``resources``
(whole Kubernetes objects) is never built.

Status: ``failed`` → ``result=fail``, ``passed`` → ``result=pass`` (compliance evidence);
``skipped``/``excluded`` (irrelevant, or excepted by the user) are not findings. Older reports
(Kubescape 2) have no control status: the control failed when one of its rules failed. A result
that is not an object or has no ``resourceID`` is skipped with its position (results counted
from 1) and the reason; a truncated or non-Kubescape report is refused whole.

Identity (hashed into ``dedup_key``): ``control`` (controlID) + ``resource`` (Kubescape's
resourceID: source-path hash, API version, namespace, kind and name) + ``cluster``.

Mapping: severity from the control's ``scoreFactor`` with Kubescape's own bands (9-10 critical,
7-8 high, 4-6 medium, 1-3 low); category ``misconfiguration``; resource
``kubernetes_<kind>`` with id ``namespace/Kind/name``; evidence = failed, review and delete
paths; remediation = fix paths (``path = value``); reference = the control's page on ARMO's hub;
``compliance_tags`` = the frameworks listing the control (NSA, MITRE, CIS…) and ``kubescape``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from cspm.findings.models import CanonicalFinding
from cspm.scanners.base import ReportFormatError, SkippedRecord
from cspm.scanners.kubescape.parser_controls import TOOL, Summary, findings
from cspm.scanners.normalize import text
from cspm.scanners.sniff import what_is_it
from cspm.scanners.streaming import JsonEvents, PeekedReport
from cspm.scanners.two_pass import parse_in_two_passes

_REPORT_KEYS = {"summaryDetails", "results", "resources", "generationTime"}


class KubescapeParser:
    tool: str = TOOL
    formats: tuple[str, ...] = ("json",)

    def parse(self, report: BinaryIO) -> Iterator[CanonicalFinding | SkippedRecord]:
        return parse_in_two_passes(self.tool, report, what="Kubescape JSON report", read_context=_read_summary,
                                   items="results.item", item_name="resource", convert=findings)


def _read_summary(stream: PeekedReport) -> Summary:
    """First pass: ``summaryDetails`` and ``clusterName``; everything else is tokenised, not built."""
    events = JsonEvents(TOOL, stream)
    summary = Summary()
    keys: set[str] = set()
    for prefix, event, value in events:
        if prefix == "":
            if event == "map_key":
                keys.add(value)
            elif event not in ("start_map", "end_map"):
                raise ReportFormatError(TOOL, "not a Kubescape JSON report: the document is not a JSON object")
        elif prefix == "summaryDetails" and event == "start_map":
            summary.read(events.build(event, value))
        elif prefix == "clusterName":
            summary.cluster = text(value)
        elif prefix == "results" and event not in ("start_array", "end_array", "null"):
            raise ReportFormatError(TOOL, "\"results\" must be an array")
    if not {"results", "summaryDetails"} <= keys or not keys & _REPORT_KEYS:
        raise ReportFormatError(TOOL, "not a Kubescape JSON report: no results and summaryDetails; "
                                      + what_is_it(stream.head))
    return summary
