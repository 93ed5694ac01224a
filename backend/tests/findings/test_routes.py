"""The findings API end to end: upload, list, filter, paginate, count, triage — and team isolation."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cspm.scanners.streaming import MAX_JSON_DEPTH
from tests.scanners.helpers import REPORTS

TRIVY = "trivy/scheme_2_many_vulns.json"
PROWLER = "prowler/prowler_5.46_aws_moto_s3_iam.ocsf.json"


async def upload(client, session, shared_dir: Path, relative: str, tool: str, scope: str = "scope-1",
                 complete: bool = True):
    content = (shared_dir / "scans" / relative).read_bytes()
    return await client.post(
        "/api/findings/import", headers=session.headers,
        files={"file": (Path(relative).name, content, "application/json")},
        data={"tool": tool, "scope": scope, "complete": str(complete).lower()})


@pytest.fixture
async def analyst(auth):
    return await auth.user(role="analyst")


async def test_import_answers_counts_and_run_id(client, analyst, shared_dir):
    response = await upload(client, analyst, shared_dir, PROWLER, "prowler")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["counts"]["new"] == 37 and body["counts"]["parsed"] == 37
    assert body["scope_keys"] == ["prowler:scope-1"]
    again = await upload(client, analyst, shared_dir, PROWLER, "prowler")
    assert again.json()["counts"]["unchanged"] == 37 and again.json()["counts"]["new"] == 0
    assert again.json()["run_id"] != body["run_id"]


async def test_import_rejects_bad_reports_with_reasons(client, analyst, shared_dir):
    wrong_tool = await upload(client, analyst, shared_dir, PROWLER, "trivy")
    assert wrong_tool.status_code == 422
    assert "trivy report rejected" in wrong_tool.json()["detail"]
    unknown = await upload(client, analyst, shared_dir, PROWLER, "madeup")
    assert unknown.status_code == 400 and "madeup" in unknown.json()["detail"]
    missing_file = await client.post("/api/findings/import", headers=analyst.headers, data={"tool": "trivy"})
    assert missing_file.status_code == 422
    listing = await client.get("/api/findings", headers=analyst.headers, params={"result": "any"})
    assert listing.json()["items"] == []


async def test_import_answers_the_skipped_record_and_the_run_keeps_it(client, analyst):
    """The real CodeQL SARIF log with its third result stripped of rule and message: the other 71 import."""
    document = json.loads((REPORTS / "sarif/codeQL-output.sarif").read_bytes())
    for key in ("ruleId", "ruleIndex", "rule", "message"):
        document["runs"][0]["results"][2].pop(key, None)
    response = await client.post("/api/findings/import", headers=analyst.headers,
                                 files={"file": ("codeql.sarif", json.dumps(document).encode(), "application/json")},
                                 data={"tool": "sarif", "scope": "repo-1"})
    assert response.status_code == 201, response.text
    body = response.json()
    skipped = [{"index": 3, "reason": "run #1 result #3 has no ruleId and no message"}]
    assert body["skipped"] == skipped and body["counts"]["skipped"] == 1 and body["counts"]["parsed"] == 71
    run = await client.get(f"/api/scans/{body['run_id']}", headers=analyst.headers)
    assert run.status_code == 200 and run.json()["skipped"] == skipped


async def test_a_deeply_nested_report_is_refused_and_the_next_import_works(client, analyst, shared_dir):
    # Issue 11: 400 KB nested 200,000 levels deep took the process to 22 GB and got it killed.
    deep = b'{"SchemaVersion":2,"Results":' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    refused = await client.post("/api/findings/import", headers=analyst.headers,
                                files={"file": ("deep.json", deep, "application/json")},
                                data={"tool": "trivy", "scope": "scope-1"})
    assert refused.status_code == 422
    assert re.fullmatch(rf"trivy report rejected: JSON nested [\d,]+ levels deep within the first [\d,]+ bytes: "
                        rf"the limit is {MAX_JSON_DEPTH} levels of arrays and objects", refused.json()["detail"])
    listing = await client.get("/api/findings", headers=analyst.headers, params={"result": "any"})
    assert listing.json()["items"] == []
    good = await upload(client, analyst, shared_dir, TRIVY, "trivy")
    assert good.status_code == 201 and good.json()["counts"]["new"] == 5


async def test_list_filters_sort_and_cursor_pagination(client, analyst, shared_dir):
    await upload(client, analyst, shared_dir, PROWLER, "prowler")
    await upload(client, analyst, shared_dir, TRIVY, "trivy", scope="teamdojo")
    counts = (await client.get("/api/findings/counts", headers=analyst.headers)).json()
    assert counts["by_tool"] == {"prowler": 26, "trivy": 5}
    assert counts["total"] == 31 and sum(counts["by_severity"].values()) == 31

    seen: list[str] = []
    ranks: list[int] = []
    cursor = None
    order = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}
    while True:
        params = {"limit": 7, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/findings", headers=analyst.headers, params=params)).json()
        seen += [item["id"] for item in page["items"]]
        ranks += [order[item["severity"]] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 31
    assert ranks == sorted(ranks, reverse=True)

    high = (await client.get("/api/findings", headers=analyst.headers,
                             params={"severity": ["high", "critical"], "tool": "trivy"})).json()["items"]
    assert high and all(item["severity"] in ("high", "critical") and item["source_tool"] == "trivy" for item in high)
    text = (await client.get("/api/findings", headers=analyst.headers, params={"q": "s3"})).json()["items"]
    assert text and all("s3" in (item["rule_id"] + item["title"] + item["resource"]["id"]).lower() for item in text)
    passes = (await client.get("/api/findings/counts", headers=analyst.headers, params={"result": "pass"})).json()
    assert passes["total"] == 11
    bad_cursor = await client.get("/api/findings", headers=analyst.headers, params={"cursor": "nonsense!"})
    assert bad_cursor.status_code == 400
    bad_severity = await client.get("/api/findings", headers=analyst.headers, params={"severity": "urgent"})
    assert bad_severity.status_code == 422


async def test_detail_triage_and_history(client, analyst, shared_dir):
    await upload(client, analyst, shared_dir, TRIVY, "trivy")
    item = (await client.get("/api/findings", headers=analyst.headers)).json()["items"][0]
    response = await client.patch(f"/api/findings/{item['id']}/status", headers=analyst.headers,
                                  json={"status": "false_positive", "reason": "package not shipped"})
    assert response.status_code == 200 and response.json() == {"changed": 1}
    detail = (await client.get(f"/api/findings/{item['id']}", headers=analyst.headers)).json()
    assert detail["status"] == "false_positive"
    assert detail["history"][-1]["reason"] == "package not shipped"
    assert detail["history"][-1]["actor"] == analyst.user_id
    unknown_field = await client.patch(f"/api/findings/{item['id']}/status", headers=analyst.headers,
                                       json={"status": "false_positive", "reason": "x" * 5, "extra": 1})
    assert unknown_field.status_code == 422
    bulk = await client.post("/api/findings/bulk-status", headers=analyst.headers,
                             json={"ids": [item["id"]], "status": "open", "reason": "re-check"})
    assert bulk.json() == {"changed": 1}


async def test_viewer_cannot_write(client, auth, shared_dir):
    owner = await auth.user(role="analyst")
    viewer = await auth.user(role="viewer", team=owner.team_id)
    await upload(client, owner, shared_dir, TRIVY, "trivy")
    item = (await client.get("/api/findings", headers=viewer.headers)).json()["items"][0]
    denied = await client.patch(f"/api/findings/{item['id']}/status", headers=viewer.headers,
                                json={"status": "false_positive", "reason": "nope"})
    assert denied.status_code == 403
    assert (await upload(client, viewer, shared_dir, TRIVY, "trivy")).status_code == 403
    detail = (await client.get(f"/api/findings/{item['id']}", headers=owner.headers)).json()
    assert detail["status"] == "open"


async def test_other_team_sees_and_changes_nothing(client, auth, shared_dir):
    alice = await auth.user(role="analyst")
    mallory = await auth.user(role="team_admin")
    await upload(client, alice, shared_dir, TRIVY, "trivy")
    item = (await client.get("/api/findings", headers=alice.headers)).json()["items"][0]
    assert (await client.get("/api/findings", headers=mallory.headers)).json()["items"] == []
    assert (await client.get("/api/findings/counts", headers=mallory.headers)).json()["total"] == 0
    assert (await client.get(f"/api/findings/{item['id']}", headers=mallory.headers)).status_code == 404
    patch = await client.patch(f"/api/findings/{item['id']}/status", headers=mallory.headers,
                               json={"status": "false_positive", "reason": "hide it"})
    assert patch.status_code == 404
    bulk = await client.post("/api/findings/bulk-status", headers=mallory.headers,
                             json={"ids": [item["id"]], "status": "false_positive", "reason": "hide it"})
    assert bulk.status_code == 404
    assign = await client.patch(f"/api/findings/{item['id']}/assignee", headers=mallory.headers,
                                json={"assignee": "mallory"})
    assert assign.status_code == 404
    # Naming Alice's team in the header does not help Mallory either.
    forged = {**mallory.headers, "X-Team-ID": alice.team_id}
    assert (await client.get("/api/findings", headers=forged)).status_code in (403, 404)
    assert (await client.get(f"/api/findings/{item['id']}", headers=alice.headers)).json()["status"] == "open"


async def test_triage_is_audited(client, auth, shared_dir):
    admin = await auth.user(role="team_admin")
    await upload(client, admin, shared_dir, TRIVY, "trivy")
    item = (await client.get("/api/findings", headers=admin.headers)).json()["items"][0]
    await client.patch(f"/api/findings/{item['id']}/status", headers=admin.headers,
                       json={"status": "risk_accepted", "reason": "compensating WAF rule",
                             "risk_owner": "ciso@example.com", "expires_at": "2099-01-01T00:00:00Z"})
    rule = await client.post("/api/findings/suppression-rules", headers=admin.headers,
                             json={"source_tool": "trivy", "rule_id": "CVE-1999-0001", "reason": "not shipped"})
    await client.delete(f"/api/findings/suppression-rules/{rule.json()['id']}", headers=admin.headers)
    events = (await client.get("/api/audit/events", headers=admin.headers, params={"limit": 50})).json()["items"]
    actions = [event["action"] for event in events]
    assert {"finding.status_changed", "finding.suppression_rule_created",
            "finding.suppression_rule_deleted"} <= set(actions)
    changed = next(event for event in events if event["action"] == "finding.status_changed")
    assert changed["actor_id"] == admin.user_id and changed["target_id"] == item["id"]
    assert changed["details"]["to"] == "risk_accepted" and changed["details"]["risk_owner"] == "ciso@example.com"


async def test_findings_without_sla_are_never_overdue(client, analyst, container, shared_dir):
    from datetime import UTC, datetime, timedelta

    from cspm.core.database.registry import Database

    await upload(client, analyst, shared_dir, "nmap/nmap_multiple_port.xml", "nmap")
    await upload(client, analyst, shared_dir, TRIVY, "trivy")
    findings = container.database.db(Database.SECURITY_SCANS)["findings"]
    assert await findings.count_documents({"team_id": analyst.team_id, "sla_due_at": None}) > 0  # nmap: info
    late = await findings.find_one({"team_id": analyst.team_id, "source_tool": "trivy"})
    await findings.update_one({"_id": late["_id"]}, {"$set": {"sla_due_at": datetime.now(UTC) - timedelta(days=1)}})
    overdue = (await client.get("/api/findings", headers=analyst.headers, params={"overdue": "true"})).json()["items"]
    assert [item["id"] for item in overdue] == [str(late["_id"])]
    assert overdue[0]["overdue"] is True
    counts = (await client.get("/api/findings/counts", headers=analyst.headers)).json()
    assert counts["overdue"] == 1


async def test_trend_follows_imports_and_triage(client, analyst, container, shared_dir):
    from cspm.findings.service import FindingsService

    await upload(client, analyst, shared_dir, TRIVY, "trivy")
    [today] = (await client.get("/api/findings/trend", headers=analyst.headers)).json()
    assert today["total"] == 5 and sum(today["by_severity"].values()) == 5
    item = (await client.get("/api/findings", headers=analyst.headers)).json()["items"][0]
    await client.patch(f"/api/findings/{item['id']}/status", headers=analyst.headers,
                       json={"status": "false_positive", "reason": "not shipped"})
    [today] = (await client.get("/api/findings/trend", headers=analyst.headers, params={"days": 7})).json()
    assert today["total"] == 4
    assert await container.resolve(FindingsService).snapshot_all_trends() >= 1
    assert (await client.get("/api/findings/trend", headers=analyst.headers, params={"days": 0})).status_code == 422


async def test_the_tool_is_recognised_from_the_report_when_not_named(client, auth, shared_dir):
    analyst = await auth.user("analyst")
    for name, tool in [("prowler/example_output_aws.ocsf.json", "prowler"),
                       ("trivy/cvss_severity_source.json", "trivy"), ("nmap/nmap_1port.xml", "nmap")]:
        with (shared_dir / "scans" / name).open("rb") as report:
            response = await client.post("/api/findings/import", headers=analyst.headers,
                                         files={"file": (Path(name).name, report)})
        assert response.status_code == 201, response.text
        assert response.json()["tool"] == tool
        scope_keys = response.json()["scope_keys"]
        assert scope_keys and all(key.startswith(f"{tool}:report:") for key in scope_keys), scope_keys
    unknown = await client.post("/api/findings/import", headers=analyst.headers,
                                files={"file": ("notes.json", b'{"hello": "world"}')})
    assert unknown.status_code == 400
    assert "could not be recognised" in unknown.json()["detail"] and "tool=" in unknown.json()["detail"]
