"""Scans end to end through the API: real targets, real tools (nmap, trivy, syft), the in-process worker."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cspm.core.database.registry import Database
from cspm.scans.lifecycle import DataSyncWatchdogService, RetentionService, ScheduledScanDispatcher

GITHUB_TOKEN = "ghp_" + "Zq8x" * 9  # shaped like a GitHub personal access token: trivy's secret rule


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def http_service() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers: nmap's version probes wait on it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=2)
    for connection in held:
        connection.close()
    listener.close()


@pytest.fixture
def iac_directory(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "Dockerfile").write_text("FROM ubuntu:latest\nRUN apt-get update\nUSER root\nCMD [\"bash\"]\n")
    (root / "main.tf").write_text(
        'resource "aws_s3_bucket" "logs" {\n  bucket = "public-logs"\n  acl    = "public-read"\n}\n')
    (root / "settings.env").write_text(f"GITHUB_TOKEN={GITHUB_TOKEN}\n")
    (root / "requirements.txt").write_text("requests==2.19.0\n")
    return root


@pytest.fixture
async def analyst(auth):
    return await auth.user(role="analyst")


async def create_target(client, session, **payload) -> dict:
    response = await client.post("/api/targets", headers=session.headers, json=payload)
    assert response.status_code == 201, response.text
    return response.json()


async def wait_finished(client, session, run_id: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = (await client.get(f"/api/scans/{run_id}/status", headers=session.headers)).json()
        if status["state"] not in ("queued", "running"):
            return (await client.get(f"/api/scans/{run_id}", headers=session.headers)).json()
        await asyncio.sleep(0.5)
    raise AssertionError(f"scan {run_id} did not finish in {timeout} s: {status}")


async def test_network_and_directory_scans_produce_real_findings_without_duplicates(
        client, analyst, http_service, iac_directory):
    network = await create_target(client, analyst, name="loopback", kind="network", value="127.0.0.1",
                                  options={"ports": str(http_service)})
    directory = await create_target(client, analyst, name="repo", kind="repository", value=str(iac_directory),
                                    tools=["trivy", "syft"])
    assert network["tools"] == ["nmap"]

    runs = []
    for target in (network, directory):
        launched = await client.post("/api/scans", headers=analyst.headers, json={"target_id": target["id"]})
        assert launched.status_code == 202, launched.text
        runs.append(launched.json()["run_id"])
    details = [await wait_finished(client, analyst, run_id) for run_id in runs]
    for detail in details:
        assert detail["state"] == "succeeded", (detail["error"], detail["sub_jobs"])
        assert detail["progress"]["finished"] == detail["progress"]["total"]

    nmap = (await client.get("/api/findings", headers=analyst.headers, params={"tool": "nmap"})).json()["items"]
    assert any(item["resource"]["id"].endswith(f":{http_service}") for item in nmap)
    trivy = (await client.get("/api/findings", headers=analyst.headers, params={"tool": "trivy"})).json()["items"]
    assert any(item["category"] == "secret" for item in trivy), trivy
    assert any(item["category"] == "misconfiguration" for item in trivy)
    components = (await client.get("/api/assets/components", headers=analyst.headers,
                                   params={"q": "requests"})).json()["items"]
    assert any(component["name"] == "requests" for component in components)

    before = (await client.get("/api/findings/counts", headers=analyst.headers)).json()["total"]
    again = await client.post("/api/scans", headers=analyst.headers, json={"target_id": network["id"]})
    second = await wait_finished(client, analyst, again.json()["run_id"])
    assert second["state"] == "succeeded"
    assert second["counts"]["new"] == 0 and second["counts"]["unchanged"] >= 1
    assert (await client.get("/api/findings/counts", headers=analyst.headers)).json()["total"] == before


async def test_target_outside_the_allow_list_is_refused(client, analyst):
    response = await client.post("/api/targets", headers=analyst.headers,
                                 json={"name": "internet", "kind": "network", "value": "8.8.8.8"})
    assert response.status_code == 422 and "allow-list" in response.json()["detail"]
    outside = await client.post("/api/targets", headers=analyst.headers,
                                json={"name": "etc", "kind": "repository", "value": "/etc"})
    assert outside.status_code == 422 and "outside" in outside.json()["detail"]
    injection = await client.post("/api/targets", headers=analyst.headers,
                                  json={"name": "opt", "kind": "network", "value": "127.0.0.1",
                                        "options": {"ports": "80 --script=evil"}})
    assert injection.status_code == 422
    bad_cron = await client.post("/api/targets", headers=analyst.headers,
                                 json={"name": "cron", "kind": "network", "value": "127.0.0.1",
                                       "schedule": {"cron": "every day", "timezone": "UTC"}})
    assert bad_cron.status_code == 422 and "cron" in bad_cron.json()["detail"]
    assert (await client.get("/api/targets", headers=analyst.headers)).json() == []


async def test_missing_tool_fails_the_job_with_the_reason(client, analyst, iac_directory):
    target = await create_target(client, analyst, name="img", kind="container_image", value="alpine:3.19",
                                 tools=["grype"])
    run = (await client.post("/api/scans", headers=analyst.headers, json={"target_id": target["id"]})).json()
    detail = await wait_finished(client, analyst, run["run_id"])
    assert detail["state"] == "failed"
    [sub_job] = detail["sub_jobs"]
    assert sub_job["state"] == "failed" and sub_job["reason"].startswith("tool missing")
    assert "grype" in detail["error"]


async def test_cancellation_stops_the_running_tool(client, analyst, silent_port, container):
    target = await create_target(client, analyst, name="slow", kind="network", value="127.0.0.1",
                                 options={"ports": str(silent_port)})
    run_id = (await client.post("/api/scans", headers=analyst.headers, json={"target_id": target["id"]})).json()[
        "run_id"]
    deadline = time.monotonic() + 30
    while (await client.get(f"/api/scans/{run_id}/status", headers=analyst.headers)).json()["state"] != "running":
        assert time.monotonic() < deadline, "scan never started"
        await asyncio.sleep(0.2)
    await asyncio.sleep(1.0)
    cancelled = await client.post(f"/api/scans/{run_id}/cancel", headers=analyst.headers)
    assert cancelled.status_code == 200
    started = time.monotonic()
    detail = await wait_finished(client, analyst, run_id, timeout=30)
    assert detail["state"] == "cancelled"
    assert time.monotonic() - started < 20
    assert detail["sub_jobs"][0]["state"] == "cancelled"
    assert (await client.get("/api/findings", headers=analyst.headers, params={"tool": "nmap"})).json()["items"] == []
    again = await client.post(f"/api/scans/{run_id}/cancel", headers=analyst.headers)
    assert again.status_code == 409
    [audited] = await container.database.db(Database.PLATFORM)["audit_events"].find(
        {"action": "scan.cancelled"}).to_list()
    assert (audited["actor_id"], audited["target_name"]) == (analyst.user_id, "slow")
    assert audited["details"]["run_id"] == run_id


async def test_server_sent_events_follow_a_scan_to_its_end(client, analyst, http_service):
    target = await create_target(client, analyst, name="sse", kind="network", value="127.0.0.1",
                                 options={"ports": str(http_service)})
    run_id = (await client.post("/api/scans", headers=analyst.headers, json={"target_id": target["id"]})).json()[
        "run_id"]
    events: list[str] = []
    async with client.stream("GET", f"/api/scans/{run_id}/events", headers=analyst.headers) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                events.append(line.removeprefix("event: "))
            if events and events[-1] == "end":
                break
    assert events[0] == "progress" and events[-1] == "end"


async def test_other_team_cannot_see_or_touch_scans(client, auth, analyst, http_service):
    target = await create_target(client, analyst, name="mine", kind="network", value="127.0.0.1",
                                 options={"ports": str(http_service)})
    run_id = (await client.post("/api/scans", headers=analyst.headers, json={"target_id": target["id"]})).json()[
        "run_id"]
    intruder = await auth.user(role="team_admin")
    assert (await client.get("/api/targets", headers=intruder.headers)).json() == []
    assert (await client.get(f"/api/targets/{target['id']}", headers=intruder.headers)).status_code == 404
    assert (await client.delete(f"/api/targets/{target['id']}", headers=intruder.headers)).status_code == 404
    launch = await client.post("/api/scans", headers=intruder.headers, json={"target_id": target["id"]})
    assert launch.status_code == 404
    for path in (f"/api/scans/{run_id}", f"/api/scans/{run_id}/status", f"/api/scans/{run_id}/events"):
        assert (await client.get(path, headers=intruder.headers)).status_code == 404, path
    assert (await client.post(f"/api/scans/{run_id}/cancel", headers=intruder.headers)).status_code == 404
    assert (await client.get("/api/scans", headers=intruder.headers)).json() == []
    await wait_finished(client, analyst, run_id)


async def test_viewer_cannot_launch(client, auth, analyst, http_service):
    target = await create_target(client, analyst, name="v", kind="network", value="127.0.0.1",
                                 options={"ports": str(http_service)})
    viewer = await auth.user(role="viewer", team=analyst)
    denied = await client.post("/api/scans", headers=viewer.headers, json={"target_id": target["id"]})
    assert denied.status_code == 403
    assert (await client.get("/api/scans", headers=viewer.headers)).status_code == 200


async def test_scheduled_target_is_launched_once(client, container, analyst, http_service):
    target = await create_target(client, analyst, name="nightly", kind="network", value="127.0.0.1",
                                 options={"ports": str(http_service)},
                                 schedule={"cron": "0 3 * * *", "timezone": "Europe/Paris"})
    next_run = datetime.fromisoformat(target["schedule"]["next_run_at"])
    assert next_run.astimezone(UTC).hour in (1, 2)  # 03:00 in Paris, winter or summer time
    targets = container.database.db(Database.ORCHESTRATION)["scan_targets"]
    await targets.update_one({"team_id": analyst.team_id}, {"$set": {"schedule.next_run_at":
                                                                     datetime.now(UTC) - timedelta(minutes=1)}})
    dispatcher = container.resolve(ScheduledScanDispatcher)
    launched = await asyncio.gather(dispatcher.dispatch_due(), dispatcher.dispatch_due())
    assert sorted(launched) == [0, 1]
    runs = (await client.get("/api/scans", headers=analyst.headers)).json()
    assert len(runs) == 1 and runs[0]["trigger"] == "schedule"
    await wait_finished(client, analyst, runs[0]["run_id"])
    moved = await targets.find_one({"team_id": analyst.team_id})
    assert moved["schedule"]["next_run_at"].replace(tzinfo=UTC) > datetime.now(UTC)


async def test_watchdog_ends_stuck_scans_and_syncs_occurrences(client, container, analyst, http_service):
    target = await create_target(client, analyst, name="stuck", kind="network", value="127.0.0.1",
                                 options={"ports": str(http_service)})
    run_id = (await client.post("/api/scans", headers=analyst.headers, json={"target_id": target["id"]})).json()[
        "run_id"]
    await wait_finished(client, analyst, run_id)
    sub_jobs = container.database.db(Database.ORCHESTRATION)["scan_sub_jobs"]
    # Pretend a worker died five hours into the job.
    await sub_jobs.update_many({"run_id": run_id}, {"$set": {"state": "running", "finished_at": None,
                                                             "started_at": datetime.now(UTC) - timedelta(hours=5)}})
    findings = container.database.db(Database.SECURITY_SCANS)["findings"]
    await findings.insert_one({"team_id": analyst.team_id, "dedup_key": "pending-1", "source_tool": "trivy",
                               "rule_id": "CVE-2024-0001", "title": "t", "severity": "high", "status": "open",
                               "result": "fail", "category": "vulnerability", "cve_ids": ["CVE-2024-0001"],
                               "resource": {"type": "container_image", "id": "app:1"},
                               "package": {"name": "openssl", "version": "1.0"}, "occurrence_synced": False})
    report = await container.resolve(DataSyncWatchdogService).run_cycle()
    assert report["stuck_sub_jobs"] == 1 and report["occurrences_synced"] == 1
    detail = (await client.get(f"/api/scans/{run_id}", headers=analyst.headers)).json()
    assert detail["sub_jobs"][0]["state"] == "timed_out" and "stuck" in detail["sub_jobs"][0]["reason"]
    occurrence = await container.database.db(Database.VULNERABILITIES)["vulnerability_occurrences"].find_one(
        {"team_id": analyst.team_id, "advisory_id": "CVE-2024-0001"})
    assert occurrence is not None


async def test_retention_archives_closed_findings_only(container):
    findings = container.database.db(Database.SECURITY_SCANS)["findings"]
    old = datetime.now(UTC) - timedelta(days=container.settings.retention_days + 1)
    base = {"team_id": "t-ret", "source_tool": "nmap", "rule_id": "r", "result": "fail", "updated_at": old}
    await findings.insert_many([{**base, "dedup_key": "a", "status": "resolved"},
                                {**base, "dedup_key": "b", "status": "open"},
                                {**base, "dedup_key": "c", "status": "false_positive",
                                 "updated_at": datetime.now(UTC)}])
    result = await container.resolve(RetentionService).run_retention_cycle()
    assert result["findings_archived"] == 1
    remaining = sorted(document["dedup_key"] for document in await findings.find({"team_id": "t-ret"}).to_list())
    assert remaining == ["b", "c"]
    archived = await container.database.db(Database.SECURITY_SCANS)["findings_archive"].find(
        {"team_id": "t-ret"}).to_list()
    assert [document["dedup_key"] for document in archived] == ["a"]


async def test_watchdog_refreshes_stale_compliance(client, container, analyst, shared_dir):
    from cspm.compliance.engine import AutonomousComplianceEngine

    content = (shared_dir / "scans/prowler/example_output_aws.ocsf.json").read_bytes()
    imported = await client.post("/api/findings/import", headers=analyst.headers,
                                 files={"file": ("p.json", content, "application/json")}, data={"tool": "prowler"})
    assert imported.status_code == 201
    engine = container.resolve(AutonomousComplianceEngine)
    watchdog = container.resolve(DataSyncWatchdogService)
    assert await engine.refreshes.last(analyst.team_id) is None
    computed = {state["scf_id"]: state["updated_at"] for state in (await engine.states.all(analyst.team_id)).values()}
    assert computed
    # A team seen for the first time starts its clock: its states were just computed from its findings.
    report = await watchdog.run_cycle()
    assert report["compliance_refresh_failed"] == []
    started = await engine.refreshes.last(analyst.team_id)
    assert started is not None
    assert {scf_id: state["updated_at"] for scf_id, state in (await engine.states.all(analyst.team_id)).items()} \
        == computed
    # Fresh: the next cycle leaves it alone.
    await watchdog.run_cycle()
    assert await engine.refreshes.last(analyst.team_id) == started
    # Last refreshed longer ago than COMPLIANCE_STALE_AFTER: recomputed in full.
    await engine.refreshes.mark(analyst.team_id, datetime.now(UTC) - timedelta(hours=6))
    await watchdog.run_cycle()
    assert await engine.refreshes.last(analyst.team_id) > started


async def test_retention_never_purges_a_running_scan(container):
    runs = container.database.db(Database.ORCHESTRATION)["scan_runs"]
    old = datetime.now(UTC) - timedelta(days=container.settings.retention_days + 1)
    await runs.insert_many([
        {"run_id": "finished-long-ago", "team_id": "t-ret", "state": "succeeded", "created_at": old,
         "finished_at": old},
        {"run_id": "still-running", "team_id": "t-ret", "state": "running", "created_at": old, "finished_at": None},
    ])
    result = await container.resolve(RetentionService).run_retention_cycle()
    assert result["scan_runs_purged"] == 1
    assert [run["run_id"] for run in await runs.find({"team_id": "t-ret"}).to_list()] == ["still-running"]
