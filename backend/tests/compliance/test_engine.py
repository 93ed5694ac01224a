"""The engine, crosswalk and drift on a real database (mongoeco or MONGODB_URI) with real findings."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from cspm.compliance.drift import ComplianceDriftDetectionService
from cspm.compliance.engine import AutonomousComplianceEngine
from cspm.compliance.models import ControlStatus, DriftKind, RequirementAnswer, StatusOverride
from cspm.compliance.registry_service import CommonControlRegistryService
from cspm.compliance.service import ComplianceService
from cspm.core.database.registry import Database
from cspm.findings.models import CheckResult, FindingStatus, Severity
from tests.compliance.conftest import finding_document, set_finding, store_findings
from tests.compliance.helpers import parse_report


@pytest.fixture
def prowler(shared_dir):
    findings = parse_report("prowler", shared_dir / "scans" / "prowler" / "prowler_5.46_aws_moto_s3_iam.ocsf.json")
    return {finding.rule_id: finding for finding in findings}


def team() -> str:
    return f"team-{uuid.uuid4().hex[:10]}"


async def state(container, team_id: str, scf_id: str) -> dict:
    document = await container.database.db(Database.ASSESSMENTS)["compliance_control_states"].find_one(
        {"team_id": team_id, "scf_id": scf_id})
    return document or {"status": ControlStatus.NOT_ASSESSED.value}


async def events(container, team_id: str, kind: str | None = None) -> list[dict]:
    query = {"team_id": team_id, **({"kind": kind} if kind else {})}
    return await container.database.db(Database.ASSESSMENTS)["compliance_drift_events"].find(query).to_list()


async def test_engine_flips_a_control_on_a_failing_finding_and_back_when_resolved(container, prowler):
    engine = container.resolve(AutonomousComplianceEngine)
    team_a = team()
    failing = prowler["s3_bucket_default_encryption"]          # FAIL, medium → CRY-05
    passing = prowler["s3_bucket_policy_public_write_access"]  # PASS, critical → DCH-15
    assert failing.result is CheckResult.FAIL and passing.result is CheckResult.PASS
    await store_findings(container, [finding_document(failing, team_a), finding_document(passing, team_a)])
    await engine.on_findings_changed(team_id=team_a, dedup_keys=[failing.dedup_key, passing.dedup_key])

    cry = await state(container, team_a, "CRY-05")
    assert cry["status"] == ControlStatus.NOT_IMPLEMENTED and cry["set_by"] == "engine"
    assert cry["failing_findings"] == [failing.dedup_key]
    assert (await state(container, team_a, "DCH-15"))["status"] == ControlStatus.IMPLEMENTED

    # A passing check for the same control as well → partially implemented.
    evidence = passing.model_copy(update={"rule_id": "s3_bucket_kms_encryption", "dedup_key": "",
                                          "identity": {**passing.identity, "check": "kms"}})
    evidence = type(passing).model_validate(evidence.model_dump(exclude={"dedup_key"}))
    await store_findings(container, [finding_document(evidence, team_a)])
    await engine.on_findings_changed(team_id=team_a, dedup_keys=[evidence.dedup_key])
    assert (await state(container, team_a, "CRY-05"))["status"] == ControlStatus.PARTIALLY_IMPLEMENTED

    # The failing finding is resolved by a later scan → implemented.
    await set_finding(container, team_a, failing.dedup_key, status=FindingStatus.RESOLVED.value)
    await engine.on_findings_changed(team_id=team_a, dedup_keys=[failing.dedup_key])
    cry = await state(container, team_a, "CRY-05")
    assert cry["status"] == ControlStatus.IMPLEMENTED and cry["counts"]["failing"] == 0
    assert cry["evidence"][0]["dedup_key"] == evidence.dedup_key

    # Reopened → regression to partially implemented, recorded as drift.
    await set_finding(container, team_a, failing.dedup_key, status=FindingStatus.REOPENED.value)
    await engine.on_findings_changed(team_id=team_a, dedup_keys=[failing.dedup_key])
    assert (await state(container, team_a, "CRY-05"))["status"] == ControlStatus.PARTIALLY_IMPLEMENTED
    regressions = await events(container, team_a, DriftKind.CONTROL_REGRESSION)
    assert [(event["scf_id"], event["before"], event["after"]) for event in regressions] == [
        ("CRY-05", "implemented", "partially_implemented")]
    history = await container.database.db(Database.ASSESSMENTS)["compliance_status_history"].find(
        {"team_id": team_a, "scf_id": "CRY-05"}).sort([("at", 1), ("_id", 1)]).to_list()  # no natural order
    assert [entry["to_status"] for entry in history] == [
        "not_implemented", "partially_implemented", "implemented", "partially_implemented"]


async def test_a_control_shows_its_most_severe_failures_and_freshest_evidence(container, prowler):
    """The failing findings (25) and the evidence (10) a control shows come from the same aggregate
    as its counts: most severe first (below the threshold never), freshest passing checks first."""
    engine = container.resolve(AutonomousComplianceEngine)
    team_a = team()
    now = datetime.now(UTC)
    failing = finding_document(prowler["s3_bucket_default_encryption"], team_a)   # CRY-05
    documents = []
    for index, severity in enumerate([Severity.CRITICAL] * 5 + [Severity.HIGH] * 30 + [Severity.INFO] * 5):
        documents.append({**failing, "dedup_key": f"fail-{index:03d}", "severity": severity.value,
                          "severity_rank": severity.rank})
    # A passing check of the same rule: ingest stores it resolved, and it counts as evidence.
    evidence_source = {**failing, "result": CheckResult.PASS.value, "status": FindingStatus.RESOLVED.value}
    for index in range(15):
        documents.append({**evidence_source, "dedup_key": f"pass-{index:03d}",
                          "last_seen": now - timedelta(hours=index)})
    await store_findings(container, documents)
    await engine.on_findings_changed(team_id=team_a, dedup_keys=[document["dedup_key"] for document in documents])

    cry = await state(container, team_a, "CRY-05")
    threshold = engine.settings.severity_rank
    expected_failing = [f"fail-{index:03d}" for index in range(35)
                        if (Severity.CRITICAL if index < 5 else Severity.HIGH).rank >= threshold][:25]
    assert cry["failing_findings"] == expected_failing
    assert cry["counts"]["failing"] == 35  # the critical and high ones; info is below the threshold
    assert [item["dedup_key"] for item in cry["evidence"] if item["kind"] == "finding"] == \
        [f"pass-{index:03d}" for index in range(10)]


async def test_failures_below_the_threshold_do_not_fail_a_control(container, prowler, monkeypatch):
    monkeypatch.setenv("COMPLIANCE_SEVERITY_THRESHOLD", "high")
    engine = container.resolve(AutonomousComplianceEngine)
    team_a = team()
    medium = prowler["s3_bucket_default_encryption"]  # medium
    high = prowler["s3_bucket_level_public_access_block"]  # high
    await store_findings(container, [finding_document(medium, team_a), finding_document(high, team_a)])
    await engine.on_findings_changed(team_id=team_a, dedup_keys=[medium.dedup_key, high.dedup_key])
    cry = await state(container, team_a, "CRY-05")
    assert cry["status"] == ControlStatus.NOT_ASSESSED and cry["counts"]["failing_below_threshold"] == 1
    assert (await state(container, team_a, "DCH-15"))["status"] == ControlStatus.NOT_IMPLEMENTED


async def test_only_the_affected_controls_are_recomputed(container, prowler):
    engine = container.resolve(AutonomousComplianceEngine)
    team_a = team()
    documents = [finding_document(finding, team_a) for finding in prowler.values()]
    await store_findings(container, documents)
    await engine.on_findings_changed(team_id=team_a, dedup_keys=[d["dedup_key"] for d in documents])
    states = container.database.db(Database.ASSESSMENTS)["compliance_control_states"]
    before = {d["scf_id"]: d["updated_at"] for d in await states.find({"team_id": team_a}).to_list()}
    assert len(before) >= 15
    finding = prowler["s3_bucket_secure_transport_policy"]  # → CRY-03 only
    await set_finding(container, team_a, finding.dedup_key, status=FindingStatus.RESOLVED.value)
    changes = await engine.on_findings_changed(team_id=team_a, dedup_keys=[finding.dedup_key])
    assert changes is None
    after = {d["scf_id"]: d["updated_at"] for d in await states.find({"team_id": team_a}).to_list()}
    touched = {scf_id for scf_id in after if after[scf_id] != before.get(scf_id)}
    assert touched == {"CRY-03"}


async def test_manual_override_wins_and_is_audited(container, prowler):
    engine = container.resolve(AutonomousComplianceEngine)
    service = container.resolve(ComplianceService)
    team_a = team()
    failing = prowler["s3_bucket_default_encryption"]
    await store_findings(container, [finding_document(failing, team_a)])
    await engine.on_findings_changed(team_id=team_a, dedup_keys=[failing.dedup_key])
    detail = await service.set_status(team_a, "CRY-05", StatusOverride(
        status=ControlStatus.NOT_APPLICABLE, reason="No data at rest in this account", owner="alice"),
        actor="user-1")
    assert detail["state"]["status"] == "not_applicable"
    assert detail["state"]["engine_status"] == "not_implemented"
    assert detail["state"]["override"]["reason"] == "No data at rest in this account"
    # The engine keeps computing underneath but does not overwrite the manual status.
    await engine.on_findings_changed(team_id=team_a, dedup_keys=[failing.dedup_key])
    assert (await state(container, team_a, "CRY-05"))["status"] == "not_applicable"
    audit = await container.database.db(Database.PLATFORM).list_collection_names()
    assert audit  # the audit service wrote somewhere in the platform database
    cleared = await service.clear_status(team_a, "CRY-05", actor="user-1", reason="re-scoped")
    assert cleared["state"]["status"] == "not_implemented" and cleared["state"]["override"] is None
    kinds = [entry["kind"] for entry in cleared["history"]]
    assert kinds[:2] == ["clear", "override"]


async def test_requirement_answer_satisfies_equivalent_requirements_of_other_frameworks(container):
    service = container.resolve(ComplianceService)
    registry = await container.resolve(CommonControlRegistryService).registry()
    team_a = team()
    # Find a requirement whose controls cover a requirement of another framework completely.
    source = target = None
    for requirement in registry.frameworks["iso-27002-2022"].requirements.values():
        for item in service.crosswalk.equivalents(registry, "iso-27002-2022", requirement.requirement_id):
            if item["fully_covered"] and item["framework_id"] == "nist-800-53-r5":
                source, target = requirement, item
                break
        if source:
            break
    assert source is not None
    answer = await service.answer_requirement(team_a, "iso-27002-2022", RequirementAnswer(
        requirement_id=source.requirement_id, status=ControlStatus.IMPLEMENTED, reason="Reviewed in audit 2026-Q3"),
        actor="user-1")
    assert answer["status"] == "satisfied"
    equivalent = next(item for item in answer["equivalents"]
                      if (item["framework_id"], item["requirement_id"]) == (target["framework_id"],
                                                                            target["requirement_id"]))
    assert equivalent["status"] == "satisfied"
    frameworks = {item["framework_id"]: item for item in (await service.frameworks(team_a))["frameworks"]}
    nist = frameworks["nist-800-53-r5"]
    assert nist["satisfied"] >= 1 and nist["score"] == round(nist["satisfied"] / nist["applicable"], 4)
    detail = await service.framework_detail(team_a, "nist-800-53-r5")
    assert target["requirement_id"] in detail["requirement_ids"]["satisfied"]
    row = next(r for r in detail["requirements"] if r["requirement_id"] == target["requirement_id"])
    assert row["status"] == "satisfied" and all(c["status"] == "implemented" for c in row["controls"])
    # Another team sees nothing of it.
    other = {item["framework_id"]: item for item in (await service.frameworks(team()))["frameworks"]}
    assert other["nist-800-53-r5"]["satisfied"] == 0


async def test_score_threshold_crossing_and_regression_are_drift_events(container, prowler, monkeypatch):
    monkeypatch.setenv("COMPLIANCE_SCORE_THRESHOLD", "0.5")
    service = container.resolve(ComplianceService)
    engine = container.resolve(AutonomousComplianceEngine)
    registry = await container.resolve(CommonControlRegistryService).registry()
    team_a = team()
    counter = container.metrics.drift_events
    before_metric = counter.labels(kind="score_above_threshold")._value.get()
    owasp = registry.frameworks["owasp-top-10-2021"]
    for requirement in owasp.requirements.values():
        await service.answer_requirement(team_a, "owasp-top-10-2021", RequirementAnswer(
            requirement_id=requirement.requirement_id, status=ControlStatus.IMPLEMENTED, reason="pen test 2026"),
            actor="user-1")
    above = [event for event in await events(container, team_a, DriftKind.SCORE_ABOVE_THRESHOLD)
             if event["framework_id"] == "owasp-top-10-2021"]
    assert len(above) == 1 and above[0]["after"] >= 0.5
    assert counter.labels(kind="score_above_threshold")._value.get() > before_metric

    # Clear the manual statuses of most OWASP controls: the score falls below the threshold again.
    controls = sorted({scf_id for r in owasp.requirements.values() for scf_id in r.scf_ids})
    for scf_id in controls:
        await service.clear_status(team_a, scf_id, actor="user-1", reason="evidence withdrawn")
    below = [event for event in await events(container, team_a, DriftKind.SCORE_BELOW_THRESHOLD)
             if event["framework_id"] == "owasp-top-10-2021"]
    assert len(below) == 1 and below[0]["before"] >= 0.5 > below[0]["after"]

    # implemented (manual) → a failing finding after the override is cleared is a regression.
    failing = prowler["s3_bucket_default_encryption"]
    await service.set_status(team_a, "CRY-05", StatusOverride(status=ControlStatus.IMPLEMENTED, reason="KMS"),
                             actor="user-1")
    await store_findings(container, [finding_document(failing, team_a)])
    await engine.on_findings_changed(team_id=team_a, dedup_keys=[failing.dedup_key])
    await service.clear_status(team_a, "CRY-05", actor="user-1", reason="tool says otherwise")
    regressions = await events(container, team_a, DriftKind.CONTROL_REGRESSION)
    assert ("CRY-05", "implemented", "not_implemented") in [(e["scf_id"], e["before"], e["after"]) for e in regressions]
    timeline = await service.drift_timeline(team_a, limit=2)
    assert len(timeline["events"]) == 2 and timeline["next_cursor"]
    rest = await service.drift_timeline(team_a, cursor=timeline["next_cursor"], limit=500)
    assert {e["id"] for e in rest["events"]}.isdisjoint({e["id"] for e in timeline["events"]})


async def test_expired_evidence_is_reported_and_stops_counting(container, prowler):
    engine = container.resolve(AutonomousComplianceEngine)
    drift = container.resolve(ComplianceDriftDetectionService)
    registry = await container.resolve(CommonControlRegistryService).registry()
    team_a = team()
    passing = prowler["s3_bucket_policy_public_write_access"]
    seen = datetime.now(UTC) - timedelta(days=25)
    await store_findings(container, [finding_document(passing, team_a, last_seen=seen)])
    await engine.on_findings_changed(team_id=team_a, dedup_keys=[passing.dedup_key])
    assert (await state(container, team_a, "DCH-15"))["status"] == "implemented"
    later = datetime.now(UTC) + timedelta(days=10)  # 35 days after the check last passed
    changes = await engine.refresh_expired_evidence(team_a, moment=later)
    assert [(c.scf_id, c.before, c.after) for c in changes] == [("DCH-15", "implemented", "not_assessed")]
    expired = await events(container, team_a, DriftKind.EVIDENCE_EXPIRED)
    assert [event["scf_id"] for event in expired] == ["DCH-15"]
    assert expired[0]["evidence"]["dedup_key"] == passing.dedup_key
    # Reported once: a second pass finds nothing new.
    assert await engine.refresh_expired_evidence(team_a, moment=later) == []
    snapshot_events = await drift.daily(team_a, registry=registry, moment=later)
    assert all(event["kind"] != DriftKind.EVIDENCE_EXPIRED for event in snapshot_events)
    daily = await container.database.db(Database.ASSESSMENTS)["compliance_snapshots"].find_one(
        {"team_id": team_a, "kind": "daily"})
    assert ["DCH-15", "not_assessed"] in daily["controls"] and daily["scores"]


async def test_manual_evidence_expiry_in_the_daily_snapshot(container):
    service = container.resolve(ComplianceService)
    drift = container.resolve(ComplianceDriftDetectionService)
    registry = await container.resolve(CommonControlRegistryService).registry()
    team_a = team()
    expires = datetime.now(UTC) + timedelta(days=1)
    await service.set_status(team_a, "IRO-04", StatusOverride(
        status=ControlStatus.IMPLEMENTED, reason="plan approved",
        evidence=[{"title": "IR plan v3", "url": "https://wiki.example/ir-plan", "expires_at": expires}]),
        actor="user-1")
    assert await drift.daily(team_a, registry=registry) == []
    later = await drift.daily(team_a, registry=registry, moment=expires + timedelta(hours=1))
    assert [(event["kind"], event["scf_id"]) for event in later] == [("evidence_expired", "IRO-04")]
    assert await drift.daily(team_a, registry=registry, moment=expires + timedelta(hours=2)) == []


async def test_statement_of_applicability(container):
    service = container.resolve(ComplianceService)
    team_a = team()
    await service.set_status(team_a, "CRY-05", StatusOverride(status=ControlStatus.NOT_APPLICABLE,
                                                              reason="no stored data"), actor="u")
    rows = await service.statement_of_applicability(team_a, "iso-27002-2022")
    assert rows and all(row["framework_id"] == "iso-27002-2022" for row in rows)
    text = service.soa_csv(rows)
    header, *lines = text.strip().splitlines()
    assert header.startswith("framework_id,requirement_id,applicable,status")
    assert len(lines) == len(rows)
    cry_rows = [row for row in rows if "CRY-05" in row["scf_controls"]]
    assert cry_rows and any("CRY-05: no stored data" in row["justification"] for row in cry_rows)
