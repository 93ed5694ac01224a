/**
 * ALL_PLATFORM_MODULES: the one list the Sidebar, the router and the code-splitting read.
 * A module names the backend route module it needs (`backend`, as in /health/status
 * `routes:<name>`) so the shell can say when the server does not serve it, and the
 * permission a member needs to see it, and the team-level switch (`toggle`, as in
 * /api/teams/active/modules) that turns it off for a team.
 */
import { lazy, type ComponentType, type LazyExoticComponent } from "react";
import type { IconName } from "../components/Icon";

/** Backend module switches (cspm.teams.modules.TOGGLEABLE_MODULES) the registry maps pages to. */
export const MODULE_TOGGLES = ["findings", "compliance", "scans", "assets", "threat_intel", "ai_governance", "assessments", "integrations", "knowledge", "ai_soc", "risks", "bia", "registries"] as const;
export type ModuleToggle = (typeof MODULE_TOGGLES)[number];

export interface PlatformModule {
  id: string;
  label: string;
  path: string;
  icon: IconName;
  section: "Posture" | "Operations" | "Settings";
  description: string;
  /** Backend route modules this page needs (health component `routes:<name>`). */
  backend: string[];
  /** The team switch that turns this page off (absent = always on). */
  toggle?: ModuleToggle;
  /** Permission needed in the active team; absent = any member. */
  permission?: string;
  /** Platform admins only (user administration). */
  platformAdmin?: boolean;
  component: LazyExoticComponent<ComponentType>;
  /** Preloads the chunk (on hover/focus in the sidebar). */
  preload: () => Promise<unknown>;
}

function page(loader: () => Promise<{ default: ComponentType }>) {
  return { component: lazy(loader), preload: loader };
}

export const ALL_PLATFORM_MODULES: PlatformModule[] = [
  {
    id: "overview",
    label: "Overview",
    path: "/overview",
    icon: "overview",
    section: "Posture",
    description: "Posture score, severity breakdown and SLA breaches",
    backend: ["findings"],
    toggle: "findings",
    permission: "findings:read",
    ...page(() => import("../pages/overview/OverviewPage")),
  },
  {
    id: "findings",
    label: "Findings",
    path: "/findings",
    icon: "findings",
    section: "Posture",
    description: "Every finding from every scanner, deduplicated, with triage",
    backend: ["findings"],
    toggle: "findings",
    permission: "findings:read",
    ...page(() => import("../pages/findings/FindingsPage")),
  },
  {
    id: "compliance",
    label: "Compliance",
    path: "/compliance",
    icon: "compliance",
    section: "Posture",
    description: "Framework scores, requirement → control → findings, manual statuses, drift and SoA",
    backend: ["compliance"],
    toggle: "compliance",
    permission: "compliance:read",
    ...page(() => import("../pages/compliance/CompliancePage")),
  },
  {
    id: "threat_intel",
    label: "Threat intelligence",
    path: "/threat-intel",
    icon: "alert",
    section: "Posture",
    description: "CISA KEV matches, EPSS of open CVEs, indicators (STIX, CSV, MISP) matched on our assets, feed health",
    backend: ["threat_intel"],
    toggle: "threat_intel",
    permission: "threat_intel:read",
    ...page(() => import("../pages/threat_intel/ThreatIntelPage")),
  },
  {
    id: "assessments",
    label: "Assessments",
    path: "/assessments",
    icon: "assessment",
    section: "Posture",
    description: "OWASP ASVS 5.0 and NIST CSF 2.0 questionnaires; answers feed the SCF controls",
    backend: ["assessments"],
    toggle: "assessments",
    permission: "assessments:read",
    ...page(() => import("../pages/assessments/AssessmentsPage")),
  },
  {
    id: "scans",
    label: "Scans",
    path: "/scans",
    icon: "scans",
    section: "Operations",
    description: "Targets, cloud accounts, schedules, scan runs with live progress and job logs",
    backend: ["targets", "scans"],
    toggle: "scans",
    permission: "scans:read",
    ...page(() => import("../pages/scans/ScansPage")),
  },
  {
    id: "assets",
    label: "Assets & SBOM",
    path: "/assets",
    icon: "assets",
    section: "Operations",
    description: "Cloud resources discovered per cloud account, with their history and findings; SBOM components",
    backend: ["assets", "inventory"],
    toggle: "assets",
    permission: "assets:read",
    ...page(() => import("../pages/assets/AssetsPage")),
  },
  {
    id: "integrations",
    label: "Integrations",
    path: "/integrations",
    icon: "activity",
    section: "Operations",
    description: "Slack, Teams, signed webhooks, e-mail and Jira: routing rules, setup wizard, delivery log and health",
    backend: ["integrations"],
    toggle: "integrations",
    permission: "integrations:read",
    ...page(() => import("../pages/integrations/IntegrationsPage")),
  },
  {
    id: "registries",
    label: "Registries",
    path: "/registries",
    icon: "assets",
    section: "Operations",
    description: "Container registries (OCI, ECR): repositories with sync state, images with scan state",
    backend: ["registries"],
    toggle: "registries",
    permission: "registries:read",
    ...page(() => import("../pages/registries/RegistriesPage")),
  },
  {
    id: "ai-governance",
    label: "AI governance",
    path: "/ai-governance",
    icon: "activity",
    section: "Posture",
    description: "AI system registry, EU AI Act classification and obligations, bias tests",
    backend: ["ai_governance"],
    toggle: "ai_governance",
    permission: "ai_governance:read",
    ...page(() => import("../pages/ai-governance/AiGovernancePage")),
  },
  {
    id: "ai-soc",
    label: "AI-SOC",
    path: "/ai-soc",
    icon: "bookmark",
    section: "Operations",
    description: "Triage cases from correlated findings, with each agent's reasoning, citations and recommended actions",
    backend: ["ai_soc"],
    toggle: "ai_soc",
    permission: "ai_soc:read",
    ...page(() => import("../pages/ai-soc/AiSocPage")),
  },
  {
    id: "knowledge",
    label: "Knowledge base",
    path: "/knowledge",
    icon: "search",
    section: "Operations",
    description: "Search SCF, ASVS, CSF, KEV and tool fix texts; the team's runbooks and policies",
    backend: ["knowledge"],
    toggle: "knowledge",
    permission: "knowledge:read",
    ...page(() => import("../pages/knowledge/KnowledgePage")),
  },
  {
    id: "risks",
    label: "Risk register",
    path: "/risks",
    icon: "alert",
    section: "Posture",
    description: "Risks on a matrix, treatments on SCF controls with live residual risk, acceptances, KRIs, proposals",
    backend: ["risks"],
    toggle: "risks",
    permission: "risks:read",
    ...page(() => import("../pages/risks/RisksPage")),
  },
  {
    id: "bia",
    label: "Business impact",
    path: "/bia",
    icon: "activity",
    section: "Posture",
    description: "Business processes, impact over time, RTO/RPO/MTPD, dependencies and exercises",
    backend: ["bia"],
    toggle: "bia",
    permission: "bia:read",
    ...page(() => import("../pages/bia/BiaPage")),
  },
  {
    id: "admin",
    label: "Administration",
    path: "/admin",
    icon: "admin",
    section: "Settings",
    description: "Members, invitations, API tokens, modules, audit log and system health",
    backend: ["teams", "audit"],
    permission: "teams:read",
    ...page(() => import("../pages/admin/AdminPage")),
  },
  {
    id: "account",
    label: "My account",
    path: "/account",
    icon: "account",
    section: "Settings",
    description: "Password, two-factor authentication and sessions",
    backend: ["auth"],
    ...page(() => import("../pages/account/AccountPage")),
  },
];

export function visibleModules(permissions: readonly string[], platformAdmin: boolean): PlatformModule[] {
  return ALL_PLATFORM_MODULES.filter(
    (module) => (!module.permission || permissions.includes(module.permission)) && (!module.platformAdmin || platformAdmin),
  );
}

/** Whether the active team switched this module off (its pages then say so, and the sidebar hides them). */
export function isSwitchedOff(module: PlatformModule, disabled: ReadonlySet<string>): boolean {
  return !!module.toggle && disabled.has(module.toggle);
}

/** The sidebar's modules: permitted ones the team has not switched off. */
export function navigableModules(permitted: PlatformModule[], disabled: ReadonlySet<string>): PlatformModule[] {
  return permitted.filter((module) => !isSwitchedOff(module, disabled));
}

/** The pages a module switch turns off, by label (for the module management page). */
export function pagesOfToggle(toggle: string): string[] {
  return ALL_PLATFORM_MODULES.filter((module) => module.toggle === toggle).map((module) => module.label);
}
