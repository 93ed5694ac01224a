import { useState, type FormEvent } from "react";
import { useSearchParams } from "react-router-dom";
import {
  isRunning, useCancelRun, useCreateTarget, useDeleteTarget, useLaunchScan, useRun, useRuns, useTargets,
  type Run, type Target, type TargetKind,
} from "../../api/hooks/scans";
import { useCan } from "../../app/AuthGate";
import { Pill } from "../../components/badges";
import { formatDateTime, humanize, timeAgo } from "../../components/format";
import { Button, Card, ConfirmDialog, Drawer, EmptyState, ErrorState, Field, InlineError, Modal, PageHeader, QueryState, Skeleton } from "../../components/ui";

const KINDS: { kind: TargetKind; label: string; placeholder: string; hint: string }[] = [
  { kind: "repository", label: "Directory / repository", placeholder: "/srv/checkout/my-service", hint: "Absolute path on the scanner host (Trivy misconfigurations and secrets, syft SBOM)." },
  { kind: "network", label: "Network", placeholder: "10.0.0.0/24 or host.example.com", hint: "Hosts or CIDRs (Nmap service discovery). Must be in the allow-list." },
  { kind: "container_image", label: "Container image", placeholder: "registry.example.com/app:1.4.2", hint: "Image reference(s) (Trivy, syft, grype)." },
  { kind: "web_application", label: "Web application", placeholder: "https://app.example.com", hint: "Base URL (HTTP header checks, ZAP baseline)." },
  { kind: "tls_endpoint", label: "TLS endpoint", placeholder: "app.example.com:443", hint: "host:port (sslyze)." },
  { kind: "cloud_account", label: "Cloud account", placeholder: "123456789012", hint: "Account id (Prowler)." },
];

const STATE_TONE: Record<string, "good" | "warn" | "bad" | "info" | "neutral"> = {
  succeeded: "good", failed: "bad", timed_out: "bad", cancelled: "neutral", running: "info", queued: "neutral",
};

export function RunState({ state }: { state: string }) {
  return <Pill tone={STATE_TONE[state] ?? "warn"}>{isRunning(state) && <span className="spinner spinner-sm pill-spinner" aria-hidden="true" />}{humanize(state)}</Pill>;
}

function Progress({ run }: { run: Run }) {
  const total = run.progress?.total ?? 0;
  const finished = run.progress?.finished ?? 0;
  const percent = total ? Math.round((100 * finished) / total) : isRunning(run.state) ? 0 : 100;
  return (
    <div className="progress" role="progressbar" aria-valuenow={percent} aria-valuemin={0} aria-valuemax={100} aria-label={`${finished} of ${total} jobs finished`}>
      <span className={`progress-fill ${run.state === "failed" ? "progress-bad" : ""}`} style={{ width: `${percent}%` }} />
    </div>
  );
}

function TargetForm({ open, onClose }: { open: boolean; onClose: () => void }) {
  const create = useCreateTarget();
  const [kind, setKind] = useState<TargetKind>("repository");
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const [ports, setPorts] = useState("");
  const [cron, setCron] = useState("");
  const meta = KINDS.find((item) => item.kind === kind)!;
  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(
      { name, kind, value, options: kind === "network" && ports ? { ports } : {}, schedule: cron ? { cron, timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC", enabled: true } : null },
      { onSuccess: () => { setName(""); setValue(""); setPorts(""); setCron(""); onClose(); } },
    );
  }
  return (
    <Modal open={open} title="Add a scan target" onClose={() => { create.reset(); onClose(); }} footer={<><Button variant="ghost" onClick={onClose}>Cancel</Button><Button variant="primary" type="submit" form="target-form" busy={create.isPending} disabled={!name || !value}>Add target</Button></>}>
      <form id="target-form" className="form" onSubmit={submit}>
        <Field label="Kind">
          {(id) => <select id={id} value={kind} onChange={(event) => setKind(event.target.value as TargetKind)} data-autofocus>{KINDS.map((item) => <option key={item.kind} value={item.kind}>{item.label}</option>)}</select>}
        </Field>
        <Field label="Name">{(id) => <input id={id} value={name} onChange={(event) => setName(event.target.value)} maxLength={200} required placeholder="e.g. Payments API" />}</Field>
        <Field label={kind === "repository" ? "Path" : "Value"} hint={meta.hint}>{(id) => <input id={id} value={value} onChange={(event) => setValue(event.target.value)} placeholder={meta.placeholder} required maxLength={4000} />}</Field>
        {kind === "network" && <Field label="Ports (optional)" hint="e.g. 22,80,443 or 1-1024">{(id) => <input id={id} value={ports} onChange={(event) => setPorts(event.target.value)} />}</Field>}
        <Field label="Schedule (optional)" hint="Five-field cron in your time zone, e.g. 0 3 * * * for 03:00 daily.">{(id) => <input id={id} value={cron} onChange={(event) => setCron(event.target.value)} placeholder="0 3 * * *" />}</Field>
      </form>
      <InlineError error={create.error} />
    </Modal>
  );
}

function RunDrawer({ runId, onClose }: { runId: string | null; onClose: () => void }) {
  const run = useRun(runId);
  const cancel = useCancelRun();
  const canWrite = useCan("scans:write");
  const data = run.data;
  return (
    <Drawer open={!!runId} onClose={onClose} title={data ? <><RunState state={data.state} /> <span className="drawer-heading">{String(data.target?.name ?? "Scan")}</span></> : "Scan run"}
      actions={data && isRunning(data.state) && canWrite && <Button size="sm" variant="danger" busy={cancel.isPending} onClick={() => cancel.mutate(data.run_id)}>Cancel run</Button>}>
      {run.isPending && <Skeleton rows={6} />}
      {run.isError && <ErrorState error={run.error} onRetry={() => run.refetch()} />}
      <InlineError error={cancel.error} />
      {data && (
        <div className="finding-detail">
          <Progress run={data} />
          <dl className="facts">
            <div><dt>Target</dt><dd><code className="break">{String(data.target?.value ?? "—")}</code></dd></div>
            <div><dt>Tools</dt><dd>{data.tools.join(", ")}</dd></div>
            <div><dt>Started</dt><dd>{formatDateTime(data.started_at ?? data.created_at)}</dd></div>
            <div><dt>Finished</dt><dd>{formatDateTime(data.finished_at)}</dd></div>
            <div><dt>Trigger</dt><dd>{humanize(data.trigger ?? data.kind)}</dd></div>
            <div><dt>Progress</dt><dd>{data.progress ? `${data.progress.finished ?? 0} of ${data.progress.total ?? 0} jobs` : "—"}</dd></div>
          </dl>
          {data.error && <div className="callout callout-warn" role="alert"><strong>Run failed:</strong> {data.error}</div>}
          {Object.keys(data.counts).length > 0 && (
            <section><h3>Findings</h3>
              <dl className="stat-row">{Object.entries(data.counts).map(([key, value]) => <div key={key}><dt>{humanize(key)}</dt><dd>{value}</dd></div>)}</dl>
            </section>
          )}
          <section>
            <h3>Jobs</h3>
            <ul className="job-list">
              {data.sub_jobs.map((job) => (
                <li key={job.sub_job_id} className={`job job-${job.state}`}>
                  <div className="job-head">
                    <strong>{job.tool}</strong>
                    <code className="job-part">{job.part}</code>
                    <RunState state={job.state} />
                    <span className="muted small">{job.duration_s != null ? `${job.duration_s.toFixed(1)} s` : ""}{job.attempts > 1 ? ` · ${job.attempts} attempts` : ""}</span>
                  </div>
                  {job.reason && <p className="job-reason"><strong>Reason:</strong> {job.reason}</p>}
                  {job.stderr_tail && <pre className="evidence">{job.stderr_tail}</pre>}
                  {Object.keys(job.counts).length > 0 && <p className="muted small">{Object.entries(job.counts).map(([k, v]) => `${humanize(k)}: ${v}`).join(" · ")}</p>}
                </li>
              ))}
            </ul>
          </section>
        </div>
      )}
    </Drawer>
  );
}

export default function ScansPage() {
  const targets = useTargets();
  const runs = useRuns();
  const launch = useLaunchScan();
  const remove = useDeleteTarget();
  const canTargets = useCan("targets:write");
  const canScan = useCan("scans:write");
  const [adding, setAdding] = useState(false);
  const [deleting, setDeleting] = useState<Target | null>(null);
  const [params, setParams] = useSearchParams();
  const runId = params.get("run");
  const openRun = (id: string) => setParams({ run: id });

  return (
    <div className="page">
      <PageHeader title="Scans" subtitle="Targets, scheduled and on-demand scans, and what each job did" actions={canTargets && <Button variant="primary" icon="plus" onClick={() => setAdding(true)}>Add target</Button>} />
      <InlineError error={launch.error} />
      <Card title="Targets" id="targets">
        <QueryState query={targets} isEmpty={(list) => list.length === 0} empty={<EmptyState title="No targets yet" icon="scans"><p>Add a directory, network, image, URL or cloud account to scan.</p>{canTargets && <Button variant="primary" icon="plus" onClick={() => setAdding(true)}>Add target</Button>}</EmptyState>}>
          {(list) => (
            <table className="simple-table">
              <thead><tr><th scope="col">Target</th><th scope="col">Kind</th><th scope="col">Tools</th><th scope="col">Schedule</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
              <tbody>
                {list.map((target) => (
                  <tr key={target.id}>
                    <td><div className="cell-title"><span className="cell-main">{target.name}</span><span className="cell-sub mono">{target.value}</span></div></td>
                    <td>{humanize(target.kind)}</td>
                    <td><span className="tags">{target.tools.map((tool) => <span className="tag" key={tool}>{tool}</span>)}</span></td>
                    <td className="small">{target.schedule ? <><code>{target.schedule.cron}</code>{target.schedule.next_run_at && <span className="muted"> · next {timeAgo(target.schedule.next_run_at)}</span>}</> : <span className="muted">On demand</span>}</td>
                    <td className="actions-cell">
                      {canScan && <Button size="sm" variant="primary" icon="scans" busy={launch.isPending && launch.variables?.target_id === target.id} onClick={() => launch.mutate({ target_id: target.id }, { onSuccess: (run) => openRun(run.run_id) })} aria-label={`Scan ${target.name}`}>Scan now</Button>}
                      {canTargets && <Button size="sm" variant="ghost" onClick={() => setDeleting(target)} aria-label={`Delete ${target.name}`}>Delete</Button>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </QueryState>
      </Card>
      <Card title="Recent runs" id="runs">
        {runs.isPending ? <Skeleton rows={4} /> : runs.isError ? <ErrorState error={runs.error} onRetry={() => runs.refetch()} /> : !runs.data.length ? <EmptyState title="No scans yet" icon="clock"><p>Runs appear here with live progress.</p></EmptyState> : (
          <table className="simple-table">
            <thead><tr><th scope="col">Target</th><th scope="col">State</th><th scope="col">Progress</th><th scope="col">Findings</th><th scope="col">Started</th><th scope="col"><span className="sr-only">Details</span></th></tr></thead>
            <tbody>
              {runs.data.map((run) => (
                <tr key={run.run_id} className="clickable" onClick={() => openRun(run.run_id)}>
                  <td><div className="cell-title"><span className="cell-main">{String(run.target?.name ?? run.scope_key ?? humanize(run.kind))}</span><span className="cell-sub">{run.tools.join(", ")}</span></div></td>
                  <td><RunState state={run.state} />{run.error && <span className="cell-sub run-error" title={run.error}>{run.error}</span>}</td>
                  <td style={{ width: 160 }}><Progress run={run} /></td>
                  <td className="small">{run.counts.new != null ? `${run.counts.new} new · ${run.counts.resolved ?? 0} resolved` : run.counts.components != null ? `${run.counts.components} components` : "—"}</td>
                  <td className="nowrap small">{timeAgo(run.started_at ?? run.created_at)}</td>
                  <td className="actions-cell"><Button size="sm" variant="ghost" onClick={(event) => { event.stopPropagation(); openRun(run.run_id); }}>Details</Button></td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      <TargetForm open={adding} onClose={() => setAdding(false)} />
      <RunDrawer runId={runId} onClose={() => setParams({})} />
      <ConfirmDialog open={!!deleting} title="Delete target" message={<>Delete <strong>{deleting?.name}</strong> and its schedule? Findings from earlier scans are kept.</>} confirmLabel="Delete target" busy={remove.isPending} error={remove.error} onCancel={() => { setDeleting(null); remove.reset(); }} onConfirm={() => deleting && remove.mutate(deleting.id, { onSuccess: () => setDeleting(null) })} />
    </div>
  );
}
