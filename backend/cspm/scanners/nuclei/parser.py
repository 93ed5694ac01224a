"""Nuclei results: JSON Lines (``-jsonl``, one result per line) and JSON arrays (``-je``).

Read one result at a time (ijson over concatenated values, so a pretty-printed object or an
array export work as well as one-per-line output). An empty report is valid: Nuclei writes
nothing when no template matched. Both the current field names (``template-id``,
``matched-at``, ``matcher-name``, ``extracted-results``) and those of Nuclei 2.x
(``templateID``, ``matched``, ``matcher_name``, ``extracted_results``) are read.

Identity (hashed into ``dedup_key``): ``template`` (template id) + ``matched`` (matched-at:
the URL or host:port the template matched) + ``matcher`` (matcher name: one template can
report several distinct matches on one target, e.g. technology detection).

Mapping: ``info.severity`` (unknown → info); category ``web`` for HTTP-like results,
``network`` for network/DNS, ``tls`` for ssl templates; resource ``url`` or ``host_port``;
CVE and CWE ids from ``info.classification`` (junk such as ``nvd-cve-other`` dropped), CVSS
score and vector, EPSS score; description, remediation, references (``info.reference`` and
the template URL); evidence = matcher name, extracted results and matched line. Requests,
responses and the ``curl-command`` are never copied: they can carry credentials.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from cspm.findings.models import CanonicalFinding, FindingCategory, Resource, Severity
from cspm.scanners.base import RecordError, ReportFormatError, SkippedRecord, each_record
from cspm.scanners.normalize import (
    as_list,
    build_finding,
    compliance,
    cve_ids,
    cvss,
    cwe_ids,
    identity,
    join_text,
    mapping,
    probability,
    scan_scope,
    text,
    unique,
    urls,
)
from cspm.scanners.sniff import looks_like_other_tool, what_is_it
from cspm.scanners.streaming import PeekedReport, json_items, peek

TOOL = "nuclei"
_CATEGORIES = {"network": FindingCategory.NETWORK, "tcp": FindingCategory.NETWORK, "dns": FindingCategory.NETWORK,
               "ssl": FindingCategory.TLS, "file": FindingCategory.OTHER, "code": FindingCategory.OTHER}


class NucleiParser:
    tool: str = TOOL
    formats: tuple[str, ...] = ("jsonl", "json")

    def parse(self, report: BinaryIO) -> Iterator[CanonicalFinding | SkippedRecord]:
        stream = peek(self.tool, report)
        if not stream.stripped_head():
            return iter(())  # Nuclei writes an empty file when nothing matched
        other = looks_like_other_tool(self.tool, stream.head)
        if other:
            raise ReportFormatError(self.tool, other)
        if stream.first_char() not in ("{", "["):
            raise ReportFormatError(self.tool, f"not Nuclei JSON Lines or JSON: {what_is_it(stream.head)}")
        return _results(stream)


def _results(stream: PeekedReport) -> Iterator[CanonicalFinding | SkippedRecord]:
    if stream.first_char() == "[":
        items = json_items(TOOL, stream, "item", multiple_values=True)  # -je: one (or more) JSON arrays
    else:
        items = json_items(TOOL, stream, "", multiple_values=True)  # -jsonl: one object per line
    return each_record(items, lambda item, count: [_finding(item, f"result #{count}", stream.head)])


def _finding(item: Any, position: str, head: bytes) -> CanonicalFinding:
    if not isinstance(item, dict):
        raise RecordError(TOOL, f"{position} is not a JSON object; {what_is_it(head)}")
    template = text(item.get("template-id")) or text(item.get("templateID"))
    info = item.get("info")
    if template is None or not isinstance(info, dict):
        raise RecordError(TOOL, f"{position} is not a Nuclei result (no template-id/info); {what_is_it(head)}")
    # A DNS template's result may name its target only as the input host or the matched name.
    matched = (text(item.get("matched-at")) or text(item.get("matched")) or text(item.get("url"))
               or text(item.get("host")) or text(item.get("ip")))
    if matched is None:
        raise RecordError(TOOL, f"{position} ({template}) names no matched target (no matched-at, matched, url, "
                                "host or ip)")
    matcher = text(item.get("matcher-name")) or text(item.get("matcher_name"))
    classification = mapping(info.get("classification"))
    extracted = unique(as_list(item.get("extracted-results") or item.get("extracted_results")))
    severity_word = text(info.get("severity"))
    cwes = cwe_ids(classification.get("cwe-id"))
    kind = (text(item.get("type")) or "http").lower()
    return build_finding(
        TOOL, f"{position} ({template})",
        rule_id=template,
        title=text(info.get("name")) or template,
        description=text(info.get("description")),
        severity=Severity.from_tool(severity_word, default=Severity.INFO),
        tool_severity=severity_word,
        category=_CATEGORIES.get(kind, FindingCategory.WEB),
        resource=_resource(matched, item),
        cve_ids=cve_ids(classification.get("cve-id")),
        cwe_ids=cwes,
        cvss_score=cvss(classification.get("cvss-score")),
        cvss_vector=text(classification.get("cvss-metrics")),
        epss_score=probability(classification.get("epss-score")),
        evidence=join_text(f"Matcher: {matcher}" if matcher else None,
                           f"Extracted: {', '.join(extracted)}" if extracted else None,
                           f"Matched line: {', '.join(str(v) for v in as_list(item.get('matched-line')))}"
                           if item.get("matched-line") else None,
                           f"Matched at: {matched}", separator="\n"),
        remediation=text(info.get("remediation")),
        references=unique([*urls(info.get("reference")), item.get("template-url")]),
        compliance_tags=compliance({"CWE": cwes}),
        identity=identity(template=template, matched=matched, matcher=matcher),
        scope=scan_scope("host", _host(matched, item)),
    )


def _host(matched: str, item: Mapping[str, Any]) -> str | None:
    """The scanned host: Nuclei's ``host`` (the input), else the matched target's host name."""
    host = text(item.get("host")) or matched
    try:
        return urlsplit(host if "://" in host else f"//{host}").hostname or host
    except ValueError:  # not a URL or host[:port] at all: the text as the tool wrote it
        return host


def _resource(matched: str, item: Mapping[str, Any]) -> Resource:
    host = text(item.get("host"))
    hostname = urlsplit(host).hostname if host and "://" in host else host
    if "://" in matched:
        return Resource(type="url", id=matched, name=urlsplit(matched).hostname or hostname)
    return Resource(type="host_port", id=matched, name=hostname or text(item.get("ip")))
