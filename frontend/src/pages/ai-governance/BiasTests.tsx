/** Bias tests: upload an evaluation file, see fairlearn's per-group metrics against the system's limits, and the trend. */
import { useState } from "react";
import { Link } from "react-router-dom";
import { useBiasRuns, useRunBiasTest, type AiSystem, type BiasRun, type ThresholdResult } from "../../api/hooks/aiGovernance";
import { Pill } from "../../components/badges";
import { formatDateTime } from "../../components/format";
import { Button, EmptyState, Field, InlineError, QueryState } from "../../components/ui";
import { GroupBars } from "./GroupBars";

const RATES = [
  { key: "selection_rate", title: "Selection rate" },
  { key: "true_positive_rate", title: "True positive rate" },
  { key: "false_positive_rate", title: "False positive rate" },
] as const;

function FeatureCharts({ feature, result, minRatio }: { feature: string; result: ThresholdResult; minRatio: number }) {
  return (
    <div className="stack">
      <h4 style={{ margin: 0 }}>{feature}{result.threshold !== null && ` at threshold ${result.threshold}`} <Pill tone={result.passed ? "good" : "bad"}>{result.passed ? "pass" : "fail"}</Pill></h4>
      <div className="aig-charts">
        {RATES.map((rate) => {
          const values = result.groups.map((group) => ({ group: group.group, value: group[rate.key] }));
          const best = Math.max(...values.map((item) => item.value ?? 0));
          // The line a group must reach: the system's minimum ratio times the best group's rate.
          return <GroupBars key={rate.key} title={rate.title} groups={values} threshold={rate.key === "false_positive_rate" ? null : best * minRatio} thresholdLabel={`${minRatio} × best =`} />;
        })}
      </div>
      <table className="simple-table" data-testid={`metrics-${feature}`}>
        <thead><tr><th scope="col">Group</th><th scope="col">Count</th><th scope="col">Selection rate</th><th scope="col">TPR</th><th scope="col">FPR</th><th scope="col">Accuracy</th></tr></thead>
        <tbody>{result.groups.map((group) => (
          <tr key={group.group}><td>{group.group}</td><td>{group.count}</td><td>{group.selection_rate}</td><td>{group.true_positive_rate}</td><td>{group.false_positive_rate}</td><td>{group.accuracy}</td></tr>
        ))}</tbody>
      </table>
      <table className="simple-table">
        <thead><tr><th scope="col">Metric</th><th scope="col">Value</th><th scope="col">Limit</th><th scope="col">Result</th></tr></thead>
        <tbody>{result.checks.map((check) => (
          <tr key={check.metric}><td className="mono small">{check.metric}</td><td>{check.value ?? "n/a"}</td><td>{check.operator} {check.limit}</td><td><Pill tone={check.passed ? "good" : "bad"}>{check.passed ? "pass" : "fail"}</Pill></td></tr>
        ))}</tbody>
      </table>
    </div>
  );
}

export function RunDetail({ run }: { run: BiasRun }) {
  return (
    <div className="stack" data-testid="bias-run">
      <div className="row-between">
        <div><Pill tone={run.verdict === "pass" ? "good" : "bad"}>{run.verdict}</Pill> <span className="small">{run.rows} rows of {run.file_name} · model {run.model_version} · {formatDateTime(run.created_at)}</span></div>
        <span className="muted small mono">sha256 {run.data_sha256.slice(0, 16)}…</span>
      </div>
      <p className="small" data-testid="bias-finding">{run.finding.created
        ? <>A finding was created (source tool fairness): <Link to="/findings?tool=fairness">see it in Findings</Link>.</>
        : run.finding.reason}</p>
      {run.features.map((feature) => <FeatureCharts key={feature.feature} feature={feature.feature} result={feature.results[0]} minRatio={run.limits.min_ratio} />)}
    </div>
  );
}

export function BiasTests({ system }: { system: AiSystem }) {
  const runs = useBiasRuns(system.id);
  const upload = useRunBiasTest(system.id);
  const [file, setFile] = useState<File | null>(null);
  const [fields, setFields] = useState({ label_column: "", prediction_column: "", score_column: "", sensitive_columns: "", positive_label: "1", thresholds: "", model_version: system.model_version });
  const [selected, setSelected] = useState<string | null>(null);
  const set = (name: keyof typeof fields) => (event: React.ChangeEvent<HTMLInputElement>) => setFields({ ...fields, [name]: event.target.value });
  return (
    <div className="stack">
      <form className="form" onSubmit={(event) => { event.preventDefault(); if (file) upload.mutate({ file, ...fields }, { onSuccess: (run) => setSelected(run.id) }); }}>
        <p className="small muted">Limits of this system: ratios ≥ {system.fairness_limits.min_ratio}, differences ≤ {system.fairness_limits.max_difference}. CSV with a header row, or Parquet.</p>
        <div className="form-row">
          <Field label="Evaluation file">{(id) => <input id={id} type="file" accept=".csv,.parquet,text/csv" onChange={(event) => setFile(event.target.files?.[0] ?? null)} />}</Field>
          <Field label="True label column">{(id) => <input id={id} value={fields.label_column} onChange={set("label_column")} required />}</Field>
          <Field label="Sensitive feature columns" hint="Comma-separated">{(id) => <input id={id} value={fields.sensitive_columns} onChange={set("sensitive_columns")} required />}</Field>
        </div>
        <div className="form-row">
          <Field label="Prediction column" hint="0/1 decisions">{(id) => <input id={id} value={fields.prediction_column} onChange={set("prediction_column")} />}</Field>
          <Field label="Score column" hint="Or scores from 0 to 1">{(id) => <input id={id} value={fields.score_column} onChange={set("score_column")} />}</Field>
          <Field label="Thresholds" hint="For scores; the first decides">{(id) => <input id={id} value={fields.thresholds} onChange={set("thresholds")} placeholder="0.5" />}</Field>
          <Field label="Positive label">{(id) => <input id={id} value={fields.positive_label} onChange={set("positive_label")} />}</Field>
          <Field label="Model version">{(id) => <input id={id} value={fields.model_version} onChange={set("model_version")} />}</Field>
        </div>
        {upload.isError && <InlineError error={upload.error} />}
        <div><Button type="submit" variant="primary" icon="upload" busy={upload.isPending} disabled={!file}>Run bias test</Button></div>
      </form>
      <QueryState query={runs} isEmpty={(list) => list.length === 0} empty={<EmptyState title="No bias test yet" icon="activity"><p>Upload an evaluation file with the true labels, the model's predictions or scores and the sensitive features.</p></EmptyState>}>
        {(list) => {
          const shown = list.find((run) => run.id === selected) ?? list[0];
          return (
            <div className="stack">
              <RunDetail run={shown} />
              <h4 style={{ margin: 0 }}>History across model versions</h4>
              <table className="simple-table">
                <thead><tr><th scope="col">When</th><th scope="col">Model version</th><th scope="col">Verdict</th><th scope="col">Demographic parity ratio (first feature)</th><th scope="col">Data hash</th></tr></thead>
                <tbody>{list.map((run) => (
                  <tr key={run.id} onClick={() => setSelected(run.id)} style={{ cursor: "pointer" }} aria-selected={run.id === shown.id}>
                    <td>{formatDateTime(run.created_at)}</td><td>{run.model_version}</td>
                    <td><Pill tone={run.verdict === "pass" ? "good" : "bad"}>{run.verdict}</Pill></td>
                    <td>{run.features[0]?.results[0]?.demographic_parity_ratio ?? "n/a"}</td>
                    <td className="mono small">{run.data_sha256.slice(0, 12)}</td>
                  </tr>
                ))}</tbody>
              </table>
            </div>
          );
        }}
      </QueryState>
    </div>
  );
}
