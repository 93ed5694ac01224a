"""Qualys SSL Labs API reports (``analyze`` results, API v3, as saved by ``ssllabs-scan`` and similar).

A JSON list of hosts (or one host object): ``[{"host", "port", "status", "endpoints":
[{"ipAddress", "serverName", "statusMessage", "grade", "details": {"protocols", "suites",
"heartbleed", "openSslCcs", "bleichenbacher", "renegSupport", "compressionMethods",
"fallbackScsv", "hstsPolicy", "certChains", "poodleTls", "freak", "logjam", "drownVulnerable",
…}}], "certs": [...]}]``, streamed host by host.

SSL Labs reports facts per endpoint (one IP address of the host); they are judged by the same
rules as sslyze's (``sslyze.parser_common.RULES``: Mozilla's intermediate profile, Heartbleed,
CCS injection, ROBOT, renegotiation, compression, fallback SCSV, HSTS, certificate trust, name
and SHA-1), so a server gets the same findings from either tool, plus the attacks only SSL Labs
tests (``parser_endpoint.SSL_LABS_RULES``: POODLE over TLS, FREAK, Logjam, DROWN, the OpenSSL
padding oracle, Ticketbleed, the CBC padding oracles) and SSL Labs' own grade when it is below
A-. Endpoints SSL Labs could not assess (``statusMessage`` other than ``Ready``, no details)
yield nothing.

Identity (hashed into ``dedup_key``): ``target`` (host:port) + ``ip`` (the endpoint: SSL Labs
assesses every address of a name, and one may fail what another passes) + ``issue`` (rule id).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from cspm.findings.models import CanonicalFinding
from cspm.scanners.base import ReportFormatError
from cspm.scanners.normalize import as_list, mapping, text
from cspm.scanners.sniff import what_is_it
from cspm.scanners.ssl_labs.parser_endpoint import TOOL, endpoint_findings
from cspm.scanners.streaming import PeekedReport, json_items, open_report


class SslLabsParser:
    tool: str = TOOL
    formats: tuple[str, ...] = ("json",)

    def parse(self, report: BinaryIO) -> Iterator[CanonicalFinding]:
        stream = open_report(self.tool, report)
        if stream.first_char() not in ("[", "{"):
            raise ReportFormatError(self.tool, f"not an SSL Labs API JSON report: {what_is_it(stream.head)}")
        return _findings(stream)


def _findings(stream: PeekedReport) -> Iterator[CanonicalFinding]:
    hosts = json_items(TOOL, stream, "item") if stream.first_char() == "[" else json_items(TOOL, stream, "")
    for index, host in enumerate(hosts, start=1):
        if not isinstance(host, dict) or "endpoints" not in host or text(host.get("host")) is None:
            raise ReportFormatError(TOOL, f"host #{index} is not an SSL Labs host result (no host and endpoints); "
                                          + what_is_it(stream.head))
        for number, endpoint in enumerate(as_list(host.get("endpoints")), start=1):
            yield from endpoint_findings(host, mapping(endpoint), f"host #{index} endpoint #{number}")
