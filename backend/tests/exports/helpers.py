"""Imports of real scanner reports (Prowler OCSF, Trivy image and Trivy fs) for the exports and grouping tests."""

from __future__ import annotations

from pathlib import Path

PROWLER = "prowler/prowler_5.46_aws_moto_s3_iam.ocsf.json"  # 37 results: 26 FAIL, 11 PASS
TRIVY_IMAGE = "trivy/scheme_2_many_vulns.json"
TRIVY_FS = "trivy/trivy_0.76_fs_misconfig.json"  # misconfigurations on files: the code findings


async def upload(client, session, shared_dir: Path, relative: str, tool: str, scope: str) -> dict:
    content = (shared_dir / "scans" / relative).read_bytes()
    response = await client.post("/api/findings/import", headers=session.headers,
                                 files={"file": (Path(relative).name, content, "application/json")},
                                 data={"tool": tool, "scope": scope})
    assert response.status_code == 201, response.text
    return response.json()


async def import_all(client, session, shared_dir: Path) -> None:
    await upload(client, session, shared_dir, PROWLER, "prowler", "aws-123456789012")
    await upload(client, session, shared_dir, TRIVY_IMAGE, "trivy", "image")
    await upload(client, session, shared_dir, TRIVY_FS, "trivy", "repo")
