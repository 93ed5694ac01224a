"""Findings service: imports, queries and triage for one team at a time."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO, Self

from bson import ObjectId

from cspm.audit.service import AuditService
from cspm.core.container import ServiceContainer
from cspm.core.database.registry import Database
from cspm.core.errors import BadRequest, Unprocessable
from cspm.core.events import FINDINGS_CHANGED
from cspm.core.pagination import decode_cursor, encode_cursor
from cspm.core.providers import provider
from cspm.core.settings import load
from cspm.findings.ingest import FindingsIngestService, IngestRequest, IngestResult
from cspm.findings.lifecycle import LifecycleService
from cspm.findings.models import CheckResult, FindingStatus, Severity
from cspm.findings.repository import FindingsRepository, overdue_filter, text_filter
from cspm.findings.schemas import FindingFilters, GroupField, SortField
from cspm.findings.settings import FindingsSettings
from cspm.findings.vulnerabilities import VulnerabilitySync
from cspm.scanners.base import ReportParser
from cspm.scanners.parsers import get_parser
from cspm.scanners.sniff import sniff, what_is_it
from cspm.scanners.streaming import PEEK_BYTES
from cspm.scans.models import RunKind, RunState
from cspm.scans.repository import ScanRunRepository

SORT_FIELDS: dict[str, str] = {
    "severity": "severity_rank", "last_seen": "last_seen", "first_seen": "first_seen", "title": "title",
    "priority": "priority",  # written by the threat intelligence module
}
DATE_SORTS = {"last_seen", "first_seen"}
# An ingest beats once per batch (seconds apart); this much silence means its process is gone.
IMPORT_SILENCE = timedelta(minutes=15)
MAX_PAGE = 500
# Grouping: the stored field behind each choice, and whether it holds a list (a finding counts in each value).
GROUP_FIELDS: dict[str, tuple[str, bool]] = {
    "rule": ("rule_id", False), "cve": ("cve_ids", True), "resource": ("resource.id", False),
    "account": ("resource.account", False), "region": ("resource.region", False), "service": ("service", False),
    "tool": ("source_tool", False),
}
SEVERITY_BY_RANK = {severity.rank: severity for severity in Severity}

logger = logging.getLogger(__name__)
ACTIVE_STATUSES = [status for status in FindingStatus if status.active]

AUTO_TOOL = "auto"
"""The import's default tool: recognised from the report's first bytes."""


def detect_tool(report: BinaryIO) -> str:
    """The tool whose report this is, from its first bytes (the sniffer the parsers' refusals use)."""
    start = report.tell()
    head = report.read(PEEK_BYTES)
    report.seek(start)
    fingerprint = sniff(head)
    if fingerprint is None:
        raise BadRequest(f"the report's tool could not be recognised ({what_is_it(head)}); name it with tool=")
    return fingerprint.tool


class FindingsService:
    def __init__(self, container: ServiceContainer, findings: FindingsRepository, runs: ScanRunRepository,
                 ingest: FindingsIngestService, lifecycle: LifecycleService, audit: AuditService) -> None:
        self.container = container
        self.findings = findings
        self.runs = runs
        self.ingest_service = ingest
        self.lifecycle = lifecycle
        self.audit = audit

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        database = container.database.db(Database.SECURITY_SCANS)
        findings = FindingsRepository(database)
        runs = ScanRunRepository(container.database.db(Database.ORCHESTRATION))
        vulnerabilities = VulnerabilitySync(container.database.db(Database.VULNERABILITIES), findings.collection)
        ingest = FindingsIngestService(findings, runs, vulnerabilities, load(FindingsSettings), container.metrics,
                                       spool_dir=None, intel=lambda: provider(container, "finding_intel"))
        return cls(container, findings, runs, ingest, LifecycleService(findings), container.resolve(AuditService))

    # --- ingestion ------------------------------------------------------------------------
    async def import_report(self, *, team_id: str, actor: str, tool: str, report: BinaryIO,
                            scope: str | None, complete: bool, ip: str | None = None) -> IngestResult:
        """A report uploaded by a user or pipeline: recorded as an import run, then ingested.

        Without an explicit ``scope`` each finding is filed under what its report says was scanned
        (the image, account and region, site, host...), so a complete import resolves only there."""
        if tool == AUTO_TOOL:
            tool = detect_tool(report)
        try:
            parser = get_parser(tool)
        except KeyError as exc:
            raise BadRequest(str(exc.args[0]) if exc.args else f"unknown tool {tool!r}") from None
        return await self.import_from_module(team_id=team_id, actor=actor, parser=parser, report=report,
                                             scope=scope, complete=complete, ip=ip)

    async def import_from_module(self, *, team_id: str, actor: str, parser: ReportParser, report: BinaryIO,
                                 scope: str | None, complete: bool, ip: str | None = None) -> IngestResult:
        """A report read by ``parser``: an uploaded tool's, or one another module produced with its own parser.

        Recorded as an import run (and audited) and ingested exactly like an upload, so its findings are
        triaged, deduplicated, resolved when absent from the next complete report of the scope, and mapped."""
        scope_key = f"{parser.tool}:{scope}" if scope else None
        run = await self.runs.create(team_id, kind=RunKind.IMPORT, tools=[parser.tool], requested_by=actor,
                                     scope_key=scope_key, target={"scope": scope}, state=RunState.RUNNING)
        audit = {"action": "finding.report_imported", "actor_id": actor, "team_id": team_id, "ip": ip,
                 "target_type": "scan_run", "target_id": run["run_id"], "target_name": f"{parser.tool} report"}
        try:
            result = await self._ingest(team_id=team_id, run_id=run["run_id"], actor=actor, parser=parser,
                                        scope_key=scope_key, complete=complete, report=report, finish_run=True)
        except Unprocessable as exc:
            await self.audit.record(**audit, outcome="failure", details={"tool": parser.tool, "scope": scope,
                                                                          "error": exc.detail})
            raise
        await self.audit.record(**audit, details={
            "tool": parser.tool, "scope": scope, "scope_keys": result.scope_keys[:20],
            "scopes": len(result.scope_keys), "complete": result.complete, "counts": result.counts.as_dict()})
        return result

    async def recover_interrupted_imports(self, *, now: datetime | None = None) -> int:
        """Fail the import runs whose process died mid-ingest (the findings written so far stay).

        A process that owns the embedded store is the only one that can write to it, so at its
        start every running import is dead; with a shared MongoDB, an import is dead once its
        heartbeat (one per batch) has been silent for IMPORT_SILENCE (the watchdog's call)."""
        now = now or datetime.now(UTC)
        sole_writer = self.container.embedded_server is not None
        interrupted = await self.runs.fail_interrupted_imports(
            silent_since=now if sole_writer else now - IMPORT_SILENCE,
            reason="interrupted: the server stopped during the import; the findings written before it stopped "
                   "were kept, re-import the report to complete it")
        if interrupted:
            logger.warning("interrupted imports marked failed", extra={"runs": interrupted})
        return interrupted

    async def ingest_for_run(self, *, team_id: str, run_id: str, actor: str, tool: str, scope_key: str | None,
                             complete: bool, report: BinaryIO, finish_run: bool = True) -> IngestResult:
        """Ingest a report for an existing run (imports, orchestrated scans, scanner webhooks)."""
        return await self._ingest(team_id=team_id, run_id=run_id, actor=actor, parser=get_parser(tool),
                                  scope_key=scope_key, complete=complete, report=report, finish_run=finish_run)

    async def _ingest(self, *, team_id: str, run_id: str, actor: str, parser: ReportParser, scope_key: str | None,
                      complete: bool, report: BinaryIO, finish_run: bool) -> IngestResult:
        request = IngestRequest(team_id=team_id, tool=parser.tool, run_id=run_id, actor=actor,
                                scope_key=scope_key, complete=complete, finish_run=finish_run)
        result = await self.ingest_service.ingest(request, parser, report)
        await self._changed(team_id, result.changed_keys)
        return result

    async def _changed(self, team_id: str, dedup_keys: Sequence[str]) -> None:
        if dedup_keys:
            await self.snapshot_trend(team_id)
            await self.container.events.publish(FINDINGS_CHANGED, team_id=team_id, dedup_keys=list(dedup_keys))

    async def snapshot_trend(self, team_id: str) -> None:
        """Today's active findings by severity: after every change, and daily for quiet teams."""
        now = datetime.now(UTC)
        await self.findings.record_trend(team_id, now.date().isoformat(),
                                         await self.findings.active_by_severity(team_id), now)

    async def snapshot_all_trends(self) -> int:
        teams = await self.findings.teams_with_findings()
        for team_id in teams:
            await self.snapshot_trend(team_id)
        return len(teams)

    async def trend(self, *, team_id: str, days: int) -> list[dict[str, Any]]:
        first_day = (datetime.now(UTC) - timedelta(days=days - 1)).date().isoformat()
        return await self.findings.trend_since(team_id, first_day)

    # --- queries ----------------------------------------------------------------------------
    def build_query(self, filters: FindingFilters, now: datetime) -> dict[str, Any]:
        clauses: list[dict[str, Any]] = []
        query: dict[str, Any] = {}
        if filters.result is not None:
            query["result"] = filters.result.value
        for field, values in (("severity", filters.severity), ("status", filters.status),
                              ("source_tool", filters.tool), ("category", filters.category)):
            if values:
                query[field] = {"$in": [getattr(value, "value", value) for value in values]}
        for field, value in (("resource.account", filters.account), ("resource.region", filters.region),
                             ("service", filters.service), ("rule_id", filters.rule),
                             ("scope_key", filters.scope_key),
                             ("last_run_id", filters.run_id),
                             ("assignee", filters.assignee)):
            if value:
                query[field] = value
        if filters.cve:
            query["cve_ids"] = filters.cve.strip().upper()
        if filters.kev is not None:
            query["kev"] = {"$exists": filters.kev}
        if filters.epss_min is not None:
            query["epss.score"] = {"$gte": filters.epss_min}
        if filters.target and "scope_key" not in query:
            # A scan files its findings under "<tool>:target:<target id>:<part>" (cspm.scans.partition).
            query["scope_key"] = {"$regex": f"^[^:]+:target:{re.escape(filters.target.strip())}:"}
        if filters.resource:
            query["resource.id"] = {"$regex": re.escape(filters.resource.strip()), "$options": "i"}
        if filters.q:
            clauses.append(text_filter(filters.q))
        if filters.overdue is not None:
            overdue = overdue_filter(now)
            clauses.append(overdue if filters.overdue else {"$nor": [overdue]})
        if clauses:
            query["$and"] = clauses
        return query

    async def list_page(self, *, team_id: str, filters: FindingFilters, sort: SortField = "severity",
                   descending: bool = True, cursor: str | None = None,
                   limit: int = 50) -> tuple[list[dict[str, Any]], str | None]:
        if not 1 <= limit <= MAX_PAGE:
            raise BadRequest(f"limit must be between 1 and {MAX_PAGE}")
        now = datetime.now(UTC)
        query = self.build_query(filters, now)
        field = SORT_FIELDS[sort]
        direction = -1 if descending else 1
        if cursor:
            position = decode_cursor(cursor)
            if position.get("s") != sort or "v" not in position or "id" not in position:
                raise BadRequest("invalid cursor: it belongs to another sort order")
            value = datetime.fromisoformat(position["v"]) if sort in DATE_SORTS else position["v"]
            after = self.findings.object_id(position["id"], "cursor position")
            op = "$lt" if descending else "$gt"
            query.setdefault("$and", []).append(self._after(field, op, value, after))
        documents = await self.findings.page(team_id, query, [(field, direction), ("_id", direction)], limit + 1)
        next_cursor = None
        if len(documents) > limit:
            documents = documents[:limit]
            last = documents[-1]
            value = last[field].isoformat() if sort in DATE_SORTS else last.get(field)
            next_cursor = encode_cursor({"s": sort, "v": value, "id": str(last["_id"])})
        return [self._summary(document, now) for document in documents], next_cursor

    @staticmethod
    def _after(field: str, op: str, value: Any, after: ObjectId) -> dict[str, Any]:
        """The keyset condition for the next page: past ``value``, or equal to it and past ``after``.

        A field can be absent (priority, when threat intelligence is off or has not run): absent
        values sort before every other value, so they come last descending and first ascending."""
        if value is None:
            tail = {field: None, "_id": {op: after}}
            return tail if op == "$lt" else {"$or": [{field: {"$ne": None}}, tail]}
        following = {field: {op: value}} if op == "$gt" else {"$or": [{field: {op: value}}, {field: None}]}
        return {"$or": [following, {field: value, "_id": {op: after}}]}

    async def groups(self, *, team_id: str, filters: FindingFilters, by: GroupField, limit: int) -> dict[str, Any]:
        """The matching findings grouped by rule, CVE, resource or a facet, with counts by severity."""
        field, unwind = GROUP_FIELDS[by]
        found = await self.findings.groups(team_id, self.build_query(filters, datetime.now(UTC)), field,
                                           unwind=unwind, limit=limit)
        groups = [{"key": str(group["_id"]), "label": group.get("label") or None,
                   "tool": group.get("tool") if by == "rule" else None, "count": group["count"],
                   "worst_severity": SEVERITY_BY_RANK.get(group.get("rank") or 0, Severity.INFO),
                   "by_severity": {item["severity"]: item["n"] for item in group["severities"]}}
                  for group in found["groups"]]
        return {"by": by, "groups": groups, "total_groups": found["total_groups"], "ungrouped": found["ungrouped"]}

    async def stream(self, *, team_id: str, filters: FindingFilters, batch_size: int,
                     sort: list[tuple[str, int]], extra: dict[str, Any] | None = None
                     ) -> AsyncIterator[list[dict[str, Any]]]:
        """Every matching finding in ``sort`` order, in batches (exports); ``extra`` narrows the query further."""
        now = datetime.now(UTC)
        query = self.build_query(filters, now)
        if extra:
            query.setdefault("$and", []).append(extra)
        async for batch in self.findings.stream(team_id, query, sort, batch_size=batch_size):
            yield [self._summary(document, now) for document in batch]

    async def longest_overdue(self, *, team_id: str, limit: int) -> list[dict[str, Any]]:
        """Active findings past their SLA date, the longest overdue first."""
        now = datetime.now(UTC)
        documents = await self.findings.page(team_id, {"result": "fail", **overdue_filter(now)},
                                             [("sla_due_at", 1), ("_id", 1)], limit)
        return [self._summary(document, now) for document in documents]

    async def counts(self, *, team_id: str, filters: FindingFilters) -> dict[str, Any]:
        now = datetime.now(UTC)
        return await self.findings.facets(team_id, self.build_query(filters, now), now)

    async def posture(self, *, team_id: str) -> dict[str, Any]:
        """The team's posture score, one definition for the Overview and the executive report.

        The share of posture checks passing: among the tools that report passing checks (Prowler,
        Checkov, kube-bench...), their passes against their active failures. Triaged failures no
        longer count. Vulnerabilities and other tools' findings are not checks and are left out, so
        a Trivy import does not move it; with no such tool there is no score (not another metric)."""
        passing = await self.counts(team_id=team_id, filters=FindingFilters(result=CheckResult.PASS))
        tools = sorted(tool for tool, count in passing["by_tool"].items() if count)
        failing = 0
        if tools:
            failing = (await self.counts(team_id=team_id, filters=FindingFilters(
                result=CheckResult.FAIL, tool=tools, status=ACTIVE_STATUSES)))["total"]
        evaluated = passing["total"] + failing
        score = round(100 * passing["total"] / evaluated) if evaluated else None
        explanation = (f"{passing['total']} of {evaluated} checks passing ({', '.join(tools)})" if evaluated else
                       "No posture checks yet: import a report from a tool that reports passing checks (Prowler)")
        return {"score": score, "passing": passing["total"], "evaluated": evaluated, "tools": tools,
                "explanation": explanation}

    async def detail(self, *, team_id: str, finding_id: str) -> dict[str, Any]:
        document = await self.findings.get(team_id, finding_id, what="finding")
        summary = self._summary(document, datetime.now(UTC))
        history = await self.findings.history_of(team_id, document["_id"])
        for entry in history:
            entry["finding_id"] = str(entry["finding_id"])
        return {**document, **summary, "history": history}

    @staticmethod
    def _summary(document: dict[str, Any], now: datetime) -> dict[str, Any]:
        due = document.get("sla_due_at")
        if due is not None and due.tzinfo is None:
            due = due.replace(tzinfo=UTC)
        overdue = bool(due and due < now and FindingStatus(document["status"]).active)
        return {**document, "id": str(document["_id"]), "overdue": overdue}

    # --- triage -----------------------------------------------------------------------------
    async def change_status(self, *, team_id: str, actor: str, finding_ids: Sequence[str], status: FindingStatus,
                            reason: str, risk_owner: str | None, expires_at: datetime | None,
                            ip: str | None = None, set_by_module: bool = False) -> int:
        changed = await self.lifecycle.change_status(team_id=team_id, finding_ids=finding_ids, status=status,
                                                     actor=actor, reason=reason, risk_owner=risk_owner,
                                                     expires_at=expires_at, set_by_module=set_by_module)
        if changed:
            details: dict[str, Any] = {"to": status.value, "reason": reason, "dedup_keys": changed[:100],
                                       "count": len(changed)}
            if status is FindingStatus.RISK_ACCEPTED:
                details |= {"risk_owner": risk_owner, "expires_at": expires_at}
            single = finding_ids[0] if len(finding_ids) == 1 else None
            title = (await self.findings.get(team_id, single, what="finding", projection={"title": 1}))["title"] \
                if single else f"{len(changed)} findings"
            await self.audit.record("finding.status_changed", actor_id=actor, team_id=team_id, ip=ip,
                                    target_type="finding", target_id=single, target_name=title, details=details)
        await self._changed(team_id, changed)
        return len(changed)

    async def assign(self, *, team_id: str, finding_id: str, assignee: str | None) -> None:
        document = await self.findings.get(team_id, finding_id, what="finding", projection={"_id": 1})
        await self.findings.set_status(team_id, [document["_id"]],
                                       {"assignee": assignee, "updated_at": datetime.now(UTC)})

    async def add_suppression_rule(self, *, team_id: str, actor: str, source_tool: str | None, rule_id: str | None,
                                   resource_pattern: str | None, reason: str) -> dict[str, Any]:
        rule_id_created, suppressed = await self.lifecycle.add_suppression_rule(
            team_id=team_id, actor=actor, source_tool=source_tool, rule_id=rule_id,
            resource_pattern=resource_pattern, reason=reason)
        await self.audit.record("finding.suppression_rule_created", actor_id=actor, team_id=team_id,
                                target_type="suppression_rule", target_id=rule_id_created,
                                details={"source_tool": source_tool, "rule_id": rule_id,
                                         "resource_pattern": resource_pattern, "reason": reason,
                                         "suppressed_now": len(suppressed)})
        await self._changed(team_id, suppressed)
        rules = await self.findings.rules_for(team_id)
        created = next(rule for rule in rules if str(rule["_id"]) == rule_id_created)
        return {**created, "id": rule_id_created, "suppressed_now": len(suppressed)}

    async def suppression_rules(self, *, team_id: str) -> list[dict[str, Any]]:
        return [{**rule, "id": str(rule["_id"])} for rule in await self.findings.rules_for(team_id)]

    async def delete_suppression_rule(self, *, team_id: str, actor: str, rule_id: str) -> bool:
        deleted = await self.findings.delete_rule(team_id, self.findings.object_id(rule_id, "suppression rule"))
        if deleted:
            await self.audit.record("finding.suppression_rule_deleted", actor_id=actor, team_id=team_id,
                                    target_type="suppression_rule", target_id=rule_id)
        return deleted

    async def reopen_expired_acceptances(self) -> int:
        reopened = await self.lifecycle.reopen_expired_acceptances()
        for team_id, keys in reopened.items():
            await self._changed(team_id, keys)
        return sum(len(keys) for keys in reopened.values())
