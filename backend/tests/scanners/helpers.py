"""Shared helpers for the parser tests: paths to the real reports and a parse shortcut."""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

from cspm.findings.models import CanonicalFinding
from cspm.scanners.base import SkippedRecord
from cspm.scanners.parsers import get_parser

REPORTS = Path(__file__).resolve().parent / "reports"
"""Real reports written by the tools, added by this test suite (see reports/README.md)."""


def parse(tool: str, path: Path) -> list[CanonicalFinding]:
    with path.open("rb") as report:
        return list(get_parser(tool).parse(report))


def parse_bytes(tool: str, data: bytes) -> list[CanonicalFinding]:
    return list(get_parser(tool).parse(io.BytesIO(data)))


def findings_and_skipped(tool: str, data: bytes) -> tuple[list[CanonicalFinding], list[SkippedRecord]]:
    """The report's findings and its skipped records, apart."""
    items = list(get_parser(tool).parse(io.BytesIO(data)))
    return ([i for i in items if isinstance(i, CanonicalFinding)], [i for i in items if isinstance(i, SkippedRecord)])


def by_result(findings: list[CanonicalFinding]) -> dict[str, int]:
    return dict(Counter(f.result.value for f in findings))


def by_severity(findings: list[CanonicalFinding]) -> dict[str, int]:
    return dict(Counter(f.severity.value for f in findings))


def only(findings: list[CanonicalFinding], **where: object) -> CanonicalFinding:
    """The single finding whose attributes (dotted for nested: resource__id) equal the given values."""
    def value(finding: CanonicalFinding, dotted: str) -> object:
        current: object = finding
        for part in dotted.split("__"):
            current = getattr(current, part)
        return current
    matches = [f for f in findings if all(value(f, key) == expected for key, expected in where.items())]
    assert len(matches) == 1, f"expected one finding with {where}, found {len(matches)}"
    return matches[0]
