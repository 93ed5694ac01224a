"""The ``vulners`` NSE script's table → one finding per CVE on the port (as DefectDojo does).

``<script id="vulners"><table key="cpe:/a:openbsd:openssh:7.4"><table><elem key="id">CVE-2018-15919</elem>
<elem key="cvss">5.0</elem><elem key="type">cve</elem><elem key="is_exploit">false</elem></table>…``

Entries of type ``cve`` are CVEs; the other entries (Metasploit modules, Exploit-DB, Packet
Storm…) are exploits: one whose id names a CVE (``MSF:ILITIES/UBUNTU-CVE-2019-6111/``) is
listed in that CVE's evidence as a known exploit (and makes a finding for that CVE when vulners
listed the exploit only); exploits naming no CVE stay in the port finding's script output.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # only for the Element type: parsing goes through defusedxml
from collections.abc import Iterator
from dataclasses import dataclass, field

from cspm.findings.models import CanonicalFinding, FindingCategory, PackageRef, Resource, Severity
from cspm.scanners.normalize import build_finding, cve_ids, cvss, identity, join_text, scan_scope, text

TOOL = "nmap"
SCRIPT_ID = "vulners"
VULNERS_URL = "https://vulners.com/{type}/{id}"


@dataclass
class _Cve:
    cve: str
    cpe: str
    score: float | None = None
    exploits: list[str] = field(default_factory=list)

    def add_score(self, score: float | None) -> None:
        if score is not None and (self.score is None or score > self.score):
            self.score = score


def _entries(script: ET.Element) -> Iterator[tuple[str, dict[str, str]]]:
    """(cpe, {id, cvss, type, is_exploit}) for every vulners entry."""
    for product in script.findall("table"):
        cpe = text(product.get("key")) or ""
        for entry in product.findall("table"):
            yield cpe, {key: value for elem in entry.findall("elem")
                        if (key := elem.get("key")) and (value := text(elem.text)) is not None}


def _package(cpe: str) -> PackageRef | None:
    """``cpe:/a:openbsd:openssh:7.4`` → openssh 7.4 (CPE 2.2 URI form, as Nmap writes it)."""
    parts = cpe.removeprefix("cpe:/").split(":")
    if len(parts) < 3 or not parts[2]:
        return None
    return PackageRef(name=parts[2], version=parts[3] if len(parts) > 3 and parts[3] else None)


def vulners_findings(script: ET.Element, *, host: str, hostname: str | None, endpoint: str, protocol: str,
                     port: str, position: str) -> Iterator[CanonicalFinding]:
    cves: dict[str, _Cve] = {}
    for cpe, entry in _entries(script):
        entry_id = entry.get("id")
        if entry_id is None:
            continue
        kind = (entry.get("type") or "").lower()
        named = cve_ids(entry_id)
        if kind == "cve" and named:
            record = cves.setdefault(named[0], _Cve(named[0], cpe))
            record.add_score(cvss(entry.get("cvss")))
            continue
        for cve in named:  # an exploit for a CVE
            record = cves.setdefault(cve, _Cve(cve, cpe))
            record.add_score(cvss(entry.get("cvss")))
            record.exploits.append(f"{entry_id} ({kind or 'exploit'}): {VULNERS_URL.format(type=kind, id=entry_id)}")
    for record in cves.values():
        package = _package(record.cpe)
        product = join_text(package.name, package.version, separator=" ") if package else None
        yield build_finding(
            TOOL, f"{position} {record.cve}",
            rule_id=record.cve,
            title=f"{record.cve} on {endpoint}" + (f" ({product})" if product else ""),
            description=f"The vulners NSE script matched {record.cpe or 'the service'} on {endpoint} "
                        f"to {record.cve}.",
            severity=Severity.from_cvss(record.score) if record.score is not None else Severity.INFO,
            tool_severity=f"{record.score:g}" if record.score is not None else None,
            category=FindingCategory.VULNERABILITY,
            resource=Resource(type="host_port", id=endpoint, name=hostname if hostname != host else None),
            cve_ids=[record.cve],
            package=package,
            cvss_score=record.score,
            evidence=join_text(f"Matched CPE: {record.cpe}" if record.cpe else None,
                               "Known exploits:\n" + "\n".join(record.exploits) if record.exploits else None,
                               separator="\n"),
            references=[VULNERS_URL.format(type="cve", id=record.cve)],
            identity=identity(host=host, protocol=protocol, port=port, cve=record.cve),
            scope=scan_scope("host", host),
        )
