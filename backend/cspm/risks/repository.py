"""Data access of the risk register (database RISK_MANAGEMENT), every query team-scoped.

Collections: ``risks`` (the register, treatment actions embedded), ``risk_history`` (every change
of a risk: who, when, what before and after), ``risk_matrices`` (one per team), ``risk_acceptances``
(requests, approvals, expiry), ``kris`` (definitions as data) and ``kri_values`` (their history),
``risk_proposals`` (suggested risks with their evidence, one per evidence key) and ``risk_events``
(KRIs turning red, linked controls regressing: drift-style events addressed to the risk owner).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from cspm.core.database.batching import chunked
from cspm.core.database.indexes import IndexSpec
from cspm.core.database.registry import Database
from cspm.core.repository import TeamDocuments, TeamScopedRepository
from cspm.findings.models import CheckResult, FindingStatus

RISKS = "risks"
HISTORY = "risk_history"
MATRICES = "risk_matrices"
ACCEPTANCES = "risk_acceptances"
KRIS = "kris"
KRI_VALUES = "kri_values"
PROPOSALS = "risk_proposals"
EVENTS = "risk_events"
RISK_FIELDS = {"dedup_key": 1, "status": 1, "title": 1, "severity": 1, "source_tool": 1, "rule_id": 1,
               "risk_acceptance": 1}
"""What the register reads of a finding (a risk made from an accepted one, the acceptance it joins)."""
DB = Database.RISK_MANAGEMENT

INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec(DB, RISKS, [("team_id", ASCENDING), ("updated_at", DESCENDING)], "idx_team_updated"),
    IndexSpec(DB, RISKS, [("team_id", ASCENDING), ("finding_keys", ASCENDING)], "idx_team_findings"),
    IndexSpec(DB, HISTORY, [("team_id", ASCENDING), ("risk_id", ASCENDING), ("at", DESCENDING)], "idx_team_risk_at"),
    IndexSpec(DB, MATRICES, [("team_id", ASCENDING)], "idx_team_matrix_unique", unique=True),
    IndexSpec(DB, ACCEPTANCES, [("team_id", ASCENDING), ("risk_id", ASCENDING)], "idx_team_risk"),
    IndexSpec(DB, ACCEPTANCES, [("state", ASCENDING), ("expires_at", ASCENDING)], "idx_state_expiry"),
    IndexSpec(DB, KRIS, [("team_id", ASCENDING), ("name", ASCENDING)], "idx_team_kri_name_unique", unique=True),
    IndexSpec(DB, KRI_VALUES, [("team_id", ASCENDING), ("kri_id", ASCENDING), ("at", DESCENDING)], "idx_team_kri_at"),
    IndexSpec(DB, PROPOSALS, [("team_id", ASCENDING), ("key", ASCENDING)], "idx_team_proposal_key_unique",
              unique=True),
    IndexSpec(DB, EVENTS, [("team_id", ASCENDING), ("at", DESCENDING)], "idx_team_at"),
)


class MatrixRepository(TeamScopedRepository):
    def __init__(self, database: AsyncDatabase) -> None:
        super().__init__(database[MATRICES])

    async def of_team(self, team_id: str) -> dict[str, Any] | None:
        return await self.collection.find_one(self.scoped(team_id), {"_id": 0, "team_id": 0})

    async def save(self, team_id: str, matrix: Mapping[str, Any]) -> None:
        await self.collection.replace_one(self.scoped(team_id), {**matrix, "team_id": team_id}, upsert=True)


class ProposalRepository(TeamDocuments):
    async def add_new(self, team_id: str, documents: Sequence[Mapping[str, Any]]) -> int:
        """Insert the proposals whose evidence key the team has not seen (open, accepted or dismissed)."""
        if not documents:
            return 0
        known = set(await self.collection.distinct("key", self.scoped(team_id, {"key": {"$in": [
            document["key"] for document in documents]}})))
        fresh = list({document["key"]: document for document in documents if document["key"] not in known}.values())
        await self.insert_many(team_id, fresh)
        return len(fresh)


class AcceptanceRepository(TeamDocuments):
    async def due(self, now: datetime, limit: int = 1000) -> list[dict[str, Any]]:
        """Across teams on purpose: the expiry job reopens every team's expired acceptances."""
        return await self.collection.find({"state": {"$in": ["requested", "approved"]},
                                           "expires_at": {"$lte": now}}).limit(limit).to_list()


class FindingView(TeamScopedRepository):
    """Read-only view of the findings module's collection (SECURITY_SCANS.findings) for KRIs, proposals, risks."""

    def __init__(self, database: AsyncDatabase) -> None:
        super().__init__(database["findings"])

    async def by_keys(self, team_id: str, dedup_keys: Sequence[str]) -> list[dict[str, Any]]:
        """The findings with these keys, the fields a risk is made from (in chunks the stores look up fast)."""
        found: list[dict[str, Any]] = []
        for chunk in chunked(dedup_keys):
            found += await self.find(team_id, {"dedup_key": {"$in": chunk}}, projection=RISK_FIELDS)
        return found

    async def accepted_among(self, team_id: str, dedup_keys: Sequence[str]) -> list[dict[str, Any]]:
        """The risk-accepted findings among these keys.

        Read as the team's accepted findings (usually few), per result so that each query is a prefix
        of the (team_id, result, status) index, and then picked by key: after a first import of 10,000
        findings, reading those 10,000 to find none accepted took seconds on the embedded store."""
        wanted = set(dedup_keys)
        accepted: list[dict[str, Any]] = []
        for result in CheckResult:
            accepted += await self.find(team_id, {"result": result.value, "status": FindingStatus.RISK_ACCEPTED.value},
                                        projection=RISK_FIELDS)
        return [finding for finding in accepted if finding["dedup_key"] in wanted]


class ReadOnlyView(TeamScopedRepository):
    """Another module's team-scoped collection, read only (scan runs, scan targets, drift events)."""

    def __init__(self, database: AsyncDatabase, collection: str) -> None:
        super().__init__(database[collection])
