"""The executive PDF, rendered to PNG pages with pdftoppm (poppler) and read back as text with pypdf."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from pypdf import PdfReader

from cspm.core.database.registry import Database
from tests.exports.helpers import import_all
from tests.pdf_helpers import PNG_SIGNATURE, pdftoppm


async def test_executive_report_renders_posture_trend_risks_and_breaches(client, auth, shared_dir, container,
                                                                       tmp_path):
    session = await auth.user(role="viewer")
    analyst = await auth.user(role="analyst", team=session)
    await import_all(client, analyst, shared_dir)
    findings = container.database.db(Database.SECURITY_SCANS)
    past = datetime.now(UTC) - timedelta(days=3)
    await findings["findings"].update_many({"team_id": session.team_id, "severity": "critical"},
                                           {"$set": {"sla_due_at": past}})
    for days_ago, total in ((2, 40), (1, 55)):  # earlier days of the trend, as the daily job records them
        day = (datetime.now(UTC) - timedelta(days=days_ago)).date().isoformat()
        await findings["finding_trend"].insert_one({"team_id": session.team_id, "day": day, "total": total,
                                                    "by_severity": {"high": total}})
    response = await client.get("/api/exports/executive-report", headers=session.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    pages = pdftoppm(response.content, tmp_path)
    assert pages and all(page.read_bytes().startswith(PNG_SIGNATURE) for page in pages)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    counts = (await client.get("/api/findings/counts", headers=session.headers,
                               params={"status": ["open", "reopened"]})).json()
    assert "Executive security report" in text and "Top risks" in text and "SLA breaches" in text
    assert f"{counts['total']} active findings" in text
    assert counts["overdue"] > 0 and f"{counts['overdue']} active findings are past their due date" in text
    # One posture score: the Overview's (GET /api/findings/posture) is the report's. The real Prowler report
    # has 11 PASS and 26 FAIL; the Trivy and other imports' vulnerabilities are not checks and do not count.
    posture = (await client.get("/api/findings/posture", headers=session.headers)).json()
    assert posture == {"score": 30, "passing": 11, "evaluated": 37, "tools": ["prowler"],
                       "explanation": "11 of 37 checks passing (prowler)"}
    assert "Posture score 30 %: 11 of 37 checks passing (prowler)" in " ".join(text.split())
    top = (await client.get("/api/findings", headers=session.headers,
                            params={"sort": "priority", "limit": 1, "status": ["open", "reopened"]})).json()
    assert "Ranked by explained priority" in text and f"{top['items'][0]['priority']:.2f}" in text

    # Without threat intelligence scores the report ranks by severity and says why.
    await findings["findings"].update_many({"team_id": session.team_id}, {"$unset": {"priority": ""}})
    again = await client.get("/api/exports/executive-report", headers=session.headers)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(again.content)).pages)
    assert "Ranked by severity: threat intelligence has not scored these findings" in text


async def test_executive_report_of_an_empty_team_says_so(client, auth, tmp_path):
    session = await auth.user(role="viewer")
    response = await client.get("/api/exports/executive-report", headers=session.headers)
    assert response.status_code == 200, response.text
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "No active findings." in text and "No SLA breaches." in text and "Not enough history" in text
    assert "No posture score yet" in text
    assert (await client.get("/api/findings/posture", headers=session.headers)).json()["score"] is None
    assert len(pdftoppm(response.content, tmp_path)) == 1
