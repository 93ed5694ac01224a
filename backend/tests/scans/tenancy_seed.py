"""Team data for the cross-team probe: targets, a finished scan run with jobs, and an SBOM."""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.scans.test_orchestration import wait_finished


async def seed(client, session) -> None:
    directory = Path(tempfile.mkdtemp(prefix="tenancy-seed-"))
    (directory / "requirements.txt").write_text("requests==2.19.0\n")
    target = await client.post("/api/targets", headers=session.headers, json={
        "name": "seed repo", "kind": "repository", "value": str(directory), "tools": ["syft"],
        "schedule": {"cron": "0 4 * * 1", "timezone": "UTC"}})
    assert target.status_code == 201, target.text
    run = await client.post("/api/scans", headers=session.headers, json={"target_id": target.json()["id"]})
    assert run.status_code == 202, run.text
    # Finished before the probe starts, so nothing changes the team's data while it runs.
    await wait_finished(client, session, run.json()["run_id"], timeout=120)
