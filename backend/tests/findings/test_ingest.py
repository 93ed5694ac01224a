"""Ingest of real scanner reports through the real service and the wire-protocol database."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cspm.core.database.registry import Database
from cspm.core.errors import BadRequest, Unprocessable
from cspm.findings.models import FindingStatus
from cspm.findings.service import FindingsService

TEAM = "team-ingest"
OTHER_TEAM = "team-other"


@pytest.fixture
async def findings(container) -> FindingsService:
    return container.resolve(FindingsService)


def report(shared_dir: Path, relative: str) -> io.BytesIO:
    return io.BytesIO((shared_dir / "scans" / relative).read_bytes())


def trimmed_prowler(shared_dir: Path, keep: int) -> io.BytesIO:
    """The real Prowler OCSF report with only its first `keep` results (a later, smaller scan)."""
    results = json.loads((shared_dir / "scans/prowler/prowler_5.46_aws_moto_s3_iam.ocsf.json").read_bytes())
    return io.BytesIO(json.dumps(results[:keep]).encode())


async def stored(container, team_id: str = TEAM, **query) -> list[dict]:
    collection = container.database.db(Database.SECURITY_SCANS)["findings"]
    return await collection.find({"team_id": team_id, **query}).to_list()


async def test_import_counts_then_reimport_is_idempotent(findings, container, shared_dir):
    first = await findings.import_report(
        team_id=TEAM, actor="u1", tool="trivy", report=report(shared_dir, "trivy/scheme_2_many_vulns.json"),
        scope="teamdojo:latest", complete=True)
    documents = await stored(container)
    assert first.counts.new == len(documents) == first.counts.parsed - first.counts.duplicates_in_report
    assert first.counts.new == 5
    assert first.scope_keys == ["trivy:teamdojo:latest"]
    assert {d["status"] for d in documents} == {"open"}
    assert all(d["times_seen"] == 1 and d["first_seen"] == d["last_seen"] for d in documents)

    second = await findings.import_report(
        team_id=TEAM, actor="u1", tool="trivy", report=report(shared_dir, "trivy/scheme_2_many_vulns.json"),
        scope="teamdojo:latest", complete=True)
    assert second.counts.new == 0
    assert second.counts.unchanged == 5
    assert second.counts.resolved == 0
    again = await stored(container)
    assert len(again) == 5
    assert all(d["times_seen"] == 2 and d["last_seen"] > d["first_seen"] for d in again)
    run = await findings.runs.by_run_id(TEAM, second.run_id)
    assert run["state"] == "succeeded" and run["counts"]["unchanged"] == 5


async def test_concurrent_double_import_stores_each_finding_once(findings, container, shared_dir):
    results = await asyncio.gather(*(
        findings.import_report(team_id=TEAM, actor="ci", tool="prowler", scope="123456789012",
                               report=report(shared_dir, "prowler/prowler_5.46_aws_moto_s3_iam.ocsf.json"),
                               complete=False)
        for _ in range(2)))
    documents = await stored(container)
    keys = [d["dedup_key"] for d in documents]
    assert len(keys) == len(set(keys)) == 37
    assert sum(result.counts.new for result in results) == 37


async def test_complete_scan_resolves_absent_and_partial_scan_does_not(findings, container, shared_dir):
    await findings.import_report(team_id=TEAM, actor="u", tool="prowler", scope="acct", complete=True,
                                 report=trimmed_prowler(shared_dir, 37))
    failing = await stored(container, result="fail")
    assert len(failing) == 26

    partial = await findings.import_report(team_id=TEAM, actor="u", tool="prowler", scope="acct",
                                              complete=False, report=trimmed_prowler(shared_dir, 10))
    assert partial.counts.resolved == 0
    assert len(await stored(container, status="resolved", result="fail")) == 0

    complete = await findings.import_report(team_id=TEAM, actor="u", tool="prowler", scope="acct",
                                               complete=True, report=trimmed_prowler(shared_dir, 10))
    still_reported = len([d for d in (await stored(container, result="fail")) if d["last_run_id"] == complete.run_id])
    assert complete.counts.resolved == 26 - still_reported
    resolved = await stored(container, status="resolved", result="fail")
    assert len(resolved) == complete.counts.resolved
    history = await container.database.db(Database.SECURITY_SCANS)["finding_history"].find(
        {"team_id": TEAM, "finding_id": resolved[0]["_id"]}).to_list()
    assert history[-1]["to_status"] == "resolved" and complete.run_id in history[-1]["reason"]

    # The resolved findings come back in the next full scan: reopened, with a history entry.
    back = await findings.import_report(team_id=TEAM, actor="u", tool="prowler", scope="acct", complete=True,
                                           report=trimmed_prowler(shared_dir, 37))
    assert back.counts.reopened == complete.counts.resolved
    assert len(await stored(container, status="reopened")) == complete.counts.resolved


async def test_other_scope_is_never_resolved(findings, container, shared_dir):
    await findings.import_report(team_id=TEAM, actor="u", tool="prowler", scope="account-a", complete=True,
                                 report=trimmed_prowler(shared_dir, 37))
    before = len(await stored(container, status="open"))
    await findings.import_report(team_id=TEAM, actor="u", tool="prowler", scope="account-b", complete=True,
                                 report=io.BytesIO(b"[]"))
    assert len(await stored(container, status="open")) == before


async def test_the_scope_trap_resolves_nothing(findings, container, shared_dir):
    """An image's CVEs, then a directory's misconfigurations, both without a scope: the second
    import names another artifact, so it must not resolve the image's findings."""
    image = await findings.import_report(team_id=TEAM, actor="u", tool="trivy", scope=None, complete=True,
                                         report=report(shared_dir, "trivy/scheme_2_many_vulns.json"))
    assert image.counts.new == 5 and image.complete
    assert image.scope_keys == ["trivy:report:container_image:teamdojo:latest"]
    directory = await findings.import_report(team_id=TEAM, actor="u", tool="trivy", scope=None, complete=True,
                                             report=report(shared_dir, "trivy/trivy_0.76_fs_misconfig.json"))
    assert directory.counts.resolved == 0
    assert directory.scope_keys == ["trivy:report:filesystem:."]
    assert len(await stored(container, source_tool="trivy", cve_ids="CVE-2020-15999", status="open")) == 1
    assert len(await stored(container, scope_key=image.scope_keys[0], status="open")) == 5


async def test_a_complete_reimport_resolves_within_the_artifact_it_names(findings, container, shared_dir):
    await findings.import_report(team_id=TEAM, actor="u", tool="prowler", scope=None, complete=True,
                                 report=trimmed_prowler(shared_dir, 37))
    smaller = await findings.import_report(team_id=TEAM, actor="u", tool="prowler", scope=None, complete=True,
                                           report=trimmed_prowler(shared_dir, 20))
    assert smaller.complete and smaller.counts.resolved > 0
    assert all(key.startswith("prowler:report:aws:") for key in smaller.scope_keys)


async def test_a_report_naming_nothing_scanned_resolves_nothing_and_says_why(findings, container, shared_dir):
    generic = json.dumps({"scanner": "acme", "findings": [{"rule_id": "A-1", "title": "t", "severity": "low",
                                        "resource": {"type": "url", "id": "https://a.example"}}]}).encode()
    await findings.import_report(team_id=TEAM, actor="u", tool="generic", scope=None, complete=True,
                                 report=io.BytesIO(generic))
    empty = await findings.import_report(team_id=TEAM, actor="u", tool="generic", scope=None, complete=True,
                                         report=io.BytesIO(b'{"findings": []}'))
    assert not empty.complete and empty.counts.resolved == 0
    assert "no findings" in (empty.incomplete_reason or "") and "scope=" in (empty.incomplete_reason or "")
    again = await findings.import_report(team_id=TEAM, actor="u", tool="generic", scope=None, complete=True,
                                         report=io.BytesIO(generic))
    assert not again.complete and again.scope_keys == ["generic:unscoped"]
    assert "names nothing that was scanned" in (again.incomplete_reason or "")
    assert len(await stored(container, status="open")) == 1


async def test_an_explicit_scope_still_wins(findings, container, shared_dir):
    first = await findings.import_report(team_id=TEAM, actor="u", tool="trivy", scope="everything", complete=True,
                                         report=report(shared_dir, "trivy/scheme_2_many_vulns.json"))
    second = await findings.import_report(team_id=TEAM, actor="u", tool="trivy", scope="everything", complete=True,
                                          report=report(shared_dir, "trivy/trivy_0.76_fs_misconfig.json"))
    assert first.scope_keys == second.scope_keys == ["trivy:everything"]
    assert second.counts.resolved == 5


# Built for these tests: a DNS template's result that names no target at all (no matched-at, matched,
# url, host or ip), appended to a real Nuclei JSON Lines report of 18 results.
DNS_RESULT_WITHOUT_TARGET = {"template-id": "dns-waf-detect", "type": "dns",
                             "info": {"name": "DNS WAF Detection", "severity": "info"}}


async def test_one_bad_record_is_skipped_and_the_rest_of_the_report_imports(findings, container, shared_dir):
    real = (shared_dir / "scans/nuclei/many_findings.json").read_bytes().rstrip(b"\n")
    body = real + b"\n" + json.dumps(DNS_RESULT_WITHOUT_TARGET).encode() + b"\n"
    result = await findings.import_report(team_id=TEAM, actor="u", tool="nuclei", scope=None, complete=True,
                                          report=io.BytesIO(body))
    assert result.counts.parsed == 18 and result.counts.skipped == 1
    [skipped] = result.skipped
    assert skipped.index == 19 and "dns-waf-detect" in skipped.reason and "names no matched target" in skipped.reason
    [run] = await container.database.db(Database.ORCHESTRATION)["scan_runs"].find({"team_id": TEAM}).to_list()
    assert run["state"] == "succeeded" and run["skipped"] == [{"index": 19, "reason": skipped.reason}]
    assert run["counts"]["skipped"] == 1


async def test_every_skipped_record_is_counted_and_the_first_hundred_are_listed(findings, shared_dir):
    bad = (json.dumps(DNS_RESULT_WITHOUT_TARGET) + "\n").encode() * 101
    real = (shared_dir / "scans/nuclei/many_findings.json").read_bytes()
    result = await findings.import_report(team_id=TEAM, actor="u", tool="nuclei", scope=None, complete=True,
                                          report=io.BytesIO(bad + real))
    assert result.counts.skipped == 101 and result.counts.parsed == 18
    assert [record.index for record in result.skipped] == list(range(1, 101))


async def test_a_report_whose_every_record_is_skipped_is_refused_whole(findings, container):
    body = (json.dumps(DNS_RESULT_WITHOUT_TARGET) + "\n").encode() * 3
    with pytest.raises(Unprocessable) as raised:
        await findings.import_report(team_id=TEAM, actor="u", tool="nuclei", scope=None, complete=True,
                                     report=io.BytesIO(body))
    assert "none of its 3 records could be read" in raised.value.detail
    assert await stored(container) == []


@pytest.mark.parametrize("body, problem", [
    (b'[{"metadata": {"event_code": "x"', "truncated"),
    (b"\x00\x01garbage", "garbage"),
])
async def test_bad_report_stores_nothing_and_fails_the_run(findings, container, body, problem):
    with pytest.raises(Unprocessable) as raised:
        await findings.import_report(team_id=TEAM, actor="u", tool="prowler", scope="s", complete=True,
                                     report=io.BytesIO(body))
    assert "prowler report rejected" in raised.value.detail
    assert await stored(container) == []
    runs = await container.database.db(Database.ORCHESTRATION)["scan_runs"].find({"team_id": TEAM}).to_list()
    assert [run["state"] for run in runs] == ["failed"]
    assert runs[0]["error"]


async def test_report_of_another_tool_is_rejected(findings, container, shared_dir):
    with pytest.raises(Unprocessable):
        await findings.import_report(team_id=TEAM, actor="u", tool="trivy", scope="s", complete=True,
                                     report=report(shared_dir, "prowler/prowler_5.46_aws_moto_s3_iam.ocsf.json"))
    assert await stored(container) == []


async def test_failed_import_never_resolves(findings, container, shared_dir):
    await findings.import_report(team_id=TEAM, actor="u", tool="prowler", scope="acct", complete=True,
                                 report=trimmed_prowler(shared_dir, 37))
    with pytest.raises(Unprocessable):
        await findings.import_report(team_id=TEAM, actor="u", tool="prowler", scope="acct", complete=True,
                                     report=io.BytesIO(b"[{"))
    assert len(await stored(container, status="resolved", result="fail")) == 0


async def test_unknown_tool_is_a_bad_request(findings):
    with pytest.raises(BadRequest):
        await findings.import_report(team_id=TEAM, actor="u", tool="no-such-tool", scope=None, complete=True,
                                     report=io.BytesIO(b"{}"))


async def test_passing_check_is_evidence_and_resolves_a_failing_one(findings, container, shared_dir):
    results = json.loads((shared_dir / "scans/prowler/prowler_5.46_aws_moto_s3_iam.ocsf.json").read_bytes())
    failing = next(item for item in results if item["status_code"] == "FAIL")
    await findings.import_report(team_id=TEAM, actor="u", tool="prowler", scope="acct", complete=False,
                                 report=io.BytesIO(json.dumps([failing]).encode()))
    passing = {**failing, "status_code": "PASS", "status_id": 1}
    result = await findings.import_report(team_id=TEAM, actor="u", tool="prowler", scope="acct", complete=False,
                                             report=io.BytesIO(json.dumps([passing]).encode()))
    assert result.counts.resolved == 1
    [document] = await stored(container)
    assert document["result"] == "pass" and document["status"] == "resolved"
    passes = await stored(container, result="pass")
    assert len(passes) == 1


async def test_team_data_is_separate(findings, container, shared_dir):
    await findings.import_report(team_id=TEAM, actor="u", tool="trivy", scope="img", complete=True,
                                 report=report(shared_dir, "trivy/scheme_2_many_vulns.json"))
    other = await findings.import_report(team_id=OTHER_TEAM, actor="v", tool="trivy", scope="img", complete=True,
                                            report=report(shared_dir, "trivy/scheme_2_many_vulns.json"))
    assert other.counts.new == 5  # same report, other team: its own findings
    assert len(await stored(container, OTHER_TEAM)) == 5
    from cspm.findings.schemas import FindingFilters

    page, _ = await findings.list_page(team_id=OTHER_TEAM, filters=FindingFilters())
    assert {item["team_id"] for item in page} == {OTHER_TEAM}


async def test_vulnerability_catalog_and_occurrences(findings, container, shared_dir):
    await findings.import_report(team_id=TEAM, actor="u", tool="trivy", scope="img", complete=True,
                                 report=report(shared_dir, "trivy/scheme_2_many_vulns.json"))
    database = container.database.db(Database.VULNERABILITIES)
    catalog = await database["vulnerability_catalog"].find({}).to_list()
    occurrences = await database["vulnerability_occurrences"].find({"team_id": TEAM}).to_list()
    documents = await stored(container)
    cves = {cve for d in documents for cve in d["cve_ids"]}
    assert {entry["advisory_id"] for entry in catalog} >= cves
    assert len(occurrences) >= len(documents)
    assert all(0 <= occurrence["risk_score"] <= 10 for occurrence in occurrences)
    assert all(d["occurrence_synced"] for d in documents)


async def test_triage_false_positive_and_risk_acceptance_expiry(findings, container, shared_dir):
    await findings.import_report(team_id=TEAM, actor="u", tool="trivy", scope="img", complete=True,
                                 report=report(shared_dir, "trivy/scheme_2_many_vulns.json"))
    first, second = (await stored(container))[:2]
    changed = await findings.change_status(team_id=TEAM, actor="analyst", finding_ids=[str(first["_id"])],
                                           status=FindingStatus.FALSE_POSITIVE, reason="not reachable",
                                           risk_owner=None, expires_at=None)
    assert changed == 1
    with pytest.raises(BadRequest):
        await findings.change_status(team_id=TEAM, actor="analyst", finding_ids=[str(second["_id"])],
                                     status=FindingStatus.RISK_ACCEPTED, reason="later", risk_owner=None,
                                     expires_at=None)
    with pytest.raises(BadRequest):
        await findings.change_status(team_id=TEAM, actor="analyst", finding_ids=[str(second["_id"])],
                                     status=FindingStatus.RESOLVED, reason="by hand", risk_owner=None,
                                     expires_at=None)
    await findings.change_status(team_id=TEAM, actor="analyst", finding_ids=[str(second["_id"])],
                                 status=FindingStatus.RISK_ACCEPTED, reason="compensating control",
                                 risk_owner="ciso@example.com", expires_at=datetime.now(UTC) + timedelta(days=30))
    collection = container.database.db(Database.SECURITY_SCANS)["findings"]
    await collection.update_one({"_id": second["_id"]},
                                {"$set": {"risk_acceptance.expires_at": datetime.now(UTC) - timedelta(minutes=1)}})
    assert await findings.reopen_expired_acceptances() == 1
    reopened = await collection.find_one({"_id": second["_id"]})
    assert reopened["status"] == "reopened" and "risk_acceptance" not in reopened
    detail = await findings.detail(team_id=TEAM, finding_id=str(second["_id"]))
    assert [entry["to_status"] for entry in detail["history"]] == ["risk_accepted", "reopened"]
    assert detail["history"][0]["actor"] == "analyst"

    # A re-import leaves the false positive alone.
    await findings.import_report(team_id=TEAM, actor="u", tool="trivy", scope="img", complete=True,
                                 report=report(shared_dir, "trivy/scheme_2_many_vulns.json"))
    assert (await collection.find_one({"_id": first["_id"]}))["status"] == "false_positive"


async def test_suppression_rule_applies_now_and_at_ingest(findings, container, shared_dir):
    await findings.import_report(team_id=TEAM, actor="u", tool="trivy", scope="img", complete=True,
                                 report=report(shared_dir, "trivy/scheme_2_many_vulns.json"))
    rule = await findings.add_suppression_rule(team_id=TEAM, actor="admin", source_tool="trivy", rule_id=None,
                                               resource_pattern="*", reason="accepted base image")
    assert rule["suppressed_now"] == 5
    await findings.import_report(team_id=TEAM, actor="u", tool="trivy", scope="img2", complete=True,
                                 report=report(shared_dir, "trivy/misconfigurations_and_secrets.json"))
    statuses = {d["status"] for d in await stored(container)}
    assert statuses == {"suppressed"}
    assert await findings.suppression_rules(team_id=OTHER_TEAM) == []


async def test_a_database_failure_mid_ingest_fails_the_run(findings, container, shared_dir, monkeypatch):
    async def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(findings.ingest_service.findings, "insert_new", broken)
    with pytest.raises(RuntimeError):
        await findings.import_report(team_id=TEAM, actor="u", tool="trivy", scope="img", complete=True,
                                     report=report(shared_dir, "trivy/scheme_2_many_vulns.json"))
    [run] = await container.database.db(Database.ORCHESTRATION)["scan_runs"].find({"team_id": TEAM}).to_list()
    assert run["state"] == "failed" and "RuntimeError" in run["error"]
