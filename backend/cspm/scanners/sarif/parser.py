"""SARIF 2.1.0 reports (Semgrep, CodeQL, Trivy, Checkov, Snyk, Gitleaks, Grype, …): one finding per result.

``{"version": "2.1.0", "$schema": …, "runs": [{"tool": {"driver": {"name", "version", "rules": [...]},
"extensions": [...]}, "results": [{"ruleId", "ruleIndex", "level", "kind", "message", "locations",
"partialFingerprints", "fingerprints", "suppressions", "properties"}, ...]}]}``.

Streamed result by result with ijson. A run's ``tool`` (its rules) comes before its ``results`` in
every tool's output; in a re-serialised report with the keys reordered, the run's results wait
in memory until its ``tool`` has been read (one run's results, never more).

``source_tool`` is ``sarif`` for every result: the format names the parser, the run's
``tool.driver.name`` (``Semgrep OSS``, ``CodeQL``, ``Trivy``…) is kept in the identity
(``driver``) and in the evidence, so two analysers reporting the same rule id on the same file
stay apart. ``kind`` ``pass`` is ``result=pass``, ``review``/``open`` are ``result=manual``;
``informational``/``notApplicable`` results and results whose suppression was accepted (an
in-source ``nosem``/``# noqa``-style or external suppression: the user's own decision) are not
findings. A result that is not an object, or has neither a rule id nor a message, is skipped with
its position (results counted across the log's runs, 1-based) and the reason; the rest imports. A
truncated log, or one not SARIF 2.1.0, is refused whole.

Identity (hashed into ``dedup_key``): ``driver`` + ``rule`` + ``file`` (the primary location's
URI as written) + the result's ``fingerprints`` (else ``partialFingerprints``), all of them
``name=value`` sorted; without any, the region's snippet text, and only as the last resort the
start line (any edit above it shifts line numbers).

Mapping: severity from ``properties.security-severity`` (result, else rule; a CVSS-like number
or a word), else SARIF's ``level`` (result, else the rule's ``defaultConfiguration``, else
``warning``, the spec's default): error → high, warning → medium, note/none → info. Rule
``shortDescription`` (else name, else the message) is the title; the message and the rule's
``fullDescription`` the description; the rule's ``help`` the remediation; ``helpUri`` a
reference; CWE ids from rule/result tags (``external/cwe/cwe-79``, ``CWE-79: …``) and CWE
taxonomy relationships; CVE ids from the rule id and message; resource ``file`` with id
``uri:line``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from cspm.findings.models import CanonicalFinding
from cspm.scanners.base import ReportFormatError, SkippedRecord, findings_or_skip
from cspm.scanners.normalize import text
from cspm.scanners.sarif.parser_results import TOOL, Run, to_finding
from cspm.scanners.sniff import what_is_it
from cspm.scanners.streaming import JsonEvents, PeekedReport, open_report

SUPPORTED_VERSION = "2.1.0"


class SarifParser:
    tool: str = TOOL
    formats: tuple[str, ...] = ("sarif", "json")

    def parse(self, report: BinaryIO) -> Iterator[CanonicalFinding | SkippedRecord]:
        stream = open_report(self.tool, report)
        if stream.first_char() != "{":
            raise ReportFormatError(self.tool, f"not a SARIF log (expected a JSON object): {what_is_it(stream.head)}")
        return _findings(stream)


def _findings(stream: PeekedReport) -> Iterator[CanonicalFinding | SkippedRecord]:
    events = JsonEvents(TOOL, stream)
    keys: set[str] = set()
    run = Run(index=0)
    pending: list[Any] = []
    count = 0
    for prefix, event, value in events:
        if prefix == "":
            if event == "map_key":
                keys.add(value)
            elif event not in ("start_map", "end_map"):
                raise ReportFormatError(TOOL, "not a SARIF log: the document is not a JSON object")
        elif prefix == "version":
            if text(value) != SUPPORTED_VERSION:
                raise ReportFormatError(TOOL, f"SARIF version {value!r} is not supported (only {SUPPORTED_VERSION})")
        elif prefix == "runs" and event not in ("start_array", "end_array"):
            raise ReportFormatError(TOOL, "\"runs\" must be an array")
        elif prefix == "runs.item":
            if event == "start_map":
                run, pending = Run(index=run.index + 1), []
            elif event == "end_map":
                for result in pending:  # results read before this run's tool (a reordered report)
                    count += 1
                    yield from findings_or_skip(count, to_finding, result, run, f"run #{run.index} result #{count}")
            elif event != "map_key":
                raise ReportFormatError(TOOL, f"run #{run.index + 1} is not a JSON object")
        elif prefix == "runs.item.tool" and event == "start_map":
            run.read_tool(events.build(event, value))
        elif prefix == "runs.item.results.item":
            result = events.build(event, value)  # one that is not an object is skipped by to_finding
            if run.tool_read:
                count += 1
                yield from findings_or_skip(count, to_finding, result, run, f"run #{run.index} result #{count}")
            else:
                pending.append(result)
    if "runs" not in keys or "version" not in keys:
        raise ReportFormatError(TOOL, "not a SARIF log: no \"version\" and \"runs\"; " + what_is_it(stream.head))
