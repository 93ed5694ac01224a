"""Jobs that the foundation tests send to real workers (loaded through EXTRA_JOB_MODULES)."""

from __future__ import annotations

import asyncio
import os
import threading
from typing import Any

from cspm.core.database.registry import Database
from cspm.core.jobs import job

PROBE_COLLECTION = "worker_probe"


@job("tests.worker_probe", queue="default", time_limit_seconds=60)
async def worker_probe(container: Any, *, marker: str) -> dict[str, Any]:
    """Writes one document through the container's database accessor and says who wrote it."""
    loop = asyncio.get_running_loop()
    manager = container.database
    client = manager.client()
    # The accessor must hand out the client owned by the running loop, and keep handing out that one.
    assert manager.client() is client
    assert manager._clients.get(loop) is client
    await manager.db(Database.PLATFORM)[PROBE_COLLECTION].insert_one({
        "marker": marker,
        "pid": os.getpid(),
        "thread": threading.current_thread().name,
        "loop_id": id(loop),
        "client_id": id(client),
        "kv_backend": container.kv.backend,
    })
    # The key-value store must work from this loop too (a Redis pool is bound to the loop that opened it).
    await container.kv.set(f"probe:{marker}", "1", ttl_seconds=60)
    return {"marker": marker, "pid": os.getpid()}


@job("tests.always_fails", queue="default", time_limit_seconds=30, max_retries=0)
async def always_fails(container: Any, *, marker: str) -> None:
    """Fails, so failure metrics can be checked."""
    raise ValueError(f"probe failure {marker}")
