"""Shared steps of the integrations tests: a critical finding imported, an integration made through the API."""

from __future__ import annotations

from typing import Any

from tests.conftest import SHARED

# A real Trivy report with one CRITICAL vulnerability (and others below it).
CRITICAL_REPORT = SHARED / "scans" / "trivy" / "severity_prio.json"
WEBHOOK_SECRET = "whsec-0123456789abcdef-integrations"


async def import_critical(client, session) -> dict[str, Any]:
    response = await client.post("/api/findings/import", headers=session.headers,
                                 files={"file": ("trivy.json", CRITICAL_REPORT.read_bytes(), "application/json")},
                                 data={"tool": "trivy", "scope": "integrations-test"})
    assert response.status_code == 201, response.text
    return response.json()


async def create(client, session, name: str, config: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/api/integrations", headers=session.headers, json={"name": name, "config": config})
    assert response.status_code == 201, response.text
    return response.json()


async def route(client, session, integration_ids: list[str], *, events: list[str] | None = None,
                min_severity: str = "high", name: str = "critical to channels", **extra: Any) -> dict[str, Any]:
    response = await client.post("/api/integrations/rules", headers=session.headers, json={
        "name": name, "integration_ids": integration_ids, "event_types": events or ["finding.new"],
        "min_severity": min_severity, **extra})
    assert response.status_code == 201, response.text
    return response.json()


async def deliveries(client, session, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/integrations/deliveries", headers=session.headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]
