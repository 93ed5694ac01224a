/** The obligations checklist: what the classification and role trigger, with status, owner, evidence and progress. */
import { useState } from "react";
import { useAnswerObligation, useObligations, type AiSystem, type Obligation } from "../../api/hooks/aiGovernance";
import { Pill } from "../../components/badges";
import { humanize } from "../../components/format";
import { Button, EmptyState, InlineError, QueryState } from "../../components/ui";

const STATUSES = ["not_started", "in_progress", "met", "not_applicable"] as const;
const TONE = { not_started: "neutral", in_progress: "warn", met: "good", not_applicable: "info" } as const;

function ObligationRow({ systemId, item }: { systemId: string; item: Obligation }) {
  const answer = useAnswerObligation(systemId);
  const [owner, setOwner] = useState(item.owner ?? "");
  const [evidence, setEvidence] = useState("");
  const save = (status: Obligation["status"]) => answer.mutate({
    key: item.key, status, owner: owner || null, note: item.note,
    evidence: [...item.evidence, ...(evidence.trim() ? [{ title: evidence.trim() }] : [])],
  }, { onSuccess: () => setEvidence("") });
  const scan = item.scan_evidence;
  return (
    <li className="card stack" style={{ padding: "var(--space-3)" }} data-obligation={item.key}>
      <div className="row-between">
        <strong>Article {item.article}: {item.title}</strong>
        <Pill tone={TONE[item.status]}>{humanize(item.status)}</Pill>
      </div>
      <div className="muted small">{item.why}</div>
      <details><summary className="small">Text of the Act ({item.refs.join(", ") || `Article ${item.article}`})</summary><div className="aig-article" style={{ whiteSpace: "pre-wrap" }}>{item.text}</div></details>
      {scan && (
        <div className="small" data-testid="scan-evidence">
          <strong>Cybersecurity evidence from scans: </strong>
          {scan.available
            ? <>{scan.open_findings} open findings on {(scan.assets ?? []).length} linked assets{Object.keys(scan.by_severity ?? {}).length > 0 && ` (${Object.entries(scan.by_severity ?? {}).map(([severity, n]) => `${n} ${severity}`).join(", ")})`}</>
            : scan.reason}
        </div>
      )}
      {item.scf && <div className="small muted">SCF: {item.scf.available ? `feeds ${(item.scf.controls ?? []).join(", ")}` : item.scf.reason}</div>}
      {item.evidence.length > 0 && <ul className="small">{item.evidence.map((entry, index) => <li key={`${entry.title}-${index}`}>{entry.url ? <a href={entry.url}>{entry.title}</a> : entry.title}</li>)}</ul>}
      <div className="form form-inline">
        <div className="field"><label htmlFor={`owner-${item.key}`}>Owner</label><input id={`owner-${item.key}`} value={owner} onChange={(event) => setOwner(event.target.value)} /></div>
        <div className="field"><label htmlFor={`evidence-${item.key}`}>Add evidence</label><input id={`evidence-${item.key}`} value={evidence} onChange={(event) => setEvidence(event.target.value)} placeholder="Document or link title" /></div>
        <div className="button-row">{STATUSES.map((status) => <Button key={status} size="sm" variant={item.status === status ? "primary" : "secondary"} busy={answer.isPending && answer.variables?.status === status} onClick={() => save(status)}>{humanize(status)}</Button>)}</div>
      </div>
      {answer.isError && <InlineError error={answer.error} />}
    </li>
  );
}

export function ObligationsPanel({ system }: { system: AiSystem }) {
  const obligations = useObligations(system.id);
  return (
    <QueryState query={obligations} isEmpty={(data) => data.total === 0} empty={<EmptyState title="No obligations yet" icon="compliance"><p>{obligations.data?.message ?? "This classification and role trigger no obligation."}</p></EmptyState>}>
      {(data) => (
        <div className="stack">
          <div className="row-between">
            <span><strong>{data.done} of {data.total}</strong> done ({Math.round(data.progress * 100)}%) · {humanize(data.role)}</span>
            <div className="progress" style={{ width: 240 }} role="progressbar" aria-valuenow={Math.round(data.progress * 100)} aria-valuemin={0} aria-valuemax={100} aria-label="Obligations done"><span className="progress-fill" style={{ width: `${data.progress * 100}%` }} /></div>
          </div>
          <ul className="stack" style={{ listStyle: "none", padding: 0, margin: 0 }}>{data.items.map((item) => <ObligationRow key={item.key} systemId={system.id} item={item} />)}</ul>
        </div>
      )}
    </QueryState>
  );
}
