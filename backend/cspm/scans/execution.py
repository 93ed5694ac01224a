"""Running one sub-job in a worker: tool → report → findings pipeline → state.

The worker claims the sub-job (queued → running) atomically, so a cancelled or already
claimed sub-job is never run twice. The tool runs in its own workspace, which is removed
afterwards whatever happened; a report that fails to parse stores nothing and fails the
sub-job with the parser's reason.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, Self

from cspm.assets.service import AssetService
from cspm.core.container import ServiceContainer
from cspm.core.errors import CSPMError
from cspm.core.jobs import TransientJobError
from cspm.findings.service import FindingsService
from cspm.scanners.base import Target, TargetKind
from cspm.scanners.executors.factory import ScannerExecutorFactory, ToolRunner
from cspm.scanners.executors.result import ExecutionResult, ExecutionState
from cspm.scanners.invocations import InvocationError, InvocationRegistry
from cspm.scanners.parsers import get_sbom_parser
from cspm.scans.models import RunState
from cspm.scans.service import ScanOrchestrationService, cancel_key

logger = logging.getLogger(__name__)

CANCEL_POLL_SECONDS = 0.5
MAX_TRANSIENT_RETRIES = 2  # the scan jobs' max_retries: the last attempt records the failure instead
SBOM_TOOLS = {"syft": "syft"}
STATE_OF_EXECUTION = {
    ExecutionState.SUCCEEDED: RunState.SUCCEEDED,
    ExecutionState.FAILED: RunState.FAILED,
    ExecutionState.TOOL_MISSING: RunState.FAILED,
    ExecutionState.TIMED_OUT: RunState.TIMED_OUT,
    ExecutionState.CANCELLED: RunState.CANCELLED,
}


class CredentialSource:
    """What a sub-job's tool gets from the module its target came from, decrypted only now, as
    environment and secret files: a cloud account's provider options (account, role, regions)
    and credentials from the cloud accounts module; a registry image's pull credentials from the
    registries module, in the variables the tool reads them from (``ToolInvocationSpec.registry_env``).

    Those modules are imported only when such a target is scanned, so the other targets' scans
    never load the cloud SDKs.
    """

    def __init__(self, container: ServiceContainer, tools: InvocationRegistry) -> None:
        self.container = container
        self.tools = tools

    async def resolve(self, team_id: str, sub_job: dict[str, Any]) -> tuple[Target, dict[str, str], dict[str, bytes]]:
        target = Target(TargetKind(sub_job["target_kind"]), sub_job["target_value"], sub_job["target_options"])
        if target.kind is TargetKind.CONTAINER_IMAGE and sub_job.get("registry_id"):
            return target, await self._registry_env(team_id, sub_job["tool"], sub_job["registry_id"]), {}
        if target.kind is not TargetKind.CLOUD_ACCOUNT:
            return target, {}, {}
        from cspm.cloud_accounts.service import CloudAccountService  # noqa: PLC0415 - cloud SDKs only when needed

        accounts = self.container.resolve(CloudAccountService)
        credentials = await accounts.scan_credentials(team_id=team_id, account_id=sub_job["cloud_account_id"])
        # The target's own options (services, a region of the split) narrow the account's defaults.
        options = {**credentials.target.options, **target.options}
        return Target(credentials.target.kind, credentials.target.value, options), credentials.env, credentials.files

    async def _registry_env(self, team_id: str, tool: str, registry_id: str) -> dict[str, str]:
        from cspm.registries.service import RegistryService  # noqa: PLC0415 - boto3 (ECR) only when needed

        try:
            to_env = self.tools.get(tool).registry_env
        except InvocationError:
            return {}  # an unknown tool: the runner fails the sub-job saying so
        if to_env is None:
            return {}
        auth = await self.container.resolve(RegistryService).pull_credentials(team_id=team_id,
                                                                                registry_id=registry_id)
        return to_env(auth) if auth else {}


class ScanExecutionService:
    def __init__(self, container: ServiceContainer, orchestration: ScanOrchestrationService, runner: ToolRunner,
                 findings: FindingsService, assets: AssetService) -> None:
        self.container = container
        self.orchestration = orchestration
        self.runner = runner
        self.findings = findings
        self.assets = assets
        self.credentials = CredentialSource(container, runner.registry)

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        return cls(container, container.resolve(ScanOrchestrationService),
                   container.resolve(ScannerExecutorFactory).runner(), container.resolve(FindingsService),
                   container.resolve(AssetService))

    async def run_sub_job(self, *, team_id: str, sub_job_id: str) -> str:
        jobs = self.orchestration.jobs
        now = datetime.now(UTC)
        current = await jobs.sub_job(team_id, sub_job_id)
        if current is None:
            logger.warning("sub-job not found", extra={"sub_job_id": sub_job_id})
            return "missing"
        claimed = await jobs.transition(team_id, sub_job_id, [RunState.QUEUED.value], {
            "state": RunState.RUNNING.value, "started_at": now, "attempts": current["attempts"] + 1})
        if claimed is None:
            return current["state"]  # cancelled before it started, or run by another worker
        await self.orchestration.refresh(team_id, claimed["run_id"])
        started = asyncio.get_running_loop().time()
        try:
            state, changes = await self._execute(team_id, claimed)
        except TransientJobError:
            # Back to the queue: the worker retries the job with backoff, and a later attempt claims it again.
            await jobs.transition(team_id, sub_job_id, [RunState.RUNNING.value],
                                  {"state": RunState.QUEUED.value, "started_at": None})
            raise
        except Exception as exc:  # recorded on the sub-job, then re-raised for the worker's own accounting
            logger.exception("sub-job crashed", extra={"sub_job_id": sub_job_id})
            await self._finish(team_id, claimed, RunState.FAILED, {"reason": f"internal error: {type(exc).__name__}"},
                               asyncio.get_running_loop().time() - started)
            raise
        await self._finish(team_id, claimed, state, changes, asyncio.get_running_loop().time() - started)
        return state.value

    async def _execute(self, team_id: str, sub_job: dict[str, Any]) -> tuple[RunState, dict[str, Any]]:
        cancel = asyncio.Event()
        watcher = asyncio.create_task(self._watch_cancel(sub_job["run_id"], cancel))
        try:
            try:
                target, credentials, files = await self.credentials.resolve(team_id, sub_job)
            except CSPMError as exc:
                return RunState.FAILED, {"reason": f"credentials unavailable: {exc.detail}"}
            label = f"{sub_job['tool']}-{sub_job['sub_job_id'][:8]}"
            tool_run = await self.runner.run(sub_job["tool"], target, label=label, credentials=credentials,
                                             credential_files=files, cancel=cancel)
        finally:
            watcher.cancel()
        try:
            return await self._outcome(team_id, sub_job, tool_run.result)
        finally:
            tool_run.cleanup()

    async def _outcome(self, team_id: str, sub_job: dict[str, Any],
                       result: ExecutionResult) -> tuple[RunState, dict[str, Any]]:
        changes: dict[str, Any] = {"exit_code": result.exit_code, "stderr_tail": result.stderr_tail or None,
                                   "tool_duration_s": round(result.duration, 3)}
        if result.transient and sub_job["attempts"] <= MAX_TRANSIENT_RETRIES:
            raise TransientJobError(result.reason)
        if not result.succeeded or result.report_path is None:
            prefix = "tool missing: " if result.state is ExecutionState.TOOL_MISSING else ""
            return STATE_OF_EXECUTION[result.state], {**changes, "reason": prefix + result.reason}
        try:
            with result.report_path.open("rb") as report:
                if sub_job["tool"] in SBOM_TOOLS:
                    count = await self.assets.store_sbom(
                        team_id=team_id, asset_id=sub_job["target_value"], run_id=sub_job["run_id"],
                        parser=get_sbom_parser(SBOM_TOOLS[sub_job["tool"]]), report=report)
                    changes["counts"] = {"components": count}
                else:
                    ingested = await self.findings.ingest_for_run(
                        team_id=team_id, run_id=sub_job["run_id"], actor=f"scan:{sub_job['run_id']}",
                        tool=sub_job["tool"], scope_key=sub_job["scope_key"], complete=True, report=report,
                        finish_run=False)
                    changes["counts"] = ingested.counts.as_dict()
                    changes["skipped"] = [asdict(record) for record in ingested.skipped]
        except CSPMError as exc:
            return RunState.FAILED, {**changes, "reason": f"report rejected: {exc.detail}"}
        changes["notes"] = self.runner.notes(sub_job["tool"], result.stderr_tail)
        return RunState.SUCCEEDED, changes

    async def _finish(self, team_id: str, sub_job: dict[str, Any], state: RunState, changes: dict[str, Any],
                      elapsed: float) -> None:
        now = datetime.now(UTC)
        await self.orchestration.jobs.transition(team_id, sub_job["sub_job_id"], [RunState.RUNNING.value], {
            **changes, "state": state.value, "finished_at": now, "duration_s": round(elapsed, 3)})
        metrics = self.container.metrics
        metrics.scans.labels(tool=sub_job["tool"], outcome=state.value).inc()
        metrics.scan_duration.labels(tool=sub_job["tool"], outcome=state.value).observe(elapsed)
        await self.orchestration.refresh(team_id, sub_job["run_id"])

    async def _watch_cancel(self, run_id: str, cancel: asyncio.Event) -> None:
        while not cancel.is_set():
            if await self.container.kv.get(cancel_key(run_id)):
                cancel.set()
                return
            await asyncio.sleep(CANCEL_POLL_SECONDS)
