"""Team data for the cross-team probe: findings (generic format), a suppression rule, a triage."""

from __future__ import annotations

import json

REPORT = {"scanner": "seed-scan", "version": 1, "findings": [
    {"rule_id": "SEED-1", "title": "Admin panel without authentication", "severity": "high",
     "resource": {"type": "url", "id": "https://app.example.com/admin"}, "category": "web"},
    {"rule_id": "SEED-2", "title": "OpenSSL with known vulnerabilities", "severity": 7.5,
     "resource": {"type": "container_image", "id": "registry.example.com/app:1"}, "category": "vulnerability",
     "cve_ids": ["CVE-2022-3602"], "package": {"name": "openssl", "version": "3.0.1", "fixed_version": "3.0.7"}},
]}


async def seed(client, session) -> None:
    imported = await client.post("/api/findings/import", headers=session.headers,
                                 files={"file": ("seed.json", json.dumps(REPORT).encode(), "application/json")},
                                 data={"tool": "generic", "scope": "seed"})
    assert imported.status_code == 201, imported.text
    items = (await client.get("/api/findings", headers=session.headers)).json()["items"]
    await client.patch(f"/api/findings/{items[0]['id']}/status", headers=session.headers,
                       json={"status": "false_positive", "reason": "seeded triage"})
    await client.post("/api/findings/suppression-rules", headers=session.headers,
                      json={"rule_id": "CVE-0000-0000", "reason": "seeded rule"})
