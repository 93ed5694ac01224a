/**
 * Where the session lives in the browser. Tokens are kept in localStorage so a reload or a
 * second tab stays signed in; refreshes are serialised across tabs with the Web Locks API
 * because the backend rotates refresh tokens (an old one stops working once used).
 */

export interface StoredTokens {
  accessToken: string;
  refreshToken: string;
  /** Epoch milliseconds when the access token expires. */
  accessExpiresAt: number;
  sessionId: string;
}

export interface TokenPairLike {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  session_id: string;
}

const TOKENS_KEY = "cspm.session";
const TEAM_KEY = "cspm.team";

type Listener = () => void;
const listeners = new Set<Listener>();

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function emit() {
  listeners.forEach((listener) => listener());
}

export function readTokens(): StoredTokens | null {
  try {
    const raw = localStorage.getItem(TOKENS_KEY);
    return raw ? (JSON.parse(raw) as StoredTokens) : null;
  } catch {
    return null;
  }
}

export function storeTokens(pair: TokenPairLike): StoredTokens {
  const tokens: StoredTokens = {
    accessToken: pair.access_token,
    refreshToken: pair.refresh_token,
    accessExpiresAt: Date.now() + pair.expires_in * 1000,
    sessionId: pair.session_id,
  };
  localStorage.setItem(TOKENS_KEY, JSON.stringify(tokens));
  emit();
  return tokens;
}

export function clearTokens(): void {
  localStorage.removeItem(TOKENS_KEY);
  emit();
}

export function activeTeamId(): string | null {
  return localStorage.getItem(TEAM_KEY);
}

export function setActiveTeamId(teamId: string | null): void {
  if (teamId) localStorage.setItem(TEAM_KEY, teamId);
  else localStorage.removeItem(TEAM_KEY);
  emit();
}

if (typeof window !== "undefined") {
  // Another tab signed in, out, refreshed or switched team.
  window.addEventListener("storage", (event) => {
    if (event.key === TOKENS_KEY || event.key === TEAM_KEY) emit();
  });
}
