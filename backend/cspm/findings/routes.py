"""Findings API: report import, queries with cursor pagination, counts, detail, triage."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile, status

from cspm.auth.dependencies import Principal, client_info, require_permission
from cspm.core.container import ServiceContainer
from cspm.core.dependencies import service
from cspm.core.errors import NotFound
from cspm.core.fields import SingleLineText
from cspm.findings.models import CheckResult, FindingCategory, FindingStatus, Severity
from cspm.findings.schemas import (
    AssigneeChange,
    BulkStatusChange,
    FindingCounts,
    FindingDetail,
    FindingFilters,
    FindingGroups,
    FindingPage,
    FindingSummary,
    GroupField,
    ImportResult,
    PostureScore,
    SortField,
    StatusChange,
    StatusChangeResult,
    SuppressionRuleIn,
    SuppressionRuleOut,
    TrendPoint,
)
from cspm.findings.service import FindingsService

router = APIRouter(tags=["findings"])


async def on_startup(container: ServiceContainer) -> None:
    """Imports that were running when the previous process died are marked failed, not left running."""
    await container.resolve(FindingsService).recover_interrupted_imports()
Findings = Annotated[FindingsService, Depends(service(FindingsService))]
Reader = Annotated[Principal, Depends(require_permission("findings:read"))]
Writer = Annotated[Principal, Depends(require_permission("findings:write"))]
Importer = Annotated[Principal, Depends(require_permission("findings:import"))]


def filters(
    severity: Annotated[list[Severity], Query()] = [],  # noqa: B006 - FastAPI query lists
    status: Annotated[list[FindingStatus], Query()] = [],  # noqa: B006
    tool: Annotated[list[str], Query(max_length=50)] = [],  # noqa: B006
    category: Annotated[list[FindingCategory], Query()] = [],  # noqa: B006
    result: CheckResult | Literal["any"] = CheckResult.FAIL,
    resource: Annotated[str | None, Query(max_length=500)] = None,
    account: Annotated[str | None, Query(max_length=200)] = None,
    region: Annotated[str | None, Query(max_length=100)] = None,
    service: Annotated[str | None, Query(max_length=100)] = None,
    target: Annotated[str | None, Query(max_length=64)] = None,
    rule: Annotated[str | None, Query(max_length=300)] = None,
    cve: Annotated[str | None, Query(max_length=100)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    overdue: bool | None = None,
    scope_key: Annotated[str | None, Query(max_length=500)] = None,
    run_id: Annotated[str | None, Query(max_length=64)] = None,
    assignee: Annotated[str | None, Query(max_length=200)] = None,
    kev: bool | None = None,
    epss_min: Annotated[float | None, Query(ge=0, le=1)] = None,
) -> FindingFilters:
    return FindingFilters(
        severity=severity, status=status, tool=tool, category=category,
        result=None if result == "any" else result, resource=resource, account=account, region=region,
        service=service, target=target, rule=rule, cve=cve,
        q=q, overdue=overdue, scope_key=scope_key, run_id=run_id, assignee=assignee, kev=kev, epss_min=epss_min,
    )


Filters = Annotated[FindingFilters, Depends(filters)]


@router.post("/import", status_code=status.HTTP_201_CREATED, response_model=ImportResult)
async def import_report(
    principal: Importer,
    findings: Findings,
    request: Request,
    file: Annotated[UploadFile, File(description="The tool's own report file")],
    tool: Annotated[SingleLineText, Form(
        max_length=50, description="auto (recognised from the report), prowler, trivy, zap, nmap, ...")] = "auto",
    scope: Annotated[SingleLineText | None, Form(max_length=300,
                                                 description="What was scanned (account, image, URL...)")] = None,
    complete: Annotated[bool, Form(description="A complete scan of the scope resolves what it no longer reports")]
    = True,
) -> ImportResult:
    """Imports a scanner report and answers with what changed."""
    return ImportResult.of(await findings.import_report(
        team_id=principal.team, actor=principal.user_id, tool=tool.strip().lower(), report=file.file,
        scope=scope, complete=complete, ip=client_info(request).ip))


@router.get("", response_model=FindingPage)
async def list_findings(
    principal: Reader, findings: Findings, selected: Filters,
    sort: SortField = "severity", order: Literal["asc", "desc"] = "desc",
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> FindingPage:
    """Lists the team's findings, filtered and sorted, one page at a time."""
    items, next_cursor = await findings.list_page(team_id=principal.team, filters=selected, sort=sort,
                                             descending=order == "desc", cursor=cursor, limit=limit)
    return FindingPage(items=[FindingSummary.model_validate(item) for item in items], next_cursor=next_cursor)


@router.get("/counts", response_model=FindingCounts)
async def count_findings(principal: Reader, findings: Findings, selected: Filters) -> FindingCounts:
    """Counts the team's findings by severity, status and tool."""
    return FindingCounts.model_validate(await findings.counts(team_id=principal.team, filters=selected))


@router.get("/posture", response_model=PostureScore)
async def posture_score(principal: Reader, findings: Findings) -> PostureScore:
    """The team's posture score: posture checks passing, among the tools that report passing checks."""
    return PostureScore.model_validate(await findings.posture(team_id=principal.team))


@router.get("/groups", response_model=FindingGroups)
async def group_findings(principal: Reader, findings: Findings, selected: Filters, by: GroupField = "rule",
                         limit: Annotated[int, Query(ge=1, le=500)] = 100) -> FindingGroups:
    """Groups the team's matching findings by rule, CVE, resource, account, region, service or tool, with counts."""
    return FindingGroups.model_validate(await findings.groups(team_id=principal.team, filters=selected, by=by,
                                                              limit=limit))


@router.get("/trend", response_model=list[TrendPoint])
async def findings_trend(principal: Reader, findings: Findings,
                         days: Annotated[int, Query(ge=1, le=366)] = 30) -> list[TrendPoint]:
    """Active findings by severity per day (the last point of each day), oldest first."""
    return [TrendPoint.model_validate(point) for point in await findings.trend(team_id=principal.team, days=days)]


@router.post("/bulk-status", response_model=StatusChangeResult)
async def bulk_status(principal: Writer, findings: Findings, change: BulkStatusChange,
                      request: Request) -> StatusChangeResult:
    """Changes the status of several findings at once."""
    changed = await findings.change_status(
        team_id=principal.team, actor=principal.user_id, finding_ids=change.ids, status=change.status,
        reason=change.reason, risk_owner=change.risk_owner, expires_at=change.expires_at,
        ip=client_info(request).ip)
    return StatusChangeResult(changed=changed)


@router.get("/suppression-rules", response_model=list[SuppressionRuleOut])
async def list_rules(principal: Reader, findings: Findings) -> list[SuppressionRuleOut]:
    """Lists the team's suppression rules."""
    return [SuppressionRuleOut.model_validate(rule) for rule in await findings.suppression_rules(
        team_id=principal.team)]


@router.post("/suppression-rules", status_code=status.HTTP_201_CREATED, response_model=SuppressionRuleOut)
async def create_rule(principal: Writer, findings: Findings, rule: SuppressionRuleIn) -> SuppressionRuleOut:
    """Creates a suppression rule and applies it to the matching open findings."""
    created = await findings.add_suppression_rule(team_id=principal.team, actor=principal.user_id,
                                                  **rule.model_dump())
    return SuppressionRuleOut.model_validate(created)


@router.delete("/suppression-rules/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_rule(principal: Writer, findings: Findings, rule_id: str) -> None:
    """Deletes a suppression rule (findings it suppressed keep their status)."""
    if not await findings.delete_suppression_rule(team_id=principal.team, actor=principal.user_id, rule_id=rule_id):
        raise NotFound("suppression rule not found")


@router.get("/{finding_id}", response_model=FindingDetail)
async def get_finding(principal: Reader, findings: Findings, finding_id: str) -> FindingDetail:
    """Shows one finding with its evidence and history."""
    return FindingDetail.model_validate(await findings.detail(team_id=principal.team, finding_id=finding_id))


@router.patch("/{finding_id}/status", response_model=StatusChangeResult)
async def change_status(principal: Writer, findings: Findings, finding_id: str,
                        change: StatusChange, request: Request) -> StatusChangeResult:
    """Changes the status of one finding (false positive, accepted risk, suppressed, open)."""
    changed = await findings.change_status(
        team_id=principal.team, actor=principal.user_id, finding_ids=[finding_id], status=change.status,
        reason=change.reason, risk_owner=change.risk_owner, expires_at=change.expires_at,
        ip=client_info(request).ip)
    return StatusChangeResult(changed=changed)


@router.patch("/{finding_id}/assignee", status_code=status.HTTP_204_NO_CONTENT)
async def assign(principal: Writer, findings: Findings, finding_id: str, change: AssigneeChange) -> None:
    """Assigns a finding to someone (or clears the assignee)."""
    await findings.assign(team_id=principal.team, finding_id=finding_id, assignee=change.assignee)
