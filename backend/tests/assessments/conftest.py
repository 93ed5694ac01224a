"""Assessment fixtures: the web application the real ZAP reports scanned, as a target of the team."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from cspm.core.container import ServiceContainer
from cspm.core.settings import CoreSettings
from cspm.scanners.executors.factory import ScannerExecutorFactory
from tests.compliance.conftest import parsed_workbook, workbook_path  # noqa: F401 - the real SCF workbook fixtures
from tests.conftest import TEST_HOSTS, StaticResolver, scanner_test_settings, unique_database_names

# The host the ZAP reports of shared/scans/zap/ scanned (securecodebox's bodgeit demo). It resolves to
# loopback, the one destination the suite's allow-list admits; nothing here connects to it.
BODGEIT = "bodgeit.securecodebox-demo.svc"
BODGEIT_URL = f"http://{BODGEIT}:8080/bodgeit/"


@pytest.fixture
async def container(settings: CoreSettings) -> AsyncIterator[ServiceContainer]:
    container = ServiceContainer(settings, database_names=unique_database_names())
    container.override(ScannerExecutorFactory, ScannerExecutorFactory(
        settings, scanner_test_settings(), resolver=StaticResolver({**TEST_HOSTS, BODGEIT: ("127.0.0.1",)})))
    await container.start()
    yield container
    await container.stop()


async def web_target(client, session, *, name: str = "bodgeit shop", url: str = BODGEIT_URL) -> str:
    response = await client.post("/api/targets", headers=session.headers,
                                 json={"name": name, "kind": "web_application", "value": url})
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def import_zap(client, session, path, *, scope: str = "bodgeit") -> dict:
    response = await client.post("/api/findings/import", headers=session.headers,
                                 files={"file": (path.name, path.read_bytes(), "application/xml")},
                                 data={"tool": "zap", "scope": scope})
    assert response.status_code == 201, response.text
    return response.json()
