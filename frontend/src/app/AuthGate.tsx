/**
 * Decides what a visitor sees: first-run setup, the sign-in page, team creation, or the app.
 * The signed-in user's profile, teams and permissions in the active team come from /api/auth/me;
 * the modules the active team switched off from /api/teams/active/modules (loaded before the shell
 * renders, so a switched-off module never flashes in the sidebar).
 */
import { createContext, useContext, useEffect, useMemo, type ReactNode } from "react";
import { Navigate, useLocation } from "react-router-dom";
import { ApiError } from "../api/errors";
import { useMe, useRegistrationStatus } from "../api/hooks/auth";
import { useTeamModules } from "../api/hooks/modules";
import { setActiveTeamId, clearTokens } from "../api/session";
import type { Me } from "../api/types";
import { ErrorState, ShellSkeleton, Spinner } from "../components/ui";
import { DisabledModulesContext } from "./modules";
import { useActiveTeam, useSignedIn } from "./team";
import { CreateTeamScreen } from "../pages/auth/CreateTeamScreen";

const MeContext = createContext<Me | null>(null);

export function useCurrentUser(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error("useCurrentUser outside the signed-in app");
  return me;
}

export function useCan(permission: string): boolean {
  const me = useContext(MeContext);
  return !!me?.permissions.includes(permission);
}

export function AuthGate({ children }: { children: ReactNode }) {
  const signedIn = useSignedIn();
  const location = useLocation();
  const registration = useRegistrationStatus();
  const team = useActiveTeam();
  const me = useMe(signedIn);
  const memberOfActive = !!team && !!me.data?.teams.some((membership) => membership.team_id === team);
  const modules = useTeamModules(memberOfActive);
  const disabled = useMemo(
    () => new Set((modules.data ?? []).filter((module) => !module.enabled).map((module) => module.name)),
    [modules.data],
  );

  useEffect(() => {
    if (!me.data) return;
    const member = me.data.teams.some((membership) => membership.team_id === team);
    if (!member && me.data.teams.length) setActiveTeamId(me.data.teams[0].team_id);
  }, [me.data, team]);

  useEffect(() => {
    const error = me.error;
    if (!(error instanceof ApiError)) return;
    if (error.status === 403 && team) setActiveTeamId(null); // no longer a member of the stored team
    if (error.status === 401) clearTokens();
  }, [me.error, team]);

  if (!signedIn) {
    if (registration.data?.first_user) return <Navigate to="/setup" replace />;
    if (registration.isPending) return <Spinner label="Starting" />;
    const next = location.pathname + location.search;
    return <Navigate to={next && next !== "/" ? `/login?next=${encodeURIComponent(next)}` : "/login"} replace />;
  }
  if (me.isPending) return <ShellSkeleton />;
  if (me.isError) {
    return (
      <div className="center-screen">
        <ErrorState error={me.error} onRetry={() => me.refetch()} title="Could not load your account" />
      </div>
    );
  }
  if (!me.data.teams.length) return <CreateTeamScreen me={me.data} />;
  if (!me.data.active_team_id) return <ShellSkeleton label="Opening your team" />;
  // If the switches cannot be read the shell shows every module: the API still refuses a switched-off one.
  if (memberOfActive && modules.isPending) return <ShellSkeleton />;
  return (
    <MeContext.Provider value={me.data}>
      <DisabledModulesContext.Provider value={disabled}>{children}</DisabledModulesContext.Provider>
    </MeContext.Provider>
  );
}
