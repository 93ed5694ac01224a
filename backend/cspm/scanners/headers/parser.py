"""Reports of the native header check (``checker.py``, schema ``cspm-headers/1``) as findings.

Every check result becomes a finding, passes included (``result=pass``: compliance
evidence). Identity: ``check`` + ``url`` (the final URL after redirects, without query or
fragment) + ``subject`` (the cookie name for cookie checks), so a re-check of the same
page gives the same keys. Category ``web``; resource ``url``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any, BinaryIO
from urllib.parse import urlsplit, urlunsplit

from pydantic import ValidationError

from cspm.findings.models import CanonicalFinding, CheckResult, FindingCategory, Resource, Severity
from cspm.scanners.base import ReportFormatError
from cspm.scanners.headers.checker import SCHEMA
from cspm.scanners.normalize import scan_scope
from cspm.scanners.sniff import what_is_it
from cspm.scanners.streaming import ensure_not_blank, json_document, peek

TOOL = "headers"
MAX_REPORT_BYTES = 4 * 1024 * 1024
_RESULTS = {"fail": CheckResult.FAIL, "pass": CheckResult.PASS}


def _page(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))


class HeaderReportParser:
    tool = TOOL
    formats = ("json",)

    def parse(self, report: BinaryIO) -> Iterator[CanonicalFinding]:
        raw = report.read(MAX_REPORT_BYTES + 1)
        if len(raw) > MAX_REPORT_BYTES:
            raise ReportFormatError(TOOL, f"report larger than {MAX_REPORT_BYTES} bytes; a header report is small")
        stream = peek(TOOL, io.BytesIO(raw))
        ensure_not_blank(TOOL, stream)
        if stream.first_char() not in ("{", "["):
            raise ReportFormatError(TOOL, f"not JSON: {what_is_it(stream.head)}")
        document = json_document(TOOL, stream)
        if not isinstance(document, dict) or document.get("schema") != SCHEMA:
            raise ReportFormatError(TOOL, f"not a header-check report (expected schema {SCHEMA!r})")
        url = document.get("final_url") or document.get("url")
        results = document.get("results")
        if not isinstance(url, str) or not isinstance(results, list):
            raise ReportFormatError(TOOL, "report lacks final_url or results")
        return self._findings(_page(url), results)

    def _findings(self, page: str, results: list[Any]) -> Iterator[CanonicalFinding]:
        host = urlsplit(page).hostname
        for index, item in enumerate(results):
            if not isinstance(item, dict) or item.get("result") not in _RESULTS or not item.get("check_id"):
                raise ReportFormatError(TOOL, f"result #{index} is not a check outcome")
            subject = str(item.get("subject") or "")
            try:
                yield CanonicalFinding(
                    source_tool=TOOL,
                    rule_id=str(item["check_id"]),
                    title=str(item.get("title") or item["check_id"]),
                    severity=Severity.from_tool(item.get("severity"), default=Severity.INFO),
                    tool_severity=item.get("severity"),
                    result=_RESULTS[item["result"]],
                    category=FindingCategory.WEB,
                    resource=Resource(type="url", id=page, name=host),
                    cwe_ids=[item["cwe"]] if item.get("cwe") else [],
                    evidence=f"{item.get('header')}: {item.get('evidence')}" if item.get("header") else None,
                    remediation=item.get("remediation") or None,
                    references=[ref for ref in item.get("references") or [] if isinstance(ref, str)],
                    identity={"check": str(item["check_id"]), "url": page, "subject": subject},
                    scope=scan_scope("site", page),
                )
            except ValidationError as exc:
                raise ReportFormatError(TOOL, f"result #{index}: {exc.errors()[0]['msg']}") from None
