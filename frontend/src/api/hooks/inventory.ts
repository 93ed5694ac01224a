/** Cloud asset inventory: resources discovered per cloud account, their timeline and findings, discovery runs. */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { api, unwrap } from "../client";
import type { components } from "../schema";
import { moreKeys } from "./keys";
import { useActiveTeam } from "../../app/team";

type Schemas = components["schemas"];
export type CloudAsset = Schemas["CloudAssetOut"];
export type CloudAssetDetail = Schemas["CloudAssetDetail"];
export type DiscoveryRun = Schemas["DiscoveryRunOut"];
export interface CloudAssetFilters { type?: string; account_id?: string; region?: string; q?: string; include_removed?: boolean }

const RUNNING = new Set(["queued", "running"]);

export function useCloudAssets(filters: CloudAssetFilters) {
  const team = useActiveTeam();
  return useQuery({
    queryKey: [...moreKeys.inventory(team), "assets", filters],
    queryFn: () => unwrap(api.GET("/api/inventory/assets", {
      params: { query: { type: filters.type || undefined, account_id: filters.account_id || undefined, region: filters.region || undefined, q: filters.q || undefined, include_removed: filters.include_removed, limit: 200 } },
    })),
    enabled: !!team,
    placeholderData: keepPreviousData,
  });
}

export function useCloudAsset(id: string | null) {
  const team = useActiveTeam();
  return useQuery({
    queryKey: [...moreKeys.inventory(team), "asset", id],
    queryFn: () => unwrap(api.GET("/api/inventory/assets/{asset_id}", { params: { path: { asset_id: id as string } } })),
    enabled: !!team && !!id,
  });
}

export function useDiscoveryRuns() {
  const team = useActiveTeam();
  const client = useQueryClient();
  const runs = useQuery({
    queryKey: [...moreKeys.inventory(team), "runs"],
    queryFn: () => unwrap(api.GET("/api/inventory/runs", { params: { query: { limit: 20 } } })),
    enabled: !!team,
    // While a discovery runs, its state and counts are polled; finished runs need no polling.
    refetchInterval: (query) => (query.state.data?.some((run) => RUNNING.has(run.state)) ? 2000 : false),
  });
  // A run the worker just finished changed the resources: the lists and drawers read them again.
  const running = useRef(new Set<string>());
  useEffect(() => {
    const now = new Set((runs.data ?? []).filter((run) => RUNNING.has(run.state)).map((run) => run.run_id));
    const finished = [...running.current].some((id) => !now.has(id));
    running.current = now;
    if (finished) {
      void client.invalidateQueries({ queryKey: [...moreKeys.inventory(team), "assets"] });
      void client.invalidateQueries({ queryKey: [...moreKeys.inventory(team), "asset"] });
    }
  }, [runs.data, client, team]);
  return runs;
}

export function useDiscoveryRun(runId: string | null) {
  const team = useActiveTeam();
  return useQuery({
    queryKey: [...moreKeys.inventory(team), "run", runId],
    queryFn: () => unwrap(api.GET("/api/inventory/runs/{run_id}", { params: { path: { run_id: runId as string }, query: { limit: 200 } } })),
    enabled: !!team && !!runId,
  });
}

export function useDiscover() {
  const client = useQueryClient();
  const team = useActiveTeam();
  return useMutation({
    mutationFn: (accountId: string) => unwrap(api.POST("/api/inventory/accounts/{account_id}/discover", { params: { path: { account_id: accountId } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: moreKeys.inventory(team) }),
  });
}
