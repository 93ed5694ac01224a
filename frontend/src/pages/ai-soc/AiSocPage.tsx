/**
 * AI-SOC: the case queue (highest priority first), a case with its findings, the reasoning trail of
 * each agent with the passages it cited, and the recommended actions a person applies; the daily
 * brief and the pipeline runs. Without an LLM everything is deterministic and the page says so.
 */
import { useState } from "react";
import { useApplyAction, useBrief, useCase, useCases, useGenerateBrief, useRuns, useStartRun, type CaseDetail, type StepRecord } from "../../api/hooks/aiSoc";
import { useCan } from "../../app/AuthGate";
import { Pill, SeverityBadge } from "../../components/badges";
import { formatDateTime, humanize, resourceLabel, timeAgo } from "../../components/format";
import { Button, Card, Drawer, EmptyState, Field, InlineError, Modal, PageHeader, QueryState, Tabs } from "../../components/ui";
import type { Severity } from "../../api/types";

type Tab = "cases" | "brief" | "runs";
const ACTION_TONE = { keep: "info", false_positive: "warn", accept_risk: "neutral" } as const;

function LlmPill({ llm }: { llm: { configured: boolean; message: string } }) {
  return <Pill tone={llm.configured ? "good" : "neutral"}>{llm.configured ? llm.message : "LLM not configured"}</Pill>;
}

function CaseQueue({ onOpen }: { onOpen: (id: string) => void }) {
  const [status, setStatus] = useState<"open" | "closed">("open");
  const cases = useCases(status);
  return (
    <Card title="Case queue" actions={
      <label className="check-row small"><input type="checkbox" checked={status === "closed"} onChange={(event) => setStatus(event.target.checked ? "closed" : "open")} /> Closed cases</label>}>
      <QueryState query={cases}>
        {(page) => page.items.length === 0 ? <EmptyState title={status === "open" ? "No open case" : "No closed case"} icon="check">Cases appear after an import, or run the pipeline now.</EmptyState> : (
          <table className="simple-table" data-testid="case-queue">
            <thead><tr><th scope="col">Priority</th><th scope="col">Case</th><th scope="col">Rule</th><th scope="col">Findings</th><th scope="col">Severity</th><th scope="col">Recommendation</th></tr></thead>
            <tbody>
              {page.items.map((item) => (
                <tr key={item.id}>
                  <td className="mono">{item.priority.score.toFixed(1)}</td>
                  <td><button type="button" className="link-button" onClick={() => onOpen(item.id)}>{item.title}</button>
                    <div className="cell-sub">{item.priority.explanation}</div></td>
                  <td>{humanize(item.rule)}</td>
                  <td>{item.finding_count}</td>
                  <td>{item.severity ? <SeverityBadge severity={item.severity as Severity} /> : "—"}</td>
                  <td><Pill tone={ACTION_TONE[item.recommendation.action]}>{humanize(item.recommendation.action)}</Pill>
                    {item.actions.length > 0 && <div className="cell-sub">decided: {humanize(item.actions[item.actions.length - 1]!.action)}</div>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryState>
    </Card>
  );
}

function Step({ step }: { step: StepRecord }) {
  const outputs = Object.entries(step.outputs).filter(([key]) => !["cited", "narrative", "summary"].includes(key));
  return (
    <li className="trail-step" data-testid={`trail-${step.agent}`}>
      <div className="trail-head"><strong>{humanize(step.agent)}</strong> <span className="muted small">{step.duration_ms.toFixed(1)} ms · {step.inputs.finding_count as number} finding(s)</span></div>
      <div className="small">{step.rule}</div>
      <dl className="trail-outputs small">
        {outputs.slice(0, 8).map(([key, value]) => (
          <div key={key}><dt>{humanize(key)}</dt><dd>{typeof value === "string" ? value : JSON.stringify(value)}</dd></div>
        ))}
      </dl>
      {step.citations.length > 0 && <div className="small">Cited: {step.citations.map((id) => <code key={id} className="citation-id">{id}</code>)}</div>}
      {step.llm && (
        <details className="small">
          <summary>LLM: {step.llm.status as string}{step.llm.reason ? ` (${step.llm.reason as string})` : ""}</summary>
          {typeof step.llm.prompt === "string" && <><div className="muted">Prompt</div><pre className="llm-text">{step.llm.prompt}</pre></>}
          {typeof step.llm.answer === "string" && <><div className="muted">Answer</div><pre className="llm-text">{step.llm.answer}</pre></>}
        </details>
      )}
    </li>
  );
}

function ApplyDialog({ detail, action, onClose }: { detail: CaseDetail; action: string; onClose: () => void }) {
  const apply = useApplyAction(detail.id);
  const [reason, setReason] = useState(detail.recommendation.action === action ? detail.recommendation.reason.slice(0, 900) : "");
  const [owner, setOwner] = useState("");
  const [expires, setExpires] = useState(() => new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10));
  const accept = action === "accept_risk";
  const submit = () => apply.mutate(
    { action: action as CaseDetail["available_actions"][number]["action"], reason, risk_owner: accept ? owner : null, expires_at: accept ? new Date(`${expires}T00:00:00Z`).toISOString() : null },
    { onSuccess: onClose });
  return (
    <Modal open title={`${humanize(action)}: ${detail.title}`} onClose={onClose} footer={
      <><Button onClick={onClose}>Cancel</Button><Button variant="primary" busy={apply.isPending} disabled={reason.trim().length < 3 || (accept && !owner.trim())} onClick={submit}>Apply to {detail.finding_count} finding(s)</Button></>}>
      <Field label="Reason">{(id) => <textarea id={id} rows={3} value={reason} onChange={(event) => setReason(event.target.value)} />}</Field>
      {accept && <>
        <Field label="Risk owner">{(id) => <input id={id} value={owner} onChange={(event) => setOwner(event.target.value)} />}</Field>
        <Field label="Accepted until">{(id) => <input id={id} type="date" value={expires} onChange={(event) => setExpires(event.target.value)} />}</Field>
      </>}
      {apply.isError && <InlineError error={apply.error} />}
    </Modal>
  );
}

function CaseView({ caseId, onClose }: { caseId: string; onClose: () => void }) {
  const detail = useCase(caseId);
  const canWrite = useCan("ai_soc:write");
  const [applying, setApplying] = useState<string | null>(null);
  return (
    <Drawer open title={detail.data?.title ?? "Case"} onClose={onClose}>
      <QueryState query={detail}>
        {(item) => (
          <div className="case-view" data-testid="case-view">
            <p><LlmPill llm={item.llm} /> <span className="muted small">updated {timeAgo(item.updated_at)}</span></p>
            {item.summary && <p data-testid="case-summary">{item.summary}</p>}
            <p><strong>Priority {item.priority.score.toFixed(1)}</strong>: {item.priority.explanation}</p>
            <p className="small">Recommendation: <Pill tone={ACTION_TONE[item.recommendation.action]}>{humanize(item.recommendation.action)}</Pill> {item.recommendation.reason}</p>
            <div className="case-actions">
              {item.available_actions.map((action) => (
                <Button key={action.action} size="sm" variant={action.recommended ? "primary" : "secondary"} disabled={!canWrite || !action.available}
                  title={action.unavailable_reason ?? undefined} onClick={() => setApplying(action.action)}>{action.label}{action.recommended ? " (recommended)" : ""}</Button>
              ))}
            </div>
            {item.available_actions.filter((a) => !a.available).map((a) => <p key={a.action} className="muted small">{a.unavailable_reason}</p>)}
            {item.actions.length > 0 && (
              <ul className="small" data-testid="case-decisions">{item.actions.map((a, n) => <li key={n}>{humanize(a.action)} by {a.actor} {formatDateTime(a.at)}: {a.reason} ({a.findings_changed} finding(s))</li>)}</ul>
            )}
            <h3>Remediation plan</h3>
            <ol className="small">{item.remediation.plan.map((line, n) => <li key={n}>{line}</li>)}</ol>
            {item.remediation.narrative && <p className="small" data-testid="case-narrative">{item.remediation.narrative}</p>}
            <h4>Citations</h4>
            <ul className="citations" data-testid="case-citations">
              {item.remediation.citations.map((c) => (
                <li key={c.chunk_id}><code className="citation-id">{c.chunk_id}</code> <strong>{c.title}</strong> <span className="muted small">({c.why})</span><div className="small">{c.excerpt}</div></li>
              ))}
            </ul>
            <h3>Reasoning trail</h3>
            <ol className="trail">{item.trail.map((step) => <Step key={step.agent} step={step} />)}</ol>
            <h3>Findings ({item.finding_count})</h3>
            <table className="simple-table">
              <thead><tr><th scope="col">Finding</th><th scope="col">Severity</th><th scope="col">Status</th><th scope="col">Resource</th></tr></thead>
              <tbody>{item.findings.map((f) => (
                <tr key={f.id}><td>{f.title}</td><td><SeverityBadge severity={f.severity as Severity} /></td><td>{humanize(f.status)}</td><td className="small">{resourceLabel(f.resource)}</td></tr>
              ))}</tbody>
            </table>
            {applying && <ApplyDialog detail={item} action={applying} onClose={() => setApplying(null)} />}
          </div>
        )}
      </QueryState>
    </Drawer>
  );
}

function BriefCard() {
  const brief = useBrief();
  const generate = useGenerateBrief();
  const canWrite = useCan("ai_soc:write");
  return (
    <Card title="Daily brief" actions={<Button size="sm" icon="refresh" busy={generate.isPending} disabled={!canWrite} onClick={() => generate.mutate()}>Build today&apos;s brief</Button>}>
      <QueryState query={brief}>
        {(data) => !data ? <EmptyState title="No brief yet" icon="clock">The daily job builds one; or build it now.</EmptyState> : (
          <div data-testid="brief">
            <p className="muted small">{data.date} · <LlmPill llm={data.llm} /></p>
            {data.narrative && <p>{data.narrative}</p>}
            <ul>{data.lines.map((line, n) => <li key={n}>{line}</li>)}</ul>
          </div>
        )}
      </QueryState>
      {generate.isError && <InlineError error={generate.error} />}
    </Card>
  );
}

function RunsCard() {
  const runs = useRuns();
  const start = useStartRun();
  const canWrite = useCan("ai_soc:write");
  return (
    <Card title="Pipeline runs" actions={<Button size="sm" icon="refresh" busy={start.isPending} disabled={!canWrite} onClick={() => start.mutate()}>Run now</Button>}>
      <QueryState query={runs}>
        {(items) => items.length === 0 ? <EmptyState title="No run yet" icon="clock" /> : (
          <table className="simple-table">
            <thead><tr><th scope="col">Started</th><th scope="col">Trigger</th><th scope="col">State</th><th scope="col">Findings</th><th scope="col">Cases</th><th scope="col">Duration</th></tr></thead>
            <tbody>{items.map((run) => (
              <tr key={run.id}><td>{formatDateTime(run.started_at)}</td><td>{run.trigger}</td><td>{run.state}{run.error ? `: ${run.error}` : ""}</td>
                <td>{run.findings ?? "—"}</td><td>{run.cases ?? "—"}{run.new_cases ? ` (${run.new_cases} new)` : ""}</td><td>{run.duration_ms != null ? `${(run.duration_ms / 1000).toFixed(1)} s` : "—"}</td></tr>
            ))}</tbody>
          </table>
        )}
      </QueryState>
    </Card>
  );
}

export default function AiSocPage() {
  const [tab, setTab] = useState<Tab>("cases");
  const [open, setOpen] = useState<string | null>(null);
  const cases = useCases("open");
  return (
    <>
      <PageHeader title="AI-SOC" subtitle={<>Correlated cases with explained priority, cited remediation and recommended decisions. {cases.data && <LlmPill llm={cases.data.llm} />}</>} />
      <Tabs label="AI-SOC sections" value={tab} onChange={setTab} tabs={[{ id: "cases", label: "Cases" }, { id: "brief", label: "Daily brief" }, { id: "runs", label: "Runs" }]} />
      {tab === "cases" && <CaseQueue onOpen={setOpen} />}
      {tab === "brief" && <BriefCard />}
      {tab === "runs" && <RunsCard />}
      {open && <CaseView caseId={open} onClose={() => setOpen(null)} />}
    </>
  );
}
