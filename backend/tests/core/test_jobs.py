"""Background jobs on the in-process worker and on a real Celery worker process, with its metrics."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from cspm.core.container import ServiceContainer
from cspm.core.database.registry import Database
from cspm.core.jobs import JOBS
from cspm.core.settings import DatabaseNameSettings
from tests.conftest import TEST_NETWORK_ALLOWLIST, TEST_REDIS_URL, make_settings, unique_database_names
from tests.core import worker_jobs

BACKEND = Path(__file__).resolve().parents[2]
JOB_MODULE = "tests.core.worker_jobs"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        result = await predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.2)


def _metric(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


# --- in-process worker ----------------------------------------------------------------------------------
async def test_in_process_dispatcher_runs_jobs_on_its_own_loop_and_client(tmp_path, mongo_uri):
    settings = make_settings(tmp_path, mongo_uri, celery_always_in_process=True,
                             extra_job_modules=[JOB_MODULE])
    container = ServiceContainer(settings, database_names=unique_database_names())
    await container.start(ensure_indexes=False)
    try:
        assert container.kv.backend == "redis"
        dispatcher = container.dispatcher
        assert dispatcher.kind == "in-process"
        markers = [uuid.uuid4().hex for _ in range(2)]
        for marker in markers:
            await dispatcher.send("tests.worker_probe", {"marker": marker})
        await asyncio.to_thread(dispatcher.wait_idle, 30)

        probe = container.database.db(Database.PLATFORM)[worker_jobs.PROBE_COLLECTION]
        documents = await probe.find({"marker": {"$in": markers}}).to_list()
        assert len(documents) == 2
        assert {document["pid"] for document in documents} == {os.getpid()}
        assert {document["thread"] for document in documents} == {"in-process-worker"}
        # One loop and one client for the worker, neither of them the API's.
        assert len({document["loop_id"] for document in documents}) == 1
        assert len({document["client_id"] for document in documents}) == 1
        assert documents[0]["loop_id"] != id(asyncio.get_running_loop())
        assert documents[0]["client_id"] != id(container.database.client())
        # The worker opened its own Redis connection on its loop; the data is the same Redis.
        assert documents[0]["kv_backend"] == "redis"
        assert await container.kv.get(f"probe:{markers[0]}") == "1"

        failing = uuid.uuid4().hex
        await dispatcher.send("tests.always_fails", {"marker": failing})
        await asyncio.to_thread(dispatcher.wait_idle, 30)
        text = container.metrics.render().decode()
        assert _metric(text, "cspm_celery_tasks_total", task="tests.worker_probe", state="success") == 2
        assert _metric(text, "cspm_celery_tasks_total", task="tests.always_fails", state="failure") == 1
        assert _metric(text, "cspm_celery_task_duration_seconds_count", task="tests.worker_probe") == 2
    finally:
        await container.stop()


async def test_unknown_job_is_refused_with_its_name(container):
    with pytest.raises(KeyError, match=r"no job named 'tests\.nothing'"):
        await container.dispatcher.send("tests.nothing", {})


def test_job_on_an_unknown_queue_is_refused():
    from cspm.core.jobs import job

    with pytest.raises(ValueError, match="unknown queue 'gpu'"):
        job("tests.bad_queue", queue="gpu")(worker_jobs.worker_probe)
    assert "tests.bad_queue" not in {spec.name for spec in JOBS.all()}


# --- a real Celery worker ---------------------------------------------------------------------------------
@pytest.fixture
def worker_environment(tmp_path, mongo_uri) -> Iterator[dict]:
    names = unique_database_names()
    prefix = f"test-celery-{uuid.uuid4().hex[:10]}:"
    metrics_port = _free_port()
    environment = {
        key: value for key, value in os.environ.items()
        if key.upper() not in {name.upper() for name in DatabaseNameSettings.model_fields}
    }
    environment.update({
        "PYTHONPATH": str(BACKEND),
        "ENVIRONMENT": "test",
        "MONGODB_URI": mongo_uri,
        "MONGODB_TIMEOUT_MS": "120000",  # the suite's stand-in store may be starved on a loaded machine
        "REDIS_URL": TEST_REDIS_URL,
        "REDIS_KEY_PREFIX": prefix,
        "DATA_DIR": str(tmp_path / "data"),
        "EXTRA_JOB_MODULES": JOB_MODULE,
        "WORKER_METRICS_PORT": str(metrics_port),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        "LOG_LEVEL": "INFO",
        "SCANNER_NETWORK_ALLOWLIST": TEST_NETWORK_ALLOWLIST,
        **{field.upper(): value for field, value in names.model_dump().items()},
    })
    yield {"env": environment, "names": names, "prefix": prefix, "metrics_port": metrics_port,
           "log": tmp_path / "worker.log", "tmp": tmp_path}
    client = redis.Redis.from_url(TEST_REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}*", count=500))
    if keys:
        client.delete(*keys)
    client.close()


def run_worker(worker_environment: dict, *, queues: str, concurrency: int) -> Iterator[subprocess.Popen]:
    """A real `cspm worker` process for the test's environment; stopped with SIGTERM (then -9) after."""
    log = worker_environment["log"].open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "cspm.cli", "worker", "--pool", "prefork", "--concurrency", str(concurrency),
         "--queues", queues],
        env=worker_environment["env"], cwd=worker_environment["tmp"], stdout=log, stderr=subprocess.STDOUT)
    yield process
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


@pytest.fixture
def celery_worker(worker_environment) -> Iterator[subprocess.Popen]:
    yield from run_worker(worker_environment, queues="default", concurrency=1)


async def test_real_celery_worker_runs_job_with_its_own_loop_client_and_exports_metrics(
        tmp_path, mongo_uri, worker_environment, celery_worker):
    settings = make_settings(tmp_path, mongo_uri, celery_always_in_process=False,
                             redis_key_prefix=worker_environment["prefix"], extra_job_modules=[JOB_MODULE])
    container = ServiceContainer(settings, database_names=worker_environment["names"])
    await container.start(ensure_indexes=False)
    metrics_url = f"http://127.0.0.1:{worker_environment['metrics_port']}/metrics"

    def worker_log() -> str:
        return worker_environment["log"].read_text(errors="replace")[-4000:]

    try:
        assert container.dispatcher.kind == "celery"
        markers = [uuid.uuid4().hex for _ in range(2)]
        for marker in markers:
            await container.dispatcher.send("tests.worker_probe", {"marker": marker})
        await container.dispatcher.send("tests.always_fails", {"marker": "boom"})

        probe = container.database.db(Database.PLATFORM)[worker_jobs.PROBE_COLLECTION]

        async def both_written():
            if celery_worker.poll() is not None:
                raise AssertionError(f"worker exited with {celery_worker.returncode}:\n{worker_log()}")
            documents = await probe.find({"marker": {"$in": markers}}).to_list()
            return documents if len(documents) == 2 else None

        try:
            documents = await _wait_for(both_written, 90, "the worker's writes")
        except AssertionError as error:
            raise AssertionError(f"{error}\nworker log:\n{worker_log()}") from None

        # Written by a pool process of the worker, not by this test process nor the worker's parent.
        pids = {document["pid"] for document in documents}
        assert len(pids) == 1
        (pid,) = pids
        assert pid not in (os.getpid(), celery_worker.pid)
        # That process's loop-aware accessor kept one client for its one loop across tasks.
        assert len({document["loop_id"] for document in documents}) == 1
        assert len({document["client_id"] for document in documents}) == 1
        assert documents[0]["kv_backend"] == "redis"
        # Its key-value store is the same Redis under the same deployment prefix.
        assert await container.kv.get(f"probe:{markers[0]}") == "1"
        assert documents[0]["_id"]  # stored in the PLATFORM database the registry names
        assert probe.database.name == worker_environment["names"].db_name

        async def metrics_reported():
            async with httpx.AsyncClient(timeout=5) as http:
                try:
                    text = (await http.get(metrics_url)).text
                except httpx.TransportError:
                    return None
            done = (_metric(text, "cspm_celery_tasks_total", task="tests.worker_probe", state="success") == 2
                    and _metric(text, "cspm_celery_tasks_total", task="tests.always_fails", state="failure") == 1)
            return text if done else None

        try:
            text = await _wait_for(metrics_reported, 60, "the worker's task metrics")
        except AssertionError as error:
            raise AssertionError(f"{error}\nworker log:\n{worker_log()}") from None
        assert _metric(text, "cspm_celery_task_duration_seconds_count", task="tests.worker_probe") == 2
        assert _metric(text, "cspm_celery_task_duration_seconds_count", task="tests.always_fails") == 1
        assert list((tmp_path / "prometheus").glob("counter_*.db")), "multiprocess files in PROMETHEUS_MULTIPROC_DIR"
    finally:
        await container.stop()


async def test_worker_queues_are_isolated_by_the_deployment_prefix(tmp_path, mongo_uri):
    """Two deployments sharing one Redis never see each other's queued tasks."""
    from cspm.core.celery_app import create_celery

    prefix = f"test-iso-{uuid.uuid4().hex[:10]}:"
    settings = make_settings(tmp_path, mongo_uri, redis_key_prefix=prefix, extra_job_modules=[JOB_MODULE])
    app = create_celery(settings, ServiceContainer)
    client = redis.Redis.from_url(TEST_REDIS_URL)
    try:
        unprefixed_before = client.llen("default")
        await asyncio.to_thread(app.send_task, "tests.worker_probe", kwargs={"marker": "x"}, queue="default")
        assert client.llen(f"{prefix}celery:default") == 1
        assert client.llen("default") == unprefixed_before  # nothing went to the shared, unprefixed queue
    finally:
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            client.delete(*keys)
        client.close()
        app.close()
