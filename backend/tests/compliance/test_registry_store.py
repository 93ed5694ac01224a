"""Storing the registry: the real workbook imported into the database, atomic failure, integrity status."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cspm.compliance.registry_service import CommonControlRegistryService
from cspm.compliance.repository import CONTROLS, FRAMEWORKS, RegistryRepository
from cspm.core.database.registry import Database
from cspm.core.errors import Unprocessable
from cspm.core.integrity import ComponentState
from tests.compliance.conftest import subset


async def test_full_real_workbook_import_and_integrity(container, parsed_workbook, workbook_path):
    service = container.resolve(CommonControlRegistryService)
    before = await service.refresh()
    assert before.info.source == "baseline" and len(before.controls) == 86
    status = container.integrity.get("scf_registry")
    assert status.state is ComponentState.DEGRADED and status.mode == "built-in baseline"
    assert "SCF baseline: built-in" in status.impact

    report = await service.import_workbook(workbook_path, actor="test")
    assert report.counts == {"controls": 1090, "domains": 32, "frameworks": 192, "requirements": 22678,
                             "links": 42756}
    assert report.release == "2022.3" and report.previous_version_id is None
    assert container.integrity.get("scf_registry").state is ComponentState.OPTIMAL

    # A fresh process (new service instance) loads the same registry from the database.
    fresh = CommonControlRegistryService(container, service.repository, service.settings, service.table)
    loaded = await fresh.registry()
    assert loaded.version_id == report.version_id and loaded.counts() == parsed_workbook.counts()
    assert loaded.find_requirement("us-ssa-eiesr-8.0", "5.1").from_number
    assert loaded.control("GOV-01").title == "Security & Privacy Governance Program"


async def test_failed_import_leaves_the_registry_unchanged(container, parsed_workbook, monkeypatch, tmp_path):
    service = container.resolve(CommonControlRegistryService)
    first = await service.store(subset(parsed_workbook, ("CRY", "IAC")))
    database = container.database.db(Database.KNOWLEDGE_BASE)
    controls_before = await database[CONTROLS].count_documents({})

    # 1. Not a workbook: nothing is written at all.
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(Unprocessable, match="not an Excel"):
        await service.import_workbook(bad)

    # 2. The database fails part-way through writing the new version.
    original = RegistryRepository.insert_batches

    async def failing(self, collection, documents):
        if collection == FRAMEWORKS:
            raise RuntimeError("connection lost")
        return await original(self, collection, documents)

    monkeypatch.setattr(RegistryRepository, "insert_batches", failing)
    with pytest.raises(RuntimeError, match="connection lost"):
        await service.store(subset(parsed_workbook, ("NET", "MON")))
    monkeypatch.setattr(RegistryRepository, "insert_batches", original)

    pointer = await service.repository.active_pointer()
    assert pointer["version_id"] == first.version_id
    assert await database[CONTROLS].count_documents({}) == controls_before  # the partial version is gone
    failed = await database["scf_registry_versions"].find_one({"state": "failed"})
    assert failed is not None
    registry = await service.refresh()
    assert registry.version_id == first.version_id
    assert set(registry.domains) == {"CRY", "IAC"}
    # The import lock was released: the next import works and replaces the old version's data.
    second = await service.store(subset(parsed_workbook, ("WEB",)))
    assert second.previous_version_id == first.version_id
    assert await database[CONTROLS].count_documents({"version_id": first.version_id}) == 0
    assert set((await service.refresh()).domains) == {"WEB"}


def test_cli_import_rejects_a_wrong_file(tmp_path):
    from cspm.cli import app

    bad = tmp_path / "notes.xlsx"
    bad.write_text("hello")
    result = CliRunner().invoke(app, ["scf", "import", str(bad)])
    assert result.exit_code == 2
    assert "not an Excel .xlsx workbook" in result.output
