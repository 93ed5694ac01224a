/**
 * Cloud resources: filters (type, account, region, text), the resource list, discovery runs with
 * their diff counts, and a drawer per asset with its attributes, discovery timeline and findings.
 */
import { useEffect, useState } from "react";
import { useCloudAccounts } from "../../api/hooks/cloudAccounts";
import { useCloudAsset, useCloudAssets, useDiscover, useDiscoveryRuns, type CloudAssetFilters } from "../../api/hooks/inventory";
import { useCan } from "../../app/AuthGate";
import { Pill, SeverityBadge } from "../../components/badges";
import { formatDateTime, formatNumber, timeAgo } from "../../components/format";
import { Button, Card, Drawer, EmptyState, InlineError, QueryState } from "../../components/ui";
import type { Severity } from "../../api/types";

const RUN_TONE = { succeeded: "good", partial: "warn", failed: "bad", queued: "info", running: "info" } as const;
const CHANGE_TONE = { added: "good", removed: "bad", changed: "warn" } as const;

function display(value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function AssetDrawer({ assetId, onClose }: { assetId: string | null; onClose: () => void }) {
  const asset = useCloudAsset(assetId);
  return (
    <Drawer open={!!assetId} onClose={onClose} title={asset.data ? <><strong>{asset.data.name ?? asset.data.resource_id}</strong><span className="muted small"> {asset.data.resource_type}</span></> : "Asset"}>
      <QueryState query={asset}>
        {(data) => (
          <div className="stack" data-testid="asset-detail">
            <p className="mono small">{data.resource_id}</p>
            <p className="muted small">Region {data.region ?? "global"} · first seen {formatDateTime(data.first_seen)} · last seen {timeAgo(data.last_seen)}{data.removed_at && <> · <Pill tone="bad">removed {timeAgo(data.removed_at)}</Pill></>}</p>
            <h3>Attributes</h3>
            <table className="simple-table"><tbody>
              {Object.entries(data.attributes).map(([key, value]) => <tr key={key}><th scope="row">{key}</th><td className="mono small">{display(value)}</td></tr>)}
              {Object.entries(data.tags).map(([key, value]) => <tr key={`tag-${key}`}><th scope="row">tag {key}</th><td className="mono small">{value}</td></tr>)}
            </tbody></table>
            <h3>Timeline</h3>
            <ol className="timeline" aria-label="Discovery timeline">
              {data.timeline.map((event) => (
                <li key={`${event.run_id}-${event.kind}`}>
                  <div>
                    <Pill tone={CHANGE_TONE[event.kind as keyof typeof CHANGE_TONE] ?? "neutral"}>{event.kind}</Pill> <span className="small">{formatDateTime(event.at)}</span>
                    {event.fields.length > 0 && <ul className="small timeline-fields">{event.fields.map((field) => <li key={field.field}><span className="mono">{field.field}</span>: {display(field.before)} → {display(field.after)}</li>)}</ul>}
                  </div>
                </li>
              ))}
            </ol>
            <h3>Findings</h3>
            {data.findings.length === 0 ? <p className="muted">No finding names this resource.</p> : (
              <table className="simple-table">
                <thead><tr><th scope="col">Severity</th><th scope="col">Finding</th><th scope="col">Tool</th><th scope="col">Status</th></tr></thead>
                <tbody>{data.findings.map((finding) => <tr key={finding.id}><td><SeverityBadge severity={finding.severity as Severity} /></td><td>{finding.title}</td><td>{finding.source_tool}</td><td>{finding.status}</td></tr>)}</tbody>
              </table>
            )}
          </div>
        )}
      </QueryState>
    </Drawer>
  );
}

function DiscoveryCard() {
  const canDiscover = useCan("assets:write");
  const canListAccounts = useCan("targets:read");
  const canWrite = canDiscover && canListAccounts;
  const accounts = useCloudAccounts(canWrite);
  const runs = useDiscoveryRuns();
  const discover = useDiscover();
  const [account, setAccount] = useState("");
  const chosen = account || accounts.data?.[0]?.id || "";
  return (
    <Card title="Discovery runs" id="discovery" actions={canWrite && (accounts.data?.length ? (
      <>
        <label className="sr-only" htmlFor="discover-account">Cloud account</label>
        <select id="discover-account" value={chosen} onChange={(event) => setAccount(event.target.value)}>
          {accounts.data.map((item) => <option key={item.id} value={item.id}>{item.name} ({item.provider})</option>)}
        </select>
        <Button busy={discover.isPending} onClick={() => discover.mutate(chosen)}>Discover now</Button>
      </>) : <span className="muted small">Add a cloud account under Scans to discover its resources.</span>)}>
      {discover.isError && <InlineError error={discover.error} />}
      <QueryState query={runs} isEmpty={(list) => list.length === 0} empty={<EmptyState title="No discovery yet" icon="assets"><p>Discovery lists every resource of a cloud account and records what was added, removed or changed since the last run.</p></EmptyState>}>
        {(list) => (
          <table className="simple-table" data-testid="discovery-runs">
            <thead><tr><th scope="col">Account</th><th scope="col">State</th><th scope="col">Added</th><th scope="col">Changed</th><th scope="col">Removed</th><th scope="col">Total</th><th scope="col">Started</th><th scope="col">Problems</th></tr></thead>
            <tbody>
              {list.map((run) => (
                <tr key={run.run_id}>
                  <td>{run.account_name ?? run.account_id} <span className="muted small">{run.source ?? run.provider}</span></td>
                  <td><Pill tone={RUN_TONE[run.state as keyof typeof RUN_TONE] ?? "neutral"}>{run.state}</Pill></td>
                  <td>{formatNumber(run.counts.added ?? 0)}</td><td>{formatNumber(run.counts.changed ?? 0)}</td><td>{formatNumber(run.counts.removed ?? 0)}</td><td>{formatNumber(run.counts.total ?? 0)}</td>
                  <td>{timeAgo(run.started_at)}</td>
                  <td className="small">{run.errors.slice(0, 2).map((error) => `${error.scope}: ${error.reason}`).join("; ") || "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryState>
    </Card>
  );
}

export function CloudResourcesTab() {
  const [filters, setFilters] = useState<CloudAssetFilters>({});
  const [text, setText] = useState("");
  const [selected, setSelected] = useState<string | null>(null);
  useEffect(() => { const timer = setTimeout(() => setFilters((current) => ({ ...current, q: text })), 300); return () => clearTimeout(timer); }, [text]);
  const assets = useCloudAssets(filters);
  const facets = assets.data?.facets;
  // Assets carry the account's id; its name comes from the accounts list when the user may read it.
  const accounts = useCloudAccounts(useCan("targets:read"));
  const accountName = (id: string) => accounts.data?.find((account) => account.id === id)?.name ?? id;
  const select = (name: "type" | "account_id" | "region", label: string, options: string[], show = (option: string) => option) => (
    <>
      <label className="sr-only" htmlFor={`asset-${name}`}>{label}</label>
      <select id={`asset-${name}`} value={filters[name] ?? ""} onChange={(event) => setFilters({ ...filters, [name]: event.target.value || undefined })}>
        <option value="">All {label.toLowerCase()}s</option>
        {options.map((option) => <option key={option} value={option}>{show(option)}</option>)}
      </select>
    </>
  );
  return (
    <>
      <Card title="Cloud resources" id="cloud-resources" actions={facets && (
        <>
          {select("type", "Type", facets.resource_type)}
          {select("account_id", "Account", facets.account_id, accountName)}
          {select("region", "Region", facets.region)}
          <label className="check-row small"><input type="checkbox" checked={!!filters.include_removed} onChange={(event) => setFilters({ ...filters, include_removed: event.target.checked })} /> Removed too</label>
          <label className="sr-only" htmlFor="asset-search">Search resources</label>
          <input id="asset-search" type="search" placeholder="Name or id" value={text} onChange={(event) => setText(event.target.value)} />
        </>)}>
        <QueryState query={assets} isEmpty={(page) => page.total === 0} empty={<EmptyState title="No cloud resources" icon="assets"><p>Run a discovery of a cloud account below, or change the filters.</p></EmptyState>}>
          {(page) => (
            <>
              <p className="muted small">{formatNumber(page.total)} resources{page.total > page.items.length && `, first ${page.items.length} shown`}</p>
              <table className="simple-table" data-testid="cloud-assets">
                <thead><tr><th scope="col">Resource</th><th scope="col">Type</th><th scope="col">Region</th><th scope="col">Account</th><th scope="col">Last seen</th></tr></thead>
                <tbody>
                  {page.items.map((asset) => (
                    <tr key={asset.id}>
                      <td><button type="button" className="link-button" onClick={() => setSelected(asset.id)}><span className="cell-main">{asset.name ?? asset.resource_id}</span></button><div className="cell-sub mono small">{asset.resource_id}</div></td>
                      <td className="mono small">{asset.resource_type}</td>
                      <td>{asset.region ?? "global"}</td>
                      <td className={accountName(asset.account_id) === asset.account_id ? "mono small" : undefined}>{accountName(asset.account_id)}</td>
                      <td>{asset.removed_at ? <Pill tone="bad">removed</Pill> : timeAgo(asset.last_seen)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </QueryState>
      </Card>
      <DiscoveryCard />
      <AssetDrawer assetId={selected} onClose={() => setSelected(null)} />
    </>
  );
}
