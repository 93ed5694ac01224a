"""The composition root: every domain module of the platform and what it plugs into core.

Imported by the ``cspm`` package itself, so any process (API, worker, CLI, tests) sees the same
list. Adding a domain is adding it here (see CONTRIBUTING.md).
"""

from __future__ import annotations

from cspm.core.events import (
    BIA_CRITICALITY_CHANGED,
    BIA_EXERCISE_MISSED_RTO,
    COMPLIANCE_DRIFTED,
    COMPLIANCE_STALE,
    FINDINGS_CHANGED,
    INDICATORS_MATCHED,
    KRI_RED,
    SBOM_STORED,
    SCAN_FAILED,
    TARGET_OPTIONS_CHANGED,
)
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
    RouteModule("integrations", "/api/integrations", toggle="integrations"),
    RouteModule("knowledge", "/api/knowledge", toggle="knowledge"),
    RouteModule("ai_soc", "/api/ai-soc", toggle="ai_soc"),
    RouteModule("risks", "/api/risks", toggle="risks"),
    RouteModule("bia", "/api/bia", toggle="bia"),
    RouteModule("inventory", "/api/inventory", toggle="assets"),
    RouteModule("registries", "/api/registries", toggle="registries"),
    RouteModule("exports", "/api/exports", toggle="exports"),
)

MANIFEST.route_modules = ROUTE_MODULES
MANIFEST.extra_index_modules = ("cspm.findings.vulnerabilities", "cspm.scans.repository")
MANIFEST.job_modules = ("cspm.findings.tasks", "cspm.scans.tasks", "cspm.compliance.tasks", "cspm.cloud_accounts.tasks",
                        "cspm.threat_intel.tasks", "cspm.integrations.tasks", "cspm.knowledge.tasks",
                        "cspm.ai_soc.tasks", "cspm.risks.tasks",
                        "cspm.inventory.tasks", "cspm.registries.tasks")
MANIFEST.subscribers = {
    FINDINGS_CHANGED: ("cspm.compliance.engine:AutonomousComplianceEngine.on_findings_changed",
                       "cspm.threat_intel.correlation:ThreatCorrelationService.on_findings_changed",
                       "cspm.assessments.integration:AssessmentIntegrationService.on_findings_changed",
                       # after threat intel: its KEV flag is on the findings when notifications are made
                       "cspm.integrations.routing:NotificationRouter.on_findings_changed",
                       # After threat intel: the AI-SOC run reads the priority it has just written.
                       "cspm.ai_soc.service:AiSocService.on_findings_changed",
                       # after the compliance engine: the register reads the controls it has just recomputed
                       "cspm.risks.service:RiskService.on_findings_changed"),
    COMPLIANCE_STALE: ("cspm.compliance.engine:AutonomousComplianceEngine.refresh_stale",),
    INDICATORS_MATCHED: ("cspm.integrations.routing:NotificationRouter.on_indicators_matched",),
    COMPLIANCE_DRIFTED: ("cspm.integrations.routing:NotificationRouter.on_drift",),
    SCAN_FAILED: ("cspm.integrations.routing:NotificationRouter.on_scan_failed",),
    KRI_RED: ("cspm.integrations.routing:NotificationRouter.on_kri_red",),
    BIA_EXERCISE_MISSED_RTO: ("cspm.risks.proposals:ProposalService.on_exercise_missed_rto",),
    BIA_CRITICALITY_CHANGED: ("cspm.threat_intel.correlation:ThreatCorrelationService.on_criticality_changed",),
    TARGET_OPTIONS_CHANGED: ("cspm.threat_intel.correlation:ThreatCorrelationService.on_target_options_changed",),
    SBOM_STORED: ("cspm.threat_intel.correlation:ThreatCorrelationService.on_sbom_stored",),
}
MANIFEST.providers = {"asset_criticality": "cspm.bia.service:BiaService.asset_criticality",
                      "finding_intel": "cspm.threat_intel.correlation:ThreatCorrelationService.intel_for_new_findings",
                      "risk_from_finding": "cspm.risks.service:RiskService.create_from_finding",
                      "ticket_for_finding": "cspm.integrations.tickets:TicketService.create_with_team_jira",
                      "registry_images_with_digest": "cspm.registries.service:RegistryService.images_with_digest",
                      "targets_with_endpoint": "cspm.targets.service:TargetService.with_endpoint"}
MANIFEST.authentication = "cspm.auth.dependencies:authenticated"
MANIFEST.authentication_before_body = "cspm.auth.dependencies:authenticate_before_body"
MANIFEST.module_gate = "cspm.teams.modules"
