"""API schemas of the findings module."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cspm.core.fields import MultiLineText, SingleLineText
from cspm.findings.ingest import IngestResult
from cspm.findings.models import CheckResult, FindingCategory, FindingStatus, Severity
from cspm.scans.schemas import SkippedRecordOut

SortField = Literal["severity", "last_seen", "first_seen", "title", "priority"]
GroupField = Literal["rule", "cve", "resource", "account", "region", "service", "tool"]
"""What findings can be grouped by: the check/rule (with its tool), a CVE id (a finding with several CVEs counts in
each), the resource id, and the facets the filters offer (account, region, cloud service, tool)."""


class FindingFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    severity: list[Severity] = Field(default_factory=list)
    status: list[FindingStatus] = Field(default_factory=list)
    tool: list[str] = Field(default_factory=list)
    category: list[FindingCategory] = Field(default_factory=list)
    result: CheckResult | None = CheckResult.FAIL
    resource: str | None = Field(default=None, max_length=500, description="Substring of the resource id")
    account: str | None = Field(default=None, max_length=200)
    region: str | None = Field(default=None, max_length=100)
    service: str | None = Field(default=None, max_length=100,
                                description="Cloud service (s3, iam, ...): see cspm.findings.models.service_of")
    target: str | None = Field(default=None, max_length=64, description="Id of the scan target the findings came from")
    rule: str | None = Field(default=None, max_length=300, description="The tool's rule/check id, exactly")
    cve: str | None = Field(default=None, max_length=100)
    q: str | None = Field(default=None, max_length=200, description="Text in title, rule, resource, package or CVE")
    overdue: bool | None = None
    scope_key: str | None = Field(default=None, max_length=500)
    run_id: str | None = Field(default=None, max_length=64)
    assignee: str | None = Field(default=None, max_length=200)
    kev: bool | None = Field(default=None, description="Only findings with (true) or without (false) a CISA KEV CVE")
    epss_min: float | None = Field(default=None, ge=0, le=1, description="Only findings with at least this EPSS")


class FindingSummary(BaseModel):
    id: str
    dedup_key: str
    source_tool: str
    rule_id: str
    title: str
    severity: Severity
    status: FindingStatus
    result: CheckResult
    category: FindingCategory
    resource: dict[str, Any]
    cve_ids: list[str] = []
    package: dict[str, Any] | None = None
    first_seen: datetime
    last_seen: datetime
    times_seen: int
    sla_due_at: datetime | None = None
    overdue: bool = False
    assignee: str | None = None
    # Written by the threat intelligence module (when it runs): KEV flag, newest EPSS, explained priority.
    kev: dict[str, Any] | None = None
    epss: dict[str, Any] | None = None
    priority: float | None = None


class FindingPage(BaseModel):
    items: list[FindingSummary]
    next_cursor: str | None


class FindingDetail(FindingSummary):
    description: str | None = None
    evidence: str | None = None
    remediation: str | None = None
    references: list[str] = []
    cwe_ids: list[str] = []
    cvss_score: float | None = None
    cvss_vector: str | None = None
    epss_score: float | None = None
    compliance_tags: dict[str, list[str]] = {}
    identity: dict[str, str] = {}
    scope_key: str | None = None
    last_run_id: str | None = None
    risk_acceptance: dict[str, Any] | None = None
    history: list[dict[str, Any]] = []
    priority_explanation: str | None = None
    priority_factors: list[dict[str, Any]] = []


class FindingCounts(BaseModel):
    total: int
    overdue: int
    by_severity: dict[str, int]
    by_status: dict[str, int]
    by_tool: dict[str, int]


class PostureScore(BaseModel):
    """The team's posture score: the share of posture checks passing (see GET /api/findings/posture)."""

    score: int | None = Field(description="Percent of checks passing; null until a tool has reported passing checks")
    passing: int = Field(description="Passing checks")
    evaluated: int = Field(description="Passing checks plus the same tools' active failures")
    tools: list[str] = Field(description="The tools that reported passing checks (the score counts only theirs)")
    explanation: str


class FindingGroup(BaseModel):
    key: str = Field(description="The group's value: rule id, CVE id, resource id, account, region, service or tool")
    label: str | None = Field(default=None, description="A title for the key (the rule's title, the resource's name)")
    tool: str | None = Field(default=None, description="The tool whose rule this is (grouping by rule)")
    count: int
    worst_severity: Severity
    by_severity: dict[str, int]


class FindingGroups(BaseModel):
    by: GroupField
    groups: list[FindingGroup] = Field(description="Largest groups first (then by key)")
    total_groups: int = Field(description="Groups that match, of which the first `limit` are listed")
    ungrouped: int = Field(description="Matching findings without a value for the field (no CVE, no account...)")


class TrendPoint(BaseModel):
    day: str = Field(description="UTC date, YYYY-MM-DD")
    total: int
    by_severity: dict[str, int]


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: FindingStatus
    reason: MultiLineText = Field(min_length=3, max_length=2000)
    risk_owner: Annotated[SingleLineText, Field(max_length=200)] | None = None
    expires_at: datetime | None = None


class BulkStatusChange(StatusChange):
    ids: list[Annotated[SingleLineText, Field(max_length=64)]] = Field(min_length=1, max_length=1000)


class StatusChangeResult(BaseModel):
    changed: int


class AssigneeChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assignee: Annotated[SingleLineText, Field(max_length=200)] | None = None


class SuppressionRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source_tool: Annotated[SingleLineText, Field(max_length=50)] | None = None
    rule_id: Annotated[SingleLineText, Field(max_length=300)] | None = None
    resource_pattern: Annotated[SingleLineText, Field(max_length=500)] | None = Field(
        default=None, description="Glob over the resource id")
    reason: MultiLineText = Field(min_length=3, max_length=2000)


class SuppressionRuleOut(BaseModel):
    id: str
    source_tool: str | None
    rule_id: str | None
    resource_pattern: str | None
    reason: str
    created_by: str
    created_at: datetime
    suppressed_now: int = 0


MAX_SCOPES_SHOWN = 100
"""An import answers with at most this many of its scopes (a big Nmap sweep names thousands of hosts)."""


class ImportResult(BaseModel):
    run_id: str
    tool: str
    scope_keys: list[str] = Field(description="The scopes the findings were filed under: given, or named by the "
                                              "report (image, account and region, site, host...)")
    complete: bool = Field(description="Whether findings absent from the report were resolved within those scopes")
    incomplete_reason: str | None = Field(default=None, description="Why less was resolved than asked")
    counts: dict[str, int]
    skipped: list[SkippedRecordOut] = Field(
        default_factory=list, description="Records that could not become findings, with their reasons "
                                          "(the first 100; counts.skipped has them all)")

    @classmethod
    def of(cls, result: IngestResult) -> ImportResult:
        return cls(run_id=result.run_id, tool=result.tool, scope_keys=result.scope_keys[:MAX_SCOPES_SHOWN],
                   complete=result.complete, incomplete_reason=result.incomplete_reason,
                   counts=result.counts.as_dict(),
                   skipped=[SkippedRecordOut(index=record.index, reason=record.reason) for record in result.skipped])
