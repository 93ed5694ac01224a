"""Compliance background jobs: daily drift snapshot, team recomputation, engine runs off the request path."""

from __future__ import annotations

import logging
from typing import Any

from cspm.compliance.drift import ComplianceDriftDetectionService
from cspm.compliance.engine import AutonomousComplianceEngine
from cspm.compliance.registry_service import BUNDLED_ACTOR, BUNDLED_WORKBOOK, CommonControlRegistryService
from cspm.core.jobs import job

logger = logging.getLogger(__name__)


@job("compliance.findings_changed", queue="compliance")
async def findings_changed(container: Any, *, team_id: str, dedup_keys: list[str]) -> None:
    """The engine's hook as a job, for publishers that prefer not to wait for it."""
    await container.resolve(AutonomousComplianceEngine).on_findings_changed(team_id=team_id, dedup_keys=dedup_keys)


@job("compliance.daily_snapshot", queue="compliance", time_limit_seconds=3 * 3600, every_seconds=24 * 3600)
async def daily_snapshot(container: Any, *, team_id: str | None = None) -> dict[str, int]:
    """Expire old evidence, then snapshot every control and score of one team (or of every team)."""
    engine = container.resolve(AutonomousComplianceEngine)
    drift = container.resolve(ComplianceDriftDetectionService)
    registry = await container.resolve(CommonControlRegistryService).registry()
    teams = [team_id] if team_id else await engine.states.teams()
    events = 0
    for team in teams:
        await engine.refresh_expired_evidence(team)
        events += len(await drift.daily(team, registry=registry))
    logger.info("compliance daily snapshot", extra={"teams": len(teams), "drift_events": events})
    return {"teams": len(teams), "events": events}


@job("compliance.recompute_team", queue="compliance", time_limit_seconds=3 * 3600)
async def recompute_team(container: Any, *, team_id: str) -> int:
    """Re-map a team's findings against the active registry (after a workbook import)."""
    return await container.resolve(AutonomousComplianceEngine).recompute_team(team_id)


@job("compliance.import_bundled_workbook", queue="compliance", time_limit_seconds=1800, max_retries=0)
async def import_bundled_workbook(container: Any) -> dict[str, Any]:
    """First start: import the bundled SCF workbook, then re-map every team's findings against it."""
    registries = container.resolve(CommonControlRegistryService)
    if not await registries.needs_bundled_import():
        return {"imported": False, "reason": "a workbook is already imported (or importing), or the setting is off"}
    registries.report_bundled_import("parsing and storing")
    report = await registries.import_workbook(BUNDLED_WORKBOOK, actor=BUNDLED_ACTOR)
    teams = await registries.remap_all_teams()
    logger.info("bundled SCF workbook imported", extra={"version_id": report.version_id, "teams": teams,
                                                         "seconds": report.seconds, **report.counts})
    return {"imported": True, "version_id": report.version_id, "counts": report.counts, "teams_remapped": teams,
            "seconds": report.seconds}
