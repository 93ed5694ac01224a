/** Scan targets (CRUD), scan runs (launch, live progress, cancel) and their jobs. */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../client";
import type { components } from "../schema";
import { moreKeys } from "./keys";
import { useActiveTeam } from "../../app/team";

type Schemas = components["schemas"];
export type Target = Schemas["TargetOut"];
export type TargetKind = Schemas["TargetKind"];
export type TargetInput = Schemas["TargetIn"];
export type Run = Schemas["RunOut"];
export type RunDetail = Schemas["RunDetail"];

export const FINISHED_STATES = ["succeeded", "failed", "cancelled", "timed_out", "partial"];
export const isRunning = (state: string) => !FINISHED_STATES.includes(state);

export function useTargets() {
  const team = useActiveTeam();
  return useQuery({ queryKey: moreKeys.targets(team), queryFn: () => unwrap(api.GET("/api/targets")), enabled: !!team });
}

export function useCreateTarget() {
  const client = useQueryClient();
  const team = useActiveTeam();
  return useMutation({
    mutationFn: (body: TargetInput) => unwrap(api.POST("/api/targets", { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: moreKeys.targets(team) }),
  });
}

export function useUpdateTarget() {
  const client = useQueryClient();
  const team = useActiveTeam();
  return useMutation({
    mutationFn: ({ id, clear_schedule = false, ...body }: { id: string } & Partial<Schemas["TargetUpdate"]>) =>
      unwrap(api.PATCH("/api/targets/{target_id}", { params: { path: { target_id: id } }, body: { ...body, clear_schedule } })),
    onSuccess: () => client.invalidateQueries({ queryKey: moreKeys.targets(team) }),
  });
}

export function useDeleteTarget() {
  const client = useQueryClient();
  const team = useActiveTeam();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/targets/{target_id}", { params: { path: { target_id: id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: moreKeys.targets(team) }),
  });
}

/** Runs, newest first; polls every 3 s while any run is queued or running. */
export function useRuns(targetId?: string, limit = 50) {
  const team = useActiveTeam();
  return useQuery({
    queryKey: [...moreKeys.scans(team), "runs", targetId ?? null, limit],
    queryFn: () => unwrap(api.GET("/api/scans", { params: { query: { target_id: targetId, limit } } })),
    enabled: !!team,
    placeholderData: keepPreviousData,
    refetchInterval: (query) => (query.state.data?.some((run) => isRunning(run.state)) ? 3000 : false),
  });
}

/** One run with its jobs and sub-jobs; polls every 2 s until it finishes. */
export function useRun(runId: string | null) {
  const team = useActiveTeam();
  const client = useQueryClient();
  return useQuery({
    queryKey: [...moreKeys.scans(team), "run", runId],
    queryFn: async () => {
      const run = await unwrap(api.GET("/api/scans/{run_id}", { params: { path: { run_id: runId! } } }));
      if (!isRunning(run.state)) {
        // A finished run changed findings, assets and compliance, and the runs list's row.
        client.invalidateQueries({ queryKey: [...moreKeys.scans(team), "runs"] });
        client.invalidateQueries({ queryKey: ["findings", team] });
        client.invalidateQueries({ queryKey: moreKeys.assets(team) });
        client.invalidateQueries({ queryKey: moreKeys.compliance(team) });
      }
      return run;
    },
    enabled: !!team && !!runId,
    refetchInterval: (query) => (query.state.data && !isRunning(query.state.data.state) ? false : 2000),
  });
}

export function useLaunchScan() {
  const client = useQueryClient();
  const team = useActiveTeam();
  return useMutation({
    mutationFn: (body: Schemas["ScanLaunch"]) => unwrap(api.POST("/api/scans", { body })) as Promise<Run>,
    onSuccess: () => {
      client.invalidateQueries({ queryKey: moreKeys.scans(team) });
      client.invalidateQueries({ queryKey: moreKeys.targets(team) });
    },
  });
}

export function useCancelRun() {
  const client = useQueryClient();
  const team = useActiveTeam();
  return useMutation({
    mutationFn: (runId: string) => unwrap(api.POST("/api/scans/{run_id}/cancel", { params: { path: { run_id: runId } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: moreKeys.scans(team) }),
  });
}
