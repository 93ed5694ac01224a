"""Team data for the cross-team probe: integrations of each kind, a rule, deliveries, a wizard session, a ticket."""

from __future__ import annotations

from tests.integrations.helpers import WEBHOOK_SECRET, create, import_critical, route
from tests.integrations.standins import JiraStandIn


async def seed(client, session) -> None:
    # Nothing listens on port 9: the deliveries stay queued (with an error) in team A's log.
    webhook = await create(client, session, "seed webhook", {"kind": "webhook", "url": "http://127.0.0.1:9/hook",
                                                             "signing_secret": WEBHOOK_SECRET})
    slack = await create(client, session, "seed slack", {"kind": "slack", "webhook_url": "http://127.0.0.1:9/s"})
    await route(client, session, [webhook["id"], slack["id"]], name="seed rule")
    wizard = await client.post("/api/integrations/wizard", headers=session.headers, json={"kind": "teams",
                                                                                        "name": "seed wizard"})
    assert wizard.status_code == 201, wizard.text
    with JiraStandIn() as jira:
        tickets = await create(client, session, "seed jira", {
            "kind": "jira", "base_url": jira.base_url, "project_key": "SEC", "email": "bot@example.com",
            "api_token": "jira-token"})
        await import_critical(client, session)
        findings = (await client.get("/api/findings", headers=session.headers)).json()["items"]
        ticket = await client.post(f"/api/integrations/{tickets['id']}/tickets", headers=session.headers,
                                   json={"finding_id": findings[0]["id"]})
        assert ticket.status_code == 201, ticket.text
