"""Signed scanner callbacks: authentic, fresh and first — or 401 with nothing stored.

An unsigned or stale delivery is refused before its body is read; a refused report does not
use up the grant (the scanner sends the good one), a replayed delivery is refused.
"""

from __future__ import annotations

import hashlib
import time

import pytest

from cspm.core.database.registry import Database
from cspm.scans.models import RunKind, RunState
from cspm.scans.repository import ScanRunRepository
from cspm.webhooks.service import SignedHeaders, WebhookSecurityService, signature
from tests.upload_helpers import FIFTY_MB, CountingUpload, post

TEAM = "team-hooks"


@pytest.fixture
async def grant(container):
    runs = ScanRunRepository(container.database.db(Database.ORCHESTRATION))
    run = await runs.create(TEAM, kind=RunKind.SCAN, tools=["nmap"], requested_by="scheduler",
                            scope_key="nmap:127.0.0.1", state=RunState.RUNNING)
    service = container.resolve(WebhookSecurityService)
    return await service.issue(team_id=TEAM, run_id=run["run_id"], tool="nmap", scope_key="nmap:127.0.0.1")


def signed(grant, body: bytes, *, timestamp: int | None = None, key: str | None = None) -> dict[str, str]:
    sent = str(timestamp if timestamp is not None else int(time.time()))
    digest = hashlib.sha256(body).hexdigest()
    return {"X-CSPM-Timestamp": sent,
            "X-CSPM-Signature": signature(key or grant.key, "POST", grant.path, sent, digest)}


async def findings_count(container) -> int:
    return await container.database.db(Database.SECURITY_SCANS)["findings"].count_documents({"team_id": TEAM})


async def test_signed_report_is_ingested_once(client, container, grant, shared_dir):
    body = (shared_dir / "scans/nmap/nmap_multiple_port.xml").read_bytes()
    response = await client.post(grant.path, content=body, headers=signed(grant, body))
    assert response.status_code == 200, response.text
    assert response.json()["counts"]["new"] == await findings_count(container) > 0
    replay = await client.post(grant.path, content=body, headers=signed(grant, body))
    assert replay.status_code == 401 and "already used" in replay.json()["detail"]


@pytest.mark.parametrize("case", ["bad-signature", "other-job-key", "stale", "future", "missing", "tampered"])
async def test_forged_or_stale_requests_are_refused(client, container, grant, shared_dir, case):
    body = (shared_dir / "scans/nmap/nmap_multiple_port.xml").read_bytes()
    headers = signed(grant, body)
    if case == "bad-signature":
        headers["X-CSPM-Signature"] = "0" * 64
    elif case == "other-job-key":
        headers = signed(grant, body, key=container.resolve(WebhookSecurityService).job_key("another-job"))
    elif case == "stale":
        headers = signed(grant, body, timestamp=int(time.time()) - 3600)
    elif case == "future":
        headers = signed(grant, body, timestamp=int(time.time()) + 3600)
    elif case == "missing":
        headers = {}
    elif case == "tampered":
        body = body.replace(b"open", b"shut")
    response = await client.post(grant.path, content=body, headers=headers)
    assert response.status_code == 401
    assert await findings_count(container) == 0
    # The grant was not consumed by the failed attempt: the genuine report still goes through.
    genuine = (shared_dir / "scans/nmap/nmap_multiple_port.xml").read_bytes()
    assert (await client.post(grant.path, content=genuine, headers=signed(grant, genuine))).status_code == 200


async def test_expired_grant_is_refused(client, container, grant):
    await container.database.db(Database.ORCHESTRATION)["webhook_grants"].update_one(
        {"job_id": grant.job_id}, {"$set": {"expires_at": grant.expires_at.replace(year=2000)}})
    body = b"<nmaprun></nmaprun>"
    response = await client.post(grant.path, content=body, headers=signed(grant, body))
    assert response.status_code == 401 and "expired" in response.json()["detail"]


async def test_unknown_job_is_refused(client, container):
    service = container.resolve(WebhookSecurityService)
    path = "/api/webhooks/scans/nope/report"
    sent = str(int(time.time()))
    body = b"{}"
    headers = {"X-CSPM-Timestamp": sent, "X-CSPM-Signature": signature(
        service.job_key("nope"), "POST", path, sent, hashlib.sha256(body).hexdigest())}
    assert (await client.post(path, content=body, headers=headers)).status_code == 401


@pytest.mark.parametrize("case", ["unsigned", "stale", "unknown-job", "used"])
async def test_unsigned_or_dead_delivery_is_refused_before_its_body_is_read(app, client, grant, shared_dir, case):
    path = grant.path
    headers = signed(grant, b"the body is never read")
    if case == "unsigned":
        headers = {}
    elif case == "stale":
        headers = signed(grant, b"", timestamp=int(time.time()) - 3600)
    elif case == "unknown-job":
        path = "/api/webhooks/scans/" + "0" * 32 + "/report"
    elif case == "used":
        report = (shared_dir / "scans/nmap/nmap_multiple_port.xml").read_bytes()
        assert (await client.post(grant.path, content=report, headers=signed(grant, report))).status_code == 200
    upload = CountingUpload(FIFTY_MB)
    status, _ = await post(app, path, upload, headers=headers, declare_length=False)
    assert status == 401
    assert upload.consumed == 0


async def test_a_refused_report_leaves_the_grant_for_the_good_one(client, container, grant, shared_dir):
    broken = b"<nmaprun><host>truncated"
    refused = await client.post(grant.path, content=broken, headers=signed(grant, broken))
    assert refused.status_code == 422, refused.text
    assert await findings_count(container) == 0
    good = (shared_dir / "scans/nmap/nmap_multiple_port.xml").read_bytes()
    accepted = await client.post(grant.path, content=good, headers=signed(grant, good))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["counts"]["new"] == await findings_count(container) > 0
    again = await client.post(grant.path, content=good, headers=signed(grant, good, timestamp=int(time.time()) + 1))
    assert again.status_code == 401 and "already used" in again.json()["detail"]


async def test_a_delivery_is_not_accepted_twice(client, container, grant):
    broken = b"<nmaprun><host>truncated"
    headers = signed(grant, broken)
    assert (await client.post(grant.path, content=broken, headers=headers)).status_code == 422
    replay = await client.post(grant.path, content=broken, headers=headers)
    assert replay.status_code == 401 and "replayed" in replay.json()["detail"]
    # the same body signed anew is a new delivery (and still refused for what it is)
    resigned = await client.post(grant.path, content=broken, headers=signed(grant, broken,
                                                                              timestamp=int(time.time()) + 1))
    assert resigned.status_code == 422


async def test_a_grant_is_held_while_a_report_is_ingested(client, container, grant, shared_dir):
    service = container.resolve(WebhookSecurityService)
    report = (shared_dir / "scans/nmap/nmap_multiple_port.xml").read_bytes()
    first = signed(grant, report)
    held = SignedHeaders(grant.job_id, first["X-CSPM-Timestamp"], first["X-CSPM-Signature"])
    digest = hashlib.sha256(report).hexdigest()
    with pytest.raises(RuntimeError):
        async with service.accept(held, method="POST", path=grant.path, body_sha256=digest):
            second = await client.post(grant.path, content=report,
                                       headers=signed(grant, report, timestamp=int(time.time()) + 1))
            assert second.status_code == 409 and "being ingested" in second.json()["detail"]
            raise RuntimeError("the first ingest fails")
    # the failed first delivery released the grant: a retry goes in
    retry = await client.post(grant.path, content=report, headers=signed(grant, report,
                                                                          timestamp=int(time.time()) + 2))
    assert retry.status_code == 200, retry.text
