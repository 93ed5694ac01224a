"""testssl.sh reports: flat JSON (``--jsonfile``), pretty JSON (``--jsonfile-pretty``) and CSV (``--csvfile``).

Every format is a list of checks ``{id, ip ("host/ip"), port, severity, cve, cwe, finding}``
(the pretty JSON groups them per target and section: ``scanResult[].protocols[]``,
``…vulnerabilities[]``…). testssl.sh judges each check itself; its word decides:

- ``LOW``/``MEDIUM``/``HIGH``/``CRITICAL``: ``result=fail`` at that severity;
- ``OK``: ``result=pass`` (the check ran and found nothing wrong: compliance evidence);
- ``WARN``: ``result=manual`` (testssl.sh could not decide, e.g. a test it could not run);
- ``INFO`` and ``DEBUG``: facts (offered suites, certificate fields), not findings;
- ``FATAL`` (``scanProblem``: the target could not be scanned): the report is refused, naming
  the target, because importing it would resolve that target's open findings as if it had
  been scanned clean.

A check without id or severity, with an unknown severity word, naming no target host or (flat
JSON) not an object is skipped with its position and the reason, and the other checks import:
the index is the check's place in the flat JSON list, its CSV line, or its place among the
pretty JSON's checks (counted across targets). A truncated or non-testssl.sh report is refused.

Identity (hashed into ``dedup_key``): ``target`` (host:port, the host name when testssl.sh had
one, else the IP) + ``ip`` (the address scanned: a name with several addresses is scanned once
per address, and one server may fail a check another passes) + ``check`` (testssl.sh's id,
e.g. ``cert_chain_of_trust``, ``LUCKY13``).
The finding text is the evidence and the title's detail, so a changed wording updates the
finding instead of making a new one.

Mapping: category ``tls``; resource ``host_port`` (name = the IP address); CVE ids from
``cve`` (space-separated), CWE from ``cwe``; ``hint`` as remediation.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from cspm.findings.models import CanonicalFinding
from cspm.scanners.base import ReportFormatError, SkippedRecord
from cspm.scanners.streaming import open_report
from cspm.scanners.testssl.parser_common import TOOL
from cspm.scanners.testssl.parser_csv import parse_csv
from cspm.scanners.testssl.parser_json import parse_json


class TestsslParser:
    tool: str = TOOL
    formats: tuple[str, ...] = ("json", "csv")

    def parse(self, report: BinaryIO) -> Iterator[CanonicalFinding | SkippedRecord]:
        stream = open_report(self.tool, report)
        first = stream.first_char()
        if first in ("[", "{"):
            return parse_json(stream)
        if first == '"':
            return parse_csv(stream)
        raise ReportFormatError(self.tool, "not a testssl.sh JSON or CSV report (testssl.sh writes a JSON list, "
                                           "a JSON object or a quoted CSV header)")
