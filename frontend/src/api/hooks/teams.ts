/** Teams: the caller's teams, the active team's members and invitations. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../client";
import type { components } from "../schema";
import { keys } from "./keys";
import { useActiveTeam } from "../../app/team";

type Schemas = components["schemas"];

export function useTeams(enabled = true) {
  return useQuery({ queryKey: keys.teams, queryFn: () => unwrap(api.GET("/api/teams")), enabled });
}

export function useCreateTeam() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => unwrap(api.POST("/api/teams", { body: { name } })),
    onSuccess: () => {
      client.invalidateQueries({ queryKey: keys.teams });
      client.invalidateQueries({ queryKey: keys.me });
    },
  });
}

export function useRenameTeam() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => unwrap(api.PATCH("/api/teams/active", { body: { name } })),
    onSuccess: () => {
      client.invalidateQueries({ queryKey: keys.teams });
      client.invalidateQueries({ queryKey: keys.me });
    },
  });
}

export function useMembers(enabled = true) {
  const team = useActiveTeam();
  return useQuery({
    queryKey: keys.members(team),
    queryFn: () => unwrap(api.GET("/api/teams/active/members")),
    enabled: enabled && !!team,
  });
}

export function useSetMemberRole() {
  const client = useQueryClient();
  const team = useActiveTeam();
  return useMutation({
    mutationFn: ({ userId, role }: { userId: string; role: Schemas["RoleUpdate"]["role"] }) =>
      unwrap(api.PUT("/api/teams/active/members/{user_id}", { params: { path: { user_id: userId } }, body: { role } })),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.members(team) }),
  });
}

export function useRemoveMember() {
  const client = useQueryClient();
  const team = useActiveTeam();
  return useMutation({
    mutationFn: (userId: string) =>
      unwrap(api.DELETE("/api/teams/active/members/{user_id}", { params: { path: { user_id: userId } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.members(team) }),
  });
}

export function useInvitations(enabled = true) {
  const team = useActiveTeam();
  return useQuery({
    queryKey: keys.invitations(team),
    queryFn: () => unwrap(api.GET("/api/teams/active/invitations")),
    enabled: enabled && !!team,
  });
}

export function useInvite() {
  const client = useQueryClient();
  const team = useActiveTeam();
  return useMutation({
    mutationFn: (body: Schemas["InvitationCreate"]) => unwrap(api.POST("/api/teams/active/invitations", { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.invitations(team) }),
  });
}

export function useRevokeInvitation() {
  const client = useQueryClient();
  const team = useActiveTeam();
  return useMutation({
    mutationFn: (invitationId: string) =>
      unwrap(api.DELETE("/api/teams/active/invitations/{invitation_id}", {
        params: { path: { invitation_id: invitationId } },
      })),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.invitations(team) }),
  });
}

export function useAcceptInvitation() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (token: string) => unwrap(api.POST("/api/auth/invitations/accept", { body: { token } })),
    onSuccess: () => {
      client.invalidateQueries({ queryKey: keys.teams });
      client.invalidateQueries({ queryKey: keys.me });
    },
  });
}
