"""Health endpoints with every dependency up, with Redis on a closed port, with Redis or MongoDB dying."""

from __future__ import annotations

import asyncio
import re
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from cspm.api import ROUTE_MODULES
from cspm.core.container import ServiceContainer
from cspm.core.database.embedded import MongoEcoServer
from cspm.core.settings import CoreSettings, EmbeddedEngine
from cspm.main import create_app
from tests.conftest import make_settings, unique_database_names

HEALTH_ONLY = [module for module in ROUTE_MODULES if module.name == "health"]
CLOSED_REDIS = "redis://127.0.0.1:1/15"
INSTALLED_TOOLS = ("nmap", "trivy", "syft", "sslyze")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def serving(settings: CoreSettings) -> AsyncIterator[tuple[httpx.AsyncClient, ServiceContainer]]:
    container = ServiceContainer(settings, database_names=unique_database_names())
    application = create_app(container=container, modules=HEALTH_ONLY)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http, container


# --- everything up ----------------------------------------------------------------------------------
async def test_liveness(client):
    response = await client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readiness_with_redis_up(client):
    response = await client.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["ready"] is True
    assert body["status"] == "ready"
    assert body["checks"]["mongodb"]["ok"] is True
    assert body["checks"]["mongodb"]["latency_ms"] >= 0
    assert body["checks"]["redis"]["ok"] is True
    assert body["checks"]["redis"]["backend"] == "redis"


async def test_status_lists_components_and_tool_versions(settings):
    async with serving(settings) as (http, _):
        response = await http.get("/health/status")
    assert response.status_code == 200
    body = response.json()
    tools = {tool["name"]: tool for tool in body["tools"]}
    for name in INSTALLED_TOOLS:
        assert tools[name]["found"] is True, f"{name}: {tools[name]['error']}"
        assert re.fullmatch(r"\d+\.\d+(\.\d+)?", tools[name]["version"]), tools[name]
        assert Path(tools[name]["path"]).is_file()
    # The version is the binary's own answer.
    nmap_version = subprocess.run(["nmap", "--version"], capture_output=True, text=True, check=True).stdout
    assert tools["nmap"]["version"] in nmap_version
    components = {component["component"]: component for component in body["components"]}
    for component in ("session_storage", "cache", "rate_limits"):
        assert (components[component]["state"], components[component]["mode"]) == ("optimal", "redis")
    assert (components["database"]["state"], components["database"]["mode"]) == ("optimal", "mongodb")
    assert components["tool:nmap"]["state"] == "optimal"
    assert components["tool:nmap"]["mode"] == f"local {tools['nmap']['version']} at {tools['nmap']['path']}"
    missing = [name for name, tool in tools.items() if not tool["found"]]
    for name in missing:  # absent tools are degraded modes, with the impact in words
        assert components[f"tool:{name}"]["state"] == "degraded"
        assert "unavailable" in components[f"tool:{name}"]["impact"]
    assert body["status"] == ("degraded" if missing else "optimal")
    assert body["checks"]["redis"]["ok"] is True
    assert body["uptime_seconds"] >= 0


async def test_counters_report_active_sessions(client, container):
    for session in ("a", "b", "c"):
        await container.kv.set(f"session:{session}", "user", ttl_seconds=60)
    await container.kv.set("cache:x", "1", ttl_seconds=60)
    body = (await client.get("/health/metrics")).json()
    assert body["active_sessions"] == 3
    assert "session_storage" not in body["degraded_components"]
    metrics = (await client.get("/metrics")).text
    assert re.search(r"^cspm_active_sessions 3\.0$", metrics, re.M)


# --- Redis on a closed port: the in-memory fallback ----------------------------------------------------
async def test_redis_on_a_closed_port_is_reported_as_a_degraded_fallback(tmp_path, mongo_uri):
    settings = make_settings(tmp_path, mongo_uri, redis_url=SecretStr(CLOSED_REDIS))
    async with serving(settings) as (http, container):
        assert container.kv.backend == "memory"
        assert (await http.get("/api/health")).status_code == 200

        ready = await http.get("/health/ready")
        assert ready.status_code == 200, "development keeps serving on the fallback"
        body = ready.json()
        assert body["status"] == "degraded"
        redis = body["checks"]["redis"]
        assert redis["ok"] is False
        assert redis["backend"] == "memory"
        assert redis["critical"] is False
        assert "in-memory fallback" in redis["degraded"]
        assert "connect" in redis["error"].lower() or "refused" in redis["error"].lower()
        assert body["checks"]["mongodb"]["ok"] is True

        status = (await http.get("/health/status")).json()
        components = {component["component"]: component for component in status["components"]}
        for component in ("session_storage", "cache", "rate_limits"):
            assert components[component]["state"] == "degraded"
            assert components[component]["mode"] == "memory"
            assert "lost on restart" in components[component]["impact"]
        assert status["status"] == "degraded"

        await container.kv.set("session:one", "u", ttl_seconds=60)
        counters = (await http.get("/health/metrics")).json()
        assert counters["active_sessions"] == 1
        assert {"session_storage", "cache", "rate_limits"} <= set(counters["degraded_components"])

        # The fallback does its job: the in-process worker instead of Celery.
        assert container.dispatcher.kind == "in-process"
        assert container.integrity.get("task_queue").state == "degraded"


async def test_redis_fallback_in_production_is_not_ready(tmp_path, mongo_uri):
    settings = make_settings(tmp_path, mongo_uri, redis_url=SecretStr(CLOSED_REDIS), environment="production")
    async with serving(settings) as (http, _):
        response = await http.get("/health/ready")
        assert response.status_code == 503
        assert response.json()["status"] == "not_ready"
        assert response.json()["checks"]["redis"]["critical"] is True
        assert (await http.get("/api/health")).status_code == 200  # alive, just not ready


@pytest.fixture
def private_redis(tmp_path) -> str:
    """A Redis of this test's own, so it can be stopped while the app uses it."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server not installed (Debian package redis-server)")
    port = _free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(tmp_path)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0", process
    process.kill()
    process.wait()


async def test_redis_going_down_after_start_makes_readiness_503(tmp_path, mongo_uri, private_redis):
    url, process = private_redis
    settings = make_settings(tmp_path, mongo_uri, redis_url=SecretStr(url))
    async with serving(settings) as (http, container):
        assert container.kv.backend == "redis"
        assert (await http.get("/health/ready")).status_code == 200
        process.kill()
        process.wait()
        response = await http.get("/health/ready")
        assert response.status_code == 503
        body = response.json()
        assert body["checks"]["redis"]["ok"] is False
        assert body["checks"]["redis"]["backend"] == "redis"
        assert body["checks"]["mongodb"]["ok"] is True
        assert (await http.get("/api/health")).status_code == 200


# --- MongoDB going down ----------------------------------------------------------------------------------
async def test_mongodb_down_makes_readiness_503(tmp_path):
    server = MongoEcoServer(EmbeddedEngine.MEMORY, tmp_path)
    uri = server.start()
    try:
        settings = make_settings(tmp_path, uri, mongodb_timeout_ms=2000)  # a real server's short wait
        async with serving(settings) as (http, _):
            assert (await http.get("/health/ready")).status_code == 200
            server.stop()
            response = await http.get("/health/ready")
            assert response.status_code == 503
            body = response.json()
            assert body["ready"] is False
            assert body["checks"]["mongodb"]["ok"] is False
            assert body["checks"]["mongodb"]["error"]
            assert body["checks"]["redis"]["ok"] is True
            status = (await http.get("/health/status")).json()
            assert status["status"] == "down"
            assert (await http.get("/api/health")).status_code == 200
    finally:
        server.stop()


async def test_embedded_database_is_reported_degraded_with_its_impact(tmp_path):
    settings = make_settings(tmp_path, None, embedded_engine=EmbeddedEngine.MEMORY)
    async with serving(settings) as (http, container):
        assert container.embedded_server is not None
        ready = await http.get("/health/ready")
        assert ready.status_code == 200
        status = (await http.get("/health/status")).json()
        database = next(c for c in status["components"] if c["component"] == "database")
        assert database["state"] == "degraded"
        assert database["mode"] == "embedded (memory)"
        assert "MONGODB_URI" in database["impact"]
        metrics = (await http.get("/metrics")).text
        assert re.search(r'^cspm_component_up\{component="database"\} 0\.5$', metrics, re.M)
    assert container.embedded_server is None, "stopping the app stops its embedded server"


async def test_in_process_worker_does_not_overwrite_component_gauges(tmp_path):
    """The in-process worker's own container must not report the embedded database as optimal."""
    from tests.core import worker_jobs

    settings = make_settings(tmp_path, None, embedded_engine=EmbeddedEngine.MEMORY,
                             redis_url=SecretStr(CLOSED_REDIS))
    async with serving(settings) as (http, container):
        marker = uuid.uuid4().hex
        await container.dispatcher.send("tests.worker_probe", {"marker": marker})
        await asyncio.to_thread(container.dispatcher.wait_idle, 30)
        probe = container.database.db("PLATFORM")[worker_jobs.PROBE_COLLECTION]
        assert await probe.count_documents({"marker": marker}) == 1
        metrics = (await http.get("/metrics")).text
        assert re.search(r'^cspm_component_up\{component="database"\} 0\.5$', metrics, re.M)
        assert re.search(r'^cspm_component_up\{component="session_storage"\} 0\.5$', metrics, re.M)
