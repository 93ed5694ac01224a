"""Team data for the cross-team probe: an uploaded runbook (its chunks are team data) and a re-index run."""

from __future__ import annotations

RUNBOOK = b"# Seed runbook\n\nIsolate the host, then collect memory before rebooting it.\n"


async def seed(client, session) -> None:
    uploaded = await client.post("/api/knowledge/documents", headers=session.headers,
                                 files={"file": ("seed.md", RUNBOOK, "text/markdown")})
    assert uploaded.status_code == 201, uploaded.text
    found = (await client.get("/api/knowledge/search", headers=session.headers,
                              params={"q": "isolate host collect memory"})).json()
    assert found["results"][0]["source"] == "doc", found
