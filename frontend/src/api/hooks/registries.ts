/** Container registries: connections (credentials go in, never come back out), repositories, images and their scans. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../client";
import { ApiError } from "../errors";
import type { components } from "../schema";
import { moreKeys } from "./keys";
import { useActiveTeam } from "../../app/team";

type Schemas = components["schemas"];
export type Registry = Schemas["RegistryOut"];
export type RegistryImage = Schemas["RegistryImageOut"];
export type RegistryCreate = Schemas["OciRegistryCreate"] | Schemas["EcrRegistryCreate"];

const SCANNING = new Set(["queued", "running"]);

const SYNC_POLL_MS = 10 * 60_000;

/** `syncRequested`: registry id → when a sync was asked for; the list is polled until that registry's last sync is newer. */
export function useRegistries(syncRequested: Record<string, number> = {}) {
  const team = useActiveTeam();
  return useQuery({
    queryKey: [...moreKeys.registries(team), "list"],
    queryFn: () => unwrap(api.GET("/api/registries")),
    enabled: !!team,
    refetchInterval: (query) => {
      const waiting = (query.state.data ?? []).some((registry) => {
        const asked = syncRequested[registry.id];
        const synced = registry.last_sync ? Date.parse(registry.last_sync) : 0;
        return asked !== undefined && synced < asked && Date.now() - asked < SYNC_POLL_MS;
      });
      return waiting ? 2000 : false;
    },
  });
}

/** `syncedAt` (the registry's last sync) is part of the key: a finished sync reads the detail again. */
export function useRegistry(id: string | null, syncedAt?: string | null) {
  const team = useActiveTeam();
  return useQuery({
    queryKey: [...moreKeys.registries(team), "detail", id, syncedAt],
    queryFn: () => unwrap(api.GET("/api/registries/{registry_id}", { params: { path: { registry_id: id as string } } })),
    enabled: !!team && !!id,
  });
}

export function useRegistryImages(id: string | null, repository: string, syncedAt?: string | null) {
  const team = useActiveTeam();
  return useQuery({
    queryKey: [...moreKeys.registries(team), "images", id, repository, syncedAt],
    queryFn: () => unwrap(api.GET("/api/registries/{registry_id}/images", { params: { path: { registry_id: id as string }, query: { repository: repository || undefined, limit: 200 } } })),
    enabled: !!team && !!id,
    // Scans of new digests run in the background: poll until none is queued or running.
    refetchInterval: (query) => (query.state.data?.items.some((image) => SCANNING.has(image.scan.state)) ? 2000 : false),
  });
}

function useInvalidate() {
  const client = useQueryClient();
  const team = useActiveTeam();
  return () => client.invalidateQueries({ queryKey: moreKeys.registries(team) });
}

export function useCreateRegistry() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: async (body: RegistryCreate) => {
      try {
        return await unwrap(api.POST("/api/registries", { body }));
      } catch (error) {
        // FastAPI names the union member ("oci.url"); the form shows one kind at a time.
        if (error instanceof ApiError) throw new ApiError(error.status, error.message.replace(/(^|; )(oci|ecr)\./g, "$1"), error.retryAfter);
        throw error;
      }
    },
    onSuccess: invalidate,
  });
}

export function useSyncRegistry() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/api/registries/{registry_id}/sync", { params: { path: { registry_id: id } } })),
    onSuccess: invalidate,
  });
}

export function useDeleteRegistry() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/registries/{registry_id}", { params: { path: { registry_id: id } } })),
    onSuccess: invalidate,
  });
}
