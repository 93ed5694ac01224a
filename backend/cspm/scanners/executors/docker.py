"""DockerExecutor: the tool runs in a sibling container on the host's Docker engine.

The container gets a digest-pinned image, a read-only root, no capabilities, no new
privileges, memory/CPU/pids limits, no network unless the tool scans over one (never the
host's unless it asks for it), and exactly two kinds of mounts: the job's output
directory (read-write) and the inputs it reads (read-only). `container_spec` returns the
exact keyword arguments for `containers.run`, so the policy is testable without an engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker
from docker import errors as docker_errors

from cspm.core.logging import scrub
from cspm.core.settings import ExecutorMode
from cspm.scanners.base import DockerInvocation, InProcessInvocation, LocalInvocation
from cspm.scanners.executors.common import report_problem
from cspm.scanners.executors.local import run_in_process
from cspm.scanners.executors.result import ExecutionResult, ExecutionState
from cspm.scanners.settings import ScannerSettings
from cspm.scanners.workspace import JobWorkspace

logger = logging.getLogger(__name__)

PINNED_IMAGE = re.compile(r"^[a-z0-9][a-z0-9._/:-]*@sha256:[0-9a-f]{64}$")
ALLOWED_NETWORKS = ("none", "bridge", "host")
LABEL = "io.offloadsecurity.cspm.tool"


class UnpinnedImageError(ValueError):
    pass


def require_pinned(image: str, tool: str) -> str:
    if not PINNED_IMAGE.match(image):
        raise UnpinnedImageError(
            f"image {image!r} for {tool} is not pinned by digest; set SCANNER_IMAGES to "
            f"{{\"{tool}\": \"{image.split('@')[0]}@sha256:<digest>\"}}")
    return image


class DockerExecutor:
    mode = ExecutorMode.DOCKER

    def __init__(self, settings: ScannerSettings, *, client_factory: Callable[[], Any] | None = None,
                 user: str | None = None) -> None:
        self.settings = settings
        self._client_factory = client_factory or _docker_from_env
        self._client: Any = None
        self.user = user or f"{os.getuid()}:{os.getgid()}"

    # --- the policy ----------------------------------------------------------------------
    def container_spec(self, tool: str, invocation: DockerInvocation, *, workspace: JobWorkspace) -> dict[str, Any]:
        """Keyword arguments for `client.containers.run` (detached)."""
        require_pinned(invocation.image, tool)
        if invocation.network not in ALLOWED_NETWORKS:
            raise ValueError(f"network {invocation.network!r} for {tool}: use one of {ALLOWED_NETWORKS}")
        output_mount = str(invocation.report_path.parent)
        volumes: dict[str, dict[str, str]] = {str(workspace.output_dir): {"bind": output_mount, "mode": "rw"}}
        for host_path, container_path in invocation.read_only_mounts.items():
            if container_path == output_mount:
                raise ValueError(f"input mount {container_path} would hide the output volume")
            volumes[str(Path(host_path).resolve())] = {"bind": container_path, "mode": "ro"}
        size = self.settings.docker_tmpfs_size
        tmpfs = {"/tmp": f"rw,nosuid,nodev,size={size},mode=1777"}  # noqa: S108 - tmpfs inside the container
        for path in invocation.writable_paths:
            tmpfs[path] = f"rw,nosuid,nodev,size={size},mode=1777"
        spec: dict[str, Any] = {
            "image": invocation.image,
            "command": list(invocation.args),
            "environment": {"HOME": "/tmp", **dict(invocation.env)},  # noqa: S108
            "network_mode": invocation.network,
            "volumes": volumes,
            "tmpfs": tmpfs,
            "read_only": True,
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges:true"],
            "mem_limit": self.settings.docker_memory_limit,
            "memswap_limit": self.settings.docker_memory_limit,
            "nano_cpus": self.settings.docker_nano_cpus,
            "pids_limit": self.settings.docker_pids_limit,
            "user": self.user,
            "labels": {LABEL: tool},
            "detach": True,
            "stdout": True,
            "stderr": True,
        }
        if invocation.extra_hosts:
            spec["extra_hosts"] = dict(invocation.extra_hosts)
        return spec

    # --- running ---------------------------------------------------------------------------
    def client(self) -> Any:
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    async def ping(self) -> bool:
        return bool(await asyncio.to_thread(lambda: self.client().ping()))

    async def execute(self, tool: str, invocation: LocalInvocation | DockerInvocation | InProcessInvocation, *,
                      workspace: JobWorkspace, timeout: float,
                      cancel: asyncio.Event | None = None) -> ExecutionResult:
        try:
            if isinstance(invocation, InProcessInvocation):
                return await run_in_process(tool, invocation, workspace=workspace, timeout=timeout, cancel=cancel)
            if not isinstance(invocation, DockerInvocation):
                raise TypeError(f"DockerExecutor cannot run {type(invocation).__name__}")
            return await self._run_container(tool, invocation, workspace=workspace, timeout=timeout, cancel=cancel)
        finally:
            workspace.discard_secrets()

    async def _run_container(self, tool: str, invocation: DockerInvocation, *, workspace: JobWorkspace,
                             timeout: float, cancel: asyncio.Event | None) -> ExecutionResult:
        started = time.monotonic()
        try:
            spec = self.container_spec(tool, invocation, workspace=workspace)
        except ValueError as exc:
            return ExecutionResult(tool, ExecutionState.FAILED, str(exc))
        host_report = workspace.output_dir / invocation.report_path.name
        try:
            container = await asyncio.to_thread(self.client().containers.run, **spec)
        except docker_errors.ImageNotFound as exc:
            return ExecutionResult(tool, ExecutionState.TOOL_MISSING, f"image not found: {exc.explanation or exc}",
                                   duration=time.monotonic() - started)
        except docker_errors.DockerException as exc:
            return ExecutionResult(tool, ExecutionState.TOOL_MISSING, f"Docker engine unavailable: {exc}",
                                   duration=time.monotonic() - started, transient=True)
        waiter = asyncio.create_task(asyncio.to_thread(container.wait))
        cancelled = asyncio.create_task(cancel.wait()) if cancel is not None else None
        ending: ExecutionState | None = None
        code: int | None = None
        logs = ""
        try:
            watched = {waiter} if cancelled is None else {waiter, cancelled}
            done, _ = await asyncio.wait(watched, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if waiter not in done:
                ending = ExecutionState.CANCELLED if cancelled is not None and cancelled in done \
                    else ExecutionState.TIMED_OUT
                await asyncio.to_thread(_kill, container)
            with contextlib.suppress(Exception):
                status = await asyncio.wait_for(waiter, self.settings.kill_grace_seconds + 10)
                raw_code = status.get("StatusCode") if isinstance(status, dict) else None
                code = int(raw_code) if raw_code is not None else None
            raw = await asyncio.to_thread(container.logs, stdout=False, stderr=True, tail=200)
            logs = scrub(raw.decode("utf-8", errors="replace"))[-self.settings.stderr_tail_bytes:]
        except asyncio.CancelledError:
            await asyncio.shield(asyncio.to_thread(_kill, container))
            workspace.discard_outputs()
            raise
        finally:
            if cancelled is not None:
                cancelled.cancel()
            with contextlib.suppress(Exception):
                await asyncio.shield(asyncio.to_thread(container.remove, force=True))
        duration = time.monotonic() - started
        if ending is not None:
            workspace.discard_outputs()
            reason = "cancelled while running" if ending is ExecutionState.CANCELLED \
                else f"timed out after {timeout:g} s; the container was killed"
            return ExecutionResult(tool, ending, reason, exit_code=code, stderr_tail=logs, duration=duration)
        if code is None or code not in invocation.ok_exit_codes:
            workspace.discard_outputs()
            accepted = ", ".join(str(value) for value in sorted(invocation.ok_exit_codes))
            return ExecutionResult(tool, ExecutionState.FAILED, f"container exited with code {code} "
                                   f"(accepted: {accepted})", exit_code=code, stderr_tail=logs, duration=duration)
        problem = report_problem(host_report, workspace)
        if problem is not None:
            workspace.discard_outputs()
            return ExecutionResult(tool, ExecutionState.FAILED, problem, exit_code=code, stderr_tail=logs,
                                   duration=duration)
        return ExecutionResult(tool, ExecutionState.SUCCEEDED, "", exit_code=code, stderr_tail=logs,
                               duration=duration, report_path=host_report, outputs=workspace.outputs())


def _kill(container: Any) -> None:
    with contextlib.suppress(Exception):
        container.kill()


def _docker_from_env() -> Any:
    return docker.from_env(timeout=30)
