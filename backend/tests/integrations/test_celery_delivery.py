"""Deliveries through the real Celery path: API process → Redis → `cspm worker` process → receiver.

The receiver fails twice and then takes the notification; the worker's retry sweep
(``integrations.deliver_due``, sent here as beat would send it) retries it with the backoff.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from cspm.core.container import ServiceContainer
from cspm.main import create_app
from tests.auth_helpers import AuthHelper
from tests.conftest import make_settings
from tests.core.test_jobs import run_worker, worker_environment  # noqa: F401 - fixture
from tests.integrations.helpers import WEBHOOK_SECRET, create, deliveries, import_critical, route
from tests.integrations.standins import PORTS, SignedWebhookReceiver

pytestmark = pytest.mark.slow
RETRY_BASE = 1.0
# The API encrypts the integration's secrets; the worker must decrypt them: one key for both processes.
FERNET_KEY = Fernet.generate_key().decode()


def _port_in_range() -> int:
    for port in reversed(PORTS):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port in 18400-18499")


@pytest.fixture
def integrations_worker(worker_environment) -> Iterator[subprocess.Popen]:  # noqa: F811
    worker_environment["env"].update({"INTEGRATIONS_RETRY_BASE_SECONDS": str(RETRY_BASE),
                                      "INTEGRATIONS_DELIVERY_MAX_ATTEMPTS": "5",
                                      "WORKER_METRICS_PORT": str(_port_in_range()), "FERNET_KEYS": FERNET_KEY})
    yield from run_worker(worker_environment, queues="default,maintenance", concurrency=1)


@pytest.fixture
async def celery_client(tmp_path, mongo_uri, worker_environment, integrations_worker,  # noqa: F811
                        ) -> AsyncIterator[tuple]:
    settings = make_settings(tmp_path, mongo_uri, celery_always_in_process=False,
                             redis_key_prefix=worker_environment["prefix"], fernet_keys=[SecretStr(FERNET_KEY)])
    container = ServiceContainer(settings, database_names=worker_environment["names"])
    app = create_app(container=container)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            yield client, container, AuthHelper(container)


async def test_a_delivery_is_retried_by_the_celery_worker_until_the_receiver_takes_it(celery_client,
                                                                                      worker_environment):  # noqa: F811
    client, container, auth = celery_client
    assert container.dispatcher.kind == "celery"
    analyst = await auth.user(role="analyst")
    with SignedWebhookReceiver(WEBHOOK_SECRET) as receiver:
        receiver.fail_next = 2
        webhook = await create(client, analyst, "soar", {"kind": "webhook", "url": f"{receiver.base_url}/hook",
                                                         "signing_secret": WEBHOOK_SECRET})
        await route(client, analyst, [webhook["id"]])
        await import_critical(client, analyst)
        deadline = time.monotonic() + 90
        log: list[dict] = []
        while time.monotonic() < deadline:
            log = await deliveries(client, analyst)
            if log and log[0]["state"] == "delivered":
                break
            await container.dispatcher.send("integrations.deliver_due", {})  # what beat sends every 30 s
            await asyncio.sleep(1.0)
        else:
            tail = worker_environment["log"].read_text(errors="replace")[-3000:]
            raise AssertionError(f"not delivered in 90 s: {log}\nworker log:\n{tail}")
    [delivery] = log
    assert [attempt["status_code"] for attempt in delivery["history"]] == [503, 503, 204]
    moments = [datetime.fromisoformat(attempt["started_at"]).astimezone(UTC) for attempt in delivery["history"]]
    # Exponential backoff: at least 1 s, then at least 2 s between attempts.
    assert (moments[1] - moments[0]).total_seconds() >= RETRY_BASE
    assert (moments[2] - moments[1]).total_seconds() >= 2 * RETRY_BASE
    assert len(receiver.verified) == 1 and receiver.verified[0]["id"] == delivery["id"]
