"""The other platform events reach the rules: failed scans, compliance drift, indicator matches, KRI red."""

from __future__ import annotations

import asyncio
import json

from cspm.compliance.drift import ComplianceDriftDetectionService
from cspm.compliance.models import DriftKind
from cspm.core.events import KRI_RED
from tests.integrations.helpers import WEBHOOK_SECRET, create, deliveries, route
from tests.integrations.standins import SignedWebhookReceiver
from tests.scans.test_orchestration import wait_finished
from tests.threat_intel.helpers import NMAP_IN_APT1_RANGE
from tests.threat_intel.tenancy_seed import APT1


async def settle(container) -> None:
    await asyncio.to_thread(container.dispatcher.wait_idle, 60)


async def webhook_for(client, analyst, receiver, events: list[str], min_severity: str = "info") -> None:
    webhook = await create(client, analyst, "soar", {"kind": "webhook", "url": f"{receiver.base_url}/hook",
                                                     "signing_secret": WEBHOOK_SECRET})
    await route(client, analyst, [webhook["id"]], events=events, min_severity=min_severity)


async def test_a_failed_scan_is_announced(client, auth, container):
    analyst = await auth.user(role="analyst")
    with SignedWebhookReceiver(WEBHOOK_SECRET) as receiver:
        await webhook_for(client, analyst, receiver, ["scan.failed"], min_severity="medium")
        target = (await client.post("/api/targets", headers=analyst.headers, json={
            "name": "registry image", "kind": "container_image", "value": "alpine:3.19", "tools": ["grype"]})).json()
        run = (await client.post("/api/scans", headers=analyst.headers, json={"target_id": target["id"]})).json()
        detail = await wait_finished(client, analyst, run["run_id"], timeout=120)
        assert detail["state"] == "failed"  # grype is not installed here: "tool missing"
        await settle(container)
        [event] = receiver.wait_for(1, timeout=30) and receiver.verified
    assert event["event"] == "scan.failed" and event["title"] == "Scan failed: registry image"
    assert "grype" in event["summary"] and event["facts"]["Run"] == run["run_id"]


async def test_drift_and_kri_red_events_are_routed(client, auth, container):
    analyst = await auth.user(role="analyst")
    with SignedWebhookReceiver(WEBHOOK_SECRET) as receiver:
        await webhook_for(client, analyst, receiver, ["compliance.drift", "risks.kri_red"], min_severity="medium")
        # The drift service's own store publishes COMPLIANCE_DRIFTED.
        await container.resolve(ComplianceDriftDetectionService).record(
            analyst.team_id, DriftKind.ASSESSMENT_CONTRADICTED, "ASVS 5.0 V3.1.1 answered met; a scan says not",
            scf_id="IAC-06")
        # The risk register (being built) raises this event; routing by its name works already.
        failed = await container.events.publish(KRI_RED, team_id=analyst.team_id, kri_id="kri-1",
                                                name="Open critical findings", value=14, threshold=10,
                                                risk_id="risk-7")
        assert failed == []
        await settle(container)
        events = {event["event"]: event for event in receiver.wait_for(2, timeout=30) and receiver.verified}
    assert events["compliance.drift"]["target"] == "IAC-06" and "contradicted" in events["compliance.drift"]["title"]
    assert events["risks.kri_red"]["facts"] == {"Value": "14", "Threshold": "10", "Risk": "risk-7"}


async def test_indicator_matches_are_routed_and_tlp_red_stays_inside(client, auth, container):
    analyst = await auth.user(role="analyst")
    with SignedWebhookReceiver(WEBHOOK_SECRET) as receiver:
        await webhook_for(client, analyst, receiver, ["threat_intel.ioc_match"])
        imported = await client.post("/api/threat-intel/indicators/import", headers=analyst.headers,
                                     files={"file": ("apt1.json", APT1.read_bytes(), "application/json")},
                                     data={"format": "stix", "source": "test"})
        assert imported.status_code == 201, imported.text
        nmap = await client.post("/api/findings/import", headers=analyst.headers,
                                 files={"file": ("nmap.xml", NMAP_IN_APT1_RANGE.read_bytes(), "application/xml")},
                                 data={"tool": "nmap", "scope": "ioc"})
        assert nmap.status_code == 201, nmap.text
        await settle(container)
        correlations = (await client.get("/api/threat-intel/correlations", headers=analyst.headers)).json()
        assert correlations["total"] >= 1
        log = await deliveries(client, analyst)
    assert log and {item["event_type"] for item in log} == {"threat_intel.ioc_match"}
    assert len(receiver.verified) == len(log) and all(item["state"] == "delivered" for item in log)
    assert receiver.verified[0]["facts"]["Indicator"]
    assert "tlp:red" not in json.dumps(receiver.verified).lower()


async def test_a_team_that_switched_integrations_off_gets_no_notifications(client, auth, container):
    admin = await auth.user(role="team_admin")
    with SignedWebhookReceiver(WEBHOOK_SECRET) as receiver:
        await webhook_for(client, admin, receiver, ["risks.kri_red"])
        off = await client.put("/api/teams/active/modules/integrations", headers=admin.headers,
                               json={"enabled": False})
        assert off.status_code == 200, off.text
        await container.events.publish(KRI_RED, team_id=admin.team_id, kri_id="k", name="n", value=1, threshold=0)
        await settle(container)
        assert receiver.posts() == []
        refused = await client.get("/api/integrations", headers=admin.headers)
    assert refused.status_code == 403 and "switched off" in refused.json()["detail"]
