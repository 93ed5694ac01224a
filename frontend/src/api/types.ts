/** Short names for the generated schema types the pages use. */
import type { components, operations } from "./schema";

type Schemas = components["schemas"];

export type Severity = Schemas["Severity"];
export type FindingStatus = Schemas["FindingStatus"];
export type FindingCategory = Schemas["FindingCategory"];
export type CheckResult = Schemas["CheckResult"];
export type FindingSummary = Schemas["FindingSummary"];
export type FindingDetail = Schemas["FindingDetail"];
export type FindingPage = Schemas["FindingPage"];
export type FindingCounts = Schemas["FindingCounts"];
export type PostureScore = Schemas["PostureScore"];
export type ImportResult = Schemas["ImportResult"];
export type SuppressionRule = Schemas["SuppressionRuleOut"];
export type Me = Schemas["MeOut"];
export type Membership = Schemas["Membership"];
export type Role = Schemas["Role"];
export type UserOut = Schemas["UserOut"];
export type Team = Schemas["TeamOut"];
export type Member = Schemas["MemberOut"];
export type Invitation = Schemas["InvitationOut"];
export type InvitationCreated = Schemas["InvitationCreated"];
export type ApiToken = Schemas["ApiTokenOut"];
export type ApiTokenCreated = Schemas["ApiTokenCreated"];
export type SessionInfo = Schemas["SessionOut"];
export type AuditEvent = Schemas["AuditEventOut"];
export type LoginResponse = Schemas["LoginResponse"];
export type TokenPair = Schemas["TokenPair"];
export type MfaEnrolment = Schemas["MfaEnrolment"];

export type FindingQuery = NonNullable<operations["list_findings_api_findings_get"]["parameters"]["query"]>;
export type FindingSort = NonNullable<FindingQuery["sort"]>;
export type FindingFilters = Omit<FindingQuery, "sort" | "order" | "cursor" | "limit">;

export const SEVERITIES: Severity[] = ["critical", "high", "medium", "low", "info"];
export const STATUSES: FindingStatus[] = ["open", "reopened", "resolved", "resolved_pending_verification", "false_positive", "risk_accepted", "suppressed"];
export const CATEGORIES: FindingCategory[] = [
  "cloud", "vulnerability", "misconfiguration", "secret", "license", "web", "network", "tls", "other",
];

/** /health/status is a free-form object in the spec; this is its documented shape. */
export interface HealthComponent {
  component: string;
  state: "optimal" | "degraded" | "down" | string;
  mode: string;
  impact: string;
  checked_at: string;
}

export interface HealthTool {
  name: string;
  found: boolean;
  path: string | null;
  version: string | null;
  purpose: string;
  error: string | null;
}

export interface HealthStatus {
  status: string;
  version: string;
  uptime_seconds: number;
  checks: Record<string, { ok: boolean; latency_ms?: number; backend?: string; error?: string }>;
  components: HealthComponent[];
  tools?: HealthTool[];
  [key: string]: unknown;
}

export type FindingGroups = Schemas["FindingGroups"];
export type FindingGroup = Schemas["FindingGroup"];
export type GroupField = FindingGroups["by"];
export type ExportFormat = NonNullable<NonNullable<operations["export_findings_api_exports_findings_get"]["parameters"]["query"]>["format"]>;
