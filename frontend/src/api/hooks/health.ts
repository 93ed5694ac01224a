/** Platform health: components, degraded modes and scanner tools (public endpoint). */
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../client";
import type { HealthStatus } from "../types";
import { keys } from "./keys";

export function useHealthStatus(refetchInterval: number | false = 30_000) {
  return useQuery({
    queryKey: keys.health,
    queryFn: async () => (await unwrap(api.GET("/health/status"))) as unknown as HealthStatus,
    refetchInterval,
  });
}
