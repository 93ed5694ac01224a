"""`cspm serve` in embedded mode as a real process: the README's "run it" command answers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
import redis

from cspm.core.settings import CoreSettings, DatabaseNameSettings
from tests.conftest import TEST_REDIS_URL

BACKEND = Path(__file__).resolve().parents[2]
CLOSED_REDIS = "redis://127.0.0.1:1/15"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("redis_url", [TEST_REDIS_URL, CLOSED_REDIS], ids=["with-redis", "without-redis"])
def test_embedded_serve_answers_health_status_and_metrics(tmp_path, redis_url):
    port = _free_port()
    prefix = f"test-serve-{uuid.uuid4().hex[:10]}:"
    names = {name.upper() for name in [*CoreSettings.model_fields, *DatabaseNameSettings.model_fields]}
    env = {key: value for key, value in os.environ.items() if key not in names}
    env.update({"PYTHONPATH": str(BACKEND), "ENVIRONMENT": "development", "EMBEDDED_ENGINE": "memory",
                "DATA_DIR": str(tmp_path / "data"), "REDIS_URL": redis_url, "REDIS_KEY_PREFIX": prefix,
                "FRONTEND_DIST": str(tmp_path / "no-dashboard")})
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "cspm.cli", "serve", "--port", str(port)], env=env,
                               cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"

    def output() -> str:
        return (tmp_path / "serve.log").read_text(errors="replace")[-3000:]

    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"cspm serve exited with {process.returncode}:\n{output()}")
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"cspm serve did not answer within 90 s:\n{output()}")
            time.sleep(0.3)

        # The whole log: the worker's start-up banner (a line per task and queue) pushes it out of the tail.
        assert "embedded database (memory) listening at mongodb://127.0.0.1:" in (tmp_path / "serve.log").read_text(
            errors="replace")
        health = httpx.get(f"{base}/api/health", timeout=10)
        assert "server" not in health.headers  # uvicorn's own header is off
        assert health.headers["cache-control"] == "no-store"
        ready = httpx.get(f"{base}/health/ready", timeout=30)
        assert ready.status_code == 200, ready.text
        status = httpx.get(f"{base}/health/status", timeout=120)
        assert status.status_code == 200
        components = {component["component"]: component for component in status.json()["components"]}
        assert components["database"]["mode"] == "embedded (memory)"
        assert components["database"]["state"] == "degraded"
        expected_kv = "redis" if redis_url == TEST_REDIS_URL else "memory"
        assert components["session_storage"]["mode"] == expected_kv
        assert {tool["name"] for tool in status.json()["tools"] if tool["found"]} >= {"nmap", "trivy", "syft"}
        metrics = httpx.get(f"{base}/metrics", timeout=10)
        assert metrics.status_code == 200
        assert 'cspm_http_requests_total{method="GET",route="/api/health",status="200"}' in metrics.text

        children = _children(process.pid)
        if redis_url == TEST_REDIS_URL:
            assert children, "with Redis, embedded serve also starts a Celery worker"
        else:
            assert children == [], "without Redis, jobs run in-process: no worker process"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        client = redis.Redis.from_url(TEST_REDIS_URL)
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            client.delete(*keys)
        client.close()
    # uvicorn shuts down gracefully, then re-raises the SIGTERM it caught: that is its exit status.
    assert process.returncode in (0, -signal.SIGTERM), output()
    assert "Application shutdown complete." in output()
    for child in children:
        assert not _alive(child), f"worker {child} outlived cspm serve"
