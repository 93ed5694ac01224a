import { Suspense, useState } from "react";
import { Navigate, Route, Routes, useLocation } from "react-router-dom";
import { useCurrentUser } from "../app/AuthGate";
import { ErrorBoundary } from "../components/ErrorBoundary";
import { EmptyState, Spinner } from "../components/ui";
import { visibleModules, type PlatformModule } from "../modules/registry";
import { Sidebar, useUnavailableBackends } from "./Sidebar";
import { TopBar } from "./TopBar";

function ModuleUnavailable({ module, reason }: { module: PlatformModule; reason: string }) {
  return (
    <EmptyState title={`${module.label} is not available on this server`} icon="alert">
      <p>{reason}</p>
    </EmptyState>
  );
}

/** Routes every visible module of the registry, each in its own lazily loaded chunk. */
export function MainContent({ modules }: { modules: PlatformModule[] }) {
  const unavailable = useUnavailableBackends();
  const location = useLocation();
  const home = modules[0]?.path ?? "/account";
  return (
    <main className="main" id="main">
      <ErrorBoundary resetKey={location.pathname}>
        <Suspense fallback={<Spinner label="Loading page" />}>
          <Routes>
            <Route path="/" element={<Navigate to={home} replace />} />
            {modules.map((module) => {
              const down = module.backend.find((name) => unavailable.has(name));
              const Page = module.component;
              return (
                <Route
                  key={module.id}
                  path={`${module.path}/*`}
                  element={down ? <ModuleUnavailable module={module} reason={unavailable.get(down)!} /> : <Page />}
                />
              );
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
  const modules = visibleModules(me.permissions, me.is_platform_admin);
  const [navOpen, setNavOpen] = useState(false);
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Sidebar modules={modules} open={navOpen} onNavigate={() => setNavOpen(false)} />
      {navOpen && <div className="scrim" onClick={() => setNavOpen(false)} aria-hidden="true" />}
      <div className="shell-body">
        <TopBar onMenu={() => setNavOpen(true)} />
        <MainContent modules={modules} />
      </div>
    </div>
  );
}
