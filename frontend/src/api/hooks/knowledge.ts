/** Knowledge base: search (the top bar), the team's documents and their upload. */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../client";
import type { components } from "../schema";
import { moreKeys } from "./keys";
import { useActiveTeam } from "../../app/team";

export type SearchResult = components["schemas"]["SearchResult"];

export function useKnowledgeSearch(q: string) {
  const team = useActiveTeam();
  const query = q.trim();
  return useQuery({
    queryKey: [...moreKeys.knowledge(team), "search", query],
    queryFn: () => unwrap(api.GET("/api/knowledge/search", { params: { query: { q: query, limit: 8 } } })),
    enabled: !!team && query.length >= 2,
    placeholderData: keepPreviousData,
  });
}

export function useKnowledgeDocuments() {
  const team = useActiveTeam();
  return useQuery({ queryKey: [...moreKeys.knowledge(team), "documents"], queryFn: () => unwrap(api.GET("/api/knowledge/documents")), enabled: !!team });
}

export function useUploadDocument() {
  const client = useQueryClient();
  const team = useActiveTeam();
  return useMutation({
    mutationFn: (file: File) =>
      unwrap(api.POST("/api/knowledge/documents", {
        body: { file: file as unknown as string },
        bodySerializer: () => {
          const form = new FormData();
          form.append("file", file, file.name);
          return form;
        },
      })),
    onSuccess: () => client.invalidateQueries({ queryKey: moreKeys.knowledge(team) }),
  });
}
