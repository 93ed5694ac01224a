import { NavLink } from "react-router-dom";
import { useHealthStatus } from "../api/hooks/health";
import { Icon } from "../components/Icon";
import { type PlatformModule } from "../modules/registry";

/** Route modules the server reports as not mounted (from /health/status). */
export function useUnavailableBackends(): Map<string, string> {
  const health = useHealthStatus(60_000);
  const unavailable = new Map<string, string>();
  for (const component of health.data?.components ?? []) {
    if (component.component.startsWith("routes:") && component.state === "down") {
      unavailable.set(component.component.slice("routes:".length), component.impact);
    }
  }
  return unavailable;
}

export function Sidebar({ modules, open, onNavigate }: { modules: PlatformModule[]; open: boolean; onNavigate: () => void }) {
  const unavailable = useUnavailableBackends();
  const sections = [...new Set(modules.map((module) => module.section))];
  return (
    <nav className={`sidebar ${open ? "sidebar-open" : ""}`} aria-label="Modules">
      <div className="brand">
        <img src="/favicon.svg" alt="" width={28} height={28} />
        <div>
          <div className="brand-name">OffloadSecurity</div>
          <div className="brand-sub">Cloud posture</div>
        </div>
      </div>
      {sections.map((section) => (
        <div key={section} className="nav-section">
          <div className="nav-section-title">{section}</div>
          <ul>
            {modules
              .filter((module) => module.section === section)
              .map((module) => {
                const down = module.backend.find((name) => unavailable.has(name));
                return (
                  <li key={module.id}>
                    <NavLink
                      to={module.path}
                      className={({ isActive }) => `nav-link ${isActive ? "nav-link-active" : ""}`}
                      onMouseEnter={() => module.preload()}
                      onFocus={() => module.preload()}
                      onClick={onNavigate}
                      title={down ? `Unavailable: ${unavailable.get(down)}` : module.description}
                    >
                      <Icon name={module.icon} />
                      <span>{module.label}</span>
                      {down && <span className="nav-flag" aria-label="unavailable">!</span>}
                    </NavLink>
                  </li>
                );
              })}
          </ul>
        </div>
      ))}
    </nav>
  );
}
