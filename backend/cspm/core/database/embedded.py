"""Embedded mode: a MongoDB wire-protocol server on loopback, so no MongoDB install is needed.

With no MONGODB_URI the platform starts one of these and connects the same PyMongo client
to it by URI, exactly as to MongoDB 7: the repositories have one code path for both.

- ``secantus`` (the default): SecantusDB, a MongoDB-compatible server on WiredTiger (MongoDB's
  own storage engine), run as a child process with its files in ``DATA_DIR/secantus``. Writes
  cost the same at 100 documents as at 100,000, and committed writes survive ``kill -9``
  (WiredTiger's journal, replayed on the next start). Pre-release and GPL-2.0: it is a separate
  program our code talks to over a socket, so its licence does not extend to ours.
- ``memory`` / ``sqlite``: mongoeco, an in-process stand-in. Fast to start, which the test
  suite needs (thousands of small databases), but it checks compound unique indexes by
  scanning the whole collection, so writes slow down quadratically past a few thousand
  documents. Kept for tests and as a fallback, named as such.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from abc import ABC, abstractmethod
from pathlib import Path

from mongoeco.engines.memory import MemoryEngine
from mongoeco.engines.sqlite import SQLiteEngine
from mongoeco.wire.proxy import AsyncMongoEcoProxyServer

from cspm.core.settings import EmbeddedEngine

logger = logging.getLogger(__name__)

START_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 30
LOG_TAIL_BYTES = 2000

# What each engine holds, measured on the reference machine (2 cores) with
# `python -m benchmarks.ingest`; the integrity monitor shows it so operators know when to move on.
CAPACITY = {
    EmbeddedEngine.SECANTUS: (
        "embedded SecantusDB (WiredTiger, one process, files in DATA_DIR/secantus): about 850 findings/s "
        "on 2 cores (a 10,000-finding report through the import route in about 23 s), flat to 20,000+ "
        "findings and durable across restarts and kill -9; one node, no replication "
        "or backups of its own, pre-release software. Use MONGODB_URI with MongoDB 7 for more than about "
        "100,000 findings, several API replicas, or anything you cannot re-import"),
    EmbeddedEngine.MEMORY: (
        "embedded mongoeco stand-in in memory (tests): data is lost on stop, and compound unique checks scan "
        "whole collections, so writes slow down sharply past a few thousand documents per collection; use the "
        "default EMBEDDED_ENGINE=secantus, or MONGODB_URI with MongoDB 7"),
    EmbeddedEngine.SQLITE: (
        "embedded mongoeco stand-in on SQLite: unique checks and upserts read whole collections, so a "
        "1,000-finding import takes 1.5-3 minutes and each batch costs more than the last; use the default "
        "EMBEDDED_ENGINE=secantus, or MONGODB_URI"),
}


class EmbeddedServerError(RuntimeError):
    """The embedded store could not start; the message says why (its own log tail included)."""


class EmbeddedServer(ABC):
    """A loopback MongoDB wire-protocol server this process owns: started, reached by URI, stopped."""

    engine_kind: EmbeddedEngine
    uri: str | None = None

    @property
    def capacity(self) -> str:
        return CAPACITY[self.engine_kind]

    @abstractmethod
    def start(self) -> str:
        """Start the server and return its URI once it answers."""

    @abstractmethod
    def stop(self) -> None:
        """Stop the server; committed data stays (for the persistent engines)."""

    @abstractmethod
    def alive(self) -> bool:
        """Whether the server is still running (a crashed child process is not)."""


def embedded_server(engine: EmbeddedEngine, data_dir: Path, *, cache_size: str = "512M") -> EmbeddedServer:
    if engine is EmbeddedEngine.SECANTUS:
        return SecantusServer(data_dir, cache_size=cache_size)
    return MongoEcoServer(engine, data_dir)


class SecantusServer(EmbeddedServer):
    """SecantusDB as a child process on a free loopback port, stopped with its parent."""

    engine_kind = EmbeddedEngine.SECANTUS

    def __init__(self, data_dir: Path, *, cache_size: str = "512M", port: int = 0) -> None:
        self.data_dir = data_dir
        self.cache_size = cache_size
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def store_path(self) -> Path:
        return self.data_dir / "secantus"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "secantus.log"

    def start(self) -> str:
        self.store_path.mkdir(parents=True, exist_ok=True)
        port = self.port or _free_loopback_port()
        argv = [sys.executable, "-m", "secantus", "--host", "127.0.0.1", "--port", str(port),
                "--storage-path", str(self.store_path), "--cache-size", self.cache_size, "--log-level", "WARNING",
                # No replica-set advertisement, hence no oplog: the platform uses neither change streams nor
                # transactions, and the oplog entry written beside every document cost a quarter of an update.
                "--standalone"]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                            preexec_fn=_stop_with_parent, close_fds=True)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EmbeddedServerError(
                    f"SecantusDB exited with code {self.process.returncode} at start-up "
                    f"(is another cspm using {self.store_path}?): {self._log_tail()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                self.uri = f"mongodb://127.0.0.1:{port}/?directConnection=true"
                logger.info("embedded SecantusDB started", extra={"port": port, "store": str(self.store_path),
                                                                   "pid": self.process.pid})
                return self.uri
            time.sleep(0.1)
        self.stop()
        raise EmbeddedServerError(f"SecantusDB did not answer within {START_TIMEOUT_SECONDS} s: {self._log_tail()}")

    def stop(self) -> None:
        """SIGTERM lets WiredTiger checkpoint and close cleanly; SIGKILL only if it hangs."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            logger.warning("embedded SecantusDB did not stop on SIGTERM; killed")
            process.kill()
            process.wait()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _log_tail(self) -> str:
        try:
            with self.log_path.open("rb") as log:
                log.seek(max(0, log.seek(0, os.SEEK_END) - LOG_TAIL_BYTES))
                return log.read().decode(errors="replace").strip() or "(no output)"
        except OSError:
            return "(no log)"


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


_PR_SET_PDEATHSIG = 1


def _stop_with_parent() -> None:
    """In the child: get SIGTERM when the parent dies, even by kill -9, so no orphan keeps the store locked."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class MongoEcoServer(EmbeddedServer):
    """mongoeco's wire server on a thread of this process, with its own event loop, so any loop or
    process (a Celery worker) reaches it by URI. A stand-in for tests: see the module docstring."""

    def __init__(self, engine: EmbeddedEngine, data_dir: Path, port: int = 0) -> None:
        if engine is EmbeddedEngine.SECANTUS:
            raise ValueError("mongoeco runs the memory and sqlite engines only")
        self.engine_kind = engine
        self.data_dir = data_dir
        self.port = port
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

    def alive(self) -> bool:
        return self._thread.is_alive()

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
