import { useFinding } from "../../api/hooks/findings";
import { useMembers } from "../../api/hooks/teams";
import type { FindingDetail } from "../../api/types";
import { useCan } from "../../app/AuthGate";
import { useModuleOn } from "../../app/modules";
import { SeverityBadge, StatusBadge } from "../../components/badges";
import { formatDate, formatDateTime, humanize, STATUS_LABEL, timeAgo } from "../../components/format";
import { Markdown } from "../../components/Markdown";
import { Button, Drawer, ErrorState, Skeleton } from "../../components/ui";
import { MappedControls } from "./MappedControls";
import { ThreatContext } from "./ThreatContext";
import type { TriageAction } from "./TriageDialog";

function Facts({ finding }: { finding: FindingDetail }) {
  const resource = finding.resource as Record<string, unknown>;
  const rows: [string, React.ReactNode][] = [
    ["Tool", humanize(finding.source_tool)],
    ["Rule", <code key="rule">{finding.rule_id}</code>],
    ["Category", humanize(finding.category)],
    ["Result", humanize(finding.result)],
    ["Resource", <code key="res" className="break">{String(resource.id ?? resource.name ?? "—")}</code>],
    ["Resource type", String(resource.type ?? "—")],
    ["Region", String(resource.region ?? "—")],
    ["Account", String(resource.account ?? resource.account_id ?? "—")],
    ["First seen", formatDateTime(finding.first_seen)],
    ["Last seen", `${formatDateTime(finding.last_seen)} (${finding.times_seen}×)`],
    ["SLA due", finding.sla_due_at ? <span key="sla" className={finding.overdue ? "overdue" : ""}>{formatDate(finding.sla_due_at)}{finding.overdue ? " · overdue" : ""}</span> : "—"],
    ["Assignee", finding.assignee ?? "Unassigned"],
  ];
  if (finding.package) {
    const pkg = finding.package as Record<string, unknown>;
    rows.push(["Package", `${pkg.name ?? ""} ${pkg.version ?? ""}`.trim() || "—"]);
    if (pkg.fixed_version) rows.push(["Fixed in", String(pkg.fixed_version)]);
  }
  if (finding.cve_ids.length) rows.push(["CVE", finding.cve_ids.join(", ")]);
  if (finding.cwe_ids.length) rows.push(["CWE", finding.cwe_ids.join(", ")]);
  if (finding.cvss_score != null) rows.push(["CVSS", `${finding.cvss_score}${finding.cvss_vector ? ` · ${finding.cvss_vector}` : ""}`]);
  if (finding.epss_score != null) rows.push(["EPSS", `${(finding.epss_score * 100).toFixed(1)}%`]);
  return (
    <dl className="facts">
      {rows.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function History({ finding }: { finding: FindingDetail }) {
  const members = useMembers();
  const names = new Map(members.data?.map((member) => [member.user_id, member.display_name ?? member.email]));
  if (!finding.history.length) return <p className="muted">No status changes yet.</p>;
  const entries = [...finding.history].sort((a, b) => String(b.at).localeCompare(String(a.at)));
  return (
    <ol className="timeline">
      {entries.map((entry, index) => {
        const to = String(entry.to_status) as keyof typeof STATUS_LABEL;
        const from = entry.from_status ? String(entry.from_status) as keyof typeof STATUS_LABEL : null;
        const actor = String(entry.actor ?? "");
        return (
          <li key={index}>
            <div className="timeline-dot" aria-hidden="true" />
            <div>
              <div className="timeline-title">
                {from ? `${STATUS_LABEL[from] ?? from} → ` : ""}<strong>{STATUS_LABEL[to] ?? to}</strong>
              </div>
              <div className="timeline-meta">
                {names.get(actor) ?? (actor.startsWith("scan") || actor.startsWith("system") ? humanize(actor) : actor || "system")} · <span title={formatDateTime(String(entry.at))}>{timeAgo(String(entry.at))}</span>
              </div>
              {entry.reason ? <p className="timeline-reason">{String(entry.reason)}</p> : null}
            </div>
          </li>
        );
      })}
    </ol>
  );
}

export function FindingDrawer({ findingId, onClose, onAction }: { findingId: string | null; onClose: () => void; onAction: (action: TriageAction, id: string) => void }) {
  const query = useFinding(findingId);
  const canWrite = useCan("findings:write");
  const complianceOn = useModuleOn("compliance");
  const showControls = useCan("compliance:read") && complianceOn;
  const finding = query.data;
  return (
    <Drawer
      open={!!findingId}
      onClose={onClose}
      title={finding ? <><SeverityBadge severity={finding.severity} /> <StatusBadge status={finding.status} /></> : "Finding"}
    >
      {query.isPending && <Skeleton rows={8} />}
      {query.isError && <ErrorState error={query.error} onRetry={() => query.refetch()} />}
      {finding && (
        <article className="finding-detail">
          <h2 className="detail-title">{finding.title}</h2>
          {canWrite && (
            <div className="detail-actions" aria-label="Triage">
              {finding.status !== "false_positive" && <Button size="sm" onClick={() => onAction("false_positive", finding.id)}>False positive</Button>}
              {finding.status !== "risk_accepted" && <Button size="sm" onClick={() => onAction("risk_accepted", finding.id)}>Accept risk</Button>}
              <Button size="sm" onClick={() => onAction("assign", finding.id)}>Assign</Button>
              {!["open", "reopened"].includes(finding.status) && <Button size="sm" onClick={() => onAction("open", finding.id)}>Reopen</Button>}
            </div>
          )}
          {finding.risk_acceptance && finding.status === "risk_accepted" && (
            <div className="callout callout-warn">
              Risk accepted by {String(finding.risk_acceptance.owner)} until {formatDate(String(finding.risk_acceptance.expires_at))}.
            </div>
          )}
          <Facts finding={finding} />
          <section>
            <h3>Priority and threat intelligence</h3>
            <ThreatContext finding={finding} />
          </section>
          {finding.description && (
            <section>
              <h3>Description</h3>
              <Markdown source={finding.description} />
            </section>
          )}
          {finding.evidence && (
            <section>
              <h3>Evidence</h3>
              <pre className="evidence">{finding.evidence}</pre>
            </section>
          )}
          {finding.remediation && (
            <section>
              <h3>Remediation</h3>
              <Markdown source={finding.remediation} />
            </section>
          )}
          {showControls && (
            <section>
              <h3>Mapped controls</h3>
              <MappedControls dedupKey={finding.dedup_key} />
            </section>
          )}
          {Object.keys(finding.compliance_tags).length > 0 && (
            <section>
              <h3>Framework tags from the tool</h3>
              <ul className="tag-groups">
                {Object.entries(finding.compliance_tags).map(([framework, ids]) => (
                  <li key={framework}>
                    <span className="tag-group-name">{framework}</span>
                    <span className="tags">{ids.slice(0, 12).map((id) => <span key={id} className="tag">{id}</span>)}{ids.length > 12 && <span className="muted small"> +{ids.length - 12}</span>}</span>
                  </li>
                ))}
              </ul>
            </section>
          )}
          {finding.references.length > 0 && (
            <section>
              <h3>References</h3>
              <ul className="refs">
                {finding.references.slice(0, 8).map((url) => (
                  <li key={url}>
                    {/^https?:\/\//.test(url) ? <a href={url} target="_blank" rel="noreferrer noopener">{url}</a> : url}
                  </li>
                ))}
              </ul>
            </section>
          )}
          <section>
            <h3>History</h3>
            <History finding={finding} />
          </section>
        </article>
      )}
    </Drawer>
  );
}
