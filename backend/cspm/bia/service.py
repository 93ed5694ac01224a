"""Business impact analysis: processes with dependencies and impacts over time, exercises, asset criticality.

A process's criticality tier flows to what it depends on: another process it depends on is at
least as critical (``models.effective_tiers``), and so are its assets (targets, cloud accounts,
images, hosts). ``asset_criticality`` answers that per asset for other modules (threat
intelligence's explained priority reads it through the ``asset_criticality`` provider declared in
cspm/modules.py, the AI-SOC module can call it directly). An exercise that misses its RTO publishes
BIA_EXERCISE_MISSED_RTO, which the risk register turns into a proposal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, Self

from pymongo.errors import DuplicateKeyError

from cspm.audit.service import AuditService
from cspm.bia.models import (
    IMPACT_CATEGORIES,
    IMPACT_SCALE,
    TIER_CRITICALITY,
    asset_key,
    derived_mtpd,
    effective_tiers,
    horizon_label,
)
from cspm.bia.repository import EXERCISES, PROCESSES, TEAM_SETTINGS
from cspm.bia.settings import BiaSettings
from cspm.core.container import ServiceContainer
from cspm.core.database.registry import Database
from cspm.core.errors import Conflict, Unprocessable
from cspm.core.events import BIA_CRITICALITY_CHANGED, BIA_EXERCISE_MISSED_RTO
from cspm.core.repository import TeamDocuments, TeamScopedRepository
from cspm.teams.service import TeamService

MODULE = "bia"
ACTIVE = ["open", "reopened"]


def _hours(value: float | None) -> str:
    return horizon_label(value) if value is not None else "unset"


class BiaService:
    def __init__(self, container: ServiceContainer, settings: BiaSettings, audit: AuditService) -> None:
        database = container.database.db(Database.BIA)
        self.container = container
        self.settings = settings
        self.audit = audit
        self.processes = TeamDocuments(database, PROCESSES, "business process")
        self.exercises = TeamDocuments(database, EXERCISES, "exercise")
        self.team_settings = TeamScopedRepository(database[TEAM_SETTINGS])
        self.findings = TeamScopedRepository(container.database.db(Database.SECURITY_SCANS)["findings"])

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        return cls(container, container.resolve(BiaSettings), container.resolve(AuditService))

    # --- horizons -------------------------------------------------------------------------
    async def horizons(self, team_id: str) -> list[float]:
        stored = await self.team_settings.collection.find_one(self.team_settings.scoped(team_id))
        return list(stored["horizons_hours"]) if stored else list(self.settings.default_horizons_hours)

    async def horizons_out(self, team_id: str) -> dict[str, Any]:
        hours = await self.horizons(team_id)
        return {"hours": hours, "labels": [horizon_label(value) for value in hours],
                "scale": {str(level): label for level, label in IMPACT_SCALE.items()},
                "categories": list(IMPACT_CATEGORIES), "severe_level": self.settings.severe_level}

    async def set_horizons(self, team_id: str, hours: Sequence[float], *, actor: str) -> dict[str, Any]:
        ordered = sorted(set(hours))
        if len(ordered) != len(hours):
            raise Unprocessable("time horizons must be distinct")
        await self.team_settings.collection.replace_one(self.team_settings.scoped(team_id),
                                                        {"team_id": team_id, "horizons_hours": ordered}, upsert=True)
        await self.audit.record("bia.horizons_changed", actor_id=actor, team_id=team_id, target_type="bia_settings",
                                details={"hours": ordered})
        return await self.horizons_out(team_id)

    # --- processes ------------------------------------------------------------------------
    def _checked(self, values: dict[str, Any], horizons: Sequence[float]) -> dict[str, Any]:
        """Impacts on the team's horizons, the MTPD derived from them, and RTO ≤ MTPD."""
        impacts = sorted(values.get("impacts") or [], key=lambda row: row["horizon_hours"])
        unknown = sorted({row["horizon_hours"] for row in impacts} - set(horizons))
        if unknown:
            raise Unprocessable(f"impact horizons {', '.join(_hours(h) for h in unknown)} are not the team's "
                                f"horizons ({', '.join(_hours(h) for h in horizons)})")
        if len({row["horizon_hours"] for row in impacts}) != len(impacts):
            raise Unprocessable("one impact row per horizon")
        derived = derived_mtpd(impacts, self.settings.severe_level)
        declared = values.get("mtpd_hours")
        source: str | None
        if derived is not None:
            mtpd, source = derived["hours"], f"derived: {derived['reason']}"
            if declared is not None and declared > derived["hours"]:
                raise Unprocessable(f"the declared MTPD {_hours(declared)} is longer than the impacts allow: "
                                    f"{derived['reason']}")
            if declared is not None:
                mtpd, source = declared, "declared (shorter than the derived one)"
        else:
            mtpd, source = declared, "declared" if declared is not None else None
        rto, rpo = values.get("rto_hours"), values.get("rpo_hours")
        if rto is not None and mtpd is not None and rto > mtpd:
            raise Unprocessable(f"RTO {_hours(rto)} exceeds the MTPD {_hours(mtpd)} ({source}): a recovery that "
                                f"slow outlasts the tolerable disruption")
        if rpo is not None and mtpd is not None and rpo > mtpd:
            raise Unprocessable(f"RPO {_hours(rpo)} exceeds the MTPD {_hours(mtpd)}")
        return {**values, "impacts": impacts, "mtpd_hours": mtpd, "mtpd_source": source,
                "declared_mtpd_hours": declared}

    async def _check_dependencies(self, team_id: str, values: Mapping[str, Any], own_id: str | None) -> None:
        for dependency in values.get("dependencies") or []:
            if dependency["kind"] == "process":
                if dependency["ref"] == own_id:
                    raise Unprocessable("a process cannot depend on itself")
                await self.processes.get(team_id, dependency["ref"], what="dependency process")

    async def create_process(self, team_id: str, values: dict[str, Any], *, actor: str) -> dict[str, Any]:
        await self._check_dependencies(team_id, values, None)
        now = datetime.now(UTC)
        document = {**self._checked(values, await self.horizons(team_id)), "created_at": now, "updated_at": now,
                    "created_by": actor}
        try:
            process_id = await self.processes.insert(team_id, document)
        except DuplicateKeyError:
            raise Conflict(f"a process named {values['name']!r} exists") from None
        await self.container.events.publish(BIA_CRITICALITY_CHANGED, team_id=team_id)
        await self.audit.record("bia.process_created", actor_id=actor, team_id=team_id, target_type="bia_process",
                                target_id=process_id, target_name=values["name"], details={"tier": values["tier"]})
        return await self.get_process(team_id, process_id)

    async def update_process(self, team_id: str, process_id: str, changes: Mapping[str, Any], *,
                             actor: str) -> dict[str, Any]:
        current = await self.processes.get(team_id, process_id, what="business process")
        merged = {**{key: current.get(key) for key in ("name", "owner", "description", "tier", "dependencies",
                                                         "impacts", "rto_hours", "rpo_hours")},
                  "mtpd_hours": current.get("declared_mtpd_hours"), **changes}
        await self._check_dependencies(team_id, merged, process_id)
        checked = self._checked(merged, await self.horizons(team_id))
        try:
            await self.processes.update(team_id, process_id, {**checked, "updated_at": datetime.now(UTC)})
        except DuplicateKeyError:
            raise Conflict(f"a process named {merged['name']!r} exists") from None
        if {"tier", "dependencies"} & set(changes):
            await self.container.events.publish(BIA_CRITICALITY_CHANGED, team_id=team_id)
        await self.audit.record("bia.process_updated", actor_id=actor, team_id=team_id, target_type="bia_process",
                                target_id=process_id, target_name=merged["name"], details={"fields": sorted(changes)})
        return await self.get_process(team_id, process_id)

    async def delete_process(self, team_id: str, process_id: str, *, actor: str) -> None:
        process = await self.processes.get(team_id, process_id, what="business process")
        await self.processes.delete(team_id, process_id)
        await self.container.events.publish(BIA_CRITICALITY_CHANGED, team_id=team_id)
        await self.audit.record("bia.process_deleted", actor_id=actor, team_id=team_id, target_type="bia_process",
                                target_id=process_id, target_name=process["name"])

    async def list_processes(self, team_id: str) -> list[dict[str, Any]]:
        processes = await self.processes.find(team_id, sort=[("name", 1)], limit=5000)
        tiers = effective_tiers(processes)
        return [self._out(process, tiers) for process in processes]

    async def get_process(self, team_id: str, process_id: str) -> dict[str, Any]:
        await self.processes.get(team_id, process_id, what="business process")
        return next(item for item in await self.list_processes(team_id) if item["id"] == process_id)

    @staticmethod
    def _out(process: Mapping[str, Any], tiers: Mapping[str, tuple[int, list[str]]]) -> dict[str, Any]:
        tier, names = tiers[str(process["_id"])]
        return {**process, "id": str(process["_id"]), "effective_tier": tier,
                "critical_for": [name for name in names if name != process["name"]]}

    # --- criticality for other modules ----------------------------------------------------
    async def asset_criticality(self, team_id: str, refs: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Asset key → the most critical tier of the processes depending on it, and their names.

        Keys: ``target:<id>``, ``cloud_account:<id>``, ``resource:<image or URL>``, ``host:<name>``.
        Empty when the team switched BIA off (callers fall back to what they know)."""
        if MODULE in await self.container.resolve(TeamService).disabled_modules(team_id=team_id):
            return {}
        wanted = set(refs)
        processes = await self.processes.find(team_id, {"dependencies.0": {"$exists": True}}, limit=5000)
        every = processes if all(d["kind"] != "process" for p in processes for d in p["dependencies"]) else \
            await self.processes.find(team_id, limit=5000)
        tiers = effective_tiers(every)
        found: dict[str, dict[str, Any]] = {}
        for process in processes:
            tier, names = tiers[str(process["_id"])]
            for dependency in process["dependencies"]:
                key = asset_key(dependency["kind"], dependency["ref"])
                if key is None or key not in wanted:
                    continue
                best = found.get(key)
                if best is None or tier < best["tier"]:
                    found[key] = {"ref": key, "tier": tier, "criticality": TIER_CRITICALITY[tier],
                                  "processes": [process["name"]], "via": names}
                elif tier == best["tier"] and process["name"] not in best["processes"]:
                    best["processes"].append(process["name"])
        return found

    async def processes_with_findings(self, team_id: str, severity: str) -> list[dict[str, Any]]:
        """Processes whose dependencies carry open failing findings of ``severity`` (for risk proposals)."""
        out = []
        for process in await self.list_processes(team_id):
            clauses: list[dict[str, Any]] = []
            for dependency in process.get("dependencies") or []:
                kind, ref = dependency["kind"], dependency["ref"]
                if kind == "target":
                    clauses.append({"scope_key": {"$regex": f"^[^:]+:target:{ref}(:|$)"}})
                elif kind == "cloud_account":
                    clauses.append({"resource.account": ref})
                elif kind == "image":
                    clauses.append({"resource.id": ref})
                elif kind == "host":
                    clauses.append({"resource.id": ref})
                    clauses.append({"resource.id": {"$regex": f"^{re.escape(ref)}:[0-9]+$"}})
            if not clauses:
                continue
            findings = await self.findings.find(team_id, {"status": {"$in": ACTIVE}, "result": "fail",
                                                          "severity": severity, "$or": clauses}, limit=100)
            if findings:
                out.append({"process": {"id": process["id"], "name": process["name"],
                                        "tier": process["effective_tier"]},
                            "keys": {finding["dedup_key"] for finding in findings},
                            "evidence": [{"type": "finding", "dedup_key": f["dedup_key"], "title": f.get("title"),
                                          "severity": f.get("severity"),
                                          "resource": (f.get("resource") or {}).get("id")}
                                         for f in findings[:20]]})
        return out

    async def dependency_graph(self, team_id: str) -> dict[str, Any]:
        processes = await self.list_processes(team_id)
        nodes: dict[str, dict[str, Any]] = {}
        edges: list[dict[str, Any]] = []
        for process in processes:
            nodes[f"process:{process['id']}"] = {"id": f"process:{process['id']}", "kind": "process",
                                                  "label": process["name"], "tier": process["effective_tier"]}
        for process in processes:
            for dependency in process.get("dependencies") or []:
                node = f"{dependency['kind']}:{dependency['ref']}"
                if node not in nodes:
                    nodes[node] = {"id": node, "kind": dependency["kind"],
                                   "label": dependency.get("name") or dependency["ref"],
                                   "tier": process["effective_tier"]}
                elif dependency["kind"] != "process":
                    nodes[node]["tier"] = min(nodes[node]["tier"], process["effective_tier"])
                edges.append({"from": f"process:{process['id']}", "to": node})
        return {"nodes": list(nodes.values()), "edges": edges}

    # --- exercises ------------------------------------------------------------------------
    async def record_exercise(self, team_id: str, values: Mapping[str, Any], *, actor: str) -> dict[str, Any]:
        process = await self.processes.get(team_id, values["process_id"], what="business process")
        rto = process.get("rto_hours")
        achieved = values.get("achieved_recovery_hours")
        met = None if rto is None or achieved is None else achieved <= rto
        document = {**{key: value.isoformat() if isinstance(value, date) else value for key, value in values.items()},
                    "follow_up": [{**item, "due_date": item["due_date"].isoformat() if item.get("due_date") else None}
                                  for item in values.get("follow_up") or []],
                    "process_name": process["name"], "rto_hours": rto, "met_rto": met,
                    "created_at": datetime.now(UTC), "created_by": actor}
        exercise_id = await self.exercises.insert(team_id, document)
        await self.audit.record("bia.exercise_recorded", actor_id=actor, team_id=team_id, target_type="bia_exercise",
                                target_id=exercise_id, target_name=process["name"],
                                details={"kind": values["kind"], "met_rto": met})
        if met is False:
            await self.container.events.publish(
                BIA_EXERCISE_MISSED_RTO, team_id=team_id, process_id=str(process["_id"]),
                process_name=process["name"], exercise_id=exercise_id, achieved_hours=achieved, rto_hours=rto,
                tier=int(process["tier"]))
        return {**document, "id": exercise_id}

    async def list_exercises(self, team_id: str, process_id: str | None = None) -> list[dict[str, Any]]:
        query = {"process_id": process_id} if process_id else {}
        return [{**item, "id": str(item["_id"])} for item in await self.exercises.find(
            team_id, query, sort=[("date", -1)], limit=1000)]
