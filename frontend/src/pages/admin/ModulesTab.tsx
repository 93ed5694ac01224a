import { useState } from "react";
import { useSetTeamModule, useTeamModules, type TeamModule } from "../../api/hooks/modules";
import { useCan, useCurrentUser } from "../../app/AuthGate";
import { Pill } from "../../components/badges";
import { Icon, type IconName } from "../../components/Icon";
import { Card, ConfirmDialog, EmptyState, InlineError, QueryState, Switch } from "../../components/ui";
import { ALL_PLATFORM_MODULES, pagesOfToggle } from "../../modules/registry";

/** What each switch covers besides its pages (the API prefixes the backend refuses when it is off). */
const API_OF: Record<string, string[]> = {
  findings: ["/api/findings"],
  compliance: ["/api/compliance"],
  scans: ["/api/targets", "/api/scans", "/api/cloud-accounts"],
  assets: ["/api/assets"],
  exports: ["/api/exports"],
};

function iconOf(name: string): IconName {
  return ALL_PLATFORM_MODULES.find((module) => module.toggle === name && module.id !== "overview")?.icon ?? "overview";
}

export function ModulesTab() {
  const me = useCurrentUser();
  const canManage = useCan("modules:manage");
  const modules = useTeamModules();
  const change = useSetTeamModule();
  const [confirming, setConfirming] = useState<TeamModule | null>(null);
  const team = me.teams.find((item) => item.team_id === me.active_team_id)?.team_name ?? "this team";
  const pending = change.isPending ? change.variables?.name : undefined;

  function toggle(module: TeamModule, enabled: boolean) {
    change.reset();
    if (!enabled) setConfirming(module);
    else change.mutate({ name: module.name, enabled: true });
  }

  return (
    <div className="stack">
      <Card title={`Modules of ${team}`} id="modules">
        <p className="muted">
          Switch off what this team does not use: its pages leave the sidebar for every member, and the API refuses the module
          for this team (API tokens included). Stored data is kept and comes back when the module is switched on again.
        </p>
        {!canManage && (
          <div className="callout callout-info" role="note">Only team admins can switch modules; you can see which ones are on.</div>
        )}
        {!confirming && <InlineError error={change.error} />}
        <QueryState query={modules} isEmpty={(list) => list.length === 0} empty={<EmptyState title="No switchable modules" icon="overview" />}>
          {(list) => (
            <ul className="module-list" aria-label="Modules">
              {list.map((module) => {
                const pages = pagesOfToggle(module.name);
                return (
                  <li key={module.name} className={`module-row ${module.enabled ? "" : "module-off"}`}>
                    <span className="module-icon" aria-hidden="true"><Icon name={iconOf(module.name)} /></span>
                    <div className="module-text">
                      <div className="module-title">
                        <strong>{module.title}</strong>
                        <Pill tone={module.enabled ? "good" : "neutral"}>{module.enabled ? "On" : "Off"}</Pill>
                      </div>
                      <p className="muted small">
                        {pages.length > 0 && <>Pages: {pages.join(", ")}</>}
                        {pages.length > 0 && API_OF[module.name] && " · "}
                        {API_OF[module.name] && <>API: {API_OF[module.name].map((prefix) => <code key={prefix} className="module-api">{prefix}</code>)}</>}
                      </p>
                    </div>
                    <Switch
                      checked={module.enabled}
                      label={`${module.title} module`}
                      disabled={!canManage}
                      busy={pending === module.name}
                      onChange={(next) => toggle(module, next)}
                    />
                  </li>
                );
              })}
            </ul>
          )}
        </QueryState>
      </Card>
      <ConfirmDialog
        open={!!confirming}
        title={`Switch off ${confirming?.title ?? ""}?`}
        message={
          <>
            <p>
              Members of <strong>{team}</strong> will no longer see {pagesOfToggle(confirming?.name ?? "").join(" and ") || "this module"}, and the
              API answers 403 for this module in this team, so CI pipelines using it stop working.
            </p>
            <p className="muted small">Nothing is deleted: switch it back on at any time.</p>
          </>
        }
        confirmLabel="Switch off"
        busy={change.isPending}
        error={change.error}
        onCancel={() => { setConfirming(null); change.reset(); }}
        onConfirm={() => confirming && change.mutate({ name: confirming.name, enabled: false }, { onSuccess: () => setConfirming(null) })}
      />
    </div>
  );
}
