"""Benchmark: map 100,000 findings against the full imported SCF registry, then one incremental scan.

    cd backend && ../.venv/bin/python benchmarks/compliance_mapping.py [--findings 100000] [--scan 1000]

Findings are synthetic but shaped like real ones: every template is a finding the real
Prowler and Trivy parsers produced from the reports in ``shared/scans`` (check ids, titles,
compliance tags, CWE ids), spread over many resources, plus package vulnerabilities with
thousands of distinct CVE ids and some checks no mapping rule knows (keyword matcher path).
The registry is the real SCF workbook parsed in memory (1,090 controls, 192 frameworks).
The database is not involved: this measures the mapping and the state/score computation
that the engine performs per change; database costs belong to a real MongoDB.

Prints figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cspm.compliance.crosswalk import ControlMappingEngine  # noqa: E402
from cspm.compliance.engine import engine_status  # noqa: E402
from cspm.compliance.mapping import FindingMapper, load_tool_mappings  # noqa: E402
from cspm.compliance.scf_import import parse_workbook  # noqa: E402
from cspm.findings.models import Severity  # noqa: E402
from tests.compliance.helpers import parse_report  # noqa: E402

SHARED = ROOT.parent.parent / "shared"


def templates() -> list[dict[str, Any]]:
    found = []
    for tool, relative in (
        ("prowler", "prowler/prowler_5.46_aws_moto_s3_iam.ocsf.json"),
        ("prowler", "prowler/example_output_aws.csv"),
        ("prowler", "prowler/example_output_azure.csv"),
        ("prowler", "prowler/example_output_gcp.csv"),
        ("prowler", "prowler/example_output_kubernetes.csv"),
        ("trivy", "trivy/trivy_0.76_fs_misconfig.json"),
        ("trivy", "trivy/misconfigurations_and_secrets.json"),
        ("trivy", "trivy/scheme_2_many_vulns.json"),
        ("trivy", "trivy/legacy_many_vulns.json"),
        ("trivy", "trivy/kubernetes.json"),
    ):
        path = SHARED / "scans" / relative
        if path.is_file():
            found += [finding.model_dump(mode="json") for finding in parse_report(tool, path)]
    return found


def synthesise(count: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    base = templates()
    unknown_titles = ["Ensure audit logging is enabled for the managed database", "Storage account allows public blob",
                      "Key vault keys have no expiration date", "Load balancer listener uses plain HTTP",
                      "Container image runs a package manager update alone"]
    findings = []
    for index in range(count):
        roll = rng.random()
        if roll < 0.30:  # package vulnerability with one of ~5,000 CVEs
            cve = f"CVE-20{rng.randint(15, 25)}-{rng.randint(1000, 5999)}"
            finding = {"source_tool": "trivy", "rule_id": cve, "title": f"{cve}: flaw in package",
                       "category": "vulnerability", "severity": rng.choice(list(Severity)).value,
                       "cwe_ids": [rng.choice(["CWE-79", "CWE-787", "CWE-20", "CWE-400"])], "compliance_tags": {}}
        elif roll < 0.33:  # a check no rule knows: keyword matcher
            finding = {"source_tool": "prowler", "rule_id": f"custom_check_{rng.randint(1, 300)}",
                       "title": rng.choice(unknown_titles), "category": "cloud", "severity": "medium",
                       "compliance_tags": {}, "cwe_ids": []}
        else:
            finding = dict(rng.choice(base))
        finding["dedup_key"] = f"k{index}"
        finding["result"] = finding.get("result") or "fail"
        finding["status"] = "open"
        finding["severity_rank"] = Severity(finding.get("severity") or "info").rank
        findings.append(finding)
    return findings


class Posture:
    """The engine's per-team computation, in memory: links, per-control counts (the engine has the
    database count them with one grouped aggregation), control states, framework scores."""

    def __init__(self, mapper: FindingMapper, threshold: int) -> None:
        self.mapper = mapper
        self.threshold = threshold
        self.links: dict[str, tuple[str, ...]] = {}
        self.findings: dict[str, dict[str, Any]] = {}
        self.counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # [failing ≥ threshold, passing]
        self.status: dict[str, str] = {}

    def _contribution(self, finding: dict[str, Any]) -> tuple[int, int]:
        if finding["status"] not in ("open", "reopened"):
            return 0, 0
        if finding["result"] == "fail" and finding["severity_rank"] >= self.threshold:
            return 1, 0
        return (0, 1) if finding["result"] == "pass" else (0, 0)

    def apply(self, findings: list[dict[str, Any]]) -> set[str]:
        affected: set[str] = set()
        for finding in findings:
            key = finding["dedup_key"]
            old = self.findings.get(key)
            if old is not None:
                failing, passing = self._contribution(old)
                for scf_id in self.links.get(key, ()):
                    self.counts[scf_id][0] -= failing
                    self.counts[scf_id][1] -= passing
                    affected.add(scf_id)
            scf_ids = tuple(link.scf_id for link in self.mapper.map(finding))
            self.links[key] = scf_ids
            self.findings[key] = finding
            failing, passing = self._contribution(finding)
            for scf_id in scf_ids:
                self.counts[scf_id][0] += failing
                self.counts[scf_id][1] += passing
                affected.add(scf_id)
        for scf_id in affected:
            self.status[scf_id] = engine_status(*self.counts[scf_id]).value
        return affected


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--scan", type=int, default=1_000)
    parser.add_argument("--workbook", type=Path, default=next((SHARED / "scf").glob("*.xlsx"), None))
    args = parser.parse_args()

    started = time.perf_counter()
    parsed = parse_workbook(args.workbook)
    registry = parsed.to_registry("benchmark")
    print(f"registry: {registry.counts()} parsed in {time.perf_counter() - started:.2f}s")

    findings = synthesise(args.findings)
    signatures = {FindingMapper._signature(finding) for finding in findings}
    print(f"findings: {len(findings):,} ({len(signatures):,} distinct check/title/tag signatures)")

    mapper = FindingMapper(registry, load_tool_mappings())
    started = time.perf_counter()
    _ = mapper.keywords
    print(f"keyword index over {len(registry.controls):,} controls built in {time.perf_counter() - started:.2f}s")

    sample = findings[:5_000]
    started = time.perf_counter()
    for finding in sample:
        mapper.map_uncached(finding)
    cold = len(sample) / (time.perf_counter() - started)
    print(f"mapping without the signature cache: {cold:,.0f} findings/s")

    started = time.perf_counter()
    methods: dict[str, int] = defaultdict(int)
    unmapped = 0
    for finding in findings:
        links = mapper.map(finding)
        if not links:
            unmapped += 1
        for link in links:
            methods[link.method] += 1
    elapsed = time.perf_counter() - started
    print(f"mapping {len(findings):,} findings: {elapsed:.2f}s = {len(findings) / elapsed:,.0f} findings/s "
          f"(links by method {dict(methods)}, unmapped {unmapped:,})")

    posture = Posture(mapper, Severity.MEDIUM.rank)
    crosswalk = ControlMappingEngine()
    started = time.perf_counter()
    posture.apply(findings)
    scores = crosswalk.scores(registry, posture.status)
    elapsed = time.perf_counter() - started
    print(f"full posture for {len(findings):,} findings: {elapsed:.2f}s "
          f"({len(posture.status)} controls with a state, {len(scores)} framework scores)")

    rng = random.Random(11)
    scan = synthesise(args.scan, seed=99)
    for index, finding in enumerate(scan):
        if index % 10 < 5:
            finding["dedup_key"] = f"new{index}"          # half new findings
        else:
            existing = dict(posture.findings[f"k{rng.randrange(args.findings)}"])
            existing["status"] = rng.choice(["resolved", "open", "reopened"])  # the rest change status
            scan[index] = existing
    started = time.perf_counter()
    affected = posture.apply(scan)
    mapped = time.perf_counter() - started
    scores = crosswalk.scores(registry, posture.status)
    elapsed = time.perf_counter() - started
    print(f"incremental update after one scan of {len(scan):,} findings: {elapsed * 1000:.1f} ms "
          f"(re-map + {len(affected)} affected controls {mapped * 1000:.1f} ms, "
          f"all {len(scores)} framework scores {(elapsed - mapped) * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
