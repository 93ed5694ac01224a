import { Suspense, useState } from "react";
import { Link, Navigate, Route, Routes, useLocation } from "react-router-dom";
import { useCan, useCurrentUser } from "../app/AuthGate";
import { useDisabledModules } from "../app/modules";
import { ErrorBoundary } from "../components/ErrorBoundary";
import { EmptyState, PageSkeleton } from "../components/ui";
import { isSwitchedOff, navigableModules, visibleModules, type PlatformModule } from "../modules/registry";
import { Sidebar, useUnavailableBackends } from "./Sidebar";
import { TopBar } from "./TopBar";

function ModuleUnavailable({ module, reason }: { module: PlatformModule; reason: string }) {
  return (
    <EmptyState title={`${module.label} is not available on this server`} icon="alert">
      <p>{reason}</p>
    </EmptyState>
  );
}

/** A page whose module the active team switched off: said plainly, with the way back for admins. */
export function ModuleSwitchedOff({ module }: { module: PlatformModule }) {
  const me = useCurrentUser();
  const canManage = useCan("modules:manage");
  const team = me.teams.find((item) => item.team_id === me.active_team_id)?.team_name ?? "this team";
  return (
    <div className="page">
      <EmptyState title={`${module.label} is switched off by your team admin`} icon="alert">
        <p>
          This module is switched off for <strong>{team}</strong>: its pages are hidden and the API refuses it for this team,
          API tokens included. Nothing was deleted; switching it back on brings everything back.
        </p>
        {canManage ? (
          <Link className="btn btn-primary btn-md" to="/admin?tab=modules">Manage modules</Link>
        ) : (
          <p>Ask a team admin to switch it on in Administration → Modules.</p>
        )}
      </EmptyState>
    </div>
  );
}

/** Routes every permitted module of the registry, each in its own lazily loaded chunk. */
export function MainContent({ modules, home }: { modules: PlatformModule[]; home: string }) {
  const unavailable = useUnavailableBackends();
  const disabled = useDisabledModules();
  const location = useLocation();
  return (
    <main className="main" id="main">
      <ErrorBoundary resetKey={location.pathname}>
        <Suspense fallback={<PageSkeleton />}>
          <Routes>
            <Route path="/" element={<Navigate to={home} replace />} />
            {modules.map((module) => {
              const down = module.backend.find((name) => unavailable.has(name));
              const Page = module.component;
              const element = isSwitchedOff(module, disabled) ? (
                <ModuleSwitchedOff module={module} />
              ) : down ? (
                <ModuleUnavailable module={module} reason={unavailable.get(down)!} />
              ) : (
                <Page />
              );
              return <Route key={module.id} path={`${module.path}/*`} element={element} />;
            })}
            <Route path="*" element={<EmptyState title="Page not found" icon="alert">This address does not match any module.</EmptyState>} />
          </Routes>
        </Suspense>
      </ErrorBoundary>
    </main>
  );
}

export function AppShell() {
  const me = useCurrentUser();
  const disabled = useDisabledModules();
  const permitted = visibleModules(me.permissions, me.is_platform_admin);
  const nav = navigableModules(permitted, disabled);
  const [navOpen, setNavOpen] = useState(false);
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Sidebar modules={nav} open={navOpen} onNavigate={() => setNavOpen(false)} />
      {navOpen && <div className="scrim" onClick={() => setNavOpen(false)} aria-hidden="true" />}
      <div className="shell-body">
        <TopBar onMenu={() => setNavOpen(true)} />
        <MainContent modules={permitted} home={nav[0]?.path ?? "/account"} />
      </div>
    </div>
  );
}
