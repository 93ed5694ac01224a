"""Grype JSON reports (``grype <source> -o json``): one finding per match.

``{"matches": [{"vulnerability": {...}, "relatedVulnerabilities": [...], "matchDetails": [...],
"artifact": {...}}], "source": {"type", "target"}, "distro": {...}, "descriptor": {...}}``.
Grype writes ``source`` *after* ``matches``, and the scanned source belongs in every
finding's identity, so the report is read twice, both times streamed: a first pass that only
picks ``source`` out (matches are tokenised, never built) and a second that converts the
matches one by one (each built by ijson's C backend). A non-seekable stream is spooled to a temporary file first.
Old Grype (0.7) fields are read too: ``links``, ``cvssV2``/``cvssV3``, ``fixedInVersion``.

Identity (hashed into ``dedup_key``): ``vuln`` (vulnerability id: CVE or GHSA…) + ``package``
+ ``version`` + ``type`` (artifact type: deb, npm, python…) + ``locations`` (the artifact's
paths, sorted: the same package at two paths is two findings) + ``source`` (the scanned
image reference / directory, when the report names one).

Mapping: Grype's severity (Negligible → low, Unknown → info; a missing one falls back to the
CVSS score, then to the related NVD record's severity); CVE ids from the id, related
vulnerabilities and EPSS records; CVSS (highest v3.x, else v4, else v2, the vulnerability's
own before the related records'); EPSS probability; fixed versions; PURL; first location as
package path; references = data source, URLs and advisories.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from cspm.findings.models import CanonicalFinding, FindingCategory, PackageRef, Resource, Severity
from cspm.scanners.base import RecordError, ReportFormatError, SkippedRecord, findings_or_skip
from cspm.scanners.normalize import (
    as_list,
    build_finding,
    cve_ids,
    cvss,
    identity,
    join_text,
    mapping,
    probability,
    scan_scope,
    text,
    unique,
)
from cspm.scanners.sniff import what_is_it
from cspm.scanners.streaming import (
    PeekedReport,
    json_items,
    open_report,
    rereadable,
    start_position,
)

TOOL = "grype"
_MATCHES_KEY = re.compile(rb'(?<!\\)"matches"\s*:')
_RESOURCE_TYPES = {"image": "container_image", "directory": "directory", "file": "file", "sbom": "sbom"}


class GrypeParser:
    tool: str = TOOL
    formats: tuple[str, ...] = ("json",)

    def parse(self, report: BinaryIO) -> Iterator[CanonicalFinding | SkippedRecord]:
        start = start_position(report)
        stream = open_report(self.tool, report)
        if stream.first_char() != "{":
            raise ReportFormatError(self.tool, f"not a Grype JSON report (expected a JSON object): "
                                               f"{what_is_it(stream.head)}")
        return self._findings(report, stream, start)

    def _findings(self, report: BinaryIO, stream: PeekedReport, start: int | None
                  ) -> Iterator[CanonicalFinding | SkippedRecord]:
        with rereadable(TOOL, report, stream, start) as reopen:
            source = _read_source(reopen())
            yield from _matches(reopen(), source)


def _read_source(stream: PeekedReport) -> dict[str, Any]:
    """First pass: the ``source`` object only (everything else is tokenised by the C backend, not built)."""
    for source in json_items(TOOL, stream, "source"):
        if isinstance(source, dict):
            return source
    return {}


def _matches(stream: PeekedReport, source: dict[str, Any]) -> Iterator[CanonicalFinding | SkippedRecord]:
    target = source.get("target")
    source_name = text(target.get("userInput")) if isinstance(target, dict) else text(target)
    source_type = text(source.get("type"))
    count = 0
    for match in json_items(TOOL, stream, "matches.item"):
        count += 1
        yield from findings_or_skip(count, _match_finding, match, source_name, source_type, f"match #{count}")
    if count == 0 and not source and not _MATCHES_KEY.search(stream.head):
        raise ReportFormatError(TOOL, "not a Grype JSON report: no matches list; " + what_is_it(stream.head))


def _finding(match: dict[str, Any], source_name: str | None, source_type: str | None,
             position: str) -> CanonicalFinding:
    vuln = mapping(match.get("vulnerability"))
    artifact = mapping(match.get("artifact"))
    related = [r for r in as_list(match.get("relatedVulnerabilities")) if isinstance(r, dict)]
    vuln_id = text(vuln.get("id"))
    name = text(artifact.get("name"))
    if vuln_id is None or name is None:
        raise RecordError(TOOL, f"{position} lacks vulnerability.id or artifact.name")
    version = text(artifact.get("version"))
    locations = unique(loc.get("path") for loc in as_list(artifact.get("locations")) if isinstance(loc, dict))
    score, vector = _cvss([vuln, *related])
    severity = _severity(vuln, related, score)
    fix = mapping(vuln.get("fix"))
    fixed_versions = unique([*as_list(fix.get("versions")), vuln.get("fixedInVersion")])
    fixed = ", ".join(fixed_versions) or None
    epss = [e for e in as_list(vuln.get("epss")) if isinstance(e, dict)]
    epss_score = probability(epss[0].get("epss")) if epss else None
    details = [d for d in as_list(match.get("matchDetails")) if isinstance(d, dict)]
    matchers = unique(d.get("matcher") for d in details)
    advisories = [a.get("link") for a in as_list(vuln.get("advisories")) if isinstance(a, dict)]
    description = text(vuln.get("description")) or next((text(r.get("description")) for r in related
                                                         if text(r.get("description"))), None)
    return build_finding(
        TOOL, position,
        rule_id=vuln_id,
        title=f"{vuln_id} in {name}" + (f" {version}" if version else ""),
        description=description,
        severity=severity,
        tool_severity=text(vuln.get("severity")),
        category=FindingCategory.VULNERABILITY,
        resource=_resource(source_name, source_type, artifact, name, version),
        cve_ids=cve_ids(vuln_id, [r.get("id") for r in related], [e.get("cve") for e in epss]),
        package=PackageRef(name=name, version=version, fixed_version=fixed, ecosystem=text(artifact.get("type")),
                           purl=text(artifact.get("purl")), path=locations[0] if locations else None),
        cvss_score=score,
        cvss_vector=vector,
        epss_score=epss_score,
        evidence=join_text(
            f"Fix state: {state}" if (state := text(fix.get("state"))) else None,
            f"Matched by: {', '.join(matchers)}" if matchers else None,
            f"Namespace: {ns}" if (ns := text(vuln.get("namespace"))) else None,
            f"Locations: {', '.join(locations)}" if locations else None,
            f"Grype risk score: {vuln.get('risk')}" if vuln.get("risk") is not None else None,
            separator="\n"),
        remediation=f"Upgrade {name} to {fixed}." if fixed else None,
        references=unique([vuln.get("dataSource"), *as_list(vuln.get("urls")), *as_list(vuln.get("links")),
                           *advisories]),
        identity=identity(vuln=vuln_id, package=name, version=version, type=artifact.get("type"),
                          locations="|".join(sorted(locations)), source=source_name),
        scope=scan_scope(source_type, source_name) if source_name else None,
    )


def _severity(vuln: dict[str, Any], related: list[dict[str, Any]], score: float | None) -> Severity:
    word = text(vuln.get("severity"))
    if word and word.lower() != "unknown":
        return Severity.from_tool(word, default=Severity.INFO)
    if score is not None:
        return Severity.from_cvss(score)
    for record in related:
        related_word = text(record.get("severity"))
        if related_word and related_word.lower() != "unknown":
            return Severity.from_tool(related_word, default=Severity.INFO)
    return Severity.INFO


def _cvss(records: list[dict[str, Any]]) -> tuple[float | None, str | None]:
    """Highest-preference CVSS: the vulnerability's own records first, v3.x, then v4, then v2."""
    for wanted in ("3", "4", "2"):
        for record in records:
            for entry in as_list(record.get("cvss")):
                if not isinstance(entry, dict) or not str(entry.get("version", "")).startswith(wanted):
                    continue
                metrics = mapping(entry.get("metrics"))
                score = cvss(metrics.get("baseScore"))
                if score is not None:
                    return score, text(entry.get("vector"))
            legacy = record.get(f"cvssV{wanted}")
            if isinstance(legacy, dict) and (score := cvss(legacy.get("baseScore"))) is not None:
                return score, text(legacy.get("vector"))
    return None, None


def _resource(source_name: str | None, source_type: str | None, artifact: dict[str, Any], name: str,
              version: str | None) -> Resource:
    if source_name:
        return Resource(type=_RESOURCE_TYPES.get(source_type or "", source_type or "artifact"), id=source_name,
                        name=f"{name} {version}".strip() if version else name)
    package_id = text(artifact.get("purl")) or (f"{name}@{version}" if version else name)
    return Resource(type="package", id=package_id, name=name)


def _match_finding(match: object, source_name: str | None, source_type: str | None, position: str
                   ) -> CanonicalFinding:
    if not isinstance(match, dict):
        raise RecordError(TOOL, f"{position} is not a JSON object")
    return _finding(match, source_name, source_type, position)
