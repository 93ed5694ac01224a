"""The composition root: every domain module of the platform and what it plugs into core.

Imported by the ``cspm`` package itself, so any process (API, worker, CLI, tests) sees the same
list. Adding a domain is adding it here (see CONTRIBUTING.md).
"""

from __future__ import annotations

from cspm.core.events import COMPLIANCE_STALE, FINDINGS_CHANGED
from cspm.core.manifest import MANIFEST, RouteModule

ROUTE_MODULES: tuple[RouteModule, ...] = (
    RouteModule("health", "", public=True),
    RouteModule("auth", "/api/auth", public=True),
    RouteModule("teams", "/api/teams"),
    RouteModule("audit", "/api/audit"),
    RouteModule("findings", "/api/findings", toggle="findings"),
    RouteModule("webhooks", "/api/webhooks", public=True),
    RouteModule("targets", "/api/targets", toggle="scans"),
    RouteModule("scans", "/api/scans", toggle="scans"),
    RouteModule("assets", "/api/assets", toggle="assets"),
    RouteModule("compliance", "/api/compliance", toggle="compliance"),
    RouteModule("cloud_accounts", "/api/cloud-accounts", toggle="scans"),
    RouteModule("threat_intel", "/api/threat-intel", toggle="threat_intel"),
    RouteModule("ai_governance", "/api/ai-governance", toggle="ai_governance"),
    RouteModule("assessments", "/api/assessments", toggle="assessments"),
    RouteModule("exports", "/api/exports", toggle="exports"),
)

MANIFEST.route_modules = ROUTE_MODULES
MANIFEST.extra_index_modules = ("cspm.findings.vulnerabilities", "cspm.scans.repository")
MANIFEST.job_modules = ("cspm.findings.tasks", "cspm.scans.tasks", "cspm.compliance.tasks", "cspm.cloud_accounts.tasks",
                        "cspm.threat_intel.tasks")
MANIFEST.subscribers = {
    FINDINGS_CHANGED: ("cspm.compliance.engine:AutonomousComplianceEngine.on_findings_changed",
                       "cspm.threat_intel.correlation:ThreatCorrelationService.on_findings_changed",
                       "cspm.assessments.integration:AssessmentIntegrationService.on_findings_changed"),
    COMPLIANCE_STALE: ("cspm.compliance.engine:AutonomousComplianceEngine.refresh_stale",),
}
MANIFEST.authentication = "cspm.auth.dependencies:authenticated"
MANIFEST.authentication_before_body = "cspm.auth.dependencies:authenticate_before_body"
MANIFEST.module_gate = "cspm.teams.modules"
