"""Unified vulnerability catalog and per-team occurrences (VULNERABILITIES database).

The catalog holds one document per advisory (CVE, GHSA, ...) whatever tool reported it;
public advisory data, so it is shared by all teams. An occurrence is advisory x asset x
package x team and mirrors the status of the finding it comes from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from cspm.core.database.batching import chunked
from cspm.core.database.indexes import IndexSpec
from cspm.core.database.registry import Database
from cspm.core.database.writes import KeyedWrite, write_keyed
from cspm.core.repository import TeamScopedRepository
from cspm.findings.models import Severity

CATALOG = "vulnerability_catalog"
OCCURRENCES = "vulnerability_occurrences"

INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec(Database.VULNERABILITIES, CATALOG, [("advisory_id", ASCENDING)], "idx_advisory_unique", unique=True),
    IndexSpec(Database.VULNERABILITIES, OCCURRENCES, [("team_id", ASCENDING), ("occurrence_key", ASCENDING)],
              "idx_occurrence_unique", unique=True),
)

_SEVERITY_BASE = {Severity.CRITICAL: 9.5, Severity.HIGH: 7.5, Severity.MEDIUM: 5.0, Severity.LOW: 2.5,
                  Severity.INFO: 0.0}


def risk_score(finding: dict[str, Any]) -> float:
    """CVSS base score (or a severity default) raised by the exploit probability, capped at 10."""
    base = finding.get("cvss_score")
    if base is None:
        base = _SEVERITY_BASE[Severity(finding["severity"])]
    epss = finding.get("epss_score") or 0.0
    return round(min(10.0, base * (1 + epss)), 2)


def is_vulnerability(finding: dict[str, Any]) -> bool:
    return bool(finding.get("package")) and (bool(finding.get("cve_ids")) or finding.get("category") == "vulnerability")


def advisory_ids(finding: dict[str, Any]) -> list[str]:
    return list(finding.get("cve_ids") or []) or [finding["rule_id"]]


def occurrence_key(advisory_id: str, finding: dict[str, Any]) -> str:
    package = finding.get("package") or {}
    parts = [advisory_id, finding["resource"]["id"], package.get("name") or "", package.get("version") or "",
             package.get("path") or ""]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _advisory_fields(finding: dict[str, Any]) -> dict[str, Any]:
    """What the catalog keeps of an advisory, from the latest finding that reported it."""
    return {"severity": finding["severity"], "cvss_score": finding.get("cvss_score"),
            "cvss_vector": finding.get("cvss_vector"), "epss_score": finding.get("epss_score"),
            "title": finding["title"], "references": finding.get("references", [])}


class VulnerabilitySync(TeamScopedRepository):
    def __init__(self, database: AsyncDatabase, findings_collection: Any) -> None:
        super().__init__(database[OCCURRENCES])
        self.catalog = database[CATALOG]
        self.findings = findings_collection

    async def sync_batch(self, team_id: str, findings: Sequence[dict[str, Any]], now: datetime,
                         statuses: dict[str, str]) -> None:
        """Upsert the catalog entries and occurrences of new or changed findings: two bulk writes."""
        vulnerable = [finding for finding in findings if is_vulnerability(finding)]
        if not vulnerable:
            return
        catalog: dict[str, dict[str, Any]] = {}
        occurrences: dict[str, KeyedWrite] = {}
        for finding in vulnerable:
            package = finding["package"]
            for advisory in advisory_ids(finding):
                entry = catalog.setdefault(advisory, {"fixed": set(), "packages": set(), "finding": finding})
                if package.get("fixed_version"):
                    entry["fixed"].add(package["fixed_version"])
                entry["packages"].add(package["name"])
                state = {"status": statuses.get(finding["dedup_key"], "open"), "risk_score": risk_score(finding),
                         "severity": finding["severity"], "finding_dedup_key": finding["dedup_key"], "last_seen": now}
                occurrences[occurrence_key(advisory, finding)] = KeyedWrite(
                    insert={"first_seen": now, "advisory_id": advisory, "asset_id": finding["resource"]["id"],
                            "asset_type": finding["resource"]["type"], "package": package, **state},
                    update={"$set": state})
        advisories: dict[str, KeyedWrite] = {}
        for advisory, entry in catalog.items():
            fields = {**_advisory_fields(entry["finding"]), "updated_at": now}
            fixed, packages = sorted(entry["fixed"]), sorted(entry["packages"])
            advisories[advisory] = KeyedWrite(
                insert={"first_seen": now, **fields, "fixed_versions": fixed, "packages": packages},
                update={"$set": fields, "$addToSet": {"fixed_versions": {"$each": fixed},
                                                      "packages": {"$each": packages}}})
        await write_keyed(self.catalog, "advisory_id", advisories)
        await write_keyed(self.collection, "occurrence_key", occurrences, scope={"team_id": team_id})

    async def mark_status(self, team_id: str, dedup_keys: Sequence[str], status: str) -> None:
        for chunk in chunked(dedup_keys):
            await self.collection.update_many(self.scoped(team_id, {"finding_dedup_key": {"$in": chunk}}),
                                              {"$set": {"status": status}})

    async def sync_pending(self, now: datetime, limit: int = 1000) -> int:
        """Findings whose occurrences were never written (a crash mid-ingest): the watchdog's repair."""
        pending = await self.findings.find({"occurrence_synced": False}).limit(limit).to_list()
        by_team: dict[str, list[dict[str, Any]]] = {}
        for finding in pending:
            by_team.setdefault(finding["team_id"], []).append(finding)
        for team_id, findings in by_team.items():
            await self.sync_batch(team_id, findings, now, {f["dedup_key"]: f["status"] for f in findings})
            for chunk in chunked([finding["dedup_key"] for finding in findings]):
                await self.findings.update_many({"team_id": team_id, "dedup_key": {"$in": chunk}},
                                                {"$set": {"occurrence_synced": True}})
        return len(pending)
