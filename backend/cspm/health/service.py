"""Health checks: pings with timeouts, component status from the integrity monitor, tool probes."""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict
from typing import Any, Self

import redis.asyncio as aioredis

from cspm import __version__
from cspm.core.container import ServiceContainer
from cspm.core.integrity import ComponentState
from cspm.core.logging import scrub
from cspm.core.tools import ToolStatus, probe_all, report_tools

PING_TIMEOUT_SECONDS = 3


class HealthService:
    def __init__(self, container: ServiceContainer) -> None:
        self.container = container
        self._started = time.time()

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        return cls(container)

    async def _timed(self, check: Any) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            ok = await asyncio.wait_for(check(), PING_TIMEOUT_SECONDS)
        except Exception as exc:  # noqa: BLE001 - any failure of a ping is "down", with its reason
            return {"ok": False, "error": scrub(f"{type(exc).__name__}: {exc}")[:300]}
        latency = round((time.perf_counter() - started) * 1000, 2)
        return {"ok": bool(ok), "latency_ms": latency} if ok else {"ok": False, "error": "no answer"}

    async def readiness(self) -> tuple[bool, dict[str, Any]]:
        """Pings MongoDB and the configured Redis; ready unless a critical one is down.

        MongoDB is always critical. Redis is critical when this process uses it (it started on
        Redis) or in production. A process that started on the in-memory fallback still pings
        REDIS_URL, so the answer says whether Redis is there, and reports the fallback as degraded.
        """
        mongodb = await self._timed(self._ping_mongo)
        mongodb["critical"] = True
        kv = self.container.kv
        if kv.backend == "redis":
            redis = await self._timed(kv.ping)
            redis.update(backend="redis", critical=True)
        else:
            redis = await self._timed(self._ping_configured_redis)
            redis.update(
                backend=kv.backend, critical=self.container.settings.production,
                degraded=("in-memory fallback: sessions, caches and rate limits are per process and lost "
                          "on restart; background jobs run in-process"))
            if redis["ok"]:
                redis["note"] = ("Redis answers at REDIS_URL, but this process started on its in-memory "
                                 "fallback; restart it to use Redis")
        checks = {"mongodb": mongodb, "redis": redis}
        return all(check["ok"] or not check["critical"] for check in checks.values()), checks

    async def _ping_configured_redis(self) -> bool:
        client = aioredis.from_url(self.container.settings.redis_url.get_secret_value(),
                                   socket_connect_timeout=2, socket_timeout=2)
        try:
            return bool(await client.ping())
        finally:
            await client.aclose()

    async def _ping_mongo(self) -> bool:
        await self.container.database.ping()
        return True

    async def tools(self) -> list[ToolStatus]:
        """Every tool binary, found or not (probes are cached per process in cspm.core.tools)."""
        tools = await probe_all()
        report_tools(tools, self.container.integrity)
        return tools

    async def status(self) -> dict[str, Any]:
        ready, checks = await self.readiness()
        tools = await self.tools()
        monitor = self.container.integrity
        return {
            "status": monitor.overall.value if ready else ComponentState.DOWN.value,
            "version": __version__,
            "uptime_seconds": round(time.time() - self._started),
            "checks": checks,
            "components": [status.as_dict() for status in monitor.snapshot()],
            "tools": [asdict(tool) for tool in tools],
        }

    async def counters(self) -> dict[str, Any]:
        kv = self.container.kv
        sessions = len(await kv.keys("session:*"))
        self.container.metrics.active_sessions.set(sessions)
        return {
            "active_sessions": sessions,
            "uptime_seconds": round(time.time() - self._started),
            "degraded_components": [
                status.component for status in self.container.integrity.snapshot()
                if status.state is not ComponentState.OPTIMAL
            ],
        }
