/**
 * Compliance: frameworks with scores, requirement → control → findings, manual statuses,
 * drift and the statement of applicability. The API answers free-form objects here, so the
 * shapes below are written from the service's documented answers.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../client";
import { downloadFile } from "../download";
import type { components } from "../schema";
import { moreKeys } from "./keys";
import { useActiveTeam } from "../../app/team";

type Schemas = components["schemas"];
export type ControlStatus = Schemas["ControlStatus"];
export type RequirementStatus = "satisfied" | "partially_satisfied" | "not_satisfied" | "not_assessed" | "manual" | "not_applicable";

export interface StatusCounts { satisfied: number; partially_satisfied: number; not_satisfied: number; not_assessed: number; manual: number; not_applicable: number }

export interface FrameworkSummary {
  framework_id: string;
  name: string;
  source?: string | null;
  title?: string | null;
  version?: string | null;
  url?: string | null;
  requirement_count: number;
  control_count: number;
  score: number;
  /** Mean credit of the applicable requirements: a partially implemented control counts ½. */
  weighted_score: number;
  /** Requirements with any evidence / applicable ones. */
  coverage: number;
  satisfied: number;
  applicable: number;
  with_evidence: number;
  with_direct_evidence: number;
  counts: StatusCounts;
  /** "scf": through SCF controls; "tool_tags": a framework the SCF release lacks, fed by the tools' own tags. */
  fed_by: "scf" | "tool_tags";
  explanation: string[];
  /** Where this framework's Annex A lives (ISO 27001 → ISO 27002). */
  see_also?: string;
}

export interface ControlInRequirement {
  scf_id: string;
  title: string;
  description: string | null;
  status: ControlStatus;
  set_by: string | null;
  set_at: string | null;
  counts: { failing?: number; passing?: number; failing_below_threshold?: number; stale_passing?: number };
  failing_findings: string[];
  evidence: { title: string; url?: string | null; expires_at?: string | null }[];
  override: { status: ControlStatus; reason: string; owner?: string | null; set_by?: string; set_at?: string } | null;
}

export interface DirectEvidence {
  path: "tool_tag" | "tool_framework";
  tags: string[];
  counts: { failing?: number; passing?: number; manual?: number; stale_passing?: number };
  failing_findings: string[];
  evidence: { title?: string | null; dedup_key?: string; source_tool?: string | null; last_seen?: string }[];
}
export type EvidencePath = "tool_tag" | "scf_mapping";
export interface Requirement {
  requirement_id: string;
  status: RequirementStatus;
  credit: number;
  controls: ControlInRequirement[];
  evidence_paths: EvidencePath[];
  direct: DirectEvidence | null;
}
export interface FrameworkDetail extends FrameworkSummary {
  requirements: Requirement[];
  requirement_ids: Record<RequirementStatus | "with_direct_evidence", string[]>;
}

export interface ControlFinding {
  dedup_key: string;
  title: string;
  source_tool: string;
  rule_id: string;
  status: string;
  result: string;
  severity: "critical" | "high" | "medium" | "low" | "info";
  resource_id: string | null;
  last_seen: string;
  why: { method: string; rule: string; detail: string };
}

export interface ControlDetail {
  control: { scf_id: string; title: string; domain: string; description: string; weighting?: number; nist_csf_function?: string | null; question?: string | null };
  state: Record<string, unknown> & { status?: ControlStatus; engine_status?: ControlStatus; override?: ControlInRequirement["override"]; history?: unknown[] };
  findings: ControlFinding[];
  mappings: { framework_id: string; requirements: string[] }[];
  history?: { at: string; status: string; set_by?: string; reason?: string | null }[];
}

export interface DriftEvent { id?: string; at: string; kind: string; framework_id?: string | null; scf_id?: string | null; message?: string; details?: Record<string, unknown>; [key: string]: unknown }
export interface ScorePoint { at: string; score: number; satisfied: number; applicable: number }

export function useFrameworks() {
  const team = useActiveTeam();
  return useQuery({
    queryKey: [...moreKeys.compliance(team), "frameworks"],
    queryFn: async () => (await unwrap(api.GET("/api/compliance/frameworks"))) as unknown as { registry: { source: string; release: string }; frameworks: FrameworkSummary[] },
    enabled: !!team,
  });
}

export function useFramework(frameworkId: string | null) {
  const team = useActiveTeam();
  return useQuery({
    queryKey: [...moreKeys.compliance(team), "framework", frameworkId],
    queryFn: async () => (await unwrap(api.GET("/api/compliance/frameworks/{framework_id}", { params: { path: { framework_id: frameworkId! } } }))) as unknown as FrameworkDetail,
    enabled: !!team && !!frameworkId,
  });
}

export function useScoreHistory(frameworkId: string | null, days = 90) {
  const team = useActiveTeam();
  return useQuery({
    queryKey: [...moreKeys.compliance(team), "history", frameworkId, days],
    queryFn: async () => (await unwrap(api.GET("/api/compliance/frameworks/{framework_id}/history", { params: { path: { framework_id: frameworkId! }, query: { days } } }))) as unknown as ScorePoint[],
    enabled: !!team && !!frameworkId,
  });
}

export function useControl(scfId: string | null) {
  const team = useActiveTeam();
  return useQuery({
    queryKey: [...moreKeys.compliance(team), "control", scfId],
    queryFn: async () => (await unwrap(api.GET("/api/compliance/controls/{scf_id}", { params: { path: { scf_id: scfId! } } }))) as unknown as ControlDetail,
    enabled: !!team && !!scfId,
  });
}

export function useDrift(kind?: string) {
  const team = useActiveTeam();
  return useQuery({
    queryKey: [...moreKeys.compliance(team), "drift", kind ?? null],
    queryFn: async () => (await unwrap(api.GET("/api/compliance/drift", { params: { query: { kind: (kind || undefined) as Schemas["DriftKind"] | undefined, limit: 100 } } }))) as unknown as { events: DriftEvent[]; next_cursor: string | null },
    enabled: !!team,
  });
}

function invalidateCompliance(client: ReturnType<typeof useQueryClient>, team: string | null) {
  return client.invalidateQueries({ queryKey: moreKeys.compliance(team) });
}

export function useAnswerRequirement(frameworkId: string) {
  const client = useQueryClient();
  const team = useActiveTeam();
  return useMutation({
    mutationFn: (body: Schemas["RequirementAnswer"]) =>
      unwrap(api.POST("/api/compliance/frameworks/{framework_id}/answers", { params: { path: { framework_id: frameworkId } }, body })),
    onSuccess: () => invalidateCompliance(client, team),
  });
}

export function useSetControlStatus() {
  const client = useQueryClient();
  const team = useActiveTeam();
  return useMutation({
    mutationFn: ({ scfId, ...body }: { scfId: string } & Schemas["StatusOverride"]) =>
      unwrap(api.PUT("/api/compliance/controls/{scf_id}/status", { params: { path: { scf_id: scfId } }, body })),
    onSuccess: () => invalidateCompliance(client, team),
  });
}

export function useClearControlStatus() {
  const client = useQueryClient();
  const team = useActiveTeam();
  return useMutation({
    mutationFn: ({ scfId, reason }: { scfId: string; reason: string }) =>
      unwrap(api.POST("/api/compliance/controls/{scf_id}/status/clear", { params: { path: { scf_id: scfId } }, body: { reason } })),
    onSuccess: () => invalidateCompliance(client, team),
  });
}

/** Downloads the statement of applicability (CSV or JSON) with the session's credentials. */
export function downloadSoa(frameworkId: string, format: "csv" | "json"): Promise<void> {
  return downloadFile(`/api/compliance/frameworks/${encodeURIComponent(frameworkId)}/soa?format=${format}`,
                      `soa-${frameworkId}.${format}`);
}

/** Why a finding counts against a control: the mapping method, its rule and the evidence of the match. */
export interface MappingReason { method: string; rule: string; detail: string; score?: number | null }
export interface FindingControl { scf_id: string; title: string | null; status: ControlStatus; why: MappingReason }

/** The SCF controls one finding is mapped to, each with the reason of the link and the control's state. */
export function useFindingControls(dedupKey: string | null, enabled = true) {
  const team = useActiveTeam();
  return useQuery({
    queryKey: [...moreKeys.compliance(team), "finding-controls", dedupKey],
    queryFn: async () => (await unwrap(api.GET("/api/compliance/findings/{dedup_key}/controls", { params: { path: { dedup_key: dedupKey! } } }))) as unknown as FindingControl[],
    enabled: enabled && !!team && !!dedupKey,
  });
}
