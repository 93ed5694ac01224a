"""Ingest benchmark: parse + normalise + dedup against the json.loads floor, memory, and DB commands.

    cd backend && ../.venv/bin/python -m benchmarks.ingest                # 1k, 10k, 100k; DB at 1k
    cd backend && ../.venv/bin/python -m benchmarks.ingest --db-sizes 1000,10000
    MONGODB_URI=mongodb://... ../.venv/bin/python -m benchmarks.ingest --db-sizes 1000,10000,100000

For each generated report (Trivy JSON and Prowler OCSF JSON shaped like the real files) it
prints the pipeline's CPU time (parse, canonical model, dedup key, spool, batch dedup and
content hash: everything the ingest does except talking to the database), the time of a
plain ``json.loads`` of the same file (the floor), their ratio, the peak Python memory of
each (tracemalloc), and — for the sizes in ``--db-sizes`` — a full ingest into the
database with the number of database commands issued (PyMongo command monitoring).
Database *timings* at scale belong to a real MongoDB: the embedded stand-in (mongoeco)
scans whole collections for unique checks, so its write time grows quadratically.
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
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient, monitoring

from benchmarks.report_generators import write_prowler_ocsf_report, write_trivy_report
from cspm.core.database.embedded import EmbeddedMongoServer
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
        spool_report(parser, report, spool)
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


async def database_ingest(tool: str, path: Path, uri: str, batch_size: int) -> dict[str, Any]:
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
        run = await runs.create("bench", kind=RunKind.IMPORT, tools=[tool], requested_by="bench",
                                scope_key=f"{tool}:bench", state=RunState.RUNNING)
        counter.commands.clear()
        started = time.perf_counter()
        with path.open("rb") as report:
            result = await service.ingest(IngestRequest("bench", tool, run["run_id"], "bench", f"{tool}:bench"),
                                          get_parser(tool), report)
        elapsed = time.perf_counter() - started
        return {"seconds": elapsed, "commands": dict(counter.commands), "new": result.counts.new}
    finally:
        for _, name in registry.items():
            await manager.client().drop_database(name)
        await manager.close()


def _variables() -> dict[Database, str]:
    from cspm.core.database.registry import ENV_VARIABLES

    return dict(ENV_VARIABLES)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--sizes", default="1000,10000,100000")
    options.add_argument("--db-sizes", default="1000")
    options.add_argument("--tools", default="trivy,prowler")
    options.add_argument("--batch-size", type=int, default=FindingsSettings().ingest_batch_size)
    arguments = options.parse_args()
    sizes = [int(size) for size in arguments.sizes.split(",")]
    db_sizes = {int(size) for size in arguments.db_sizes.split(",") if size}
    tools = arguments.tools.split(",")

    external = os.environ.get("MONGODB_URI")
    server = None
    if db_sizes and not external:
        server = EmbeddedMongoServer(EmbeddedEngine.MEMORY, Path(tempfile.gettempdir()))
    uri = external or (server.start() if server else "")
    if db_sizes:
        print(f"database for the ingest runs at N in {sorted(db_sizes)}: "
              f"{'MONGODB_URI' if external else 'embedded mongoeco (memory)'}")
    print(f"batch size {arguments.batch_size}")
    header = (f"{'tool':8} {'N':>7} {'size MB':>8} {'pipeline s':>11} {'json.loads s':>13} {'ratio':>6} "
              f"{'findings/s':>11} {'peak MB':>8} {'floor peak MB':>14}")
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory(prefix="cspm-bench-") as directory:
        for tool in tools:
            for size in sizes:
                path = GENERATORS[tool](Path(directory) / f"{tool}-{size}.json", size)
                pipeline_s, keys = timed(lambda: pipeline(tool, path, arguments.batch_size))  # noqa: B023
                floor_s, _ = timed(lambda: floor(path))  # noqa: B023
                peak = peak_memory(lambda: pipeline(tool, path, arguments.batch_size))  # noqa: B023
                floor_peak = peak_memory(lambda: floor(path))  # noqa: B023
                print(f"{tool:8} {size:>7} {path.stat().st_size / 1e6:>8.1f} {pipeline_s:>11.2f} {floor_s:>13.3f} "
                      f"{pipeline_s / floor_s:>6.1f} {keys / pipeline_s:>11.0f} {peak / 1e6:>8.1f} "
                      f"{floor_peak / 1e6:>14.1f}")
                if size in db_sizes:
                    outcome = asyncio.run(database_ingest(tool, path, uri, arguments.batch_size))
                    total = sum(outcome["commands"].values())
                    print(f"         database ingest: {outcome['new']} findings in {outcome['seconds']:.2f} s, "
                          f"{total} commands ({total / max(1, outcome['new']):.4f} per finding): "
                          f"{dict(sorted(outcome['commands'].items()))}")
                path.unlink()
    if server is not None:
        server.stop()


if __name__ == "__main__":
    main()
