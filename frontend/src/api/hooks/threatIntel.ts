/** Threat intelligence: KEV with the team's matches, EPSS distribution, indicators (and import), correlations, feeds. */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../client";
import { keys, moreKeys } from "./keys";
import { useActiveTeam } from "../../app/team";

export type IndicatorFormat = "stix" | "csv" | "misp";

export function useKev(filters: { q?: string; matched: boolean }) {
  const team = useActiveTeam();
  return useQuery({
    queryKey: [...moreKeys.threatIntel(team), "kev", filters],
    queryFn: () => unwrap(api.GET("/api/threat-intel/kev", {
      params: { query: { q: filters.q || undefined, matched: filters.matched, limit: 25 } },
    })),
    enabled: !!team,
    placeholderData: keepPreviousData,
  });
}

export function useEpss() {
  const team = useActiveTeam();
  return useQuery({ queryKey: [...moreKeys.threatIntel(team), "epss"], queryFn: () => unwrap(api.GET("/api/threat-intel/epss")), enabled: !!team });
}

export function useIndicators(q: string) {
  const team = useActiveTeam();
  return useQuery({
    queryKey: [...moreKeys.threatIntel(team), "indicators", q],
    queryFn: () => unwrap(api.GET("/api/threat-intel/indicators", { params: { query: { q: q || undefined, limit: 50 } } })),
    enabled: !!team,
    placeholderData: keepPreviousData,
  });
}

export function useCorrelations(findingId?: string) {
  const team = useActiveTeam();
  return useQuery({
    queryKey: [...moreKeys.threatIntel(team), "correlations", findingId ?? null],
    queryFn: () => unwrap(api.GET("/api/threat-intel/correlations", { params: { query: { finding_id: findingId, limit: 50 } } })),
    enabled: !!team,
  });
}

export function useIntelSources() {
  const team = useActiveTeam();
  return useQuery({ queryKey: [...moreKeys.threatIntel(team), "sources"], queryFn: () => unwrap(api.GET("/api/threat-intel/sources")), enabled: !!team });
}

export function useImportIndicators() {
  const client = useQueryClient();
  const team = useActiveTeam();
  return useMutation({
    mutationFn: ({ file, format, source }: { file: File; format: IndicatorFormat; source?: string }) =>
      unwrap(api.POST("/api/threat-intel/indicators/import", {
        body: { file: file as unknown as string, format, source: source || null },
        bodySerializer: (body) => {
          const form = new FormData();
          form.append("file", body.file as unknown as Blob, file.name);
          form.append("format", String(body.format));
          if (body.source) form.append("source", body.source);
          return form;
        },
      })),
    // An import correlates the team's findings: their priority and the findings list change too.
    onSuccess: () => Promise.all([
      client.invalidateQueries({ queryKey: moreKeys.threatIntel(team) }),
      client.invalidateQueries({ queryKey: keys.findings(team) }),
    ]),
  });
}
