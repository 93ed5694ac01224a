"""ServiceContainer: builds the shared parts once per process and hands services to routes.

Domain services declare ``@classmethod build(cls, container)``; ``container.resolve(Service)``
builds each once and caches it. Tests replace any of them with ``container.override``.
Nothing here is a module-level singleton: the API process, each worker process and each
test builds its own container.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from functools import partial
from typing import Any, Protocol, Self, TypeVar

from cspm.core.celery_app import create_celery
from cspm.core.database.embedded import CAPACITY, EmbeddedServer, embedded_server
from cspm.core.database.indexes import IndexManagementService, collect_domain_indexes
from cspm.core.database.manager import CSPMDatabaseManager, default_client_factory, embedded_client_factory
from cspm.core.database.registry import DatabaseRegistry
from cspm.core.events import EventHub
from cspm.core.integrity import SystemIntegrityMonitor
from cspm.core.jobs import CeleryDispatcher, InProcessDispatcher, TaskDispatcher, load_job_modules
from cspm.core.kv import KeyValueStore, MemoryStore, connect_store
from cspm.core.logging import SecurityLogger
from cspm.core.manifest import MANIFEST
from cspm.core.metrics import Metrics
from cspm.core.settings import CoreSettings, DatabaseNameSettings, load

logger = logging.getLogger(__name__)

T = TypeVar("T")


class Buildable(Protocol):
    @classmethod
    def build(cls, container: ServiceContainer) -> Self: ...


class ServiceContainer:
    def __init__(
        self,
        settings: CoreSettings,
        *,
        database_names: DatabaseNameSettings | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.database_names = database_names or load(DatabaseNameSettings)
        self.registry = DatabaseRegistry(self.database_names.overrides())
        self.metrics = metrics or Metrics()
        self.integrity = SystemIntegrityMonitor(self.metrics)
        self.security_log = SecurityLogger()
        self.events = EventHub(self)
        self.embedded_server: EmbeddedServer | None = None
        self._database: CSPMDatabaseManager | None = None
        self._kv: KeyValueStore | None = None
        self._dispatcher: TaskDispatcher | None = None
        self._owns_kv = True
        self.indexes: IndexManagementService | None = None
        self._instances: dict[type, Any] = {}
        self._on_stop: list[Callable[[], Any]] = []
        self.started = False

    # --- lifecycle -------------------------------------------------------------------
    async def start(self, *, ensure_indexes: bool = True, mongodb_uri: str | None = None,
                    kv: KeyValueStore | None = None) -> None:
        uri = mongodb_uri or self._configured_uri()
        if self.embedded_server is not None:  # started by the caller (`cspm serve`) to share its URI
            uri = self.embedded_server.uri
        elif uri is None:
            self.embedded_server = embedded_server(self.settings.embedded_engine, self.settings.data_dir,
                                                   cache_size=self.settings.embedded_cache_size)
            self.embedded_server.start()
            uri = self.embedded_server.uri
        embedded = self.embedded_server is not None or self.settings.mongodb_uri_is_embedded
        assert uri is not None
        if embedded:
            self.integrity.degraded("database", f"embedded ({self.settings.embedded_engine})",
                                    CAPACITY[self.settings.embedded_engine])
        self._database = CSPMDatabaseManager(
            uri, self.registry, embedded=embedded,
            client_factory=embedded_client_factory if embedded
            else partial(default_client_factory, timeout_ms=self.settings.mongodb_timeout_ms))
        await self._database.connect()
        if not embedded:
            self.integrity.optimal("database", "mongodb")
        self._owns_kv = kv is None
        self._kv = kv or await connect_store(self.settings.redis_url.get_secret_value(),
                                                 self.settings.redis_key_prefix)
        self._report_kv()
        self.indexes = IndexManagementService(self._database, self.settings.retention_days)
        self.indexes.add(collect_domain_indexes(MANIFEST.index_modules()))
        if ensure_indexes:
            await self.indexes.ensure_indexes()
        self.started = True

    def _start_dispatcher(self) -> TaskDispatcher:
        use_celery = self.kv.backend == "redis" and not self.settings.celery_always_in_process
        if use_celery:
            self.integrity.optimal("task_queue", "celery on redis")
            return CeleryDispatcher(create_celery(self.settings, type(self)))
        self.integrity.degraded(
            "task_queue", "in-process",
            "background jobs run on a thread of this process: they stop with it and are not retried "
            "after a restart; run Redis and `cspm worker` for durable queues")
        # The in-process worker runs the same jobs a Celery worker would, so it loads the same modules.
        load_job_modules(None, self.settings.extra_job_modules)
        uri = self.database.uri
        settings = self.settings
        database_names = self.database_names
        # Same process: a memory store is shared so sessions and caches agree. A Redis client is
        # bound to the loop that opened it, so the worker's loop opens its own.
        shared_kv = self.kv if self.kv.backend == "memory" else None
        metrics = self.metrics

        async def worker_container() -> ServiceContainer:
            worker_settings = settings.model_copy(update={"mongodb_uri_is_embedded": self.database.embedded})
            worker = ServiceContainer(worker_settings, database_names=database_names, metrics=metrics)
            # Its own monitor, unconnected to the metrics: the worker's view must not overwrite
            # this process's component gauges (it would report the embedded database as "mongodb").
            worker.integrity = SystemIntegrityMonitor()
            await worker.start(ensure_indexes=False, mongodb_uri=uri, kv=shared_kv)
            return worker

        def record(name: str, state: str, seconds: float) -> None:
            metrics.celery_tasks.labels(task=name, state=state).inc()
            metrics.celery_task_duration.labels(task=name).observe(seconds)

        return InProcessDispatcher(worker_container, on_finish=record)

    def _configured_uri(self) -> str | None:
        return self.settings.mongodb_uri.get_secret_value() if self.settings.mongodb_uri else None

    def _report_kv(self) -> None:
        assert self._kv is not None
        if self._kv.backend == "redis":
            for component in ("session_storage", "cache", "rate_limits"):
                self.integrity.optimal(component, "redis")
        else:
            impact = ("in-memory fallback: state is per process and lost on restart; with several "
                      "processes, sessions and limits are not shared")
            for component in ("session_storage", "cache", "rate_limits"):
                self.integrity.degraded(component, "memory", impact)

    def on_stop(self, callback: Callable[[], Any]) -> None:
        self._on_stop.append(callback)

    async def stop(self) -> None:
        """Release everything this container opened; safe to call twice."""
        if self._dispatcher is not None:
            dispatcher, self._dispatcher = self._dispatcher, None
            await asyncio.to_thread(dispatcher.close)
        callbacks, self._on_stop = self._on_stop, []
        for callback in reversed(callbacks):
            result = callback()
            if hasattr(result, "__await__"):
                await result
        if self._kv is not None and self._owns_kv:
            await self._kv.close()
        self._kv = None
        if self._database is not None:
            await self._database.close()
            self._database = None
        if self.embedded_server is not None:
            self.embedded_server.stop()
            self.embedded_server = None
        self.started = False

    # --- shared parts ----------------------------------------------------------------
    @property
    def database(self) -> CSPMDatabaseManager:
        if self._database is None:
            raise RuntimeError("container not started: no database manager yet")
        return self._database

    @property
    def dispatcher(self) -> TaskDispatcher:
        """Created on first use, so processes that never send jobs never start a worker."""
        if self._dispatcher is None:
            self._dispatcher = self._start_dispatcher()
        return self._dispatcher

    @property
    def kv(self) -> KeyValueStore:
        if self._kv is None:
            # Before start (CLI checks, unit tests of pure services) memory is the honest default.
            self._kv = MemoryStore()
        return self._kv

    # --- services ----------------------------------------------------------------------
    def resolve(self, cls: type[T]) -> T:
        instance = self._instances.get(cls)
        if instance is None:
            build = getattr(cls, "build", None)
            if build is None:
                raise TypeError(f"{cls.__name__} has no build(container) classmethod")
            instance = build(self)
            self._instances[cls] = instance
        return instance

    def override(self, cls: type[T], instance: T) -> None:
        self._instances[cls] = instance
