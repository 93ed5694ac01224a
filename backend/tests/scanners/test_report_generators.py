"""The benchmark's report generators write real-format reports that parse to exactly N findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.report_generators import GENERATORS, write_prowler_ocsf_report, write_trivy_report
from cspm.findings.models import CheckResult
from cspm.scanners.parsers import get_parser


@pytest.mark.parametrize("tool", sorted(GENERATORS))
@pytest.mark.parametrize("count", [0, 1, 7, 1_000])
def test_generated_report_parses_to_exactly_n_findings(tmp_path: Path, tool: str, count: int) -> None:
    path = GENERATORS[tool](tmp_path / f"{tool}.json", count)
    json.loads(path.read_bytes())  # well-formed JSON for the json.loads floor of the benchmark
    with path.open("rb") as report:
        findings = list(get_parser(tool).parse(report))
    assert len(findings) == count
    assert len({f.dedup_key for f in findings}) == count


def test_generated_reports_are_deterministic_and_shaped_like_the_tools(tmp_path: Path) -> None:
    first = write_trivy_report(tmp_path / "a.json", 50, seed=3).read_bytes()
    assert first == write_trivy_report(tmp_path / "b.json", 50, seed=3).read_bytes()
    document = json.loads(first)
    assert document["SchemaVersion"] == 2 and document["ArtifactType"] == "container_image"
    assert sum(len(r["Vulnerabilities"]) for r in document["Results"]) == 50
    prowler = json.loads(write_prowler_ocsf_report(tmp_path / "p.json", 200).read_bytes())
    assert {item["class_uid"] for item in prowler} == {2004}
    with (tmp_path / "p.json").open("rb") as report:
        results = {f.result for f in get_parser("prowler").parse(report)}
    assert results == {CheckResult.FAIL, CheckResult.PASS, CheckResult.MANUAL}


def test_negative_counts_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="findings must be"):
        write_trivy_report(tmp_path / "x.json", -1)
    with pytest.raises(ValueError, match="findings must be"):
        write_prowler_ocsf_report(tmp_path / "x.json", -1)
