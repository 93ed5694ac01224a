/** Assets and their software components (SBOM from syft). */
import { keepPreviousData, useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../client";
import { moreKeys } from "./keys";
import { useActiveTeam } from "../../app/team";

export function useAssets() {
  const team = useActiveTeam();
  return useQuery({ queryKey: [...moreKeys.assets(team), "list"], queryFn: () => unwrap(api.GET("/api/assets")), enabled: !!team });
}

export function useComponents(filters: { q?: string; asset?: string }) {
  const team = useActiveTeam();
  return useInfiniteQuery({
    queryKey: [...moreKeys.assets(team), "components", filters],
    queryFn: ({ pageParam }) =>
      unwrap(api.GET("/api/assets/components", {
        params: { query: { q: filters.q || undefined, asset: filters.asset || undefined, cursor: pageParam ?? undefined, limit: 100 } },
      })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    enabled: !!team,
    placeholderData: keepPreviousData,
  });
}
