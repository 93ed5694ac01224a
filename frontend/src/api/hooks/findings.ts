/** Findings: cursor-paged lists, counts, detail with history, triage and report import. */
import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../client";
import type { FindingFilters, FindingSort, FindingStatus, GroupField } from "../types";
import { keys, moreKeys } from "./keys";
import { useActiveTeam } from "../../app/team";

export const FINDINGS_PAGE_SIZE = 200;

export interface FindingListArgs {
  filters: FindingFilters;
  sort: FindingSort;
  order: "asc" | "desc";
  pageSize?: number;
}

export function useFindingsInfinite({ filters, sort, order, pageSize = FINDINGS_PAGE_SIZE }: FindingListArgs) {
  const team = useActiveTeam();
  return useInfiniteQuery({
    queryKey: [...keys.findings(team), "list", filters, sort, order, pageSize],
    queryFn: ({ pageParam, signal }) =>
      unwrap(api.GET("/api/findings", {
        params: { query: { ...filters, sort, order, limit: pageSize, cursor: pageParam ?? undefined } },
        signal,
      })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    enabled: !!team,
    placeholderData: keepPreviousData,
  });
}

/** One page of findings (for short lists such as the Overview's SLA breaches). */
export function useFindingsPage(filters: FindingFilters, sort: FindingSort = "severity", limit = 10) {
  const team = useActiveTeam();
  return useQuery({
    queryKey: [...keys.findings(team), "page", filters, sort, limit],
    queryFn: ({ signal }) =>
      unwrap(api.GET("/api/findings", { params: { query: { ...filters, sort, order: "desc", limit } }, signal })),
    enabled: !!team,
  });
}

export function useFindingCounts(filters: FindingFilters = {}) {
  const team = useActiveTeam();
  return useQuery({
    queryKey: [...keys.findings(team), "counts", filters],
    queryFn: ({ signal }) => unwrap(api.GET("/api/findings/counts", { params: { query: filters }, signal })),
    enabled: !!team,
    placeholderData: keepPreviousData,
  });
}

/** The team's posture score (GET /api/findings/posture): the one the executive report prints too. */
export function usePostureScore() {
  const team = useActiveTeam();
  return useQuery({
    queryKey: [...keys.findings(team), "posture"],
    queryFn: ({ signal }) => unwrap(api.GET("/api/findings/posture", { signal })),
    enabled: !!team,
  });
}

export function useFinding(findingId: string | null) {
  const team = useActiveTeam();
  return useQuery({
    queryKey: [...keys.findings(team), "detail", findingId],
    queryFn: ({ signal }) =>
      unwrap(api.GET("/api/findings/{finding_id}", { params: { path: { finding_id: findingId! } }, signal })),
    enabled: !!team && !!findingId,
  });
}

export interface TriageInput {
  ids: string[];
  status: FindingStatus;
  reason: string;
  risk_owner?: string | null;
  expires_at?: string | null;
}

export function useTriage() {
  const client = useQueryClient();
  const team = useActiveTeam();
  return useMutation({
    mutationFn: ({ ids, ...change }: TriageInput) =>
      ids.length === 1
        ? unwrap(api.PATCH("/api/findings/{finding_id}/status", {
            params: { path: { finding_id: ids[0] } },
            body: change,
          }))
        : unwrap(api.POST("/api/findings/bulk-status", { body: { ids, ...change } })),
    onSuccess: () => {
      client.invalidateQueries({ queryKey: keys.findings(team) });
      // Triage moves control states and framework scores.
      client.invalidateQueries({ queryKey: moreKeys.compliance(team) });
    },
  });
}

export function useAssign() {
  const client = useQueryClient();
  const team = useActiveTeam();
  return useMutation({
    mutationFn: async ({ ids, assignee }: { ids: string[]; assignee: string | null }) => {
      // One request per finding: the API assigns one at a time.
      for (const id of ids) {
        await unwrap(api.PATCH("/api/findings/{finding_id}/assignee", {
          params: { path: { finding_id: id } },
          body: { assignee },
        }));
      }
      return ids.length;
    },
    onSettled: () => client.invalidateQueries({ queryKey: keys.findings(team) }),
  });
}

export function useImportReport() {
  const client = useQueryClient();
  const team = useActiveTeam();
  return useMutation({
    mutationFn: ({ file, tool, scope, complete }: { file: File; tool: string; scope?: string; complete: boolean }) =>
      unwrap(api.POST("/api/findings/import", {
        body: { file: file as unknown as string, tool, scope: scope || null, complete },
        bodySerializer: (body) => {
          const form = new FormData();
          form.append("file", body.file as unknown as Blob, file.name);
          form.append("tool", body.tool);
          if (body.scope) form.append("scope", body.scope);
          form.append("complete", String(body.complete));
          return form;
        },
      })),
    // An import enriches and correlates the new findings: the threat intelligence views change with it.
    onSuccess: () => Promise.all([
      client.invalidateQueries({ queryKey: keys.findings(team) }),
      client.invalidateQueries({ queryKey: moreKeys.threatIntel(team) }),
    ]),
  });
}

export function useSuppressionRules() {
  const team = useActiveTeam();
  return useQuery({
    queryKey: [...keys.findings(team), "suppression-rules"],
    queryFn: () => unwrap(api.GET("/api/findings/suppression-rules")),
    enabled: !!team,
  });
}

export function useCreateSuppressionRule() {
  const client = useQueryClient();
  const team = useActiveTeam();
  return useMutation({
    mutationFn: (body: { source_tool?: string | null; rule_id?: string | null; resource_pattern?: string | null; reason: string }) =>
      unwrap(api.POST("/api/findings/suppression-rules", { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.findings(team) }),
  });
}

export function useDeleteSuppressionRule() {
  const client = useQueryClient();
  const team = useActiveTeam();
  return useMutation({
    mutationFn: (ruleId: string) =>
      unwrap(api.DELETE("/api/findings/suppression-rules/{rule_id}", { params: { path: { rule_id: ruleId } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.findings(team) }),
  });
}

/** Active findings by severity per day (UTC), oldest first: one point per day with activity or the daily job. */
export function useFindingsTrend(days = 30, enabled = true) {
  const team = useActiveTeam();
  return useQuery({
    queryKey: [...keys.findings(team), "trend", days],
    queryFn: ({ signal }) => unwrap(api.GET("/api/findings/trend", { params: { query: { days } }, signal })),
    enabled: enabled && !!team,
    placeholderData: keepPreviousData,
  });
}

/** The matching findings grouped by rule, CVE, resource or a facet (account, region, service, tool), largest first. */
export function useFindingGroups(filters: FindingFilters, by: GroupField | null, limit = 100) {
  const team = useActiveTeam();
  return useQuery({
    queryKey: [...keys.findings(team), "groups", filters, by, limit],
    queryFn: ({ signal }) =>
      unwrap(api.GET("/api/findings/groups", { params: { query: { ...filters, by: by!, limit } }, signal })),
    enabled: !!team && !!by,
    placeholderData: keepPreviousData,
  });
}
