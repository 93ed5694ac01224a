import { useMemo, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { Area, AreaChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import {
  downloadSoa, useAnswerRequirement, useClearControlStatus, useControl, useDrift, useFramework, useFrameworks, useScoreHistory, useSetControlStatus,
  type ControlStatus, type FrameworkSummary, type Requirement, type RequirementStatus,
} from "../../api/hooks/compliance";
import { useDownload } from "../../api/hooks/download";
import { useCan } from "../../app/AuthGate";
import { useTheme } from "../../app/theme";
import { Pill, SeverityBadge } from "../../components/badges";
import { compareRequirementIds, formatDate, formatDateTime, formatTime, humanize, timeAgo } from "../../components/format";
import { Button, Card, Drawer, EmptyState, ErrorState, Field, InlineError, Modal, PageHeader, QueryState, Skeleton, Tabs } from "../../components/ui";

const REQ_TONE: Record<RequirementStatus, "good" | "warn" | "bad" | "neutral" | "info"> = {
  satisfied: "good", partially_satisfied: "warn", not_satisfied: "bad", not_assessed: "neutral", manual: "neutral", not_applicable: "info",
};
const REQ_HINT: Record<RequirementStatus, string> = {
  satisfied: "every SCF control implemented, no tagged check failing",
  partially_satisfied: "some evidence of implementation, not all of it",
  not_satisfied: "a control is not implemented or a tagged check fails",
  not_assessed: "a scanner could check it; nothing imported speaks of it yet",
  manual: "no scanner checks it: a person answers it",
  not_applicable: "every control marked not applicable",
};
type RequirementFilter = RequirementStatus | "all" | "with_evidence" | "with_direct_evidence";
const WITH_EVIDENCE: RequirementStatus[] = ["satisfied", "partially_satisfied", "not_satisfied"];

/** Framework id → display name, for every place that would otherwise show a slug. */
export function useFrameworkNames(): (id: string) => string {
  const frameworks = useFrameworks();
  return useMemo(() => {
    const names = new Map((frameworks.data?.frameworks ?? []).map((framework) => [framework.framework_id, framework.name]));
    return (id: string) => names.get(id) ?? id;
  }, [frameworks.data]);
}
const CONTROL_TONE: Record<ControlStatus, "good" | "warn" | "bad" | "neutral" | "info"> = {
  implemented: "good", partially_implemented: "warn", not_implemented: "bad", not_assessed: "neutral", not_applicable: "info",
};
const CONTROL_STATUSES: ControlStatus[] = ["implemented", "partially_implemented", "not_implemented", "not_applicable", "not_assessed"];

export function percent(score: number): number {
  // The API reports a 0–1 ratio; tolerate a 0–100 value too.
  return Math.round(score <= 1 ? score * 100 : score);
}

function ScoreBar({ framework }: { framework: FrameworkSummary }) {
  const { counts, applicable } = framework;
  const total = Math.max(1, applicable + counts.not_applicable);
  const parts: [keyof typeof counts, string][] = [["satisfied", "#16a34a"], ["partially_satisfied", "#d97706"], ["not_satisfied", "#dc2626"], ["not_assessed", "var(--border-strong)"], ["manual", "var(--border)"]];
  return (
    <div className="stacked-bar" aria-hidden="true">
      {parts.map(([key, color]) => counts[key] > 0 && <span key={key} style={{ width: `${(100 * counts[key]) / total}%`, background: color }} />)}
    </div>
  );
}

function FrameworkCard({ framework }: { framework: FrameworkSummary }) {
  return (
    <Link to={`/compliance?framework=${encodeURIComponent(framework.framework_id)}`} className="framework-card" aria-label={`${framework.name}: score ${percent(framework.score)}%, ${framework.counts.not_satisfied} requirements not satisfied`}>
      <div className="framework-head">
        <span className="framework-name">{framework.name}{framework.fed_by === "tool_tags" && <span className="tag tag-small" title="A framework the SCF release lacks: its requirements come from the tools' own compliance tags">tool tags</span>}</span>
        <span className="framework-score" title="Strict score: satisfied / applicable requirements">{percent(framework.score)}<small>%</small></span>
      </div>
      <ScoreBar framework={framework} />
      <div className="framework-meta">
        <span><strong>{framework.satisfied}</strong> of {framework.applicable} satisfied</span>
        <span className={framework.counts.not_satisfied ? "framework-failing" : ""} data-testid="not-satisfied">{framework.counts.not_satisfied} not satisfied</span>
      </div>
      <div className="framework-meta muted small">
        <span title="A partially implemented control counts partially">weighted {percent(framework.weighted_score)}%</span>
        <span title="Requirements with any evidence">coverage {percent(framework.coverage)}%</span>
        {framework.counts.manual > 0 && <span title={REQ_HINT.manual}>{framework.counts.manual} need a person</span>}
      </div>
    </Link>
  );
}

// Shown before "show all": the frameworks most teams report against (the full SCF release has 192).
const FEATURED = /^(iso-2700[12]-2022|aicpa-tsc|nist-800-53-r5|nist-csf|pcidss-4|cis-csc-8|owasp-top-10)/;

export function orderFrameworks(frameworks: FrameworkSummary[]): FrameworkSummary[] {
  // The common frameworks first, then those with evidence (most covered first), then the rest by name.
  const rank = (item: FrameworkSummary) => (FEATURED.test(item.framework_id) ? 2 : 0) + (item.with_evidence > 0 ? 1 : 0);
  return [...frameworks].sort((a, b) => rank(b) - rank(a) || b.coverage - a.coverage || a.name.localeCompare(b.name, undefined, { numeric: true }));
}

function FrameworkList({ frameworks }: { frameworks: FrameworkSummary[] }) {
  const [search, setSearch] = useState("");
  const [all, setAll] = useState(false);
  const ordered = useMemo(() => orderFrameworks(frameworks), [frameworks]);
  const needle = search.trim().toLowerCase();
  const matching = needle ? ordered.filter((item) => `${item.name} ${item.framework_id} ${item.source ?? ""}`.toLowerCase().includes(needle)) : ordered;
  const shown = needle || all ? matching : matching.filter((item) => item.fed_by === "tool_tags" || FEATURED.test(item.framework_id));
  return (
    <>
      <div className="filterbar framework-filter">
        <label className="sr-only" htmlFor="framework-search">Search frameworks</label>
        <input id="framework-search" type="search" placeholder="Search frameworks" value={search} onChange={(event) => setSearch(event.target.value)} />
        <span className="muted small">{shown.length} of {frameworks.length} frameworks{!needle && !all ? ": the common ones and those the tools tag" : ""}</span>
        {!needle && shown.length < matching.length && <Button size="sm" variant="ghost" onClick={() => setAll(true)}>Show all {frameworks.length}</Button>}
      </div>
      {shown.length === 0 ? <EmptyState title="No framework matches" icon="filter" /> : <div className="framework-grid">{shown.map((framework) => <FrameworkCard key={framework.framework_id} framework={framework} />)}</div>}
    </>
  );
}

function HistoryChart({ frameworkId }: { frameworkId: string }) {
  const history = useScoreHistory(frameworkId);
  const { theme } = useTheme();
  const axis = theme === "dark" ? "#94a3b8" : "#64748b";
  const grid = theme === "dark" ? "#1e293b" : "#e2e8f0";
  // A numeric time axis: ticks at real times, so several points on one day do not repeat its date.
  const data = useMemo(() => [...(history.data ?? [])].sort((a, b) => a.at.localeCompare(b.at)).map((point) => ({ at: point.at, t: Date.parse(point.at), score: percent(point.score) })), [history.data]);
  const sameDay = data.length > 1 && formatDate(data[0].at) === formatDate(data[data.length - 1].at);
  if (history.isPending) return <Skeleton rows={3} />;
  if (history.isError) return <ErrorState error={history.error} />;
  if (data.length < 2) return <p className="muted small">The trend appears after the next score change.</p>;
  return (
    <div className="chart" role="img" aria-label={`Score trend from ${data[0].score}% to ${data[data.length - 1].score}%`}>
      <ResponsiveContainer width="100%" height={160}>
        <AreaChart data={data} margin={{ top: 8, right: 8, left: -16, bottom: 0 }}>
          <defs><linearGradient id="scoreFill" x1="0" y1="0" x2="0" y2="1"><stop offset="0%" stopColor="#6366f1" stopOpacity={0.35} /><stop offset="100%" stopColor="#6366f1" stopOpacity={0} /></linearGradient></defs>
          <CartesianGrid vertical={false} stroke={grid} />
          <XAxis dataKey="t" type="number" scale="time" domain={["dataMin", "dataMax"]} tickFormatter={(value: number) => sameDay ? formatTime(value) : formatDate(new Date(value).toISOString())} tick={{ fill: axis, fontSize: 11 }} axisLine={false} tickLine={false} minTickGap={32} />
          <YAxis domain={[0, 100]} tick={{ fill: axis, fontSize: 11 }} axisLine={false} tickLine={false} unit="%" />
          <Tooltip labelFormatter={(_, payload) => formatDateTime(payload?.[0]?.payload?.at)} formatter={(value) => [`${value}%`, "Score"]} />
          <Area type="monotone" dataKey="score" stroke="#6366f1" strokeWidth={2} fill="url(#scoreFill)" isAnimationActive={false} />
        </AreaChart>
      </ResponsiveContainer>
    </div>
  );
}

function StatusForm({ title, initial, busy, error, onSubmit, onCancel }: { title: string; initial?: ControlStatus; busy: boolean; error: unknown; onSubmit: (body: { status: ControlStatus; reason: string; owner: string | null }) => void; onCancel: () => void }) {
  const [status, setStatus] = useState<ControlStatus>(initial && initial !== "not_assessed" ? initial : "implemented");
  const [reason, setReason] = useState("");
  const [owner, setOwner] = useState("");
  return (
    <Modal open title={title} onClose={onCancel} footer={<><Button variant="ghost" onClick={onCancel}>Cancel</Button><Button variant="primary" busy={busy} disabled={reason.trim().length < 3} onClick={() => onSubmit({ status, reason: reason.trim(), owner: owner.trim() || null })}>Save status</Button></>}>
      <p className="muted">A manual status wins over the engine until cleared. Auditors see the reason.</p>
      <div className="form">
        <Field label="Status">{(id) => <select id={id} value={status} onChange={(event) => setStatus(event.target.value as ControlStatus)} data-autofocus>{CONTROL_STATUSES.map((item) => <option key={item} value={item}>{humanize(item)}</option>)}</select>}</Field>
        <Field label="Reason" hint="Required, at least 3 characters.">{(id) => <textarea id={id} rows={3} value={reason} onChange={(event) => setReason(event.target.value)} maxLength={2000} />}</Field>
        <Field label="Owner (optional)">{(id) => <input id={id} value={owner} onChange={(event) => setOwner(event.target.value)} maxLength={200} />}</Field>
      </div>
      <InlineError error={error} />
    </Modal>
  );
}

function ControlDrawer({ scfId, onClose }: { scfId: string | null; onClose: () => void }) {
  const control = useControl(scfId);
  const canWrite = useCan("compliance:write");
  const setStatus = useSetControlStatus();
  const clear = useClearControlStatus();
  const [editing, setEditing] = useState(false);
  const frameworkName = useFrameworkNames();
  const data = control.data;
  const status = (data?.state.status ?? "not_assessed") as ControlStatus;
  return (
    <Drawer open={!!scfId} onClose={onClose} title={<><code>{scfId}</code>{data && <Pill tone={CONTROL_TONE[status]}>{humanize(status)}</Pill>}</>}
      actions={canWrite && data && <Button size="sm" onClick={() => setEditing(true)}>Set status</Button>}>
      {control.isPending && <Skeleton rows={6} />}
      {control.isError && <ErrorState error={control.error} onRetry={() => control.refetch()} />}
      {data && (
        <div className="finding-detail">
          <div>
            <h2 className="detail-title">{data.control.title}</h2>
            <p className="muted small">{data.control.domain}{data.control.nist_csf_function ? ` · NIST CSF ${data.control.nist_csf_function}` : ""}</p>
          </div>
          {data.control.description && <p className="prose">{data.control.description}</p>}
          {data.state.override && (
            <div className="callout callout-info">
              <p>Set by hand to <strong>{humanize(String(data.state.override.status))}</strong>: “{data.state.override.reason}”{data.state.override.owner ? ` (owner ${data.state.override.owner})` : ""}.</p>
              {canWrite && <div><Button size="sm" variant="ghost" busy={clear.isPending} onClick={() => clear.mutate({ scfId: data.control.scf_id, reason: "Returned to the engine's assessment" })}>Clear manual status</Button></div>}
              <InlineError error={clear.error} />
            </div>
          )}
          <section>
            <h3>Findings behind this control ({data.findings.length})</h3>
            {data.findings.length === 0 ? <p className="muted">No findings map to this control.</p> : (
              <ul className="list">
                {data.findings.map((finding) => (
                  <li key={finding.dedup_key}>
                    <Link className="list-row" to={`/findings?all=1&q=${encodeURIComponent(finding.rule_id)}`}>
                      <SeverityBadge severity={finding.severity} />
                      <span className="list-main"><span className="list-title">{finding.title}</span><span className="list-sub">{finding.source_tool} · {humanize(finding.status)} · mapped by {finding.why.detail}</span></span>
                    </Link>
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section>
            <h3>Requirements this control covers</h3>
            <ul className="tag-groups">
              {data.mappings.map((mapping) => (
                <li key={mapping.framework_id}><Link className="tag-group-name" to={`/compliance?framework=${encodeURIComponent(mapping.framework_id)}`}>{frameworkName(mapping.framework_id)}</Link><span className="tags">{[...mapping.requirements].sort(compareRequirementIds).map((req) => <span key={req} className="tag">{req}</span>)}</span></li>
              ))}
            </ul>
          </section>
        </div>
      )}
      {editing && data && (
        <StatusForm title={`Set status of ${data.control.scf_id}`} initial={status} busy={setStatus.isPending} error={setStatus.error}
          onCancel={() => { setEditing(false); setStatus.reset(); }}
          onSubmit={(body) => setStatus.mutate({ scfId: data.control.scf_id, ...body, evidence: [] }, { onSuccess: () => setEditing(false) })} />
      )}
    </Drawer>
  );
}

function DirectLine({ requirement }: { requirement: Requirement }) {
  const direct = requirement.direct;
  if (!direct) return null;
  const parts = [direct.counts.passing ? `${direct.counts.passing} passing` : "", direct.counts.failing ? `${direct.counts.failing} failing` : "", direct.counts.manual ? `${direct.counts.manual} manual` : ""].filter(Boolean);
  return (
    <p className="req-direct small" data-testid="direct-evidence">
      <Pill tone="info">tool tag</Pill> Checks tagged with this requirement by the tool: {parts.join(" · ") || "none current"}
      <span className="muted"> ({direct.tags.join(", ")})</span>
    </p>
  );
}

function RequirementMeaning({ requirement }: { requirement: Requirement }) {
  // The framework's own text is not redistributable for most frameworks; the SCF controls it maps to say what it asks.
  const first = requirement.controls[0];
  if (!first) return <p className="req-meaning muted small">Its text is published by the framework's owner; the tool's checks tagged with it are what the platform knows of it.</p>;
  return (
    <p className="req-meaning small"><span className="muted">Means (SCF {first.scf_id}): </span>{first.title}{first.description ? ` — ${first.description}` : ""}{requirement.controls.length > 1 ? <span className="muted"> (+{requirement.controls.length - 1} more control{requirement.controls.length > 2 ? "s" : ""})</span> : null}</p>
  );
}

function RequirementRow({ requirement, onControl, onAnswer, canWrite }: { requirement: Requirement; onControl: (id: string) => void; onAnswer: (req: Requirement) => void; canWrite: boolean }) {
  const [open, setOpen] = useState(requirement.status === "not_satisfied");
  const failing = requirement.controls.reduce((sum, control) => sum + (control.counts.failing ?? 0), 0);
  const canAnswer = canWrite && requirement.controls.length > 0;
  return (
    <li className="req">
      <div className="req-head">
        <button type="button" className="req-toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
          <span className={`chev ${open ? "chev-open" : ""}`} aria-hidden="true">›</span>
          <code className="req-id">{requirement.requirement_id}</code>
          <span className="muted small">{requirement.controls.length > 0 ? `${requirement.controls.length} control${requirement.controls.length === 1 ? "" : "s"}` : "tool checks"}{failing ? ` · ${failing} failing finding${failing === 1 ? "" : "s"}` : ""}{requirement.evidence_paths.length ? ` · via ${requirement.evidence_paths.map((path) => path === "tool_tag" ? "tool tag" : "SCF mapping").join(" and ")}` : ""}</span>
        </button>
        <span title={REQ_HINT[requirement.status]}><Pill tone={REQ_TONE[requirement.status]}>{humanize(requirement.status)}</Pill></span>
        {canAnswer && <Button size="sm" variant="ghost" onClick={() => onAnswer(requirement)}>Answer</Button>}
      </div>
      <RequirementMeaning requirement={requirement} />
      <DirectLine requirement={requirement} />
      {open && requirement.controls.length > 0 && (
        <ul className="req-controls">
          {requirement.controls.map((control) => (
            <li key={control.scf_id}>
              <button type="button" className="control-row" onClick={() => onControl(control.scf_id)}>
                <code>{control.scf_id}</code>
                <span className="control-title">{control.title}</span>
                <span className="muted small">{control.counts.failing ? `${control.counts.failing} failing` : ""}{control.counts.passing ? ` ${control.counts.passing} passing` : ""}{control.override ? " · manual" : ""}</span>
                <Pill tone={CONTROL_TONE[control.status]}>{humanize(control.status)}</Pill>
              </button>
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}

function FrameworkView({ frameworkId, onControl }: { frameworkId: string; onControl: (scfId: string) => void }) {
  const framework = useFramework(frameworkId);
  const canWrite = useCan("compliance:write");
  const answer = useAnswerRequirement(frameworkId);
  const [filter, setFilter] = useState<RequirementFilter>("all");
  const [search, setSearch] = useState("");
  const [answering, setAnswering] = useState<Requirement | null>(null);
  const [exportError, setExportError] = useState<unknown>(null);
  const report = useDownload();
  if (framework.isPending) return <Skeleton rows={10} />;
  if (framework.isError) return <ErrorState error={framework.error} onRetry={() => framework.refetch()} />;
  const data = framework.data;
  const matchesFilter = (req: Requirement) => filter === "all" || (filter === "with_evidence" ? WITH_EVIDENCE.includes(req.status) : filter === "with_direct_evidence" ? req.direct !== null : req.status === filter);
  const requirements = data.requirements.filter((req) => matchesFilter(req) && (!search || req.requirement_id.toLowerCase().includes(search.toLowerCase()) || req.controls.some((c) => `${c.scf_id} ${c.title}`.toLowerCase().includes(search.toLowerCase()))));
  const show = (next: RequirementFilter) => () => { setFilter(next); document.getElementById("requirements")?.scrollIntoView({ block: "start" }); };
  const exportSoa = (format: "csv" | "json") => { setExportError(null); downloadSoa(frameworkId, format).catch(setExportError); };
  return (
    <div className="page">
      <PageHeader title={data.name} subtitle={<><Link to="/compliance">Compliance</Link> · {data.title}</>}
        actions={<>
          <Button icon="activity" busy={report.busy !== null} title="Summary, every requirement's state and evidence, drift since the last report"
            onClick={() => report.start("report", `/api/compliance/frameworks/${encodeURIComponent(frameworkId)}/report`, `compliance-${frameworkId}-${new Date().toISOString().slice(0, 10)}.pdf`)}>
            Report (PDF)
          </Button>
          <Button icon="upload" onClick={() => exportSoa("csv")}>Export SoA (CSV)</Button><Button variant="ghost" onClick={() => exportSoa("json")}>JSON</Button>
        </>} />
      <InlineError error={exportError} />
      {report.error && <p className="field-error" role="alert">{report.error}</p>}
      <div className="grid grid-compliance">
        <Card title="Score" id="fw-score">
          <div className="score-trio">
            <button type="button" className="score-figure" onClick={show("satisfied")}>
              <span className="big-score" data-testid="framework-score">{percent(data.score)}<small>%</small></span>
              <span className="small">strict: <strong>{data.satisfied}</strong> of {data.applicable} satisfied</span>
            </button>
            <button type="button" className="score-figure" onClick={show("all")} title="Mean credit per requirement: an implemented control counts 1, a partially implemented one ½, a tagged check by its pass share">
              <span className="mid-score" data-testid="weighted-score">{percent(data.weighted_score)}<small>%</small></span>
              <span className="small">weighted: partial counts partially</span>
            </button>
            <button type="button" className="score-figure" onClick={show("with_evidence")}>
              <span className="mid-score" data-testid="coverage">{percent(data.coverage)}<small>%</small></span>
              <span className="small">coverage: {data.with_evidence} of {data.applicable} with evidence</span>
            </button>
          </div>
          <ScoreBar framework={data} />
          <dl className="mini-counts">
            {(Object.keys(REQ_TONE) as RequirementStatus[]).map((key) => <div key={key}><dt title={REQ_HINT[key]}>{humanize(key)}</dt><dd><button type="button" className="link-button" onClick={show(key)} aria-label={`Show ${data.counts[key] ?? 0} ${humanize(key)} requirements`}>{data.counts[key] ?? 0}</button></dd></div>)}
            {data.with_direct_evidence > 0 && <div><dt title="Requirements the tools name in their own compliance tags">From tool tags</dt><dd><button type="button" className="link-button" onClick={show("with_direct_evidence")}>{data.with_direct_evidence}</button></dd></div>}
          </dl>
          <ul className="explanation small" data-testid="score-explanation">{data.explanation.map((line) => <li key={line}>{line}</li>)}</ul>
          {data.see_also && <p className="small"><Link to={`/compliance?framework=${encodeURIComponent(data.see_also)}`}>Open the Annex A controls →</Link></p>}
        </Card>
        <Card title="Score trend (90 days)" id="fw-trend"><HistoryChart frameworkId={frameworkId} /></Card>
      </div>
      <Card title={`Requirements (${requirements.length})`} id="requirements" actions={
        <div className="filterbar">
          <label className="sr-only" htmlFor="req-search">Search requirements</label>
          <input id="req-search" type="search" placeholder="Requirement or control" value={search} onChange={(event) => setSearch(event.target.value)} />
          <label className="sr-only" htmlFor="req-filter">Requirement status</label>
          <select id="req-filter" value={filter} onChange={(event) => setFilter(event.target.value as RequirementFilter)}>
            <option value="all">All statuses</option>
            <option value="with_evidence">With evidence</option>
            <option value="with_direct_evidence">From tool tags</option>
            {(Object.keys(REQ_TONE) as RequirementStatus[]).map((status) => <option key={status} value={status}>{humanize(status)}</option>)}
          </select>
        </div>}>
        {requirements.length === 0 ? <EmptyState title="No requirements match" icon="filter" /> : (
          <ul className="req-list">{requirements.map((req) => <RequirementRow key={req.requirement_id} requirement={req} onControl={onControl} onAnswer={setAnswering} canWrite={canWrite} />)}</ul>
        )}
      </Card>
      {answering && (
        <StatusForm title={`Answer requirement ${answering.requirement_id}`} busy={answer.isPending} error={answer.error}
          onCancel={() => { setAnswering(null); answer.reset(); }}
          onSubmit={(body) => answer.mutate({ requirement_id: answering.requirement_id, ...body, evidence: [] }, { onSuccess: () => setAnswering(null) })} />
      )}
    </div>
  );
}

function DriftTimeline() {
  const [kind, setKind] = useState("");
  const drift = useDrift(kind);
  const frameworkName = useFrameworkNames();
  return (
    <Card title="Drift timeline" id="drift" actions={
      <select aria-label="Drift kind" value={kind} onChange={(event) => setKind(event.target.value)}>
        <option value="">All changes</option>
        {["control_regression", "evidence_expired", "score_below_threshold", "score_above_threshold"].map((item) => <option key={item} value={item}>{humanize(item)}</option>)}
      </select>}>
      <QueryState query={drift} isEmpty={(page) => page.events.length === 0} empty={<EmptyState title="No drift" icon="check"><p>Regressions, expired evidence and threshold crossings appear here.</p></EmptyState>}>
        {(page) => (
          <ol className="timeline">
            {page.events.map((event, index) => (
              <li key={String(event.id ?? index)}>
                <div className={`timeline-dot ${event.kind === "control_regression" || event.kind === "score_below_threshold" ? "dot-bad" : ""}`} aria-hidden="true" />
                <div>
                  <div className="timeline-title"><strong>{humanize(event.kind)}</strong>{event.scf_id ? <> · <code>{String(event.scf_id)}</code></> : null}{event.framework_id ? <> · {frameworkName(String(event.framework_id))}</> : null}</div>
                  <div className="timeline-meta" title={formatDateTime(event.at)}>{timeAgo(event.at)}</div>
                  {event.message ? <p className="timeline-reason">{String(event.message)}</p> : event.details ? <p className="timeline-reason mono small">{Object.entries(event.details).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`).join(" · ")}</p> : null}
                </div>
              </li>
            ))}
          </ol>
        )}
      </QueryState>
    </Card>
  );
}

export default function CompliancePage() {
  const [params, setParams] = useSearchParams();
  const frameworkId = params.get("framework");
  const tab = params.get("tab") === "drift" ? "drift" : "frameworks";
  const control = params.get("control");
  const frameworks = useFrameworks();
  const setControl = (scfId: string | null) => setParams((current) => {
    const next = new URLSearchParams(current);
    if (scfId) next.set("control", scfId);
    else next.delete("control");
    return next;
  });
  const drawer = <ControlDrawer scfId={control} onClose={() => setControl(null)} />;
  if (frameworkId) return <><FrameworkView frameworkId={frameworkId} onControl={setControl} />{drawer}</>;
  return (
    <div className="page">
      <PageHeader title="Compliance" subtitle={frameworks.data ? `Findings mapped through the Secure Controls Framework (${frameworks.data.registry.source === "baseline" ? "built-in baseline" : "SCF workbook"} ${frameworks.data.registry.release})` : "Findings mapped to frameworks through SCF controls"} />
      <Tabs label="Compliance views" value={tab} onChange={(id) => setParams(id === "drift" ? { tab: "drift" } : {})} tabs={[{ id: "frameworks", label: "Frameworks" }, { id: "drift", label: "Drift timeline" }]} />
      {tab === "drift" ? <DriftTimeline /> : (
        <QueryState query={frameworks} isEmpty={(data) => data.frameworks.length === 0} empty={<EmptyState title="No frameworks" icon="compliance"><p>Import the SCF workbook to enable framework mapping.</p></EmptyState>}>
          {(data) => <FrameworkList frameworks={data.frameworks} />}
        </QueryState>
      )}
      {drawer}
    </div>
  );
}
