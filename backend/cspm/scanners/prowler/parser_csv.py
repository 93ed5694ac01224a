"""Prowler's CSV output (``--output-formats csv``): ``;``-separated, one row per result.

Read row by row. Columns used (Prowler 4/5): CHECK_ID, CHECK_TITLE, STATUS, STATUS_EXTENDED,
MUTED, SEVERITY, PROVIDER, ACCOUNT_UID, REGION, RESOURCE_UID, RESOURCE_NAME, RESOURCE_TYPE,
DESCRIPTION, RISK, RELATED_URL, REMEDIATION_RECOMMENDATION_TEXT/_URL, REMEDIATION_CODE_*,
COMPLIANCE (``CIS-2.0: 1.20 | KISA-ISMS-P-2023: 2.5.6, 2.6.4``) and ADDITIONAL_URLS
(`` | ``-separated). Prowler 3 names (ACCOUNT_ID, RESOURCE_ID, RESOURCE_ARN) are accepted too.
Kubernetes rows carry ``namespace: <name>`` in REGION; the prefix is dropped so a result gets
the same identity whether it was imported from the CSV or the OCSF output.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping

from cspm.findings.models import CanonicalFinding
from cspm.scanners.base import ReportFormatError, SkippedRecord, findings_or_skip
from cspm.scanners.normalize import join_text, text, unique
from cspm.scanners.prowler.parser_common import TOOL, ProwlerRow, to_finding
from cspm.scanners.sniff import what_is_it
from cspm.scanners.streaming import PeekedReport, decode_error, text_lines

REQUIRED_COLUMNS = ("CHECK_ID", "STATUS", "SEVERITY")


def parse_csv(stream: PeekedReport) -> Iterator[CanonicalFinding | SkippedRecord]:
    first_line = stream.head.split(b"\n", 1)[0]
    delimiter = ";" if b";" in first_line else ","
    reader = csv.DictReader(text_lines(TOOL, stream), delimiter=delimiter, strict=True)
    rows = 0
    try:
        header = reader.fieldnames or []
        missing = [column for column in REQUIRED_COLUMNS if column not in header]
        if missing:
            raise ReportFormatError(TOOL, f"not a Prowler CSV report: header lacks {', '.join(missing)}; "
                                          + what_is_it(stream.head))
        for row in reader:
            line = reader.line_num
            if None in row:
                raise ReportFormatError(TOOL, f"CSV line {line} has more fields than the header")
            if any(value is None for value in row.values()) and any((v or "").strip() for v in row.values()):
                raise ReportFormatError(TOOL, f"CSV line {line} has fewer fields than the header (truncated report?)")
            if not any((value or "").strip() for value in row.values()):
                continue
            yield from findings_or_skip(line, _row_finding, row, f"CSV line {line}")
            rows += 1
        if rows and not stream.ends_with_newline():
            raise ReportFormatError(TOOL, f"truncated CSV: the last line ({reader.line_num}) is not terminated "
                                          "(Prowler ends every row with a line break)")
    except csv.Error as exc:
        raise ReportFormatError(TOOL, f"malformed CSV at line {reader.line_num}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise decode_error(TOOL, exc, f"near CSV line {reader.line_num}") from None


def _row(row: Mapping[str, str | None]) -> ProwlerRow:
    def get(*names: str) -> str | None:
        for name in names:
            value = text(row.get(name))
            if value is not None:
                return value
        return None

    region = get("REGION")
    if region and region.startswith("namespace: "):
        region = region.removeprefix("namespace: ").strip() or None
    remediation = join_text(
        get("REMEDIATION_RECOMMENDATION_TEXT"),
        _labelled("CLI", get("REMEDIATION_CODE_CLI")),
        _labelled("Native IaC", get("REMEDIATION_CODE_NATIVEIAC")),
        _labelled("Terraform", get("REMEDIATION_CODE_TERRAFORM")),
        _labelled("Other", get("REMEDIATION_CODE_OTHER")),
        separator="\n",
    )
    return ProwlerRow(
        check_id=get("CHECK_ID"),
        title=get("CHECK_TITLE"),
        status=get("STATUS"),
        severity=get("SEVERITY"),
        status_detail=get("STATUS_EXTENDED"),
        description=get("DESCRIPTION"),
        risk=get("RISK"),
        provider=get("PROVIDER"),
        account=get("ACCOUNT_UID", "ACCOUNT_ID"),
        region=region,
        resource_uid=get("RESOURCE_UID", "RESOURCE_ARN", "RESOURCE_ID"),
        resource_name=get("RESOURCE_NAME"),
        resource_type=get("RESOURCE_TYPE"),
        remediation=remediation,
        references=unique([get("RELATED_URL"), get("REMEDIATION_RECOMMENDATION_URL"),
                           *_split(get("ADDITIONAL_URLS"), "|")]),
        compliance=parse_compliance(get("COMPLIANCE")),
        muted=(get("MUTED") or "").lower() == "true",
    )


def _labelled(label: str, value: str | None) -> str | None:
    return f"{label}: {value}" if value else None


def _split(value: str | None, separator: str) -> list[str]:
    return [part.strip() for part in (value or "").split(separator) if part.strip()]


def parse_compliance(value: str | None) -> dict[str, list[str]]:
    """``CIS-2.0: 1.20 | KISA: 2.5.6, 2.6.4`` → ``{"CIS-2.0": ["1.20"], "KISA": ["2.5.6", "2.6.4"]}``."""
    result: dict[str, list[str]] = {}
    for entry in _split(value, "|"):
        framework, separator, ids = entry.partition(":")
        if not separator:
            continue
        name = framework.strip()
        values = _split(ids, ",")
        if name and values:
            result[name] = unique([*result.get(name, []), *values])
    return result


def _row_finding(row: dict[str, str | None], position: str) -> CanonicalFinding:
    return to_finding(_row(row), position)
