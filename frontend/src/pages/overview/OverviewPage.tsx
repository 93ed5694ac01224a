import { useMemo, useState } from "react";
import { Link } from "react-router-dom";
import { Bar, BarChart, CartesianGrid, Cell, Pie, PieChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useFindingCounts, useFindingsPage, useFindingsTrend, usePostureScore } from "../../api/hooks/findings";
import { useFramework, useFrameworks } from "../../api/hooks/compliance";
import { useRuns } from "../../api/hooks/scans";
import { useCan } from "../../app/AuthGate";
import { useModuleOn } from "../../app/modules";
import { Pill } from "../../components/badges";
import { timeAgo } from "../../components/format";
import { Area, AreaChart } from "recharts";
import { SEVERITIES, type FindingCounts, type FindingStatus } from "../../api/types";
import { useTheme } from "../../app/theme";
import { SeverityBadge } from "../../components/badges";
import { formatDate, formatDay, formatDayTick, formatNumber, humanize, resourceLabel, SEVERITY_LABEL, STATUS_LABEL } from "../../components/format";
import { Card, EmptyState, ErrorState, Identifier, PageHeader, QueryState, Skeleton } from "../../components/ui";
import { ExecutiveReportButton } from "./ExecutiveReportButton";
import { POSTURE_DEFINITION, scoreTone } from "./posture";
import { fillTrend, trendDelta, utcToday, type TrendDay } from "./trend";

export const SEVERITY_COLOR = { critical: "#dc2626", high: "#ea580c", medium: "#d97706", low: "#2563eb", info: "#64748b" };
const STATUS_COLOR: Record<FindingStatus, string> = {
  open: "#dc2626", reopened: "#f97316", resolved: "#16a34a", resolved_pending_verification: "#65a30d", false_positive: "#8b5cf6", risk_accepted: "#0ea5e9", suppressed: "#94a3b8",
};
const ACTIVE: FindingStatus[] = ["open", "reopened"];

function ScoreRing({ score }: { score: number | null }) {
  const radius = 52;
  const circumference = 2 * Math.PI * radius;
  const value = score ?? 0;
  return (
    <svg className={`score-ring tone-${scoreTone(score)}`} viewBox="0 0 128 128" role="img" aria-label={score == null ? "No score yet" : `Posture score ${score} out of 100`}>
      <circle cx="64" cy="64" r={radius} className="score-track" />
      <circle cx="64" cy="64" r={radius} className="score-value" strokeDasharray={`${(value / 100) * circumference} ${circumference}`} transform="rotate(-90 64 64)" />
      <text x="64" y="62" textAnchor="middle" className="score-number">{score == null ? "—" : score}</text>
      <text x="64" y="84" textAnchor="middle" className="score-unit">/ 100</text>
    </svg>
  );
}

function useChartColors() {
  const { theme } = useTheme();
  return theme === "dark" ? { axis: "#94a3b8", grid: "#1e293b", tooltip: "#0f172a", text: "#e2e8f0" } : { axis: "#64748b", grid: "#e2e8f0", tooltip: "#ffffff", text: "#0f172a" };
}

function SeverityChart({ counts }: { counts: FindingCounts }) {
  const colors = useChartColors();
  const data = SEVERITIES.map((severity) => ({ severity: SEVERITY_LABEL[severity], key: severity, count: counts.by_severity[severity] ?? 0 }));
  return (
    <div className="chart" role="img" aria-label={`Active findings by severity: ${data.map((d) => `${d.severity} ${d.count}`).join(", ")}`}>
      <ResponsiveContainer width="100%" height={220}>
        <BarChart data={data} margin={{ top: 8, right: 8, left: -12, bottom: 0 }}>
          <CartesianGrid vertical={false} stroke={colors.grid} />
          <XAxis dataKey="severity" tick={{ fill: colors.axis, fontSize: 12 }} axisLine={false} tickLine={false} />
          <YAxis allowDecimals={false} tick={{ fill: colors.axis, fontSize: 12 }} axisLine={false} tickLine={false} />
          <Tooltip cursor={{ fill: colors.grid, opacity: 0.5 }} contentStyle={{ background: colors.tooltip, border: `1px solid ${colors.grid}`, borderRadius: 8, color: colors.text }} />
          <Bar dataKey="count" name="Findings" radius={[6, 6, 0, 0]} isAnimationActive={false}>
            {data.map((entry) => <Cell key={entry.key} fill={SEVERITY_COLOR[entry.key]} />)}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

function StatusChart({ counts }: { counts: FindingCounts }) {
  const data = (Object.entries(counts.by_status) as [FindingStatus, number][]).filter(([, count]) => count > 0).map(([status, count]) => ({ status, name: STATUS_LABEL[status] ?? status, count }));
  if (!data.length) return <EmptyState title="Nothing triaged yet" />;
  return (
    <div className="donut-wrap">
      <div className="chart" role="img" aria-label={`Findings by status: ${data.map((d) => `${d.name} ${d.count}`).join(", ")}`}>
        <ResponsiveContainer width={170} height={170}>
          <PieChart>
            <Pie data={data} dataKey="count" nameKey="name" innerRadius={52} outerRadius={78} paddingAngle={2} stroke="none" isAnimationActive={false}>
              {data.map((entry) => <Cell key={entry.status} fill={STATUS_COLOR[entry.status]} />)}
            </Pie>
          </PieChart>
        </ResponsiveContainer>
      </div>
      <ul className="legend">
        {data.map((entry) => (
          <li key={entry.status}>
            <span className="legend-dot" style={{ background: STATUS_COLOR[entry.status] }} />
            <Link to={`/findings?status=${entry.status}`}>{entry.name}</Link>
            <span className="legend-value">{formatNumber(entry.count)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

function ToolBars({ counts }: { counts: FindingCounts }) {
  const entries = Object.entries(counts.by_tool).sort((a, b) => b[1] - a[1]);
  const max = Math.max(1, ...entries.map(([, count]) => count));
  if (!entries.length) return <EmptyState title="No scanner results yet" icon="scans" />;
  return (
    <ul className="hbars">
      {entries.map(([tool, count]) => (
        <li key={tool}>
          <Link to={`/findings?tool=${encodeURIComponent(tool)}&status=open&status=reopened`} className="hbar-label">{humanize(tool)}</Link>
          <span className="hbar-track"><span className="hbar-fill" style={{ width: `${(100 * count) / max}%` }} /></span>
          <span className="hbar-value">{formatNumber(count)}</span>
        </li>
      ))}
    </ul>
  );
}

function SlaBreaches() {
  const overdue = useFindingsPage({ overdue: true, status: ACTIVE }, "severity", 8);
  return (
    <QueryState
      query={overdue}
      isEmpty={(page) => page.items.length === 0}
      empty={<EmptyState title="No SLA breaches" icon="check"><p>Every active finding is within its remediation deadline.</p></EmptyState>}
    >
      {(page) => (
        <ul className="list">
          {page.items.map((finding) => (
            <li key={finding.id}>
              <Link to={`/findings?overdue=true&status=open&status=reopened&finding=${finding.id}`} className="list-row">
                <SeverityBadge severity={finding.severity} />
                <span className="list-main">
                  <span className="list-title">{finding.title}</span>
                  <Identifier value={resourceLabel(finding.resource)} className="list-sub mono" />
                </span>
                <span className="overdue small nowrap">{finding.sla_due_at ? `due ${formatDate(finding.sla_due_at)}` : "overdue"}</span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </QueryState>
  );
}

function RecentScans() {
  const runs = useRuns(undefined, 6);
  const tone: Record<string, "good" | "bad" | "info" | "neutral"> = { succeeded: "good", failed: "bad", timed_out: "bad", running: "info" };
  return (
    <QueryState query={runs} isEmpty={(list) => list.length === 0} empty={<EmptyState title="No scans yet" icon="scans"><p><Link to="/scans">Add a target</Link> and run a scan.</p></EmptyState>}>
      {(list) => (
        <ul className="list">
          {list.map((run) => (
            <li key={run.run_id}>
              <Link to={`/scans?run=${run.run_id}`} className="list-row">
                <Pill tone={tone[run.state] ?? "neutral"}>{humanize(run.state)}</Pill>
                <span className="list-main">
                  <span className="list-title">{String(run.target?.name ?? run.scope_key ?? humanize(run.kind))}</span>
                  <span className="list-sub">{run.tools.join(", ")}{run.error ? ` · ${run.error}` : ""}</span>
                </span>
                <span className="muted small nowrap">{timeAgo(run.started_at ?? run.created_at)}</span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </QueryState>
  );
}

/** The framework with the most controls stands for the control catalogue on the Overview. */
function useLeadFramework() {
  const frameworks = useFrameworks();
  const lead = frameworks.data?.frameworks.slice().sort((a, b) => b.control_count - a.control_count)[0];
  return { frameworks, lead };
}

function TopFailingControls() {
  const { frameworks, lead } = useLeadFramework();
  const detail = useFramework(lead?.framework_id ?? null);
  if (frameworks.isError) return <ErrorState error={frameworks.error} />;
  if (frameworks.isPending || (lead && detail.isPending)) return <Skeleton rows={5} />;
  if (detail.isError) return <ErrorState error={detail.error} />;
  const controls = new Map<string, { scf_id: string; title: string; failing: number }>();
  for (const requirement of detail.data?.requirements ?? []) {
    for (const control of requirement.controls) {
      if ((control.counts.failing ?? 0) > 0) controls.set(control.scf_id, { scf_id: control.scf_id, title: control.title, failing: control.counts.failing ?? 0 });
    }
  }
  const top = [...controls.values()].sort((a, b) => b.failing - a.failing).slice(0, 6);
  if (!top.length) return <EmptyState title="No failing controls" icon="check" />;
  const max = top[0].failing;
  return (
    <ul className="hbars hbars-wide">
      {top.map((control) => (
        <li key={control.scf_id}>
          <Link to={`/compliance?framework=${lead!.framework_id}`} className="hbar-label" title={control.title}><code>{control.scf_id}</code> {control.title}</Link>
          <span className="hbar-track"><span className="hbar-fill hbar-bad" style={{ width: `${(100 * control.failing) / max}%` }} /></span>
          <span className="hbar-value">{control.failing}</span>
        </li>
      ))}
    </ul>
  );
}


const TREND_RANGES = [30, 90] as const;

function TrendTooltip({ active, payload }: { active?: boolean; payload?: { payload: TrendDay }[] }) {
  const point = payload?.[0]?.payload;
  if (!active || !point) return null;
  return (
    <div className="chart-tooltip">
      <div className="chart-tooltip-title">{formatDay(point.day)}{point.filled ? " · no change" : ""}</div>
      <div className="chart-tooltip-total">{formatNumber(point.total)} active</div>
      <ul>
        {SEVERITIES.map((severity) => (
          <li key={severity}><span className="legend-dot" style={{ background: SEVERITY_COLOR[severity] }} />{SEVERITY_LABEL[severity]}<span>{formatNumber(point[severity])}</span></li>
        ))}
      </ul>
    </div>
  );
}

function FindingsTrend() {
  const [days, setDays] = useState<(typeof TREND_RANGES)[number]>(30);
  const trend = useFindingsTrend(days);
  const colors = useChartColors();
  const series = useMemo(() => fillTrend(trend.data ?? [], { days, today: utcToday() }), [trend.data, days]);
  const range = (
    <div className="segmented" role="group" aria-label="Trend range">
      {TREND_RANGES.map((value) => (
        <button key={value} type="button" aria-pressed={days === value} className={days === value ? "segmented-active" : ""} onClick={() => setDays(value)}>{value} days</button>
      ))}
    </div>
  );
  let body: React.ReactNode;
  if (trend.isPending) body = <Skeleton rows={4} />;
  else if (trend.isError) body = <ErrorState error={trend.error} onRetry={() => trend.refetch()} />;
  else if (!series.length) {
    body = <EmptyState title="No trend yet" icon="clock"><p>A point is recorded whenever findings change and once a day, so the trend fills in as you scan and triage.</p></EmptyState>;
  } else {
    const last = series[series.length - 1];
    const delta = trendDelta(series);
    body = (
      <>
        <p className="trend-headline" data-testid="trend-headline">
          <strong>{formatNumber(last.total)}</strong> active findings today
          {series.length > 1 && <span className={delta > 0 ? "trend-up" : delta < 0 ? "trend-down" : "muted"}> · {delta > 0 ? "+" : ""}{formatNumber(delta)} since {formatDay(series[0].day)}</span>}
        </p>
        {series.length < 2 ? (
          <div className="trend-single">
            <div className="stacked-bar" aria-hidden="true">
              {SEVERITIES.map((severity) => last[severity] > 0 && <span key={severity} style={{ width: `${(100 * last[severity]) / Math.max(1, last.total)}%`, background: SEVERITY_COLOR[severity] }} />)}
            </div>
            <p className="muted small">The trend starts {formatDay(last.day)}: {SEVERITIES.filter((severity) => last[severity] > 0).map((severity) => `${last[severity]} ${SEVERITY_LABEL[severity].toLowerCase()}`).join(", ") || "nothing active"}. A point is added each day, so the line appears from tomorrow.</p>
          </div>
        ) : (
          <div className="chart" role="img" aria-label={`Active findings per day over the last ${days} days: from ${series[0].total} on ${formatDay(series[0].day)} to ${last.total} today`}>
            <ResponsiveContainer width="100%" height={220}>
              <AreaChart data={series} margin={{ top: 8, right: 8, left: -12, bottom: 0 }}>
                <CartesianGrid vertical={false} stroke={colors.grid} />
                <XAxis dataKey="day" tickFormatter={formatDayTick} tick={{ fill: colors.axis, fontSize: 11 }} axisLine={false} tickLine={false} minTickGap={28} />
                <YAxis allowDecimals={false} tick={{ fill: colors.axis, fontSize: 11 }} axisLine={false} tickLine={false} />
                <Tooltip content={<TrendTooltip />} />
                {SEVERITIES.map((severity) => (
                  <Area key={severity} type="linear" dataKey={severity} name={SEVERITY_LABEL[severity]} stackId="severity" stroke={SEVERITY_COLOR[severity]} fill={SEVERITY_COLOR[severity]} fillOpacity={0.25} strokeWidth={1.5} isAnimationActive={false} />
                ))}
              </AreaChart>
            </ResponsiveContainer>
          </div>
        )}
        <ul className="legend legend-row" aria-hidden="true">
          {SEVERITIES.map((severity) => <li key={severity}><span className="legend-dot" style={{ background: SEVERITY_COLOR[severity] }} />{SEVERITY_LABEL[severity]}</li>)}
        </ul>
      </>
    );
  }
  return (
    <Card title="Findings trend" id="trend" className="card-full" actions={range}>
      {body}
    </Card>
  );
}

export default function OverviewPage() {
  const complianceOn = useModuleOn("compliance");
  const scansOn = useModuleOn("scans");
  const canCompliance = useCan("compliance:read") && complianceOn;
  const canScans = useCan("scans:read") && scansOn;
  const active = useFindingCounts({ status: ACTIVE });
  const all = useFindingCounts({});
  const posture = usePostureScore();
  const error = active.error ?? all.error ?? posture.error;

  return (
    <div className="page">
      <PageHeader title="Overview" subtitle="Your team's security posture across every scanner" actions={<ExecutiveReportButton />} />
      {error ? (
        <ErrorState error={error} onRetry={() => { active.refetch(); all.refetch(); posture.refetch(); }} title="Could not load the posture summary" />
      ) : (
        <div className="grid grid-overview">
          <Card title="Posture score" className="card-score" id="posture">
            {posture.isPending ? <Skeleton rows={3} /> : (
              <div className="score">
                <ScoreRing score={posture.data?.score ?? null} />
                <div>
                  <p className="score-explain">{posture.data?.explanation}</p>
                  <p className="muted small">{POSTURE_DEFINITION}</p>
                </div>
              </div>
            )}
          </Card>
          <Card title="Active findings" id="kpis" className="card-kpis card-wide">
            {active.isPending ? <Skeleton rows={2} /> : (
              <dl className="kpis">
                <div><dt>Open</dt><dd>{formatNumber(active.data?.total)}</dd></div>
                <div><dt>Critical &amp; high</dt><dd className="kpi-bad">{formatNumber((active.data?.by_severity.critical ?? 0) + (active.data?.by_severity.high ?? 0))}</dd></div>
                <div><dt>Past SLA</dt><dd className={active.data?.overdue ? "kpi-bad" : ""}>{formatNumber(active.data?.overdue)}</dd></div>
                <div><dt>Resolved</dt><dd className="kpi-good">{formatNumber(all.data?.by_status.resolved ?? 0)}</dd></div>
              </dl>
            )}
          </Card>
          <Card title="Active findings by severity" id="severity" className="card-wide" actions={<Link to="/findings" className="link small">View all</Link>}>
            {active.isPending ? <Skeleton rows={5} /> : active.data && active.data.total > 0 ? <SeverityChart counts={active.data} /> : <EmptyState title="No active findings" icon="check"><p>Import a scanner report from the Findings page to get started.</p></EmptyState>}
          </Card>
          <Card title="Triage status" id="status">
            {all.isPending ? <Skeleton rows={4} /> : all.data && <StatusChart counts={all.data} />}
          </Card>
          <FindingsTrend />
          <Card title="SLA breaches" id="sla" className="card-wide" actions={<Link to="/findings?overdue=true&status=open&status=reopened" className="link small">All overdue</Link>}>
            <SlaBreaches />
          </Card>
          <Card title="Active findings by scanner" id="tools">
            {active.isPending ? <Skeleton rows={4} /> : active.data && <ToolBars counts={active.data} />}
          </Card>
          {canCompliance && (
            <Card title="Top failing controls" id="controls" className="card-wide" actions={<Link to="/compliance" className="link small">Compliance</Link>}>
              <TopFailingControls />
            </Card>
          )}
          {canScans && (
            <Card title="Recent scans" id="scans" actions={<Link to="/scans" className="link small">All scans</Link>}>
              <RecentScans />
            </Card>
          )}
        </div>
      )}
    </div>
  );
}
