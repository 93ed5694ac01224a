"""Celery on Redis: queues, limits, and thin task wrappers over the declared jobs.

Each worker process owns one event loop and one service container (so one database
client per loop), created on its first task; every job runs on that loop.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

from celery import Celery, Task
from kombu import Queue

from cspm.core.jobs import JOBS, QUEUES, JobSpec, load_job_modules
from cspm.core.settings import CoreSettings

logger = logging.getLogger(__name__)

# Long enough that a multi-hour cloud scan is not redelivered while it still runs.
VISIBILITY_TIMEOUT_SECONDS = 6 * 3600


class WorkerRuntime:
    """Per-process loop + container; rebuilt after fork (the pid changes)."""

    _current: WorkerRuntime | None = None

    def __init__(self, settings: CoreSettings) -> None:
        from cspm.core.container import ServiceContainer  # noqa: PLC0415 - import cycle: container imports jobs users

        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.container = ServiceContainer(settings)
        self.loop.run_until_complete(self.container.start(ensure_indexes=False))

    @classmethod
    def current(cls, settings: CoreSettings) -> WorkerRuntime:
        if cls._current is None or cls._current.pid != os.getpid():
            cls._current = cls(settings)
        return cls._current

    def run(self, spec: JobSpec, kwargs: dict[str, Any]) -> Any:
        return self.loop.run_until_complete(spec.func(self.container, **kwargs))

    def shutdown(self) -> None:
        self.loop.run_until_complete(self.container.stop())
        self.loop.close()


def create_celery(settings: CoreSettings, job_modules: tuple[str, ...] | None = None) -> Celery:
    redis_url = settings.redis_url.get_secret_value()
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
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT_SECONDS},
        result_expires=24 * 3600,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        enable_utc=True,
    )
    load_job_modules(job_modules)
    for spec in JOBS.all():
        _register(app, settings, spec)
    return app


def _register(app: Celery, settings: CoreSettings, spec: JobSpec) -> None:
    @app.task(name=spec.name, bind=True, queue=spec.queue, time_limit=spec.time_limit_seconds + 60,
              soft_time_limit=spec.time_limit_seconds, max_retries=spec.max_retries, acks_late=True)
    def run_job(self: Task, **kwargs: Any) -> Any:
        runtime = WorkerRuntime.current(settings)
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
