"""Business impact analysis through the API: MTPD derived from impacts, RTO > MTPD refused, exercises, tiers."""

from __future__ import annotations

import pytest

from cspm.bia.models import derived_mtpd, effective_tiers
from cspm.bia.service import BiaService

IMPACTS = [  # financial reaches "severe" (4) at 1 day
    {"horizon_hours": 1, "financial": 1, "operational": 2},
    {"horizon_hours": 4, "financial": 2, "financial_amount": 20000, "operational": 3},
    {"horizon_hours": 24, "financial": 4, "financial_amount": 250000, "operational": 3, "legal": 2},
    {"horizon_hours": 72, "financial": 5, "operational": 4, "reputational": 4},
]


@pytest.fixture
async def team(auth):
    admin = await auth.user(role="team_admin")
    return {"admin": admin, "analyst": await auth.user(role="analyst", team=admin),
            "viewer": await auth.user(role="viewer", team=admin)}


def test_mtpd_is_the_first_horizon_reaching_severe_and_tiers_flow_down_dependencies():
    assert derived_mtpd(IMPACTS, 4)["hours"] == 24
    assert derived_mtpd(IMPACTS, 4)["reason"] == "impact reaches severe (4) at 1 day (financial)"
    assert derived_mtpd(IMPACTS[:2], 4) is None
    processes = [{"_id": "a", "name": "Payments", "tier": 1, "dependencies": [{"kind": "process", "ref": "b"}]},
                 {"_id": "b", "name": "Ledger", "tier": 3, "dependencies": [{"kind": "process", "ref": "c"}]},
                 {"_id": "c", "name": "Backups", "tier": 4, "dependencies": [{"kind": "process", "ref": "a"}]}]
    assert effective_tiers(processes) == {"a": (1, ["Payments"]), "b": (1, ["Payments"]), "c": (1, ["Payments"])}


async def test_rto_above_mtpd_is_refused_with_the_reason(client, team):
    analyst = team["analyst"]
    refused = await client.post("/api/bia/processes", headers=analyst.headers, json={
        "name": "Card payments", "tier": 1, "impacts": IMPACTS, "rto_hours": 48, "rpo_hours": 1})
    assert refused.status_code == 422
    assert "RTO 2 days exceeds the MTPD 1 day (derived: impact reaches severe (4) at 1 day (financial))" \
        in refused.text
    declared = await client.post("/api/bia/processes", headers=analyst.headers, json={
        "name": "Card payments", "tier": 1, "mtpd_hours": 8, "rto_hours": 12})
    assert declared.status_code == 422 and "RTO 12 h exceeds the MTPD 8 h (declared)" in declared.text
    off_horizon = await client.post("/api/bia/processes", headers=analyst.headers, json={
        "name": "Card payments", "tier": 1, "impacts": [{"horizon_hours": 2, "financial": 3}]})
    assert off_horizon.status_code == 422 and "not the team's horizons" in off_horizon.text
    assert (await client.get("/api/bia/processes", headers=analyst.headers)).json() == []

    created = await client.post("/api/bia/processes", headers=analyst.headers, json={
        "name": "Card payments", "owner": "payments lead", "tier": 1, "impacts": IMPACTS, "rto_hours": 4,
        "rpo_hours": 1})
    assert created.status_code == 201, created.text
    process = created.json()
    assert process["mtpd_hours"] == 24 and process["mtpd_source"].startswith("derived: impact reaches severe")
    changed = await client.patch(f"/api/bia/processes/{process['id']}", headers=analyst.headers,
                                 json={"rto_hours": 30})
    assert changed.status_code == 422 and "RTO 30 h exceeds the MTPD 1 day" in changed.text
    viewer = await client.post("/api/bia/processes", headers=team["viewer"].headers, json={"name": "x", "tier": 2})
    assert viewer.status_code == 403

    horizons = await client.put("/api/bia/horizons", headers=analyst.headers, json={"hours": [2, 8, 48]})
    assert horizons.json()["labels"] == ["2 h", "8 h", "2 days"]


async def test_exercise_missing_its_rto_becomes_a_risk_proposal(client, team):
    analyst = team["analyst"]
    process = (await client.post("/api/bia/processes", headers=analyst.headers, json={
        "name": "Order intake", "tier": 2, "impacts": IMPACTS, "rto_hours": 4})).json()
    met = await client.post("/api/bia/exercises", headers=analyst.headers, json={
        "process_id": process["id"], "kind": "tabletop", "date": "2026-11-02", "scenario": "region outage",
        "participants": ["ops"], "achieved_recovery_hours": 3, "outcome": "passed"})
    assert met.status_code == 201 and met.json()["met_rto"] is True
    missed = await client.post("/api/bia/exercises", headers=analyst.headers, json={
        "process_id": process["id"], "kind": "restore", "date": "2026-11-20", "scenario": "restore from backup",
        "participants": ["ops", "dba"], "achieved_recovery_hours": 9.5, "outcome": "failed",
        "lessons": "backup catalogue out of date", "follow_up": [{"title": "Refresh catalogue", "owner": "dba",
                                                                  "due_date": "2026-12-15"}]})
    assert missed.status_code == 201 and missed.json()["met_rto"] is False
    proposals = (await client.get("/api/risks/proposals", headers=analyst.headers)).json()
    assert [(p["kind"], p["title"]) for p in proposals] == [
        ("exercise_missed_rto", "Recovery of 'Order intake' took 9.5 h in an exercise, RTO 4 h")]
    exercises = (await client.get("/api/bia/exercises", headers=analyst.headers,
                                  params={"process_id": process["id"]})).json()
    assert [e["met_rto"] for e in exercises] == [False, True]


async def test_dependency_view_and_asset_criticality_for_other_modules(client, team, container):
    analyst = team["analyst"]
    ledger = (await client.post("/api/bia/processes", headers=analyst.headers, json={
        "name": "Ledger", "tier": 3, "dependencies": [{"kind": "host", "ref": "db.internal"},
                                                      {"kind": "third_party", "ref": "Bank API"}]})).json()
    payments = (await client.post("/api/bia/processes", headers=analyst.headers, json={
        "name": "Payments", "tier": 1, "dependencies": [{"kind": "process", "ref": ledger["id"]},
                                                        {"kind": "cloud_account", "ref": "123456789012"}]})).json()
    processes = {p["name"]: p for p in (await client.get("/api/bia/processes", headers=analyst.headers)).json()}
    assert processes["Ledger"]["effective_tier"] == 1 and processes["Ledger"]["critical_for"] == ["Payments"]
    graph = (await client.get("/api/bia/dependencies", headers=analyst.headers)).json()
    assert {(e["from"], e["to"]) for e in graph["edges"]} == {
        (f"process:{ledger['id']}", "host:db.internal"), (f"process:{ledger['id']}", "third_party:Bank API"),
        (f"process:{payments['id']}", f"process:{ledger['id']}"),
        (f"process:{payments['id']}", "cloud_account:123456789012")}
    found = await container.resolve(BiaService).asset_criticality(
        analyst.team_id, ["host:db.internal", "cloud_account:123456789012", "host:elsewhere"])
    assert found["host:db.internal"]["tier"] == 1 and found["host:db.internal"]["processes"] == ["Ledger"]
    assert found["cloud_account:123456789012"]["criticality"] == "tier-1"
    assert "host:elsewhere" not in found
    answered = await client.post("/api/bia/asset-criticality", headers=analyst.headers,
                                 json={"refs": ["host:db.internal"]})
    assert answered.json() == [{"ref": "host:db.internal", "tier": 1, "criticality": "tier-1",
                                "processes": ["Ledger"]}]
    self_loop = await client.patch(f"/api/bia/processes/{ledger['id']}", headers=analyst.headers,
                                   json={"dependencies": [{"kind": "process", "ref": ledger["id"]}]})
    assert self_loop.status_code == 422
