"""Celery on Redis: queues, limits, and thin task wrappers over the declared jobs.

Each worker process owns one event loop and one service container (so one database
client per loop), created on its first task; every job runs on that loop.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from celery import Celery, Task, signals  # type: ignore[import-untyped]
from kombu import Queue

from cspm.core.jobs import JOBS, QUEUES, JobSpec, load_job_modules
from cspm.core.settings import CoreSettings

logger = logging.getLogger(__name__)

# Long enough that a multi-hour cloud scan is not redelivered while it still runs.
VISIBILITY_TIMEOUT_SECONDS = 6 * 3600


ContainerFactory = Callable[[CoreSettings], Any]
"""Builds a worker's service container; passed in by whoever creates the Celery app (the container
itself, for the API's sending app), so this module never imports the container."""


class WorkerRuntime:
    """Per-process loop + container; rebuilt after fork (the pid changes)."""

    _current: WorkerRuntime | None = None

    def __init__(self, settings: CoreSettings, container_factory: ContainerFactory) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.container = container_factory(settings)
        self.loop.run_until_complete(self.container.start(ensure_indexes=False))

    @classmethod
    def current(cls, settings: CoreSettings, container_factory: ContainerFactory) -> WorkerRuntime:
        if cls._current is None or cls._current.pid != os.getpid():
            cls._current = cls(settings, container_factory)
        return cls._current

    @classmethod
    def shutdown_current(cls) -> None:
        """Close this process's container (database client, Redis pool) when the worker stops."""
        runtime, cls._current = cls._current, None
        if runtime is not None and runtime.pid == os.getpid():
            runtime.shutdown()

    def run(self, spec: JobSpec, kwargs: dict[str, Any]) -> Any:
        return self.loop.run_until_complete(spec.func(self.container, **kwargs))

    def shutdown(self) -> None:
        self.loop.run_until_complete(self.container.stop())
        self.loop.close()


def create_celery(settings: CoreSettings, container_factory: ContainerFactory,
                  job_modules: tuple[str, ...] | None = None) -> Celery:
    redis_url = settings.redis_url.get_secret_value()
    # Queues, unacked sets and results live under the deployment's Redis prefix, like every other
    # key of the platform: two deployments (or test runs) sharing one Redis never take each other's tasks.
    key_prefix = f"{settings.redis_key_prefix}celery:"
    app = Celery("cspm", broker=redis_url, backend=redis_url)
    app.conf.update(
        task_queues=[Queue(name) for name in QUEUES],
        task_default_queue="default",
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT_SECONDS,
                                  "global_keyprefix": key_prefix},
        result_backend_transport_options={"global_keyprefix": key_prefix},
        result_expires=24 * 3600,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        enable_utc=True,
    )
    load_job_modules(job_modules, settings.extra_job_modules)
    for spec in JOBS.all():
        _register(app, settings, spec, container_factory)
    # The lifecycle jobs' beat schedule comes from the same @job declarations (every_seconds).
    app.conf.beat_schedule = {
        spec.name: {"task": spec.name, "schedule": float(spec.every_seconds or 0), "options": {"queue": spec.queue}}
        for spec in JOBS.periodic()
    }
    return app


def _register(app: Celery, settings: CoreSettings, spec: JobSpec, container_factory: ContainerFactory) -> None:
    @app.task(name=spec.name, bind=True, queue=spec.queue, time_limit=spec.time_limit_seconds + 60,
              soft_time_limit=spec.time_limit_seconds, max_retries=spec.max_retries, acks_late=True)
    def run_job(self: Task, **kwargs: Any) -> Any:
        runtime = WorkerRuntime.current(settings, container_factory)
        metrics = runtime.container.metrics
        started = time.perf_counter()
        try:
            result = runtime.run(spec, kwargs)
        except spec.retry_on as exc:
            metrics.celery_tasks.labels(task=spec.name, state="retry").inc()
            raise self.retry(exc=exc, countdown=spec.retry_backoff_seconds * 2 ** self.request.retries) from exc
        except Exception:
            metrics.celery_tasks.labels(task=spec.name, state="failure").inc()
            raise
        finally:
            metrics.celery_task_duration.labels(task=spec.name).observe(time.perf_counter() - started)
        metrics.celery_tasks.labels(task=spec.name, state="success").inc()
        return result


# --- worker metrics ----------------------------------------------------------------------
# A worker's task metrics are recorded in its pool processes (prefork children), so they are
# exported with prometheus_client's multiprocess mode: every process writes its values to files
# in PROMETHEUS_MULTIPROC_DIR and the worker's main process serves their aggregate on
# WORKER_METRICS_PORT. See https://prometheus.github.io/client_python/multiprocess/


def prepare_worker_metrics(settings: CoreSettings) -> Path | None:
    """Switch this process to multiprocess metrics, before the first metric is constructed.

    Uses PROMETHEUS_MULTIPROC_DIR when the deployment sets it (wiped of the previous run's
    files, as the client library requires), otherwise a fresh temporary directory. Children
    forked by the pool inherit the variable. The worker's metrics are built with its runtime
    (on the first task), so they are always created after this.
    """
    if settings.worker_metrics_port is None:
        return None
    configured = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if configured:
        directory = Path(configured)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
    else:
        directory = Path(tempfile.mkdtemp(prefix="cspm-worker-metrics-"))
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    if "prometheus_client.values" in sys.modules:
        # Imported earlier (a CLI module): the value class is chosen at import, so choose again.
        from prometheus_client import values  # noqa: PLC0415

        values.ValueClass = values.get_value_class()  # type: ignore[attr-defined]
    return directory


def start_worker_metrics_server(settings: CoreSettings, port: int) -> None:
    from prometheus_client import CollectorRegistry, start_http_server  # noqa: PLC0415 - after prepare_worker_metrics
    from prometheus_client.multiprocess import MultiProcessCollector  # noqa: PLC0415

    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    start_http_server(port, addr=settings.worker_metrics_host, registry=registry)
    logger.info("worker metrics served", extra={"host": settings.worker_metrics_host, "port": port})


def install_worker_hooks(settings: CoreSettings) -> None:
    """Signals of a worker process: serve metrics at start, release clients at the end."""

    def serve_metrics(**_: Any) -> None:
        if settings.worker_metrics_port is not None:
            start_worker_metrics_server(settings, settings.worker_metrics_port)

    def process_shutdown(pid: int | None = None, **_: Any) -> None:
        WorkerRuntime.shutdown_current()
        if settings.worker_metrics_port is not None and pid is not None:
            from prometheus_client.multiprocess import mark_process_dead  # noqa: PLC0415

            mark_process_dead(pid)

    signals.worker_init.connect(serve_metrics, weak=False)
    signals.worker_process_shutdown.connect(process_shutdown, weak=False)  # prefork children
    signals.worker_shutdown.connect(lambda **_: WorkerRuntime.shutdown_current(), weak=False)  # solo pool
