"""ComplianceDriftDetectionService: snapshots of a team's posture and the drift events between them.

- On every status change (engine or person) a ``change`` snapshot records the controls that
  changed and every framework score; once a day a ``daily`` snapshot records all of them.
- Drift events: ``control_regression`` (implemented → partially/not implemented, partially →
  not), ``evidence_expired`` (a passing check or a manual evidence link past its expiry),
  ``score_below_threshold`` / ``score_above_threshold`` (a framework score crossing
  ``COMPLIANCE_SCORE_THRESHOLD`` between two snapshots), and ``assessment_contradicted`` (recorded
  by the assessments module through ``record``: a scan finding contradicts a "met" answer).
- Events are stored per team, queryable by kind and time, and counted in the
  ``cspm_compliance_drift_events`` metric by kind.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self

from cspm.compliance.crosswalk import ControlMappingEngine, FrameworkScore
from cspm.compliance.models import DriftKind, is_regression
from cspm.compliance.registry import ControlRegistry
from cspm.compliance.repository import (
    DRIFT,
    POSTURE_DB,
    SNAPSHOTS,
    STATES,
    ControlStateRepository,
    DriftEventRepository,
    SnapshotRepository,
    now,
)
from cspm.compliance.settings import ComplianceSettings
from cspm.core.container import ServiceContainer
from cspm.core.events import COMPLIANCE_DRIFTED
from cspm.core.settings import load

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StatusChange:
    scf_id: str
    before: str
    after: str
    actor: str
    reason: str
    expired_evidence: list[dict[str, Any]] = field(default_factory=list)


def scores_document(scores: Mapping[str, FrameworkScore]) -> list[dict[str, Any]]:
    return [{"framework_id": fid, "score": score.score, "satisfied": score.satisfied, "applicable": score.applicable}
            for fid, score in scores.items()]


class ComplianceDriftDetectionService:
    def __init__(self, container: ServiceContainer, settings: ComplianceSettings) -> None:
        self.container = container
        self.settings = settings
        self.crosswalk = ControlMappingEngine()
        posture = container.database.db(POSTURE_DB)
        self.snapshots = SnapshotRepository(posture[SNAPSHOTS])
        self.events = DriftEventRepository(posture[DRIFT])
        self.states = ControlStateRepository(posture[STATES])

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        return cls(container, load(ComplianceSettings))

    async def statuses(self, team_id: str) -> dict[str, str]:
        return {scf_id: state["status"] for scf_id, state in (await self.states.all(team_id)).items()}

    async def on_change(self, team_id: str, changes: Sequence[StatusChange], *, registry: ControlRegistry,
                        moment: datetime | None = None) -> list[dict[str, Any]]:
        moment = moment or now()
        events: list[dict[str, Any]] = []
        for change in changes:
            if is_regression(change.before, change.after):
                events.append({"at": moment, "kind": DriftKind.CONTROL_REGRESSION.value, "scf_id": change.scf_id,
                               "before": change.before, "after": change.after, "actor": change.actor,
                               "detail": change.reason})
            for item in change.expired_evidence:
                events.append({"at": moment, "kind": DriftKind.EVIDENCE_EXPIRED.value, "scf_id": change.scf_id,
                               "detail": f"{item.get('kind')} evidence {item.get('title') or item.get('dedup_key')} "
                                         f"expired {item['expires_at'].isoformat()}",
                               "evidence": item})
        events += await self._snapshot(team_id, "change", registry, moment,
                                       controls=[[change.scf_id, change.after] for change in changes
                                                 if change.before != change.after])
        await self._store(team_id, events)
        return events

    async def daily(self, team_id: str, *, registry: ControlRegistry, moment: datetime | None = None) -> list[dict]:
        """The daily snapshot: expired manual evidence, every control status, every framework score."""
        moment = moment or now()
        events = await self._expired_manual_evidence(team_id, moment)
        statuses = await self.statuses(team_id)
        events += await self._snapshot(team_id, "daily", registry, moment,
                                       controls=sorted([scf_id, status] for scf_id, status in statuses.items()),
                                       statuses=statuses)
        await self._store(team_id, events)
        return events

    async def record(self, team_id: str, kind: DriftKind, detail: str, *, moment: datetime | None = None,
                     **fields: Any) -> dict[str, Any]:
        """Record one drift event another module detected (an assessment answer a scan contradicts)."""
        if kind not in (DriftKind.ASSESSMENT_CONTRADICTED,):
            raise ValueError(f"{kind} events are the compliance engine's own")
        event = {**fields, "at": moment or now(), "kind": kind.value, "detail": detail}
        await self._store(team_id, [event])
        return event

    async def _snapshot(self, team_id: str, kind: str, registry: ControlRegistry, moment: datetime, *,
                        controls: list[list[str]], statuses: Mapping[str, str] | None = None) -> list[dict]:
        statuses = statuses if statuses is not None else await self.statuses(team_id)
        scores = self.crosswalk.scores(registry, statuses)
        previous = await self.snapshots.latest(team_id)
        before = {entry["framework_id"]: entry["score"] for entry in (previous or {}).get("scores", [])}
        threshold = self.settings.score_threshold
        events = []
        for framework_id, score in scores.items():
            old = before.get(framework_id, 0.0)
            new = score.score
            if old >= threshold > new:
                event_kind = DriftKind.SCORE_BELOW_THRESHOLD
            elif old < threshold <= new:
                event_kind = DriftKind.SCORE_ABOVE_THRESHOLD
            else:
                continue
            events.append({"at": moment, "kind": event_kind.value, "framework_id": framework_id, "before": old,
                           "after": new, "threshold": threshold,
                           "detail": f"{framework_id} score {old:.2%} → {new:.2%} (threshold {threshold:.0%})"})
        await self.snapshots.add(team_id, {"taken_at": moment, "kind": kind, "registry_version":
                                           registry.version_id, "controls": controls,
                                           "scores": scores_document(scores)})
        return events

    async def _expired_manual_evidence(self, team_id: str, moment: datetime) -> list[dict[str, Any]]:
        events = []
        updates: dict[str, dict[str, Any]] = {}
        for state in await self.states.find(team_id, {"manual_evidence.expires_at": {"$lte": moment}}):
            changed = False
            evidence = []
            for item in state.get("manual_evidence") or []:
                expires = item.get("expires_at")
                if isinstance(expires, datetime) and expires.tzinfo is None:
                    expires = expires.replace(tzinfo=UTC)
                if expires is not None and expires <= moment and not item.get("expired"):
                    events.append({"at": moment, "kind": DriftKind.EVIDENCE_EXPIRED.value, "scf_id": state["scf_id"],
                                   "detail": f"manual evidence {item.get('title')} expired {expires.isoformat()}",
                                   "evidence": {"kind": "link", "title": item.get("title"), "url": item.get("url"),
                                                "expires_at": expires}})
                    item = {**item, "expired": True}
                    changed = True
                evidence.append(item)
            if changed:
                updates[state["scf_id"]] = {"manual_evidence": evidence}
        await self.states.upsert_many(team_id, updates)
        return events

    async def _store(self, team_id: str, events: list[dict[str, Any]]) -> None:
        if not events:
            return
        await self.events.add_many(team_id, events)
        for event in events:
            self.container.metrics.drift_events.labels(kind=event["kind"]).inc()
        logger.info("compliance drift", extra={"team_id": team_id, "drift_events": len(events)})
        await self.container.events.publish(COMPLIANCE_DRIFTED, team_id=team_id, events=events)
