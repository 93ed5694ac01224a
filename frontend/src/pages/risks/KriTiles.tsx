/** KRI tiles (value, green/amber/red, sparkline of the history) and the form that defines one as data. */
import { useState } from "react";
import { useCan } from "../../app/AuthGate";
import { useComputeKris, useCreateKri, useKris, type KriIn } from "../../api/hooks/risks";
import { formatDateTime, humanize } from "../../components/format";
import { Button, Card, EmptyState, Field, InlineError, QueryState } from "../../components/ui";
import { Sparkline } from "./HeatMap";

const METRICS: { id: KriIn["metric"]; label: string; direction: "higher_is_worse" | "lower_is_worse" }[] = [
  { id: "open_past_sla", label: "Open findings past SLA", direction: "higher_is_worse" },
  { id: "controls_implemented_pct", label: "% of mapped SCF controls implemented", direction: "lower_is_worse" },
  { id: "mttr_days", label: "Mean time to remediate (days)", direction: "higher_is_worse" },
  { id: "kev_open", label: "KEV-listed CVEs open", direction: "higher_is_worse" },
  { id: "days_since_scan", label: "Days since last successful scan", direction: "higher_is_worse" },
];

function KriForm() {
  const create = useCreateKri();
  const [form, setForm] = useState({ name: "", metric: "open_past_sla" as KriIn["metric"], severity: "", amber: "1", red: "5" });
  const metric = METRICS.find((item) => item.id === form.metric) ?? METRICS[0];
  const set = (name: keyof typeof form) => (event: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => setForm({ ...form, [name]: event.target.value });
  const submit = () => create.mutate({
    name: form.name, metric: form.metric,
    scope: form.severity ? { severity: form.severity as "critical" } : {},
    thresholds: { amber: Number(form.amber), red: Number(form.red), direction: metric.direction },
  }, { onSuccess: () => setForm({ ...form, name: "" }) });
  return (
    <div className="form">
      <div className="form-row">
        <Field label="KRI name">{(id) => <input id={id} value={form.name} onChange={set("name")} />}</Field>
        <Field label="Metric">{(id) => <select id={id} value={form.metric} onChange={set("metric")}>{METRICS.map((item) => <option key={item.id} value={item.id}>{item.label}</option>)}</select>}</Field>
        <Field label="Severity scope">{(id) => <select id={id} value={form.severity} onChange={set("severity")}><option value="">default</option>{["critical", "high", "medium", "low"].map((s) => <option key={s}>{s}</option>)}</select>}</Field>
        <Field label="Amber at">{(id) => <input id={id} type="number" value={form.amber} onChange={set("amber")} />}</Field>
        <Field label="Red at" hint={metric.direction === "lower_is_worse" ? "lower is worse" : "higher is worse"}>{(id) => <input id={id} type="number" value={form.red} onChange={set("red")} />}</Field>
      </div>
      <div className="button-row"><Button icon="plus" busy={create.isPending} disabled={!form.name.trim()} onClick={submit}>Define KRI</Button></div>
      {create.isError && <InlineError error={create.error} />}
    </div>
  );
}

export function KriTiles() {
  const kris = useKris();
  const compute = useComputeKris();
  const canWrite = useCan("risks:write");
  return (
    <Card title="Key risk indicators" id="kris" actions={canWrite && <Button size="sm" icon="refresh" busy={compute.isPending} onClick={() => compute.mutate()}>Compute now</Button>}>
      <div className="stack">
        <QueryState query={kris} isEmpty={(list) => list.length === 0} empty={<EmptyState title="No KRI defined" icon="activity"><p>Define indicators computed from the platform's own data on a schedule.</p></EmptyState>}>
          {(list) => (
            <div className="kri-tiles">{list.map((kri) => (
              <article key={kri.id} className={`kri-tile kri-${kri.status}`} data-testid={`kri-${kri.name}`}>
                <strong>{kri.name}</strong>
                <span className="small muted">{humanize(kri.metric)}</span>
                <span className="kri-value">{kri.value ?? "—"}</span>
                <span className="small">{humanize(kri.status)}{kri.note ? `: ${kri.note}` : ""} · amber {String(kri.thresholds.amber)}, red {String(kri.thresholds.red)}</span>
                <Sparkline values={kri.history.map((point) => Number(point.value))} label={`${kri.name} history`} />
                <span className="small muted">{kri.computed_at ? `computed ${formatDateTime(kri.computed_at)}` : "not computed yet"}</span>
              </article>
            ))}</div>
          )}
        </QueryState>
        {canWrite && <KriForm />}
      </div>
    </Card>
  );
}
