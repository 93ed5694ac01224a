"""ZAP's XML report (``-x``, traditional-xml and traditional-xml-plus): streamed alert by alert.

``<OWASPZAPReport version=…><site name host port ssl><alerts><alertitem>`` with ``pluginid``,
``alertRef``, ``alert``/``name``, ``riskcode``, ``confidence``, ``desc``, ``solution``,
``otherinfo``, ``reference``, ``cweid``, ``wascid`` and ``<instances><instance>`` (``uri``,
``method``, ``param``, ``attack``, ``evidence``, ``otherinfo``; the -plus variant adds request
and response headers and bodies, which are not copied: they hold session cookies).
Each ``alertitem`` is removed from the tree once converted, so memory stays flat.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # only for the Element type: parsing goes through defusedxml
from collections.abc import Iterator
from typing import Any

from cspm.findings.models import CanonicalFinding
from cspm.scanners.base import ReportFormatError, SkippedRecord, findings_or_skip
from cspm.scanners.sniff import what_is_it
from cspm.scanners.streaming import PeekedReport, iter_xml, local_name
from cspm.scanners.zap.parser_common import TOOL, alert_findings

_SKIPPED = {"requestheader", "requestbody", "responseheader", "responsebody"}


def parse_xml(stream: PeekedReport) -> Iterator[CanonicalFinding | SkippedRecord]:
    stack: list[ET.Element] = []
    site: dict[str, Any] = {}
    alerts = 0
    for event, element in iter_xml(TOOL, stream):
        tag = local_name(element.tag)
        if event == "start":
            if not stack and tag != "OWASPZAPReport":
                raise ReportFormatError(TOOL, f"the XML root is <{tag}>, not <OWASPZAPReport>; "
                                              + what_is_it(stream.head))
            stack.append(element)
            if tag == "site":
                site = {"name": element.get("name"), "host": element.get("host"), "port": element.get("port")}
            continue
        stack.pop()
        if tag == "alertitem":
            alerts += 1
            yield from findings_or_skip(alerts, alert_findings, _alert(element), site, f"alert #{alerts}")
            if stack:
                stack[-1].remove(element)
        elif tag == "site" and stack:
            stack[-1].remove(element)


def _alert(element: ET.Element) -> dict[str, Any]:
    alert: dict[str, Any] = {}
    for child in element:
        tag = local_name(child.tag)
        if tag == "instances":
            alert["instances"] = [
                {local_name(field.tag): field.text for field in instance if local_name(field.tag) not in _SKIPPED}
                for instance in child
            ]
        elif tag not in _SKIPPED:
            alert[tag] = child.text
    return alert
