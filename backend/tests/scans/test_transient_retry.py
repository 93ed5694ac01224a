"""A Docker engine that does not answer is transient: the sub-job goes back to the queue, twice, then fails."""

from __future__ import annotations

import docker.errors
import pytest

from cspm.core.jobs import TransientJobError
from cspm.core.settings import ExecutorMode
from cspm.scanners.executors.factory import ScannerExecutorFactory
from cspm.scans.execution import ScanExecutionService
from cspm.scans.service import ScanOrchestrationService
from cspm.targets.schemas import TargetIn
from cspm.targets.service import TargetService
from tests.conftest import scanner_test_settings

PINNED = "instrumentisto/nmap@sha256:" + "a" * 64


class UnreachableEngine:
    """Stands in for a Docker engine whose socket does not answer (no engine runs on this machine)."""

    def __init__(self) -> None:
        self.calls = 0

    @property
    def containers(self):
        self.calls += 1
        raise docker.errors.DockerException("Error while fetching server API version: connection refused")


async def test_unreachable_engine_is_retried_then_recorded(container):
    engine = UnreachableEngine()
    settings = container.settings.model_copy(update={"scanner_executor": ExecutorMode.DOCKER})
    factory = ScannerExecutorFactory(settings, scanner_test_settings(images={"nmap": PINNED}),
                                     docker_client_factory=lambda: engine)
    container.override(ScannerExecutorFactory, factory)
    target = await container.resolve(TargetService).create(
        team_id="t-docker", actor="u", payload=TargetIn(name="lo", kind="network", value="127.0.0.1"))
    orchestration = container.resolve(ScanOrchestrationService)
    # Launch without dispatching: this test plays the worker itself.
    container._dispatcher = _Recorder()
    run = await orchestration.launch(team_id="t-docker", target_id=str(target["_id"]), actor="u")
    [sub_job] = await orchestration.jobs.sub_jobs_of("t-docker", run["run_id"])
    execution = container.resolve(ScanExecutionService)
    for attempt in (1, 2):
        with pytest.raises(TransientJobError):
            await execution.run_sub_job(team_id="t-docker", sub_job_id=sub_job["sub_job_id"])
        current = await orchestration.jobs.sub_job("t-docker", sub_job["sub_job_id"])
        assert current["state"] == "queued" and current["attempts"] == attempt
    assert await execution.run_sub_job(team_id="t-docker", sub_job_id=sub_job["sub_job_id"]) == "failed"
    final = await orchestration.jobs.sub_job("t-docker", sub_job["sub_job_id"])
    assert final["attempts"] == 3 and "Docker engine unavailable" in final["reason"]
    assert engine.calls == 3
    assert (await orchestration.runs.by_run_id("t-docker", run["run_id"]))["state"] == "failed"


class _Recorder:
    kind = "recorder"

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []

    async def send(self, name: str, kwargs: dict) -> str:
        self.sent.append((name, kwargs))
        return f"task-{len(self.sent)}"

    def close(self) -> None:
        return None


class _BrokenQueue:
    kind = "broken"

    async def send(self, name: str, kwargs: dict) -> str:
        raise ConnectionError("broker refused the connection")

    def close(self) -> None:
        return None


async def test_a_sub_job_that_cannot_be_queued_fails_with_the_reason(container):
    target = await container.resolve(TargetService).create(
        team_id="t-queue", actor="u", payload=TargetIn(name="lo", kind="network", value="127.0.0.1"))
    container._dispatcher = _BrokenQueue()
    orchestration = container.resolve(ScanOrchestrationService)
    run = await orchestration.launch(team_id="t-queue", target_id=str(target["_id"]), actor="u")
    assert run["state"] == "failed"
    [sub_job] = await orchestration.jobs.sub_jobs_of("t-queue", run["run_id"])
    assert sub_job["state"] == "failed" and "broker refused" in sub_job["reason"]
