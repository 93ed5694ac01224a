"""Prowler reports (AWS, Azure, GCP, Kubernetes): OCSF JSON and CSV, told apart by their first byte.

Formats: ``json-ocsf`` (a JSON array, see ``parser_ocsf``) and ``csv`` (see ``parser_csv``).
Every result becomes a finding, PASS and MANUAL included: PASS results are compliance
evidence (``result=pass``), MANUAL ones need a human (``result=manual``). Muted results stay
findings with a note in the evidence; muting is a Prowler-side choice, suppression here is
the platform's.

Identity (hashed into ``dedup_key``): ``check`` (check id) + ``resource`` (resource uid, else
name, else account) + ``region`` + ``account``. The same result gets the same key from either
output format.

Mapping: severity from Prowler's word (OCSF "Fatal" → critical); category ``cloud``; resource
type/uid/name/region/account/provider; description = check description + risk; evidence =
status detail; remediation = recommendation (+ CLI / IaC snippets in the CSV); references =
related URL, recommendation URL, additional URLs; ``compliance_tags`` = Prowler's own
framework → requirement ids (OCSF ``unmapped.compliance``, CSV ``COMPLIANCE``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from cspm.findings.models import CanonicalFinding
from cspm.scanners.base import ReportFormatError
from cspm.scanners.prowler.parser_common import TOOL
from cspm.scanners.prowler.parser_csv import parse_csv
from cspm.scanners.prowler.parser_ocsf import parse_ocsf
from cspm.scanners.streaming import open_report


class ProwlerParser:
    tool: str = TOOL
    formats: tuple[str, ...] = ("json", "csv")

    def parse(self, report: BinaryIO) -> Iterator[CanonicalFinding]:
        stream = open_report(self.tool, report)
        if stream.first_char() in ("[", "{"):
            return parse_ocsf(stream)
        if stream.first_char() == "<":
            raise ReportFormatError(self.tool, "the report is XML; Prowler writes OCSF JSON or CSV")
        return parse_csv(stream)
