import { useState, type FormEvent } from "react";
import { useSearchParams } from "react-router-dom";
import { useCloudAccounts } from "../../api/hooks/cloudAccounts";
import {
  isRunning, useCancelRun, useCreateTarget, useDeleteTarget, useLaunchScan, useRun, useRuns, useTargets,
  type Run, type Target, type TargetKind,
} from "../../api/hooks/scans";
import { useCan } from "../../app/AuthGate";
import { Pill } from "../../components/badges";
import { formatDateTime, humanize, timeAgo } from "../../components/format";
import { Button, Card, ConfirmDialog, Drawer, EmptyState, ErrorState, Field, InlineError, Modal, PageHeader, QueryState, Skeleton, Tabs } from "../../components/ui";
import { CloudAccountsPanel } from "./CloudAccountsPanel";
import { describeAccount, providerShort, targetValueFor } from "./cloudAccountForm";
import { browserTimeZone, cronProblem, describeCron } from "./schedule";
import { ScheduleDialog, ScheduleFields, type ScheduleValue } from "./ScheduleDialog";
import { findingsSummary, formatDuration } from "./runSummary";

const KINDS: { kind: TargetKind; label: string; placeholder: string; hint: string }[] = [
  { kind: "repository", label: "Directory / repository", placeholder: "/srv/checkout/my-service", hint: "Absolute path on the scanner host (Trivy misconfigurations and secrets, syft SBOM)." },
  { kind: "network", label: "Network", placeholder: "10.0.0.0/24 or host.example.com", hint: "Hosts or CIDRs (Nmap service discovery). Must be in the allow-list." },
  { kind: "container_image", label: "Container image", placeholder: "registry.example.com/app:1.4.2", hint: "Image reference(s) (Trivy, syft, grype)." },
  { kind: "web_application", label: "Web application", placeholder: "https://app.example.com", hint: "Base URL (HTTP header checks, ZAP baseline)." },
  { kind: "tls_endpoint", label: "TLS endpoint", placeholder: "app.example.com:443", hint: "host:port (sslyze)." },
  { kind: "cloud_account", label: "Cloud account", placeholder: "", hint: "A connected AWS, Google Cloud or Azure account (Prowler)." },
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

function TargetForm({ open, onClose, onAddAccount }: { open: boolean; onClose: () => void; onAddAccount: () => void }) {
  const create = useCreateTarget();
  const accounts = useCloudAccounts(open);
  const [kind, setKind] = useState<TargetKind>("repository");
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const [ports, setPorts] = useState("");
  const [accountId, setAccountId] = useState("");
  const [schedule, setSchedule] = useState<ScheduleValue>({ cron: "", timezone: browserTimeZone(), enabled: true });
  const meta = KINDS.find((item) => item.kind === kind)!;
  const cloud = kind === "cloud_account";
  const account = accounts.data?.find((item) => item.id === accountId) ?? (cloud ? accounts.data?.[0] : undefined);
  const scheduleInvalid = !!schedule.cron.trim() && !!cronProblem(schedule.cron);
  const ready = !!name.trim() && (cloud ? !!account : !!value.trim()) && !scheduleInvalid;
  const close = () => { create.reset(); onClose(); };
  function submit(event: FormEvent) {
    event.preventDefault();
    if (!ready) return;
    create.mutate(
      {
        name: name.trim(), kind, value: cloud && account ? targetValueFor(account) : value.trim(),
        cloud_account_id: cloud && account ? account.id : null,
        options: kind === "network" && ports ? { ports } : {},
        schedule: schedule.cron.trim() ? { cron: schedule.cron.trim(), timezone: schedule.timezone, enabled: true } : null,
      },
      { onSuccess: () => { setName(""); setValue(""); setPorts(""); setSchedule({ ...schedule, cron: "" }); onClose(); } },
    );
  }
  return (
    <Modal open={open} wide title="Add a scan target" onClose={close} footer={<><Button variant="ghost" onClick={close}>Cancel</Button><Button variant="primary" type="submit" form="target-form" busy={create.isPending} disabled={!ready}>Add target</Button></>}>
      <form id="target-form" className="form" onSubmit={submit}>
        <div className="form-row">
          <Field label="Kind">
            {(id) => <select id={id} value={kind} onChange={(event) => setKind(event.target.value as TargetKind)} data-autofocus>{KINDS.map((item) => <option key={item.kind} value={item.kind}>{item.label}</option>)}</select>}
          </Field>
          <Field label="Name">{(id) => <input id={id} value={name} onChange={(event) => setName(event.target.value)} maxLength={200} required placeholder="e.g. Payments API" />}</Field>
        </div>
        {cloud ? (
          accounts.isPending ? <Skeleton rows={1} /> : accounts.isError ? <InlineError error={accounts.error} /> : !accounts.data.length ? (
            <div className="callout callout-info">
              <p>No cloud account is connected yet: add one (its credentials stay encrypted), then scan it.</p>
              <div><Button size="sm" icon="plus" onClick={() => { close(); onAddAccount(); }}>Add cloud account</Button></div>
            </div>
          ) : (
            <Field label="Cloud account" hint={meta.hint}>
              {(id) => (
                <select id={id} value={account?.id ?? ""} onChange={(event) => setAccountId(event.target.value)}>
                  {accounts.data.map((item) => <option key={item.id} value={item.id}>{providerShort(item.provider)} · {item.name} ({describeAccount(item).primary})</option>)}
                </select>
              )}
            </Field>
          )
        ) : (
          <Field label={kind === "repository" ? "Path" : "Value"} hint={meta.hint}>{(id) => <input id={id} value={value} onChange={(event) => setValue(event.target.value)} placeholder={meta.placeholder} required maxLength={4000} />}</Field>
        )}
        {kind === "network" && <Field label="Ports (optional)" hint="e.g. 22,80,443 or 1-1024">{(id) => <input id={id} value={ports} onChange={(event) => setPorts(event.target.value)} />}</Field>}
        <fieldset className="plain-fieldset">
          <legend>Schedule (optional)</legend>
          <ScheduleFields value={schedule} onChange={setSchedule} showEnabled={false} optional />
        </fieldset>
      </form>
      <InlineError error={create.error} />
    </Modal>
  );
}

function ScheduleCell({ target }: { target: Target }) {
  const schedule = target.schedule;
  if (!schedule) return <span className="muted">On demand</span>;
  const words = describeCron(schedule.cron);
  return (
    <div className="schedule-cell">
      <span title={`${schedule.cron} (${schedule.timezone})`}>{words ?? <code>{schedule.cron}</code>} <span className="muted">· {schedule.timezone}</span></span>
      {schedule.enabled ? (
        <span className="muted">{schedule.next_run_at ? <>Next run <span title={formatDateTime(schedule.next_run_at)}>{timeAgo(schedule.next_run_at)}</span> · {formatDateTime(schedule.next_run_at)}</> : "Next run not planned"}</span>
      ) : (
        <span><Pill tone="warn">Paused</Pill></span>
      )}
    </div>
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
                  {job.notes?.map((note) => <p key={note} className="job-note small">{note}</p>)}
                  {job.stderr_tail && (job.state === "succeeded"
                    ? <details className="job-output"><summary className="small muted">Tool output ({job.notes?.length ? "expected messages" : "stderr"})</summary><pre className="evidence">{job.stderr_tail}</pre></details>
                    : <pre className="evidence">{job.stderr_tail}</pre>)}
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

type ScansTab = "targets" | "cloud";

export default function ScansPage() {
  const targets = useTargets();
  const runs = useRuns();
  const launch = useLaunchScan();
  const remove = useDeleteTarget();
  const canTargets = useCan("targets:write");
  const canScan = useCan("scans:write");
  const canReadAccounts = useCan("targets:read");
  const accounts = useCloudAccounts(canReadAccounts);
  const [adding, setAdding] = useState(false);
  const [addingAccount, setAddingAccount] = useState(false);
  const [deleting, setDeleting] = useState<Target | null>(null);
  const [scheduling, setScheduling] = useState<Target | null>(null);
  const [created, setCreated] = useState<Target | null>(null);
  const [params, setParams] = useSearchParams();
  const tab: ScansTab = params.get("tab") === "cloud" ? "cloud" : "targets";
  const runId = params.get("run");
  const openRun = (id: string) => setParams({ run: id });
  const accountName = (id: string | null | undefined) => accounts.data?.find((account) => account.id === id)?.name;

  return (
    <div className="page">
      <PageHeader
        title="Scans"
        subtitle="Targets, cloud accounts, schedules and on-demand scans, and what each job did"
        actions={canTargets && (tab === "cloud"
          ? <Button variant="primary" icon="plus" onClick={() => setAddingAccount(true)}>Add cloud account</Button>
          : <Button variant="primary" icon="plus" onClick={() => setAdding(true)}>Add target</Button>)}
      />
      <Tabs label="Scan sections" value={tab} onChange={(id) => setParams(id === "cloud" ? { tab: "cloud" } : {})} tabs={[{ id: "targets", label: "Targets & runs" }, { id: "cloud", label: `Cloud accounts${accounts.data?.length ? ` (${accounts.data.length})` : ""}` }]} />
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="tab-panel">
        {tab === "cloud" ? (
          <CloudAccountsPanel adding={addingAccount} setAdding={setAddingAccount} targets={targets.data ?? []} onTargetCreated={(target) => { setCreated(target); setParams({}); }} />
        ) : (
          <>
            <InlineError error={launch.error} />
            {created && (
              <div className="toast" role="status">
                Target {created.name} created: scan it now or give it a schedule.
                <button type="button" className="icon-btn" aria-label="Dismiss" onClick={() => setCreated(null)}>×</button>
              </div>
            )}
            <Card title="Targets" id="targets">
              <QueryState query={targets} isEmpty={(list) => list.length === 0} empty={<EmptyState title="No targets yet" icon="scans"><p>Add a directory, network, image, URL or cloud account to scan.</p>{canTargets && <Button variant="primary" icon="plus" onClick={() => setAdding(true)}>Add target</Button>}</EmptyState>}>
                {(list) => (
                  <table className="simple-table">
                    <thead><tr><th scope="col">Target</th><th scope="col">Kind</th><th scope="col">Tools</th><th scope="col">Schedule</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
                    <tbody>
                      {list.map((target) => (
                        <tr key={target.id} className={created?.id === target.id ? "row-new" : ""}>
                          <td><div className="cell-title"><span className="cell-main">{target.name}</span><span className="cell-sub mono">{target.kind === "cloud_account" ? `${accountName(target.cloud_account_id) ?? "Cloud account"} · ${target.value}` : target.value}</span></div></td>
                          <td>{humanize(target.kind)}</td>
                          <td><span className="tags">{target.tools.map((tool) => <span className="tag" key={tool}>{tool}</span>)}</span></td>
                          <td className="small"><ScheduleCell target={target} /></td>
                          <td className="actions-cell">
                            {canScan && <Button size="sm" variant="primary" icon="scans" busy={launch.isPending && launch.variables?.target_id === target.id} onClick={() => launch.mutate({ target_id: target.id }, { onSuccess: (run) => openRun(run.run_id) })} aria-label={`Scan ${target.name}`}>Scan now</Button>}
                            {canTargets && <Button size="sm" variant="ghost" icon="clock" onClick={() => setScheduling(target)} aria-label={`Schedule of ${target.name}`}>Schedule</Button>}
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
                  <thead><tr><th scope="col">Target</th><th scope="col">State</th><th scope="col">Progress</th><th scope="col">Findings</th><th scope="col">Started</th><th scope="col">Duration</th><th scope="col"><span className="sr-only">Details</span></th></tr></thead>
                  <tbody>
                    {runs.data.map((run) => (
                      <tr key={run.run_id} className="clickable" onClick={() => openRun(run.run_id)}>
                        <td><div className="cell-title"><span className="cell-main">{String(run.target?.name ?? run.scope_key ?? humanize(run.kind))}</span><span className="cell-sub">{run.tools.join(", ")}</span></div></td>
                        <td><RunState state={run.state} />{run.error && <span className="cell-sub run-error" title={run.error}>{run.error}</span>}</td>
                        <td style={{ width: 160 }}><Progress run={run} /></td>
                        <td className="small">{findingsSummary(run.counts)}</td>
                        <td className="nowrap small">{timeAgo(run.started_at ?? run.created_at)}</td>
                        <td className="nowrap small">{formatDuration(run.started_at, run.finished_at)}</td>
                        <td className="actions-cell"><Button size="sm" variant="ghost" onClick={(event) => { event.stopPropagation(); openRun(run.run_id); }}>Details</Button></td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </Card>
          </>
        )}
      </div>
      <TargetForm open={adding} onClose={() => setAdding(false)} onAddAccount={() => { setParams({ tab: "cloud" }); setAddingAccount(true); }} />
      <ScheduleDialog target={scheduling} onClose={() => setScheduling(null)} />
      <RunDrawer runId={runId} onClose={() => setParams({})} />
      <ConfirmDialog open={!!deleting} title="Delete target" message={<>Delete <strong>{deleting?.name}</strong> and its schedule? Findings from earlier scans are kept.</>} confirmLabel="Delete target" busy={remove.isPending} error={remove.error} onCancel={() => { setDeleting(null); remove.reset(); }} onConfirm={() => deleting && remove.mutate(deleting.id, { onSuccess: () => setDeleting(null) })} />
    </div>
  );
}
