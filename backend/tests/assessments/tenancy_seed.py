"""Team data for the cross-team probe: an ASVS assessment on a web target with ZAP suggestions, answers and
evidence, and a NIST CSF profile whose answer feeds an SCF control."""

from __future__ import annotations

from tests.conftest import SHARED

ZAP = SHARED / "scans" / "zap" / "zap-results-second-scan.xml"


async def seed(client, session) -> None:
    target = await client.post("/api/targets", headers=session.headers,
                               json={"name": "seed shop", "kind": "web_application", "value": "http://127.0.0.1:8822/"})
    assert target.status_code == 201, target.text
    asvs = await client.post("/api/assessments", headers=session.headers, json={
        "template": "owasp-asvs-5.0.0", "name": "seed ASVS", "level": 1,
        "scope": {"description": "seed", "target_ids": [target.json()["id"]]}})
    assert asvs.status_code == 201, asvs.text
    base = f"/api/assessments/{asvs.json()['id']}"
    answered = await client.put(f"{base}/requirements/V1.2.4", headers=session.headers,
                                json={"answer": "met", "notes": "seed"})
    assert answered.status_code == 200, answered.text
    evidence = await client.post(f"{base}/evidence", headers=session.headers, data={"ref": "V1.2.4"},
                                 files={"file": ("seed.txt", b"parameterised queries everywhere", "text/plain")})
    assert evidence.status_code == 201, evidence.text
    imported = await client.post("/api/findings/import", headers=session.headers,
                                 files={"file": (ZAP.name, ZAP.read_bytes(), "application/xml")},
                                 data={"tool": "zap", "scope": "seed"})
    assert imported.status_code == 201, imported.text
    csf = await client.post("/api/assessments", headers=session.headers, json={
        "template": "nist-csf-2.0", "name": "seed CSF", "target_profile": {"default_tier": 2}})
    assert csf.status_code == 201, csf.text
    tier = await client.put(f"/api/assessments/{csf.json()['id']}/requirements/GV.RM-01", headers=session.headers,
                            json={"tier": 2})
    assert tier.status_code == 200, tier.text
