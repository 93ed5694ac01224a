"""Background jobs of scan orchestration: thin wrappers over the services.

The same sub-job function is declared once per queue, so cloud, container, web and
network scans get separate worker pools and concurrency (`cspm worker --queues ...`).
"""

from __future__ import annotations

from typing import Any

from cspm.core.container import ServiceContainer
from cspm.core.jobs import job
from cspm.scans.execution import ScanExecutionService
from cspm.scans.lifecycle import DataSyncWatchdogService, RetentionService, ScheduledScanDispatcher
from cspm.scans.service import QUEUE_JOBS

SUB_JOB_TIME_LIMIT = {"cloud": 5 * 3600, "container": 2 * 3600, "web": 4 * 3600, "network": 2 * 3600}


async def run_sub_job(container: ServiceContainer, *, team_id: str, sub_job_id: str) -> str:
    return await container.resolve(ScanExecutionService).run_sub_job(team_id=team_id, sub_job_id=sub_job_id)


for _queue, _name in QUEUE_JOBS.items():
    # Tool timeouts stop the tool itself; the job limit is only the worker's safety net.
    job(_name, queue=_queue, time_limit_seconds=SUB_JOB_TIME_LIMIT[_queue], max_retries=2)(run_sub_job)


@job("scans.dispatch_scheduled", queue="maintenance", time_limit_seconds=300, every_seconds=60)
async def dispatch_scheduled(container: ServiceContainer) -> int:
    return await container.resolve(ScheduledScanDispatcher).dispatch_due()


@job("scans.watchdog", queue="maintenance", time_limit_seconds=900, every_seconds=900)
async def watchdog(container: ServiceContainer) -> dict[str, Any]:
    return await container.resolve(DataSyncWatchdogService).run_cycle()


@job("maintenance.retention", queue="maintenance", time_limit_seconds=3600, every_seconds=86_400)
async def run_retention_cycle(container: ServiceContainer) -> dict[str, int]:
    return await container.resolve(RetentionService).run_retention_cycle()
