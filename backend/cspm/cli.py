"""The `cspm` command: serve, worker, beat, check (and domain sub-commands)."""

from __future__ import annotations

import asyncio
import importlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cspm.core.logging import scrub
from cspm.core.settings import CoreSettings, SettingsError, resolve_core_settings

if TYPE_CHECKING:
    from cspm.core.manifest import RouteModule

app = typer.Typer(no_args_is_help=True, add_completion=False, help="OffloadSecurity CSPM")

# Domain CLIs, mounted as sub-commands (`cspm scf import FILE`); missing ones fail `check`.
SUBCOMMANDS: tuple[tuple[str, str], ...] = (
    ("cspm.compliance.cli", "scf"),
    ("cspm.threat_intel.cli", "threat-intel"),
)


def _settings() -> CoreSettings:
    try:
        return resolve_core_settings()
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    worker: bool = typer.Option(True, help="In embedded mode, also start a Celery worker when Redis answers."),
    forwarded_allow_ips: str = typer.Option(
        "127.0.0.1", envvar="FORWARDED_ALLOW_IPS",
        help="Proxies trusted for X-Forwarded-For/Proto (comma-separated addresses or CIDRs, or *)."),
) -> None:
    """Run the API (embedded MongoDB when MONGODB_URI is unset)."""
    import uvicorn  # noqa: PLC0415 - only the server needs it

    from cspm.core.container import ServiceContainer  # noqa: PLC0415
    from cspm.core.database.embedded import EmbeddedServer, EmbeddedServerError, embedded_server  # noqa: PLC0415
    from cspm.core.logging import configure_logging  # noqa: PLC0415
    from cspm.main import create_app  # noqa: PLC0415

    settings = _settings()
    configure_logging(settings.log_level, settings.log_json)
    embedded: EmbeddedServer | None = None
    worker_process: subprocess.Popen[bytes] | None = None
    uri = settings.mongodb_uri.get_secret_value() if settings.mongodb_uri else None
    if uri is None:
        # Started here (not in the app) so a worker process can share it by URI.
        embedded = embedded_server(settings.embedded_engine, settings.data_dir,
                                   cache_size=settings.embedded_cache_size)
        try:
            uri = embedded.start()
        except EmbeddedServerError as exc:
            typer.echo(f"error: embedded database: {exc}", err=True)
            raise typer.Exit(2) from None
        typer.echo(f"embedded database ({settings.embedded_engine}) listening at {uri}", err=True)
    container = ServiceContainer(settings)
    container.embedded_server = embedded
    if worker and embedded is not None and _redis_answers(settings) and not settings.celery_always_in_process:
        worker_process = subprocess.Popen(
            [sys.executable, "-m", "cspm.cli", "worker", "--concurrency", "2"],
            env={**os.environ, "MONGODB_URI": uri, "MONGODB_URI_IS_EMBEDDED": "true",
                 "REDIS_KEY_PREFIX": settings.redis_key_prefix, "DATA_DIR": str(settings.data_dir.resolve())},
        )
        # Stopped with the application, before the embedded server it uses: on SIGTERM uvicorn shuts
        # the app down and then re-raises the signal, so code after uvicorn.run() never runs.
        started_worker = worker_process
        container.on_stop(lambda: asyncio.to_thread(_stop_process, started_worker))
    try:
        # No `server: uvicorn` header: it tells a scanner what to try, and nothing needs it.
        uvicorn.run(create_app(settings, container=container), host=host, port=port,
                    log_config=None, access_log=False, proxy_headers=True, forwarded_allow_ips=forwarded_allow_ips,
                    server_header=False)
    finally:
        if worker_process is not None:  # start-up failures (port in use) end here
            _stop_process(worker_process)


def _stop_process(process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """SIGTERM (a Celery worker finishes its current tasks), then SIGKILL after the timeout."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _redis_answers(settings: CoreSettings) -> bool:
    from cspm.core.kv import RedisStore  # noqa: PLC0415

    async def ping() -> bool:
        store = RedisStore.from_url(settings.redis_url.get_secret_value())
        try:
            return await store.ping()
        finally:
            await store.close()

    return asyncio.run(ping())


@app.command()
def worker(
    queues: str = typer.Option("default,cloud,container,web,network,compliance,maintenance"),
    concurrency: int = typer.Option(2),
    pool: str = typer.Option("prefork", help="prefork, solo or threads"),
) -> None:
    """Run a Celery worker on the configured Redis."""
    _settings()
    from cspm.worker import celery_app  # noqa: PLC0415 - builds the Celery app from settings

    celery_app.worker_main(["worker", f"--queues={queues}", f"--concurrency={concurrency}",
                            f"--pool={pool}", "--loglevel=INFO", "--without-gossip", "--without-mingle"])


@app.command()
def beat() -> None:
    """Run Celery beat (scheduled scans, watchdog, retention)."""
    _settings()
    from cspm.worker import celery_app  # noqa: PLC0415

    celery_app.start(["beat", "--loglevel=INFO"])


CRITICAL_PACKAGES = ("fastapi", "pydantic", "pydantic_settings", "pymongo", "redis", "celery", "jwt",
                     "prometheus_client", "cryptography", "openpyxl", "httpx", "defusedxml", "ijson",
                     "msgspec")


@app.command()
def check(
    build: bool = typer.Option(False, "--build", help="Build-time checks only (no services)."),
) -> None:
    """Validate the installation: route modules, packages, SCF data; at runtime also the services."""
    settings = None if build else _settings()  # invalid settings stop the runtime check first
    failures = build_failures()
    if settings is not None:
        failures += asyncio.run(runtime_failures(settings))
    for line in failures:
        typer.echo(f"FAIL {line}", err=True)
    if failures:
        raise typer.Exit(1)
    typer.echo("check passed" + (" (build)" if build else " (runtime)"))


SCF_DATA_DIR = Path(__file__).parent / "compliance" / "data"
SCF_DATA_FILES = ("scf_baseline.json", "tool_mappings.json")


def build_failures(
    *,
    packages: Iterable[str] = CRITICAL_PACKAGES,
    route_modules: Iterable[RouteModule] | None = None,
    job_modules: Iterable[str] | None = None,
    cli_modules: Iterable[str] | None = None,
    scf_data_dir: Path = SCF_DATA_DIR,
) -> list[str]:
    """One line per problem found without any service: imports and data files."""
    from cspm.core.manifest import MANIFEST  # noqa: PLC0415

    failures: list[str] = []
    for package in packages:
        failures += _import_failure(package, "package")
    for module in MANIFEST.route_modules if route_modules is None else route_modules:
        failures += _import_failure(module.import_path, "route module")
    for module_name in MANIFEST.job_modules if job_modules is None else job_modules:
        failures += _import_failure(module_name, "job module")
    for module_name in [name for name, _ in SUBCOMMANDS] if cli_modules is None else cli_modules:
        failures += _import_failure(module_name, "cli module")
    failures += [f"SCF data {scf_data_dir / name}: missing" for name in SCF_DATA_FILES
                 if not (scf_data_dir / name).is_file()]
    return failures


def _one_line(text: str) -> str:
    return " ".join(scrub(text).split())


def _import_failure(name: str, kind: str) -> list[str]:
    try:
        importlib.import_module(name)
    except Exception as exc:  # noqa: BLE001 - every failure is reported, one line each
        return [_one_line(f"{kind} {name}: {type(exc).__name__}: {exc}")]
    return []


async def runtime_failures(settings: CoreSettings) -> list[str]:
    """One line per service that does not answer: MongoDB, Redis, and Docker or the tool binaries."""
    from cspm.core.tools import probe_all  # noqa: PLC0415

    failures = await _mongodb_failures(settings)
    failures += await _redis_failures(settings)
    if settings.scanner_executor == "docker":
        failures += _docker_failure()
    else:
        for tool in await probe_all():
            if not tool.found:
                typer.echo(f"warn tool {tool.name}: {tool.error} ({tool.purpose} unavailable)", err=True)
    return failures


async def _mongodb_failures(settings: CoreSettings) -> list[str]:
    from cspm.core.database.embedded import EmbeddedServer, embedded_server  # noqa: PLC0415
    from cspm.core.database.manager import CSPMDatabaseManager, default_client_factory  # noqa: PLC0415
    from cspm.core.database.registry import DatabaseRegistry  # noqa: PLC0415

    embedded: EmbeddedServer | None = None
    manager: CSPMDatabaseManager | None = None
    try:
        if settings.mongodb_uri is None:
            embedded = embedded_server(settings.embedded_engine, settings.data_dir,
                                       cache_size=settings.embedded_cache_size)
            uri = embedded.start()
        else:
            uri = settings.mongodb_uri.get_secret_value()
        client_factory = partial(default_client_factory, timeout_ms=settings.mongodb_timeout_ms)
        manager = CSPMDatabaseManager(uri, DatabaseRegistry(), client_factory=client_factory)
        await manager.ping()
    except Exception as exc:  # noqa: BLE001 - reported as one line
        where = "embedded server" if settings.mongodb_uri is None else "MONGODB_URI"
        return [_one_line(f"mongodb: not reachable at {where} ({type(exc).__name__}: {exc})")]
    finally:
        if manager is not None:
            await manager.close()
        if embedded is not None:
            embedded.stop()
    return []


async def _redis_failures(settings: CoreSettings) -> list[str]:
    import redis.asyncio as aioredis  # noqa: PLC0415

    client = aioredis.from_url(settings.redis_url.get_secret_value(), socket_connect_timeout=3, socket_timeout=3)
    try:
        await client.ping()
    except Exception as exc:  # noqa: BLE001 - reported as one line
        return [_one_line(f"redis: not reachable at REDIS_URL ({type(exc).__name__}: {exc}); "
                          "the in-memory fallback would be used")]
    finally:
        await client.aclose()
    return []


def _docker_failure() -> list[str]:
    try:
        import docker  # type: ignore[import-untyped]  # noqa: PLC0415

        docker.from_env().ping()
    except Exception as exc:  # noqa: BLE001
        return [f"docker: engine not reachable ({type(exc).__name__}: {exc})"]
    return []


for _module, _name in SUBCOMMANDS:
    # A broken domain CLI must not take `cspm serve` or `cspm check` down with it; check reports it.
    try:
        app.add_typer(importlib.import_module(_module).app, name=_name)
    except Exception as _exc:  # noqa: BLE001
        typer.echo(_one_line(f"warn cli module {_module}: {type(_exc).__name__}: {_exc}"), err=True)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
