"""The export formats: each turns batches of stored findings into chunks of bytes, one batch at a time.

Nothing here holds more than one batch: CSV and JSON Lines-like arrays are written as the
batches arrive (the JSON array's brackets and commas are placed by position), so an export's
memory does not grow with the number of findings. Formats:

- ``csv``: one row per finding, a header first; list fields joined with ``;``; cells a
  spreadsheet would run as a formula are prefixed with ``'`` (CSV injection, OWASP).
- ``json``: an array of the findings as the API shows them (``FindingSummary`` fields plus
  description, remediation, references, CWE ids).
- ``ocsf``: an array of OCSF 1.5.0 Detection Finding events (class 2004, the version Prowler
  writes) in the base class, without profiles: CVEs as ``vulnerabilities``, the cloud service as
  the resource's ``group``, region, account and provider in the resource's ``data``.
- ``sarif``: one SARIF 2.1.0 log with a run per tool, for code findings only (a file resource).
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import quote

import pydantic_core

from cspm import __version__

ExportFormat = Literal["csv", "json", "ocsf", "sarif"]

MEDIA_TYPES: dict[str, str] = {"csv": "text/csv; charset=utf-8", "json": "application/json",
                               "ocsf": "application/json", "sarif": "application/sarif+json"}
EXTENSIONS: dict[str, str] = {"csv": "csv", "json": "json", "ocsf": "ocsf.json", "sarif": "sarif"}

CODE_FINDINGS: dict[str, Any] = {"resource.type": "file"}
"""The findings SARIF can carry: those about a file (Trivy fs/repository, SARIF imports), whose id is the path."""

CSV_COLUMNS = ("id", "source_tool", "rule_id", "title", "severity", "status", "result", "category",
               "resource_type", "resource_id", "resource_name", "account", "region", "service", "cve_ids",
               "cwe_ids", "package", "package_version", "fixed_version", "priority", "kev", "epss", "first_seen",
               "last_seen", "sla_due_at", "overdue", "assignee", "remediation")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

JSON_FIELDS = ("id", "source_tool", "rule_id", "title", "description", "severity", "status", "result", "category",
               "resource", "service", "cve_ids", "cwe_ids", "package", "cvss_score", "remediation", "references",
               "compliance_tags", "first_seen", "last_seen", "times_seen", "sla_due_at", "overdue", "assignee",
               "priority", "kev", "epss", "scope_key")


def _dumps(value: Any) -> str:
    """Compact JSON the way the API writes it (pydantic's encoder: datetimes as ISO 8601, about twice as fast as
    the json module here); ObjectId and other BSON scalars as strings."""
    return pydantic_core.to_json(value, fallback=str).decode()


# --- CSV -----------------------------------------------------------------------------------
def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        value = ";".join(str(item) for item in value)
    # Stored times are UTC; the driver may hand them back without a zone.
    text = (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat() if isinstance(value, datetime) \
        else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_row(finding: Mapping[str, Any]) -> list[str]:
    resource = finding.get("resource") or {}
    package = finding.get("package") or {}
    epss = finding.get("epss") or {}
    values = {
        **{name: finding.get(name) for name in CSV_COLUMNS},
        "resource_type": resource.get("type"), "resource_id": resource.get("id"),
        "resource_name": resource.get("name"), "account": resource.get("account"), "region": resource.get("region"),
        "package": package.get("name"), "package_version": package.get("version"),
        "fixed_version": package.get("fixed_version"), "kev": bool(finding.get("kev")), "epss": epss.get("score"),
    }
    return [_cell(values[name]) for name in CSV_COLUMNS]


def csv_chunk(batch: Iterable[Mapping[str, Any]], header: bool) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if header:
        writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_row(finding) for finding in batch)
    return buffer.getvalue()


# --- JSON ----------------------------------------------------------------------------------
def json_finding(finding: Mapping[str, Any]) -> dict[str, Any]:
    return {name: finding.get(name) for name in JSON_FIELDS}


# --- OCSF ----------------------------------------------------------------------------------
OCSF_VERSION = "1.5.0"
OCSF_DETECTION_FINDING = 2004
OCSF_FINDINGS_CATEGORY = 2
OCSF_ACTIVITY_CREATE = 1
OCSF_SEVERITY = {"info": (1, "Informational"), "low": (2, "Low"), "medium": (3, "Medium"), "high": (4, "High"),
                 "critical": (5, "Critical")}
# Finding status (OCSF status_id): open → New, reopened → In Progress, triaged away → Suppressed, resolved.
OCSF_STATUS = {"open": (1, "New"), "reopened": (2, "In Progress"), "false_positive": (3, "Suppressed"),
               "risk_accepted": (3, "Suppressed"), "suppressed": (3, "Suppressed"), "resolved": (4, "Resolved")}


def _epoch_ms(value: Any) -> int | None:
    if not isinstance(value, datetime):
        return None
    return int((value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp() * 1000)


def _drop_empty(value: dict[str, Any]) -> dict[str, Any]:
    return {key: item for key, item in value.items() if item not in (None, "", [], {})}


def ocsf_event(finding: Mapping[str, Any]) -> dict[str, Any]:
    """One finding as an OCSF 1.5.0 Detection Finding (the required attributes, and what the finding knows)."""
    severity_id, severity = OCSF_SEVERITY[finding["severity"]]
    status_id, status = OCSF_STATUS.get(finding["status"], (99, "Other"))
    resource = finding.get("resource") or {}
    package = finding.get("package") or {}
    last_seen = _epoch_ms(finding.get("last_seen")) or 0
    event: dict[str, Any] = {
        "activity_id": OCSF_ACTIVITY_CREATE, "activity_name": "Create",
        "category_uid": OCSF_FINDINGS_CATEGORY, "category_name": "Findings",
        "class_uid": OCSF_DETECTION_FINDING, "class_name": "Detection Finding",
        "type_uid": OCSF_DETECTION_FINDING * 100 + OCSF_ACTIVITY_CREATE, "type_name": "Detection Finding: Create",
        "severity_id": severity_id, "severity": severity, "status_id": status_id, "status": status,
        "time": last_seen,
        "message": finding.get("title"),
        "metadata": {"version": OCSF_VERSION, "product": {"name": "OffloadSecurity CSPM", "vendor_name":
                                                          "OffloadSecurity", "version": __version__},
                     "uid": finding["id"]},
        "finding_info": _drop_empty({
            "uid": finding["id"], "title": finding.get("title") or finding.get("rule_id"),
            "desc": finding.get("description"), "types": [finding.get("category")],
            "first_seen_time": _epoch_ms(finding.get("first_seen")), "last_seen_time": last_seen,
            "product": {"name": finding["source_tool"]},
            "analytic": {"uid": finding.get("rule_id"), "name": finding.get("rule_id"), "type_id": 1,
                         "type": "Rule"},
        }),
        "resources": [_drop_empty({
            "uid": resource.get("id"), "type": resource.get("type"), "name": resource.get("name"),
            "group": {"name": finding["service"]} if finding.get("service") else None,
            "data": _drop_empty({"region": resource.get("region"), "account": resource.get("account"),
                                 "provider": resource.get("provider")}) or None})],
        "unmapped": _drop_empty({"source_tool": finding["source_tool"], "rule_id": finding.get("rule_id"),
                                 "result": finding.get("result"), "dedup_key": finding.get("dedup_key"),
                                 "compliance": finding.get("compliance_tags"),
                                 "priority": finding.get("priority")}),
    }
    if finding.get("remediation"):
        event["remediation"] = {"desc": finding["remediation"]}
    if finding.get("cve_ids"):
        affected = _drop_empty({"name": package.get("name"), "version": package.get("version"),
                                "fixed_in_version": package.get("fixed_version"), "purl": package.get("purl")})
        event["vulnerabilities"] = [_drop_empty({
            "cve": {"uid": cve}, "title": finding.get("title"), "severity": severity,
            "affected_packages": [affected] if affected.get("name") and affected.get("version") else None,
            "is_fix_available": bool(package.get("fixed_version")) if package else None,
        }) for cve in finding["cve_ids"]]
    return event


# --- SARIF ---------------------------------------------------------------------------------
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
SARIF_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}


def sarif_uri(path: str) -> str:
    """A file path as a SARIF artifact URI (relative paths stay relative; spaces and '%' are escaped)."""
    return quote(path.lstrip("/") if not path.startswith("/") else path, safe="/:@-._~")


def sarif_result(finding: Mapping[str, Any]) -> dict[str, Any]:
    resource = finding.get("resource") or {}
    text = finding.get("title") or finding.get("rule_id") or "finding"
    properties = _drop_empty({"severity": finding["severity"], "status": finding["status"],
                              "security-severity": SARIF_SECURITY_SEVERITY[finding["severity"]],
                              "cve_ids": finding.get("cve_ids"), "cwe_ids": finding.get("cwe_ids"),
                              "finding_id": finding["id"]})
    return {"ruleId": finding.get("rule_id") or "unknown", "level": SARIF_LEVELS[finding["severity"]],
            "message": {"text": text},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": sarif_uri(str(resource.get("id")))}}}],
            "partialFingerprints": {"cspmDedupKey/v1": str(finding.get("dedup_key") or finding["id"])},
            "properties": properties}


def sarif_rule(finding: Mapping[str, Any]) -> dict[str, Any]:
    rule: dict[str, Any] = {"id": finding.get("rule_id") or "unknown",
                            "shortDescription": {"text": finding.get("title") or finding.get("rule_id") or "rule"},
                            "properties": {"security-severity": SARIF_SECURITY_SEVERITY[finding["severity"]]}}
    if finding.get("remediation"):
        rule["help"] = {"text": finding["remediation"]}
    return rule


def _sarif_run_close(tool: str, rules: Mapping[str, dict[str, Any]]) -> str:
    driver = {"name": tool, "version": __version__, "rules": list(rules.values())}
    return '],"tool":{"driver":' + _dumps(driver) + "}}"


async def sarif_chunks(batches: AsyncIterator[list[dict[str, Any]]]) -> AsyncIterator[str]:
    """The SARIF log: one run per tool. The findings come sorted by tool (see ``SORTS``), so each run is
    written as its results arrive and closed with its tool and the rules it used (one per rule id:
    the only thing held, and few). JSON members have no order, so ``results`` may precede ``tool``."""
    yield '{"$schema":' + _dumps(SARIF_SCHEMA) + ',"version":"2.1.0","runs":['
    tool: str | None = None
    rules: dict[str, dict[str, Any]] = {}
    first_result = True
    async for batch in batches:
        parts: list[str] = []
        for finding in batch:
            if finding["source_tool"] != tool:
                if tool is not None:
                    parts.append(_sarif_run_close(tool, rules) + ",")
                tool, rules, first_result = finding["source_tool"], {}, True
                parts.append('{"results":[')
            rules.setdefault(finding.get("rule_id") or "unknown", sarif_rule(finding))
            parts.append(("" if first_result else ",") + _dumps(sarif_result(finding)))
            first_result = False
        yield "".join(parts)
    if tool is not None:
        yield _sarif_run_close(tool, rules)
    yield "]}"


SORTS: dict[str, list[tuple[str, int]]] = {
    "csv": [("severity_rank", -1), ("_id", 1)], "json": [("severity_rank", -1), ("_id", 1)],
    "ocsf": [("severity_rank", -1), ("_id", 1)], "sarif": [("source_tool", 1), ("severity_rank", -1), ("_id", 1)],
}
"""Worst first; SARIF by tool first, so each tool's run is written in one piece."""


# --- streaming ---------------------------------------------------------------------------------
async def array_chunks(batches: AsyncIterator[list[dict[str, Any]]],
                       encode: Callable[[Mapping[str, Any]], Any]) -> AsyncIterator[str]:
    """A JSON array written batch by batch: '[', the items separated by commas, ']'."""
    yield "["
    first = True
    async for batch in batches:
        if batch:
            yield ("" if first else ",") + ",".join(_dumps(encode(finding)) for finding in batch)
            first = False
    yield "]"


async def csv_chunks(batches: AsyncIterator[list[dict[str, Any]]]) -> AsyncIterator[str]:
    header = True
    async for batch in batches:
        yield csv_chunk(batch, header)
        header = False
    if header:
        yield csv_chunk([], True)


def chunks(export_format: ExportFormat, batches: AsyncIterator[list[dict[str, Any]]]) -> AsyncIterator[str]:
    if export_format == "csv":
        return csv_chunks(batches)
    if export_format == "json":
        return array_chunks(batches, json_finding)
    if export_format == "ocsf":
        return array_chunks(batches, ocsf_event)
    return sarif_chunks(batches)


async def encoded(text_chunks: AsyncIterator[str]) -> AsyncIterator[bytes]:
    async for text in text_chunks:
        if text:
            yield text.encode("utf-8")
