"""The bias test's report to the findings module: one finding per sensitive feature that failed.

The AI governance service writes a small JSON report of a failed (or passed) run and hands it,
with this parser, to the findings module's ingest (``FindingsService.import_from_module``), so a
disparity is a finding like any scanner's: deduplicated, triaged, resolved when the next complete
bias test of the system passes, and mapped to controls.

Identity (hashed into ``dedup_key``): the AI system id and the sensitive feature. The resource is
the AI system itself (type ``ai_system``, id ``ai-system:<id>``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, BinaryIO

from cspm.findings.models import CanonicalFinding, FindingCategory, Resource, Severity
from cspm.scanners.base import ReportFormatError

TOOL = "fairness"
RULE_ID = "fairness-threshold"
FOUR_FIFTHS = 0.8


def resource_id(system_id: str) -> str:
    return f"ai-system:{system_id}"


def report_of(system: dict[str, Any], run_id: str, model_version: str, failed: list[dict[str, Any]]) -> bytes:
    return json.dumps({"report": TOOL, "system": {"id": system["id"], "name": system["name"]}, "run_id": run_id,
                       "model_version": model_version, "failed_checks": failed}).encode()


def _severity(checks: list[dict[str, Any]]) -> Severity:
    """High when the selection rates fail the four-fifths rule (evidence of adverse impact), else medium."""
    for check in checks:
        if check["metric"] == "demographic_parity_ratio" and (check["value"] is None or check["value"] < FOUR_FIFTHS):
            return Severity.HIGH
    return Severity.MEDIUM


class FairnessReportParser:
    tool: str = TOOL
    formats: tuple[str, ...] = ("json",)

    def parse(self, report: BinaryIO) -> Iterator[CanonicalFinding]:
        try:
            document = json.loads(report.read())
            system, failed = document["system"], document["failed_checks"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ReportFormatError(TOOL, f"not a bias test report: {exc}") from None
        by_feature: dict[str, list[dict[str, Any]]] = {}
        for check in failed:
            by_feature.setdefault(check["feature"], []).append(check)
        for feature, checks in by_feature.items():
            lines = [f"{c['metric']} = {c['value']} (limit {c['operator']} {c['limit']})" for c in checks]
            yield CanonicalFinding(
                source_tool=TOOL, rule_id=RULE_ID,
                title=f"Bias test failed for sensitive feature {feature!r} of AI system {system['name']}",
                description=(f"The bias test {document.get('run_id')} of model version "
                             f"{document.get('model_version') or 'unspecified'} exceeded the system's fairness "
                             f"limits for {feature!r}."),
                severity=_severity(checks), category=FindingCategory.OTHER,
                resource=Resource(type="ai_system", id=resource_id(system["id"]), name=system["name"]),
                evidence="\n".join(lines),
                remediation="Review the training data and decision threshold for the disadvantaged groups, "
                            "mitigate (for example with fairlearn's ThresholdOptimizer or reweighting), and "
                            "run the bias test again.",
                compliance_tags={"EU-AI-ACT": ["10.2", "10.3", "15.1"]},
                identity={"system": system["id"], "feature": feature},
            )
