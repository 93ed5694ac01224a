"""Prowler's OCSF JSON output (``--output-formats json-ocsf``): a JSON array of Detection Findings.

Streamed with ijson one finding at a time (each built by ijson's C backend). Fields used (OCSF
1.x as written by Prowler 4/5):
``metadata.event_code`` (check id), ``finding_info.title/desc``, ``status_code`` (PASS / FAIL /
MANUAL), ``status`` ("Suppressed" when muted), ``status_detail``, ``severity``, ``risk_details``,
``resources[0].uid/name/type/region/namespace``, ``cloud.account.uid``, ``cloud.provider``,
``cloud.region``, ``remediation.desc/references``, ``unmapped.compliance`` (framework → ids),
``unmapped.related_url/additional_urls``. Kubernetes results have no ``cloud`` object: the
provider comes from ``unmapped.provider`` or the ``container`` profile, the namespace stands
in for the region.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import partial
from typing import Any

from cspm.findings.models import CanonicalFinding
from cspm.scanners.base import RecordError, ReportFormatError, SkippedRecord, each_record
from cspm.scanners.normalize import as_list, compliance, join_text, text
from cspm.scanners.prowler.parser_common import TOOL, ProwlerRow, to_finding
from cspm.scanners.sniff import what_is_it
from cspm.scanners.streaming import PeekedReport, json_items


def parse_ocsf(stream: PeekedReport) -> Iterator[CanonicalFinding | SkippedRecord]:
    if stream.first_char() != "[":
        raise ReportFormatError(TOOL, "expected a JSON array of OCSF findings but the report is a JSON object; "
                                      + what_is_it(stream.head))
    return each_record(json_items(TOOL, stream, "item"), partial(_finding, head=stream.head))


def _finding(item: Any, index: int, head: bytes) -> CanonicalFinding:
    position = f"OCSF finding #{index}"
    if isinstance(item, dict) and "CheckID" in item and "Status" in item:
        raise ReportFormatError(TOOL, "this is Prowler 3 JSON (-M json), which is not supported: export with "
                                      "Prowler 4 or later using --output-formats json-ocsf (or csv)")
    if not isinstance(item, dict) or "status_code" not in item or not isinstance(item.get("metadata"), dict):
        raise RecordError(TOOL, f"{position} is not a Prowler OCSF Detection Finding "
                                      f"(no metadata/status_code); {what_is_it(head)}")
    metadata = _mapping(item.get("metadata"))
    info = _mapping(item.get("finding_info"))
    unmapped = _mapping(item.get("unmapped"))
    cloud = _mapping(item.get("cloud"))
    resources = [r for r in as_list(item.get("resources")) if isinstance(r, dict)]
    resource = resources[0] if resources else {}
    remediation = _mapping(item.get("remediation"))
    provider = text(cloud.get("provider")) or text(unmapped.get("provider"))
    if provider is None and "container" in as_list(metadata.get("profiles")):
        provider = "kubernetes"
    account = text(_mapping(cloud.get("account")).get("uid")) or text(unmapped.get("provider_uid"))
    region = text(resource.get("region")) or text(resource.get("namespace")) or text(cloud.get("region"))
    row = ProwlerRow(
        check_id=text(metadata.get("event_code")) or text(_mapping(info.get("analytic")).get("uid")),
        title=text(info.get("title")),
        status=item.get("status_code"),
        severity=item.get("severity"),
        status_detail=text(item.get("status_detail")) or text(item.get("message")),
        description=text(info.get("desc")),
        risk=text(item.get("risk_details")),
        provider=provider,
        account=account,
        region=region,
        resource_uid=text(resource.get("uid")),
        resource_name=text(resource.get("name")),
        resource_type=text(resource.get("type")),
        remediation=join_text(remediation.get("desc")),
        references=[*as_list(unmapped.get("related_url")), *as_list(remediation.get("references")),
                    *as_list(unmapped.get("additional_urls"))],
        compliance=compliance(_mapping(unmapped.get("compliance"))),
        muted=text(item.get("status")) == "Suppressed",
    )
    return to_finding(row, position)


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}
