"""A framework's compliance PDF: summary, every requirement's state and evidence counts, drift since the last one."""

from __future__ import annotations

from cspm.core.database.registry import Database
from tests.compliance.test_informative_scores import _import_prowler
from tests.pdf_helpers import PNG_SIGNATURE, pdf_text, pdftoppm

REPORT = "/api/compliance/frameworks/cis-aws-6.0/report"


async def test_framework_report_shows_states_evidence_and_drift_since_the_last(client, auth, shared_dir, container,
                                                                               tmp_path):
    admin = await auth.user(role="team_admin")
    analyst = await auth.user(role="analyst", team=admin)
    await _import_prowler(client, analyst, shared_dir)  # the real Prowler report: 11 PASS, 26 FAIL
    detail = (await client.get("/api/compliance/frameworks/cis-aws-6.0", headers=analyst.headers)).json()

    first = await client.get(REPORT, headers=analyst.headers)
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "application/pdf"
    assert first.headers["content-disposition"].startswith('attachment; filename="compliance-cis-aws-6.0-')
    pages = pdftoppm(first.content, tmp_path)
    assert pages and all(page.read_bytes().startswith(PNG_SIGNATURE) for page in pages)
    text = pdf_text(first.content)
    assert "CIS Amazon Web Services Foundations Benchmark v6.0" in text and "compliance report" in text
    assert f"{round(100 * detail['score'])} %" in text and f"{detail['satisfied']} of {detail['applicable']}" in text
    assert "first report of this framework" in text
    failing = next(item for item in detail["requirements"] if item["status"] == "not_satisfied")
    assert failing["requirement_id"] in text and "Not satisfied" in text and "tool tag" in text

    # A failing check is triaged away: its requirement moves, and the next report says so.
    findings = container.database.db(Database.SECURITY_SCANS)["findings"]
    keys = failing["direct"]["failing_findings"]
    ids = [str(document["_id"]) async for document in findings.find({"team_id": analyst.team_id,
                                                                    "dedup_key": {"$in": keys}})]
    changed = await client.post("/api/findings/bulk-status", headers=analyst.headers,
                                json={"ids": ids, "status": "false_positive", "reason": "test bucket, not real"})
    assert changed.status_code == 200, changed.text
    now = (await client.get("/api/compliance/frameworks/cis-aws-6.0", headers=analyst.headers)).json()
    # CIS AWS is fed by Prowler's tags: a requirement no active or passing result names drops out of it.
    assert failing["requirement_id"] not in {item["requirement_id"] for item in now["requirements"]
                                             if item["status"] == "not_satisfied"}
    text = pdf_text((await client.get(REPORT, headers=analyst.headers)).content)
    assert "Since the previous report" in text and "first report" not in text
    assert f"{failing['requirement_id']} Not satisfied" in text  # the "then" column of the moved requirement

    # Another team has no report of this team's framework, and no drift from this team's reports.
    other = await auth.user(role="analyst")
    elsewhere = await client.get(REPORT, headers=other.headers)
    assert elsewhere.status_code == 404
    audit = (await client.get("/api/audit/events", headers=admin.headers,
                              params={"action": "compliance.framework_report"})).json()
    assert len(audit["items"]) == 2


async def test_a_framework_report_of_an_unknown_framework_is_a_404(client, auth):
    analyst = await auth.user(role="analyst")
    response = await client.get("/api/compliance/frameworks/no-such-framework/report", headers=analyst.headers)
    assert response.status_code == 404 and "not found" in response.text
