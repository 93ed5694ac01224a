"""BIA criticality flows into threat intelligence's explained priority, and finding order follows it."""

from __future__ import annotations

from cspm.threat_intel.correlation import ThreatCorrelationService
from tests.risks.helpers import import_report


async def _open_port_443(client, session) -> list[dict]:
    listed = (await client.get("/api/findings", headers=session.headers,
                               params={"sort": "priority", "order": "desc", "q": "443"})).json()["items"]
    return [(item["resource"]["id"], item["priority"]) for item in listed]


async def test_finding_on_a_tier1_dependency_ranks_above_the_same_finding_elsewhere(client, auth, container,
                                                                                     shared_dir):
    analyst = await auth.user(role="analyst")
    # Real nmap report: port 443 open on 172.217.18.238 and on 54.239.28.85 (the same finding, two hosts).
    await import_report(client, analyst, shared_dir / "scans" / "nmap" / "issue12411.xml", tool="nmap",
                        scope="edge")
    plain = await _open_port_443(client, analyst)
    assert {resource for resource, _ in plain} == {"172.217.18.238:443", "54.239.28.85:443"}
    assert plain[0][1] == plain[1][1]  # same finding, same priority without BIA

    created = await client.post("/api/bia/processes", headers=analyst.headers, json={
        "name": "Checkout", "tier": 1, "dependencies": [{"kind": "host", "ref": "54.239.28.85"}]})
    assert created.status_code == 201, created.text
    ranked = await _open_port_443(client, analyst)
    assert ranked[0][0] == "54.239.28.85:443" and ranked[0][1] == plain[0][1] + 10.0 > ranked[1][1]
    top = (await client.get("/api/findings", headers=analyst.headers,
                            params={"sort": "priority", "order": "desc", "q": "443"})).json()["items"][0]
    detail = (await client.get(f"/api/findings/{top['id']}", headers=analyst.headers)).json()
    assert "criticality tier-1 (BIA: tier-1 process 'Checkout' depends on it) (+10.0)" \
        in detail["priority_explanation"], detail["priority_explanation"]

    # BIA switched off by the team admin: threat intel falls back to the declared criticality (none here).
    admin = await auth.user(role="team_admin", team=analyst)
    off = await client.put("/api/teams/active/modules/bia", headers=admin.headers, json={"enabled": False})
    assert off.status_code == 200, off.text
    assert (await client.get("/api/bia/processes", headers=analyst.headers)).status_code in (403, 404)
    await container.resolve(ThreatCorrelationService).on_criticality_changed(team_id=analyst.team_id)
    unchanged = await _open_port_443(client, analyst)
    assert unchanged[0][1] == unchanged[1][1] == plain[0][1]
