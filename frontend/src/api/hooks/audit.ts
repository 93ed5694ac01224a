/** Audit log of the active team (team admins) or of the platform (platform admins). */
import { useInfiniteQuery } from "@tanstack/react-query";
import { api, unwrap } from "../client";
import { keys } from "./keys";
import { useActiveTeam } from "../../app/team";

export interface AuditFilters {
  action?: string;
  outcome?: "success" | "failure" | "denied";
}

export function useAuditEvents(scope: "team" | "platform", filters: AuditFilters, enabled = true) {
  const team = useActiveTeam();
  const query = { action: filters.action || undefined, outcome: filters.outcome, limit: 50 };
  return useInfiniteQuery({
    queryKey: [...keys.audit(team), scope, filters],
    queryFn: ({ pageParam }) =>
      scope === "team"
        ? unwrap(api.GET("/api/audit/events", { params: { query: { ...query, cursor: pageParam ?? undefined } } }))
        : unwrap(api.GET("/api/audit/platform-events", {
            params: { query: { ...query, scope: "all", cursor: pageParam ?? undefined } },
          })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    enabled: enabled && (scope === "platform" || !!team),
  });
}
