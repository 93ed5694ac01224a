"""Team data for the cross-team probe: findings from a real report, a suppression rule, a triage."""

from __future__ import annotations

from tests.conftest import SHARED


async def seed(client, session) -> None:
    content = (SHARED / "scans/trivy/scheme_2_many_vulns.json").read_bytes()
    imported = await client.post("/api/findings/import", headers=session.headers,
                                 files={"file": ("trivy.json", content, "application/json")},
                                 data={"tool": "trivy", "scope": "seed"})
    assert imported.status_code == 201, imported.text
    items = (await client.get("/api/findings", headers=session.headers)).json()["items"]
    await client.patch(f"/api/findings/{items[0]['id']}/status", headers=session.headers,
                       json={"status": "false_positive", "reason": "seeded triage"})
    await client.post("/api/findings/suppression-rules", headers=session.headers,
                      json={"rule_id": "CVE-0000-0000", "reason": "seeded rule"})
