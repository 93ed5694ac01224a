"""Benchmark: stream exports of 10,000 to 100,000 findings in each format; peak memory must not grow with N.

    cd backend && ../.venv/bin/python -m benchmarks.exports [--sizes 10000,50000,100000] [--formats csv,json,ocsf,sarif]
    MONGODB_URI=mongodb://... ../.venv/bin/python -m benchmarks.exports --database   # through a real MongoDB cursor

Each (format, N) runs in its own process, so its peak RSS (``ru_maxrss``) is its own: the figure
is the peak above the process's RSS once everything is imported (the export's own memory).
Findings are shaped like stored ones, made from what the real Prowler and Trivy parsers produce
from the reports in ``shared/scans`` (every one a distinct id and resource). Without
``--database`` the batches come from a generator shaped like the repository's cursor stream
(the encoding and chunking the route does, without a database); with it they are inserted
into a real MongoDB and read back through ``FindingsRepository.stream`` (mongoeco, the embedded
stand-in, is too slow to hold 100,000 documents: see DESIGN.md). The bytes are counted and
dropped, as a client reading the download would. Prints figures beside the previous run's;
nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.history import History  # noqa: E402
from cspm.exports.formats import CODE_FINDINGS, chunks, encoded  # noqa: E402
from cspm.findings.models import Severity, service_of  # noqa: E402
from cspm.scanners.parsers import get_parser  # noqa: E402

SHARED = Path(os.environ.get("CSPM_SHARED_DIR") or ROOT.parent.parent / "shared")
REPORTS = (("prowler", "prowler/prowler_5.46_aws_moto_s3_iam.ocsf.json"), ("trivy", "trivy/scheme_2_many_vulns.json"),
           ("trivy", "trivy/trivy_0.76_fs_misconfig.json"))
BATCH = 500


def templates() -> list[dict[str, Any]]:
    found = []
    for tool, relative in REPORTS:
        with (SHARED / "scans" / relative).open("rb") as report:
            found += [finding.model_dump(mode="json") for finding in get_parser(tool).parse(report)]
    if not found:
        raise SystemExit(f"no scanner reports under {SHARED / 'scans'} (set CSPM_SHARED_DIR)")
    return found


def stored(template: dict[str, Any], index: int, now: datetime) -> dict[str, Any]:
    """A finding as the repository returns it: team, lifecycle and timestamps, a distinct resource per index."""
    resource_id = f"{template['resource']['id']}#{index}"
    severity = Severity(template["severity"])
    return {**template, "id": f"{index:024x}", "team_id": "benchmark", "dedup_key": f"{index:064x}",
            "resource": {**template["resource"], "id": resource_id}, "status": "open",
            "severity_rank": severity.rank, "service": service_of(template), "first_seen": now - timedelta(days=3),
            "last_seen": now, "times_seen": 2, "sla_due_at": now + timedelta(days=7), "overdue": False}


async def generated(count: int, code_only: bool) -> AsyncIterator[list[dict[str, Any]]]:
    base = templates()
    if code_only:
        base = [template for template in base if template["resource"]["type"] == CODE_FINDINGS["resource.type"]]
    base.sort(key=lambda template: template["source_tool"])  # the SARIF sort: one run per tool
    now = datetime.now(UTC)
    for start in range(0, count, BATCH):
        yield [stored(base[index % len(base)], index, now) for index in range(start, min(start + BATCH, count))]
        await asyncio.sleep(0)


async def from_database(count: int, export_format: str) -> AsyncIterator[list[dict[str, Any]]]:
    from pymongo import AsyncMongoClient

    from cspm.exports.formats import SORTS
    from cspm.findings.repository import FindingsRepository

    client: AsyncMongoClient = AsyncMongoClient(os.environ["MONGODB_URI"])
    database = client[f"cspm_benchmark_exports_{os.getpid()}"]
    try:
        async for batch in generated(count, export_format == "sarif"):
            await database["findings"].insert_many([{k: v for k, v in item.items() if k != "id"} for item in batch])
        repository = FindingsRepository(database)
        query = CODE_FINDINGS if export_format == "sarif" else {}
        async for batch in repository.stream("benchmark", query, SORTS[export_format], batch_size=BATCH):
            yield [{**document, "id": str(document["_id"])} for document in batch]
    finally:
        await client.drop_database(database.name)
        await client.close()


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def one(export_format: str, count: int, database: bool) -> dict[str, float]:
    templates()  # parsers imported and reports read before the baseline
    baseline = rss_mib()
    batches = from_database(count, export_format) if database else generated(count, export_format == "sarif")
    started = time.perf_counter()
    size = 0
    async for chunk in encoded(chunks(export_format, batches)):  # type: ignore[arg-type]
        size += len(chunk)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "findings_per_s": count / seconds, "mib": size / 2**20,
            "peak_rss_growth_mib": rss_mib() - baseline}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,50000,100000")
    parser.add_argument("--formats", default="csv,json,ocsf,sarif")
    parser.add_argument("--database", action="store_true", help="through a real MongoDB (MONGODB_URI)")
    parser.add_argument("--one", nargs=2, metavar=("FORMAT", "N"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.one:
        print(json.dumps(asyncio.run(one(arguments.one[0], int(arguments.one[1]), arguments.database))))
        return
    if arguments.database and not os.environ.get("MONGODB_URI"):
        raise SystemExit("--database needs MONGODB_URI (a real MongoDB; the embedded stand-in cannot hold 100,000)")
    history = History("exports-database" if arguments.database else "exports")
    print(f"{'format':7} {'findings':>9}  {'time':>22}  {'findings/s':>24}  {'output':>12}  peak RSS above start")
    for export_format in arguments.formats.split(","):
        for count in (int(size) for size in arguments.sizes.split(",")):
            command = [sys.executable, "-m", "benchmarks.exports", "--one", export_format, str(count)]
            if arguments.database:
                command.append("--database")
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1800, check=False)
            if done.returncode:
                raise SystemExit(done.stderr[-2000:])
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            row = f"{export_format} {count}"
            print(f"{export_format:7} {count:>9}  {history.beside(row, 'seconds', figures['seconds']):>22}  "
                  f"{history.beside(row, 'findings_per_s', figures['findings_per_s'], '/s', 0):>24}  "
                  f"{figures['mib']:>8.1f} MiB  "
                  f"{history.beside(row, 'peak_rss_growth_mib', figures['peak_rss_growth_mib'], 'MiB', 1)}")
    history.save()


if __name__ == "__main__":
    main()
