"""The bundled SCF workbook: a first start imports it in a background job, once."""

from __future__ import annotations

import asyncio

from cspm.compliance import routes
from cspm.compliance.registry_service import BUNDLED_WORKBOOK, CommonControlRegistryService
from cspm.compliance.tasks import import_bundled_workbook


async def test_a_first_start_imports_the_bundled_workbook_once(container, monkeypatch):
    monkeypatch.setenv("COMPLIANCE_IMPORT_BUNDLED_WORKBOOK", "true")
    registries = container.resolve(CommonControlRegistryService)
    assert BUNDLED_WORKBOOK.is_file()
    assert (await registries.registry()).info.source == "baseline"
    assert await registries.needs_bundled_import()

    await routes.on_startup(container)  # queues the job on the suite's in-process worker
    assert container.integrity.get("scf_registry").mode == "importing bundled workbook"
    for _ in range(600):  # bounded: 600 x 0.5 s
        registry = await registries.refresh()
        if registry.info.source == "workbook":
            break
        await asyncio.sleep(0.5)
    assert registry.info.source == "workbook" and registry.info.release == "2022.3"
    counts = registry.counts()
    assert counts["controls"] > 1000 and counts["frameworks"] == 192, counts
    assert container.integrity.get("scf_registry").state.value == "optimal"

    assert not await registries.needs_bundled_import()
    assert (await import_bundled_workbook(container))["imported"] is False


async def test_the_setting_keeps_the_baseline(container, monkeypatch):
    monkeypatch.setenv("COMPLIANCE_IMPORT_BUNDLED_WORKBOOK", "false")
    registries = container.resolve(CommonControlRegistryService)
    assert not await registries.needs_bundled_import()
    assert (await import_bundled_workbook(container))["imported"] is False
