"""sslyze reports: JSON (``--json_out``, sslyze 3 to 6, old and new layouts) and XML (sslyze 1 and 2).

sslyze records facts; the rules in ``parser_common.RULES`` decide which facts are findings,
at most one finding per server and issue (category ``tls``, resource ``host_port``):
Heartbleed (CVE-2014-0160), OpenSSL CCS injection (CVE-2014-0224), ROBOT, missing secure
renegotiation, client-initiated renegotiation, TLS compression (CRIME), missing
TLS_FALLBACK_SCSV, missing extended master secret, each accepted legacy protocol (SSL 2.0,
SSL 3.0, TLS 1.0, TLS 1.1), anonymous/NULL/export suites, TLS 1.2 suites outside Mozilla's
intermediate profile, an untrusted certificate chain (validation errors per trust store),
a host-name mismatch, a SHA-1 signed chain and, when the HTTP header scan ran, a missing
HSTS header. Unreachable servers and errored scan commands yield nothing. A server the report does
not locate (no host and port) is skipped with its position and the reason, and the other servers
import; a truncated or non-sslyze report is refused whole.

Identity (hashed into ``dedup_key``): ``target`` (host:port as scanned) + ``issue`` (the rule
id). The evidence holds the details (accepted suites, validation errors), so a change in the
list of weak suites updates the finding rather than making a new one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from cspm.findings.models import CanonicalFinding
from cspm.scanners.base import ReportFormatError, SkippedRecord
from cspm.scanners.sniff import what_is_it
from cspm.scanners.sslyze.parser_common import TOOL
from cspm.scanners.sslyze.parser_json import parse_json
from cspm.scanners.sslyze.parser_xml import parse_xml
from cspm.scanners.streaming import open_report


class SslyzeParser:
    tool: str = TOOL
    formats: tuple[str, ...] = ("json", "xml")

    def parse(self, report: BinaryIO) -> Iterator[CanonicalFinding | SkippedRecord]:
        stream = open_report(self.tool, report)
        first = stream.first_char()
        if first == "<":
            return parse_xml(stream)
        if first in ("{", "["):
            return parse_json(stream)
        raise ReportFormatError(self.tool, f"not an sslyze JSON or XML report: {what_is_it(stream.head)}")
