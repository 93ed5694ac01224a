/**
 * Integrations: the catalogue of channels (each set up through the wizard), unfinished setups to
 * resume, the team's integrations with their connection health, routing rules, and the delivery
 * log with the dead-letter list.
 */
import { useState } from "react";
import {
  useCatalogue, useCheckIntegration, useDeleteRule, useDeliveries, useIntegrations, useRedeliver, useRules, useWizardSessions,
  type CatalogueEntry, type DeliveryState, type WizardSession,
} from "../../api/hooks/integrations";
import { useCan } from "../../app/AuthGate";
import { Pill } from "../../components/badges";
import { formatDate, humanize, timeAgo } from "../../components/format";
import { Button, Card, EmptyState, InlineError, PageHeader, QueryState } from "../../components/ui";
import { SetupWizard } from "./SetupWizard";

const HEALTH_TONE = { ok: "good", failing: "bad", unknown: "neutral" } as const;
const DELIVERY_TONE = { delivered: "good", queued: "warn", delivering: "info", dead_letter: "bad" } as const;

function CatalogueCard({ onSetUp }: { onSetUp: (entry: CatalogueEntry) => void }) {
  const canWrite = useCan("integrations:write");
  const catalogue = useCatalogue();
  return (
    <Card title="Catalogue" id="catalogue">
      <QueryState query={catalogue}>
        {(data) => (
          <>
            <ul className="integration-catalogue">
              {data.channels.map((entry) => (
                <li key={entry.kind} className="integration-tile">
                  <strong>{entry.label}</strong>
                  <span className="muted small">{entry.description}</span>
                  {canWrite && <Button size="sm" variant="primary" icon="plus" onClick={() => onSetUp(entry)} aria-label={`Set up ${entry.label}`}>Set up</Button>}
                </li>
              ))}
            </ul>
            <p className="muted small">Events rules can route:{" "}
              {data.events.map((event, index) => (
                <span key={event.type} title={event.reason ?? undefined}>{index > 0 && " · "}{event.description}{!event.available && " (module not installed)"}</span>
              ))}
            </p>
          </>
        )}
      </QueryState>
    </Card>
  );
}

function ResumeCard({ onResume }: { onResume: (session: WizardSession) => void }) {
  const sessions = useWizardSessions();
  if (!sessions.data?.length) return null;
  return (
    <Card title="Unfinished setups" id="resume">
      <ul className="plain-list">
        {sessions.data.map((session) => (
          <li key={session.id}>
            <strong>{session.name}</strong> <span className="muted">({humanize(session.kind)}, at step {session.step}, expires {timeAgo(session.expires_at)})</span>{" "}
            <Button size="sm" onClick={() => onResume(session)}>Resume</Button>
          </li>
        ))}
      </ul>
    </Card>
  );
}

function IntegrationsCard() {
  const canWrite = useCan("integrations:write");
  const integrations = useIntegrations();
  const check = useCheckIntegration();
  return (
    <Card title="Integrations and health" id="integrations">
      <QueryState query={integrations} isEmpty={(items) => items.length === 0} empty={<EmptyState title="No integration yet" icon="plus"><p>Set one up from the catalogue.</p></EmptyState>}>
        {(items) => (
          <table className="simple-table" data-testid="integrations-table">
            <thead><tr><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Destination</th><th scope="col">Health</th><th scope="col">Last success</th><th scope="col">Last error</th><th scope="col">Latency</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {items.map((item) => {
                const settings = item.settings as Record<string, unknown>;
                const destination = String(settings.url ?? settings.base_url ?? settings.host ?? "");
                return (
                  <tr key={item.id}>
                    <td>{item.name}{!item.enabled && <> <Pill>disabled</Pill></>}</td>
                    <td>{humanize(item.kind)}</td>
                    <td className="mono small">{destination}</td>
                    <td><Pill tone={HEALTH_TONE[item.status.state]}>{item.status.state}</Pill></td>
                    <td className="small">{item.status.last_success_at ? timeAgo(item.status.last_success_at) : "—"}</td>
                    <td className="small">{item.status.last_error ? <span title={item.status.last_error_at ? formatDate(item.status.last_error_at) : undefined}>{item.status.last_error}</span> : "—"}</td>
                    <td className="small">{item.status.latency_ms != null ? `${item.status.latency_ms} ms` : "—"}</td>
                    <td>{canWrite && <Button size="sm" icon="refresh" busy={check.isPending && check.variables === item.id} onClick={() => check.mutate(item.id)}>Check now</Button>}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </QueryState>
      {check.isError && <InlineError error={check.error} />}
    </Card>
  );
}

function RulesCard() {
  const canWrite = useCan("integrations:write");
  const rules = useRules();
  const integrations = useIntegrations();
  const remove = useDeleteRule();
  const names = new Map((integrations.data ?? []).map((item) => [item.id, item.name]));
  return (
    <Card title="Routing rules" id="rules">
      <QueryState query={rules} isEmpty={(items) => items.length === 0} empty={<EmptyState title="No routing rule" icon="filter"><p>The wizard's last step adds one.</p></EmptyState>}>
        {(items) => (
          <table className="simple-table">
            <thead><tr><th scope="col">Rule</th><th scope="col">Events</th><th scope="col">From severity</th><th scope="col">Tools</th><th scope="col">Target contains</th><th scope="col">Sends to</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {items.map((rule) => (
                <tr key={rule.id}>
                  <td>{rule.name}{!rule.enabled && <> <Pill>disabled</Pill></>}</td>
                  <td className="small">{rule.event_types.join(", ")}</td>
                  <td>{rule.min_severity}</td>
                  <td className="small">{rule.tools.join(", ") || "any"}</td>
                  <td className="small">{rule.target_contains ?? "—"}</td>
                  <td className="small">{rule.integration_ids.map((id) => names.get(id) ?? id).join(", ")}</td>
                  <td>{canWrite && <Button size="sm" variant="ghost" icon="trash" aria-label={`Delete rule ${rule.name}`} busy={remove.isPending && remove.variables === rule.id} onClick={() => remove.mutate(rule.id)} />}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryState>
    </Card>
  );
}

function DeliveriesCard() {
  const canWrite = useCan("integrations:write");
  const [state, setState] = useState<DeliveryState | null>(null);
  const deliveries = useDeliveries(state);
  const redeliver = useRedeliver();
  return (
    <Card title="Delivery log" id="deliveries" actions={
      <>
        <label className="sr-only" htmlFor="delivery-state">Delivery state</label>
        <select id="delivery-state" value={state ?? ""} onChange={(event) => setState((event.target.value || null) as DeliveryState | null)}>
          <option value="">All deliveries</option>
          <option value="queued">Queued (retrying)</option>
          <option value="delivered">Delivered</option>
          <option value="dead_letter">Dead-letter list</option>
        </select>
      </>}>
      <QueryState query={deliveries} isEmpty={(page) => page.total === 0} empty={<EmptyState title={state === "dead_letter" ? "Nothing in the dead-letter list" : "No delivery yet"} icon="check" />}>
        {(page) => (
          <table className="simple-table" data-testid="deliveries-table">
            <thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Integration</th><th scope="col">State</th><th scope="col">Attempts</th><th scope="col">Next attempt / error</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {page.items.map((item) => (
                <tr key={item.id}>
                  <td className="small">{timeAgo(item.created_at)}</td>
                  <td><div className="cell-title"><span className="cell-main">{item.title}</span><span className="cell-sub">{item.event_type} · {item.severity}</span></div></td>
                  <td>{item.integration_name ?? item.integration_id}</td>
                  <td><Pill tone={DELIVERY_TONE[item.state]}>{humanize(item.state)}</Pill></td>
                  <td>{item.attempts}</td>
                  <td className="small">{item.state === "queued" && item.next_attempt_at ? `retry ${timeAgo(item.next_attempt_at)}` : ""}{item.last_error ? ` ${item.last_error}` : item.state === "delivered" && item.delivered_at ? formatDate(item.delivered_at) : ""}</td>
                  <td>{canWrite && item.state === "dead_letter" && <Button size="sm" busy={redeliver.isPending && redeliver.variables === item.id} onClick={() => redeliver.mutate(item.id)}>Send again</Button>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryState>
      {redeliver.isError && <InlineError error={redeliver.error} />}
    </Card>
  );
}

export default function IntegrationsPage() {
  const catalogue = useCatalogue();
  const [wizard, setWizard] = useState<{ entry: CatalogueEntry; session: WizardSession | null } | null>(null);
  const resume = (session: WizardSession) => {
    const entry = catalogue.data?.channels.find((item) => item.kind === session.kind);
    if (entry) setWizard({ entry, session });
  };
  return (
    <div className="page">
      <PageHeader title="Integrations" subtitle="Notifications to Slack, Teams, signed webhooks and e-mail, routed by rules; Jira tickets; delivery log and connection health" />
      <CatalogueCard onSetUp={(entry) => setWizard({ entry, session: null })} />
      <ResumeCard onResume={resume} />
      <IntegrationsCard />
      <RulesCard />
      <DeliveriesCard />
      {wizard && <SetupWizard entry={wizard.entry} session={wizard.session} events={catalogue.data?.events ?? []} onClose={() => setWizard(null)} />}
    </div>
  );
}
