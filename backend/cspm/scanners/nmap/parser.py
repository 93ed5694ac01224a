"""Nmap XML reports (``-oX``): one informational finding per open port.

Streamed host by host with defusedxml's iterparse; each ``<host>`` is dropped from the tree
once converted. Read from each host: ``<status state>``, ``<address addr addrtype>`` (IPv4,
else IPv6; MAC addresses are not hosts), ``<hostnames><hostname name type>`` and, per
``<ports><port protocol portid>``: ``<state state reason>``, ``<service name product
version extrainfo tunnel>``, ``<cpe>`` and ``<script id output>``.

Only ports in state ``open`` are findings (category ``network``, severity ``info``): closed,
filtered, ``open|filtered`` and the ``<extraports>`` summary are not; a host without open
ports yields nothing. A host naming no address or hostname, or with an open port without portid,
is skipped whole (hosts counted from 1) with the reason, and the other hosts import; a truncated
or non-Nmap report is refused whole. On an open port, the ``vulners`` NSE script's CVEs are findings of their
own (``parser_vulners``: category ``vulnerability``, severity from the CVSS score vulners gives).

Identity (hashed into ``dedup_key``): ``host`` (the IP address; the first hostname when Nmap
recorded no address) + ``protocol`` + ``port`` + ``service`` (Nmap's service name, so a port
that starts answering as another service is a new finding); a vulners CVE: ``host`` +
``protocol`` + ``port`` + ``cve``.

Mapping: resource ``host_port`` with id ``address:port`` (``[v6]:port``) and the hostname as
name; evidence = state reason, product/version/extra info, CPEs and NSE script output, each
script's output whole up to ``NSE_OUTPUT_MAX_CHARS`` (a longer one is cut and the evidence says
how much was kept).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # only for the Element type: parsing goes through defusedxml
from collections.abc import Iterator
from typing import BinaryIO

from cspm.findings.models import CanonicalFinding, FindingCategory, Resource, Severity
from cspm.scanners.base import RecordError, ReportFormatError, SkippedRecord, findings_or_skip
from cspm.scanners.nmap.parser_vulners import SCRIPT_ID as VULNERS_SCRIPT
from cspm.scanners.nmap.parser_vulners import vulners_findings
from cspm.scanners.normalize import build_finding, identity, join_text, scan_scope, text
from cspm.scanners.sniff import what_is_it
from cspm.scanners.streaming import PeekedReport, iter_xml, local_name, open_report

TOOL = "nmap"
RULE_ID = "open-port"
NSE_OUTPUT_MAX_CHARS = 12_000
"""Longest NSE script output kept in a port's evidence (below the model's EVIDENCE_MAX_CHARS)."""


class NmapParser:
    tool: str = TOOL
    formats: tuple[str, ...] = ("xml",)

    def parse(self, report: BinaryIO) -> Iterator[CanonicalFinding | SkippedRecord]:
        stream = open_report(self.tool, report)
        if stream.first_char() != "<":
            raise ReportFormatError(self.tool, f"not an Nmap XML report: {what_is_it(stream.head)}")
        return self._findings(stream)

    def _findings(self, stream: PeekedReport) -> Iterator[CanonicalFinding | SkippedRecord]:
        root: ET.Element | None = None
        hosts = 0
        for event, element in iter_xml(TOOL, stream):
            tag = local_name(element.tag)
            if event == "start":
                if root is None:
                    if tag != "nmaprun":
                        raise ReportFormatError(TOOL, f"the XML root is <{tag}>, not <nmaprun>; "
                                                      + what_is_it(stream.head))
                    root = element
                continue
            if tag == "host":
                hosts += 1
                yield from findings_or_skip(hosts, _host_findings, element, f"host #{hosts}")
                if root is not None:
                    root.remove(element)


def _host_findings(host: ET.Element, position: str) -> Iterator[CanonicalFinding]:
    addresses = {a.get("addrtype"): a.get("addr") for a in host.findall("address")}
    address = text(addresses.get("ipv4")) or text(addresses.get("ipv6"))
    hostnames = [h for h in host.findall("hostnames/hostname") if text(h.get("name"))]
    hostnames.sort(key=lambda h: 0 if h.get("type") == "user" else 1)
    hostname = text(hostnames[0].get("name")) if hostnames else None
    name = address or hostname
    if name is None:
        raise RecordError(TOOL, f"{position} has neither an IP address nor a hostname")
    for port in host.findall("ports/port"):
        state = port.find("state")
        if state is None or state.get("state") != "open":
            continue
        protocol = text(port.get("protocol")) or "tcp"
        number = text(port.get("portid"))
        if number is None:
            raise RecordError(TOOL, f"{position}: an open port has no portid")
        service = port.find("service")
        service_name = text(service.get("name")) if service is not None else None
        endpoint = f"[{name}]:{number}" if ":" in name else f"{name}:{number}"
        yield build_finding(
            TOOL, f"{position} port {number}/{protocol}",
            rule_id=RULE_ID,
            title=f"Open port {number}/{protocol}" + (f" ({service_name})" if service_name else ""),
            description=f"{endpoint} accepts {protocol.upper()} connections"
                        + (f"; Nmap identifies the service as {service_name}." if service_name else "."),
            severity=Severity.INFO,
            tool_severity="open",
            category=FindingCategory.NETWORK,
            resource=Resource(type="host_port", id=endpoint, name=hostname if hostname != name else None),
            evidence=_evidence(state, service, port),
            identity=identity(host=name, protocol=protocol, port=number, service=service_name or "unknown"),
            scope=scan_scope("host", name),
        )
        for script in port.findall("script"):
            if script.get("id") == VULNERS_SCRIPT:
                yield from vulners_findings(script, host=name, hostname=hostname, endpoint=endpoint,
                                            protocol=protocol, port=number, position=f"{position} port {number}")


def _evidence(state: ET.Element, service: ET.Element | None, port: ET.Element) -> str | None:
    lines = [f"state open ({reason})" if (reason := text(state.get("reason"))) else "state open"]
    if service is not None:
        product = join_text(service.get("product"), service.get("version"), separator=" ")
        details = join_text(product, service.get("extrainfo") and f"({service.get('extrainfo')})",
                            service.get("tunnel") and f"tunnel {service.get('tunnel')}", separator=" ")
        if details:
            lines.append(f"service: {details}")
        cpes = [text(cpe.text) for cpe in service.findall("cpe") if text(cpe.text)]
        if cpes:
            lines.append("cpe: " + ", ".join(c for c in cpes if c))
    for script in port.findall("script"):
        output = text(script.get("output"))
        if output and len(output) > NSE_OUTPUT_MAX_CHARS:
            output = (output[:NSE_OUTPUT_MAX_CHARS]
                      + f"\n[output cut: the first {NSE_OUTPUT_MAX_CHARS} of {len(output)} characters are kept]")
        if output:
            lines.append(f"{script.get('id')}: {output}")
    return join_text(*lines, separator="\n")
