"""ScanOrchestrationService: a scan run split into jobs per tool and sub-jobs per part.

States: queued → running → succeeded / failed / cancelled / timed_out, for sub-jobs
(set by the worker that runs them), and derived for jobs and runs from their sub-jobs.
The derived state and progress are cached in Redis for cheap polling; MongoDB stays the
record.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Self

from cspm.audit.service import AuditService
from cspm.core.container import ServiceContainer
from cspm.core.database.registry import Database
from cspm.core.errors import BadRequest, Conflict
from cspm.core.events import SCAN_FAILED
from cspm.scanners.base import Target, TargetKind
from cspm.scanners.invocations import default_registry
from cspm.scans.models import RunKind, RunState
from cspm.scans.partition import partition, scope_key
from cspm.scans.repository import ScanJobRepository, ScanRunRepository
from cspm.targets.service import TargetService

STATUS_CACHE_SECONDS = 24 * 3600
CANCEL_FLAG_SECONDS = 24 * 3600
QUEUE_JOBS = {"cloud": "scans.run_cloud", "container": "scans.run_container", "web": "scans.run_web",
              "network": "scans.run_network"}


def status_key(run_id: str) -> str:
    return f"scan-status:{run_id}"


def cancel_key(run_id: str) -> str:
    return f"scan-cancel:{run_id}"


def aggregate_state(states: Iterable[str]) -> RunState:
    counts = Counter(RunState(state) for state in states)
    if not counts:
        return RunState.QUEUED
    if counts[RunState.RUNNING] or (counts[RunState.QUEUED] and sum(counts.values()) > counts[RunState.QUEUED]):
        return RunState.RUNNING
    if counts[RunState.QUEUED]:
        return RunState.QUEUED
    if counts[RunState.CANCELLED]:
        return RunState.CANCELLED
    if counts[RunState.FAILED]:
        return RunState.FAILED
    if counts[RunState.TIMED_OUT]:
        return RunState.TIMED_OUT
    return RunState.SUCCEEDED


class ScanOrchestrationService:
    def __init__(self, container: ServiceContainer, runs: ScanRunRepository, jobs: ScanJobRepository,
                 targets: TargetService, audit: AuditService) -> None:
        self.container = container
        self.runs = runs
        self.jobs = jobs
        self.targets = targets
        self.audit = audit

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        database = container.database.db(Database.ORCHESTRATION)
        return cls(container, ScanRunRepository(database), ScanJobRepository(database),
                   container.resolve(TargetService), container.resolve(AuditService))

    # --- launching ------------------------------------------------------------------------
    async def launch(self, *, team_id: str, target_id: str, actor: str, tools: list[str] | None = None,
                     trigger: str = "manual") -> dict[str, Any]:
        target_document = await self.targets.get(team_id=team_id, target_id=target_id)
        chosen = tools or target_document["tools"]
        not_configured = [tool for tool in chosen if tool not in target_document["tools"]]
        if not_configured:
            raise BadRequest(f"tool(s) {', '.join(not_configured)} are not configured for this target "
                             f"(configured: {', '.join(target_document['tools'])})")
        target = Target(TargetKind(target_document["kind"]), target_document["value"], target_document["options"])
        run = await self.start_run(team_id=team_id, target=target, tools=chosen, actor=actor, trigger=trigger,
                                   target_ref={"id": str(target_document["_id"]), "name": target_document["name"]},
                                   cloud_account_id=target_document.get("cloud_account_id"))
        await self.targets.mark_scanned(team_id=team_id, target_id=target_id, run_id=run["run_id"])
        await self.audit.record(
            "scan.launched", actor_id=actor, team_id=team_id, target_type="target",
            target_id=str(target_document["_id"]), target_name=target_document["name"],
            details={"run_id": run["run_id"], "tools": chosen, "trigger": trigger, "sub_jobs": run["sub_job_count"]})
        return await self.refresh(team_id, run["run_id"])

    async def start_run(self, *, team_id: str, target: Target, tools: list[str], actor: str, trigger: str,
                        target_ref: dict[str, str], cloud_account_id: str | None = None,
                        registry_id: str | None = None) -> dict[str, Any]:
        """Create a run of ``tools`` on ``target`` and queue its sub-jobs. ``target_ref`` names what is
        scanned (a stored target's id and name, or another module's object such as a registry image);
        its id keys the findings' scope. ``cloud_account_id`` and ``registry_id`` name where the
        credential step gets the tool's credentials when it runs; the credentials are never stored."""
        run = await self.runs.create(
            team_id, kind=RunKind.SCAN, tools=tools, requested_by=actor, scope_key=None,
            target={"id": target_ref["id"], "name": target_ref["name"], "kind": target.kind.value,
                    "value": target.value},
            extra={"trigger": trigger})
        now = datetime.now(UTC)
        registry = default_registry()
        jobs: list[dict[str, Any]] = []
        sub_jobs: list[dict[str, Any]] = []
        for tool in tools:
            job_id = uuid.uuid4().hex
            parts = partition(target, tool)
            jobs.append({"job_id": job_id, "run_id": run["run_id"], "tool": tool, "state": RunState.QUEUED.value,
                         "sub_job_count": len(parts), "created_at": now, "started_at": None, "finished_at": None})
            for part in parts:
                sub_jobs.append({
                    "sub_job_id": uuid.uuid4().hex, "job_id": job_id, "run_id": run["run_id"], "tool": tool,
                    "queue": registry.get(tool).queue, "part": part.label, "target_kind": part.target.kind.value,
                    "target_value": part.target.value, "target_options": dict(part.target.options),
                    "target_id": target_ref["id"], "cloud_account_id": cloud_account_id,
                    "registry_id": registry_id,
                    "scope_key": scope_key(tool, target_ref["id"], part),
                    "state": RunState.QUEUED.value, "attempts": 0, "created_at": now, "started_at": None,
                    "finished_at": None, "exit_code": None, "reason": None, "stderr_tail": None, "counts": {},
                    "task_id": None,
                })
        await self.jobs.insert(team_id, jobs, sub_jobs)
        for sub_job in sub_jobs:
            try:
                task_id = await self.container.dispatcher.send(
                    QUEUE_JOBS[sub_job["queue"]], {"team_id": team_id, "sub_job_id": sub_job["sub_job_id"]})
            except Exception as exc:  # noqa: BLE001 - any broker failure; recorded on the sub-job
                # Nothing will ever run what could not be queued: say so instead of leaving it "queued".
                await self.jobs.transition(team_id, sub_job["sub_job_id"], [RunState.QUEUED.value], {
                    "state": RunState.FAILED.value, "finished_at": datetime.now(UTC),
                    "reason": f"could not be queued: {type(exc).__name__}: {exc}"[:500]})
                continue
            await self.jobs.sub_jobs.update_one({"sub_job_id": sub_job["sub_job_id"]}, {"$set": {"task_id": task_id}})
        return {**run, "sub_job_count": len(sub_jobs)}

    # --- state ------------------------------------------------------------------------------
    async def refresh(self, team_id: str, run_id: str) -> dict[str, Any]:
        """Derive job and run states from the sub-jobs, store them, and cache the summary."""
        sub_jobs = await self.jobs.sub_jobs_of(team_id, run_id)
        run = await self.runs.by_run_id(team_id, run_id)
        now = datetime.now(UTC)
        for job in await self.jobs.jobs_of(team_id, run_id):
            mine = [sub for sub in sub_jobs if sub["job_id"] == job["job_id"]]
            state = aggregate_state(sub["state"] for sub in mine)
            if state.value != job["state"]:
                await self.jobs.set_job(team_id, job["job_id"], {
                    "state": state.value, "started_at": job["started_at"] or _first(mine, "started_at"),
                    "finished_at": now if state.finished else None})
        state = aggregate_state(sub["state"] for sub in sub_jobs)
        changes: dict[str, Any] = {"state": state.value, "progress": _progress(sub_jobs)}
        if state is not RunState.QUEUED and not run.get("started_at"):
            changes["started_at"] = _first(sub_jobs, "started_at") or now
        if state.finished and not run.get("finished_at"):
            changes["finished_at"] = now
            changes["counts"] = _sum_counts(sub_jobs)
            failures = [f"{sub['tool']} [{sub['part']}]: {sub['reason']}" for sub in sub_jobs
                        if sub["state"] != RunState.SUCCEEDED.value and sub.get("reason")]
            changes["error"] = "; ".join(failures)[:2000] or None
        run = await self.runs.update(team_id, run_id, changes) or run
        if "finished_at" in changes and state in (RunState.FAILED, RunState.TIMED_OUT):
            await self.container.events.publish(
                SCAN_FAILED, team_id=team_id, run_id=run_id, state=state.value,
                target_name=(run.get("target") or {}).get("name"), tools=sorted({sub["tool"] for sub in sub_jobs}),
                error=changes.get("error"))
        summary = self._summary(run, sub_jobs)
        await self.container.kv.set(status_key(run_id), json.dumps(summary, default=str), STATUS_CACHE_SECONDS)
        return run

    @staticmethod
    def _summary(run: dict[str, Any], sub_jobs: list[dict[str, Any]]) -> dict[str, Any]:
        return {"run_id": run["run_id"], "team_id": run["team_id"], "state": run["state"],
                "progress": run.get("progress") or _progress(sub_jobs),
                "sub_jobs": [{key: sub.get(key) for key in ("sub_job_id", "tool", "part", "state", "reason",
                                                            "exit_code")} for sub in sub_jobs]}

    async def cached_status(self, team_id: str, run_id: str) -> dict[str, Any]:
        """The cached summary when present (and of this team), else rebuilt from the database."""
        raw = await self.container.kv.get(status_key(run_id))
        if raw:
            summary = json.loads(raw)
            if summary.get("team_id") == team_id:
                return summary
        run = await self.runs.by_run_id(team_id, run_id)  # 404 for other teams' runs
        return self._summary(run, await self.jobs.sub_jobs_of(team_id, run_id))

    async def detail(self, *, team_id: str, run_id: str) -> dict[str, Any]:
        run = await self.runs.by_run_id(team_id, run_id)
        return {**run, "jobs": await self.jobs.jobs_of(team_id, run_id),
                "sub_jobs": await self.jobs.sub_jobs_of(team_id, run_id)}

    async def list_runs(self, *, team_id: str, limit: int = 50, target_id: str | None = None) -> list[dict[str, Any]]:
        query = {"target.id": target_id} if target_id else {}
        documents = await self.runs.find(team_id, query, sort=[("created_at", -1)], limit=limit,
                                         projection={"_id": 0})
        return documents

    async def cancel(self, *, team_id: str, run_id: str, actor: str) -> dict[str, Any]:
        run = await self.runs.by_run_id(team_id, run_id)
        if RunState(run["state"]).finished:
            raise Conflict(f"scan run already {run['state']}")
        # Running tools see the flag within a second and are stopped; queued ones never start.
        await self.container.kv.set(cancel_key(run_id), actor, CANCEL_FLAG_SECONDS)
        await self.jobs.cancel_queued(team_id, run_id, datetime.now(UTC))
        await self.runs.update(team_id, run_id, {"cancel_requested_by": actor})
        target = run.get("target") or {}
        await self.audit.record(
            "scan.cancelled", actor_id=actor, team_id=team_id, target_type="target", target_id=target.get("id"),
            target_name=target.get("name"), details={"run_id": run_id, "state_when_cancelled": run["state"]})
        return await self.refresh(team_id, run_id)


def _progress(sub_jobs: list[dict[str, Any]]) -> dict[str, int]:
    finished = sum(1 for sub in sub_jobs if RunState(sub["state"]).finished)
    return {"finished": finished, "total": len(sub_jobs),
            "running": sum(1 for sub in sub_jobs if sub["state"] == RunState.RUNNING.value)}


def _first(documents: list[dict[str, Any]], field: str) -> Any:
    values = [document[field] for document in documents if document.get(field)]
    return min(values) if values else None


def _sum_counts(sub_jobs: list[dict[str, Any]]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for sub in sub_jobs:
        total.update({key: value for key, value in (sub.get("counts") or {}).items() if isinstance(value, int)})
    return dict(total)
