/**
 * Threat intelligence: which open findings are known exploited (CISA KEV) first, then the EPSS
 * distribution of open CVEs, the team's indicators with their import, the indicator matches on
 * the team's assets with their STIX context, and the health of the feeds.
 */
import { useEffect, useState } from "react";
import { Link } from "react-router-dom";
import { useCorrelations, useEpss, useIndicators, useIntelSources, useKev } from "../../api/hooks/threatIntel";
import { useCan } from "../../app/AuthGate";
import { Pill } from "../../components/badges";
import { formatDate, formatNumber, humanize, timeAgo } from "../../components/format";
import { Button, Card, EmptyState, PageHeader, QueryState } from "../../components/ui";
import { IndicatorImportDialog } from "./IndicatorImportDialog";

const STATE_TONE = { optimal: "good", degraded: "warn", down: "bad" } as const;

function useDebounced(value: string, delay = 300): string {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => { const timer = setTimeout(() => setDebounced(value), delay); return () => clearTimeout(timer); }, [value, delay]);
  return debounced;
}

function isPastDue(due: string, today = new Date().toISOString().slice(0, 10)): boolean {
  return due < today;
}

function KevCard() {
  const [matched, setMatched] = useState(true);
  const [text, setText] = useState("");
  const q = useDebounced(text);
  const kev = useKev({ q, matched });
  const data = kev.data;
  return (
    <Card title="Known exploited vulnerabilities (CISA KEV)" id="kev" actions={
      <>
        <label className="check-row small"><input type="checkbox" checked={matched} onChange={(event) => setMatched(event.target.checked)} /> Only entries with our open findings</label>
        <label className="sr-only" htmlFor="kev-search">Search KEV</label>
        <input id="kev-search" type="search" placeholder="CVE, vendor or product" value={text} onChange={(event) => setText(event.target.value)} />
      </>}>
      <QueryState query={kev}>
        {() => data && (
          <>
            <p className="ti-headline" data-testid="kev-summary">
              <strong className={data.open_findings_known_exploited ? "kpi-bad" : undefined}>{formatNumber(data.open_findings_known_exploited)}</strong> open findings are known exploited;{" "}
              <strong className={data.open_findings_past_due ? "kpi-bad" : undefined}>{formatNumber(data.open_findings_past_due)}</strong> are past CISA&apos;s due date.
              {data.open_findings_known_exploited > 0 && <> <Link to="/findings?kev=true&status=open&status=reopened&sort=priority&order=desc">Show them in findings</Link></>}
            </p>
            <p className="muted small">Catalogue {data.catalogue_version ?? "—"} of {data.catalogue_date ?? "unknown date"} · {formatNumber(data.total)} {matched ? "entries match our findings" : "entries"}</p>
            {data.items.length === 0 ? <EmptyState title={matched ? "No open finding has a KEV CVE" : "No KEV entry matches"} icon="check" /> : (
              <table className="simple-table">
                <thead><tr><th scope="col">CVE</th><th scope="col">Vulnerability</th><th scope="col">Added</th><th scope="col">Due</th><th scope="col">Ransomware</th><th scope="col">Required action</th><th scope="col">Open findings</th></tr></thead>
                <tbody>
                  {data.items.map((entry) => (
                    <tr key={entry.cve_id}>
                      <td className="mono">{entry.cve_id}</td>
                      <td><div className="cell-title"><span className="cell-main">{entry.vulnerability_name}</span><span className="cell-sub">{entry.vendor_project} · {entry.product}</span></div></td>
                      <td>{entry.date_added}</td>
                      <td className={isPastDue(entry.due_date) && entry.open_findings ? "overdue" : undefined}>{entry.due_date}</td>
                      <td>{entry.known_ransomware_campaign_use === "Known" ? <Pill tone="bad">Known</Pill> : <span className="muted">Unknown</span>}</td>
                      <td className="small">{entry.required_action}</td>
                      <td>{entry.open_findings ? <Link to={`/findings?cve=${encodeURIComponent(entry.cve_id)}&status=open&status=reopened`}>{formatNumber(entry.open_findings)}</Link> : "0"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        )}
      </QueryState>
    </Card>
  );
}

function EpssCard() {
  const epss = useEpss();
  return (
    <Card title="EPSS of open CVE findings" id="epss">
      <QueryState query={epss}>
        {(data) => {
          const bands = data.distribution;
          const largest = Math.max(1, ...bands.map((band) => band.open_findings));
          const total = bands.reduce((sum, band) => sum + band.open_findings, 0);
          return total === 0 ? <EmptyState title="No open finding with a CVE" icon="check" /> : (
            <>
              <p className="muted small">Probability of exploitation in the next 30 days (FIRST EPSS{data.feed_date ? ` of ${data.feed_date}` : ""}, or the scanner&apos;s score when newer).</p>
              <ul className="hbars" aria-label="Open CVE findings by EPSS band">
                {[...bands].reverse().map((band) => (
                  <li key={band.band}>
                    <span className="hbar-label">{band.band === "unknown" ? "No score" : band.band}</span>
                    <span className="hbar-track"><span className="hbar-fill" style={{ width: `${(band.open_findings / largest) * 100}%` }} /></span>
                    <span className="hbar-value">{formatNumber(band.open_findings)}</span>
                  </li>
                ))}
              </ul>
              <p className="small"><Link to="/findings?epss_min=0.5&status=open&status=reopened&sort=priority&order=desc">Open findings with EPSS ≥ 0.5</Link></p>
            </>
          );
        }}
      </QueryState>
    </Card>
  );
}

function IndicatorsCard() {
  const canWrite = useCan("threat_intel:write");
  const [importing, setImporting] = useState(false);
  const [text, setText] = useState("");
  const q = useDebounced(text);
  const indicators = useIndicators(q);
  return (
    <Card title="Indicators" id="indicators" actions={
      <>
        <label className="sr-only" htmlFor="indicator-search">Search indicators</label>
        <input id="indicator-search" type="search" placeholder="Value, name or malware" value={text} onChange={(event) => setText(event.target.value)} />
        {canWrite && <Button size="sm" variant="primary" icon="upload" onClick={() => setImporting(true)}>Import indicators</Button>}
      </>}>
      <QueryState query={indicators} isEmpty={(page) => page.total === 0} empty={<EmptyState title={q ? "No indicator matches" : "No indicators yet"} icon="filter"><p>Import a STIX 2.1 bundle, a CSV list or a MISP event.</p></EmptyState>}>
        {(page) => (
          <>
            <p className="muted small">{formatNumber(page.total)} indicators{page.total > page.items.length ? `, newest ${page.items.length} shown` : ""}</p>
            <table className="simple-table ti-table">
              <thead><tr><th scope="col">Indicator</th><th scope="col">Values</th><th scope="col">Context</th><th scope="col">TLP</th><th scope="col">Valid until</th><th scope="col">Source</th></tr></thead>
              <tbody>
                {page.items.map((indicator) => (
                  <tr key={indicator.id}>
                    <td><div className="cell-title"><span className="cell-main">{indicator.name ?? indicator.stix_id}</span><span className="cell-sub mono">{indicator.pattern ?? indicator.pattern_type}</span></div></td>
                    <td className="mono small">{indicator.observables.slice(0, 3).map((item) => `${item.type} ${item.value}`).join(", ") || <span className="muted">not matchable</span>}{indicator.observables.length > 3 && ` +${indicator.observables.length - 3}`}</td>
                    <td>{indicator.context.length ? <span className="tags">{indicator.context.slice(0, 3).map((ref) => <span key={ref.stix_id} className="tag">{humanize(ref.type)}: {ref.name}</span>)}</span> : <span className="muted">—</span>}</td>
                    <td>{indicator.tlp ? <Pill tone={indicator.tlp === "red" ? "bad" : indicator.tlp === "amber" ? "warn" : "neutral"}>TLP:{indicator.tlp.toUpperCase()}</Pill> : "—"}</td>
                    <td>{indicator.expired ? <Pill tone="warn">expired</Pill> : indicator.valid_until ? formatDate(indicator.valid_until) : "—"}</td>
                    <td className="small">{indicator.source}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </QueryState>
      <IndicatorImportDialog open={importing} onClose={() => setImporting(false)} />
    </Card>
  );
}

export function CorrelationList({ findingId }: { findingId?: string }) {
  const correlations = useCorrelations(findingId);
  return (
    <QueryState query={correlations} isEmpty={(page) => page.total === 0} empty={<EmptyState title="No indicator matches an asset" icon="check"><p>Indicators are matched against Nmap hosts, web URLs and domains, TLS endpoints, the IPs and DNS names of cloud resources, and the file digests in syft SBOMs.</p></EmptyState>}>
      {(page) => (
        <table className="simple-table ti-table" aria-label="Indicator matches">
          <thead><tr><th scope="col">Indicator</th><th scope="col">Matched on</th><th scope="col">Context</th><th scope="col">Seen</th></tr></thead>
          <tbody>
            {page.items.map((item) => (
              <tr key={item.id}>
                <td><div className="cell-title"><span className="cell-main mono">{item.indicator_type} {item.indicator_value}</span><span className="cell-sub">{item.indicator_name ?? item.stix_id}{item.confidence != null ? ` · confidence ${item.confidence}` : ""}</span></div></td>
                <td><div className="cell-title">{item.asset.finding_id ? <Link className="cell-main mono" to={`/findings?finding=${encodeURIComponent(String(item.asset.finding_id))}&all=1`}>{item.matched_value}</Link> : <Link className="cell-main mono" to="/assets" title="A file an SBOM lists">{item.matched_value}</Link>}<span className="cell-sub">{item.where}</span></div></td>
                <td>{item.context.length ? <span className="tags">{item.context.map((ref) => <span key={ref.stix_id} className="tag" title={ref.relationship}>{humanize(ref.type)}: {ref.name}</span>)}</span> : <span className="muted">No STIX context</span>}</td>
                <td title={item.first_seen}>first {timeAgo(item.first_seen)} · last {timeAgo(item.last_seen)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </QueryState>
  );
}

function SourcesCard() {
  const sources = useIntelSources();
  return (
    <Card title="Feeds and sources" id="sources">
      <QueryState query={sources}>
        {(data) => (
          <>
            <ul className="ti-feeds">
              {data.feeds.map((feed) => (
                <li key={feed.feed}>
                  <Pill tone={STATE_TONE[feed.state]}>{feed.state}</Pill> <strong>{feed.title}</strong>
                  <span className="muted small"> · {feed.health}{feed.count != null ? ` · ${formatNumber(feed.count)} entries` : ""}{feed.last_attempt ? ` · last attempt ${timeAgo(feed.last_attempt)}` : ""}</span>
                  {feed.error && !feed.health.includes(feed.error) && <div className="small overdue">{feed.error}</div>}
                </li>
              ))}
            </ul>
            <h3 className="small">TAXII 2.1 collections</h3>
            {data.taxii.length === 0 ? <p className="muted small">None configured (API: POST /api/threat-intel/sources/taxii).</p> : (
              <ul className="ti-feeds">
                {data.taxii.map((source) => (
                  <li key={source.id}>
                    <Pill tone={source.last_ok == null ? "neutral" : source.last_ok ? "good" : "bad"}>{source.last_ok == null ? "not polled" : source.last_ok ? "ok" : "failed"}</Pill> <strong>{source.name}</strong>
                    <span className="muted small mono"> {source.collection_url}</span>
                    <span className="muted small">{source.last_poll_at ? ` · polled ${timeAgo(source.last_poll_at)}` : ""}{source.enabled ? "" : " · disabled"}</span>
                    {source.last_error && <div className="small overdue">{source.last_error}</div>}
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
      </QueryState>
    </Card>
  );
}

export default function ThreatIntelPage() {
  return (
    <div className="page page-threat-intel">
      <PageHeader title="Threat intelligence" subtitle="Which open findings are being exploited, and which of our assets an indicator names" />
      <KevCard />
      <div className="grid grid-ti">
        <EpssCard />
        <SourcesCard />
      </div>
      <Card title="Indicator matches on our assets" id="correlations"><CorrelationList /></Card>
      <IndicatorsCard />
    </div>
  );
}
