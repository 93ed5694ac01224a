"""Team data for the cross-team probe: two business processes (one depending on the other) and an exercise."""

from __future__ import annotations


async def seed(client, session) -> None:
    backend = await client.post("/api/bia/processes", headers=session.headers, json={
        "name": "Seed database", "tier": 3, "dependencies": [{"kind": "host", "ref": "db.seed.internal"}]})
    assert backend.status_code == 201, backend.text
    front = await client.post("/api/bia/processes", headers=session.headers, json={
        "name": "Seed storefront", "tier": 1, "rto_hours": 2,
        "impacts": [{"horizon_hours": 4, "financial": 4, "financial_amount": 1000}],
        "dependencies": [{"kind": "process", "ref": backend.json()["id"]}]})
    assert front.status_code == 201, front.text
    exercise = await client.post("/api/bia/exercises", headers=session.headers, json={
        "process_id": front.json()["id"], "kind": "tabletop", "date": "2026-09-01", "scenario": "seed",
        "achieved_recovery_hours": 1, "outcome": "passed"})
    assert exercise.status_code == 201, exercise.text
