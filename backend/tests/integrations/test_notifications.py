"""A critical finding's notification reaches Slack, Teams, a signed webhook and e-mail, routed by rules.

Slack and Teams are local stand-ins (tests/integrations/standins.py); the webhook receiver verifies the
signature with its own code; the mail goes through a real aiosmtpd relay with STARTTLS.
"""

from __future__ import annotations

import asyncio
import hashlib
import json

from cspm.webhooks.service import signature
from tests.integrations.helpers import WEBHOOK_SECRET, create, deliveries, import_critical, route
from tests.integrations.smtp_server import PASSWORD, USER, SmtpRelay
from tests.integrations.standins import SignedWebhookReceiver, SlackStandIn, TeamsStandIn


async def settle(container) -> None:
    await asyncio.to_thread(container.dispatcher.wait_idle, 60)


async def test_critical_finding_reaches_slack_and_a_signed_webhook(client, auth, container):
    analyst = await auth.user(role="analyst")
    with SlackStandIn() as slack, SignedWebhookReceiver(WEBHOOK_SECRET) as receiver:
        hook = await create(client, analyst, "slack sec", {"kind": "slack",
                                                           "webhook_url": f"{slack.base_url}/services/T0/B0/x"})
        webhook = await create(client, analyst, "soar", {"kind": "webhook", "signing_secret": WEBHOOK_SECRET,
                                                         "url": f"{receiver.base_url}/cspm/events?x=1"})
        await route(client, analyst, [hook["id"], webhook["id"]])
        await import_critical(client, analyst)
        await settle(container)
        assert len(slack.posts()) == 1 and len(receiver.verified) == 1, (slack.received, receiver.received)

    message = json.loads(slack.posts()[0]["body"])
    assert message["text"].startswith("[CRITICAL]") and "CVE-2023-37920" in json.dumps(message)
    assert [block["type"] for block in message["blocks"]][:2] == ["header", "section"]
    event = receiver.verified[0]
    assert event["event"] == "finding.new" and event["severity"] == "critical" and event["team_id"] == analyst.team_id
    assert event["facts"]["CVE"] == "CVE-2023-37920"
    # The signature is the scheme the platform's own inbound webhooks verify.
    request = receiver.posts()[0]
    headers = {name.lower(): value for name, value in request["headers"].items()}
    assert headers["x-cspm-signature"] == signature(WEBHOOK_SECRET, "POST", "/cspm/events", headers["x-cspm-timestamp"],
                                                    hashlib.sha256(request["body"]).hexdigest())
    assert headers["x-cspm-event"] == "finding.new" and headers["x-cspm-delivery"] == event["id"]
    log = await deliveries(client, analyst)
    assert {item["state"] for item in log} == {"delivered"} and len(log) == 2
    assert all(item["attempts"] == 1 and item["history"][0]["ok"] for item in log)
    # The LOW finding of the same report matched no rule (min_severity high).
    assert all(item["severity"] == "critical" for item in log)
    # Re-importing the same report announces nothing again.
    await import_critical(client, analyst)
    await settle(container)
    assert len(await deliveries(client, analyst)) == 2


async def test_teams_card_and_email_with_starttls(client, auth, container):
    analyst = await auth.user(role="analyst")
    with TeamsStandIn() as teams, SmtpRelay() as relay:
        card = await create(client, analyst, "teams sec", {
            "kind": "teams", "webhook_url": f"{teams.base_url}/workflows/abc/triggers/manual"})
        mail = await create(client, analyst, "mail sec", {
            "kind": "email", "host": "127.0.0.1", "port": relay.port, "from_address": "cspm@example.com",
            "to_addresses": ["secops@example.com", "lead@example.com"], "username": USER, "password": PASSWORD,
            "ca_certificate_pem": relay.ca_pem})
        assert "password" not in json.dumps(mail["settings"]) and mail["secrets_set"] == ["password"]
        await route(client, analyst, [card["id"], mail["id"]], min_severity="critical")
        await import_critical(client, analyst)
        await settle(container)
        posted = teams.posts()
        assert len(posted) == 1 and len(relay.mailbox.messages) == 1, (await deliveries(client, analyst))
        checked = await client.post(f"/api/integrations/{mail['id']}/check", headers=analyst.headers)
    content = json.loads(posted[0]["body"])["attachments"][0]["content"]
    assert content["type"] == "AdaptiveCard" and content["body"][0]["text"].startswith("[CRITICAL]")
    message = relay.mailbox.messages[0]
    assert message["Subject"].startswith("[CSPM] [CRITICAL]") and "CVE-2023-37920" in message.get_payload()
    envelope = relay.mailbox.envelopes[0]
    assert envelope["tls"] is True and envelope["to"] == ["secops@example.com", "lead@example.com"]
    assert checked.status_code == 200 and checked.json()["ok"] is True, checked.text
    assert checked.json()["status"]["latency_ms"] > 0


async def test_email_refuses_a_relay_without_starttls_and_wrong_password(client, auth, container):
    analyst = await auth.user(role="analyst")
    with SmtpRelay(starttls=False) as plain:
        mail = await create(client, analyst, "plain relay", {
            "kind": "email", "host": "127.0.0.1", "port": plain.port, "from_address": "cspm@example.com",
            "to_addresses": ["secops@example.com"]})
        checked = (await client.post(f"/api/integrations/{mail['id']}/check", headers=analyst.headers)).json()
    assert checked["ok"] is False and "STARTTLS" in checked["status"]["last_error"]
    assert plain.mailbox.messages == []
    with SmtpRelay() as relay:
        wrong = await create(client, analyst, "wrong password", {
            "kind": "email", "host": "127.0.0.1", "port": relay.port, "from_address": "cspm@example.com",
            "to_addresses": ["secops@example.com"], "username": USER, "password": "not-the-password",
            "ca_certificate_pem": relay.ca_pem})
        untrusted = await create(client, analyst, "untrusted cert", {
            "kind": "email", "host": "127.0.0.1", "port": relay.port, "from_address": "cspm@example.com",
            "to_addresses": ["secops@example.com"], "username": USER, "password": PASSWORD})
        refused = (await client.post(f"/api/integrations/{wrong['id']}/check", headers=analyst.headers)).json()
        unverified = (await client.post(f"/api/integrations/{untrusted['id']}/check", headers=analyst.headers)).json()
    assert refused["ok"] is False and "authentication refused" in refused["status"]["last_error"]
    assert "not-the-password" not in json.dumps(refused)
    assert unverified["ok"] is False and "CERTIFICATE_VERIFY_FAILED" in unverified["status"]["last_error"]


async def test_rules_filter_by_severity_tool_and_target(client, auth, container):
    analyst = await auth.user(role="analyst")
    with SlackStandIn() as slack:
        hook = await create(client, analyst, "slack", {"kind": "slack", "webhook_url": f"{slack.base_url}/services/x"})
        await route(client, analyst, [hook["id"]], name="nmap only", tools=["nmap"])
        await route(client, analyst, [hook["id"]], name="other target", target_contains="no-such-image")
        await import_critical(client, analyst)
        await settle(container)
        assert slack.posts() == [] and await deliveries(client, analyst) == []
        await route(client, analyst, [hook["id"]], name="trivy lows", tools=["trivy"], min_severity="low")
        # The findings are no longer new: a rule added later does not announce the past.
        await import_critical(client, analyst)
        await settle(container)
    assert slack.posts() == []
