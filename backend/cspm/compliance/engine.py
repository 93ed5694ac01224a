"""AutonomousComplianceEngine: keeps each team's control states current as findings change.

Incremental by design. For the findings that changed (an ingest, a triage, a resolve) it
maps only those findings to controls, stores the finding → control links, and recomputes
only the controls those findings touch now or touched before: never the whole posture.

Engine status of a control, from its linked findings (active = open or reopened):
- open failing findings at or above ``COMPLIANCE_SEVERITY_THRESHOLD`` and no passing check
  → ``not_implemented``; with passing checks too → ``partially_implemented``;
- no such failure and at least one fresh passing check → ``implemented``;
- otherwise → ``not_assessed`` (failures below the threshold alone prove nothing either way).
A passing check is evidence for ``COMPLIANCE_EVIDENCE_MAX_AGE_DAYS`` after it was last seen.

Attestations (``attest``): statements other modules make about controls, such as an assessment
answer. They count beside the findings — ``implemented`` as passing evidence, ``not_implemented``
as a failure (whatever the severity threshold), ``partially_implemented`` as partial evidence
(the control is then at best partially implemented) — and appear in the control's evidence
with their source. They do not expire with ``COMPLIANCE_EVIDENCE_MAX_AGE_DAYS``: the source
withdraws or replaces them.
A manual override (with its reason) wins over the engine until it is cleared; the engine
keeps computing underneath, so clearing it shows the tools' view at once.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Self

from cspm.compliance.drift import ComplianceDriftDetectionService, StatusChange
from cspm.compliance.models import ENGINE_ACTOR, Attestation, ControlStatus
from cspm.compliance.registry import ControlRegistry
from cspm.compliance.registry_service import CommonControlRegistryService
from cspm.compliance.repository import (
    ATTESTATIONS,
    HISTORY,
    LINKS,
    POSTURE_DB,
    REFRESHES,
    REQUIREMENT_EVIDENCE,
    STATES,
    AttestationRepository,
    ControlStateRepository,
    FindingLinkRepository,
    HistoryRepository,
    RequirementEvidenceRepository,
    TeamRefreshRepository,
    now,
)
from cspm.compliance.settings import ComplianceSettings
from cspm.core.container import ServiceContainer
from cspm.core.database.batching import IN_QUERY_CHUNK, find_by_keys
from cspm.core.database.registry import Database
from cspm.core.settings import load
from cspm.findings.models import CheckResult, FindingStatus, Severity

logger = logging.getLogger(__name__)

FINDINGS_COLLECTION = "findings"
ACTIVE_STATUSES = (FindingStatus.OPEN.value, FindingStatus.REOPENED.value)
# What counts as evidence: active failures, and the checks that passed (or asked for a person),
# which ingest stores as resolved. Triaged findings (false positive, accepted, suppressed) count
# for nothing; neither does a fixed failure, which the next passing check replaces.
COUNTED = {"$or": [{"status": {"$in": list(ACTIVE_STATUSES)}},
                   {"status": FindingStatus.RESOLVED.value,
                    "result": {"$in": [CheckResult.PASS.value, CheckResult.MANUAL.value]}}]}
CHUNK = IN_QUERY_CHUNK  # controls or requirements per aggregate (bounded by the $in size every engine takes)
RELINK_BATCH = 1000  # findings re-mapped, and their links written, per round
EVIDENCE_KEEP = 10
FAILING_KEEP = 25
LINK_READ_BATCH = 2000
FINDING_FIELDS = {"dedup_key": 1, "source_tool": 1, "rule_id": 1, "title": 1, "category": 1, "cwe_ids": 1,
                  "compliance_tags": 1, "status": 1, "result": 1, "severity": 1, "severity_rank": 1,
                  "last_seen": 1, "resource": 1}


def _aware(moment: Any) -> datetime | None:
    if not isinstance(moment, datetime):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _rank(finding: Mapping[str, Any]) -> int:
    rank = finding.get("severity_rank")
    if isinstance(rank, int):
        return rank
    return Severity.from_tool(finding.get("severity"), default=Severity.INFO).rank


def _link_changed(stored: Mapping[str, Any], document: Mapping[str, Any]) -> bool:
    """Whether a re-mapped finding's link differs from the stored one (its write time aside)."""
    return any(stored.get(name) != value for name, value in document.items() if name != "updated_at")


def engine_status(failing_at_threshold: int, passing: int, partial: int = 0) -> ControlStatus:
    if failing_at_threshold:
        return ControlStatus.PARTIALLY_IMPLEMENTED if passing or partial else ControlStatus.NOT_IMPLEMENTED
    if partial:
        return ControlStatus.PARTIALLY_IMPLEMENTED
    if passing:
        return ControlStatus.IMPLEMENTED
    return ControlStatus.NOT_ASSESSED


@dataclass(frozen=True, slots=True)
class LinkKey:
    """What a finding link is counted under: its SCF controls or the requirements its tool named."""

    field: str
    unwind: str

    def values(self, link: Mapping[str, Any]) -> list[str]:
        """What the link is counted under: its SCF ids, or the refs of its direct tags."""
        listed = link.get(self.unwind) or ()
        if self.field == self.unwind:
            return [value for value in listed if isinstance(value, str)]
        leaf = self.field.removeprefix(f"{self.unwind}.")
        return [value[leaf] for value in listed if isinstance(value, Mapping) and isinstance(value.get(leaf), str)]


@dataclass(slots=True)
class _ControlFold:
    """One control's (or requirement's) counts and shown findings, folded from its links."""

    manual: int = 0
    failing: int = 0
    failing_below: int = 0
    passing: int = 0
    stale: int = 0
    failing_top: list[tuple[int, str]] = field(default_factory=list)
    evidence_top: list[tuple[datetime, str, Mapping[str, Any]]] = field(default_factory=list)

    def add(self, link: Mapping[str, Any], threshold: int, freshest: datetime) -> None:
        result, rank, key = link.get("result"), link.get("severity_rank"), str(link.get("dedup_key"))
        if result == CheckResult.MANUAL.value:
            self.manual += 1
        elif result == CheckResult.FAIL.value:
            if isinstance(rank, int) and rank >= threshold:
                self.failing += 1
                self.failing_top.append((rank, key))
                if len(self.failing_top) >= 4 * FAILING_KEEP:
                    self._trim()
            else:
                self.failing_below += 1
        elif result == CheckResult.PASS.value:
            seen = _aware(link.get("last_seen"))
            if seen is not None and seen >= freshest:
                self.passing += 1
                self.evidence_top.append((seen, key, link))
                if len(self.evidence_top) >= 4 * EVIDENCE_KEEP:
                    self._trim()
            else:
                self.stale += 1

    def _trim(self) -> None:
        # The most severe failures and the freshest passes first, ties by dedup key (a stable order).
        self.failing_top.sort(key=lambda item: (-item[0], item[1]))
        del self.failing_top[FAILING_KEEP:]
        self.evidence_top.sort(key=lambda item: (-item[0].timestamp(), item[1]))
        del self.evidence_top[EVIDENCE_KEEP:]

    def bucket(self, max_age: timedelta) -> dict[str, Any]:
        self._trim()
        return {"failing": self.failing, "failing_below": self.failing_below, "passing": self.passing,
                "stale": self.stale, "manual": self.manual,
                "failing_keys": [key for _, key in self.failing_top],
                "evidence": [{"kind": "finding", "dedup_key": key, "title": link.get("title"),
                              "source_tool": link.get("source_tool"), "last_seen": seen,
                              "expires_at": seen + max_age} for seen, key, link in self.evidence_top]}


CONTROL_KEY = LinkKey("scf_ids", "scf_ids")
REQUIREMENT_KEY = LinkKey("direct.ref", "direct")


@dataclass(slots=True)
class Affected:
    """The controls and requirement references a batch of re-mapped findings touches."""

    controls: set[str] = field(default_factory=set)
    requirements: set[str] = field(default_factory=set)

    def add(self, link: Mapping[str, Any]) -> None:
        self.controls |= set(link.get("scf_ids") or ())
        self.requirements |= {ref["ref"] for ref in link.get("direct") or ()}

    def __ior__(self, other: Affected) -> Affected:
        self.controls |= other.controls
        self.requirements |= other.requirements
        return self


class AutonomousComplianceEngine:
    def __init__(self, container: ServiceContainer, registries: CommonControlRegistryService,
                 drift: ComplianceDriftDetectionService, settings: ComplianceSettings) -> None:
        self.container = container
        self.registries = registries
        self.drift = drift
        self.settings = settings
        posture = container.database.db(POSTURE_DB)
        self.states = ControlStateRepository(posture[STATES])
        self.links = FindingLinkRepository(posture[LINKS])
        self.history = HistoryRepository(posture[HISTORY])
        self.refreshes = TeamRefreshRepository(posture[REFRESHES])
        self.attestations = AttestationRepository(posture[ATTESTATIONS])
        self.requirements = RequirementEvidenceRepository(posture[REQUIREMENT_EVIDENCE])

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        return cls(container, container.resolve(CommonControlRegistryService),
                   container.resolve(ComplianceDriftDetectionService), load(ComplianceSettings))

    def _findings(self) -> Any:
        return self.container.database.db(Database.SECURITY_SCANS)[FINDINGS_COLLECTION]

    # --- the hook ------------------------------------------------------------------------
    async def on_findings_changed(self, *, team_id: str, dedup_keys: list[str]) -> None:
        """Called by the findings module after each ingest or status change of ``team_id``."""
        if not team_id or not dedup_keys:
            return
        registry = await self.registries.registry()
        keys = list(dict.fromkeys(dedup_keys))
        started = time.perf_counter()
        affected = await self._relink_keys(team_id, keys, registry)
        relinked = time.perf_counter()
        if affected.controls:
            await self.recompute(team_id, affected.controls, registry=registry)
        recomputed = time.perf_counter()
        if affected.requirements:
            await self.recompute_requirements(team_id, affected.requirements)
        # Where a large import's compliance time goes (the event hub logs the total).
        logger.info("compliance updated", extra={
            "team_id": team_id, "findings": len(keys), "controls": len(affected.controls),
            "requirements": len(affected.requirements), "relink_ms": round(1000 * (relinked - started)),
            "controls_ms": round(1000 * (recomputed - relinked)),
            "requirements_ms": round(1000 * (time.perf_counter() - recomputed))})

    async def _relink_keys(self, team_id: str, keys: Sequence[str], registry: ControlRegistry) -> Affected:
        """Re-map the findings with these keys, a batch at a time; the links of keys no finding has are removed."""
        affected = Affected()
        seen: set[str] = set()
        async for findings in find_by_keys(self._findings(), {"team_id": team_id}, "dedup_key", keys, FINDING_FIELDS,
                                           batch_size=RELINK_BATCH):
            batch_keys = [finding["dedup_key"] for finding in findings]
            seen.update(batch_keys)
            affected |= await self._relink(team_id, batch_keys, findings, registry)
        missing = [key for key in keys if key not in seen]
        if missing:
            logger.info("changed findings not found; their links were removed",
                        extra={"team_id": team_id, "missing": len(missing)})
        for start in range(0, len(missing), RELINK_BATCH):
            affected |= await self._relink(team_id, missing[start:start + RELINK_BATCH], [], registry)
        return affected

    async def _relink(self, team_id: str, keys: Sequence[str], findings: Sequence[Mapping[str, Any]],
                      registry: ControlRegistry) -> Affected:
        """Links of ``findings`` (the stored ones among ``keys``) written, changed or removed."""
        mapper = self.registries.mapper(registry)
        direct_mapper = self.registries.direct_mapper(registry)
        previous = await self.links.for_findings(team_id, keys)
        affected = Affected()
        upserts: dict[str, dict[str, Any]] = {}
        for finding in findings:
            links = mapper.map(finding)
            direct = [ref.as_dict() for ref in direct_mapper.refs(finding)]
            key = finding["dedup_key"]
            old = previous.get(key)
            if old:
                affected.add(old)
            if not links and not direct:
                continue
            scf_ids = [link.scf_id for link in links]
            upserts[key] = {
                "scf_ids": scf_ids, "links": [link.as_dict() for link in links], "direct": direct,
                "status": finding.get("status"), "result": finding.get("result"),
                "severity": finding.get("severity"), "severity_rank": _rank(finding),
                "title": finding.get("title"), "source_tool": finding.get("source_tool"),
                "rule_id": finding.get("rule_id"), "resource_id": (finding.get("resource") or {}).get("id"),
                "last_seen": finding.get("last_seen"), "registry_version": registry.version_id,
                "updated_at": now(),
            }
        for document in upserts.values():
            affected.add(document)
        unmapped_now = [key for key in previous if key not in upserts]
        changed = {key: document for key, document in upserts.items()
                   if key in previous and _link_changed(previous[key], document)}
        await self.links.write(team_id, new={key: document for key, document in upserts.items() if key not in previous},
                               changed=changed, deletes=unmapped_now)
        return affected

    # --- recomputation -------------------------------------------------------------------
    async def recompute(self, team_id: str, scf_ids: Iterable[str], *, registry: ControlRegistry | None = None,
                        moment: datetime | None = None, reason: str = "findings changed") -> list[StatusChange]:
        """Recompute the given controls of one team from their stored links; returns status changes."""
        registry = registry or await self.registries.registry()
        wanted = sorted({scf_id for scf_id in scf_ids if scf_id in registry.controls})
        if not wanted:
            return []
        moment = moment or now()
        freshest = moment - timedelta(days=self.settings.evidence_max_age_days)
        threshold = self.settings.severity_rank
        aggregates = await self._aggregate(team_id, wanted, CONTROL_KEY, threshold=threshold, freshest=freshest)
        attested = await self._attested(team_id, wanted)
        existing = await self.states.for_controls(team_id, wanted)
        updates: dict[str, dict[str, Any]] = {}
        changes: list[StatusChange] = []
        history: list[dict[str, Any]] = []
        for scf_id in wanted:
            bucket = aggregates[scf_id]
            statements = attested.get(scf_id, {})
            said = {status: len(statements.get(status, ())) for status in
                    (ControlStatus.IMPLEMENTED, ControlStatus.PARTIALLY_IMPLEMENTED, ControlStatus.NOT_IMPLEMENTED)}
            old = existing.get(scf_id) or {}
            computed = engine_status(bucket["failing"] + said[ControlStatus.NOT_IMPLEMENTED],
                                     bucket["passing"] + said[ControlStatus.IMPLEMENTED],
                                     said[ControlStatus.PARTIALLY_IMPLEMENTED])
            override = old.get("override")
            effective = ControlStatus(override["status"]) if override else computed
            evidence = [*bucket["evidence"], *self._attestation_evidence(statements)]
            expired = self._expired(old.get("evidence") or [], evidence, moment)
            counts = {"failing": bucket["failing"], "failing_below_threshold": bucket["failing_below"],
                      "passing": bucket["passing"], "stale_passing": bucket["stale"]}
            if any(said.values()):
                counts.update({"attested_implemented": said[ControlStatus.IMPLEMENTED],
                               "attested_partially_implemented": said[ControlStatus.PARTIALLY_IMPLEMENTED],
                               "attested_not_implemented": said[ControlStatus.NOT_IMPLEMENTED]})
            state = {
                "engine_status": computed.value,
                "status": effective.value,
                "counts": counts,
                "evidence": evidence,
                "failing_findings": bucket["failing_keys"],
                "registry_version": registry.version_id,
                "updated_at": moment,
            }
            before = old.get("status", ControlStatus.NOT_ASSESSED.value)
            if not old:
                state.update({"override": None, "owner": None, "manual_evidence": []})
            if before != effective.value or not old:
                state.update({"set_at": moment, "set_by": ENGINE_ACTOR if not override else old.get("set_by")})
            if before != effective.value:
                changes.append(StatusChange(scf_id, before, effective.value, ENGINE_ACTOR, reason, expired))
                why = f"{bucket['failing']} failing ≥ threshold, {bucket['passing']} passing"
                if any(said.values()):
                    why += (f"; attested: {said[ControlStatus.IMPLEMENTED]} implemented, "
                            f"{said[ControlStatus.PARTIALLY_IMPLEMENTED]} partially, "
                            f"{said[ControlStatus.NOT_IMPLEMENTED]} not implemented")
                history.append({"scf_id": scf_id, "at": moment, "actor": ENGINE_ACTOR, "kind": "engine",
                                "from_status": before, "to_status": effective.value, "reason": why})
            elif expired:
                changes.append(StatusChange(scf_id, before, before, ENGINE_ACTOR, "evidence expired", expired))
            if old.get("engine_status") != computed.value or state["counts"] != old.get("counts") or \
                    evidence != old.get("evidence") or state["failing_findings"] != old.get("failing_findings") or \
                    before != effective.value or not old:
                updates[scf_id] = state
        await self.states.upsert_many(team_id, updates)
        await self.history.append(team_id, history)
        if changes:
            await self.drift.on_change(team_id, changes, registry=registry, moment=moment)
        return changes

    async def _aggregate(self, team_id: str, wanted: list[str], key: LinkKey, *, threshold: int,
                         freshest: datetime) -> dict[str, dict[str, Any]]:
        """Per-control (or per-requirement) counts, the failing findings and the fresh evidence to show,
        from one streamed read of the links (a control may carry tens of thousands of findings).

        The links are read once, with the few fields the counts need, and folded here: memory is the
        counters and a bounded list of the findings shown per control. (A ``$group`` with ``$topN``
        did the same in the database; the embedded store evaluates it row by row, 8 s for the two
        controls of a 10,000-finding import against well under a second to read the links.)"""
        wanted_set = set(wanted)
        folds = {item: _ControlFold() for item in wanted}
        projection = {key.unwind: 1, "result": 1, "severity_rank": 1, "last_seen": 1, "dedup_key": 1,
                      "title": 1, "source_tool": 1, "_id": 0}
        cursor = self.links.collection.find(self.links.scoped(team_id, {key.field: {"$in": wanted}, **COUNTED}),
                                            projection, batch_size=LINK_READ_BATCH)
        async for link in cursor:
            for item in key.values(link):
                if item in wanted_set:
                    folds[item].add(link, threshold, freshest)
        max_age = timedelta(days=self.settings.evidence_max_age_days)
        return {item: fold.bucket(max_age) for item, fold in folds.items()}

    async def recompute_requirements(self, team_id: str, refs: Iterable[str], *,
                                     moment: datetime | None = None) -> int:
        """Recompute what the tools said directly of these framework requirements; returns how many."""
        wanted = sorted(set(refs))
        if not wanted:
            return 0
        moment = moment or now()
        freshest = moment - timedelta(days=self.settings.evidence_max_age_days)
        tags: dict[str, dict[str, Any]] = {}
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start:start + CHUNK]
            # Threshold 0: any failing tagged check fails the requirement, whatever its severity,
            # because the tool says so (the severity threshold is the SCF path's: a low finding
            # proves little about a whole control).
            aggregates = await self._aggregate(team_id, chunk, REQUIREMENT_KEY, threshold=0, freshest=freshest)
            tags |= await self._tags_of(team_id, chunk)
            states: dict[str, dict[str, Any]] = {}
            deletes: list[str] = []
            for ref in chunk:
                bucket = aggregates[ref]
                counts = {"failing": bucket["failing"], "failing_below_threshold": bucket["failing_below"],
                          "passing": bucket["passing"], "stale_passing": bucket["stale"], "manual": bucket["manual"]}
                if not any(counts.values()) or ref not in tags:
                    deletes.append(ref)
                    continue
                states[ref] = {**tags[ref], "counts": counts, "failing_findings": bucket["failing_keys"],
                               "evidence": bucket["evidence"], "updated_at": moment}
            await self.requirements.replace(team_id, states, deletes)
        return len(wanted)

    async def _tags_of(self, team_id: str, refs: list[str]) -> dict[str, dict[str, Any]]:
        """Per requirement reference: its framework, path and the tool tags that name it (a few)."""
        pipeline: list[dict[str, Any]] = [
            {"$match": self.links.scoped(team_id, {"direct.ref": {"$in": refs}})},
            {"$project": {"direct": 1}}, {"$unwind": "$direct"}, {"$match": {"direct.ref": {"$in": refs}}},
            {"$group": {"_id": "$direct.ref", "first": {"$first": "$direct"}, "tags": {"$addToSet": "$direct.tag"}}},
        ]
        described: dict[str, dict[str, Any]] = {}
        for row in await (await self.links.collection.aggregate(pipeline)).to_list():
            first = row["first"]
            described[row["_id"]] = {
                "framework_id": first["framework_id"], "requirement_id": first["requirement_id"],
                "path": first["path"], "tags": sorted(row["tags"])[:5],
                **{name: first[name] for name in ("framework_name", "framework_source", "framework_url")
                   if name in first}}
        return described

    async def _attested(self, team_id: str, wanted: list[str]) -> dict[str, dict[str, list[dict[str, Any]]]]:
        """Per control, the attestations that name it, by the status they state (newest first)."""
        grouped: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
        for document in await self.attestations.for_controls(team_id, wanted):
            for scf_id in document.get("scf_ids") or ():
                if scf_id in wanted:
                    grouped[scf_id][document["status"]].append(document)
        return grouped

    @staticmethod
    def _attestation_evidence(statements: Mapping[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
        items = sorted((document for documents in statements.values() for document in documents),
                       key=lambda document: (document.get("at") or datetime.min.replace(tzinfo=UTC),
                                             document["key"]), reverse=True)
        return [{"kind": "attestation", "key": document["key"], "source": document.get("source"),
                 "source_id": document.get("source_id"), "status": document["status"],
                 "title": document.get("title"), "actor": document.get("actor"), "at": _aware(document.get("at")),
                 "link": document.get("link"), "expires_at": None}
                for document in items[:EVIDENCE_KEEP]]

    # --- attestations --------------------------------------------------------------------
    async def attest(self, team_id: str, attestations: Sequence[Attestation], *, withdraw: Sequence[str] = (),
                     reason: str = "attestation changed") -> list[StatusChange]:
        """Record (or replace, by key) attestations and withdraw others; recompute the controls they touch.

        The extension point for modules that know something about controls without a scanner
        (assessments): they never write the compliance collections themselves.
        """
        if not team_id:
            raise ValueError("a team id is required")
        keys = [attestation.key for attestation in attestations]
        previous = await self.attestations.for_keys(team_id, [*keys, *withdraw])
        affected = {scf_id for document in previous.values() for scf_id in document.get("scf_ids") or ()}
        affected |= {scf_id for attestation in attestations for scf_id in attestation.scf_ids}
        await self.attestations.upsert_many(team_id, [attestation.document() for attestation in attestations])
        gone = [key for key in withdraw if key not in set(keys)]
        if gone:
            await self.attestations.delete_keys(team_id, gone)
        if not affected:
            return []
        return await self.recompute(team_id, affected, reason=reason)

    async def withdraw_source(self, team_id: str, source_id: str, *, reason: str = "attestations withdrawn"
                              ) -> list[StatusChange]:
        """Withdraw every attestation of one source document (a deleted assessment)."""
        documents = await self.attestations.for_source(team_id, source_id)
        return await self.attest(team_id, [], withdraw=[document["key"] for document in documents], reason=reason)

    async def attestations_of(self, team_id: str, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        return await self.attestations.for_keys(team_id, keys)

    @staticmethod
    def _expired(old: list[Mapping[str, Any]], new: list[Mapping[str, Any]], moment: datetime) -> list[dict[str, Any]]:
        """Evidence that was listed before and has now expired (reported once, then dropped)."""
        kept = {item.get("dedup_key") for item in new if item.get("dedup_key")}
        expired = []
        for item in old:
            expires = _aware(item.get("expires_at"))
            if item.get("dedup_key") and item.get("dedup_key") not in kept and expires is not None \
                    and expires <= moment:
                expired.append({"kind": item.get("kind"), "dedup_key": item.get("dedup_key"),
                                "title": item.get("title"), "expires_at": expires})
        return expired

    async def refresh_expired_evidence(self, team_id: str, *, moment: datetime | None = None) -> list[StatusChange]:
        """Recompute the controls whose evidence has expired since their last recomputation."""
        moment = moment or now()
        stale = await self.states.with_evidence_expiring_before(team_id, moment)
        return await self.recompute(team_id, [state["scf_id"] for state in stale], moment=moment)

    async def recompute_team(self, team_id: str) -> int:
        """Re-map every linked finding of a team (after a registry import) and recompute its controls."""
        registry = await self.registries.registry()
        keys = await self.links.all_keys(team_id)
        active = await self._findings().find(
            {"team_id": team_id, "status": {"$in": list(ACTIVE_STATUSES)}}, {"dedup_key": 1}).to_list()
        keys = list(dict.fromkeys([*keys, *(finding["dedup_key"] for finding in active)]))
        affected = Affected(set((await self.states.all(team_id)).keys()))
        affected.requirements |= {document["ref"] for document in await self.requirements.all(team_id)}
        affected |= await self._relink_keys(team_id, keys, registry)
        await self.recompute(team_id, affected.controls, registry=registry)
        await self.recompute_requirements(team_id, affected.requirements)
        await self.refreshes.mark(team_id, now())
        return len(keys)

    async def refresh_stale(self, *, older_than: datetime) -> list[str]:
        """Recompute in full every team not fully recomputed since ``older_than`` (the watchdog's call)."""
        refreshed: list[str] = []
        for team_id in await self.states.teams():
            last = await self.refreshes.last(team_id)
            if last is None:
                # A team the watchdog has not seen yet: its states were computed from its first findings
                # on, so its clock starts now. (Recomputing it at once doubled the work of a team's first
                # large import, racing the import's own recompute for the store.)
                await self.refreshes.mark(team_id, now())
                continue
            if last.tzinfo is None:
                last = last.replace(tzinfo=older_than.tzinfo)
            if last < older_than:
                await self.recompute_team(team_id)
                refreshed.append(team_id)
        return refreshed

    async def counts_by_control(self, team_id: str, scf_ids: Iterable[str]) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for link in await self.links.for_controls(team_id, scf_ids, projection={"scf_ids": 1}):
            for scf_id in link.get("scf_ids") or ():
                counts[scf_id] += 1
        return counts
