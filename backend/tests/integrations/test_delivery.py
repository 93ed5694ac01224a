"""The outbox: retries with exponential backoff, the dead-letter list, nothing lost while a receiver is down.

Time is passed to the service (``now``) instead of slept through: the backoff is asserted on the
stored schedule, so the tests do not depend on the machine's speed.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId

from cspm.core.database.registry import Database
from cspm.integrations.delivery import DeliveryService
from tests.integrations.helpers import WEBHOOK_SECRET, create, deliveries, import_critical, route
from tests.integrations.standins import PORTS, SignedWebhookReceiver, SlackStandIn

BASE = 3600.0  # the first retry an hour later: the in-process worker never retries during a test by itself


@pytest.fixture(autouse=True)
def slow_backoff(monkeypatch):
    monkeypatch.setenv("INTEGRATIONS_RETRY_BASE_SECONDS", str(BASE))
    monkeypatch.setenv("INTEGRATIONS_DELIVERY_MAX_ATTEMPTS", "4")


async def settle(container) -> None:
    await asyncio.to_thread(container.dispatcher.wait_idle, 60)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def stored(container, delivery_id: str) -> dict:
    return await container.database.db(Database.INTEGRATIONS)["deliveries"].find_one({"_id": ObjectId(delivery_id)})


async def one_webhook_delivery(client, auth, container, receiver) -> tuple[object, DeliveryService, dict]:
    analyst = await auth.user(role="analyst")
    webhook = await create(client, analyst, "soar", {"kind": "webhook", "url": f"{receiver.base_url}/hook",
                                                     "signing_secret": WEBHOOK_SECRET})
    await route(client, analyst, [webhook["id"]])
    await import_critical(client, analyst)
    await settle(container)
    [delivery] = await deliveries(client, analyst)
    return analyst, container.resolve(DeliveryService), delivery


async def test_receiver_failing_twice_then_succeeding_is_retried_with_exponential_backoff(client, auth, container):
    with SignedWebhookReceiver(WEBHOOK_SECRET) as receiver:
        receiver.fail_next = 2
        analyst, service, delivery = await one_webhook_delivery(client, auth, container, receiver)
        assert delivery["state"] == "queued" and delivery["attempts"] == 1
        assert "HTTP 503" in delivery["last_error"]
        first = await stored(container, delivery["id"])
        first_due = _aware(first["next_attempt_at"])
        # Not due yet: the sweep leaves it alone.
        assert await service.deliver_due(now=first_due - timedelta(seconds=1)) == 0
        assert await service.deliver_due(now=first_due) == 1
        second = await stored(container, delivery["id"])
        assert second["attempts"] == 2 and second["state"] == "queued"
        assert (_aware(second["next_attempt_at"]) - first_due).total_seconds() == pytest.approx(2 * BASE)
        assert await service.deliver_due(now=_aware(second["next_attempt_at"])) == 1
    [final] = await deliveries(client, analyst)
    assert final["state"] == "delivered" and final["attempts"] == 3
    assert [attempt["ok"] for attempt in final["history"]] == [False, False, True]
    assert [attempt["status_code"] for attempt in final["history"]] == [503, 503, 204]
    assert len(receiver.verified) == 1  # the failed attempts were answered before the receiver took them
    status = (await client.get(f"/api/integrations/{final['integration_id']}", headers=analyst.headers)).json()
    assert status["status"]["state"] == "ok" and status["status"]["last_error"] is not None


async def test_receiver_down_keeps_the_delivery_then_dead_letters_it_after_n_attempts(client, auth, container):
    port = next(p for p in reversed(PORTS))  # nothing listens there yet: connection refused
    analyst = await auth.user(role="analyst")
    webhook = await create(client, analyst, "down", {"kind": "webhook", "url": f"http://127.0.0.1:{port}/hook",
                                                     "signing_secret": WEBHOOK_SECRET})
    await route(client, analyst, [webhook["id"]])
    await import_critical(client, analyst)
    await settle(container)
    service = container.resolve(DeliveryService)
    [delivery] = await deliveries(client, analyst)
    assert delivery["state"] == "queued" and "ConnectError" in delivery["last_error"]
    moment = datetime.now(UTC)
    for _ in range(3):  # attempts 2, 3 and 4 (the configured maximum)
        moment += timedelta(days=1)
        assert await service.deliver_due(now=moment) == 1
    [dead] = await deliveries(client, analyst, state="dead_letter")
    assert dead["attempts"] == 4 and dead["next_attempt_at"] is None
    assert await service.deliver_due(now=moment + timedelta(days=30)) == 0  # the sweep no longer sends it
    # The receiver comes back: sent again from the dead-letter list, it arrives, once.
    with SignedWebhookReceiver(WEBHOOK_SECRET, port=port) as receiver:
        again = await client.post(f"/api/integrations/deliveries/{dead['id']}/redeliver", headers=analyst.headers)
        assert again.status_code == 200, again.text
        await settle(container)
        assert len(receiver.verified) == 1 and receiver.verified[0]["id"] == dead["id"]
    [delivered] = await deliveries(client, analyst)
    assert delivered["state"] == "delivered"
    twice = await client.post(f"/api/integrations/deliveries/{dead['id']}/redeliver", headers=analyst.headers)
    assert twice.status_code == 409


async def test_a_worker_dying_mid_attempt_leaves_the_delivery_to_the_sweep(client, auth, container):
    with SignedWebhookReceiver(WEBHOOK_SECRET) as receiver:
        receiver.fail_next = 1
        analyst, service, delivery = await one_webhook_delivery(client, auth, container, receiver)
        collection = container.database.db(Database.INTEGRATIONS)["deliveries"]
        now = datetime.now(UTC)
        # As a worker killed after claiming it would leave it: delivering, with a lease running.
        await collection.update_one({"_id": ObjectId(delivery["id"])}, {"$set": {
            "state": "delivering", "lease_until": now + timedelta(minutes=2), "next_attempt_at": None}})
        assert await service.deliver_due(now=now) == 0  # the lease still runs: another worker may be at it
        assert await service.deliver_due(now=now + timedelta(minutes=3)) == 1
    [final] = await deliveries(client, analyst)
    assert final["state"] == "delivered" and len(receiver.verified) == 1


async def test_a_revoked_slack_hook_goes_to_the_dead_letter_list_at_once(client, auth, container):
    with SlackStandIn() as slack:
        slack.fail_next, slack.fail_status = 1, 404  # Slack's "no_service": the hook was removed
        analyst = await auth.user(role="analyst")
        hook = await create(client, analyst, "revoked", {"kind": "slack",
                                                         "webhook_url": f"{slack.base_url}/services/x"})
        await route(client, analyst, [hook["id"]])
        await import_critical(client, analyst)
        await settle(container)
    [dead] = await deliveries(client, analyst, state="dead_letter")
    assert dead["attempts"] == 1 and "HTTP 404" in dead["last_error"]


@pytest.mark.parametrize("config, rule", [
    ({"kind": "webhook", "url": "http://169.254.169.254/latest/meta-data/", "signing_secret": WEBHOOK_SECRET},
     "cloud-metadata"),
    ({"kind": "webhook", "url": "http://[::ffff:169.254.169.254]/x", "signing_secret": WEBHOOK_SECRET},
     "cloud-metadata"),
    ({"kind": "slack", "webhook_url": "http://metadata.google.internal/computeMetadata/v1/"}, "cloud-metadata"),
    ({"kind": "teams", "webhook_url": "http://127.0.0.2:8080/x"}, "loopback"),
    ({"kind": "jira", "base_url": "http://10.0.0.5", "project_key": "SEC", "email": "a@example.com",
      "api_token": "t"}, "private"),
    ({"kind": "email", "host": "169.254.169.254", "port": 25, "from_address": "a@example.com",
      "to_addresses": ["b@example.com"]}, "cloud-metadata"),
])
async def test_destinations_the_policy_refuses_are_refused_with_the_rule(client, auth, config, rule):
    analyst = await auth.user(role="analyst")
    response = await client.post("/api/integrations", headers=analyst.headers, json={"name": "ssrf", "config": config})
    assert response.status_code == 400, response.text
    assert f"refused by rule {rule}" in response.json()["detail"]
    assert (await client.get("/api/integrations", headers=analyst.headers)).json() == []


async def test_secrets_are_encrypted_and_never_returned_or_logged(client, auth, container, caplog):
    caplog.set_level(logging.DEBUG)
    hook_secret = "https://127.0.0.1:1/services/T000/B000/XXXXSECRETXXXX"
    analyst = await auth.user(role="analyst")
    created = await create(client, analyst, "hook", {"kind": "slack", "webhook_url": hook_secret})
    assert created["secrets_set"] == ["webhook_url"] and created["settings"] == {"kind": "slack", "host": "127.0.0.1"}
    listed = await client.get("/api/integrations", headers=analyst.headers)
    raw = await container.database.db(Database.INTEGRATIONS)["integrations"].find_one({"_id": ObjectId(created["id"])})
    assert "XXXXSECRETXXXX" not in json.dumps(raw, default=str)
    assert "XXXXSECRETXXXX" not in listed.text + json.dumps(created)
    bad = await client.post("/api/integrations", headers=analyst.headers, json={"name": "short", "config": {
        "kind": "webhook", "url": "http://127.0.0.1:9/x", "signing_secret": "tooshort-SECRET"}})
    assert bad.status_code == 422 and "tooshort-SECRET" not in bad.text
    checked = await client.post(f"/api/integrations/{created['id']}/check", headers=analyst.headers)
    assert checked.status_code == 200 and "XXXXSECRETXXXX" not in checked.text
    audit = await client.get("/api/audit", headers=analyst.headers)
    assert "XXXXSECRETXXXX" not in audit.text + caplog.text


async def test_bad_input_is_a_4xx_with_a_reason(client, auth):
    analyst = await auth.user(role="analyst")
    viewer = await auth.user(role="viewer", team=analyst)
    cases = [
        ({"name": "x", "config": {"kind": "slack", "webhook_url": "http://127.0.0.1:1/x"}}, 422),
        ({"name": "pager", "config": {"kind": "pagerduty"}}, 422),
        ({"name": "mail", "config": {"kind": "email", "host": "127.0.0.1", "from_address": "not-an-address",
                                     "to_addresses": ["b@example.com"]}}, 422),
        ({"name": "jira", "config": {"kind": "jira", "base_url": "http://127.0.0.1:1", "project_key": "sec",
                                     "api_token": "t"}}, 422),
        ({"name": "jira", "config": {"kind": "jira", "base_url": "http://127.0.0.1:1", "project_key": "SEC",
                                     "api_token": "t"}}, 400),  # Cloud without the account e-mail
    ]
    for body, expected in cases:
        response = await client.post("/api/integrations", headers=analyst.headers, json=body)
        assert response.status_code == expected, (body, response.text)
        assert response.json()["detail"]
    hook = await create(client, analyst, "hook", {"kind": "slack", "webhook_url": "http://127.0.0.1:1/x"})
    duplicate = await client.post("/api/integrations", headers=analyst.headers, json={
        "name": "hook", "config": {"kind": "slack", "webhook_url": "http://127.0.0.1:1/y"}})
    assert duplicate.status_code == 409
    unknown_rule = await client.post("/api/integrations/rules", headers=analyst.headers, json={
        "name": "rule", "integration_ids": ["0" * 24], "event_types": ["finding.new"]})
    assert unknown_rule.status_code == 400 and "does not have" in unknown_rule.json()["detail"]
    assert (await client.post("/api/integrations/rules", headers=analyst.headers, json={
        "name": "rule", "integration_ids": [hook["id"]], "event_types": ["everything"]})).status_code == 422
    await route(client, analyst, [hook["id"]])
    in_use = await client.delete(f"/api/integrations/{hook['id']}", headers=analyst.headers)
    assert in_use.status_code == 409 and "routing rule" in in_use.json()["detail"]
    assert (await client.post("/api/integrations", headers=viewer.headers, json={
        "name": "v", "config": {"kind": "slack", "webhook_url": "http://127.0.0.1:1/x"}})).status_code == 403
    assert (await client.get("/api/integrations/not-an-id", headers=analyst.headers)).status_code == 404
