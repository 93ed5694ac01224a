"""Team data for the cross-team probe: STIX indicators (one TLP:RED), a CSV list, a correlation, a TAXII source."""

from __future__ import annotations

import json

from tests.conftest import SHARED
from tests.threat_intel.helpers import NMAP_IN_APT1_RANGE

APT1 = SHARED / "threat-intel" / "stix21-apt1.json"
RED_CSV = b"value,type,confidence,tags\nred.evil.example,domain,90,tlp:red\n"


async def seed(client, session) -> None:
    imported = await client.post("/api/threat-intel/indicators/import", headers=session.headers,
                                 files={"file": ("apt1.json", APT1.read_bytes(), "application/json")},
                                 data={"format": "stix", "source": "seed"})
    assert imported.status_code == 201, imported.text
    red = await client.post("/api/threat-intel/indicators/import", headers=session.headers,
                            files={"file": ("red.csv", RED_CSV, "text/csv")}, data={"format": "csv"})
    assert red.status_code == 201, red.text
    created = await client.post("/api/threat-intel/indicators", headers=session.headers,
                                json={"type": "ipv4", "value": "203.0.113.7", "confidence": 50, "tags": ["seed"]})
    assert created.status_code == 201, created.text
    nmap = await client.post("/api/findings/import", headers=session.headers,
                             files={"file": ("nmap.xml", NMAP_IN_APT1_RANGE.read_bytes(), "application/xml")},
                             data={"tool": "nmap", "scope": "seed"})
    assert nmap.status_code == 201, nmap.text
    taxii = await client.post("/api/threat-intel/sources/taxii", headers=session.headers,
                              json={"name": "seed feed", "collection_url": "http://127.0.0.1:9/taxii2/api/collections/"
                                    "91a7b528-80eb-42ed-a74d-c6fbd5a26116/", "password": "seed-secret"})
    assert taxii.status_code == 201, taxii.text
    correlations = (await client.get("/api/threat-intel/correlations", headers=session.headers)).json()
    assert correlations["total"] >= 1, json.dumps(correlations)[:300]
