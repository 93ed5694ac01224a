"""Declared indexes, created idempotently at start-up.

Every index has a name, so a second start finds it and does nothing; a TTL index whose
retention changed is rebuilt with the new expiry. Domain repositories add their own
specs (``INDEXES`` in ``<domain>/repository.py``); the ones below are the platform's
contracts that several modules rely on.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pymongo import ASCENDING, DESCENDING, IndexModel

from cspm.core.database.manager import CSPMDatabaseManager
from cspm.core.database.registry import Database

logger = logging.getLogger(__name__)

DAY_SECONDS = 86_400


@dataclass(frozen=True)
class IndexSpec:
    database: Database
    collection: str
    keys: Sequence[tuple[str, int]]
    name: str
    unique: bool = False
    ttl_from_retention: bool = False
    partial_filter: dict | None = field(default=None, hash=False)

    def model(self, retention_days: int) -> IndexModel:
        options: dict = {"name": self.name, "unique": self.unique}
        if self.ttl_from_retention:
            options["expireAfterSeconds"] = retention_days * DAY_SECONDS
        if self.partial_filter:
            options["partialFilterExpression"] = self.partial_filter
        return IndexModel(list(self.keys), **options)


CORE_INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec(Database.SECURITY_SCANS, "findings", [("team_id", ASCENDING), ("dedup_key", ASCENDING)],
              "idx_dedup_key_unique", unique=True),
    IndexSpec(Database.ORCHESTRATION, "scan_runs", [("run_id", ASCENDING)], "idx_run_id_unique", unique=True),
    IndexSpec(Database.VULNERABILITIES, "vulnerability_occurrences",
              [("team_id", ASCENDING), ("status", ASCENDING)], "idx_status"),
    IndexSpec(Database.VULNERABILITIES, "vulnerability_occurrences",
              [("team_id", ASCENDING), ("risk_score", DESCENDING)], "idx_risk_score"),
    IndexSpec(Database.CLOUD_SECURITY, "cloud_accounts", [("user_id", ASCENDING), ("provider", ASCENDING)],
              "idx_user_provider"),
    IndexSpec(Database.CLOUD_ASSETS, "asset_cache",
              [("team_id", ASCENDING), ("account_id", ASCENDING), ("resource_id", ASCENDING)],
              "idx_asset_cache_unique", unique=True),
    IndexSpec(Database.CONTAINER_REGISTRY, "registry_images",
              [("account_id", ASCENDING), ("repository_name", ASCENDING), ("image_digest", ASCENDING)],
              "idx_registry_image_unique", unique=True),
    IndexSpec(Database.KNOWLEDGE_BASE, "embedding_cache", [("content_hash", ASCENDING)],
              "idx_content_hash_unique", unique=True),
    IndexSpec(Database.INTEGRATIONS, "connection_status", [("integration_id", ASCENDING)],
              "idx_integration_id_unique", unique=True),
    # Makes create_cross_module_reference's upsert safe under concurrency (one link, never two).
    IndexSpec(Database.PLATFORM, "cross_module_references",
              [("team_id", ASCENDING), ("relation", ASCENDING), ("source", ASCENDING), ("target", ASCENDING)],
              "idx_cross_module_reference_unique", unique=True),
    # Scan data past the retention period is removed by MongoDB itself.
    IndexSpec(Database.ORCHESTRATION, "scan_logs", [("created_at", ASCENDING)], "idx_scan_logs_ttl",
              ttl_from_retention=True),
    IndexSpec(Database.SECURITY_SCANS, "raw_reports", [("created_at", ASCENDING)], "idx_raw_reports_ttl",
              ttl_from_retention=True),
    IndexSpec(Database.ORCHESTRATION, "scan_jobs", [("created_at", ASCENDING)], "idx_scan_jobs_ttl",
              ttl_from_retention=True),
)


def collect_domain_indexes(module_names: Iterable[str]) -> list[IndexSpec]:
    """The ``INDEXES`` declared by domain modules; a missing module is skipped, a broken one logged."""
    specs: list[IndexSpec] = []
    for module_name in module_names:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and module_name.startswith(exc.name):
                continue  # a domain without a repository module of its own
            logger.exception("index declarations failed to import", extra={"index_module": module_name})
            continue
        except Exception:  # its routes are reported down too; start-up goes on
            logger.exception("index declarations failed to import", extra={"index_module": module_name})
            continue
        specs.extend(getattr(module, "INDEXES", ()))
    return specs


@dataclass
class IndexReport:
    created: list[str] = field(default_factory=list)
    rebuilt: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


class IndexManagementService:
    def __init__(self, manager: CSPMDatabaseManager, retention_days: int,
                 specs: Iterable[IndexSpec] = CORE_INDEXES) -> None:
        self.manager = manager
        self.retention_days = retention_days
        self.specs = list(specs)
        names = [(spec.database, spec.collection, spec.name) for spec in self.specs]
        if len(names) != len(set(names)):
            raise ValueError("two index specs share a name on the same collection")

    def add(self, specs: Iterable[IndexSpec]) -> None:
        for spec in specs:
            if spec not in self.specs:
                self.specs.append(spec)

    async def ensure_indexes(self) -> IndexReport:
        report = IndexReport()
        for spec in self.specs:
            collection = self.manager.db(spec.database)[spec.collection]
            existing = await collection.index_information()
            label = f"{self.manager.registry.name(spec.database)}.{spec.collection}.{spec.name}"
            wanted_ttl = self.retention_days * DAY_SECONDS if spec.ttl_from_retention else None
            current = existing.get(spec.name)
            if current is not None:
                if _same_definition(current, spec, wanted_ttl):
                    report.unchanged.append(label)
                    continue
                # Same name, other definition (retention changed, or the spec was edited): creating it
                # over the old one would fail with an options conflict, so it is rebuilt.
                await collection.drop_index(spec.name)
                report.rebuilt.append(label)
            else:
                report.created.append(label)
            await collection.create_indexes([spec.model(self.retention_days)])
        logger.info("indexes ensured", extra={"indexes_created": len(report.created),
                                               "indexes_rebuilt": len(report.rebuilt),
                                               "indexes_unchanged": len(report.unchanged)})
        return report


def _direction(value: object) -> object:
    return int(value) if isinstance(value, int | float) else value  # 1 / -1 (servers may say 1.0), "text", ...


def _same_definition(current: dict, spec: IndexSpec, wanted_ttl: int | None) -> bool:
    keys = [(name, _direction(direction)) for name, direction in current.get("key", [])]
    return (keys == [(name, _direction(direction)) for name, direction in spec.keys]
            and bool(current.get("unique", False)) == spec.unique
            and current.get("expireAfterSeconds") == wanted_ttl)
