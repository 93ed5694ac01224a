"""KEV and EPSS feeds: the shipped snapshot, validation, imports, and failures that keep the last catalogue.

Downloads are tested on a local HTTP server on 127.0.0.1 (and on a closed port there): this
machine has no route to CISA or FIRST, which is also what the failure tests rely on.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cspm.threat_intel.feeds import KEV_FEED, SHIPPED_KEV, FeedError, FeedService, parse_epss, parse_kev
from cspm.threat_intel.settings import ThreatIntelSettings
from tests.threat_intel.helpers import kev_catalogue, kev_entry

EPSS_CSV = (b"#model_version:v2025.03.14,score_date:2025-08-25T12:55:00Z\n"
            b"cve,epss,percentile\nCVE-2020-15999,0.94123,0.99871\nCVE-2021-33574,0.01234,0.6543\n")


class FeedServer:
    """Serves fixed bodies by path on 127.0.0.1 (a stand-in for CISA's and FIRST's file servers)."""

    def __init__(self) -> None:
        self.bodies: dict[str, tuple[int, bytes]] = {}
        bodies = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body = bodies.get(self.path, (404, b"not found"))
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer()
    yield server
    server.server.shutdown()


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/known_exploited_vulnerabilities.json"


def feeds_with(container, **settings) -> FeedService:
    feeds = container.resolve(FeedService)
    feeds.settings = ThreatIntelSettings(**{"feed_timeout_seconds": 5, **settings})
    return feeds


def test_the_shipped_kev_snapshot_validates_against_cisas_schema():
    catalogue = parse_kev(SHIPPED_KEV.read_bytes())
    assert len(catalogue.entries) == 1404
    assert (catalogue.version, catalogue.date) == ("2025.08.25", "2025-08-25")
    assert (SHIPPED_KEV.parent / "KEV-LICENSE.txt").read_text().startswith("The KEV database is distributed under")


@pytest.mark.parametrize(("change", "message"), [
    (lambda doc: doc["vulnerabilities"][0].update(cveID="CVE-25-1"), "vulnerabilities/0/cveID"),
    (lambda doc: doc.pop("catalogVersion"), "'catalogVersion' is a required property"),
    (lambda doc: doc.update(count=9), "says count 9 but holds 2 entries"),
])
def test_an_invalid_catalogue_is_refused_with_the_reason(change, message):
    document = json.loads(kev_catalogue(["CVE-2020-15999", "CVE-2025-48384"]))
    change(document)
    with pytest.raises(FeedError, match=message):
        parse_kev(json.dumps(document))


async def test_shipped_baseline_loads_once_and_the_monitor_gives_its_age(container):
    feeds = feeds_with(container, kev_baseline_at_startup=True)
    assert await feeds.ensure_kev_baseline() is True
    assert await feeds.kev.count() == 1404
    assert await feeds.ensure_kev_baseline() is False
    status = container.integrity.get(f"threat_intel:{KEV_FEED}")
    assert status is not None and status.mode.startswith("KEV catalogue from 2025-08-25: ")
    assert status.mode.endswith(" days old")


async def test_daily_job_failure_is_recorded_and_keeps_the_last_catalogue(container):
    feeds = feeds_with(container, kev_url=closed_port_url())
    await feeds.import_kev(kev_catalogue(["CVE-2020-15999", "CVE-2025-48384"]), source="test")
    result = await feeds.refresh_kev()
    assert result["ok"] is False and "could not be reached" in result["error"]
    assert await feeds.kev.all_ids() == {"CVE-2020-15999", "CVE-2025-48384"}
    status = next(feed for feed in await feeds.feeds() if feed["feed"] == KEV_FEED)
    assert status["ok"] is False and status["version"] == "test" and "could not be reached" in status["health"]
    assert [run["ok"] for run in status["runs"]] == [False, True]


async def test_daily_job_imports_records_added_and_removed_and_refuses_invalid(container, feed_server):
    feeds = feeds_with(container, kev_url=feed_server.url("/kev.json"))
    await feeds.import_kev(kev_catalogue(["CVE-2020-15999", "CVE-2025-48384"]), source="test")
    feed_server.bodies["/kev.json"] = (200, kev_catalogue(["CVE-2020-15999"], extra=[kev_entry("CVE-2021-33574")],
                                                          version="next"))
    result = await feeds.refresh_kev()
    assert result["ok"] is True and (result["added"], result["removed"], result["modified"]) == (1, 1, 0)
    run = (await feeds.status.recent_runs(KEV_FEED, 1))[0]
    assert run["added_ids"] == ["CVE-2021-33574"] and run["removed_ids"] == ["CVE-2025-48384"]

    feed_server.bodies["/kev.json"] = (200, b'{"title": "not a catalogue"}')
    refused = await feeds.refresh_kev()
    assert refused["ok"] is False and "required property" in refused["error"]
    assert await feeds.kev.all_ids() == {"CVE-2020-15999", "CVE-2021-33574"}
    feed_server.bodies["/kev.json"] = (503, b"busy")
    assert "HTTP 503" in (await feeds.refresh_kev())["error"]


def test_epss_csv_is_read_with_its_model_line_plain_or_gzipped():
    for raw in (EPSS_CSV, gzip.compress(EPSS_CSV)):
        parsed = parse_epss(raw)
        assert parsed.model_version == "v2025.03.14" and parsed.score_date == "2025-08-25"
        assert parsed.scores["CVE-2020-15999"] == (0.94123, 0.99871)
    with pytest.raises(FeedError, match="header cve,epss,percentile"):
        parse_epss(b"cve;epss\n")
    with pytest.raises(FeedError, match="line 3"):
        parse_epss(b"cve,epss,percentile\nCVE-2020-15999,high,0.9\n")


async def test_epss_job_from_a_url_and_its_failure(container, feed_server):
    feed_server.bodies["/epss.csv.gz"] = (200, gzip.compress(EPSS_CSV))
    feeds = feeds_with(container, epss_url=feed_server.url("/epss.csv.gz"))
    result = await feeds.refresh_epss()
    assert result["ok"] is True and result["count"] == 2
    feeds.settings = ThreatIntelSettings(epss_url=closed_port_url(), feed_timeout_seconds=5)
    failed = await feeds.refresh_epss()
    assert failed["ok"] is False
    assert (await feeds.epss.by_cve(["CVE-2020-15999"]))["CVE-2020-15999"]["epss"] == 0.94123
    # An older file does not replace newer scores.
    older = EPSS_CSV.replace(b"2025-08-25", b"2025-08-01").replace(b"0.94123", b"0.5")
    await feeds.import_epss(older, source="old file")
    assert (await feeds.epss.by_cve(["CVE-2020-15999"]))["CVE-2020-15999"]["epss"] == 0.94123
