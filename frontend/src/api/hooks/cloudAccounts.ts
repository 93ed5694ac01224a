/** Cloud accounts (AWS, Google Cloud, Azure): credentials go in, never come back out. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../client";
import { ApiError } from "../errors";
import type { components } from "../schema";
import { moreKeys } from "./keys";
import { useActiveTeam } from "../../app/team";

type Schemas = components["schemas"];
export type CloudAccount = Schemas["CloudAccountOut"];
export type CloudProvider = Schemas["CloudProvider"];
export type ConnectionTest = Schemas["ConnectionTest"];
export type CloudAccountCreate = Schemas["AwsAccountCreate"] | Schemas["GcpAccountCreate"] | Schemas["AzureAccountCreate"];

/**
 * FastAPI names the union member in a validation error's location ("aws.account_id"); the form
 * shows one provider at a time, so the field name alone reads better.
 */
async function withFieldNames<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof ApiError) {
      throw new ApiError(error.status, error.message.replace(/(^|; )(aws|gcp|azure)\./g, "$1"), error.retryAfter);
    }
    throw error;
  }
}

export function useCloudAccounts(enabled = true) {
  const team = useActiveTeam();
  return useQuery({
    queryKey: moreKeys.cloudAccounts(team),
    queryFn: () => unwrap(api.GET("/api/cloud-accounts")),
    enabled: enabled && !!team,
  });
}

function useInvalidate() {
  const client = useQueryClient();
  const team = useActiveTeam();
  return () => client.invalidateQueries({ queryKey: moreKeys.cloudAccounts(team) });
}

export function useCreateCloudAccount() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (body: CloudAccountCreate) => withFieldNames(unwrap(api.POST("/api/cloud-accounts", { body }))),
    onSuccess: invalidate,
  });
}

export function useUpdateCloudAccount() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: ({ id, ...body }: { id: string } & Schemas["CloudAccountUpdate"]) =>
      unwrap(api.PATCH("/api/cloud-accounts/{account_id}", { params: { path: { account_id: id } }, body })),
    onSuccess: invalidate,
  });
}

export function useReplaceCloudCredentials() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: CloudAccountCreate }) =>
      withFieldNames(unwrap(api.PUT("/api/cloud-accounts/{account_id}/credentials", { params: { path: { account_id: id } }, body }))),
    onSuccess: invalidate,
  });
}

export function useDeleteCloudAccount() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/cloud-accounts/{account_id}", { params: { path: { account_id: id } } })),
    onSuccess: invalidate,
  });
}

/** Asks the provider who the stored credentials are; the outcome is kept as the account's last_test. */
export function useTestCloudAccount() {
  const client = useQueryClient();
  const team = useActiveTeam();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/api/cloud-accounts/{account_id}/test", { params: { path: { account_id: id } } })),
    onSuccess: (result, id) => {
      client.setQueryData<CloudAccount[]>(moreKeys.cloudAccounts(team), (list) => list?.map((account) => (account.id === id ? { ...account, last_test: result } : account)));
      client.invalidateQueries({ queryKey: moreKeys.cloudAccounts(team) });
    },
  });
}
