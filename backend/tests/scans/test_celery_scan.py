"""A scan through the real Celery path: API process → Redis → `cspm worker` process → nmap → findings."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from cspm.core.container import ServiceContainer
from cspm.main import create_app
from tests.auth_helpers import AuthHelper
from tests.conftest import make_settings
from tests.core.test_jobs import run_worker, worker_environment  # noqa: F401 - fixture
from tests.scans.test_orchestration import http_service, wait_finished  # noqa: F401 - fixture and helper


@pytest.fixture
def scan_worker(worker_environment) -> Iterator[subprocess.Popen]:  # noqa: F811
    yield from run_worker(worker_environment, queues="network,container,web,cloud,maintenance", concurrency=2)


@pytest.fixture
async def celery_client(tmp_path, mongo_uri, worker_environment, scan_worker) -> AsyncIterator[tuple]:  # noqa: F811
    settings = make_settings(tmp_path, mongo_uri, celery_always_in_process=False,
                             redis_key_prefix=worker_environment["prefix"])
    container = ServiceContainer(settings, database_names=worker_environment["names"])
    app = create_app(container=container)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client, container, AuthHelper(container)


async def test_scan_runs_on_a_real_celery_worker(celery_client, http_service, worker_environment):  # noqa: F811
    client, container, auth = celery_client
    assert container.dispatcher.kind == "celery"
    analyst = await auth.user(role="analyst")
    target = (await client.post("/api/targets", headers=analyst.headers, json={
        "name": "loopback", "kind": "network", "value": "127.0.0.1", "options": {"ports": str(http_service)}})).json()
    run_id = (await client.post("/api/scans", headers=analyst.headers, json={"target_id": target["id"]})).json()[
        "run_id"]
    try:
        detail = await wait_finished(client, analyst, run_id, timeout=120)
    except AssertionError as error:
        log = worker_environment["log"].read_text(errors="replace")[-3000:]
        raise AssertionError(f"{error}\nworker log:\n{log}") from None
    assert detail["state"] == "succeeded", detail["error"]
    assert detail["sub_jobs"][0]["task_id"]
    findings = (await client.get("/api/findings", headers=analyst.headers, params={"tool": "nmap"})).json()["items"]
    assert any(item["resource"]["id"].endswith(f":{http_service}") for item in findings)
