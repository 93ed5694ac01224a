/** AI governance: the AI system registry, EU AI Act classification and obligations, bias tests. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../client";
import { fetchAuthenticated } from "../download";
import type { components } from "../schema";
import { keys, moreKeys } from "./keys";
import { useActiveTeam } from "../../app/team";

type Schemas = components["schemas"];
export type AiSystem = Schemas["SystemOut"];
export type AiSystemIn = Schemas["SystemIn"];
export type Classification = Schemas["ClassificationOut"];
export type Questionnaire = Schemas["QuestionnaireOut"];
export type Obligations = Schemas["ObligationsOut"];
export type Obligation = Schemas["ObligationOut"];
export type BiasRun = Schemas["BiasRunOut"];
export type ThresholdResult = Schemas["ThresholdResult"];

const SYSTEM = "/api/ai-governance/systems/{system_id}";

export function useAiSystems() {
  const team = useActiveTeam();
  return useQuery({ queryKey: [...moreKeys.aiGovernance(team), "systems"], queryFn: () => unwrap(api.GET("/api/ai-governance/systems")), enabled: !!team });
}

export function useQuestionnaire() {
  const team = useActiveTeam();
  return useQuery({ queryKey: [...moreKeys.aiGovernance(team), "questionnaire"], queryFn: () => unwrap(api.GET("/api/ai-governance/questionnaire")), enabled: !!team, staleTime: Infinity });
}

function useSystemQuery<T>(systemId: string | null, part: string, load: (path: { system_id: string }) => Promise<T>) {
  const team = useActiveTeam();
  return useQuery({
    queryKey: [...moreKeys.aiGovernance(team), "system", systemId, part],
    queryFn: () => load({ system_id: systemId as string }),
    enabled: !!team && !!systemId,
  });
}

export const useObligations = (systemId: string | null) =>
  useSystemQuery(systemId, "obligations", (path) => unwrap(api.GET(`${SYSTEM}/obligations`, { params: { path } })));
export const useBiasRuns = (systemId: string | null) =>
  useSystemQuery(systemId, "bias-tests", (path) => unwrap(api.GET(`${SYSTEM}/bias-tests`, { params: { path } })));
export const useVersions = (systemId: string | null) =>
  useSystemQuery(systemId, "versions", (path) => unwrap(api.GET(`${SYSTEM}/versions`, { params: { path } })));
export const useModelCard = (systemId: string | null) => useSystemQuery(systemId, "model-card", (path) => fetchModelCard(path.system_id));

function useInvalidate() {
  const client = useQueryClient();
  const team = useActiveTeam();
  return (withFindings = false) => {
    void client.invalidateQueries({ queryKey: moreKeys.aiGovernance(team) });
    if (withFindings) void client.invalidateQueries({ queryKey: keys.findings(team) });
  };
}

export function useCreateSystem() {
  const invalidate = useInvalidate();
  return useMutation({ mutationFn: (body: AiSystemIn) => unwrap(api.POST("/api/ai-governance/systems", { body })), onSuccess: () => invalidate() });
}

export function useDeleteSystem() {
  const invalidate = useInvalidate();
  return useMutation({ mutationFn: (systemId: string) => unwrap(api.DELETE(SYSTEM, { params: { path: { system_id: systemId } } })), onSuccess: () => invalidate() });
}

export function useClassify(systemId: string) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (body: Schemas["ClassificationIn"]) => unwrap(api.PUT(`${SYSTEM}/classification`, { params: { path: { system_id: systemId } }, body })),
    onSuccess: () => invalidate(),
  });
}

export function useAnswerObligation(systemId: string) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: ({ key, ...body }: { key: string } & Schemas["ObligationUpdate"]) =>
      unwrap(api.PUT(`${SYSTEM}/obligations/{key}`, { params: { path: { system_id: systemId, key } }, body })),
    onSuccess: () => invalidate(),
  });
}

export interface BiasTestForm {
  file: File;
  label_column: string;
  sensitive_columns: string;
  prediction_column?: string;
  score_column?: string;
  positive_label: string;
  thresholds?: string;
  model_version?: string;
}

export function useRunBiasTest(systemId: string) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: ({ file, ...fields }: BiasTestForm) =>
      unwrap(api.POST(`${SYSTEM}/bias-tests`, {
        params: { path: { system_id: systemId } },
        body: { file: file as unknown as string, ...fields },
        bodySerializer: () => {
          const form = new FormData();
          form.append("file", file, file.name);
          for (const [name, value] of Object.entries(fields)) if (value) form.append(name, value);
          return form;
        },
      })),
    onSuccess: () => invalidate(true),
  });
}

function modelCardResponse(systemId: string, format: "markdown" | "pdf"): Promise<Response> {
  return fetchAuthenticated(`/api/ai-governance/systems/${encodeURIComponent(systemId)}/model-card?format=${format}`);
}

/** The model card's Markdown, fetched with the session's credentials (the route answers text/markdown). */
export async function fetchModelCard(systemId: string): Promise<string> {
  return (await modelCardResponse(systemId, "markdown")).text();
}

/** The model card as PDF (rendered by the server with WeasyPrint). */
export async function fetchModelCardPdf(systemId: string): Promise<Blob> {
  return (await modelCardResponse(systemId, "pdf")).blob();
}
