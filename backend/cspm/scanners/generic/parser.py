"""The generic findings format: import results of any tool that has no dedicated parser.

Two encodings of the same record, described in full (with examples) in ``docs/generic-format.md``:

JSON (streamed finding by finding)::

    {
      "scanner": "acme-scan",            # optional (default "generic"), before "findings"
      "version": 1,                      # optional; only 1 exists
      "findings": [
        {
          "rule_id": "ACME-001",         # required
          "title": "Admin panel exposed",  # required
          "severity": "high",            # required: critical/high/medium/low/info (or a CVSS score)
          "resource": {"type": "url", "id": "https://app.example.com/admin",   # id required
                       "name": null, "region": null, "account": null, "provider": null},
          "result": "fail",              # fail (default) / pass / manual
          "category": "web",             # cloud/vulnerability/misconfiguration/secret/license/web/network/tls/other
          "description": "...", "evidence": "...", "remediation": "...",
          "cve_ids": ["CVE-2024-0001"], "cwe_ids": ["CWE-284"], "references": ["https://..."],
          "package": {"name": "openssl", "version": "3.0.1", "fixed_version": "3.0.7",
                      "ecosystem": "deb", "purl": null, "path": null},
          "cvss_score": 7.5, "cvss_vector": "CVSS:3.1/...", "epss_score": 0.02,
          "compliance_tags": {"ISO27001-2022": ["A.8.20"]},
          "identity": {"rule": "ACME-001", "url": "https://app.example.com/admin"}   # optional
        }
      ]
    }

CSV (one finding per row, comma-separated, header row required): columns ``rule_id``,
``title``, ``severity``, ``resource_id`` (required) and optionally ``scanner``,
``resource_type``, ``resource_name``, ``resource_region``, ``resource_account``,
``resource_provider``, ``result``, ``category``, ``description``, ``evidence``, ``remediation``,
``cve_ids``, ``cwe_ids``, ``references`` (lists separated by ``|``), ``package_name``,
``package_version``, ``fixed_version``, ``package_ecosystem``, ``package_purl``,
``package_path``, ``cvss_score``, ``cvss_vector``, ``epss_score``, ``compliance_tags``
(``ISO27001-2022: A.8.20, A.8.21 | SOC2: CC6.1``) and ``identity`` (``rule=ACME-001 | url=...``).

Unknown fields or columns are errors (a typo must not silently drop data), and so are a
missing required field, an unknown severity/result/category or a score out of range: the
message names the finding (``finding #3`` / ``CSV line 4``) and the field.

Identity (hashed into ``dedup_key``): ``scanner`` + the record's ``identity`` object when
given, otherwise ``scanner`` + ``rule_id`` + ``resource_type`` + ``resource_id`` +
``package`` + ``package_version``. ``source_tool`` is always ``generic``; the scanner name is
in the identity, so two scanners reporting the same rule id on the same resource stay apart.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from cspm.findings.models import CanonicalFinding
from cspm.scanners.base import ReportFormatError, SkippedRecord
from cspm.scanners.generic.parser_common import TOOL
from cspm.scanners.generic.parser_csv import parse_csv
from cspm.scanners.generic.parser_json import parse_json
from cspm.scanners.streaming import open_report


class GenericParser:
    tool: str = TOOL
    formats: tuple[str, ...] = ("json", "csv")

    def parse(self, report: BinaryIO) -> Iterator[CanonicalFinding | SkippedRecord]:
        stream = open_report(self.tool, report)
        first = stream.first_char()
        if first in ("{", "["):
            return parse_json(stream)
        if first == "<":
            raise ReportFormatError(self.tool, "the report is XML; the generic format is JSON or CSV")
        return parse_csv(stream)
