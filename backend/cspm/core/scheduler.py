"""UnifiedLifecycleScheduler: the periodic jobs (scheduled scans, watchdog, retention, ...).

Jobs declare ``every_seconds`` with ``@job``. In production Celery beat sends them (the
beat schedule is built from the same declarations in ``celery_app``); in embedded mode,
where no beat process runs, this scheduler sends them from the API process through the
container's dispatcher. Every periodic job is idempotent, so an overlap costs nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from cspm.core.jobs import JOBS, JobSpec

logger = logging.getLogger(__name__)

TICK_SECONDS = 5.0


class UnifiedLifecycleScheduler:
    def __init__(self, container: Any, specs: list[JobSpec] | None = None, *, first_delay: float = 30.0) -> None:
        self.container = container
        self.specs = specs if specs is not None else JOBS.periodic()
        start = time.monotonic() + first_delay
        self._next = {spec.name: start for spec in self.specs}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.specs and self._task is None:
            self._task = asyncio.create_task(self._loop(), name="lifecycle-scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def tick(self, now: float | None = None) -> list[str]:
        """Send every job that is due; returns their names."""
        now = time.monotonic() if now is None else now
        sent: list[str] = []
        for spec in self.specs:
            if self._next[spec.name] <= now:
                self._next[spec.name] = now + (spec.every_seconds or 0)
                try:
                    await self.container.dispatcher.send(spec.name, {})
                    sent.append(spec.name)
                except Exception:
                    logger.exception("periodic job not sent", extra={"job": spec.name})
        return sent

    async def _loop(self) -> None:
        while True:
            await self.tick()
            await asyncio.sleep(TICK_SECONDS)
