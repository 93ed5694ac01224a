"""The `cspm` command: serve, worker, beat, check (and domain sub-commands)."""

from __future__ import annotations

import asyncio
import importlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import typer

from cspm.core.settings import CoreSettings, SettingsError, resolve_core_settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help="OffloadSecurity CSPM")

# Domain CLIs, mounted as sub-commands (`cspm scf import FILE`); missing ones fail `check`.
SUBCOMMANDS: tuple[tuple[str, str], ...] = (("cspm.compliance.cli", "scf"),)


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
    from cspm.core.database.embedded import EmbeddedMongoServer  # noqa: PLC0415
    from cspm.core.logging import configure_logging  # noqa: PLC0415
    from cspm.main import create_app  # noqa: PLC0415

    settings = _settings()
    configure_logging(settings.log_level, settings.log_json)
    embedded: EmbeddedMongoServer | None = None
    worker_process: subprocess.Popen[bytes] | None = None
    uri = settings.mongodb_uri.get_secret_value() if settings.mongodb_uri else None
    if uri is None:
        # Started here (not in the app) so a worker process can share it by URI.
        embedded = EmbeddedMongoServer(settings.embedded_engine, settings.data_dir)
        uri = embedded.start()
        typer.echo(f"embedded MongoDB stand-in listening at {uri} ({settings.embedded_engine})", err=True)
    container = ServiceContainer(settings)
    container.embedded_server = embedded
    if worker and embedded is not None and _redis_answers(settings) and not settings.celery_always_in_process:
        worker_process = subprocess.Popen(
            [sys.executable, "-m", "cspm.cli", "worker", "--concurrency", "2"],
            env={**os.environ, "MONGODB_URI": uri},
        )
    try:
        uvicorn.run(create_app(settings, container=container), host=host, port=port,
                    log_config=None, access_log=False, proxy_headers=True, forwarded_allow_ips=forwarded_allow_ips)
    finally:
        if worker_process is not None:
            worker_process.send_signal(signal.SIGTERM)
            try:
                worker_process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker_process.kill()


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
                     "prometheus_client", "cryptography", "openpyxl", "httpx", "defusedxml", "ijson")


@app.command()
def check(
    build: bool = typer.Option(False, "--build", help="Build-time checks only (no services)."),
) -> None:
    """Validate the installation: route modules, packages, SCF data; at runtime also the services."""
    from cspm.api import ROUTE_MODULES  # noqa: PLC0415
    from cspm.core.jobs import JOB_MODULES  # noqa: PLC0415

    failures: list[str] = []
    for package in CRITICAL_PACKAGES:
        failures += _import_failure(package, "package")
    for module in ROUTE_MODULES:
        failures += _import_failure(module.import_path, "route module")
    for module_name in JOB_MODULES:
        failures += _import_failure(module_name, "job module")
    for module_name, _ in SUBCOMMANDS:
        failures += _import_failure(module_name, "cli module")
    failures += _scf_data_failures()
    if not build:
        failures += asyncio.run(_runtime_failures(_settings()))
    for line in failures:
        typer.echo(f"FAIL {line}", err=True)
    if failures:
        raise typer.Exit(1)
    typer.echo("check passed" + (" (build)" if build else " (runtime)"))


def _import_failure(name: str, kind: str) -> list[str]:
    try:
        importlib.import_module(name)
    except Exception as exc:  # noqa: BLE001 - every failure is reported, one line each
        return [f"{kind} {name}: {type(exc).__name__}: {exc}"]
    return []


def _scf_data_failures() -> list[str]:
    data = Path(__file__).parent / "compliance" / "data"
    required = ("scf_baseline.json", "tool_mappings.json")
    return [f"SCF data {data / name}: missing" for name in required if not (data / name).is_file()]


async def _runtime_failures(settings: CoreSettings) -> list[str]:
    from cspm.core.container import ServiceContainer  # noqa: PLC0415
    from cspm.core.tools import probe_all  # noqa: PLC0415

    failures: list[str] = []
    container = ServiceContainer(settings)
    try:
        await container.start(ensure_indexes=False)
        await container.database.ping()
        if container.kv.backend != "redis":
            failures.append("redis: not reachable at REDIS_URL (in-memory fallback would be used)")
    except Exception as exc:  # noqa: BLE001
        failures.append(f"mongodb: {type(exc).__name__}: {exc}")
    finally:
        await container.stop()
    if settings.scanner_executor == "docker":
        failures += _docker_failure()
    else:
        for tool in await probe_all():
            if not tool.found:
                typer.echo(f"warn tool {tool.name}: {tool.error} ({tool.purpose} unavailable)", err=True)
    return failures


def _docker_failure() -> list[str]:
    try:
        import docker  # noqa: PLC0415

        docker.from_env().ping()
    except Exception as exc:  # noqa: BLE001
        return [f"docker: engine not reachable ({type(exc).__name__}: {exc})"]
    return []


for _module, _name in SUBCOMMANDS:
    app.add_typer(importlib.import_module(_module).app, name=_name)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
