"""The generic format as CSV: a header row naming the columns, one finding per row, read row by row."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from typing import Any

from cspm.findings.models import CanonicalFinding
from cspm.scanners.base import ReportFormatError, SkippedRecord, findings_or_skip
from cspm.scanners.generic.parser_common import TOOL, scanner_name, to_finding
from cspm.scanners.normalize import text
from cspm.scanners.sniff import what_is_it
from cspm.scanners.streaming import PeekedReport, decode_error, text_lines

REQUIRED_COLUMNS = ("rule_id", "title", "severity", "resource_id")
RESOURCE_COLUMNS = {f"resource_{key}": key for key in ("type", "id", "name", "region", "account", "provider")}
PACKAGE_COLUMNS = {"package_name": "name", "package_version": "version", "fixed_version": "fixed_version",
                   "package_ecosystem": "ecosystem", "package_purl": "purl", "package_path": "path"}
LIST_COLUMNS = {"cve_ids", "cwe_ids", "references"}
PLAIN_COLUMNS = {"rule_id", "title", "severity", "result", "category", "description", "evidence", "remediation",
                 "cvss_score", "cvss_vector", "epss_score"}
ALL_COLUMNS = (PLAIN_COLUMNS | LIST_COLUMNS | set(RESOURCE_COLUMNS) | set(PACKAGE_COLUMNS)
               | {"scanner", "compliance_tags", "identity"})


def parse_csv(stream: PeekedReport) -> Iterator[CanonicalFinding | SkippedRecord]:
    reader = csv.DictReader(text_lines(TOOL, stream), strict=True)
    try:
        header = [name.strip() for name in reader.fieldnames or []]
        reader.fieldnames = header
        missing = [column for column in REQUIRED_COLUMNS if column not in header]
        if missing:
            raise ReportFormatError(TOOL, f"CSV header lacks required column(s) {', '.join(missing)}; "
                                          + what_is_it(stream.head))
        unknown = sorted(set(header) - ALL_COLUMNS)
        if unknown:
            raise ReportFormatError(TOOL, f"unknown CSV column(s) {', '.join(unknown)} "
                                          "(see docs/generic-format.md for the accepted columns)")
        for row in reader:
            position = f"CSV line {reader.line_num}"
            if None in row:
                raise ReportFormatError(TOOL, f"{position} has more fields than the header")
            if any(value is None for value in row.values()) and any((v or "").strip() for v in row.values()):
                raise ReportFormatError(TOOL, f"{position} has fewer fields than the header (truncated report?)")
            if not any((value or "").strip() for value in row.values()):
                continue
            yield from findings_or_skip(reader.line_num, _row_finding, row, position)
    except csv.Error as exc:
        raise ReportFormatError(TOOL, f"malformed CSV at line {reader.line_num}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise decode_error(TOOL, exc, f"near CSV line {reader.line_num}") from None


def _split(value: str | None, separator: str = "|") -> list[str]:
    return [part.strip() for part in (value or "").split(separator) if part.strip()]


def _record(row: Mapping[str, str | None], position: str) -> dict[str, Any]:
    record: dict[str, Any] = {key: row[key] for key in PLAIN_COLUMNS if text(row.get(key)) is not None}
    record.update({key: _split(row.get(key)) for key in LIST_COLUMNS if text(row.get(key)) is not None})
    record["resource"] = {field: row.get(column) for column, field in RESOURCE_COLUMNS.items() if row.get(column)}
    package = {field: row.get(column) for column, field in PACKAGE_COLUMNS.items() if text(row.get(column))}
    if package:
        record["package"] = package
    if text(row.get("compliance_tags")):
        tags: dict[str, list[str]] = {}
        for entry in _split(row.get("compliance_tags")):
            framework, separator, ids = entry.partition(":")
            if not separator or not framework.strip():
                raise ReportFormatError(TOOL, f"{position}: compliance_tags entry {entry!r} is not 'FRAMEWORK: id, id'")
            tags.setdefault(framework.strip(), []).extend(_split(ids, ","))
        record["compliance_tags"] = tags
    if text(row.get("identity")):
        identity: dict[str, str] = {}
        for entry in _split(row.get("identity")):
            key, separator, value = entry.partition("=")
            if not separator or not key.strip():
                raise ReportFormatError(TOOL, f"{position}: identity entry {entry!r} is not 'field=value'")
            identity[key.strip()] = value.strip()
        record["identity"] = identity
    return record


def _row_finding(row: dict[str, str | None], position: str) -> CanonicalFinding:
    return to_finding(_record(row, position), scanner_name(row.get("scanner")), position)
