"""Key risk indicators: definitions as data (metric, scope filter, thresholds), values computed from live data.

Each metric reads the platform's own data (findings, the compliance engine's control states, scan
runs, threat intelligence's KEV flags on findings) for the team and the definition's scope. A value
is green, amber or red by the thresholds (``higher_is_worse`` or ``lower_is_worse``); every
computation is kept (the sparkline), and a KRI turning red records a ``kri_red`` risk event, the
register's drift-style event. A metric whose source module is absent answers ``unavailable``
with the reason instead of a number.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Self

from cspm.audit.service import AuditService
from cspm.compliance.registry_service import CommonControlRegistryService
from cspm.compliance.repository import POSTURE_DB, STATES
from cspm.core.container import ServiceContainer
from cspm.core.database.registry import Database
from cspm.core.errors import Conflict
from cspm.core.events import KRI_RED
from cspm.risks.models import KriMetric
from cspm.risks.repository import EVENTS, KRI_VALUES, KRIS, FindingView, ReadOnlyView, TeamDocuments
from cspm.risks.settings import RiskSettings
from cspm.teams.service import TeamService

ACTIVE = ["open", "reopened"]
DAY = 86_400.0
THREAT_INTEL_MISSING = "threat intelligence not available"


def status_of(value: float, thresholds: Mapping[str, Any]) -> str:
    if thresholds.get("direction", "higher_is_worse") == "higher_is_worse":
        return "red" if value >= thresholds["red"] else "amber" if value >= thresholds["amber"] else "green"
    return "red" if value <= thresholds["red"] else "amber" if value <= thresholds["amber"] else "green"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class KriService:
    def __init__(self, container: ServiceContainer, settings: RiskSettings, audit: AuditService) -> None:
        database = container.database.db(Database.RISK_MANAGEMENT)
        self.container = container
        self.settings = settings
        self.audit = audit
        self.kris = TeamDocuments(database, KRIS, "KRI")
        self.values = TeamDocuments(database, KRI_VALUES, "KRI value")
        self.events = TeamDocuments(database, EVENTS, "risk event")
        self.findings = FindingView(container.database.db(Database.SECURITY_SCANS))
        self.states = ReadOnlyView(container.database.db(POSTURE_DB), STATES)
        self.runs = ReadOnlyView(container.database.db(Database.ORCHESTRATION), "scan_runs")
        self.targets = ReadOnlyView(container.database.db(Database.ORCHESTRATION), "scan_targets")
        self.kev = container.database.db(Database.THREAT_INTELLIGENCE)["kev_catalogue"]

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        return cls(container, container.resolve(RiskSettings), container.resolve(AuditService))

    # --- definitions ----------------------------------------------------------------------
    async def create(self, team_id: str, definition: Mapping[str, Any], *, actor: str) -> dict[str, Any]:
        if await self.kris.count(team_id, {"name": definition["name"]}):
            raise Conflict(f"a KRI named {definition['name']!r} exists")
        kri_id = await self.kris.insert(team_id, {**definition, "created_by": actor, "created_at": datetime.now(UTC),
                                                  "value": None, "status": "not_computed", "note": None,
                                                  "computed_at": None})
        await self.audit.record("risk.kri_created", actor_id=actor, team_id=team_id, target_type="kri",
                                target_id=kri_id, target_name=definition["name"],
                                details={"metric": definition["metric"]})
        await self.compute(team_id, kri_ids=[kri_id])
        return await self.get(team_id, kri_id)

    async def delete(self, team_id: str, kri_id: str, *, actor: str) -> None:
        kri = await self.kris.get(team_id, kri_id, what="KRI")
        await self.kris.delete(team_id, kri_id)
        await self.audit.record("risk.kri_deleted", actor_id=actor, team_id=team_id, target_type="kri",
                                target_id=kri_id, target_name=kri["name"])

    async def get(self, team_id: str, kri_id: str) -> dict[str, Any]:
        kri = await self.kris.get(team_id, kri_id, what="KRI")
        return await self._with_history(team_id, kri)

    async def list_kris(self, team_id: str) -> list[dict[str, Any]]:
        return [await self._with_history(team_id, kri) for kri in await self.kris.find(team_id, sort=[("name", 1)])]

    async def _with_history(self, team_id: str, kri: Mapping[str, Any]) -> dict[str, Any]:
        points = await self.values.find(team_id, {"kri_id": str(kri["_id"])}, sort=[("at", -1)],
                                        limit=self.settings.kri_history_points)
        return {**kri, "id": str(kri["_id"]), "history": [{"at": p["at"], "value": p["value"], "status": p["status"]}
                                                          for p in reversed(points)]}

    # --- computation ----------------------------------------------------------------------
    async def compute(self, team_id: str, *, kri_ids: list[str] | None = None,
                      now: datetime | None = None) -> list[dict[str, Any]]:
        now = now or datetime.now(UTC)
        query = {"_id": {"$in": [self.kris.object_id(value, "KRI") for value in kri_ids]}} if kri_ids else {}
        results = []
        for kri in await self.kris.find(team_id, query):
            value, note = await self.measure(team_id, kri["metric"], kri.get("scope") or {}, now)
            status = "unavailable" if value is None else status_of(value, kri["thresholds"])
            await self.kris.update(team_id, str(kri["_id"]), {"value": value, "status": status, "note": note,
                                                              "computed_at": now})
            if value is not None:
                await self.values.insert(team_id, {"kri_id": str(kri["_id"]), "at": now, "value": value,
                                                   "status": status})
            if status == "red" and kri.get("status") != "red":
                await self.events.insert(team_id, {
                    "at": now, "kind": "kri_red", "kri_id": str(kri["_id"]), "owner": None,
                    "detail": f"KRI {kri['name']} turned red: {value:g} (red at {kri['thresholds']['red']:g})"})
                # A drift-style event on the bus: integrations route it to the team's channels.
                await self.container.events.publish(KRI_RED, team_id=team_id, kri_id=str(kri["_id"]),
                                                    name=kri["name"], value=value,
                                                    threshold=kri["thresholds"]["red"], risk_id=kri.get("risk_id"))
            results.append({"id": str(kri["_id"]), "value": value, "status": status, "note": note})
        return results

    async def compute_all(self) -> int:
        """Every team's KRIs (the scheduled job); a team that switched the register off is skipped."""
        done = 0
        for team_id in await self.kris.teams():
            if "risks" in await self.container.resolve(TeamService).disabled_modules(team_id=team_id):
                continue
            done += len(await self.compute(team_id))
        return done

    async def measure(self, team_id: str, metric: str, scope: Mapping[str, Any],
                      now: datetime) -> tuple[float | None, str | None]:
        """One metric's value for a team and scope, or None with the reason it cannot be computed."""
        findings_scope: dict[str, Any] = {key: scope[key] for key in ("source_tool", "scope_key") if scope.get(key)}
        if metric == KriMetric.OPEN_PAST_SLA:
            query = {**findings_scope, "status": {"$in": ACTIVE}, "result": "fail",
                     "severity": scope.get("severity") or "critical", "sla_due_at": {"$ne": None, "$lt": now}}
            return float(await self.findings.count(team_id, query)), None
        if metric == KriMetric.MTTR_DAYS:
            resolved = await self.findings.find(team_id, {**findings_scope, "status": "resolved",
                                                          "severity": scope.get("severity") or "high",
                                                          "resolved_at": {"$ne": None}},
                                                projection={"first_seen": 1, "resolved_at": 1}, limit=10_000)
            spans = [(_aware(f["resolved_at"]) - _aware(f["first_seen"])).total_seconds() / DAY
                     for f in resolved if isinstance(f.get("first_seen"), datetime)]
            return (round(sum(spans) / len(spans), 2), None) if spans else (None, "no resolved finding in scope yet")
        if metric == KriMetric.CONTROLS_IMPLEMENTED_PCT:
            return await self._controls_implemented(team_id, scope.get("framework_id"))
        if metric == KriMetric.KEV_OPEN:
            if "threat_intel" in await self.container.resolve(TeamService).disabled_modules(team_id=team_id) or \
                    await self.kev.count_documents({}, limit=1) == 0:
                return None, THREAT_INTEL_MISSING
            query = {**findings_scope, "status": {"$in": ACTIVE}, "result": "fail", "kev": {"$exists": True}}
            return float(await self.findings.count(team_id, query)), None
        if metric == KriMetric.DAYS_SINCE_SCAN:
            return await self._days_since_scan(team_id, scope.get("target_id"), now)
        return None, f"unknown metric {metric}"

    async def _controls_implemented(self, team_id: str, framework_id: str | None) -> tuple[float | None, str | None]:
        states = await self.states.find(team_id, projection={"scf_id": 1, "status": 1})
        if framework_id:
            registry = await self.container.resolve(CommonControlRegistryService).registry()
            framework = registry.frameworks.get(framework_id)
            if framework is None:
                return None, f"framework {framework_id} is not in the active SCF registry"
            wanted = {scf for requirement in framework.requirements.values() for scf in requirement.scf_ids}
            states = [state for state in states if state["scf_id"] in wanted]
        mapped = [state for state in states if state["status"] not in ("not_applicable", "not_assessed")]
        if not mapped:
            return None, "no assessed SCF control yet (no scan or attestation mapped to a control)"
        implemented = sum(1 for state in mapped if state["status"] == "implemented")
        return round(100.0 * implemented / len(mapped), 1), None

    async def _days_since_scan(self, team_id: str, target_id: str | None,
                               now: datetime) -> tuple[float | None, str | None]:
        targets = await self.targets.find(team_id, {"_id": self.targets.object_id(target_id, "target")}
                                          if target_id else {}, projection={"name": 1}, limit=1000)
        if not targets:
            return None, "no scan target in scope"
        stalest = 0.0
        for target in targets:
            runs = await self.runs.find(team_id, {"target.id": str(target["_id"]), "state": "succeeded"},
                                        sort=[("finished_at", -1)], limit=1, projection={"finished_at": 1})
            if not runs or not runs[0].get("finished_at"):
                return None, f"target {target.get('name')} has never been scanned successfully"
            stalest = max(stalest, (now - _aware(runs[0]["finished_at"])).total_seconds() / DAY)
        return round(stalest, 2), None
