"""Threat intelligence correlation benchmark: N findings against the full KEV and M indicators.

    cd backend && ../.venv/bin/python -m benchmarks.threat_intel                       # 100k findings, 50k indicators
    cd backend && ../.venv/bin/python -m benchmarks.threat_intel --findings 10000 --indicators 5000
    MONGODB_URI=mongodb://... ../.venv/bin/python -m benchmarks.threat_intel

Against the platform's embedded default store (SecantusDB, in a temporary directory) or
MONGODB_URI. It loads the shipped KEV catalogue (1,404 entries), EPSS scores for every CVE
used, M indicators of one team (exact IPs, domains, URLs, hashes and a few hundred CIDR
ranges) and N findings (vulnerabilities with CVEs, some in KEV; Nmap host:ports, URLs and cloud
resources with IPs and DNS names, some of them named by an indicator), stored as an import stores
them: with the KEV flag, EPSS and priority the ingest's ``finding_intel`` provider gives a new
finding (``--unenriched`` stores them without, as when the module is switched on after the
imports). Set-up is timed apart.
Then it times ``ThreatCorrelationService.correlate_team`` — the path an indicator import takes:
every finding read once, KEV/EPSS joined by ``_id`` $in, indicators by their key index, CIDRs in
memory — three times: the first run (records every match; with ``--unenriched`` it also writes
KEV/EPSS/priority onto every finding), a second run with nothing changed (the join alone), and a
KEV change touching a few CVEs (the incremental refresh). It prints each time, findings/s, the CPU
time of this process and of the embedded store's (the figure a busy machine inflates least), the
load average, the database commands issued (PyMongo command monitoring) and the previous run's
figures (benchmarks/results/).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import random
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pymongo import monitoring

from benchmarks.history import History
from cspm.core.container import ServiceContainer
from cspm.core.database.embedded import SecantusServer, embedded_server
from cspm.core.database.registry import Database
from cspm.core.kv import MemoryStore
from cspm.core.settings import CoreSettings, EmbeddedEngine
from cspm.threat_intel.correlation import ThreatCorrelationService
from cspm.threat_intel.feeds import SHIPPED_KEV, FeedService
from cspm.threat_intel.indicators import stable_id
from cspm.threat_intel.models import IndicatorType, observable

TEAM = "bench-team"
INSERT_CHUNK = 5000


class CommandCounter(monitoring.CommandListener):
    def __init__(self) -> None:
        self.commands: Counter[str] = Counter()
        self.seconds: Counter[str] = Counter()
        self.slowest: dict[str, tuple[float, str]] = {}
        self._started: dict[int, str] = {}

    def clear(self) -> None:
        self.commands.clear()
        self.seconds.clear()
        self.slowest.clear()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.commands[event.command_name] += 1
        self._started[event.request_id] = str(event.command)[:160]

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        seconds = event.duration_micros / 1e6
        self.seconds[event.command_name] += seconds
        text = self._started.pop(event.request_id, "")
        if seconds > self.slowest.get(event.command_name, (0.0, ""))[0]:
            self.slowest[event.command_name] = (seconds, text)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._started.pop(event.request_id, None)


def synthetic_indicators(count: int, rng: random.Random) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """Indicators of one team, and the IPs and domains among them (some findings will name them)."""
    now = datetime.now(UTC)
    ips, domains, documents = [], [], []
    seen: set[str] = set()
    number = -1
    while len(documents) < count:
        number += 1
        slot = number % 100
        if slot == 0:
            value, kind = f"{rng.randrange(11, 220)}.{rng.randrange(256)}.0.0/{rng.choice((16, 20, 24))}", "ipv4"
        elif slot < 60:
            value, kind = str(ipaddress.IPv4Address(rng.randrange(0x0B000000, 0xDF000000))), "ipv4"
            ips.append(value)
        elif slot < 80:
            value, kind = f"c2-{number}.bad-{rng.randrange(1000)}.example", "domain"
            domains.append(value)
        elif slot < 90:
            value, kind = f"https://drop-{number}.example/payload/{number}", "url"
        else:
            value, kind = uuid.UUID(int=rng.getrandbits(128)).hex + uuid.UUID(int=rng.getrandbits(128)).hex, "sha256"
        item = observable(IndicatorType(kind), value)
        if item.key in seen:  # a random range drawn twice
            continue
        seen.add(item.key)
        documents.append({"team_id": TEAM, "stix_id": stable_id("bench", kind, value), "name": value,
                          "pattern_type": "bench", "observables": [item.model_dump()], "valid_from": None,
                          "valid_until": None, "confidence": 50, "tlp": "amber", "tags": [], "source": "bench",
                          "context": [{"stix_id": "malware--bench", "type": "malware", "name": "BenchRAT",
                                       "relationship": "indicates"}], "created_at": now, "updated_at": now})
    return documents, ips, domains


def synthetic_findings(count: int, kev_ids: list[str], ips: list[str], domains: list[str],
                       rng: random.Random) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    severities = ("critical", "high", "medium", "low", "info")
    documents = []
    for number in range(count):
        slot = number % 20
        if slot < 12:  # vulnerabilities: one in ten with a KEV CVE
            cve = rng.choice(kev_ids) if slot == 0 else f"CVE-20{rng.randrange(10, 25)}-{rng.randrange(1000, 60000)}"
            resource, category, cves = {"type": "package", "id": f"pkg:deb/lib{number}@1.0"}, "vulnerability", [cve]
        elif slot < 16:  # Nmap host:port, one in 50 on an indicator IP
            host = rng.choice(ips) if number % 50 == 12 else str(ipaddress.IPv4Address(rng.randrange(0x0B000000,
                                                                                                   0xDF000000)))
            resource, category, cves = {"type": "host_port", "id": f"{host}:{rng.choice((22, 80, 443))}"}, "network", []
        elif slot < 18:  # web URLs, some on an indicator domain
            host = f"www.{rng.choice(domains)}" if number % 40 == 16 else f"app{number}.corp.example"
            resource, category, cves = {"type": "url", "id": f"https://{host}/login"}, "web", []
        else:  # cloud resources with DNS names in them
            resource = {"type": "AwsElbLoadBalancer", "id": f"arn:aws:elasticloadbalancing:eu-west-1:1:lb/{number}",
                        "name": f"lb-{number}.eu-west-1.elb.amazonaws.com"}
            category, cves = "cloud", []
        severity = severities[number % 5]
        documents.append({"team_id": TEAM, "dedup_key": f"bench-{number:08d}", "source_tool": "bench",
                          "rule_id": f"R{number % 300}", "title": f"finding {number}", "severity": severity,
                          "severity_rank": 4 - number % 5, "status": "open", "result": "fail", "category": category,
                          "resource": resource, "cve_ids": cves, "cvss_score": round(rng.uniform(0, 10), 1)
                          if cves else None, "first_seen": now, "last_seen": now, "times_seen": 1,
                          "scope_key": "bench:default"})
    return documents


def cpu_seconds(pid: int | None) -> float:
    """CPU time (user + system) of a process so far: the figure a busy machine inflates least."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def insert(collection: Any, documents: list[dict[str, Any]]) -> None:
    for start in range(0, len(documents), INSERT_CHUNK):
        await collection.insert_many(documents[start:start + INSERT_CHUNK], ordered=False)


async def run(uri: str, data_dir: Path, findings: int, indicators: int, history: History,
              store_pid: int | None = None, *, unenriched: bool = False) -> None:
    rng = random.Random(15)
    counter = CommandCounter()
    settings = CoreSettings.model_construct(environment="test", mongodb_uri=SecretStr(uri), data_dir=data_dir,
                                            celery_always_in_process=True, mongodb_uri_is_embedded=True)
    container = ServiceContainer(settings)
    started = time.perf_counter()
    await container.start(kv=MemoryStore())
    feeds = container.resolve(FeedService)
    kev_raw = SHIPPED_KEV.read_bytes()
    await feeds.import_kev(kev_raw, source="shipped snapshot")
    kev_ids = sorted(await feeds.kev.all_ids())
    indicator_documents, ips, domains = synthetic_indicators(indicators, rng)
    intel = container.database.db(Database.THREAT_INTELLIGENCE)
    await insert(intel["indicators"], indicator_documents)
    finding_documents = synthetic_findings(findings, kev_ids, ips, domains, rng)
    cves = sorted({cve for document in finding_documents for cve in document["cve_ids"]})
    await feeds.epss.insert([{"_id": cve, "epss": round(rng.random(), 5), "percentile": round(rng.random(), 5),
                              "date": "2025-08-25", "source": "FIRST EPSS"} for cve in cves])
    if not unenriched:  # as an import stores them: KEV, EPSS and priority in the finding's insert
        service = container.resolve(ThreatCorrelationService)
        for start in range(0, len(finding_documents), INSERT_CHUNK):
            chunk = finding_documents[start:start + INSERT_CHUNK]
            for document, fields in zip(chunk, await service.intel_for_new_findings(TEAM, chunk), strict=True):
                document.update(fields)
    await insert(container.database.db(Database.SECURITY_SCANS)["findings"], finding_documents)
    setup = time.perf_counter() - started
    row = f"{findings} findings {indicators} indicators" + ("" if unenriched else " as imported")
    print(f"set-up (KEV 1,404, {len(cves)} EPSS scores, {indicators} indicators, {findings} findings"
          f"{' without intel' if unenriched else ' with the intel an import gives them'}): {setup:.1f} s")

    monitoring.register(counter)  # global listeners apply to clients created afterwards: time with a new one
    await container.stop()
    container = ServiceContainer(settings)
    await container.start(kv=MemoryStore(), ensure_indexes=False)
    service = container.resolve(ThreatCorrelationService)
    for label, action in (("first correlation", None), ("again, nothing changed", None),
                          ("KEV change of 10 CVEs", "kev")):
        counter.clear()
        begun = time.perf_counter()
        cpu_begun = (time.process_time(), cpu_seconds(store_pid))
        if action == "kev":
            catalogue = json.loads(kev_raw)
            for entry in catalogue["vulnerabilities"][:10]:
                entry["dueDate"] = "2030-01-01"
            await container.resolve(FeedService).import_kev(json.dumps(catalogue).encode(), source="bench change")
            counts = None
        else:
            counts = await service.correlate_team(TEAM)
        seconds = time.perf_counter() - begun
        client_cpu, store_cpu = time.process_time() - cpu_begun[0], cpu_seconds(store_pid) - cpu_begun[1]
        figure = history.beside(row, label, seconds)
        detail = (f"{counts.intel_written} findings written, {counts.matches} matches ({counts.new_matches} new)"
                  if counts else "")
        commands = ", ".join(f"{name} {n} ({counter.seconds[name]:.2f} s)"
                             for name, n in counter.commands.most_common(6))
        if os.environ.get("BENCH_SLOWEST"):
            for name, (slow, text) in counter.slowest.items():
                print(f"{'':>28}slowest {name}: {slow:.2f} s {text}")
        cpu = f"CPU {client_cpu:.1f} s here" + (f" + {store_cpu:.1f} s in the store" if store_pid else "")
        print(f"{label:>26}: {figure}  {findings / seconds:,.0f} findings/s  {detail}\n{'':>28}{cpu}; "
              f"load {os.getloadavg()[0]:.1f}\n{'':>28}commands: {commands}")
    await container.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--indicators", type=int, default=50_000)
    parser.add_argument("--unenriched", action="store_true",
                        help="findings stored without intel (the module switched on after they were imported): "
                             "the first correlation then writes every finding")
    arguments = parser.parse_args()
    external = os.environ.get("MONGODB_URI")
    history = History(f"threat-intel-{'mongodb' if external else 'secantus'}")
    with tempfile.TemporaryDirectory(prefix="cspm-bench-ti-") as directory:
        server = None if external else embedded_server(EmbeddedEngine.SECANTUS, Path(directory) / "store")
        uri = external or server.start()  # type: ignore[union-attr]
        print(f"database: {'MONGODB_URI' if external else 'embedded SecantusDB'}")
        try:
            store_pid = server.process.pid if isinstance(server, SecantusServer) and server.process else None
            asyncio.run(run(uri, Path(directory) / "data", arguments.findings, arguments.indicators, history,
                            store_pid, unenriched=arguments.unenriched))
        finally:
            if server is not None:
                server.stop()
    history.save()


if __name__ == "__main__":
    main()
