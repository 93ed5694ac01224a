"""Fixtures for compliance tests: the real SCF workbook (parsed once), stored findings of the documented shape."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cspm.compliance.scf_import import ParsedWorkbook, parse_workbook
from cspm.core.database.registry import Database
from cspm.findings.models import CanonicalFinding, FindingStatus


@pytest.fixture(scope="session")
def workbook_path(shared_dir: Path) -> Path:
    found = sorted((shared_dir / "scf").glob("*.xlsx"))
    if not found:
        pytest.fail(f"no SCF workbook in {shared_dir / 'scf'}")
    return found[0]


@pytest.fixture(scope="session")
def parsed_workbook(workbook_path: Path) -> ParsedWorkbook:
    return parse_workbook(workbook_path)


def subset(parsed: ParsedWorkbook, domains: tuple[str, ...]) -> ParsedWorkbook:
    """The real workbook restricted to some domains (for database imports kept small for mongoeco)."""
    controls = [control for control in parsed.controls if control.domain_code in domains]
    keep = {control.scf_id for control in controls}
    frameworks = []
    for framework in parsed.frameworks:
        requirements = {}
        for rid, requirement in framework.requirements.items():
            ids = tuple(scf_id for scf_id in requirement.scf_ids if scf_id in keep)
            if ids:
                requirements[rid] = replace(requirement, scf_ids=ids)
        if requirements:
            frameworks.append(replace(framework, requirements=requirements))
    return replace(parsed, controls=controls, frameworks=frameworks,
                   domains={code: name for code, name in parsed.domains.items() if code in domains})


def finding_document(finding: CanonicalFinding, team_id: str, *, status: FindingStatus = FindingStatus.OPEN,
                     last_seen: datetime | None = None) -> dict[str, Any]:
    """A stored finding as ARCHITECTURE.md documents it: the canonical dump plus the lifecycle fields."""
    moment = last_seen or datetime.now(UTC)
    return {
        **finding.model_dump(mode="json"),
        "team_id": team_id, "status": status.value, "severity_rank": finding.severity.rank,
        "first_seen": moment, "last_seen": moment, "times_seen": 1, "scope_key": "test",
        "last_run_id": uuid.uuid4().hex, "sla_due_at": None, "assignee": None, "risk_acceptance": None,
        "updated_at": moment,
    }


async def store_findings(container, documents: list[dict[str, Any]]) -> None:
    if documents:
        await container.database.db(Database.SECURITY_SCANS)["findings"].insert_many(documents)


async def set_finding(container, team_id: str, dedup_key: str, **fields: Any) -> None:
    await container.database.db(Database.SECURITY_SCANS)["findings"].update_one(
        {"team_id": team_id, "dedup_key": dedup_key}, {"$set": fields})
