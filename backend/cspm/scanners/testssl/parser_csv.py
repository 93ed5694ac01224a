"""testssl.sh CSV (``--csvfile``): ``"id","fqdn/ip","port","severity","finding","cve","cwe"[,"hint"]``."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from cspm.findings.models import CanonicalFinding
from cspm.scanners.base import ReportFormatError, SkippedRecord, findings_or_skip
from cspm.scanners.sniff import what_is_it
from cspm.scanners.streaming import PeekedReport, decode_error, text_lines
from cspm.scanners.testssl.parser_common import TOOL, to_finding

REQUIRED_COLUMNS = ("id", "fqdn/ip", "port", "severity", "finding")


def parse_csv(stream: PeekedReport) -> Iterator[CanonicalFinding | SkippedRecord]:
    reader = csv.DictReader(text_lines(TOOL, stream), strict=True)
    rows = 0
    try:
        header = reader.fieldnames or []
        missing = [column for column in REQUIRED_COLUMNS if column not in header]
        if missing:
            raise ReportFormatError(TOOL, f"not a testssl.sh CSV report: header lacks {', '.join(missing)}; "
                                          + what_is_it(stream.head))
        for row in reader:
            if None in row or any(value is None for value in row.values()):
                raise ReportFormatError(TOOL, f"CSV line {reader.line_num} does not have the header's "
                                              f"{len(header)} fields (truncated report?)")
            rows += 1
            yield from findings_or_skip(reader.line_num, to_finding, row, f"CSV line {reader.line_num}")
    except csv.Error as exc:
        raise ReportFormatError(TOOL, f"truncated or malformed CSV at line {reader.line_num}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise decode_error(TOOL, exc, f"near CSV line {reader.line_num}") from None
