"""Shared pieces of the threat intelligence tests: real files, and small catalogues built from them."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from cspm.threat_intel.feeds import SHIPPED_KEV

DATA = Path(__file__).parent / "data"
NMAP_IN_APT1_RANGE = DATA / "nmap_built_for_test_host_in_apt1_range.xml"
"""The real shared nmap_1port.xml with its host changed to 58.247.10.20 (inside APT1's 58.246.0.0/15)."""


def shipped_kev() -> dict[str, Any]:
    return json.loads(SHIPPED_KEV.read_bytes())


def kev_catalogue(cve_ids: list[str], *, extra: list[dict[str, Any]] = (), version: str = "test") -> bytes:
    """A catalogue built for a test: the shipped entries for ``cve_ids`` plus ``extra`` ones, count matching.

    The full catalogue costs seconds per test database on the stand-in; a few entries say the same."""
    shipped = shipped_kev()
    entries = [entry for entry in shipped["vulnerabilities"] if entry["cveID"] in cve_ids] + list(extra)
    return json.dumps({**shipped, "catalogVersion": version, "count": len(entries),
                       "vulnerabilities": entries}).encode()


def kev_entry(cve_id: str, *, due: str = "2025-09-15", added: str = "2025-08-25",
              ransomware: str = "Unknown") -> dict[str, Any]:
    """A KEV entry built for a test (for a CVE of a real report that the real catalogue does not list)."""
    return {"cveID": cve_id, "vendorProject": "GNU", "product": "glibc",
            "vulnerabilityName": f"{cve_id} (built for test)", "dateAdded": added,
            "shortDescription": "Built for a test.", "requiredAction": "Apply updates per vendor instructions.",
            "dueDate": due, "knownRansomwareCampaignUse": ransomware, "notes": "", "cwes": []}


def scan(shared_dir: Path, relative: str) -> io.BytesIO:
    return io.BytesIO((shared_dir / "scans" / relative).read_bytes())


def stix(shared_dir: Path, name: str) -> bytes:
    return (shared_dir / "threat-intel" / name).read_bytes()
