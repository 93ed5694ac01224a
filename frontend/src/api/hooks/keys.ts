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
  modules: (team: string | null) => ["teams", team, "modules"] as const,
  findings: (team: string | null) => ["findings", team] as const,
  audit: (team: string | null) => ["audit", team] as const,
  health: ["health"] as const,
};

export const moreKeys = {
  targets: (team: string | null) => ["targets", team] as const,
  scans: (team: string | null) => ["scans", team] as const,
  compliance: (team: string | null) => ["compliance", team] as const,
  assets: (team: string | null) => ["assets", team] as const,
  cloudAccounts: (team: string | null) => ["cloud-accounts", team] as const,
  threatIntel: (team: string | null) => ["threat-intel", team] as const,
  aiGovernance: (team: string | null) => ["ai-governance", team] as const,
  integrations: (team: string | null) => ["integrations", team] as const,
  aiSoc: (team: string | null) => ["ai-soc", team] as const,
  knowledge: (team: string | null) => ["knowledge", team] as const,
  risks: (team: string | null) => ["risks", team] as const,
  bia: (team: string | null) => ["bia", team] as const,
  inventory: (team: string | null) => ["inventory", team] as const,
  registries: (team: string | null) => ["registries", team] as const,
};
