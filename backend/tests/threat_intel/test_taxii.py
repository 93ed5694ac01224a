"""TAXII 2.1 poll: the real taxii2-client against a local HTTP server on 127.0.0.1.

The server replays responses shaped as the TAXII 2.1 specification defines them (collection
resource, paged object envelopes with ``more``/``next`` and ``X-TAXII-Date-Added-Last``) carrying
the real APT1 bundle's objects. They are written for the test, not captured from a TAXII server.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from cspm.threat_intel.service import ThreatIntelService

TEAM = "team-taxii"
MEDIA = "application/taxii+json;version=2.1"
COLLECTION = "/api1/collections/91a7b528-80eb-42ed-a74d-c6fbd5a26116/"


class TaxiiReplay:
    def __init__(self, objects: list[dict]) -> None:
        self.requests: list[dict[str, list[str]]] = []
        half = len(objects) // 2
        pages = {"": (objects[:half], True, "2015-05-15T09:12:16.000Z"),
                 "page-2": (objects[half:], False, "2015-05-16T00:00:00.000Z")}
        seen = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = parse_qs(url.query)
                seen.append(query)
                headers = {"Content-Type": MEDIA}
                if url.path == COLLECTION:
                    body = {"id": "91a7b528-80eb-42ed-a74d-c6fbd5a26116", "title": "APT1 indicators",
                            "can_read": True, "can_write": False, "media_types": [MEDIA]}
                elif url.path == f"{COLLECTION}objects/":
                    page, more, added_last = pages[query.get("next", [""])[0]]
                    body = {"more": more, "objects": page, **({"next": "page-2"} if more else {})}
                    headers["X-TAXII-Date-Added-First"] = "2015-05-15T09:12:16.000Z"
                    headers["X-TAXII-Date-Added-Last"] = added_last
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                raw = json.dumps(body).encode()
                self.send_response(200)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def collection_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{COLLECTION}"


@pytest.fixture
def taxii(shared_dir) -> Iterator[TaxiiReplay]:
    objects = json.loads((shared_dir / "threat-intel" / "stix21-apt1.json").read_bytes())["objects"]
    server = TaxiiReplay(objects)
    yield server
    server.server.shutdown()


async def test_poll_pages_through_the_collection_and_resumes_from_the_last_added_date(container, taxii):
    intel = container.resolve(ThreatIntelService)
    source = await intel.add_taxii_source(team_id=TEAM, actor="u", values={
        "name": "apt1", "collection_url": taxii.collection_url, "username": "reader", "password": "s3cret",
        "enabled": True})
    result = await intel.poll_taxii_source(team_id=TEAM, source_id=source["id"])
    assert result["ok"] is True and result["parsed"] == 12 and result["new"] == 12
    stored = await intel.taxii.get(TEAM, source["id"])
    assert stored["last_added_after"] == "2015-05-16T00:00:00.000Z" and stored["last_ok"] is True
    assert "s3cret" not in json.dumps(stored, default=str)  # kept encrypted

    again = await intel.poll_taxii_source(team_id=TEAM, source_id=source["id"])
    assert again["ok"] is True
    assert any(request.get("added_after") == ["2015-05-16T00:00:00.000Z"] for request in taxii.requests)
    assert again["new"] == 0  # the replay sends the same objects again: updated, not duplicated
