import { useState, type FormEvent } from "react";
import {
  useCloudAccounts, useDeleteCloudAccount, useTestCloudAccount, useUpdateCloudAccount, type CloudAccount,
} from "../../api/hooks/cloudAccounts";
import { useCreateTarget, type Target } from "../../api/hooks/scans";
import { useCan } from "../../app/AuthGate";
import { Pill } from "../../components/badges";
import { formatDateTime, timeAgo } from "../../components/format";
import { Button, Card, ConfirmDialog, EmptyState, Field, InlineError, Modal, QueryState } from "../../components/ui";
import { CloudAccountDialog } from "./CloudAccountDialog";
import { describeAccount, providerShort, targetValueFor } from "./cloudAccountForm";
import { browserTimeZone, cronProblem } from "./schedule";
import { ScheduleFields, type ScheduleValue } from "./ScheduleDialog";

function ConnectionState({ account, testing }: { account: CloudAccount; testing: boolean }) {
  const test = account.last_test;
  if (testing) return <span className="conn"><Pill tone="info"><span className="spinner spinner-sm pill-spinner" aria-hidden="true" />Testing</Pill></span>;
  if (!test) return <span className="muted small">Not tested yet</span>;
  return (
    <div className="conn" data-testid="connection-result">
      <span className="conn-head">
        <Pill tone={test.ok ? "good" : "bad"}>{test.ok ? "Connected" : "Failed"}</Pill>
        <span className="muted small" title={formatDateTime(test.checked_at)}>{timeAgo(test.checked_at)}{test.duration_ms != null ? ` · ${Math.round(test.duration_ms)} ms` : ""}</span>
      </span>
      <span className={`conn-reason ${test.ok ? "" : "conn-reason-bad"}`}>{test.ok && test.identity ? `As ${test.identity}: ` : ""}{test.reason}</span>
    </div>
  );
}

function EditDialog({ account, onClose, onReplace }: { account: CloudAccount; onClose: () => void; onReplace: () => void }) {
  const update = useUpdateCloudAccount();
  const [name, setName] = useState(account.name);
  const [enabled, setEnabled] = useState(account.enabled);
  function submit(event: FormEvent) {
    event.preventDefault();
    update.mutate({ id: account.id, name: name.trim(), enabled }, { onSuccess: onClose });
  }
  return (
    <Modal open title={`Edit ${account.name}`} onClose={onClose} footer={<><Button variant="ghost" onClick={onClose}>Cancel</Button><Button variant="primary" type="submit" form="cloud-edit-form" busy={update.isPending} disabled={!name.trim()}>Save</Button></>}>
      <form id="cloud-edit-form" className="form" onSubmit={submit}>
        <Field label="Name">{(id) => <input id={id} value={name} onChange={(event) => setName(event.target.value)} maxLength={120} data-autofocus />}</Field>
        <label className="check-row"><input type="checkbox" checked={enabled} onChange={(event) => setEnabled(event.target.checked)} /> Enabled (a disabled account is kept but not scanned)</label>
        <div className="callout callout-info">
          <p>The credentials are write-only. To rotate them or fix a failing connection, replace them.</p>
          <div><Button size="sm" icon="key" onClick={onReplace}>Replace credentials…</Button></div>
        </div>
      </form>
      <InlineError error={update.error} />
    </Modal>
  );
}

function TargetFromAccount({ account, onClose, onCreated }: { account: CloudAccount; onClose: () => void; onCreated: (target: Target) => void }) {
  const create = useCreateTarget();
  const [name, setName] = useState(`${account.name} posture`);
  const [schedule, setSchedule] = useState<ScheduleValue>({ cron: "", timezone: browserTimeZone(), enabled: true });
  const scheduleInvalid = !!schedule.cron.trim() && !!cronProblem(schedule.cron);
  function submit(event: FormEvent) {
    event.preventDefault();
    if (scheduleInvalid) return;
    create.mutate(
      {
        name: name.trim(), kind: "cloud_account", value: targetValueFor(account), cloud_account_id: account.id, options: {},
        schedule: schedule.cron.trim() ? { cron: schedule.cron.trim(), timezone: schedule.timezone, enabled: true } : null,
      },
      { onSuccess: (target) => { onCreated(target); onClose(); } },
    );
  }
  return (
    <Modal open wide title={`Scan target for ${account.name}`} onClose={onClose} footer={<><Button variant="ghost" onClick={onClose}>Cancel</Button><Button variant="primary" type="submit" form="cloud-target-form" busy={create.isPending} disabled={!name.trim() || scheduleInvalid}>Create target</Button></>}>
      <p className="muted">Prowler assesses this {providerShort(account.provider)} account (<span className="mono">{describeAccount(account).primary}</span>) with its stored credentials, decrypted only at scan time.</p>
      <form id="cloud-target-form" className="form" onSubmit={submit}>
        <Field label="Target name">{(id) => <input id={id} value={name} onChange={(event) => setName(event.target.value)} maxLength={200} data-autofocus />}</Field>
        <ScheduleFields value={schedule} onChange={setSchedule} showEnabled={false} optional />
      </form>
      <InlineError error={create.error} />
    </Modal>
  );
}

/** Cloud accounts of the team: add (AWS, GCP, Azure), test the connection, edit, delete, and turn into scan targets. */
export function CloudAccountsPanel({ adding, setAdding, targets, onTargetCreated }: { adding: boolean; setAdding: (open: boolean) => void; targets: Target[]; onTargetCreated: (target: Target) => void }) {
  const accounts = useCloudAccounts();
  const test = useTestCloudAccount();
  const remove = useDeleteCloudAccount();
  const canWrite = useCan("targets:write");
  const [editing, setEditing] = useState<CloudAccount | null>(null);
  const [replacing, setReplacing] = useState<CloudAccount | null>(null);
  const [deleting, setDeleting] = useState<CloudAccount | null>(null);
  const [targeting, setTargeting] = useState<CloudAccount | null>(null);
  const testingId = test.isPending ? test.variables : null;
  const usedBy = (account: CloudAccount) => targets.filter((target) => target.cloud_account_id === account.id);

  return (
    <>
      <Card title="Cloud accounts" id="cloud-accounts">
        <p className="muted small">Credentials Prowler uses to assess AWS, Google Cloud and Azure posture. Secrets are encrypted at rest and never shown again.</p>
        <InlineError error={test.error} />
        <QueryState
          query={accounts}
          isEmpty={(list) => list.length === 0}
          empty={
            <EmptyState title="No cloud accounts yet" icon="key">
              <p>Connect an AWS account (role or access keys), a Google Cloud service account or an Azure app registration, test the connection, then scan it.</p>
              {canWrite && <Button variant="primary" icon="plus" onClick={() => setAdding(true)}>Add cloud account</Button>}
            </EmptyState>
          }
        >
          {(list) => (
            <table className="simple-table cloud-table">
              <thead><tr><th scope="col">Account</th><th scope="col">Identity</th><th scope="col">Connection</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
              <tbody>
                {list.map((account) => {
                  const identity = describeAccount(account);
                  const targetCount = usedBy(account).length;
                  return (
                    <tr key={account.id}>
                      <td>
                        <div className="cell-title">
                          <span className="cell-main"><span className={`provider provider-${account.provider}`}>{providerShort(account.provider)}</span> {account.name}</span>
                          <span className="cell-sub">{account.enabled ? "" : "Disabled · "}{targetCount ? `${targetCount} target${targetCount === 1 ? "" : "s"}` : "No target yet"}</span>
                        </div>
                      </td>
                      <td><div className="cell-title"><span className="cell-main mono small">{identity.primary}</span><span className="cell-sub">{identity.details.join(" · ")}</span></div></td>
                      <td className="conn-cell"><ConnectionState account={account} testing={testingId === account.id} /></td>
                      <td className="actions-cell">
                        {canWrite && (
                          <>
                            <Button size="sm" icon="activity" busy={testingId === account.id} onClick={() => test.mutate(account.id)} aria-label={`Test connection of ${account.name}`}>Test</Button>
                            <Button size="sm" variant="ghost" icon="scans" onClick={() => setTargeting(account)} aria-label={`Create a scan target for ${account.name}`}>Target</Button>
                            <Button size="sm" variant="ghost" onClick={() => setEditing(account)} aria-label={`Edit ${account.name}`}>Edit</Button>
                            <Button size="sm" variant="ghost" onClick={() => setDeleting(account)} aria-label={`Delete ${account.name}`}>Delete</Button>
                          </>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </QueryState>
      </Card>
      <CloudAccountDialog open={adding} onClose={() => setAdding(false)} />
      <CloudAccountDialog open={!!replacing} account={replacing} onClose={() => setReplacing(null)} />
      {editing && <EditDialog account={editing} onClose={() => setEditing(null)} onReplace={() => { setReplacing(editing); setEditing(null); }} />}
      {targeting && <TargetFromAccount account={targeting} onClose={() => setTargeting(null)} onCreated={onTargetCreated} />}
      <ConfirmDialog
        open={!!deleting}
        title="Delete cloud account"
        message={
          <>
            <p>Delete <strong>{deleting?.name}</strong> and erase its stored credentials?</p>
            {deleting && usedBy(deleting).length > 0 && (
              <p className="callout callout-warn">
                {usedBy(deleting).map((target) => target.name).join(", ")} {usedBy(deleting).length === 1 ? "scans" : "scan"} this account: those scans fail until the target is deleted or re-created with another account.
              </p>
            )}
          </>
        }
        confirmLabel="Delete account"
        busy={remove.isPending}
        error={remove.error}
        onCancel={() => { setDeleting(null); remove.reset(); }}
        onConfirm={() => deleting && remove.mutate(deleting.id, { onSuccess: () => setDeleting(null) })}
      />
    </>
  );
}
