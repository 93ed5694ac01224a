/** Authentication, the caller's account, MFA, sessions, API tokens and platform users. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../client";
import { clearTokens, readTokens, setActiveTeamId, storeTokens } from "../session";
import type { components } from "../schema";
import { keys } from "./keys";
import { useActiveTeam } from "../../app/team";

type Schemas = components["schemas"];

export function useRegistrationStatus() {
  return useQuery({
    queryKey: keys.registration,
    queryFn: () => unwrap(api.GET("/api/auth/registration")),
    staleTime: 30_000,
  });
}

export function useRegister() {
  return useMutation({
    mutationFn: (body: Schemas["RegisterRequest"]) => unwrap(api.POST("/api/auth/register", { body })),
  });
}

export function useLogin() {
  return useMutation({
    mutationFn: async (body: Schemas["LoginRequest"]) => {
      const answer = await unwrap(api.POST("/api/auth/login", { body }));
      if (!answer.mfa_required && answer.tokens) storeTokens(answer.tokens);
      return answer;
    },
  });
}

export function useVerifyMfa() {
  return useMutation({
    mutationFn: async (body: Schemas["MfaVerifyRequest"]) => {
      const tokens = await unwrap(api.POST("/api/auth/mfa/verify", { body }));
      storeTokens(tokens);
      return tokens;
    },
  });
}

export function useMe(enabled = true) {
  const team = useActiveTeam();
  return useQuery({
    queryKey: [...keys.me, team],
    queryFn: () => unwrap(api.GET("/api/auth/me")),
    enabled,
    staleTime: 60_000,
  });
}

export function useLogout() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      if (readTokens()) {
        try {
          await unwrap(api.POST("/api/auth/logout"));
        } catch {
          // The session is dropped locally either way; a server that cannot be reached
          // keeps its session until the tokens expire.
        }
      }
    },
    onSettled: () => {
      clearTokens();
      setActiveTeamId(null);
      client.clear();
    },
  });
}

export function useSessions() {
  return useQuery({ queryKey: keys.sessions, queryFn: () => unwrap(api.GET("/api/auth/sessions")) });
}

export function useLogoutEverywhere() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/auth/logout-all")),
    onSuccess: () => {
      clearTokens();
      client.clear();
    },
  });
}

export function useChangePassword() {
  return useMutation({
    mutationFn: (body: Schemas["PasswordChangeRequest"]) => unwrap(api.POST("/api/auth/password", { body })),
  });
}

export function useMfaEnroll() {
  return useMutation({ mutationFn: () => unwrap(api.POST("/api/auth/mfa/enroll")) });
}

export function useMfaActivate() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (code: string) => unwrap(api.POST("/api/auth/mfa/activate", { body: { code } })),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.me }),
  });
}

export function useMfaDisable() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["MfaDisableRequest"]) => unwrap(api.POST("/api/auth/mfa/disable", { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.me }),
  });
}

export function useRegenerateRecoveryCodes() {
  return useMutation({
    mutationFn: (code: string) => unwrap(api.POST("/api/auth/mfa/recovery-codes", { body: { code } })),
  });
}

export function useApiTokens(enabled = true) {
  const team = useActiveTeam();
  return useQuery({
    queryKey: keys.tokens(team),
    queryFn: () => unwrap(api.GET("/api/auth/tokens")),
    enabled: enabled && !!team,
  });
}

export function useCreateApiToken() {
  const client = useQueryClient();
  const team = useActiveTeam();
  return useMutation({
    mutationFn: (body: Schemas["ApiTokenCreate"]) => unwrap(api.POST("/api/auth/tokens", { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.tokens(team) }),
  });
}

export function useRevokeApiToken() {
  const client = useQueryClient();
  const team = useActiveTeam();
  return useMutation({
    mutationFn: (tokenId: string) =>
      unwrap(api.DELETE("/api/auth/tokens/{token_id}", { params: { path: { token_id: tokenId } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.tokens(team) }),
  });
}

export function useUsers(enabled = true) {
  return useQuery({
    queryKey: keys.users,
    queryFn: () => unwrap(api.GET("/api/auth/users", { params: { query: { limit: 200 } } })),
    enabled,
  });
}

export function useUpdateUser() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ userId, ...body }: { userId: string } & Schemas["UserUpdate"]) =>
      unwrap(api.PATCH("/api/auth/users/{user_id}", { params: { path: { user_id: userId } }, body })),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.users }),
  });
}

export function useResetUserMfa() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (userId: string) =>
      unwrap(api.POST("/api/auth/users/{user_id}/mfa/reset", { params: { path: { user_id: userId } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.users }),
  });
}

export function useSetRegistration() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (open: boolean) => unwrap(api.PUT("/api/auth/registration", { body: { open } })),
    onSuccess: (status) => client.setQueryData(keys.registration, status),
  });
}
