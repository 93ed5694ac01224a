import { useEffect, useState } from "react";
import { useAssets, useComponents } from "../../api/hooks/assets";
import { formatNumber, timeAgo } from "../../components/format";
import { Button, Card, EmptyState, ErrorState, QueryState, Skeleton } from "../../components/ui";

/** Software components (SBOM, from syft) of each scanned directory or image. */
export function SbomTab() {
  const assets = useAssets();
  const [asset, setAsset] = useState("");
  const [text, setText] = useState("");
  const [q, setQ] = useState("");
  useEffect(() => { const timer = setTimeout(() => setQ(text), 300); return () => clearTimeout(timer); }, [text]);
  const components = useComponents({ q, asset });
  const rows = components.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <>
      <Card title="Scanned assets" id="assets">
        <QueryState query={assets} isEmpty={(list) => list.length === 0} empty={<EmptyState title="No SBOM yet" icon="assets"><p>Scan a directory or container image with syft to inventory its components.</p></EmptyState>}>
          {(list) => (
            <div className="asset-grid">
              {list.map((item) => (
                <button key={item.asset_id} type="button" className={`asset-card ${asset === item.asset_id ? "asset-card-active" : ""}`} aria-pressed={asset === item.asset_id} onClick={() => setAsset(asset === item.asset_id ? "" : item.asset_id)}>
                  <span className="asset-name mono">{item.asset_id}</span>
                  <span className="muted small">{formatNumber(item.component_count)} components · updated {timeAgo(item.updated_at)}</span>
                </button>
              ))}
            </div>
          )}
        </QueryState>
      </Card>
      <Card title={asset ? `Components of ${asset}` : "All components"} id="components" actions={
        <><label className="sr-only" htmlFor="component-search">Search components</label><input id="component-search" type="search" placeholder="Name or purl" value={text} onChange={(event) => setText(event.target.value)} /></>}>
        {components.isPending ? <Skeleton rows={6} /> : components.isError ? <ErrorState error={components.error} onRetry={() => components.refetch()} /> : rows.length === 0 ? <EmptyState title="No components match" icon="filter" /> : (
          <>
            <table className="simple-table">
              <thead><tr><th scope="col">Component</th><th scope="col">Version</th><th scope="col">Type</th><th scope="col">Licenses</th><th scope="col">Found in</th>{!asset && <th scope="col">Asset</th>}</tr></thead>
              <tbody>
                {rows.map((component) => (
                  <tr key={component.id}>
                    <td><div className="cell-title"><span className="cell-main">{component.name}</span>{component.purl && <span className="cell-sub mono">{component.purl}</span>}</div></td>
                    <td className="mono">{component.version ?? "—"}</td>
                    <td>{component.type ?? "—"}</td>
                    <td>{component.licenses.length ? <span className="tags">{component.licenses.map((license) => <span key={license} className="tag">{license}</span>)}</span> : <span className="muted">Unknown</span>}</td>
                    <td className="mono small">{component.locations.slice(0, 2).join(", ")}</td>
                    {!asset && <td className="mono small">{component.asset_id}</td>}
                  </tr>
                ))}
              </tbody>
            </table>
            {components.hasNextPage && <div className="load-more"><Button busy={components.isFetchingNextPage} onClick={() => components.fetchNextPage()}>Load more</Button></div>}
          </>
        )}
      </Card>
    </>
  );
}
