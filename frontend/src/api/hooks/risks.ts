/** Risk register: risks with filters, heat map, matrix, treatment actions, acceptances, KRIs, proposals, events. */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../client";
import type { components, operations } from "../schema";
import { keys, moreKeys } from "./keys";
import { useActiveTeam } from "../../app/team";

type Schemas = components["schemas"];
export type Risk = Schemas["RiskOut"];
export type RiskDetail = Schemas["RiskDetail"];
export type RiskIn = Schemas["RiskIn"];
export type RiskUpdate = Schemas["RiskUpdate"];
export type ActionIn = Schemas["TreatmentActionIn"];
export type HeatMap = Schemas["HeatMapOut"];
export type Matrix = Schemas["MatrixOut"];
export type Kri = Schemas["KriOut"];
export type KriIn = Schemas["KriIn"];
export type Proposal = Schemas["ProposalOut"];
export type Acceptance = Schemas["AcceptanceOut"];
export type RiskEvent = Schemas["RiskEventOut"];
export type RiskFilters = NonNullable<operations["list_risks_api_risks_get"]["parameters"]["query"]>;

function useTeamQuery<T>(part: unknown[], load: () => Promise<T>, enabled = true) {
  const team = useActiveTeam();
  return useQuery({ queryKey: [...moreKeys.risks(team), ...part], queryFn: load, enabled: !!team && enabled, placeholderData: keepPreviousData });
}

export const useRisks = (filters: RiskFilters) => useTeamQuery(["list", filters], () => unwrap(api.GET("/api/risks", { params: { query: filters } })));
export const useHeatMap = () => useTeamQuery(["heatmap"], () => unwrap(api.GET("/api/risks/heatmap")));
export const useMatrix = () => useTeamQuery(["matrix"], () => unwrap(api.GET("/api/risks/matrix")));
export const useRisk = (riskId: string | null) =>
  useTeamQuery(["risk", riskId], () => unwrap(api.GET("/api/risks/{risk_id}", { params: { path: { risk_id: riskId as string } } })), !!riskId);
export const useKris = () => useTeamQuery(["kris"], () => unwrap(api.GET("/api/risks/kris")));
export const useProposals = () => useTeamQuery(["proposals"], () => unwrap(api.GET("/api/risks/proposals", { params: { query: { state: "open" } } })));
export const useAcceptances = () => useTeamQuery(["acceptances"], () => unwrap(api.GET("/api/risks/acceptances")));
export const useRiskEvents = () => useTeamQuery(["events"], () => unwrap(api.GET("/api/risks/events")));

function useRiskMutation<A, R>(run: (args: A) => Promise<R>, withFindings = false) {
  const client = useQueryClient();
  const team = useActiveTeam();
  return useMutation({
    mutationFn: run,
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: moreKeys.risks(team) });
      if (withFindings) void client.invalidateQueries({ queryKey: keys.findings(team) });
    },
  });
}

export const useCreateRisk = () => useRiskMutation((body: RiskIn) => unwrap(api.POST("/api/risks", { body })));
export const useRiskFromFinding = () =>
  useRiskMutation((body: { finding_id: string; owner: string; impact: number }) => unwrap(api.POST("/api/risks/from-finding", { body })));
export const useUpdateRisk = () =>
  useRiskMutation(({ riskId, body }: { riskId: string; body: RiskUpdate }) => unwrap(api.PATCH("/api/risks/{risk_id}", { params: { path: { risk_id: riskId } }, body })));
export const useAddAction = () =>
  useRiskMutation(({ riskId, body }: { riskId: string; body: ActionIn }) => unwrap(api.POST("/api/risks/{risk_id}/actions", { params: { path: { risk_id: riskId } }, body })));
export const useActionStatus = () =>
  useRiskMutation(({ riskId, actionId, status }: { riskId: string; actionId: string; status: ActionIn["status"] }) =>
    unwrap(api.PATCH("/api/risks/{risk_id}/actions/{action_id}", { params: { path: { risk_id: riskId, action_id: actionId } }, body: { status } })));
export const useRequestAcceptance = () =>
  useRiskMutation(({ riskId, reason, expiresAt }: { riskId: string; reason: string; expiresAt: string }) =>
    unwrap(api.POST("/api/risks/{risk_id}/acceptances", { params: { path: { risk_id: riskId } }, body: { reason, expires_at: expiresAt } })));
export const useDecideAcceptance = () =>
  useRiskMutation(({ acceptanceId, approve }: { acceptanceId: string; approve: boolean }) =>
    unwrap(api.POST("/api/risks/acceptances/{acceptance_id}/decision", { params: { path: { acceptance_id: acceptanceId } }, body: { approve, comment: "" } })), true);
export const useSetMatrix = () => useRiskMutation((preset: 3 | 4 | 5) => unwrap(api.PUT("/api/risks/matrix", { body: { preset } })));
export const useCreateKri = () => useRiskMutation((body: KriIn) => unwrap(api.POST("/api/risks/kris", { body })));
export const useComputeKris = () => useRiskMutation(() => unwrap(api.POST("/api/risks/kris/compute")));
export const useGenerateProposals = () => useRiskMutation(() => unwrap(api.POST("/api/risks/proposals/generate")));
export const useDecideProposal = () =>
  useRiskMutation(({ proposalId, accept, reason }: { proposalId: string; accept: boolean; reason?: string }) =>
    unwrap(api.POST("/api/risks/proposals/{proposal_id}/decision", { params: { path: { proposal_id: proposalId } }, body: { accept, reason: reason ?? "", owner: "" } })));
