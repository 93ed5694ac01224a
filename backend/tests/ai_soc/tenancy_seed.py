"""Team data for the cross-team probe: cases from an imported Trivy report, a decision on one, a brief."""

from __future__ import annotations

import asyncio

from tests.conftest import SHARED

REPORT = SHARED / "scans" / "trivy" / "scheme_2_many_vulns.json"


async def seed(client, session) -> None:
    imported = await client.post("/api/findings/import", headers=session.headers,
                                 files={"file": ("trivy.json", REPORT.read_bytes(), "application/json")},
                                 data={"tool": "trivy", "scope": "seed"})
    assert imported.status_code == 201, imported.text
    run = (await client.post("/api/ai-soc/runs", headers=session.headers)).json()
    for _ in range(300):  # the run is a job on the in-process worker: at most 60 s
        state = (await client.get(f"/api/ai-soc/runs/{run['id']}", headers=session.headers)).json()["state"]
        if state in ("done", "failed"):
            break
        await asyncio.sleep(0.2)
    assert state == "done", state
    cases = (await client.get("/api/ai-soc/cases", headers=session.headers)).json()["items"]
    # Other modules' seeds fill the same team: the Trivy report's 4 packages are 4 of its cases.
    assert sum(1 for case in cases if case["key"].startswith("component:teamdojo:latest:")) == 4, cases
    kept = await client.post(f"/api/ai-soc/cases/{cases[0]['id']}/actions", headers=session.headers,
                             json={"action": "keep", "reason": "seed decision"})
    assert kept.status_code == 200, kept.text
    assert (await client.post("/api/ai-soc/brief", headers=session.headers)).status_code == 201
    settings = await client.put("/api/ai-soc/settings", headers=session.headers,
                                json={"auto_apply": ["false_positive:previously_muted"]})
    assert settings.status_code in (200, 403), settings.text
