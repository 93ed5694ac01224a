"""Shared fixtures: a real wire-protocol MongoDB (mongoeco, or MONGODB_URI), the machine's Redis.

Every test gets its own database names and Redis key prefix, so tests never see each
other's data and several test runs can share one Redis.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from cspm.core.container import ServiceContainer
from cspm.core.database.embedded import MongoEcoServer
from cspm.core.database.registry import ENV_VARIABLES
from cspm.core.settings import CoreSettings, DatabaseNameSettings, EmbeddedEngine
from cspm.main import create_app
from cspm.scanners.executors.factory import ScannerExecutorFactory
from cspm.scanners.settings import ScannerSettings

pytest_plugins = ["tests.auth_helpers"]

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# This machine (and CI) has no route to Trivy's vulnerability database: scan offline, as
# an air-gapped deployment does (misconfigurations and secrets with the embedded checks).
os.environ.setdefault("SCANNER_TRIVY_OFFLINE", "true")
# Every app start would load the shipped KEV catalogue (1,404 documents) into each test's own
# database: seconds per test on the stand-in. Threat-intel tests load it where they need it.
os.environ.setdefault("KEV_BASELINE_AT_STARTUP", "false")
# The suite works on the 86-control baseline; tests/compliance/test_bundled_workbook.py turns the
# first-start import of the bundled SCF workbook on for itself.
os.environ.setdefault("COMPLIANCE_IMPORT_BUNDLED_WORKBOOK", "false")
# An AI-SOC run after every import of every test would index the knowledge corpus per test database;
# the AI-SOC tests turn it back on (container.override) where it is the point.
os.environ.setdefault("AI_SOC_RUN_AFTER_INGEST", "false")
# The suite scans servers it starts on 127.0.0.1, and nothing else: that one address is allowed
# explicitly (the default, "public", would refuse loopback and allow the internet). Forced, not a
# default, so no environment can widen it; in-process and Celery workers read it from here too.
TEST_NETWORK_ALLOWLIST = "127.0.0.1/32"
os.environ["SCANNER_NETWORK_ALLOWLIST"] = TEST_NETWORK_ALLOWLIST
# The real scanner reports and the SCF workbook live in shared/, beside the repository (the
# work tree and CI's clone both have it there); CSPM_SHARED_DIR points elsewhere.
SHARED = Path(os.environ.get("CSPM_SHARED_DIR") or Path(__file__).resolve().parents[3] / "shared")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        # Only a runner that cannot have the files (GitHub) may declare them optional.
        if os.environ.get("CSPM_SHARED_OPTIONAL") == "true":
            pytest.skip(f"shared/ (real scanner reports, SCF workbook) not available at {SHARED}")
        pytest.fail(f"shared/ folder with real scanner reports not found at {SHARED} (set CSPM_SHARED_DIR)")
    return SHARED


@pytest.fixture(scope="session")
def mongo_uri() -> Iterator[str]:
    """A real MongoDB when MONGODB_URI is given (GitHub workflow), otherwise the mongoeco wire server."""
    external = os.environ.get("MONGODB_URI")
    if external:
        yield external
        return
    server = MongoEcoServer(EmbeddedEngine.MEMORY, Path("/tmp"))
    uri = server.start()
    yield uri
    server.stop()


class StaticResolver:
    """Answers host names from a fixed table, like a hosts file, and never asks DNS: resolve and
    refuse checks in tests send nothing anywhere. Other names do not resolve."""

    def __init__(self, table: Mapping[str, Sequence[str]] | None = None) -> None:
        self.table: dict[str, Sequence[str]] = dict(TEST_HOSTS if table is None else table)
        self.asked: list[str] = []

    def __call__(self, name: str) -> Sequence[str]:
        self.asked.append(name)
        try:
            return self.table[name]
        except KeyError:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None


# Never connected to: public-looking names resolve to documentation or example addresses.
TEST_HOSTS: dict[str, tuple[str, ...]] = {
    "localhost": ("127.0.0.1", "::1"),
    "example.com": ("93.184.215.14",),
    "app.example.com": ("93.184.215.14",),
    "shop.example.com": ("93.184.215.14",),
}


def scanner_test_settings(**overrides: object) -> ScannerSettings:
    """Scanner settings for tests: the loopback-only allow-list, stated explicitly."""
    return ScannerSettings(**{"network_allowlist": [TEST_NETWORK_ALLOWLIST], **overrides})  # type: ignore[arg-type]


def make_settings(tmp_path: Path, mongo_uri: str | None, **overrides: object) -> CoreSettings:
    values: dict[str, object] = {
        "environment": "test",
        "mongodb_uri": SecretStr(mongo_uri) if mongo_uri else None,
        "redis_url": SecretStr(TEST_REDIS_URL),
        "redis_key_prefix": f"test-{uuid.uuid4().hex[:12]}:",
        "data_dir": tmp_path / "data",
        "jwt_secret": SecretStr("t" * 48),
        "fernet_keys": [SecretStr(Fernet.generate_key().decode())],
        "celery_always_in_process": True,
        "log_json": True,
        # The suite's mongoeco stand-in answers on a thread of the test process: on a loaded machine
        # it can be starved for longer than a real server's 5 s (seen: ServerSelectionTimeoutError).
        "mongodb_timeout_ms": 120_000,
    }
    values.update(overrides)
    return CoreSettings.model_construct(**values)  # type: ignore[arg-type]


def unique_database_names() -> DatabaseNameSettings:
    suffix = uuid.uuid4().hex[:10]
    fields = {variable.lower(): f"t{suffix}_{variable.lower().removesuffix('_db_name')}"
              for variable in ENV_VARIABLES.values()}
    return DatabaseNameSettings.model_construct(**fields)


@pytest.fixture
def settings(tmp_path: Path, mongo_uri: str) -> CoreSettings:
    return make_settings(tmp_path, mongo_uri)


@pytest.fixture
async def container(settings: CoreSettings) -> AsyncIterator[ServiceContainer]:
    container = ServiceContainer(settings, database_names=unique_database_names())
    # Target validation resolves host names: from a fixed table here, never the machine's DNS.
    container.override(ScannerExecutorFactory, ScannerExecutorFactory(settings, scanner_test_settings(),
                                                                      resolver=StaticResolver()))
    await container.start()
    yield container
    await container.stop()


@pytest.fixture
async def app(container: ServiceContainer):
    application = create_app(container=container)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.10", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
