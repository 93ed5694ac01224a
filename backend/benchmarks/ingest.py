"""Ingest benchmark: the pipeline against the json.loads floor, and full imports into the database.

    cd backend && ../.venv/bin/python -m benchmarks.ingest --db-sizes 1000,10000,20000 --tools trivy
    cd backend && ../.venv/bin/python -m benchmarks.ingest --db-sizes ""        # pipeline only
    cd backend && ../.venv/bin/python -m benchmarks.ingest --engine memory      # the mongoeco stand-in
    MONGODB_URI=mongodb://... ../.venv/bin/python -m benchmarks.ingest --db-sizes 10000,100000

For each generated report (Trivy JSON and Prowler OCSF JSON shaped like the real files) it
prints the pipeline's CPU time (parse, canonical model, dedup key, spool, batch dedup and
content hash: everything the ingest does except talking to the database), the time of a
plain ``json.loads`` of the same file (the floor), their ratio and the peak Python memory.
For the sizes in ``--db-sizes`` it then imports the report through the real ingest service
into the platform's embedded default store (SecantusDB, in a temporary directory) or
MONGODB_URI, re-imports it unchanged, and prints each phase's time, findings/s, every
batch's time (the last/first ratio shows whether writes grow with the collection), the
database commands issued (PyMongo command monitoring) and the list/count/facet query times
at that size. Each figure is printed beside the previous run's (benchmarks/results/).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import tempfile
import time
import tracemalloc
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient, monitoring

from benchmarks.history import History
from benchmarks.report_generators import write_prowler_ocsf_report, write_trivy_report
from cspm.core.database.embedded import embedded_server
from cspm.core.database.indexes import CORE_INDEXES, IndexManagementService, collect_domain_indexes
from cspm.core.database.manager import CSPMDatabaseManager
from cspm.core.database.registry import Database, DatabaseRegistry
from cspm.core.metrics import Metrics
from cspm.core.settings import EmbeddedEngine
from cspm.findings.ingest import FindingsIngestService, IngestRequest, content_hash, read_batches, spool_report
from cspm.findings.repository import FindingsRepository
from cspm.findings.settings import FindingsSettings
from cspm.findings.vulnerabilities import VulnerabilitySync
from cspm.scanners.parsers import get_parser
from cspm.scans.models import RunKind, RunState
from cspm.scans.repository import ScanRunRepository

GENERATORS: dict[str, Callable[[Path, int], Path]] = {
    "trivy": lambda path, n: write_trivy_report(path, n),
    "prowler": lambda path, n: write_prowler_ocsf_report(path, n),
}


def pipeline(tool: str, path: Path, batch_size: int) -> int:
    """Everything the ingest computes before its database writes."""
    parser = get_parser(tool)
    keys = 0
    with path.open("rb") as report, tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        spool_report(parser, report, spool, skipped=[])
        for batch in read_batches(spool, batch_size):
            unique = {finding["dedup_key"]: finding for finding in batch}
            for finding in unique.values():
                content_hash(finding)
            keys += len(unique)
    return keys


def floor(path: Path) -> int:
    return len(json.loads(path.read_bytes()))


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def peak_memory(function: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


class CommandCounter(monitoring.CommandListener):
    def __init__(self) -> None:
        self.commands: Counter[str] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.commands[event.command_name] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        return None

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        return None


class BatchTimer:
    """Wraps the ingest's batch writer to time each batch (the growth check: last vs first)."""

    def __init__(self, service: FindingsIngestService) -> None:
        self.seconds: list[float] = []
        write = service._write_batch

        async def timed_write(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await write(*args, **kwargs)
            finally:
                self.seconds.append(time.perf_counter() - started)

        service._write_batch = timed_write  # type: ignore[method-assign]


async def _median_ms(call: Callable[[], Any], repeat: int = 5) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return sorted(samples)[len(samples) // 2]


async def database_ingest(tool: str, path: Path, uri: str, batch_size: int) -> dict[str, Any]:
    """Import the report, re-import it unchanged, then time the list and count queries at that size."""
    counter = CommandCounter()
    suffix = uuid.uuid4().hex[:8]
    registry = DatabaseRegistry({variable: f"bench{suffix}_{database.value.lower()}"
                                 for database, variable in _variables().items()})
    manager = CSPMDatabaseManager(uri, registry,
                                  client_factory=lambda u: AsyncMongoClient(
                                      u, event_listeners=[counter], socketTimeoutMS=None, connectTimeoutMS=None))
    try:
        indexes = IndexManagementService(manager, 180, CORE_INDEXES)
        indexes.add(collect_domain_indexes(["cspm.findings.repository", "cspm.findings.vulnerabilities"]))
        await indexes.ensure_indexes()
        findings = FindingsRepository(manager.db(Database.SECURITY_SCANS))
        runs = ScanRunRepository(manager.db(Database.ORCHESTRATION))
        service = FindingsIngestService(findings, runs, VulnerabilitySync(manager.db(Database.VULNERABILITIES),
                                                                          findings.collection),
                                        FindingsSettings(ingest_batch_size=batch_size), Metrics())
        outcome: dict[str, Any] = {}
        timer = BatchTimer(service)
        for phase in ("import", "reimport"):
            run = await runs.create("bench", kind=RunKind.IMPORT, tools=[tool], requested_by="bench",
                                    scope_key=f"{tool}:bench", state=RunState.RUNNING)
            timer.seconds = []
            counter.commands.clear()
            started = time.perf_counter()
            with path.open("rb") as report:
                result = await service.ingest(IngestRequest("bench", tool, run["run_id"], "bench", f"{tool}:bench"),
                                              get_parser(tool), report)
            outcome[phase] = {"seconds": time.perf_counter() - started, "commands": dict(counter.commands),
                              "counts": result.counts.as_dict(), "batches": timer.seconds}
        active = {"result": "fail", "status": {"$in": ["open", "reopened"]}}
        now = datetime.now(UTC)
        outcome["list_ms"] = await _median_ms(lambda: findings.page("bench", active, [("severity_rank", -1),
                                                                                     ("_id", -1)], 50))
        outcome["count_ms"] = await _median_ms(lambda: findings.count("bench", active))
        outcome["facets_ms"] = await _median_ms(lambda: findings.facets("bench", active, now))
        return outcome
    finally:
        for _, name in registry.items():
            await manager.client().drop_database(name)
        await manager.close()


def _variables() -> dict[Database, str]:
    from cspm.core.database.registry import ENV_VARIABLES

    return dict(ENV_VARIABLES)


def _summary_rows(row: str, outcome: dict[str, Any]) -> list[str]:
    """Markdown rows for a CI job summary (GitHub's $GITHUB_STEP_SUMMARY)."""
    rows = []
    for phase in ("import", "reimport"):
        figures = outcome[phase]
        batches = figures["batches"]
        growth = batches[-1] / batches[0] if batches and batches[0] else 0.0
        rows.append(f"| {row} | {phase} | {figures['seconds']:.2f} | "
                    f"{figures['counts']['parsed'] / figures['seconds']:,.0f} | {growth:.2f} |")
    return rows


def _print_database_run(history: History, row: str, outcome: dict[str, Any]) -> None:
    for phase in ("import", "reimport"):
        figures = outcome[phase]
        batches = figures["batches"]
        total = sum(figures["commands"].values())
        parsed = max(1, figures["counts"]["parsed"])
        growth = batches[-1] / batches[0] if batches and batches[0] else 0.0
        print(f"         {phase:8} {history.beside(row, phase + '_s', figures['seconds'])}, "
              f"{history.beside(row, phase + '_findings_per_s', parsed / figures['seconds'], '/s', 0)}, "
              f"last/first batch {history.beside(row, phase + '_growth', growth, 'x')}, "
              f"{total} commands ({total / parsed:.4f} per finding)")
        print(f"                  counts {figures['counts']}")
        print(f"                  batches (s): {', '.join(f'{seconds:.2f}' for seconds in batches)}")
    print(f"         queries  list 50 {history.beside(row, 'list_ms', outcome['list_ms'], 'ms', 1)}, "
          f"count {history.beside(row, 'count_ms', outcome['count_ms'], 'ms', 1)}, "
          f"facets {history.beside(row, 'facets_ms', outcome['facets_ms'], 'ms', 1)}")


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--sizes", default="1000,10000,100000")
    options.add_argument("--db-sizes", default="1000")
    options.add_argument("--tools", default="trivy,prowler")
    options.add_argument("--batch-size", type=int, default=FindingsSettings().ingest_batch_size)
    options.add_argument("--engine", choices=[engine.value for engine in EmbeddedEngine],
                         default=EmbeddedEngine.SECANTUS.value,
                         help="embedded store when MONGODB_URI is unset (default: the platform's default)")
    options.add_argument("--summary", type=Path,
                         help="append a Markdown table of the database runs to this file (CI job summary)")
    options.add_argument("--target-findings-per-s", type=float, default=0,
                         help="print a GitHub warning annotation for a database run below this rate")
    arguments = options.parse_args()
    db_sizes = sorted({int(size) for size in arguments.db_sizes.split(",") if size})
    sizes = sorted({int(size) for size in arguments.sizes.split(",") if size} | set(db_sizes))
    tools = arguments.tools.split(",")

    external = os.environ.get("MONGODB_URI")
    store = "mongodb" if external else arguments.engine
    history = History(f"ingest-{store}")
    with tempfile.TemporaryDirectory(prefix="cspm-bench-") as directory:
        server = None
        if db_sizes and not external:
            server = embedded_server(EmbeddedEngine(arguments.engine), Path(directory) / "store")
        uri = external or (server.start() if server else "")
        if db_sizes:
            print(f"database for the ingest runs at N in {db_sizes}: "
                  f"{'MONGODB_URI' if external else f'embedded {arguments.engine}'}")
        print(f"batch size {arguments.batch_size}; figures in brackets are the previous run's "
              f"({history.path.name})")
        header = (f"{'tool':8} {'N':>7} {'size MB':>8} {'pipeline s':>11} {'json.loads s':>13} {'ratio':>6} "
                  f"{'findings/s':>11} {'peak MB':>8} {'floor peak MB':>14}")
        print(header)
        print("-" * len(header))
        summary: list[str] = []
        try:
            for tool in tools:
                for size in sizes:
                    path = GENERATORS[tool](Path(directory) / f"{tool}-{size}.json", size)
                    pipeline_s, keys = timed(lambda: pipeline(tool, path, arguments.batch_size))  # noqa: B023
                    floor_s, _ = timed(lambda: floor(path))  # noqa: B023
                    peak = peak_memory(lambda: pipeline(tool, path, arguments.batch_size))  # noqa: B023
                    floor_peak = peak_memory(lambda: floor(path))  # noqa: B023
                    row = f"{tool} {size}"
                    history.record(row, pipeline_ratio=round(pipeline_s / floor_s, 2))
                    print(f"{tool:8} {size:>7} {path.stat().st_size / 1e6:>8.1f} {pipeline_s:>11.2f} "
                          f"{floor_s:>13.3f} {pipeline_s / floor_s:>6.1f} {keys / pipeline_s:>11.0f} "
                          f"{peak / 1e6:>8.1f} {floor_peak / 1e6:>14.1f}")
                    if size in db_sizes:
                        outcome = asyncio.run(database_ingest(tool, path, uri, arguments.batch_size))
                        _print_database_run(history, row, outcome)
                        summary += _summary_rows(row, outcome)
                        rate = outcome["import"]["counts"]["parsed"] / outcome["import"]["seconds"]
                        if rate < arguments.target_findings_per_s:
                            print(f"::warning::{row}: {rate:,.0f} findings/s on import, below the target of "
                                  f"{arguments.target_findings_per_s:,.0f}")
                    path.unlink()
        finally:
            if server is not None:
                server.stop()
    history.save()
    if arguments.summary and summary:
        with arguments.summary.open("a") as out:
            out.write(f"### Ingest into {store}\n\n| report | phase | seconds | findings/s | last/first batch |\n"
                      "|---|---|---:|---:|---:|\n" + "\n".join(summary) + "\n")


if __name__ == "__main__":
    main()
