/** The active team (sent as X-Team-ID) and the signed-in state, as React hooks over session storage. */
import { useSyncExternalStore } from "react";
import { activeTeamId, onSessionChange, readTokens } from "../api/session";

export function useActiveTeam(): string | null {
  return useSyncExternalStore(onSessionChange, activeTeamId, () => null);
}

export function useSignedIn(): boolean {
  return useSyncExternalStore(onSessionChange, () => readTokens() !== null, () => false);
}
