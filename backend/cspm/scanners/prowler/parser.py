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

A 0-byte file is an empty report: Prowler writes nothing to its JSON output when no check ran
(whitespace only is still refused). Prowler 2 (the shell version: JSON Lines with "Account
Number"/"Control ID", CSV with TITLE_ID/CHECK_RESULT) and Prowler 3 JSON are refused by name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO, cast

from cspm.findings.models import CanonicalFinding
from cspm.scanners.base import ReportFormatError, SkippedRecord
from cspm.scanners.prowler.parser_common import TOOL
from cspm.scanners.prowler.parser_csv import parse_csv
from cspm.scanners.prowler.parser_ocsf import parse_ocsf
from cspm.scanners.sniff import PROWLER_2_CSV, PROWLER_2_JSON
from cspm.scanners.streaming import open_report, peek

PROWLER_2_REFUSAL = "Prowler 2 output is not supported: export with Prowler 4+ --output-formats json-ocsf"


class ProwlerParser:
    tool: str = TOOL
    formats: tuple[str, ...] = ("json", "csv")

    def parse(self, report: BinaryIO) -> Iterator[CanonicalFinding | SkippedRecord]:
        peeked = peek(self.tool, report)
        if not peeked.head:
            return iter(())
        stream = open_report(self.tool, cast(BinaryIO, peeked))  # replays the peeked bytes
        if PROWLER_2_JSON.matches(stream.head) or PROWLER_2_CSV.matches(stream.head):
            raise ReportFormatError(self.tool, PROWLER_2_REFUSAL)
        if stream.first_char() in ("[", "{"):
            return parse_ocsf(stream)
        if stream.first_char() == "<":
            raise ReportFormatError(self.tool, "the report is XML; Prowler writes OCSF JSON or CSV")
        return parse_csv(stream)
