"""Team data for the cross-team probe: a risk with a treatment action and an acceptance, a KRI, a proposal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


async def seed(client, session) -> None:
    risk = await client.post("/api/risks", headers=session.headers, json={
        "title": "Seed risk", "likelihood": 3, "impact": 3, "owner": "seed owner"})
    assert risk.status_code == 201, risk.text
    risk_id = risk.json()["id"]
    action = await client.post(f"/api/risks/{risk_id}/actions", headers=session.headers,
                               json={"title": "Encrypt", "scf_ids": ["CRY-05"]})
    assert action.status_code == 201, action.text
    acceptance = await client.post(f"/api/risks/{risk_id}/acceptances", headers=session.headers, json={
        "reason": "seed acceptance", "expires_at": (datetime.now(UTC) + timedelta(days=5)).isoformat()})
    assert acceptance.status_code == 201, acceptance.text
    kri = await client.post("/api/risks/kris", headers=session.headers, json={
        "name": "Seed KRI", "metric": "open_past_sla", "thresholds": {"amber": 1, "red": 2}})
    assert kri.status_code == 201, kri.text
    process = await client.post("/api/bia/processes", headers=session.headers,
                                json={"name": "Seed process for a proposal", "tier": 2, "rto_hours": 1})
    assert process.status_code == 201, process.text
    exercise = await client.post("/api/bia/exercises", headers=session.headers, json={
        "process_id": process.json()["id"], "kind": "failover", "date": "2026-10-01", "scenario": "seed",
        "achieved_recovery_hours": 5, "outcome": "failed"})
    assert exercise.status_code == 201, exercise.text
    proposals = (await client.get("/api/risks/proposals", headers=session.headers)).json()
    assert len(proposals) == 1, proposals
