import { useHealthStatus } from "../../api/hooks/health";
import type { HealthComponent, HealthTool } from "../../api/types";
import { Pill } from "../../components/badges";
import { humanize, timeAgo } from "../../components/format";
import { Card, QueryState } from "../../components/ui";

const TONE: Record<string, "good" | "warn" | "bad" | "neutral"> = { optimal: "good", ok: "good", degraded: "warn", down: "bad" };

function duration(seconds: number): string {
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3_600);
  const minutes = Math.floor((seconds % 3_600) / 60);
  return days ? `${days}d ${hours}h` : hours ? `${hours}h ${minutes}m` : `${minutes}m ${seconds % 60}s`;
}

function ToolList({ tools }: { tools: HealthTool[] | undefined }) {
  if (!tools?.length) return null;
  return (
    <Card title="Scanner tools">
      <ul className="health-list">
        {tools.map((tool) => (
          <li key={tool.name}>
            <span className="health-name">{tool.name}</span>
            <Pill tone={tool.found ? "good" : "warn"}>{tool.found ? `Found${tool.version ? ` · ${tool.version}` : ""}` : "Missing"}</Pill>
            <span className="muted small">{tool.purpose}</span>
            {!tool.found && tool.error && <p className="health-impact">{tool.error}</p>}
          </li>
        ))}
      </ul>
    </Card>
  );
}

export function HealthTab() {
  const health = useHealthStatus(15_000);
  return (
    <QueryState query={health}>
      {(status) => {
        const components: HealthComponent[] = [...status.components].sort((a, b) => (a.state === b.state ? a.component.localeCompare(b.component) : a.state === "optimal" ? 1 : -1));
        return (
          <div className="stack">
            <Card title="Platform">
              <dl className="kpis kpis-row">
                <div><dt>Overall</dt><dd><Pill tone={TONE[status.status] ?? "neutral"}>{humanize(status.status)}</Pill></dd></div>
                <div><dt>Version</dt><dd>{status.version}</dd></div>
                <div><dt>Uptime</dt><dd>{duration(Math.round(status.uptime_seconds))}</dd></div>
                {Object.entries(status.checks).map(([name, check]) => (
                  <div key={name}><dt>{humanize(name)}</dt><dd><Pill tone={check.ok ? "good" : "bad"}>{check.ok ? `${check.latency_ms ?? "?"} ms` : "Down"}</Pill></dd></div>
                ))}
              </dl>
            </Card>
            <Card title="Components">
              <ul className="health-list">
                {components.map((component) => (
                  <li key={component.component}>
                    <span className="health-name">{component.component}</span>
                    <Pill tone={TONE[component.state] ?? "neutral"}>{humanize(component.state)}</Pill>
                    <span className="muted small">{component.mode}</span>
                    <span className="muted small health-when">checked {timeAgo(component.checked_at)}</span>
                    {component.impact && <p className="health-impact">{component.impact}</p>}
                  </li>
                ))}
              </ul>
            </Card>
            <ToolList tools={status.tools} />
          </div>
        );
      }}
    </QueryState>
  );
}
