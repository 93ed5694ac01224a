/**
 * Assessments (OWASP ASVS 5.0, NIST CSF 2.0): templates, assessments with progress and scores,
 * the questionnaire, answers (autosaved), evidence, status, exports, and the SCF controls an
 * answer feeds.
 */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, authFetch, unwrap } from "../client";
export { downloadFile } from "../download";
import { ApiError, describeDetail } from "../errors";
import type { components, operations } from "../schema";
import { moreKeys } from "./keys";
import { useActiveTeam } from "../../app/team";

type Schemas = components["schemas"];
export type Assessment = Schemas["AssessmentOut"];
export type AssessmentTemplate = Schemas["TemplateOut"];
export type AssessmentCreate = Schemas["AssessmentCreate"];
export type Requirement = Schemas["RequirementOut"];
export type Answer = Schemas["Answer"];
export type AnswerBody = Schemas["AnswerIn"];
export type AssessmentStatus = Schemas["AssessmentStatus"];
export type RequirementQuery = NonNullable<operations["list_requirements_api_assessments__assessment_id__requirements_get"]["parameters"]["query"]>;

export interface SuggestionFinding { dedup_key: string; title: string; source_tool: string; severity: string; cwe_ids: string[]; resource_id: string | null; target_name: string | null }
export interface Suggestion { answer: Answer; count: number; cwe_ids: string[]; tools: string[]; findings: SuggestionFinding[] }
export interface FedControl { scf_id: string; title: string; domain: string; status: string; via: string | null; evidence: { kind?: string; title?: string | null }[] }
export interface FedRequirement { framework_id: string; requirement_id: string; status: string; scf_ids: string[]; through: string[]; fully_covered: boolean }
export interface ControlsView { ref: string; controls: FedControl[]; requirements: FedRequirement[]; attestation: { status: string; title: string; at: string } | null }

export const assessmentKeys = {
  all: (team: string | null) => ["assessments", team] as const,
  one: (team: string | null, id: string) => ["assessments", team, id] as const,
};

export function useAssessmentTemplates() {
  const team = useActiveTeam();
  return useQuery({ queryKey: ["assessments", "templates"], queryFn: () => unwrap(api.GET("/api/assessments/templates")), enabled: !!team, staleTime: 3_600_000 });
}

export function useAssessments() {
  const team = useActiveTeam();
  return useQuery({ queryKey: [...assessmentKeys.all(team), "list"], queryFn: () => unwrap(api.GET("/api/assessments")), enabled: !!team });
}

export function useAssessment(id: string | null) {
  const team = useActiveTeam();
  return useQuery({
    queryKey: [...assessmentKeys.one(team, id ?? ""), "summary"],
    queryFn: () => unwrap(api.GET("/api/assessments/{assessment_id}", { params: { path: { assessment_id: id! } } })),
    enabled: !!team && !!id,
  });
}

export function useRequirements(id: string | null, query: RequirementQuery) {
  const team = useActiveTeam();
  return useQuery({
    queryKey: [...assessmentKeys.one(team, id ?? ""), "requirements", query],
    queryFn: () => unwrap(api.GET("/api/assessments/{assessment_id}/requirements", { params: { path: { assessment_id: id! }, query: { limit: 400, ...query } } })),
    enabled: !!team && !!id,
    placeholderData: keepPreviousData,
  });
}

export function useRequirementControls(id: string, ref: string | null) {
  const team = useActiveTeam();
  return useQuery({
    queryKey: [...assessmentKeys.one(team, id), "controls", ref],
    queryFn: async () => (await unwrap(api.GET("/api/assessments/{assessment_id}/requirements/{ref}/controls", { params: { path: { assessment_id: id, ref: ref! } } }))) as unknown as ControlsView,
    enabled: !!team && !!ref,
  });
}

function useInvalidate() {
  const client = useQueryClient();
  const team = useActiveTeam();
  return (id?: string) => Promise.all([
    client.invalidateQueries({ queryKey: id ? assessmentKeys.one(team, id) : assessmentKeys.all(team) }),
    client.invalidateQueries({ queryKey: [...assessmentKeys.all(team), "list"] }),
    client.invalidateQueries({ queryKey: moreKeys.compliance(team) }),
  ]);
}

export function useCreateAssessment() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (body: AssessmentCreate) => unwrap(api.POST("/api/assessments", { body })),
    onSuccess: () => invalidate(),
  });
}

export function useAnswer(id: string) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: ({ ref, body }: { ref: string; body: AnswerBody }) =>
      unwrap(api.PUT("/api/assessments/{assessment_id}/requirements/{ref}", { params: { path: { assessment_id: id, ref } }, body })),
    onSuccess: () => invalidate(id),
  });
}

export function useBulkAnswer(id: string) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (answers: Schemas["BulkAnswer"][]) =>
      unwrap(api.POST("/api/assessments/{assessment_id}/answers", { params: { path: { assessment_id: id } }, body: { answers } })),
    onSuccess: () => invalidate(id),
  });
}

export function useChangeStatus(id: string) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (body: Schemas["StatusChangeIn"]) =>
      unwrap(api.POST("/api/assessments/{assessment_id}/status", { params: { path: { assessment_id: id } }, body })),
    onSuccess: () => invalidate(id),
  });
}

export function useRefreshSuggestions(id: string) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/assessments/{assessment_id}/suggestions/refresh", { params: { path: { assessment_id: id } } })),
    onSuccess: () => invalidate(id),
  });
}

export function useDeleteAssessment() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/assessments/{assessment_id}", { params: { path: { assessment_id: id } } })),
    onSuccess: () => invalidate(),
  });
}

export function useUploadEvidence(id: string) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: async ({ ref, file }: { ref: string; file: File }) => {
      const form = new FormData();
      form.append("file", file, file.name);
      form.append("ref", ref);
      const response = await authFetch(new Request(new URL(`/api/assessments/${encodeURIComponent(id)}/evidence`, window.location.origin), { method: "POST", body: form }));
      const body: unknown = await response.json().catch(() => null);
      if (!response.ok) throw new ApiError(response.status, describeDetail(body, response.status));
      return body as Schemas["EvidenceOut"];
    },
    onSuccess: () => invalidate(id),
  });
}

/** Downloads with the session's credentials (exports, evidence files). */
