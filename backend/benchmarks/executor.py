"""Executor benchmark: what the LocalExecutor adds to a tool run, and real tool durations.

    cd backend && ../.venv/bin/python -m benchmarks.executor             # overhead, 50 runs
    cd backend && ../.venv/bin/python -m benchmarks.executor --tools     # + trivy/syft/nmap on fixtures

Overhead: a trivial tool (``true``) run through ``LocalExecutor.execute`` (new session,
scrubbed environment, stream tails, process-group cleanup, report check) against the same
program started with a bare ``asyncio.create_subprocess_exec`` + ``wait`` (the floor).
With ``--tools`` it runs trivy (offline fs), syft and nmap on a generated fixture
directory / a local HTTP server and prints each wall time. Numbers only: nothing asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import http.server
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

from cspm.core.settings import CoreSettings, ExecutorMode
from cspm.scanners.base import LocalInvocation, Target, TargetKind
from cspm.scanners.executors import JobWorkspace, LocalExecutor, ScannerExecutorFactory
from cspm.scanners.settings import ScannerSettings


async def _floor(program: str, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(program)
        await process.wait()
        samples.append(time.perf_counter() - started)
    return samples


async def _through_executor(program: str, runs: int, base: Path) -> list[float]:
    executor = LocalExecutor()
    samples = []
    for _ in range(runs):
        workspace = JobWorkspace.create("bench", base)
        report = workspace.output_dir / "r.txt"
        report.write_text("x")  # `true` writes nothing; the report check still runs
        started = time.perf_counter()
        await executor.execute("bench", LocalInvocation(argv=(program,), report_path=report),
                               workspace=workspace, timeout=30)
        samples.append(time.perf_counter() - started)
        workspace.cleanup()
    return samples


def _ms(samples: list[float]) -> str:
    p90 = sorted(samples)[int(len(samples) * 0.9)]
    return f"median {statistics.median(samples) * 1000:.2f} ms, p90 {p90 * 1000:.2f} ms"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


async def _tools(base: Path) -> None:
    repo = base / "repo"
    repo.mkdir()
    (repo / "Dockerfile").write_text("FROM ubuntu:latest\n")
    (repo / "main.tf").write_text('resource "aws_s3_bucket" "b" {\n  acl = "public-read"\n}\n')
    (repo / "requirements.txt").write_text("requests==2.31.0\n")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # nmap scans the server above on loopback, which only an explicit allow-list entry permits.
    settings = ScannerSettings(work_dir=base / "jobs", trivy_offline=True, path_roots=[base],
                               network_allowlist=["127.0.0.1/32"])
    runner = ScannerExecutorFactory(CoreSettings.model_construct(scanner_executor=ExecutorMode.LOCAL),
                                    settings).runner()
    for tool, target in (("trivy", Target(TargetKind.REPOSITORY, str(repo))),
                         ("syft", Target(TargetKind.REPOSITORY, str(repo))),
                         ("nmap", Target(TargetKind.NETWORK, "127.0.0.1", {"ports": str(server.server_address[1])}))):
        run = await runner.run(tool, target)
        print(f"{tool:6} {run.result.state:10} {run.result.duration:6.2f} s")
        run.cleanup()
    server.shutdown()


async def main(runs: int, tools: bool) -> None:
    program = shutil.which("true") or "/bin/true"
    base = Path(tempfile.mkdtemp(prefix="cspm-bench-"))
    try:
        floor = await _floor(program, runs)
        executor = await _through_executor(program, runs, base)
        print(f"bare subprocess : {_ms(floor)}")
        print(f"LocalExecutor   : {_ms(executor)}")
        print(f"overhead        : {(statistics.median(executor) - statistics.median(floor)) * 1000:.2f} ms per run")
        if tools:
            await _tools(base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--tools", action="store_true")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.runs, arguments.tools))
