"""Exports of the filtered findings list, each read back by a real reader: csv, json, OCSF models, SARIF schema."""

from __future__ import annotations

import csv
import io
import json

import pytest

from cspm.exports.formats import CSV_COLUMNS
from cspm.exports.settings import ExportsSettings
from tests.exports.helpers import TRIVY_IMAGE, import_all, upload
from tests.exports.schemas import sarif_validator, unknown_attributes, validate_ocsf


@pytest.fixture
async def analyst(auth, shared_dir, client):
    session = await auth.user(role="analyst")
    await import_all(client, session, shared_dir)
    return session


async def export(client, session, **params):
    response = await client.get("/api/exports/findings", headers=session.headers, params=params)
    assert response.status_code == 200, response.text
    return response


async def listed(client, session, **params) -> list[dict]:
    response = await client.get("/api/findings", headers=session.headers, params={"limit": 500, **params})
    return response.json()["items"]


async def test_csv_parses_back_to_the_filtered_list(client, analyst, container):
    container.override(ExportsSettings, ExportsSettings(batch_size=10))  # several batches and chunks
    response = await export(client, analyst, format="csv", severity=["critical", "high"])
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith('attachment; filename="findings-')
    rows = list(csv.DictReader(io.StringIO(response.text)))
    expected = await listed(client, analyst, severity=["critical", "high"])
    assert len(expected) > 10
    assert sorted(row["id"] for row in rows) == sorted(item["id"] for item in expected)
    assert tuple(rows[0]) == CSV_COLUMNS
    by_id = {item["id"]: item for item in expected}
    for row in rows:
        item = by_id[row["id"]]
        assert row["severity"] == item["severity"] and row["resource_id"] == item["resource"]["id"]
        assert row["cve_ids"].split(";") == (item["cve_ids"] or [""])
    ranks = ["critical", "high"]
    assert [ranks.index(row["severity"]) for row in rows] == sorted(ranks.index(row["severity"]) for row in rows)


async def test_csv_cells_never_run_as_formulas(client, auth):
    session = await auth.user(role="analyst")
    report = {"scanner": "x", "version": 1, "findings": [
        {"rule_id": "=HYPERLINK(\"http://evil\")", "title": "+cmd|' /C calc'!A0", "severity": "low",
         "resource": {"type": "url", "id": "@SUM(1+1)"}}]}
    imported = await client.post("/api/findings/import", headers=session.headers,
                                 files={"file": ("r.json", json.dumps(report).encode(), "application/json")},
                                 data={"tool": "generic", "scope": "s"})
    assert imported.status_code == 201, imported.text
    row = next(csv.DictReader(io.StringIO((await export(client, session, format="csv")).text)))
    assert row["rule_id"] == "'=HYPERLINK(\"http://evil\")" and row["title"].startswith("'+")
    assert row["resource_id"] == "'@SUM(1+1)"


async def test_json_is_the_filtered_list(client, analyst):
    body = (await export(client, analyst, format="json", tool=["prowler"])).json()
    expected = await listed(client, analyst, tool=["prowler"])
    assert sorted(item["id"] for item in body) == sorted(item["id"] for item in expected) and len(body) == 26
    assert {item["service"] for item in body} == {"iam", "s3"}
    assert all("team_id" not in item and "_id" not in item for item in body)


async def test_ocsf_events_validate_against_the_ocsf_schema(client, analyst):
    events = (await export(client, analyst, format="ocsf", result="any")).json()
    assert len(events) == len(await listed(client, analyst, result="any"))
    for event in events:
        validate_ocsf(event)
    assert {event["class_uid"] for event in events} == {2004}
    with_cves = [event for event in events if event.get("vulnerabilities")]
    assert with_cves and all(v["cve"]["uid"].startswith("CVE-") for e in with_cves for v in e["vulnerabilities"])
    cloud = [event for event in events if event["resources"][0].get("group")]
    assert {event["resources"][0]["group"]["name"] for event in cloud} == {"iam", "s3"}
    assert {event["resources"][0]["data"]["account"] for event in cloud} == {"123456789012"}


def test_the_ocsf_check_can_fail():
    """The reader rejects what OCSF does not define, so the test above can fail."""
    with pytest.raises(ValueError):
        validate_ocsf({"class_uid": 2004, "time": "yesterday"})
    assert unknown_attributes(__import__("ocsf_emitter._models", fromlist=["DetectionFinding"]).DetectionFinding,
                              {"finding_info": {"uid": "1", "colour": "red"}}) == [".finding_info.colour"]


async def test_sarif_has_code_findings_only_and_validates(client, analyst):
    log = (await export(client, analyst, format="sarif")).json()
    validator = sarif_validator()
    assert sorted(validator.iter_errors(log), key=str) == []
    results = [result for run in log["runs"] for result in run["results"]]
    files = [item for item in await listed(client, analyst) if item["resource"]["type"] == "file"]
    assert len(results) == len(files) > 0
    for run in log["runs"]:
        rule_ids = {rule["id"] for rule in run["tool"]["driver"]["rules"]}
        assert {result["ruleId"] for result in run["results"]} == rule_ids
    broken = {**log, "runs": [{"results": []}]}  # a run without its tool
    assert list(validator.iter_errors(broken))


async def test_sarif_of_no_code_findings_is_a_valid_empty_log(client, auth, shared_dir):
    session = await auth.user(role="analyst")
    await upload(client, session, shared_dir, TRIVY_IMAGE, "trivy", "image")
    log = (await export(client, session, format="sarif")).json()
    assert log["runs"] == [] and not list(sarif_validator().iter_errors(log))


async def test_exports_refuse_bad_input_and_other_teams(client, analyst, auth):
    bad = await client.get("/api/exports/findings", headers=analyst.headers, params={"format": "xlsx"})
    assert bad.status_code == 422 and "format" in bad.text
    bad_filter = await client.get("/api/exports/findings", headers=analyst.headers, params={"severity": "huge"})
    assert bad_filter.status_code == 422
    assert (await client.get("/api/exports/findings")).status_code == 401
    other = await auth.user(role="viewer")
    empty = await export(client, other, format="json")
    assert empty.json() == []  # the other team's own (empty) findings, never the analyst's
    viewer = await auth.user(role="viewer", team=analyst)
    assert len((await export(client, viewer, format="json")).json()) > 0


async def test_switched_off_modules_are_refused_with_the_reason(client, auth, analyst):
    admin = await auth.user(role="team_admin", team=analyst)
    off = await client.put("/api/teams/active/modules/findings", headers=admin.headers, json={"enabled": False})
    assert off.status_code == 200, off.text
    refused = await client.get("/api/exports/findings", headers=analyst.headers)
    assert refused.status_code == 403 and "Findings module is switched off" in refused.json()["detail"]
    await client.put("/api/teams/active/modules/findings", headers=admin.headers, json={"enabled": True})
    await client.put("/api/teams/active/modules/exports", headers=admin.headers, json={"enabled": False})
    gated = await client.get("/api/exports/findings", headers=analyst.headers)
    assert gated.status_code == 403 and "Exports" in gated.json()["detail"]


async def test_exports_are_audited(client, analyst, auth):
    await export(client, analyst, format="csv", severity=["high"])
    admin = await auth.user(role="team_admin", team=analyst)
    events = await client.get("/api/audit/events", headers=admin.headers, params={"action": "finding.exported"})
    assert events.status_code == 200, events.text
    [event] = events.json()["items"]
    assert event["actor_id"] == analyst.user_id
    assert event["details"] == {"format": "csv", "filters": {"severity": ["high"]}}
