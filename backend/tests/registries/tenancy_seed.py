"""Team data for the cross-team probe: a registry synced from a real local registry, its images and scans."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from tempfile import TemporaryDirectory

from tests.registries.conftest import LocalRegistry, _start, app_files

SEED_PORT = 18312
WAIT_SECONDS = 120


async def seed(client, session) -> None:
    with TemporaryDirectory(prefix="registry-seed-") as work:
        process = _start(Path(work), SEED_PORT, False)
        try:
            local = LocalRegistry(f"http://127.0.0.1:{SEED_PORT}", f"127.0.0.1:{SEED_PORT}", Path(work))
            local.push("seed/app", "1", app_files("2.0.0"))
            created = await client.post("/api/registries", headers=session.headers,
                                        json={"kind": "oci", "name": "seed", "url": local.url})
            assert created.status_code == 201, created.text
            registry_id = created.json()["id"]
            queued = await client.post(f"/api/registries/{registry_id}/sync", headers=session.headers)
            assert queued.status_code == 202, queued.text
            deadline = time.monotonic() + WAIT_SECONDS
            while time.monotonic() < deadline:  # synced, and the image's scan finished (nothing changes later)
                images = (await client.get(f"/api/registries/{registry_id}/images", headers=session.headers)).json()
                states = [image["scan"]["state"] for image in images["items"]]
                if states and all(state not in ("not_scanned", "queued", "running") for state in states):
                    return
                await asyncio.sleep(0.5)
            raise AssertionError(f"registry seed did not sync and scan in {WAIT_SECONDS} s")
        finally:
            process.terminate()
            process.wait(timeout=10)
