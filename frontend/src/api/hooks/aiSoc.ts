/** AI-SOC: the case queue, a case with its reasoning trail, applying a decision, runs and the daily brief. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../client";
import type { components } from "../schema";
import { keys, moreKeys } from "./keys";
import { useActiveTeam } from "../../app/team";

type Schemas = components["schemas"];
export type CaseSummary = Schemas["CaseSummary"];
export type CaseDetail = Schemas["CaseDetail"];
export type StepRecord = Schemas["StepRecord"];
export type ActionIn = Schemas["CaseActionIn"];
export type Brief = Schemas["BriefOut"];

export function useCases(status: "open" | "closed") {
  const team = useActiveTeam();
  return useQuery({
    queryKey: [...moreKeys.aiSoc(team), "cases", status],
    queryFn: () => unwrap(api.GET("/api/ai-soc/cases", { params: { query: { status, limit: 100 } } })),
    enabled: !!team,
  });
}

export function useCase(caseId: string | null) {
  const team = useActiveTeam();
  return useQuery({
    queryKey: [...moreKeys.aiSoc(team), "case", caseId],
    queryFn: () => unwrap(api.GET("/api/ai-soc/cases/{case_id}", { params: { path: { case_id: caseId! } } })),
    enabled: !!team && !!caseId,
  });
}

export function useRuns() {
  const team = useActiveTeam();
  return useQuery({
    queryKey: [...moreKeys.aiSoc(team), "runs"],
    queryFn: () => unwrap(api.GET("/api/ai-soc/runs")),
    enabled: !!team,
    // A run is a background job: poll while one is queued or running.
    refetchInterval: (query) => (query.state.data ?? []).some((run) => run.state === "queued" || run.state === "running") ? 2000 : false,
  });
}

export function useBrief() {
  const team = useActiveTeam();
  return useQuery({
    queryKey: [...moreKeys.aiSoc(team), "brief"],
    queryFn: async () => {
      const { data, error, response } = await api.GET("/api/ai-soc/brief");
      if (response.status === 404) return null;
      if (error) throw error;
      return data ?? null;
    },
    enabled: !!team,
  });
}

function useInvalidate() {
  const client = useQueryClient();
  const team = useActiveTeam();
  return () => Promise.all([
    client.invalidateQueries({ queryKey: moreKeys.aiSoc(team) }),
    client.invalidateQueries({ queryKey: keys.findings(team) }),
  ]);
}

export function useApplyAction(caseId: string) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (body: ActionIn) => unwrap(api.POST("/api/ai-soc/cases/{case_id}/actions", { params: { path: { case_id: caseId } }, body })),
    onSuccess: () => invalidate(),
  });
}

export function useStartRun() {
  const invalidate = useInvalidate();
  return useMutation({ mutationFn: () => unwrap(api.POST("/api/ai-soc/runs")), onSuccess: () => invalidate() });
}

export function useGenerateBrief() {
  const invalidate = useInvalidate();
  return useMutation({ mutationFn: () => unwrap(api.POST("/api/ai-soc/brief")), onSuccess: () => invalidate() });
}
