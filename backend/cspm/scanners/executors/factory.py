"""Choosing the executor from settings, running one tool on one target, and the start-up check."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, Self

from cspm.core.integrity import SystemIntegrityMonitor
from cspm.core.settings import CoreSettings, ExecutorMode
from cspm.core.tools import TOOL_CATALOGUE, ToolStatus, probe_all, report_tools
from cspm.scanners.base import DockerInvocation, InProcessInvocation, LocalInvocation, Target
from cspm.scanners.executors.docker import DockerExecutor
from cspm.scanners.executors.local import LocalExecutor
from cspm.scanners.executors.result import ExecutionResult, ExecutionState
from cspm.scanners.invocations import BuildContext, InvocationError, InvocationRegistry, default_registry
from cspm.scanners.network_policy import DestinationPolicy, Resolver, resolve_with_system
from cspm.scanners.settings import ScannerSettings
from cspm.scanners.workspace import JobWorkspace

if TYPE_CHECKING:
    from cspm.core.container import ServiceContainer

logger = logging.getLogger(__name__)


class ScannerExecutor(Protocol):
    mode: ExecutorMode

    async def execute(self, tool: str, invocation: Any, *, workspace: JobWorkspace, timeout: float,
                      cancel: asyncio.Event | None = None) -> ExecutionResult: ...


class ScannerExecutorFactory:
    """Builds the executor the settings ask for (SCANNER_EXECUTOR=local|docker)."""

    def __init__(self, core: CoreSettings, settings: ScannerSettings | None = None, *,
                 registry: InvocationRegistry | None = None, docker_client_factory: Any = None,
                 resolver: Resolver = resolve_with_system) -> None:
        self.core = core
        self.settings = settings or ScannerSettings()
        self.registry = registry or default_registry()
        self.docker_client_factory = docker_client_factory
        self.destinations = DestinationPolicy(self.settings.network_allowlist, resolver)

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        return cls(container.settings)

    def create(self, mode: ExecutorMode | None = None) -> LocalExecutor | DockerExecutor:
        mode = mode or self.core.scanner_executor
        if mode is ExecutorMode.DOCKER:
            return DockerExecutor(self.settings, client_factory=self.docker_client_factory)
        return LocalExecutor(stderr_tail_bytes=self.settings.stderr_tail_bytes,
                             kill_grace_seconds=self.settings.kill_grace_seconds)

    def runner(self, mode: ExecutorMode | None = None) -> ToolRunner:
        return ToolRunner(self.create(mode), self.registry, self.settings, self.destinations)


@dataclass
class ToolRun:
    """A finished run: the result and the workspace holding its report (clean it up after ingest)."""

    result: ExecutionResult
    workspace: JobWorkspace

    def cleanup(self) -> None:
        self.workspace.cleanup()


class ToolRunner:
    """Workspace → invocation (from the registry, for this executor's mode) → execution."""

    def __init__(self, executor: LocalExecutor | DockerExecutor, registry: InvocationRegistry,
                 settings: ScannerSettings, destinations: DestinationPolicy) -> None:
        self.executor = executor
        self.registry = registry
        self.settings = settings
        self.destinations = destinations

    def build(self, tool: str, target: Target, workspace: JobWorkspace,
              credentials: Mapping[str, str] | None = None) -> LocalInvocation | DockerInvocation | InProcessInvocation:
        """Raises InvocationError naming the problem (unknown tool, wrong target, disallowed host…).

        Built again for every run, so a host name is resolved and checked at scan time too: an
        answer that changed to a denied address since the target was created fails the run here.
        """
        context = BuildContext(workspace, self.settings, self.destinations, dict(credentials or {}))
        return self.registry.get(tool).build(self.executor.mode, target, context)

    def notes(self, tool: str, stderr: str | None) -> list[str]:
        """What a succeeded run's expected stderr lines mean (see ExpectedMessage)."""
        return self.registry.get(tool).notes(stderr)

    async def run(self, tool: str, target: Target, *, label: str | None = None,
                  credentials: Mapping[str, str] | None = None, credential_files: Mapping[str, bytes] | None = None,
                  timeout: float | None = None, cancel: asyncio.Event | None = None) -> ToolRun:
        """Run `tool` on `target` in a fresh workspace.

        `credential_files` are written (mode 600) to the job's secrets directory and removed
        when the tool ends; a credential value "@name" is replaced by that file's path.
        """
        workspace = JobWorkspace.create(label or tool, self.settings.work_dir)
        try:
            env = dict(credentials or {})
            for name, content in (credential_files or {}).items():
                path = workspace.write_secret(name, content)
                env = {key: str(path) if value == f"@{name}" else value for key, value in env.items()}
            try:
                invocation = self.build(tool, target, workspace, env)
            except InvocationError as exc:
                workspace.discard_secrets()
                return ToolRun(ExecutionResult(tool, ExecutionState.FAILED, f"invalid invocation: {exc}"), workspace)
            result = await self.executor.execute(tool, invocation, workspace=workspace,
                                                 timeout=timeout or self.settings.timeout_for(tool), cancel=cancel)
        except BaseException:
            workspace.cleanup()
            raise
        logger.info("tool finished", extra={"tool": tool, "state": str(result.state), "exit_code": result.exit_code,
                                            "duration_s": round(result.duration, 3)})
        return ToolRun(result, workspace)


class NativeToolsUnavailable(RuntimeError):
    def __init__(self, missing: list[ToolStatus]) -> None:
        names = ", ".join(f"{status.name} ({status.error})" for status in missing)
        super().__init__(f"scanner tools unavailable: {names}; install them (scripts/system-packages.sh, "
                         f"scripts/bootstrap.sh, scripts/install-prowler.sh) or set SCANNER_EXECUTOR=docker")
        self.missing = missing


async def verify_native_tools_or_fail(tools: Iterable[str], integrity: SystemIntegrityMonitor, *,
                                      fail: bool = True) -> list[ToolStatus]:
    """Probe each tool binary, report it to the integrity monitor, raise if any is missing.

    Every catalogue tool is probed and reported (``report_tools``: a ``tool:<name>`` component
    each, and the ``scanner_tools`` summary, the same the health status shows); only the
    ``tools`` asked for make it raise. With ``fail=False`` the start-up goes on degraded.
    """
    catalogue = {tool.name: tool for tool in TOOL_CATALOGUE}
    wanted = list(dict.fromkeys(tools))
    unknown = [name for name in wanted if name not in catalogue]
    if unknown:
        raise ValueError(f"unknown tool(s) {', '.join(unknown)}; known: {', '.join(sorted(catalogue))}")
    everything = await probe_all()
    report_tools(everything, integrity)
    statuses = [status for status in everything if status.name in wanted]
    missing = [status for status in statuses if not status.found]
    if missing and fail:
        raise NativeToolsUnavailable(missing)
    return statuses


def local_tools(registry: InvocationRegistry) -> list[str]:
    """Tools that run as local binaries (in-process checks and Docker-only tools excluded)."""
    binaries = {tool.name for tool in TOOL_CATALOGUE}
    return [spec.tool for spec in registry if spec.build_local is not None and spec.tool in binaries]
