"""Background jobs: declared once, run by Celery workers or by the in-process worker.

A job is a plain ``async def job(container, **kwargs)`` declared with ``@job(...)`` in a
domain's ``tasks.py``. The Celery app wraps every declared job in a thin task; embedded
mode without Redis runs the same functions on a thread with its own event loop and its
own database client. Either way a job gets its team id and ids as explicit arguments.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from cspm.core.manifest import MANIFEST

logger = logging.getLogger(__name__)

JobFunction = Callable[..., Awaitable[Any]]

QUEUES = ("default", "cloud", "container", "web", "network", "compliance", "maintenance")


class TransientJobError(Exception):
    """Raised by a job for failures worth retrying (network blips, a busy service)."""


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: JobFunction
    queue: str = "default"
    time_limit_seconds: int = 3600
    max_retries: int = 3
    retry_backoff_seconds: int = 30
    retry_on: tuple[type[BaseException], ...] = field(default=(TransientJobError,))
    every_seconds: int | None = None
    """Lifecycle jobs: run periodically (Celery beat, or the in-process scheduler)."""


class JobRegistry:
    def __init__(self) -> None:
        self._jobs: dict[str, JobSpec] = {}

    def register(self, spec: JobSpec) -> None:
        if spec.queue not in QUEUES:
            raise ValueError(f"job {spec.name}: unknown queue {spec.queue!r}")
        existing = self._jobs.get(spec.name)
        if existing is not None and existing.func is not spec.func:
            raise ValueError(f"job {spec.name!r} declared twice")
        self._jobs[spec.name] = spec

    def get(self, name: str) -> JobSpec:
        try:
            return self._jobs[name]
        except KeyError:
            raise KeyError(f"no job named {name!r}; is its tasks module in the manifest (cspm/modules.py)?") from None

    def all(self) -> list[JobSpec]:
        return list(self._jobs.values())

    def periodic(self) -> list[JobSpec]:
        return [spec for spec in self._jobs.values() if spec.every_seconds]


JOBS = JobRegistry()


def job(name: str, *, queue: str = "default", time_limit_seconds: int = 3600, max_retries: int = 3,
        retry_on: tuple[type[BaseException], ...] = (TransientJobError,),
        every_seconds: int | None = None) -> Callable[[JobFunction], JobFunction]:
    def decorate(func: JobFunction) -> JobFunction:
        JOBS.register(JobSpec(name, func, queue, time_limit_seconds, max_retries, retry_on=retry_on,
                              every_seconds=every_seconds))
        return func
    return decorate


def load_job_modules(modules: tuple[str, ...] | None = None, extra: tuple[str, ...] | list[str] = ()) -> None:
    """Import every tasks module (the manifest's, then the EXTRA_JOB_MODULES setting); a broken one fails loudly."""
    for module in (*(MANIFEST.job_modules if modules is None else modules), *extra):
        importlib.import_module(module)


class TaskDispatcher(Protocol):
    kind: str

    async def send(self, name: str, kwargs: dict[str, Any]) -> str: ...
    def close(self) -> None: ...


class CeleryDispatcher:
    kind = "celery"

    def __init__(self, celery_app: Any) -> None:
        self.celery_app = celery_app

    async def send(self, name: str, kwargs: dict[str, Any]) -> str:
        spec = JOBS.get(name)
        # send_task talks to Redis synchronously; keep the event loop free.
        result = await asyncio.to_thread(self.celery_app.send_task, name, kwargs=kwargs, queue=spec.queue)
        return str(result.id)

    def close(self) -> None:
        return None


ContainerFactory = Callable[[], Awaitable[Any]]


class InProcessDispatcher:
    """Runs jobs on one background thread with its own event loop and database client.

    For embedded mode without Redis: the platform still works on a laptop, at the cost of
    jobs stopping with the process (reported as degraded by the integrity monitor).
    """

    kind = "in-process"

    def __init__(self, container_factory: ContainerFactory, *, on_finish: Callable[..., None] | None = None) -> None:
        self._container_factory = container_factory
        self._on_finish = on_finish
        self._loop = asyncio.new_event_loop()
        self._container: Any = None
        self._container_task: asyncio.Future[Any] | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="in-process-worker", daemon=True)
        self._thread.start()
        self._pending: set[asyncio.Future[Any]] = set()

    async def send(self, name: str, kwargs: dict[str, Any]) -> str:
        spec = JOBS.get(name)
        task_id = uuid.uuid4().hex
        future = asyncio.run_coroutine_threadsafe(self._run(spec, kwargs, task_id), self._loop)
        self._pending.add(future)  # type: ignore[arg-type]
        future.add_done_callback(self._pending.discard)  # type: ignore[arg-type]
        return task_id

    async def _container_once(self) -> Any:
        # Jobs sent together start together on the worker loop: the first one builds the container
        # and the others wait for that same one (never two containers, clients or pools).
        failed = self._container_task is not None and self._container_task.done() and (
            self._container_task.cancelled() or self._container_task.exception() is not None)
        if self._container_task is None or failed:  # a failed start is tried again by the next job
            self._container_task = asyncio.ensure_future(self._container_factory())
        self._container = await asyncio.shield(self._container_task)
        return self._container

    async def _run(self, spec: JobSpec, kwargs: dict[str, Any], task_id: str) -> Any:
        await self._container_once()
        started = time.perf_counter()
        state = "success"
        attempt = 0
        try:
            while True:
                try:
                    return await asyncio.wait_for(spec.func(self._container, **kwargs), spec.time_limit_seconds)
                except spec.retry_on:
                    attempt += 1
                    if attempt > spec.max_retries:
                        raise
                    await asyncio.sleep(spec.retry_backoff_seconds * 2 ** (attempt - 1))
        except BaseException:
            state = "failure"
            logger.exception("in-process job failed", extra={"job": spec.name, "task_id": task_id})
            raise
        finally:
            if self._on_finish is not None:
                self._on_finish(spec.name, state, time.perf_counter() - started)

    def wait_idle(self, timeout: float = 30) -> None:
        """Block until every queued job has finished (tests, orderly shutdown)."""
        deadline = time.monotonic() + timeout
        while self._pending and time.monotonic() < deadline:
            time.sleep(0.05)

    def close(self) -> None:
        async def _shutdown() -> None:
            if self._container is not None:
                await self._container.stop()

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(_shutdown(), self._loop).result(timeout=15)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
