"""Shared pieces of the risk register tests: real reports, a team with admin/analyst/viewer, small helpers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cspm.compliance.engine import AutonomousComplianceEngine
from cspm.compliance.models import Attestation, ControlStatus

PROWLER_REAL = ("prowler", "prowler_5.46_aws_moto_s3_iam.ocsf.json")
"""Prowler 5.46 against a moto server: s3_bucket_default_encryption FAILs on public-bucket (SCF CRY-05)."""


async def import_report(client, session, path: Path, *, tool: str, scope: str) -> dict[str, Any]:
    response = await client.post("/api/findings/import", headers=session.headers,
                                 files={"file": (path.name, path.read_bytes(), "application/octet-stream")},
                                 data={"tool": tool, "scope": scope})
    assert response.status_code == 201, response.text
    return response.json()


async def create_risk(client, session, **fields: Any) -> dict[str, Any]:
    body = {"title": "Customer data exposed from S3", "likelihood": 4, "impact": 5, "owner": "ciso",
            "threat": "data theft", "vulnerability": "unencrypted bucket", **fields}
    response = await client.post("/api/risks", headers=session.headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def attest_implemented(container, team_id: str, scf_id: str) -> None:
    """What the assessments module does for a "met" answer: an attestation the compliance engine counts."""
    await container.resolve(AutonomousComplianceEngine).attest(team_id, [Attestation(
        key=f"assessment:test:{scf_id}", source="assessment", source_id="test", scf_ids=(scf_id,),
        status=ControlStatus.IMPLEMENTED, title=f"{scf_id} answered met in an assessment", actor="auditor",
        at=datetime.now(UTC))])
