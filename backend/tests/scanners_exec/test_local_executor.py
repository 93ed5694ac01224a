"""LocalExecutor end states. The fake tools here are Python scripts standing in for a scanner:
they exercise the executor (timeouts, process groups, cancellation, bad reports), not a tool."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import pytest

from cspm.scanners.base import LocalInvocation
from cspm.scanners.executors import ExecutionState, JobWorkspace, LocalExecutor


@pytest.fixture
def workspace(tmp_path: Path) -> JobWorkspace:
    return JobWorkspace.create("test", tmp_path / "jobs")


@pytest.fixture
def executor() -> LocalExecutor:
    return LocalExecutor(stderr_tail_bytes=1024, kill_grace_seconds=1.0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purpose.
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" not in status.read_text()


async def test_missing_tool_is_reported_without_running(executor, workspace):
    invocation = LocalInvocation(argv=("cspm-no-such-scanner", "--version"),
                                 report_path=workspace.output_dir / "r.json")
    result = await executor.execute("ghost", invocation, workspace=workspace, timeout=5)
    assert result.state is ExecutionState.TOOL_MISSING
    assert "cspm-no-such-scanner is not installed" in result.reason
    assert result.report_path is None


async def test_real_nmap_crash_on_invalid_option(executor, workspace):
    report = workspace.output_dir / "nmap.xml"
    invocation = LocalInvocation(argv=("nmap", "--no-such-option", "-oX", str(report), "127.0.0.1"),
                                 report_path=report)
    result = await executor.execute("nmap", invocation, workspace=workspace, timeout=30)
    assert result.state is ExecutionState.FAILED
    assert result.exit_code not in (0, None)
    assert "exited with code" in result.reason and "accepted: 0" in result.reason
    assert "unrecognized option" in result.stderr_tail
    assert workspace.outputs() == ()


async def test_timeout_kills_the_whole_process_group(executor, workspace, fake_tool, tmp_path):
    pid_file = tmp_path / "child.pid"
    tool = fake_tool("fake-sleeper", f"""
        import subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        open({str(pid_file)!r}, "w").write(str(child.pid))
        open(sys.argv[1], "w").write('{{"partial": ')   # a half-written report
        time.sleep(120)
    """)
    report = workspace.output_dir / "r.json"
    started = time.monotonic()
    result = await executor.execute("fake", LocalInvocation(argv=(str(tool), str(report)), report_path=report),
                                    workspace=workspace, timeout=1.5)
    assert result.state is ExecutionState.TIMED_OUT
    assert "timed out after 1.5 s" in result.reason
    assert time.monotonic() - started < 10
    child = int(pid_file.read_text())
    for _ in range(50):
        if not _alive(child):
            break
        await asyncio.sleep(0.1)
    assert not _alive(child), "the tool's child process survived the timeout"
    assert not report.exists(), "half-written report left behind"
    assert result.report_path is None


async def test_term_ignoring_tool_is_killed_after_grace(executor, workspace, fake_tool):
    tool = fake_tool("fake-stubborn", """
        import signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        time.sleep(120)
    """)
    report = workspace.output_dir / "r.json"
    started = time.monotonic()
    result = await executor.execute("fake", LocalInvocation(argv=(str(tool),), report_path=report),
                                    workspace=workspace, timeout=0.5)
    assert result.state is ExecutionState.TIMED_OUT
    assert result.exit_code == -9  # SIGKILL after the 1 s grace
    assert time.monotonic() - started < 6


async def test_cancel_event_stops_running_tool(executor, workspace, fake_tool, tmp_path):
    marker = tmp_path / "started"
    tool = fake_tool("fake-long", f"""
        import sys, time
        open({str(marker)!r}, "w").write("x")
        open(sys.argv[1], "w").write("<partial")
        time.sleep(120)
    """)
    report = workspace.output_dir / "r.xml"
    cancel = asyncio.Event()
    task = asyncio.create_task(executor.execute(
        "fake", LocalInvocation(argv=(str(tool), str(report)), report_path=report),
        workspace=workspace, timeout=60, cancel=cancel))
    for _ in range(100):
        if marker.exists():
            break
        await asyncio.sleep(0.05)
    cancel.set()
    result = await asyncio.wait_for(task, 10)
    assert result.state is ExecutionState.CANCELLED
    assert result.reason == "cancelled while running"
    assert not report.exists()


async def test_cancelling_the_task_kills_the_tool(executor, workspace, fake_tool, tmp_path):
    pid_file = tmp_path / "tool.pid"
    tool = fake_tool("fake-long2", f"""
        import os, time
        open({str(pid_file)!r}, "w").write(str(os.getpid()))
        time.sleep(120)
    """)
    report = workspace.output_dir / "r.json"
    task = asyncio.create_task(executor.execute(
        "fake", LocalInvocation(argv=(str(tool),), report_path=report), workspace=workspace, timeout=60))
    for _ in range(100):
        if pid_file.exists() and pid_file.read_text():
            break
        await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    pid = int(pid_file.read_text())
    for _ in range(50):
        if not _alive(pid):
            break
        await asyncio.sleep(0.1)
    assert not _alive(pid)


async def test_garbage_report_is_rejected_and_removed(executor, workspace, fake_tool):
    tool = fake_tool("fake-garbage", """
        import sys
        open(sys.argv[1], "w").write("<html><body>502 Bad Gateway</body></html>")
    """)
    report = workspace.output_dir / "r.json"
    result = await executor.execute("fake", LocalInvocation(argv=(str(tool), str(report)), report_path=report),
                                    workspace=workspace, timeout=10)
    assert result.state is ExecutionState.FAILED
    assert "is not JSON" in result.reason and "<html>" in result.reason
    assert not report.exists()


async def test_no_report_written_is_a_failure(executor, workspace, fake_tool):
    tool = fake_tool("fake-silent", "print('done')\n")
    report = workspace.output_dir / "r.json"
    result = await executor.execute("fake", LocalInvocation(argv=(str(tool),), report_path=report),
                                    workspace=workspace, timeout=10)
    assert result.state is ExecutionState.FAILED
    assert result.reason == "the tool wrote no report at r.json"
    assert result.stdout_tail.strip() == "done"


async def test_accepted_nonzero_exit_and_scrubbed_environment(executor, workspace, fake_tool, monkeypatch):
    monkeypatch.setenv("CSPM_PARENT_SECRET", "must-not-leak")
    tool = fake_tool("fake-env", """
        import json, os, sys
        json.dump(dict(os.environ), open(sys.argv[1], "w"))
        sys.exit(3)
    """)
    report = workspace.output_dir / "r.json"
    invocation = LocalInvocation(argv=(str(tool), str(report)), report_path=report,
                                 env={"AWS_ACCESS_KEY_ID": "AKIAFAKEFAKEFAKEFAKE"}, ok_exit_codes=frozenset({0, 3}))
    result = await executor.execute("fake", invocation, workspace=workspace, timeout=10)
    assert result.state is ExecutionState.SUCCEEDED and result.exit_code == 3
    environment = json.loads(report.read_text())
    assert set(environment) - {"LC_CTYPE"} == {"PATH", "HOME", "LANG", "TMPDIR", "AWS_ACCESS_KEY_ID"}
    assert environment["HOME"] == str(workspace.home)
    assert result.report_path == report and result.outputs == (report,)


async def test_unaccepted_exit_code_and_bounded_scrubbed_stderr(executor, workspace, fake_tool):
    tool = fake_tool("fake-noisy", """
        import sys
        sys.stderr.write("x" * 50000 + "\\nfatal: token AKIAABCDEFGHIJKLMNOP rejected\\n")
        sys.exit(2)
    """)
    report = workspace.output_dir / "r.json"
    result = await executor.execute("fake", LocalInvocation(argv=(str(tool),), report_path=report),
                                    workspace=workspace, timeout=10)
    assert result.state is ExecutionState.FAILED and result.exit_code == 2
    assert len(result.stderr_tail) <= 1024 + 1
    assert "AKIAABCDEFGHIJKLMNOP" not in result.stderr_tail and "[REDACTED]" in result.stderr_tail
    assert result.reason.startswith("exited with code 2 (accepted: 0): fatal: token")


async def test_tool_killed_by_signal(executor, workspace, fake_tool):
    tool = fake_tool("fake-segv", """
        import os, signal
        os.kill(os.getpid(), signal.SIGSEGV)
    """)
    report = workspace.output_dir / "r.json"
    result = await executor.execute("fake", LocalInvocation(argv=(str(tool),), report_path=report),
                                    workspace=workspace, timeout=10)
    assert result.state is ExecutionState.FAILED
    assert result.reason == "killed by SIGSEGV"


async def test_report_outside_workspace_is_refused(executor, workspace, tmp_path):
    invocation = LocalInvocation(argv=("nmap", "--version"), report_path=tmp_path / "elsewhere.json")
    result = await executor.execute("nmap", invocation, workspace=workspace, timeout=10)
    assert result.state is ExecutionState.FAILED
    assert "outside the job's output directory" in result.reason


async def test_secret_files_are_removed_when_the_tool_ends(executor, workspace, fake_tool):
    key = workspace.write_secret("gcp.json", b'{"private_key": "x"}')
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    tool = fake_tool("fake-reader", """
        import os, sys
        open(sys.argv[1], "w").write('{"read": %d}' % len(open(os.environ["KEY_FILE"]).read()))
    """)
    report = workspace.output_dir / "r.json"
    invocation = LocalInvocation(argv=(str(tool), str(report)), report_path=report, env={"KEY_FILE": str(key)})
    result = await executor.execute("fake", invocation, workspace=workspace, timeout=10)
    assert result.state is ExecutionState.SUCCEEDED
    assert json.loads(report.read_text()) == {"read": 20}
    assert not key.exists()
