"""Exports service: the filtered findings list streamed in a format, and the team's executive report."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, Self

from cspm.audit.service import AuditService
from cspm.core.container import ServiceContainer
from cspm.core.errors import Forbidden
from cspm.exports.formats import CODE_FINDINGS, SORTS, ExportFormat, chunks, encoded
from cspm.exports.settings import ExportsSettings
from cspm.findings.models import FindingStatus
from cspm.findings.schemas import FindingFilters
from cspm.findings.service import FindingsService
from cspm.teams.schemas import TOGGLEABLE_MODULES
from cspm.teams.service import TeamService

ACTIVE = [FindingStatus.OPEN, FindingStatus.REOPENED]


class ExportService:
    def __init__(self, findings: FindingsService, teams: TeamService, audit: AuditService,
                 settings: ExportsSettings) -> None:
        self.findings = findings
        self.teams = teams
        self.audit = audit
        self.settings = settings

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        return cls(container.resolve(FindingsService), container.resolve(TeamService),
                   container.resolve(AuditService), container.resolve(ExportsSettings))

    async def _require_findings(self, team_id: str) -> None:
        """Exports read the findings module's data: a team that switched it off is told so, not served."""
        if "findings" in await self.teams.disabled_modules(team_id=team_id):
            raise Forbidden(f"the {TOGGLEABLE_MODULES['findings']} module is switched off for this team; "
                            "exports and the executive report read its findings")

    async def export(self, *, team_id: str, actor: str, export_format: ExportFormat, filters: FindingFilters,
                     ip: str | None = None) -> AsyncIterator[bytes]:
        """The matching findings in ``export_format``, as chunks of bytes read batch by batch from one cursor.

        Checked and audited before the first byte, so a refusal is an HTTP error, not a broken download."""
        await self._require_findings(team_id)
        await self.audit.record("finding.exported", actor_id=actor, team_id=team_id, ip=ip, target_type="team",
                                target_id=team_id, target_name=f"{export_format} export",
                                details={"format": export_format,
                                         "filters": filters.model_dump(mode="json", exclude_defaults=True)})
        batches = self.findings.stream(team_id=team_id, filters=filters, batch_size=self.settings.batch_size,
                                       sort=SORTS[export_format],
                                       extra=CODE_FINDINGS if export_format == "sarif" else None)
        return encoded(chunks(export_format, batches))

    async def executive_summary(self, *, team_id: str, actor: str, ip: str | None = None) -> dict[str, Any]:
        """What the executive report shows: posture, trend, top risks and SLA breaches of the team."""
        await self._require_findings(team_id)
        team = await self.teams.get(team_id=team_id)
        active = await self.findings.counts(team_id=team_id, filters=FindingFilters(status=ACTIVE))
        posture = await self.findings.posture(team_id=team_id)  # the Overview's score, by the same definition
        top, _ = await self.findings.list_page(team_id=team_id, filters=FindingFilters(status=ACTIVE),
                                               sort="priority", limit=self.settings.report_top_risks)
        by_priority = any(finding.get("priority") is not None for finding in top)
        if not by_priority:
            top, _ = await self.findings.list_page(team_id=team_id, filters=FindingFilters(status=ACTIVE),
                                                   sort="severity", limit=self.settings.report_top_risks)
            disabled = await self.teams.disabled_modules(team_id=team_id)
            priority_note = ("the threat intelligence module is switched off for this team, so no finding has an "
                             "explained priority" if "threat_intel" in disabled else
                             "threat intelligence has not scored these findings yet (no KEV/EPSS data)")
        else:
            priority_note = ""
        summary = {
            "team_name": team.get("name") or team_id, "generated_at": datetime.now(UTC),
            "active_total": active["total"], "active_by_severity": active["by_severity"],
            "overdue": active["overdue"],
            "posture": posture,
            "trend_days": self.settings.report_trend_days,
            "trend": await self.findings.trend(team_id=team_id, days=self.settings.report_trend_days),
            "top_risks": top, "by_priority": by_priority, "priority_note": priority_note,
            "sla_breaches": await self.findings.longest_overdue(team_id=team_id,
                                                                limit=self.settings.report_sla_breaches),
        }
        await self.audit.record("finding.executive_report", actor_id=actor, team_id=team_id, ip=ip,
                                target_type="team", target_id=team_id, target_name="executive report",
                                details={"active": active["total"], "overdue": active["overdue"]})
        return summary
