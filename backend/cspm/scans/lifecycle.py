"""Lifecycle jobs: scheduled scans, the data-sync watchdog, and data retention."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any, Self

from cspm.core.container import ServiceContainer
from cspm.core.database.batching import chunked
from cspm.core.database.registry import Database
from cspm.core.events import COMPLIANCE_STALE
from cspm.findings.service import FindingsService
from cspm.findings.vulnerabilities import VulnerabilitySync
from cspm.scans.models import RunState
from cspm.scans.repository import SCAN_JOBS, SCAN_RUNS, SUB_JOBS
from cspm.scans.service import CANCEL_FLAG_SECONDS, ScanOrchestrationService, cancel_key
from cspm.targets.repository import TargetRepository
from cspm.targets.service import next_run

logger = logging.getLogger(__name__)

STUCK_AFTER = timedelta(hours=4)
COMPLIANCE_STALE_AFTER = timedelta(hours=5)
RETENTION_BATCH = 1000
ARCHIVABLE_STATUSES = ("resolved", "false_positive")


class ScheduledScanDispatcher:
    """Launches scans of targets whose cron schedule has come (claimed first: never twice)."""

    def __init__(self, targets: TargetRepository, orchestration: ScanOrchestrationService) -> None:
        self.targets = targets
        self.orchestration = orchestration

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        return cls(TargetRepository(container.database.db(Database.ORCHESTRATION)),
                   container.resolve(ScanOrchestrationService))

    async def dispatch_due(self, now: datetime | None = None) -> int:
        now = now or datetime.now(UTC)
        launched = 0
        for target in await self.targets.due(now):
            schedule = target["schedule"]
            if not await self.targets.claim_schedule(target["team_id"], target["_id"], schedule["next_run_at"],
                                                     next_run(schedule, now)):
                continue
            try:
                await self.orchestration.launch(team_id=target["team_id"], target_id=str(target["_id"]),
                                                actor="scheduler", trigger="schedule")
                launched += 1
            except Exception:
                logger.exception("scheduled scan not launched", extra={"target": str(target["_id"])})
        return launched


class DataSyncWatchdogService:
    """Every cycle: stuck scans are ended and their workers stopped; data that did not propagate is synced."""

    def __init__(self, container: ServiceContainer, orchestration: ScanOrchestrationService,
                 vulnerabilities: VulnerabilitySync) -> None:
        self.container = container
        self.orchestration = orchestration
        self.vulnerabilities = vulnerabilities

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        findings = container.database.db(Database.SECURITY_SCANS)["findings"]
        return cls(container, container.resolve(ScanOrchestrationService),
                   VulnerabilitySync(container.database.db(Database.VULNERABILITIES), findings))

    async def run_cycle(self, now: datetime | None = None) -> dict[str, Any]:
        now = now or datetime.now(UTC)
        stuck = await self.end_stuck_scans(now)
        interrupted = await self.container.resolve(FindingsService).recover_interrupted_imports(now=now)
        synced = await self.vulnerabilities.sync_pending(now)
        failed = await self.container.events.publish(COMPLIANCE_STALE, older_than=now - COMPLIANCE_STALE_AFTER)
        report = {"stuck_sub_jobs": stuck, "interrupted_imports": interrupted, "occurrences_synced": synced,
                  "compliance_refresh_failed": failed}
        logger.info("watchdog cycle", extra=report)
        return report

    async def end_stuck_scans(self, now: datetime) -> int:
        jobs = self.orchestration.jobs
        stuck = await jobs.running_since(now - STUCK_AFTER)
        for sub_job in stuck:
            team_id = sub_job["team_id"]
            # A live worker sees the flag and kills its tool; a lost one never comes back.
            await self.container.kv.set(cancel_key(sub_job["run_id"]), "watchdog", CANCEL_FLAG_SECONDS)
            await asyncio.to_thread(self._revoke, sub_job.get("task_id"))
            await jobs.transition(team_id, sub_job["sub_job_id"], [RunState.RUNNING.value], {
                "state": RunState.TIMED_OUT.value, "finished_at": now,
                "reason": f"stuck: still running after {STUCK_AFTER.total_seconds() / 3600:.0f} h; "
                          f"worker stopped by the watchdog"})
            await self.orchestration.refresh(team_id, sub_job["run_id"])
        self.container.metrics.stuck_scans.set(len(stuck))
        return len(stuck)

    def _revoke(self, task_id: str | None) -> None:
        celery_app = getattr(self.container.dispatcher, "celery_app", None)
        if task_id and celery_app is not None:
            celery_app.control.revoke(task_id, terminate=True, signal="SIGKILL")


class RetentionService:
    """Past RETENTION_DAYS: closed findings move to an archive collection, old scan runs are purged.

    Open findings are never archived, however old: they are still true. Scan logs, raw
    reports and sub-job records also expire through TTL indexes.
    """

    def __init__(self, container: ServiceContainer) -> None:
        self.container = container
        self.retention = timedelta(days=container.settings.retention_days)

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        return cls(container)

    async def run_retention_cycle(self, now: datetime | None = None) -> dict[str, int]:
        now = now or datetime.now(UTC)
        cutoff = now - self.retention
        scans = self.container.database.db(Database.SECURITY_SCANS)
        findings, archive = scans["findings"], scans["findings_archive"]
        archived = 0
        while True:
            batch = await findings.find({"status": {"$in": list(ARCHIVABLE_STATUSES)}, "updated_at": {"$lt": cutoff}}
                                        ).limit(RETENTION_BATCH).to_list()
            if not batch:
                break
            # Copy first, then delete: a crash in between leaves a duplicate, never a loss.
            await archive.insert_many([{**document, "archived_at": now} for document in batch], ordered=False)
            for chunk in chunked([document["_id"] for document in batch]):
                await findings.delete_many({"_id": {"$in": chunk}})
            archived += len(batch)
        orchestration = self.container.database.db(Database.ORCHESTRATION)
        # A run still going has finished_at null: never purge it (the embedded stand-in orders null below dates).
        old_runs = await orchestration[SCAN_RUNS].find(
            {"finished_at": {"$ne": None, "$lt": cutoff}}, {"run_id": 1}).to_list()
        run_ids = [run["run_id"] for run in old_runs]
        for chunk in chunked(run_ids):
            for collection in (SUB_JOBS, SCAN_JOBS, SCAN_RUNS):
                await orchestration[collection].delete_many({"run_id": {"$in": chunk}})
        return {"findings_archived": archived, "scan_runs_purged": len(run_ids)}
