/** Query keys, one namespace per domain; the active team is part of every team-scoped key. */
export const keys = {
  me: ["auth", "me"] as const,
  registration: ["auth", "registration"] as const,
  sessions: ["auth", "sessions"] as const,
  tokens: (team: string | null) => ["auth", "tokens", team] as const,
  users: ["auth", "users"] as const,
  teams: ["teams"] as const,
  members: (team: string | null) => ["teams", team, "members"] as const,
  invitations: (team: string | null) => ["teams", team, "invitations"] as const,
  findings: (team: string | null) => ["findings", team] as const,
  audit: (team: string | null) => ["audit", team] as const,
  health: ["health"] as const,
};
