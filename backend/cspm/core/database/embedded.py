"""Embedded mode: an in-process MongoDB wire-protocol server (mongoeco).

No MongoDB server can run on every machine the platform is tried on, so with no
MONGODB_URI the platform starts mongoeco's wire server on a loopback port and connects
the same PyMongo client to it. The server runs on its own thread and event loop so
that any loop or process (a Celery worker) can reach it by URI, as with a real server.
This is a stand-in: it scans whole collections for unique checks and is slow at scale.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from pathlib import Path

from mongoeco.engines.memory import MemoryEngine
from mongoeco.engines.sqlite import SQLiteEngine
from mongoeco.wire.proxy import AsyncMongoEcoProxyServer

from cspm.core.settings import EmbeddedEngine

START_TIMEOUT_SECONDS = 15


class EmbeddedMongoServer:
    def __init__(self, engine: EmbeddedEngine, data_dir: Path, port: int = 0) -> None:
        self.engine_kind = engine
        self.data_dir = data_dir
        self.port = port
        self.uri: str | None = None
        self._ready: concurrent.futures.Future[str] = concurrent.futures.Future()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="embedded-mongo", daemon=True)

    @property
    def database_file(self) -> Path | None:
        if self.engine_kind is EmbeddedEngine.SQLITE:
            return self.data_dir / "embedded-mongo.sqlite"
        return None

    def start(self) -> str:
        self._thread.start()
        self.uri = self._ready.result(timeout=START_TIMEOUT_SECONDS)
        return self.uri

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:  # noqa: BLE001 - handed to the starting thread
            if not self._ready.done():
                self._ready.set_exception(error)

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        engine: SQLiteEngine | MemoryEngine
        if self.database_file is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            engine = SQLiteEngine(str(self.database_file), executor_workers=1)
        else:
            engine = MemoryEngine()
        # "auto-installed" accepts the nearest known PyMongo profile instead of failing.
        server = AsyncMongoEcoProxyServer(
            engine=engine, host="127.0.0.1", port=self.port, mongodb_dialect="7.0",
            pymongo_profile="auto-installed",
        )
        try:
            address = await server.start()
            self._ready.set_result(address.uri)
            await self._stop.wait()
        finally:
            await server.close()
