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
yield nothing. A host result that is not an object, or has no ``host`` or no ``endpoints`` (SSL
Labs' answer for a host it could not resolve or reach), is skipped with its position (hosts
counted from 1) and the reason; a report in which no item is a host result, or truncated, is
refused whole.

Identity (hashed into ``dedup_key``): ``target`` (host:port) + ``ip`` (the endpoint: SSL Labs
assesses every address of a name, and one may fail what another passes) + ``issue`` (rule id).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from cspm.findings.models import CanonicalFinding
from cspm.scanners.base import RecordError, ReportFormatError, SkippedRecord, each_record
from cspm.scanners.normalize import as_list, join_text, mapping, text
from cspm.scanners.sniff import what_is_it
from cspm.scanners.ssl_labs.parser_endpoint import TOOL, endpoint_findings
from cspm.scanners.streaming import PeekedReport, json_items, open_report


class SslLabsParser:
    tool: str = TOOL
    formats: tuple[str, ...] = ("json",)

    def parse(self, report: BinaryIO) -> Iterator[CanonicalFinding | SkippedRecord]:
        stream = open_report(self.tool, report)
        if stream.first_char() not in ("[", "{"):
            raise ReportFormatError(self.tool, f"not an SSL Labs API JSON report: {what_is_it(stream.head)}")
        return _findings(stream)


def _findings(stream: PeekedReport) -> Iterator[CanonicalFinding | SkippedRecord]:
    hosts = json_items(TOOL, stream, "item") if stream.first_char() == "[" else json_items(TOOL, stream, "")
    seen = assessed = 0

    def host_findings(host: object, index: int) -> list[CanonicalFinding]:
        nonlocal seen, assessed
        seen += 1
        if not isinstance(host, dict):
            raise RecordError(TOOL, f"host #{index} is not a JSON object")
        name = text(host.get("host"))
        if name is None:
            raise RecordError(TOOL, f"host #{index} has no host")
        if "endpoints" not in host:  # SSL Labs answers an unresolvable or refused host this way
            status = join_text(text(host.get("status")), text(host.get("statusMessage")), separator=": ")
            raise RecordError(TOOL, f"host #{index} ({name}) has no endpoints" + (f" ({status})" if status else ""))
        assessed += 1
        return [finding for number, endpoint in enumerate(as_list(host.get("endpoints")), start=1)
                for finding in endpoint_findings(host, mapping(endpoint), f"host #{index} endpoint #{number}")]

    yield from each_record(hosts, host_findings)
    if seen and not assessed:  # not one host result: another tool's JSON, not SSL Labs records to skip
        raise ReportFormatError(TOOL, "no item is an SSL Labs host result (with host and endpoints); "
                                      + what_is_it(stream.head))
