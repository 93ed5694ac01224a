"""Correlation on real reports: KEV flags and due dates, EPSS, priority, and STIX indicators on Nmap hosts.

Findings come in through the findings module's real import; the threat intelligence module
hears of them only through the FINDINGS_CHANGED event.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from cspm.core.database.registry import Database
from cspm.findings.service import FindingsService
from cspm.threat_intel.feeds import SHIPPED_KEV, FeedService
from cspm.threat_intel.service import ThreatIntelService
from tests.findings.tenancy_seed import REPORT  # the generic report shape
from tests.threat_intel.helpers import NMAP_IN_APT1_RANGE, kev_catalogue, kev_entry, scan, stix

TEAM = "team-intel"


async def findings_of(container, team_id: str = TEAM, **query) -> list[dict]:
    collection = container.database.db(Database.SECURITY_SCANS)["findings"]
    return await collection.find({"team_id": team_id, **query}).to_list()


async def test_real_trivy_report_is_flagged_from_the_shipped_catalogue(container, shared_dir):
    await container.resolve(FeedService).import_kev(SHIPPED_KEV.read_bytes(), source="shipped snapshot")
    await container.resolve(FindingsService).import_report(
        team_id=TEAM, actor="u", tool="trivy", report=scan(shared_dir, "trivy/scheme_2_many_vulns.json"),
        scope="teamdojo", complete=True)
    flagged = await findings_of(container, kev={"$exists": True})
    assert flagged and all(doc["cve_ids"] == ["CVE-2020-15999"] for doc in flagged)
    kev = flagged[0]["kev"]
    assert (kev["due_date"], kev["date_added"], kev["ransomware"]) == ("2021-11-17", "2021-11-03", "Unknown")
    assert kev["required_action"] == "Apply updates per vendor instructions."
    assert flagged[0]["priority_explanation"].startswith("KEV since 2021-11-03 (+25.0)")
    others = await findings_of(container, kev={"$exists": False})
    assert others and max(doc["priority"] for doc in others) < min(doc["priority"] for doc in flagged)


async def test_a_new_finding_is_inserted_with_its_intel_and_not_rewritten(container, shared_dir, monkeypatch):
    """The ingest asks threat intel (the ``finding_intel`` provider) before the insert, so the
    FINDINGS_CHANGED subscriber that follows finds every new finding already enriched: no second write."""
    from cspm.threat_intel.correlation import ThreatCorrelationService

    await container.resolve(FeedService).import_kev(kev_catalogue(["CVE-2020-15999"]), source="test")
    rewritten: list[int] = []
    correlation = container.resolve(ThreatCorrelationService)
    original = correlation.findings.write_intel

    async def counting(team_id, updates):
        rewritten.append(len(updates))
        return await original(team_id, updates)

    monkeypatch.setattr(correlation.findings, "write_intel", counting)
    result = await container.resolve(FindingsService).import_report(
        team_id=TEAM, actor="u", tool="trivy", report=scan(shared_dir, "trivy/scheme_2_many_vulns.json"),
        scope="teamdojo", complete=True)
    stored = await findings_of(container)
    assert result.counts.new == len(stored) > 1
    assert all(isinstance(doc.get("priority"), float) and doc.get("priority_explanation") for doc in stored)
    assert [doc["cve_ids"] for doc in stored if "kev" in doc] == [["CVE-2020-15999"]] * sum("kev" in d for d in stored)
    assert any("kev" in doc for doc in stored)
    assert sum(rewritten) == 0


async def test_real_grype_report_is_flagged_when_the_catalogue_gains_its_cve(container, shared_dir):
    """No shared Grype report names a CVE of the 2025.08.25 catalogue, so the catalogue that gains
    one (CVE-2021-33574, glibc, in check_all_fields.json) is built for the test from the shipped one."""
    feeds = container.resolve(FeedService)
    await feeds.import_kev(kev_catalogue(["CVE-2020-15999"]), source="test")
    await container.resolve(FindingsService).import_report(
        team_id=TEAM, actor="u", tool="grype", report=scan(shared_dir, "anchore_grype/check_all_fields.json"),
        scope="image", complete=True)
    assert not await findings_of(container, kev={"$exists": True})
    before = {doc["dedup_key"]: doc["priority"] for doc in await findings_of(container)}

    written: list[int] = []
    refresh = feeds.on_change
    assert refresh is not None

    async def counting(cve_ids):
        written.append(await refresh(cve_ids))

    feeds.on_change = counting
    change = await feeds.import_kev(kev_catalogue(["CVE-2020-15999"], extra=[
        kev_entry("CVE-2021-33574", due="2025-09-15", ransomware="Known")]), source="test")
    assert change["added"] == 1
    flagged = await findings_of(container, kev={"$exists": True})
    assert {doc["package"]["name"] for doc in flagged} == {"libc-bin", "libc6"}
    assert all(doc["kev"]["due_date"] == "2025-09-15" and doc["kev"]["ransomware"] == "Known" for doc in flagged)
    assert written == [2]  # only the findings with the changed CVE were rewritten
    unchanged = await findings_of(container, kev={"$exists": False})
    assert all(doc["priority"] == before[doc["dedup_key"]] for doc in unchanged)
    assert all(doc["priority"] > before[doc["dedup_key"]] for doc in flagged)

    await feeds.import_kev(kev_catalogue(["CVE-2020-15999"]), source="test")  # removed again: unflagged
    assert not await findings_of(container, kev={"$exists": True})


async def test_scanner_epss_is_kept_with_its_date_and_a_newer_feed_wins(container, shared_dir):
    await container.resolve(FindingsService).import_report(
        team_id=TEAM, actor="u", tool="grype", report=scan(shared_dir, "anchore_grype/anchore_grype_epss_problem.json"),
        scope="image", complete=True)
    [finding] = await findings_of(container)
    today = datetime.now(UTC).date().isoformat()
    assert finding["epss"] == {"score": 0.00163, "percentile": None, "date": today, "source": "grype", "cve_id": None}
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    await container.resolve(FeedService).import_epss(
        f"#model_version:v2025.03.14,score_date:{tomorrow}T00:00:00Z\ncve,epss,percentile\n"
        "CVE-2023-39325,0.5,0.97\n".encode(), source="test")
    [finding] = await findings_of(container)
    assert finding["epss"]["source"] == "FIRST EPSS" and finding["epss"]["score"] == 0.5
    assert "EPSS 0.50 (97th percentile)" in finding["priority_explanation"]


async def test_apt1_cidr_indicator_matches_an_nmap_host_in_its_range(container, shared_dir):
    intel = container.resolve(ThreatIntelService)
    result = await intel.import_indicators(team_id=TEAM, actor="u", kind="stix", source="stix:apt1",
                                           raw=stix(shared_dir, "stix21-apt1.json"))
    assert result["parsed"] == 12 and result["new"] == 12 and result["not_matchable"] == 2  # the x509 AND patterns
    await container.resolve(FindingsService).import_report(
        team_id=TEAM, actor="u", tool="nmap", report=io.BytesIO(NMAP_IN_APT1_RANGE.read_bytes()), scope="branch",
        complete=True)
    correlations, total = await intel.list_correlations(team_id=TEAM, see_red=False, finding_id=None, offset=0,
                                                        limit=10)
    assert total == 1
    [match] = correlations
    assert (match["indicator_value"], match["matched_value"]) == ("58.246.0.0/15", "58.247.10.20")
    assert match["where"] == "nmap host_port 58.247.10.20:5432"
    assert {ref["name"] for ref in match["context"]} >= {"HUC Packet Transmit Tool (HTRAN)",
                                                        "APT1: Exposing One of China's Cyber Espionage Units"}
    # Matching again (a re-import) records a sighting, not a second correlation.
    await container.resolve(FindingsService).import_report(
        team_id=TEAM, actor="u", tool="nmap", report=io.BytesIO(NMAP_IN_APT1_RANGE.read_bytes()), scope="branch",
        complete=True)
    assert (await intel.list_correlations(team_id=TEAM, see_red=False, finding_id=None, offset=0, limit=10))[1] == 1


async def test_an_expired_indicator_does_not_match(container):
    intel = container.resolve(ThreatIntelService)
    await intel.import_indicators(
        team_id=TEAM, actor="u", kind="csv", source="csv:test",
        raw=b"value,type,confidence,tags\n58.247.10.20,ipv4,80,c2\n")
    expired = b"value,type,confidence,tags\ngw.branch-office.example,domain,90,c2\n"
    await intel.import_indicators(team_id=TEAM, actor="u", kind="csv", raw=expired, source="csv:old")
    [old] = (await intel.list_indicators(team_id=TEAM, see_red=True, q="branch-office", type_=None, offset=0,
                                         limit=5))[0]
    await intel.update_indicator(team_id=TEAM, see_red=True, indicator_id=old["id"],
                                 changes={"valid_until": datetime.now(UTC) - timedelta(days=1)})
    await container.resolve(FindingsService).import_report(
        team_id=TEAM, actor="u", tool="nmap", report=io.BytesIO(NMAP_IN_APT1_RANGE.read_bytes()), scope="branch",
        complete=True)
    correlations, _ = await intel.list_correlations(team_id=TEAM, see_red=True, finding_id=None, offset=0, limit=10)
    assert [item["indicator_value"] for item in correlations] == ["58.247.10.20"]
    assert (await intel.get_indicator(team_id=TEAM, see_red=True, indicator_id=old["id"]))["expired"] is True


@pytest.mark.parametrize("resource", [
    {"type": "AwsElbLoadBalancer", "id": "arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/x",
     "name": "x-1.eu-west-1.elb.evil.example"},
    {"type": "url", "id": "https://shop.evil.example/login"},
])
async def test_dns_names_in_cloud_and_web_resources_match_domain_indicators(container, resource):
    intel = container.resolve(ThreatIntelService)
    await intel.import_indicators(team_id=TEAM, actor="u", kind="csv", source="csv:test",
                                  raw=b"value,type,confidence,tags\nevil.example,domain,70,tlp:amber\n")
    report = {**REPORT, "findings": [{"rule_id": "R-1", "title": "t", "severity": "high", "resource": resource,
                                      "category": "cloud"}]}
    await container.resolve(FindingsService).import_report(team_id=TEAM, actor="u", tool="generic", scope="s",
                                                           report=io.BytesIO(json.dumps(report).encode()),
                                                           complete=True)
    correlations, _ = await intel.list_correlations(team_id=TEAM, see_red=False, finding_id=None, offset=0, limit=10)
    assert [(item["indicator_value"], item["tlp"]) for item in correlations] == [("evil.example", "amber")]


async def test_a_targets_declared_exposure_rescores_the_findings_of_its_scans(client, auth, container, shared_dir):
    analyst = await auth.user(role="analyst")
    created = await client.post("/api/targets", headers=analyst.headers, json={
        "name": "branch office", "kind": "network", "value": "127.0.0.1", "tools": ["nmap"],
        "options": {"exposure": "internal"}})
    assert created.status_code == 201, created.text
    target_id = created.json()["id"]
    # What a scan of the target stores: the scope names the target (``nmap:target:<id>:<part>``).
    await container.resolve(FindingsService).import_report(
        team_id=analyst.team_id, actor="u", tool="nmap", report=io.BytesIO(NMAP_IN_APT1_RANGE.read_bytes()),
        scope=f"target:{target_id}:hosts", complete=True)
    await container.resolve(FindingsService).import_report(  # another scope's hosts: left as they are
        team_id=analyst.team_id, actor="u", tool="nmap", report=scan(shared_dir, "nmap/nmap_multiple_port.xml"),
        scope="elsewhere", complete=True)
    before = {f["scope_key"]: f for f in await findings_of(container, analyst.team_id)}
    assert "internet-facing" not in before[f"nmap:target:{target_id}:hosts"]["priority_explanation"]

    changed = await client.patch(f"/api/targets/{target_id}", headers=analyst.headers,
                                 json={"options": {"exposure": "internet"}})
    assert changed.status_code == 200, changed.text
    after = {f["scope_key"]: f for f in await findings_of(container, analyst.team_id)}
    rescored = after[f"nmap:target:{target_id}:hosts"]
    assert rescored["priority"] > before[f"nmap:target:{target_id}:hosts"]["priority"]
    assert "internet-facing" in rescored["priority_explanation"]
    assert after["nmap:elsewhere"]["priority"] == before["nmap:elsewhere"]["priority"]
    assert "internet-facing" not in after["nmap:elsewhere"]["priority_explanation"]
