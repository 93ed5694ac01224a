import { useState } from "react";
import { useAuditEvents, type AuditFilters } from "../../api/hooks/audit";
import { useCurrentUser } from "../../app/AuthGate";
import { Pill } from "../../components/badges";
import { formatDateTime, humanize } from "../../components/format";
import { Button, Card, EmptyState, ErrorState, Skeleton, Tabs } from "../../components/ui";

export function AuditTab() {
  const me = useCurrentUser();
  const [scope, setScope] = useState<"team" | "platform">("team");
  const [filters, setFilters] = useState<AuditFilters>({});
  const events = useAuditEvents(scope, filters);
  const rows = events.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <Card
      title="Audit log"
      actions={me.is_platform_admin && <Tabs label="Audit scope" value={scope} onChange={setScope} tabs={[{ id: "team", label: "This team" }, { id: "platform", label: "Whole platform" }]} />}
    >
      <div className="filterbar">
        <label className="inline-field">
          Action
          <input value={filters.action ?? ""} placeholder='e.g. auth. or team.invite' pattern="[a-z0-9_.:]*" onChange={(event) => setFilters({ ...filters, action: event.target.value.toLowerCase() || undefined })} />
        </label>
        <label className="inline-field">
          Outcome
          <select value={filters.outcome ?? ""} onChange={(event) => setFilters({ ...filters, outcome: (event.target.value || undefined) as AuditFilters["outcome"] })}>
            <option value="">Any</option>
            <option value="success">Success</option>
            <option value="failure">Failure</option>
            <option value="denied">Denied</option>
          </select>
        </label>
      </div>
      {events.isPending ? <Skeleton rows={6} /> : events.isError ? <ErrorState error={events.error} onRetry={() => events.refetch()} /> : rows.length === 0 ? (
        <EmptyState title="No events match" icon="activity" />
      ) : (
        <>
          <table className="simple-table">
            <thead><tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">Outcome</th><th scope="col">Actor</th><th scope="col">Target</th><th scope="col">IP</th></tr></thead>
            <tbody>
              {rows.map((event) => (
                <tr key={event.id}>
                  <td className="nowrap">{formatDateTime(event.at)}</td>
                  <td><code>{event.action}</code></td>
                  <td><Pill tone={event.outcome === "success" ? "good" : event.outcome === "denied" ? "bad" : "warn"}>{humanize(event.outcome)}</Pill></td>
                  <td className="mono small">{event.actor_id === me.id ? "you" : event.actor_id ?? "—"}{event.via === "api_token" && " (token)"}</td>
                  <td className="small" title={event.target_id ?? undefined}>
                    {event.target_type ? <>{humanize(event.target_type)} <strong>{targetLabel(event)}</strong></> : "—"}
                  </td>
                  <td className="mono small">{event.ip ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {events.hasNextPage && (
            <div className="load-more"><Button busy={events.isFetchingNextPage} onClick={() => events.fetchNextPage()}>Load older events</Button></div>
          )}
        </>
      )}
    </Card>
  );
}

/** What a reader recognises: the name recorded with the event (or in its details), else the id. */
function targetLabel(event: { target_name?: string | null; target_id?: string | null; details: Record<string, unknown> }): string {
  const named = typeof event.details.name === "string" ? event.details.name : null;
  return event.target_name ?? named ?? event.target_id ?? "";
}
