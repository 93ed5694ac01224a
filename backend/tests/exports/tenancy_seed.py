"""Team data for the cross-team probe: findings (generic format) with a CVE and a file, so every export has rows."""

from __future__ import annotations

import json

REPORT = {"scanner": "exports-seed", "version": 1, "findings": [
    {"rule_id": "EXPORT-SEED-1", "title": "Hard-coded key in configuration", "severity": "high",
     "resource": {"type": "file", "id": "config/settings.py"}, "category": "secret"},
    {"rule_id": "EXPORT-SEED-2", "title": "zlib with a known vulnerability", "severity": "critical",
     "resource": {"type": "container_image", "id": "registry.example.com/exports:1"}, "category": "vulnerability",
     "cve_ids": ["CVE-2022-37434"], "package": {"name": "zlib", "version": "1.2.12", "fixed_version": "1.2.13"}},
]}


async def seed(client, session) -> None:
    imported = await client.post("/api/findings/import", headers=session.headers,
                                 files={"file": ("seed.json", json.dumps(REPORT).encode(), "application/json")},
                                 data={"tool": "generic", "scope": "exports-seed"})
    assert imported.status_code == 201, imported.text
    exported = await client.get("/api/exports/findings", headers=session.headers, params={"format": "csv"})
    assert exported.status_code == 200 and "EXPORT-SEED-1" in exported.text and "EXPORT-SEED-2" in exported.text
