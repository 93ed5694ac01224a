"""Database layer over the wire: registry, per-loop clients, cross-module references, indexes."""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid

import pytest
from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from cspm.core.container import ServiceContainer
from cspm.core.database.indexes import CORE_INDEXES, DAY_SECONDS, IndexManagementService
from cspm.core.database.manager import CROSS_MODULE_REFERENCES, CSPMDatabaseManager
from cspm.core.database.registry import (
    DEFAULT_NAMES,
    ENV_VARIABLES,
    Database,
    DatabaseRegistry,
    UnknownDatabaseError,
)
from cspm.core.settings import DatabaseNameSettings, load
from tests.conftest import unique_database_names


# --- registry --------------------------------------------------------------------------------
def test_registry_names_all_fourteen_databases_with_defaults():
    registry = DatabaseRegistry()
    assert len(Database) == 14
    assert registry.name(Database.PLATFORM) == "cspm_platform"
    assert dict(registry.items()) == dict(DEFAULT_NAMES)
    assert len(set(DEFAULT_NAMES.values())) == 14
    assert ENV_VARIABLES[Database.PLATFORM] == "DB_NAME"
    assert ENV_VARIABLES[Database.CLOUD_SECURITY] == "CLOUD_SECURITY_DB_NAME"


def test_registry_overrides_come_from_environment_variables(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for variable in ENV_VARIABLES.values():
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("DB_NAME", "acme_platform")
    monkeypatch.setenv("SECURITY_SCANS_DB_NAME", "acme_scans")
    monkeypatch.setenv("BIA_DB_NAME", "acme_bia")
    registry = DatabaseRegistry(load(DatabaseNameSettings).overrides())
    assert registry.name(Database.PLATFORM) == "acme_platform"
    assert registry.name(Database.SECURITY_SCANS) == "acme_scans"
    assert registry.name(Database.BIA) == "acme_bia"
    assert registry.name(Database.CLOUD_ASSETS) == "cspm_cloud_assets"  # not overridden
    # Overridden names resolve back to their constant.
    assert registry.resolve("acme_scans") is Database.SECURITY_SCANS


def test_registry_resolves_constants_values_and_current_names():
    registry = DatabaseRegistry()
    assert registry.resolve(Database.BIA) is Database.BIA
    assert registry.resolve("THREAT_INTELLIGENCE") is Database.THREAT_INTELLIGENCE
    assert registry.resolve("cspm_knowledge_base") is Database.KNOWLEDGE_BASE


def test_deprecated_names_resolve_with_a_warning(caplog):
    registry = DatabaseRegistry({"DB_NAME": "acme_platform"})
    with caplog.at_level(logging.WARNING, logger="cspm.core.database.registry"):
        assert registry.resolve("cspm_platform_core") is Database.PLATFORM
        assert registry.name("cspm_platform_core") == "acme_platform"
    assert registry.resolve("cspm_scans") is Database.SECURITY_SCANS
    assert registry.resolve("cspm_threat_intel") is Database.THREAT_INTELLIGENCE
    warning = next(record for record in caplog.records if record.getMessage() == "deprecated database name used")
    assert warning.deprecated == "cspm_platform_core"
    assert warning.current == "acme_platform"


def test_unknown_and_duplicate_names_are_refused():
    registry = DatabaseRegistry()
    with pytest.raises(UnknownDatabaseError, match="cspm_nothing"):
        registry.resolve("cspm_nothing")
    with pytest.raises(ValueError, match="same name"):
        DatabaseRegistry({"DB_NAME": "one", "BIA_DB_NAME": "one"})


async def test_container_uses_overridden_names(settings):
    names = unique_database_names()
    container = ServiceContainer(settings, database_names=names)
    await container.start(ensure_indexes=False)
    try:
        assert container.database.db(Database.PLATFORM).name == names.db_name
        assert container.database.db("cspm_platform_core").name == names.db_name
        assert container.database.db(Database.BIA).name == names.bia_db_name
    finally:
        await container.stop()


# --- the per-loop client accessor --------------------------------------------------------------
async def test_one_client_per_event_loop(mongo_uri):
    manager = CSPMDatabaseManager(mongo_uri, DatabaseRegistry(unique_database_names().overrides()))
    await manager.connect()
    here = manager.client()
    assert manager.client() is here

    seen: dict[str, object] = {}

    def other_thread() -> None:
        async def use() -> None:
            seen["client"] = manager.client()
            seen["same_twice"] = manager.client() is seen["client"]
            await manager.db(Database.PLATFORM)["loops"].insert_one({"loop": "thread"})
            await manager.close()

        asyncio.run(use())

    thread = threading.Thread(target=other_thread)
    thread.start()
    await asyncio.to_thread(thread.join, 30)
    assert seen["client"] is not here, "a loop must never reuse another loop's client"
    assert seen["same_twice"] is True
    # Written from the other loop, read from this one: same server, same database.
    assert await manager.db(Database.PLATFORM)["loops"].count_documents({"loop": "thread"}) == 1
    assert manager.client() is here
    await manager.close()


# --- cross-module references ---------------------------------------------------------------------
async def test_cross_module_reference_created_once_and_queried_back(container):
    manager = container.database
    finding_id, risk_id = ObjectId(), ObjectId()
    source = (Database.SECURITY_SCANS, "findings", finding_id)
    target = (Database.RISK_MANAGEMENT, "risks", risk_id)
    first = await manager.create_cross_module_reference(team_id="team-a", source=source, target=target,
                                                        relation="mitigated_by")
    second = await manager.create_cross_module_reference(team_id="team-a", source=source, target=target,
                                                         relation="mitigated_by")
    assert first == second
    stored = manager.db(Database.PLATFORM)[CROSS_MODULE_REFERENCES]
    assert stored.database.name == container.registry.name(Database.PLATFORM)
    assert await stored.count_documents({}) == 1
    document = await stored.find_one({"_id": first})
    assert document["source"] == {"database": "SECURITY_SCANS", "collection": "findings", "id": finding_id}
    assert document["target"] == {"database": "RISK_MANAGEMENT", "collection": "risks", "id": risk_id}
    assert document["created_at"].tzinfo is not None

    # Deprecated names resolve to the same endpoint, so they do not create a second link.
    again = await manager.create_cross_module_reference(
        team_id="team-a", source=("cspm_scans", "findings", finding_id), target=target, relation="mitigated_by")
    assert again == first

    other = await manager.create_cross_module_reference(team_id="team-a", source=source, target=target,
                                                        relation="tracked_in")
    assert other != first
    assert [ref["_id"] for ref in await manager.references_from(team_id="team-a", source=source)] == [first, other]
    assert [ref["_id"] for ref in await manager.references_from(team_id="team-a", source=source,
                                                               relation="tracked_in")] == [other]
    # Another team never sees the link.
    assert await manager.references_from(team_id="team-b", source=source) == []


async def test_concurrent_cross_module_references_store_one_document(container):
    manager = container.database
    source = (Database.VULNERABILITIES, "vulnerability_occurrences", "occ-1")
    target = (Database.ASSESSMENTS, "assessments", "asm-1")
    ids = await asyncio.gather(*(
        manager.create_cross_module_reference(team_id="team-c", source=source, target=target, relation="evidence")
        for _ in range(8)
    ))
    assert len(set(ids)) == 1
    stored = manager.db(Database.PLATFORM)[CROSS_MODULE_REFERENCES]
    assert await stored.count_documents({"team_id": "team-c"}) == 1


# --- indexes -------------------------------------------------------------------------------------
@pytest.fixture
async def fresh_manager(mongo_uri):
    manager = CSPMDatabaseManager(mongo_uri, DatabaseRegistry(unique_database_names().overrides()))
    await manager.connect()
    yield manager
    await manager.close()


async def test_index_creation_is_idempotent(fresh_manager):
    service = IndexManagementService(fresh_manager, retention_days=180)
    first = await service.ensure_indexes()
    assert len(first.created) == len(CORE_INDEXES)
    assert first.rebuilt == [] and first.unchanged == []
    second = await service.ensure_indexes()
    assert second.created == [] and second.rebuilt == []
    assert sorted(second.unchanged) == sorted(first.created)

    findings = fresh_manager.db(Database.SECURITY_SCANS)["findings"]
    info = await findings.index_information()
    assert info["idx_dedup_key_unique"]["unique"] is True
    assert info["idx_dedup_key_unique"]["key"] == [("team_id", 1), ("dedup_key", 1)]
    images = await fresh_manager.db(Database.CONTAINER_REGISTRY)["registry_images"].index_information()
    assert images["idx_registry_image_unique"]["key"] == [
        ("account_id", 1), ("repository_name", 1), ("image_digest", 1)]
    logs = await fresh_manager.db(Database.ORCHESTRATION)["scan_logs"].index_information()
    assert logs["idx_scan_logs_ttl"]["expireAfterSeconds"] == 180 * DAY_SECONDS


async def test_ttl_indexes_are_rebuilt_when_retention_changes(fresh_manager):
    await IndexManagementService(fresh_manager, retention_days=180).ensure_indexes()
    report = await IndexManagementService(fresh_manager, retention_days=30).ensure_indexes()
    ttl_specs = [spec for spec in CORE_INDEXES if spec.ttl_from_retention]
    assert len(report.rebuilt) == len(ttl_specs) == 3
    assert all(label.endswith("_ttl") for label in report.rebuilt)
    assert len(report.unchanged) == len(CORE_INDEXES) - len(ttl_specs)
    assert report.created == []
    for spec in ttl_specs:
        info = await fresh_manager.db(spec.database)[spec.collection].index_information()
        assert info[spec.name]["expireAfterSeconds"] == 30 * DAY_SECONDS
    # And stable again at the new retention.
    again = await IndexManagementService(fresh_manager, retention_days=30).ensure_indexes()
    assert again.rebuilt == [] and len(again.unchanged) == len(CORE_INDEXES)


async def test_duplicate_finding_is_refused_by_the_unique_index(fresh_manager):
    await IndexManagementService(fresh_manager, retention_days=180).ensure_indexes()
    findings = fresh_manager.db(Database.SECURITY_SCANS)["findings"]
    dedup_key = uuid.uuid4().hex
    await findings.insert_one({"team_id": "team-a", "dedup_key": dedup_key, "title": "first"})
    with pytest.raises(DuplicateKeyError) as caught:
        await findings.insert_one({"team_id": "team-a", "dedup_key": dedup_key, "title": "again"})
    assert caught.value.code == 11000
    assert "idx_dedup_key_unique" in str(caught.value)
    # The key is per team: another team may hold the same finding.
    await findings.insert_one({"team_id": "team-b", "dedup_key": dedup_key, "title": "other team"})
    assert await findings.count_documents({"dedup_key": dedup_key}) == 2


async def test_cross_module_reference_identity_is_unique_in_the_database(container):
    """The upsert alone can race on a real MongoDB; the unique index makes a second link impossible."""
    stored = container.database.db(Database.PLATFORM)[CROSS_MODULE_REFERENCES]
    identity = {"team_id": "team-d", "relation": "evidence",
                "source": {"database": "BIA", "collection": "processes", "id": "p-1"},
                "target": {"database": "ASSESSMENTS", "collection": "assessments", "id": "a-1"}}
    await stored.insert_one(dict(identity))
    with pytest.raises(DuplicateKeyError):
        await stored.insert_one(dict(identity))
    await stored.insert_one({**identity, "relation": "other"})


async def test_index_whose_definition_changed_is_rebuilt(fresh_manager):
    from cspm.core.database.indexes import IndexSpec

    plain = IndexSpec(Database.INTEGRATIONS, "sync_state", [("integration_id", 1)], "idx_sync_state")
    unique = IndexSpec(Database.INTEGRATIONS, "sync_state", [("integration_id", 1)], "idx_sync_state", unique=True)
    wider = IndexSpec(Database.INTEGRATIONS, "sync_state", [("integration_id", 1), ("team_id", 1)],
                      "idx_sync_state", unique=True)
    assert len((await IndexManagementService(fresh_manager, 180, [plain]).ensure_indexes()).created) == 1
    assert len((await IndexManagementService(fresh_manager, 180, [unique]).ensure_indexes()).rebuilt) == 1
    assert len((await IndexManagementService(fresh_manager, 180, [wider]).ensure_indexes()).rebuilt) == 1
    info = await fresh_manager.db(Database.INTEGRATIONS)["sync_state"].index_information()
    assert info["idx_sync_state"]["unique"] is True
    assert info["idx_sync_state"]["key"] == [("integration_id", 1), ("team_id", 1)]
    assert len((await IndexManagementService(fresh_manager, 180, [wider]).ensure_indexes()).unchanged) == 1
