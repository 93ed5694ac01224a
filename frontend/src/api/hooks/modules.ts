/** Module switches of the active team: which platform modules its members (and tokens) may use. */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../client";
import type { components } from "../schema";
import { keys, moreKeys } from "./keys";
import { useActiveTeam } from "../../app/team";

export type TeamModule = components["schemas"]["ModuleOut"];

export function useTeamModules(enabled = true) {
  const team = useActiveTeam();
  return useQuery({
    queryKey: keys.modules(team),
    queryFn: () => unwrap(api.GET("/api/teams/active/modules")),
    enabled: enabled && !!team,
    staleTime: 60_000,
    placeholderData: keepPreviousData,
  });
}

export function useSetTeamModule() {
  const client = useQueryClient();
  const team = useActiveTeam();
  return useMutation({
    mutationFn: ({ name, enabled }: { name: string; enabled: boolean }) =>
      unwrap(api.PUT("/api/teams/active/modules/{module}", { params: { path: { module: name } }, body: { enabled } })),
    onSuccess: (modules) => {
      client.setQueryData(keys.modules(team), modules);
      // Pages of a module switched back on may hold a "switched off" refusal: fetch them again.
      for (const key of [keys.findings(team), moreKeys.targets(team), moreKeys.scans(team), moreKeys.compliance(team), moreKeys.assets(team), moreKeys.cloudAccounts(team)]) {
        client.invalidateQueries({ queryKey: key });
      }
      client.invalidateQueries({ queryKey: keys.audit(team) });
    },
  });
}
