/** Integrations: catalogue, integrations with health, routing rules, setup wizard, delivery log. */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../client";
import type { components } from "../schema";
import { moreKeys } from "./keys";
import { useActiveTeam } from "../../app/team";

export type Integration = components["schemas"]["IntegrationOut"];
export type Rule = components["schemas"]["RuleOut"];
export type Delivery = components["schemas"]["DeliveryOut"];
export type WizardSession = components["schemas"]["WizardOut"];
export type CatalogueEntry = components["schemas"]["CatalogueEntry"];
export type ChannelKind = components["schemas"]["WizardStart"]["kind"];
export type WizardRule = components["schemas"]["RuleMatch"];
export type ChannelConfig = components["schemas"]["WizardCredentials"]["config"];
export type DeliveryState = Delivery["state"];

function useKey() {
  const team = useActiveTeam();
  return { team, key: moreKeys.integrations(team) };
}

export function useCatalogue() {
  const { team, key } = useKey();
  return useQuery({ queryKey: [...key, "catalogue"], queryFn: () => unwrap(api.GET("/api/integrations/catalogue")), enabled: !!team, staleTime: 300_000 });
}

export function useIntegrations() {
  const { team, key } = useKey();
  return useQuery({ queryKey: [...key, "list"], queryFn: () => unwrap(api.GET("/api/integrations")), enabled: !!team });
}

export function useRules() {
  const { team, key } = useKey();
  return useQuery({ queryKey: [...key, "rules"], queryFn: () => unwrap(api.GET("/api/integrations/rules")), enabled: !!team });
}

export function useDeliveries(state: DeliveryState | null) {
  const { team, key } = useKey();
  return useQuery({
    queryKey: [...key, "deliveries", state],
    queryFn: () => unwrap(api.GET("/api/integrations/deliveries", { params: { query: { state: state ?? undefined, limit: 50 } } })),
    enabled: !!team,
    placeholderData: keepPreviousData,
    // Deliveries are attempted in the background: the log follows them while the page is open.
    refetchInterval: 5_000,
  });
}

export function useWizardSessions() {
  const { team, key } = useKey();
  return useQuery({ queryKey: [...key, "wizard"], queryFn: () => unwrap(api.GET("/api/integrations/wizard")), enabled: !!team });
}

function useInvalidate() {
  const client = useQueryClient();
  const { key } = useKey();
  return () => client.invalidateQueries({ queryKey: key });
}

export function useCheckIntegration() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/api/integrations/{integration_id}/check", { params: { path: { integration_id: id } } })),
    onSuccess: invalidate,
  });
}

export function useDeleteRule() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/integrations/rules/{rule_id}", { params: { path: { rule_id: id } } })),
    onSuccess: invalidate,
  });
}

export function useRedeliver() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/api/integrations/deliveries/{delivery_id}/redeliver", { params: { path: { delivery_id: id } } })),
    onSuccess: invalidate,
  });
}

/** The wizard's steps, each persisted by the server (so a setup can be resumed). */
export function useWizard() {
  const invalidate = useInvalidate();
  const start = useMutation({
    mutationFn: (body: { kind: ChannelKind; name: string }) => unwrap(api.POST("/api/integrations/wizard", { body })),
    onSuccess: invalidate,
  });
  const credentials = useMutation({
    mutationFn: ({ id, config }: { id: string; config: ChannelConfig }) =>
      unwrap(api.PUT("/api/integrations/wizard/{session_id}/credentials", { params: { path: { session_id: id } }, body: { config } })),
  });
  const test = useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/api/integrations/wizard/{session_id}/test", { params: { path: { session_id: id } } })),
  });
  const finish = useMutation({
    mutationFn: ({ id, rule }: { id: string; rule: WizardRule | null }) =>
      unwrap(api.POST("/api/integrations/wizard/{session_id}/finish", { params: { path: { session_id: id } }, body: { rule } })),
    onSuccess: invalidate,
  });
  const cancel = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/integrations/wizard/{session_id}", { params: { path: { session_id: id } } })),
    onSuccess: invalidate,
  });
  return { start, credentials, test, finish, cancel };
}
