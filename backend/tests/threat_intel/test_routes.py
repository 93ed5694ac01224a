"""The threat intelligence API: imports, TLP:RED visibility, permissions, KEV matches, feed health."""

from __future__ import annotations

import json

import pytest

from cspm.threat_intel.feeds import FeedService
from tests.threat_intel.helpers import NMAP_IN_APT1_RANGE, kev_catalogue, scan, stix

RED_CSV = b"value,type,confidence,tags\nred.evil.example,domain,90,tlp:red\namber.evil.example,domain,60,tlp:amber\n"
SHA256 = "ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c"
MISP_EVENT = {"Event": {  # a MISP event written for the test, in MISP's documented JSON shape
    "info": "Phishing wave (built for test)", "uuid": "5a1b2c3d-0000-4000-8000-000000000001",
    "Tag": [{"name": "tlp:green"}],
    "Attribute": [
        {"type": "ip-dst", "value": "58.247.10.20", "to_ids": True, "category": "Network activity"},
        {"type": "domain", "value": "context-only.example", "to_ids": False, "category": "Network activity"},
        {"type": "sha256", "value": SHA256, "to_ids": True, "category": "Payload delivery",
         "Tag": [{"name": "tlp:red"}]},
    ]}}


@pytest.fixture
async def team(auth):
    admin = await auth.user(role="team_admin")
    return {"admin": admin, "analyst": await auth.user(role="analyst", team=admin),
            "viewer": await auth.user(role="viewer", team=admin)}


async def upload(client, session, name: str, raw: bytes, form: str):
    return await client.post("/api/threat-intel/indicators/import", headers=session.headers,
                             files={"file": (name, raw, "application/octet-stream")}, data={"format": form})


async def test_stix_import_and_correlation_through_the_api(client, team, shared_dir):
    analyst = team["analyst"]
    response = await upload(client, analyst, "apt1.json", stix(shared_dir, "stix21-apt1.json"), "stix")
    assert response.status_code == 201, response.text
    assert response.json()["new"] == 12
    nmap = await client.post("/api/findings/import", headers=analyst.headers,
                             files={"file": ("n.xml", NMAP_IN_APT1_RANGE.read_bytes(), "application/xml")},
                             data={"tool": "nmap", "scope": "branch"})
    assert nmap.status_code == 201
    correlations = (await client.get("/api/threat-intel/correlations", headers=analyst.headers)).json()
    assert correlations["total"] == 1 and correlations["items"][0]["indicator_value"] == "58.246.0.0/15"
    listed = (await client.get("/api/threat-intel/indicators", params={"type": "ipv4"},
                               headers=analyst.headers)).json()
    assert listed["total"] == 4 and all(item["pattern"].startswith("[ipv4-addr:value") for item in listed["items"])
    bad = await upload(client, analyst, "x.json", b'{"type": "bundle", "objects": [{"type": "indicator"}]}', "stix")
    assert bad.status_code == 400 and "not a valid STIX 2.1 bundle" in bad.json()["detail"]


async def test_tlp_red_is_shown_to_team_admins_only(client, team):
    assert (await upload(client, team["analyst"], "l.csv", RED_CSV, "csv")).status_code == 201
    by_admin = (await client.get("/api/threat-intel/indicators", headers=team["admin"].headers)).json()
    by_viewer = (await client.get("/api/threat-intel/indicators", headers=team["viewer"].headers)).json()
    assert {item["tlp"] for item in by_admin["items"]} == {"red", "amber"}
    assert [item["tlp"] for item in by_viewer["items"]] == ["amber"] and by_viewer["total"] == 1
    red = next(item for item in by_admin["items"] if item["tlp"] == "red")
    assert (await client.get(f"/api/threat-intel/indicators/{red['id']}", headers=team["viewer"].headers)
            ).status_code == 404
    assert (await client.get(f"/api/threat-intel/indicators/{red['id']}", headers=team["admin"].headers)
            ).status_code == 200


async def test_misp_event_import_keeps_only_ids_attributes_with_their_tlp(client, team):
    response = await upload(client, team["analyst"], "event.json", json.dumps(MISP_EVENT).encode(), "misp")
    assert response.status_code == 201, response.text
    assert response.json()["parsed"] == 2  # to_ids=false is context, not an indicator
    items = (await client.get("/api/threat-intel/indicators", headers=team["admin"].headers)).json()["items"]
    assert {(item["observables"][0]["type"], item["tlp"]) for item in items} == {("ipv4", "green"), ("sha256", "red")}
    assert items[0]["context"][0]["name"] == "Phishing wave (built for test)"


async def test_indicator_crud_and_permissions(client, team):
    viewer, analyst = team["viewer"], team["analyst"]
    body = {"type": "domain", "value": "Bad.Example.", "confidence": 40, "tags": ["manual"]}
    assert (await client.post("/api/threat-intel/indicators", json=body, headers=viewer.headers)).status_code == 403
    created = await client.post("/api/threat-intel/indicators", json=body, headers=analyst.headers)
    assert created.status_code == 201 and created.json()["observables"][0]["value"] == "bad.example"
    assert (await client.post("/api/threat-intel/indicators", json=body, headers=analyst.headers)).status_code == 409
    wrong = await client.post("/api/threat-intel/indicators", json={"type": "ipv4", "value": "not-an-ip"},
                              headers=analyst.headers)
    assert wrong.status_code == 400
    indicator_id = created.json()["id"]
    patched = await client.patch(f"/api/threat-intel/indicators/{indicator_id}", json={"confidence": 90},
                                 headers=analyst.headers)
    assert patched.json()["confidence"] == 90
    assert (await client.delete(f"/api/threat-intel/indicators/{indicator_id}", headers=analyst.headers)
            ).status_code == 204
    assert (await client.get(f"/api/threat-intel/indicators/{indicator_id}", headers=analyst.headers)
            ).status_code == 404


async def test_kev_page_counts_the_teams_open_known_exploited_findings(client, team, container, shared_dir):
    analyst = team["analyst"]
    refused = await client.post("/api/threat-intel/kev/import", headers=team["admin"].headers,
                                files={"file": ("kev.json", kev_catalogue(["CVE-2020-15999"]), "application/json")})
    assert refused.status_code == 403  # shared by every team: a platform administrator's act
    await container.resolve(FeedService).import_kev(kev_catalogue(["CVE-2020-15999", "CVE-2025-48384"]),
                                                    source="test")
    await client.post("/api/findings/import", headers=analyst.headers,
                      files={"file": ("t.json", scan(shared_dir, "trivy/scheme_2_many_vulns.json").read(),
                                      "application/json")}, data={"tool": "trivy", "scope": "img"})
    page = (await client.get("/api/threat-intel/kev", params={"matched": "true"}, headers=analyst.headers)).json()
    assert [item["cve_id"] for item in page["items"]] == ["CVE-2020-15999"]
    assert page["items"][0]["open_findings"] == page["open_findings_known_exploited"] >= 1
    assert page["open_findings_past_due"] == page["open_findings_known_exploited"]  # due 2021-11-17
    assert page["summary"].endswith("are past CISA's due date")
    by_priority = (await client.get("/api/findings", params={"sort": "priority", "kev": "true"},
                                    headers=analyst.headers)).json()["items"]
    assert by_priority and all(item["kev"]["cve_ids"] == ["CVE-2020-15999"] for item in by_priority)
    detail = (await client.get(f"/api/findings/{by_priority[0]['id']}", headers=analyst.headers)).json()
    assert detail["priority_explanation"].startswith("KEV since 2021-11-03")
    all_sorted = (await client.get("/api/findings", params={"sort": "priority", "limit": 50},
                                   headers=analyst.headers)).json()["items"]
    assert [item["priority"] for item in all_sorted] == sorted((item["priority"] for item in all_sorted), reverse=True)


async def test_switched_off_findings_list_unscored_and_page_by_priority_with_the_scored_ones(client, team, container,
                                                                                          shared_dir):
    admin = team["admin"]
    await container.resolve(FeedService).import_kev(kev_catalogue(["CVE-2020-15999"]), source="test")

    async def report(tool: str, relative: str) -> int:
        response = await client.post("/api/findings/import", headers=admin.headers, data={"tool": tool, "scope": tool},
                                     files={"file": ("r.json", scan(shared_dir, relative).read(), "application/json")})
        assert response.status_code == 201, response.text
        return response.json()["counts"]["new"]

    async def switch(enabled: bool) -> None:
        response = await client.put("/api/teams/active/modules/threat_intel", json={"enabled": enabled},
                                    headers=admin.headers)
        assert response.status_code == 200, response.text

    await switch(False)
    off = await report("trivy", "trivy/scheme_2_many_vulns.json")
    unscored = (await client.get("/api/findings", params={"sort": "priority"}, headers=admin.headers))
    assert unscored.status_code == 200 and len(unscored.json()["items"]) == off == 5
    assert all(item["priority"] is None and item["kev"] is None for item in unscored.json()["items"])
    assert (await client.get("/api/threat-intel/kev", headers=admin.headers)).status_code == 403
    await switch(True)
    on = await report("grype", "anchore_grype/fix_available.json")
    for order in ("desc", "asc"):
        seen, cursor = [], None
        while True:
            params = {"sort": "priority", "order": order, "limit": 3, **({"cursor": cursor} if cursor else {})}
            page = (await client.get("/api/findings", params=params, headers=admin.headers)).json()
            seen += page["items"]
            if not (cursor := page["next_cursor"]):
                break
        assert len({item["id"] for item in seen}) == len(seen) == off + on, order
        scored = [item["priority"] for item in seen if item["priority"] is not None]
        assert len(scored) == on > 0 and scored == sorted(scored, reverse=order == "desc")
        unscored_positions = [index for index, item in enumerate(seen) if item["priority"] is None]
        assert unscored_positions == list(range(on, on + off) if order == "desc" else range(off))


async def test_sources_show_feed_health_and_taxii_urls_go_through_the_destination_policy(client, team):
    analyst = team["analyst"]
    sources = (await client.get("/api/threat-intel/sources", headers=analyst.headers)).json()
    assert {feed["feed"] for feed in sources["feeds"]} == {"cisa_kev", "first_epss"}
    assert all(feed["state"] == "down" for feed in sources["feeds"])  # nothing imported in this test database
    metadata = await client.post("/api/threat-intel/sources/taxii", headers=analyst.headers,
                                 json={"name": "meta", "collection_url": "http://169.254.169.254/taxii2/collections/x/"})
    assert metadata.status_code == 400 and "refused" in metadata.json()["detail"]
    created = await client.post("/api/threat-intel/sources/taxii", headers=analyst.headers,
                                json={"name": "local", "collection_url": "http://127.0.0.1:9/api/collections/x/",
                                      "password": "secret"})
    assert created.status_code == 201 and "password" not in created.json() and "credentials" not in created.json()
    polled = await client.post(f"/api/threat-intel/sources/taxii/{created.json()['id']}/poll",
                               headers=analyst.headers)
    assert polled.json()["ok"] is False and "TAXII collection" in polled.json()["error"]
    listed = (await client.get("/api/threat-intel/sources", headers=analyst.headers)).json()["taxii"]
    assert listed[0]["last_ok"] is False and listed[0]["last_error"]


async def test_a_platform_admin_imports_kev_and_epss_files(client, auth):
    admin = await auth.user(role="platform_admin")
    kev = await client.post("/api/threat-intel/kev/import", headers=admin.headers,
                            files={"file": ("kev.json", kev_catalogue(["CVE-2020-15999"]), "application/json")})
    assert kev.status_code == 200 and kev.json()["added"] == 1
    invalid = await client.post("/api/threat-intel/kev/import", headers=admin.headers,
                                files={"file": ("kev.json", b"{}", "application/json")})
    assert invalid.status_code == 400 and "required property" in invalid.json()["detail"]
    epss = await client.post("/api/threat-intel/epss/import", headers=admin.headers, files={"file": (
        "epss.csv", b"#model_version:v2025.03.14,score_date:2025-08-25T00:00:00Z\ncve,epss,percentile\n"
        b"CVE-2020-15999,0.9,0.99\n", "text/csv")})
    assert epss.status_code == 200 and epss.json()["count"] == 1
    scores = (await client.get("/api/threat-intel/epss", params={"cve": "CVE-2020-15999"},
                               headers=admin.headers)).json()
    assert scores["scores"] == [{"cve_id": "CVE-2020-15999", "epss": 0.9, "percentile": 0.99, "date": "2025-08-25",
                                 "source": "FIRST EPSS"}]
    assert len(scores["distribution"]) == 11
