import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import {
  downloadFile, useAnswer, useAssessment, useChangeStatus, useRefreshSuggestions, useRequirementControls, useRequirements, useUploadEvidence,
  type Answer, type Assessment, type AssessmentStatus, type Requirement, type Suggestion,
} from "../../api/hooks/assessments";
import { useCan } from "../../app/AuthGate";
import { useTheme } from "../../app/theme";
import { Pill, SeverityBadge } from "../../components/badges";
import { formatDateTime, humanize } from "../../components/format";
import { Button, Card, Drawer, EmptyState, ErrorState, Field, InlineError, Modal, Skeleton, Tabs } from "../../components/ui";
import { ANSWERS, STATE_FILTERS, TIER_NAMES, answerForKey, neighbour, resultRows, stateLabel, type StateFilter } from "./questionnaire";

const STATUS_TONE: Record<AssessmentStatus, "neutral" | "info" | "warn" | "good"> = { draft: "neutral", in_progress: "info", in_review: "warn", completed: "good" };
const CONTROL_TONE: Record<string, "good" | "warn" | "bad" | "neutral" | "info"> = { implemented: "good", partially_implemented: "warn", not_implemented: "bad", not_assessed: "neutral", not_applicable: "info", satisfied: "good", partially_satisfied: "warn", not_satisfied: "bad" };
const NEXT_STATUS: Record<AssessmentStatus, { status: AssessmentStatus; label: string }[]> = {
  draft: [{ status: "in_progress", label: "Start" }],
  in_progress: [{ status: "in_review", label: "Send to review" }, { status: "completed", label: "Complete" }],
  in_review: [{ status: "in_progress", label: "Back to in progress" }, { status: "completed", label: "Complete" }],
  completed: [{ status: "in_progress", label: "Reopen" }],
};

export function StatusPill({ status }: { status: AssessmentStatus }) {
  return <Pill tone={STATUS_TONE[status]}>{humanize(status)}</Pill>;
}

export function ProgressBar({ answered, inScope, label }: { answered: number; inScope: number; label: string }) {
  const pct = inScope ? Math.round((100 * answered) / inScope) : 0;
  return (
    <div className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={inScope} aria-valuenow={answered} aria-valuetext={`${answered} of ${inScope} answered`}>
      <span className="progress-fill" style={{ width: `${pct}%` }} />
    </div>
  );
}

function ControlsDrawer({ assessmentId, ref_, onClose }: { assessmentId: string; ref_: string | null; onClose: () => void }) {
  const view = useRequirementControls(assessmentId, ref_);
  const requirements = view.data?.requirements ?? [];
  const featured = requirements.filter((item) => /^(iso-27001|aicpa-tsc|pcidss-4|nist-800-53)/.test(item.framework_id));
  return (
    <Drawer open={!!ref_} onClose={onClose} title={<>SCF controls fed by <code>{ref_}</code></>}>
      {view.isPending && <Skeleton rows={5} />}
      {view.isError && <ErrorState error={view.error} />}
      {view.data && (
        <div className="finding-detail">
          {view.data.attestation ? <p className="muted small">Sent to the compliance engine: “{view.data.attestation.title}”.</p> : <p className="muted small">No answer sent yet: answer met, partially met or not met to attest these controls.</p>}
          {!view.data.controls.length && <EmptyState title="No SCF control">This requirement has no path to an SCF control in the active registry (no CWE the control table knows, no CSF 1.1 mapping).</EmptyState>}
          <ul className="req-controls" aria-label="SCF controls">
            {view.data.controls.map((control) => (
              <li key={control.scf_id} className="control-row" data-testid="fed-control">
                <code>{control.scf_id}</code> <span className="control-title">{control.title}</span> <Pill tone={CONTROL_TONE[control.status] ?? "neutral"}>{humanize(control.status)}</Pill>
                {control.via && <div className="muted small">{control.via}</div>}
              </li>
            ))}
          </ul>
          {featured.length > 0 && (
            <>
              <h3 className="drawer-heading">Framework requirements these controls feed</h3>
              <table className="simple-table">
                <thead><tr><th>Framework</th><th>Requirement</th><th>Status</th></tr></thead>
                <tbody>
                  {featured.slice(0, 60).map((item) => (
                    <tr key={`${item.framework_id}:${item.requirement_id}`}><td>{item.framework_id}</td><td><code>{item.requirement_id}</code></td><td><Pill tone={CONTROL_TONE[item.status] ?? "neutral"}>{humanize(item.status)}</Pill></td></tr>
                  ))}
                </tbody>
              </table>
              <p className="muted small">{requirements.length} requirements across frameworks share these controls.</p>
            </>
          )}
        </div>
      )}
    </Drawer>
  );
}

function SuggestionBox({ suggestion, canWrite, onConfirm, busy }: { suggestion: Suggestion; canWrite: boolean; onConfirm: () => void; busy: boolean }) {
  return (
    <div className="callout callout-warn" data-testid="suggestion">
      <p><strong>Not met (suggested by {suggestion.count} finding{suggestion.count === 1 ? "" : "s"})</strong> · {suggestion.cwe_ids.join(", ")} from {suggestion.tools.join(", ")}</p>
      <ul className="stack small">
        {suggestion.findings.slice(0, 5).map((finding) => <li key={finding.dedup_key}><SeverityBadge severity={finding.severity as "high"} /> {finding.title} <span className="muted">{finding.resource_id}</span></li>)}
      </ul>
      {canWrite && <div><Button size="sm" busy={busy} onClick={onConfirm}>Confirm not met</Button></div>}
    </div>
  );
}

function RequirementCard({ assessment, requirement, active, locked, onFocus, onControls }: { assessment: Assessment; requirement: Requirement; active: boolean; locked: boolean; onFocus: () => void; onControls: () => void }) {
  const canWrite = useCan("assessments:write") && !locked;
  const answer = useAnswer(assessment.id);
  const upload = useUploadEvidence(assessment.id);
  const [notes, setNotes] = useState(requirement.notes ?? "");
  const [reason, setReason] = useState(requirement.reason ?? "");
  const [askReason, setAskReason] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const card = useRef<HTMLLIElement>(null);
  const isCsf = assessment.kind === "csf";

  useEffect(() => { setNotes(requirement.notes ?? ""); setReason(requirement.reason ?? ""); }, [requirement.notes, requirement.reason]);
  useEffect(() => { if (active) card.current?.focus({ preventScroll: false }); }, [active]);

  function save(next: { answer?: Answer | null; tier?: number | null; notes?: string; reason?: string | null }) {
    const body = { answer: next.answer !== undefined ? next.answer : requirement.answer ?? null, tier: next.tier !== undefined ? next.tier : requirement.tier ?? null,
      notes: next.notes !== undefined ? next.notes : notes, reason: next.reason !== undefined ? next.reason : (reason || null), links: (requirement.links ?? []).map((link) => ({ title: link.title, url: link.url })) };
    if (body.answer === "not_applicable" && (!body.reason || body.reason.trim().length < 3)) { setAskReason(true); return; }
    answer.mutate({ ref: requirement.ref, body }, { onSuccess: () => setSaved(`Saved ${new Date().toLocaleTimeString()}`) });
  }

  // Autosave the notes a moment after typing stops.
  useEffect(() => {
    if (!canWrite || notes === (requirement.notes ?? "")) return;
    const timer = setTimeout(() => save({ notes }), 800);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [notes]);

  function onKeyDown(event: KeyboardEvent<HTMLLIElement>) {
    if (!canWrite || event.target !== card.current) return;
    const chosen = answerForKey(event.key);
    if (chosen) { event.preventDefault(); save({ answer: chosen }); }
  }

  const suggestion = requirement.suggestion as Suggestion | null | undefined;
  return (
    <li ref={card} className={`req assessment-req ${active ? "row-active" : ""}`} tabIndex={0} onFocus={onFocus} onKeyDown={onKeyDown} data-ref={requirement.ref} aria-label={`${requirement.ref}: ${stateLabel(requirement)}`}>
      <div className="req-head">
        <span className="req-id">{requirement.ref}</span>
        {requirement.level ? <Pill tone="neutral">L{requirement.level}</Pill> : null}
        <Pill tone={requirement.answer ? (ANSWERS.find((item) => item.value === requirement.answer)?.tone ?? "neutral") : suggestion ? "warn" : "neutral"}>{stateLabel(requirement)}</Pill>
        <span className="topbar-spacer" />
        <Button size="sm" variant="ghost" onClick={onControls} aria-label={`SCF controls of ${requirement.ref}`}>{requirement.scf_ids?.length ?? 0} SCF control{requirement.scf_ids?.length === 1 ? "" : "s"}</Button>
      </div>
      <p className="prose">{requirement.text}</p>
      {isCsf && (requirement.examples ?? []).length > 0 && <details className="small"><summary>Implementation examples</summary><ul>{requirement.examples!.map((example) => <li key={example}>{example}</li>)}</ul></details>}
      {suggestion && !requirement.answer && <SuggestionBox suggestion={suggestion} canWrite={canWrite} busy={answer.isPending} onConfirm={() => save({ answer: "not_met", notes: notes || `Confirmed from ${suggestion.count} scan finding(s): ${suggestion.findings.slice(0, 3).map((finding) => finding.title).join("; ")}` })} />}
      {suggestion && requirement.answer === "met" && <p className="callout callout-warn small">Scans found {suggestion.count} finding(s) with {suggestion.cwe_ids.join(", ")} since: check this answer.</p>}
      <div className="button-row">
        <div className="segmented" role="radiogroup" aria-label={`Answer ${requirement.ref}`}>
          {ANSWERS.map((item) => (
            <button key={item.value} type="button" role="radio" aria-checked={requirement.answer === item.value} className={requirement.answer === item.value ? "segmented-active" : ""} disabled={!canWrite || answer.isPending} title={`${item.label} (key ${item.key})`}
              onClick={() => (item.value === "not_applicable" && !reason ? setAskReason(true) : save({ answer: item.value }))}>
              {item.label}
            </button>
          ))}
        </div>
        {isCsf && (
          <label className="inline-field small">Tier achieved
            <select value={requirement.tier ?? ""} disabled={!canWrite} onChange={(event) => save({ tier: event.target.value ? Number(event.target.value) : null, answer: event.target.value ? null : requirement.answer })} aria-label={`Tier achieved for ${requirement.ref}`}>
              <option value="">–</option>
              {TIER_NAMES.map((name, index) => <option key={name} value={index + 1}>{index + 1} {name}</option>)}
            </select>
            <span className="muted">target {requirement.target_tier}</span>
          </label>
        )}
        {answer.isPending ? <span className="muted small">Saving…</span> : saved && <span className="muted small" role="status">{saved}</span>}
      </div>
      <InlineError error={answer.error} />
      <div className="form-row">
        <Field label="Notes" hint="Saved as you type.">{(id) => <textarea id={id} rows={2} value={notes} disabled={!canWrite} onChange={(event) => setNotes(event.target.value)} maxLength={4000} />}</Field>
        <div className="field">
          <span className="field-label small">Evidence</span>
          <ul className="stack small" aria-label={`Evidence of ${requirement.ref}`}>
            {(requirement.evidence ?? []).map((item) => (
              <li key={item.id}>{item.kind === "file"
                ? <button type="button" className="link-button" onClick={() => downloadFile(`/api/assessments/${assessment.id}/evidence/${item.id}`, item.file_name ?? "evidence")}>{item.file_name}</button>
                : <a href={item.url ?? "#"} target="_blank" rel="noreferrer noopener">{item.title}</a>} <span className="muted">{item.sha256 ? `sha256 ${item.sha256.slice(0, 12)}…` : ""}</span></li>
            ))}
          </ul>
          {canWrite && (
            <label className="file-button btn btn-secondary btn-sm">
              {upload.isPending ? "Uploading…" : "Upload evidence"}
              <input type="file" className="sr-only" aria-label={`Upload evidence for ${requirement.ref}`} onChange={(event) => { const file = event.target.files?.[0]; if (file) upload.mutate({ ref: requirement.ref, file }); event.target.value = ""; }} />
            </label>
          )}
          <InlineError error={upload.error} />
        </div>
      </div>
      {askReason && (
        <Modal open title={`Why is ${requirement.ref} not applicable?`} onClose={() => setAskReason(false)} footer={<><Button variant="ghost" onClick={() => setAskReason(false)}>Cancel</Button><Button variant="primary" disabled={reason.trim().length < 3} onClick={() => { setAskReason(false); save({ answer: "not_applicable", reason: reason.trim() }); }}>Save</Button></>}>
          <Field label="Reason" hint="Required; auditors read it.">{(id) => <textarea id={id} rows={3} value={reason} onChange={(event) => setReason(event.target.value)} maxLength={2000} data-autofocus />}</Field>
        </Modal>
      )}
    </li>
  );
}

function Questionnaire({ assessment }: { assessment: Assessment }) {
  const [group, setGroup] = useState<string>(assessment.groups[0]?.id ?? "");
  const [filter, setFilter] = useState<StateFilter>("all");
  const [active, setActive] = useState<string | null>(null);
  const [controlsOf, setControlsOf] = useState<string | null>(null);
  const requirements = useRequirements(assessment.id, { group: group || undefined, state: filter === "all" ? undefined : filter });
  const items = useMemo(() => requirements.data?.items ?? [], [requirements.data]);
  const refs = items.map((item) => item.ref);
  const locked = assessment.status === "completed";

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    const tag = (event.target as HTMLElement).tagName;
    if (["TEXTAREA", "INPUT", "SELECT"].includes(tag)) return;
    if (event.key === "j" || event.key === "ArrowDown") { event.preventDefault(); setActive(neighbour(refs, active, 1)); }
    if (event.key === "k" || event.key === "ArrowUp") { event.preventDefault(); setActive(neighbour(refs, active, -1)); }
  }

  return (
    <div className="assessment-layout">
      <nav className="assessment-nav" aria-label={assessment.kind === "asvs" ? "Chapters" : "Functions"}>
        <ul>
          {assessment.groups.map((item) => (
            <li key={item.id}>
              <button type="button" className={`nav-link ${group === item.id ? "nav-link-active" : ""}`} aria-current={group === item.id ? "true" : undefined} onClick={() => { setGroup(item.id); setActive(null); }}>
                <span className="assessment-nav-name"><strong>{item.id}</strong> {item.name}</span>
                <span className="muted small">{item.answered}/{item.in_scope}</span>
                <ProgressBar answered={item.answered} inScope={item.in_scope} label={`${item.id} progress`} />
              </button>
            </li>
          ))}
        </ul>
      </nav>
      <div className="assessment-main" onKeyDown={onKeyDown}>
        <div className="filterbar" role="group" aria-label="Filter requirements">
          {STATE_FILTERS.map((item) => <button key={item.id} type="button" className={`chip ${filter === item.id ? "chip-active" : ""}`} aria-pressed={filter === item.id} onClick={() => setFilter(item.id)}>{item.label}{item.id === "suggested" && assessment.suggested ? ` (${assessment.suggested})` : ""}</button>)}
          <span className="muted small filterbar-end">Keys: j/k move, 1 met, 2 partially, 3 not met, 4 n/a</span>
        </div>
        {locked && <p className="callout callout-info">This assessment is completed: answers are locked. Reopen it to change them.</p>}
        {requirements.isPending && <Skeleton rows={6} />}
        {requirements.isError && <ErrorState error={requirements.error} onRetry={() => requirements.refetch()} />}
        {requirements.data && !items.length && <EmptyState title="Nothing here">No requirement of {group} matches this filter.</EmptyState>}
        <ul className="req-list">
          {items.map((item) => <RequirementCard key={item.ref} assessment={assessment} requirement={item} active={active === item.ref} locked={locked} onFocus={() => setActive(item.ref)} onControls={() => setControlsOf(item.ref)} />)}
        </ul>
      </div>
      <ControlsDrawer assessmentId={assessment.id} ref_={controlsOf} onClose={() => setControlsOf(null)} />
    </div>
  );
}

function Results({ assessment }: { assessment: Assessment }) {
  const rows = resultRows(assessment);
  const { theme } = useTheme();
  const axis = theme === "dark" ? "#94a3b8" : "#64748b";
  if (assessment.kind === "csf") {
    const data = rows.map((row) => ({ name: row.id, current: row.current ?? 0, target: row.target ?? 0 }));
    return (
      <Card title="Current versus target tier per function">
        <div className="chart" role="img" aria-label={rows.map((row) => `${row.name}: current ${row.current ?? "not assessed"}, target ${row.target}`).join("; ")}>
          <ResponsiveContainer width="100%" height={260}>
            <BarChart data={data} margin={{ top: 8, right: 8, left: -16, bottom: 0 }}>
              <CartesianGrid vertical={false} stroke={theme === "dark" ? "#1e293b" : "#e2e8f0"} />
              <XAxis dataKey="name" tick={{ fill: axis, fontSize: 12 }} axisLine={false} tickLine={false} />
              <YAxis domain={[0, 4]} ticks={[0, 1, 2, 3, 4]} tick={{ fill: axis, fontSize: 11 }} axisLine={false} tickLine={false} />
              <Tooltip /><Legend />
              <Bar dataKey="current" name="Current tier" fill="#6366f1" isAnimationActive={false} />
              <Bar dataKey="target" name="Target tier" fill="#94a3b8" isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </div>
        <table className="simple-table" aria-label="Tiers per function">
          <thead><tr><th>Function</th><th>Current</th><th>Target</th><th>Gap</th><th>Met</th><th>Not met</th><th>Unanswered</th></tr></thead>
          <tbody>{rows.map((row) => <tr key={row.id}><td>{row.id} {row.name}</td><td>{row.current ?? "–"}</td><td>{row.target}</td><td>{row.gap ?? "–"}</td><td>{row.met}</td><td>{row.notMet}</td><td>{row.unanswered}</td></tr>)}</tbody>
        </table>
      </Card>
    );
  }
  return (
    <Card title="Percent met per chapter">
      <ul className="hbars hbars-wide" aria-label="Chapters">
        {rows.map((row) => (
          <li key={row.id} data-testid="chapter-bar">
            <span className="hbar-label">{row.id} {row.name}</span>
            <span className="hbar-track"><span className="hbar-fill" style={{ width: `${row.percentMet}%` }} /></span>
            <span className="hbar-value">{row.percentMet}%</span>
          </li>
        ))}
      </ul>
      <p className="muted small">Met out of applicable requirements (in scope, less not applicable); partially met counts as not met here.</p>
    </Card>
  );
}

export function AssessmentView({ id, onBack }: { id: string; onBack: () => void }) {
  const assessment = useAssessment(id);
  const canWrite = useCan("assessments:write");
  const change = useChangeStatus(id);
  const refresh = useRefreshSuggestions(id);
  const [tab, setTab] = useState<"questionnaire" | "results">("questionnaire");
  const [reopen, setReopen] = useState(false);
  const [reason, setReason] = useState("");
  const [exportError, setExportError] = useState<unknown>(null);
  if (assessment.isPending) return <Skeleton rows={8} />;
  if (assessment.isError) return <ErrorState error={assessment.error} onRetry={() => assessment.refetch()} />;
  const data = assessment.data;
  const targets = ((data.scope as { targets?: { name: string }[] }).targets ?? []).map((target) => target.name);
  return (
    <div className="stack">
      <div className="row-between">
        <div>
          <Button size="sm" variant="ghost" onClick={onBack}>← All assessments</Button>
          <h2 className="detail-title">{data.name} <StatusPill status={data.status} /></h2>
          <p className="muted small">{data.framework} {data.version}{data.level ? ` · level L${data.level}` : ""}{targets.length ? ` · targets: ${targets.join(", ")}` : ""}{data.due_date ? ` · due ${data.due_date}` : ""} · updated {formatDateTime(data.updated_at)}</p>
        </div>
        <div className="button-row">
          {canWrite && NEXT_STATUS[data.status].map((next) => (
            <Button key={next.status} size="sm" variant={next.status === "completed" ? "primary" : "secondary"} busy={change.isPending}
              onClick={() => (data.status === "completed" ? setReopen(true) : change.mutate({ status: next.status }))}>{next.label}</Button>
          ))}
          {canWrite && data.kind === "asvs" && targets.length > 0 && <Button size="sm" variant="ghost" icon="refresh" busy={refresh.isPending} onClick={() => refresh.mutate()}>Refresh suggestions</Button>}
          {(["csv", "json", "pdf"] as const).map((format) => (
            <Button key={format} size="sm" variant="ghost" onClick={() => downloadFile(`/api/assessments/${id}/export?format=${format}`, `assessment-${id}.${format}`).catch(setExportError)}>{format.toUpperCase()}</Button>
          ))}
        </div>
      </div>
      <InlineError error={change.error ?? exportError} />
      <div className="assessment-progress" data-testid="assessment-progress">
        <ProgressBar answered={data.progress.answered} inScope={data.progress.in_scope} label="Overall progress" />
        <span className="small"><strong>{data.progress.answered}</strong> of {data.progress.in_scope} answered ({data.progress.percent}%){data.suggested ? ` · ${data.suggested} suggested by scan findings` : ""}</span>
      </div>
      <Tabs label="Assessment views" value={tab} onChange={setTab} tabs={[{ id: "questionnaire", label: "Questionnaire" }, { id: "results", label: "Results" }]} />
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === "questionnaire" ? <Questionnaire assessment={data} /> : <Results assessment={data} />}
      </div>
      {reopen && (
        <Modal open title="Reopen the assessment" onClose={() => setReopen(false)} footer={<><Button variant="ghost" onClick={() => setReopen(false)}>Cancel</Button><Button variant="primary" disabled={reason.trim().length < 3} busy={change.isPending} onClick={() => change.mutate({ status: "in_progress", reason: reason.trim() }, { onSuccess: () => setReopen(false) })}>Reopen</Button></>}>
          <p className="muted">Reopening unlocks the answers; the reason goes to the audit log.</p>
          <Field label="Reason">{(fieldId) => <textarea id={fieldId} rows={3} value={reason} onChange={(event) => setReason(event.target.value)} maxLength={2000} data-autofocus />}</Field>
          <InlineError error={change.error} />
        </Modal>
      )}
    </div>
  );
}
