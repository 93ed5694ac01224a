"""LocalExecutor: runs the tool binary on this machine.

argv only (never a shell), a new session so the whole process group can be signalled,
an environment scrubbed to PATH/HOME/LANG/TMPDIR plus what the invocation declares,
output confined to the job's directory, a timeout and a cancellation that really stop
the tool (SIGTERM to the group, SIGKILL after a grace period).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from pathlib import Path

from cspm.core.logging import scrub
from cspm.core.settings import ExecutorMode
from cspm.core.tools import locate
from cspm.scanners.base import DockerInvocation, InProcessInvocation, LocalInvocation
from cspm.scanners.executors.common import TailBuffer, pump, report_problem
from cspm.scanners.executors.result import ExecutionResult, ExecutionState
from cspm.scanners.workspace import JobWorkspace

logger = logging.getLogger(__name__)

BASE_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
READER_DRAIN_SECONDS = 5.0


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


class LocalExecutor:
    mode = ExecutorMode.LOCAL

    def __init__(self, *, stderr_tail_bytes: int = 8192, kill_grace_seconds: float = 5.0) -> None:
        self.stderr_tail_bytes = stderr_tail_bytes
        self.kill_grace_seconds = kill_grace_seconds

    # --- public ------------------------------------------------------------------------
    async def execute(self, tool: str, invocation: LocalInvocation | DockerInvocation | InProcessInvocation, *,
                      workspace: JobWorkspace, timeout: float,
                      cancel: asyncio.Event | None = None) -> ExecutionResult:
        """Run one invocation to one of the five end states; never raises for a tool's failure.

        Cancelling the calling task stops the tool too (and re-raises CancelledError).
        """
        try:
            if isinstance(invocation, InProcessInvocation):
                return await run_in_process(tool, invocation, workspace=workspace, timeout=timeout, cancel=cancel)
            if not isinstance(invocation, LocalInvocation):
                raise TypeError(f"LocalExecutor cannot run {type(invocation).__name__}")
            return await self._run_subprocess(tool, invocation, workspace=workspace, timeout=timeout, cancel=cancel)
        finally:
            workspace.discard_secrets()

    def environment(self, invocation: LocalInvocation, executable: str, workspace: JobWorkspace) -> dict[str, str]:
        directories = [str(Path(executable).parent), str(Path(sys.executable).parent), *BASE_PATH]
        path = os.pathsep.join(dict.fromkeys(directories))
        return {"PATH": path, "HOME": str(workspace.home), "LANG": "C.UTF-8", "TMPDIR": str(workspace.tmp),
                **dict(invocation.env)}

    # --- subprocess --------------------------------------------------------------------
    async def _run_subprocess(self, tool: str, invocation: LocalInvocation, *, workspace: JobWorkspace,
                              timeout: float, cancel: asyncio.Event | None) -> ExecutionResult:
        started = time.monotonic()
        program = invocation.argv[0]
        executable = program if os.path.isabs(program) else locate(program)
        if executable is None or not os.access(executable, os.X_OK):
            return ExecutionResult(tool, ExecutionState.TOOL_MISSING,
                                   f"{program} is not installed (looked on PATH, in the platform's virtualenv "
                                   f"and in TOOLS_DIR/<tool>/bin)")
        if not workspace.contains(invocation.report_path):
            return ExecutionResult(tool, ExecutionState.FAILED,
                                   f"report path {invocation.report_path} is outside the job's output directory")
        try:
            process = await asyncio.create_subprocess_exec(
                executable, *invocation.argv[1:],
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                cwd=workspace.root, env=self.environment(invocation, executable, workspace),
                start_new_session=True,
            )
        except OSError as exc:
            state = ExecutionState.TOOL_MISSING if isinstance(exc, FileNotFoundError) else ExecutionState.FAILED
            return ExecutionResult(tool, state, f"{program} could not be started: {exc.strerror or exc}",
                                   duration=time.monotonic() - started)
        logger.info("tool started", extra={"tool": tool, "pid": process.pid})
        stderr, stdout = TailBuffer(self.stderr_tail_bytes), TailBuffer(self.stderr_tail_bytes)
        readers = [asyncio.create_task(pump(process.stderr, stderr)),
                   asyncio.create_task(pump(process.stdout, stdout))]
        waiter = asyncio.create_task(process.wait())
        cancelled = asyncio.create_task(cancel.wait()) if cancel is not None else None
        try:
            watched = {waiter} if cancelled is None else {waiter, cancelled}
            done, _ = await asyncio.wait(watched, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            await asyncio.shield(self._stop(process, waiter))
            workspace.discard_outputs()
            await self._drain(readers)
            raise
        finally:
            if cancelled is not None:
                cancelled.cancel()
        if waiter in done:
            ending: ExecutionState | None = None
        else:
            ending = ExecutionState.CANCELLED if cancelled is not None and cancelled in done \
                else ExecutionState.TIMED_OUT
            await self._stop(process, waiter)
        self._kill_group(process.pid, signal.SIGKILL)  # stragglers the tool left behind
        await self._drain(readers)
        duration = time.monotonic() - started
        code = process.returncode
        err, out = stderr.text(), stdout.text()

        if ending is not None:
            workspace.discard_outputs()
            reason = ("cancelled while running" if ending is ExecutionState.CANCELLED
                      else f"timed out after {timeout:g} s; the tool's process group was killed")
            return ExecutionResult(tool, ending, reason, exit_code=code, duration=duration,
                                   stderr_tail=err, stdout_tail=out)
        assert code is not None
        if code < 0:
            workspace.discard_outputs()
            return ExecutionResult(tool, ExecutionState.FAILED, f"killed by {_signal_name(code)}",
                                   exit_code=code, duration=duration,
                                   stderr_tail=err, stdout_tail=out)
        if code not in invocation.ok_exit_codes:
            workspace.discard_outputs()
            accepted = ", ".join(str(value) for value in sorted(invocation.ok_exit_codes))
            last_line = _last_line(err) or _last_line(out)
            reason = f"exited with code {code} (accepted: {accepted})" + (f": {last_line}" if last_line else "")
            return ExecutionResult(tool, ExecutionState.FAILED, reason, exit_code=code, duration=duration,
                                   stderr_tail=err, stdout_tail=out)
        problem = report_problem(invocation.report_path, workspace)
        if problem is not None:
            workspace.discard_outputs()
            return ExecutionResult(tool, ExecutionState.FAILED, problem, exit_code=code, duration=duration,
                                   stderr_tail=err, stdout_tail=out)
        return ExecutionResult(tool, ExecutionState.SUCCEEDED, "", exit_code=code, duration=duration,
                               report_path=invocation.report_path, outputs=workspace.outputs(),
                               stderr_tail=err, stdout_tail=out)

    async def _stop(self, process: asyncio.subprocess.Process, waiter: asyncio.Task[int]) -> None:
        """SIGTERM to the whole group, SIGKILL after the grace period."""
        self._kill_group(process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.shield(waiter), self.kill_grace_seconds)
        except TimeoutError:
            self._kill_group(process.pid, signal.SIGKILL)
            await waiter

    @staticmethod
    def _kill_group(pgid: int, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)

    @staticmethod
    async def _drain(readers: list[asyncio.Task[None]]) -> None:
        _, pending = await asyncio.wait(readers, timeout=READER_DRAIN_SECONDS)
        for task in pending:
            task.cancel()


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


async def run_in_process(tool: str, invocation: InProcessInvocation, *, workspace: JobWorkspace, timeout: float,
                         cancel: asyncio.Event | None = None) -> ExecutionResult:
    """Run an in-process check with the same timeout, cancellation and report rules as a tool."""
    started = time.monotonic()
    if not workspace.contains(invocation.report_path):
        return ExecutionResult(tool, ExecutionState.FAILED,
                               f"report path {invocation.report_path} is outside the job's output directory")
    task = asyncio.ensure_future(invocation.run())
    cancelled = asyncio.create_task(cancel.wait()) if cancel is not None else None
    try:
        watched = {task} if cancelled is None else {task, cancelled}
        done, _ = await asyncio.wait(watched, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        workspace.discard_outputs()
        raise
    finally:
        if cancelled is not None:
            cancelled.cancel()
    duration = time.monotonic() - started
    if task not in done:
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        workspace.discard_outputs()
        if cancelled is not None and cancelled in done:
            return ExecutionResult(tool, ExecutionState.CANCELLED, "cancelled while running", duration=duration)
        return ExecutionResult(tool, ExecutionState.TIMED_OUT, f"timed out after {timeout:g} s", duration=duration)
    error = task.exception()
    if error is not None:
        workspace.discard_outputs()
        return ExecutionResult(tool, ExecutionState.FAILED, scrub(f"{type(error).__name__}: {error}")[:500],
                               duration=duration)
    problem = report_problem(invocation.report_path, workspace)
    if problem is not None:
        workspace.discard_outputs()
        return ExecutionResult(tool, ExecutionState.FAILED, problem, duration=duration)
    return ExecutionResult(tool, ExecutionState.SUCCEEDED, "", duration=duration,
                           report_path=invocation.report_path, outputs=workspace.outputs())
