"""Data access for compliance: the global SCF registry and each team's control posture.

Where things live:
- The SCF registry is reference knowledge shared by every team: ``Database.KNOWLEDGE_BASE``
  (``scf_registry_versions``, ``scf_controls``, ``scf_frameworks``, and the one-document
  ``scf_registry_pointer`` naming the active version). An import writes a complete new
  version next to the active one and then switches the pointer with a single-document
  update, which MongoDB applies atomically without multi-document transactions: readers
  see the old registry or the new one, never a mix, and a failed import leaves the pointer
  (and so the registry) unchanged.
- Team posture is team data: ``Database.ASSESSMENTS`` (control states, finding→control
  links, attestations from other modules such as assessment answers, status history,
  snapshots, drift events). Every query goes through
  ``TeamScopedRepository.scoped(team_id, ...)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.errors import DuplicateKeyError

from cspm.core.database.batching import chunked
from cspm.core.database.indexes import IndexSpec
from cspm.core.database.manager import CSPMDatabaseManager
from cspm.core.database.registry import Database
from cspm.core.database.writes import NewDocument, insert_new, update_each
from cspm.core.repository import TeamScopedRepository

REGISTRY_DB = Database.KNOWLEDGE_BASE
POSTURE_DB = Database.ASSESSMENTS

VERSIONS = "scf_registry_versions"
POINTER = "scf_registry_pointer"
CONTROLS = "scf_controls"
FRAMEWORKS = "scf_frameworks"
STATES = "compliance_control_states"
LINKS = "compliance_finding_links"
HISTORY = "compliance_status_history"
SNAPSHOTS = "compliance_snapshots"
DRIFT = "compliance_drift_events"
REFRESHES = "compliance_team_refreshes"
ATTESTATIONS = "compliance_attestations"
REQUIREMENT_EVIDENCE = "compliance_requirement_evidence"
REPORTS = "compliance_framework_reports"

ACTIVE_POINTER_ID = "active"
IMPORT_LOCK_ID = "import-lock"
IMPORT_LOCK_SECONDS = 1800
INSERT_BATCH = 100

INDEXES: tuple[IndexSpec, ...] = (
    # Registry documents are keyed "<version>:<id>" in _id, which already makes them unique.
    IndexSpec(REGISTRY_DB, CONTROLS, [("version_id", ASCENDING)], "idx_version"),
    IndexSpec(REGISTRY_DB, FRAMEWORKS, [("version_id", ASCENDING)], "idx_version"),
    IndexSpec(POSTURE_DB, STATES, [("team_id", ASCENDING), ("scf_id", ASCENDING)], "idx_team_control_unique",
              unique=True),
    IndexSpec(POSTURE_DB, LINKS, [("team_id", ASCENDING), ("dedup_key", ASCENDING)], "idx_team_finding_unique",
              unique=True),
    IndexSpec(POSTURE_DB, LINKS, [("team_id", ASCENDING), ("scf_ids", ASCENDING)], "idx_team_controls"),
    IndexSpec(POSTURE_DB, LINKS, [("team_id", ASCENDING), ("direct.ref", ASCENDING)], "idx_team_requirements"),
    IndexSpec(POSTURE_DB, REQUIREMENT_EVIDENCE, [("team_id", ASCENDING), ("ref", ASCENDING)],
              "idx_team_requirement_unique", unique=True),
    IndexSpec(POSTURE_DB, REQUIREMENT_EVIDENCE, [("team_id", ASCENDING), ("framework_id", ASCENDING)],
              "idx_team_framework"),
    IndexSpec(POSTURE_DB, HISTORY, [("team_id", ASCENDING), ("scf_id", ASCENDING), ("at", DESCENDING)],
              "idx_team_control_at"),
    IndexSpec(POSTURE_DB, SNAPSHOTS, [("team_id", ASCENDING), ("taken_at", DESCENDING)], "idx_team_taken_at"),
    IndexSpec(POSTURE_DB, DRIFT, [("team_id", ASCENDING), ("at", DESCENDING)], "idx_team_at"),
    IndexSpec(POSTURE_DB, REFRESHES, [("team_id", ASCENDING)], "idx_team_refresh_unique", unique=True),
    IndexSpec(POSTURE_DB, REPORTS, [("team_id", ASCENDING), ("framework_id", ASCENDING), ("generated_at", DESCENDING)],
              "idx_team_framework_reports"),
    IndexSpec(POSTURE_DB, DRIFT, [("team_id", ASCENDING), ("kind", ASCENDING), ("at", DESCENDING)],
              "idx_team_kind_at"),
    IndexSpec(POSTURE_DB, ATTESTATIONS, [("team_id", ASCENDING), ("key", ASCENDING)], "idx_team_key_unique",
              unique=True),
    IndexSpec(POSTURE_DB, ATTESTATIONS, [("team_id", ASCENDING), ("scf_ids", ASCENDING)], "idx_team_controls"),
    IndexSpec(POSTURE_DB, ATTESTATIONS, [("team_id", ASCENDING), ("source_id", ASCENDING)], "idx_team_source"),
)


def now() -> datetime:
    return datetime.now(UTC)


class ImportInProgress(RuntimeError):
    pass


class RegistryRepository:
    """The global SCF registry (not team data: no team filter, written only by imports)."""

    def __init__(self, manager: CSPMDatabaseManager) -> None:
        self.manager = manager

    def _db(self) -> Any:
        return self.manager.db(REGISTRY_DB)

    async def active_pointer(self) -> dict[str, Any] | None:
        return await self._db()[POINTER].find_one({"_id": ACTIVE_POINTER_ID})

    async def version(self, version_id: str) -> dict[str, Any] | None:
        return await self._db()[VERSIONS].find_one({"_id": version_id})

    async def versions(self, limit: int = 20) -> list[dict[str, Any]]:
        cursor = self._db()[VERSIONS].find({}, {"skipped_columns": 0}).sort("started_at", DESCENDING).limit(limit)
        return await cursor.to_list()

    async def controls(self, version_id: str) -> list[dict[str, Any]]:
        return await self._db()[CONTROLS].find({"version_id": version_id}).to_list()

    async def frameworks(self, version_id: str) -> list[dict[str, Any]]:
        return await self._db()[FRAMEWORKS].find({"version_id": version_id}).to_list()

    # --- import -----------------------------------------------------------------------
    async def acquire_import_lock(self, owner: str) -> None:
        pointers = self._db()[POINTER]
        stale = datetime.fromtimestamp(now().timestamp() - IMPORT_LOCK_SECONDS, UTC)
        await pointers.delete_one({"_id": IMPORT_LOCK_ID, "at": {"$lt": stale}})
        try:
            await pointers.insert_one({"_id": IMPORT_LOCK_ID, "owner": owner, "at": now()})
        except DuplicateKeyError:
            raise ImportInProgress("another SCF import is running; try again when it has finished") from None

    async def release_import_lock(self, owner: str) -> None:
        await self._db()[POINTER].delete_one({"_id": IMPORT_LOCK_ID, "owner": owner})

    async def create_version(self, document: Mapping[str, Any]) -> None:
        await self._db()[VERSIONS].insert_one(dict(document))

    async def insert_batches(self, collection: str, documents: Iterable[dict[str, Any]]) -> int:
        written, batch = 0, []
        for document in documents:
            batch.append(document)
            if len(batch) >= INSERT_BATCH:
                await self._db()[collection].insert_many(batch, ordered=False)
                written, batch = written + len(batch), []
        if batch:
            await self._db()[collection].insert_many(batch, ordered=False)
            written += len(batch)
        return written

    async def count(self, collection: str, version_id: str) -> int:
        return await self._db()[collection].count_documents({"version_id": version_id})

    async def mark_version(self, version_id: str, state: str, **fields: Any) -> None:
        await self._db()[VERSIONS].update_one({"_id": version_id}, {"$set": {"state": state, **fields}})

    async def switch_active(self, version_id: str) -> str | None:
        """Point readers at ``version_id`` (one atomic single-document update); returns the previous version."""
        previous = await self._db()[POINTER].find_one_and_update(
            {"_id": ACTIVE_POINTER_ID},
            {"$set": {"version_id": version_id, "switched_at": now()}},
            upsert=True,
        )
        return previous.get("version_id") if previous else None

    async def delete_version_data(self, version_id: str) -> None:
        for collection in (CONTROLS, FRAMEWORKS):
            await self._db()[collection].delete_many({"version_id": version_id})

    async def stale_versions(self, keep: Sequence[str]) -> list[str]:
        documents = await self._db()[VERSIONS].find({"_id": {"$nin": list(keep)}}, {"_id": 1, "state": 1}).to_list()
        return [document["_id"] for document in documents if document.get("state") != "importing"]


class ControlStateRepository(TeamScopedRepository):
    async def for_controls(self, team_id: str, scf_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        documents = await self.find(team_id, {"scf_id": {"$in": list(scf_ids)}})
        return {document["scf_id"]: document for document in documents}

    async def all(self, team_id: str) -> dict[str, dict[str, Any]]:
        return {document["scf_id"]: document for document in await self.find(team_id)}

    async def one(self, team_id: str, scf_id: str) -> dict[str, Any] | None:
        return await self.collection.find_one(self.scoped(team_id, {"scf_id": scf_id}))

    async def upsert_many(self, team_id: str, states: Mapping[str, Mapping[str, Any]]) -> None:
        if not states:
            return
        operations = [
            UpdateOne(self.scoped(team_id, {"scf_id": scf_id}),
                      {"$set": {**state, "team_id": team_id, "scf_id": scf_id}}, upsert=True)
            for scf_id, state in states.items()
        ]
        await self.collection.bulk_write(operations, ordered=False)

    async def with_evidence_expiring_before(self, team_id: str, moment: datetime) -> list[dict[str, Any]]:
        return await self.find(team_id, {"evidence.expires_at": {"$lt": moment}})

    async def teams(self) -> list[str]:
        """Teams that have any posture (for the daily job, which then works team by team)."""
        return [team for team in await self.collection.distinct("team_id") if isinstance(team, str)]


class RequirementEvidenceRepository(TeamScopedRepository):
    """Per framework requirement, what the tools said of it directly (their own compliance tags)."""

    async def for_framework(self, team_id: str, framework_id: str) -> dict[str, dict[str, Any]]:
        return {document["requirement_id"]: document
                for document in await self.find(team_id, {"framework_id": framework_id})}

    async def all(self, team_id: str) -> list[dict[str, Any]]:
        return await self.find(team_id, projection={"failing_findings": 0, "evidence": 0})

    async def for_refs(self, team_id: str, refs: Iterable[str]) -> dict[str, dict[str, Any]]:
        return {document["ref"]: document for document in await self.find(team_id, {"ref": {"$in": list(refs)}})}

    async def replace(self, team_id: str, states: Mapping[str, Mapping[str, Any]], deletes: Sequence[str]) -> None:
        if states:
            await self.collection.bulk_write([
                UpdateOne(self.scoped(team_id, {"ref": ref}), {"$set": {**state, "team_id": team_id, "ref": ref}},
                          upsert=True) for ref, state in states.items()], ordered=False)
        for chunk in chunked(list(deletes)):
            await self.collection.delete_many(self.scoped(team_id, {"ref": {"$in": chunk}}))


class FrameworkReportRepository(TeamScopedRepository):
    """What each framework report showed (scores, requirement states): the next report's drift section."""

    async def last(self, team_id: str, framework_id: str) -> dict[str, Any] | None:
        found = await self.find(team_id, {"framework_id": framework_id}, sort=[("generated_at", -1)], limit=1)
        return found[0] if found else None

    async def add(self, team_id: str, framework_id: str, snapshot: Mapping[str, Any], moment: datetime) -> None:
        await self.collection.insert_one(self.scoped(team_id, {**snapshot, "framework_id": framework_id,
                                                               "generated_at": moment}))


class TeamRefreshRepository(TeamScopedRepository):
    """When each team's posture was last recomputed in full (the watchdog refreshes stale ones)."""

    async def last(self, team_id: str) -> datetime | None:
        document = await self.collection.find_one(self.scoped(team_id))
        return document["refreshed_at"] if document else None

    async def mark(self, team_id: str, moment: datetime) -> None:
        await self.collection.update_one(self.scoped(team_id), {"$set": {"refreshed_at": moment}}, upsert=True)


class FindingLinkRepository(TeamScopedRepository):
    async def for_findings(self, team_id: str, dedup_keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for chunk in chunked(dedup_keys):
            found.update({document["dedup_key"]: document
                          for document in await self.find(team_id, {"dedup_key": {"$in": chunk}})})
        return found

    async def for_controls(self, team_id: str, scf_ids: Iterable[str],
                           projection: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        return await self.find(team_id, {"scf_ids": {"$in": list(scf_ids)}}, projection=projection)

    async def page_for_control(self, team_id: str, scf_id: str, *, limit: int) -> list[dict[str, Any]]:
        return await self.find(team_id, {"scf_ids": scf_id}, sort=[("severity_rank", DESCENDING),
                                                                    ("dedup_key", ASCENDING)], limit=limit)

    async def write(self, team_id: str, *, new: Mapping[str, Mapping[str, Any]],
                    changed: Mapping[str, Mapping[str, Any]], deletes: Sequence[str]) -> None:
        """Insert the links of newly mapped findings, update the ones that changed, delete the unmapped."""
        await insert_new(self.collection, [
            NewDocument(document={**document, "team_id": team_id, "dedup_key": key},
                        identity=self.scoped(team_id, {"dedup_key": key}), update_if_present={"$set": dict(document)})
            for key, document in new.items()])
        await update_each(self.collection, [(self.scoped(team_id, {"dedup_key": key}), {"$set": dict(document)})
                                            for key, document in changed.items()])
        if deletes:
            for chunk in chunked(deletes):
                await self.collection.delete_many(self.scoped(team_id, {"dedup_key": {"$in": chunk}}))

    async def all_keys(self, team_id: str) -> list[str]:
        return [document["dedup_key"] for document in await self.find(team_id, projection={"dedup_key": 1})]


class HistoryRepository(TeamScopedRepository):
    async def append(self, team_id: str, entries: Sequence[Mapping[str, Any]]) -> None:
        if entries:
            await self.collection.insert_many([{**entry, "team_id": team_id} for entry in entries])

    async def for_control(self, team_id: str, scf_id: str, limit: int = 50) -> list[dict[str, Any]]:
        return await self.find(team_id, {"scf_id": scf_id}, sort=[("at", DESCENDING)], limit=limit)


class SnapshotRepository(TeamScopedRepository):
    async def add(self, team_id: str, snapshot: Mapping[str, Any]) -> None:
        await self.collection.insert_one({**snapshot, "team_id": team_id})

    async def latest(self, team_id: str, kind: str | None = None) -> dict[str, Any] | None:
        found = await self.find(team_id, {"kind": kind} if kind else None, sort=[("taken_at", DESCENDING)], limit=1)
        return found[0] if found else None

    async def since(self, team_id: str, moment: datetime, limit: int = 400) -> list[dict[str, Any]]:
        return await self.find(team_id, {"taken_at": {"$gte": moment}}, sort=[("taken_at", DESCENDING)],
                               limit=limit, projection={"controls": 0})


class DriftEventRepository(TeamScopedRepository):
    async def add_many(self, team_id: str, events: Sequence[Mapping[str, Any]]) -> None:
        if events:
            await self.collection.insert_many([{**event, "team_id": team_id} for event in events])

    async def page(self, team_id: str, *, kind: str | None, since: datetime | None,
                   before: tuple[datetime, Any] | None, limit: int) -> list[dict[str, Any]]:
        query: dict[str, Any] = {}
        if kind:
            query["kind"] = kind
        if since:
            query["at"] = {"$gte": since}
        if before:
            at, last_id = before
            query["$or"] = [{"at": {"$lt": at}}, {"at": at, "_id": {"$lt": last_id}}]
        return await self.find(team_id, query, sort=[("at", DESCENDING), ("_id", DESCENDING)], limit=limit)


class AttestationRepository(TeamScopedRepository):
    """Statements about SCF controls made outside the scanners (an assessment answer), one per key."""

    async def for_keys(self, team_id: str, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        documents: list[dict[str, Any]] = []
        for chunk in chunked(list(keys)):
            documents += await self.find(team_id, {"key": {"$in": chunk}})
        return {document["key"]: document for document in documents}

    async def for_controls(self, team_id: str, scf_ids: Iterable[str]) -> list[dict[str, Any]]:
        return await self.find(team_id, {"scf_ids": {"$in": list(scf_ids)}}, sort=[("at", DESCENDING)])

    async def for_source(self, team_id: str, source_id: str) -> list[dict[str, Any]]:
        return await self.find(team_id, {"source_id": source_id})

    async def upsert_many(self, team_id: str, documents: Sequence[Mapping[str, Any]]) -> None:
        if not documents:
            return
        await self.collection.bulk_write([
            UpdateOne(self.scoped(team_id, {"key": document["key"]}),
                      {"$set": {**document, "team_id": team_id}}, upsert=True)
            for document in documents], ordered=False)

    async def delete_keys(self, team_id: str, keys: Sequence[str]) -> None:
        for chunk in chunked(list(keys)):
            await self.collection.delete_many(self.scoped(team_id, {"key": {"$in": chunk}}))
