"""Team data for the cross-team probe: a classified AI system with an answered obligation and a bias test."""

from __future__ import annotations

from tests.ai_governance.helpers import controlled_csv


async def seed(client, session) -> None:
    created = await client.post("/api/ai-governance/systems", headers=session.headers,
                                json={"name": "seed screening model", "role": "provider",
                                      "deployment": [{"kind": "url", "ref": "https://hr.example.com"}]})
    assert created.status_code == 201, created.text
    system_id = created.json()["id"]
    classified = await client.put(f"/api/ai-governance/systems/{system_id}/classification", headers=session.headers,
                                  json={"answers": {"annex3.4.a": True}})
    assert classified.status_code == 200, classified.text
    answered = await client.put(f"/api/ai-governance/systems/{system_id}/obligations/art9", headers=session.headers,
                                json={"status": "in_progress", "owner": "seed owner"})
    assert answered.status_code == 200, answered.text
    run = await client.post(f"/api/ai-governance/systems/{system_id}/bias-tests", headers=session.headers,
                            files={"file": ("eval.csv", controlled_csv(), "text/csv")},
                            data={"label_column": "hired", "prediction_column": "predicted",
                                  "sensitive_columns": "applicant_sex"})
    assert run.status_code == 201, run.text
