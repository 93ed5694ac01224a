/** One risk: inherent, the analyst's residual and the computed one beside it, treatment actions with their controls' live state, acceptance, history. */
import { useState } from "react";
import { useCan } from "../../app/AuthGate";
import { useActionStatus, useAddAction, useDecideAcceptance, useRequestAcceptance, useRisk, useUpdateRisk, type RiskDetail } from "../../api/hooks/risks";
import { Pill } from "../../components/badges";
import { formatDate, formatDateTime, humanize } from "../../components/format";
import { Button, Card, Field, InlineError, QueryState } from "../../components/ui";

type Cell = RiskDetail["inherent"];

export function LevelChip({ cell }: { cell: Cell }) {
  return <span className="level-chip" style={{ background: cell.colour }} title={`${cell.level}: likelihood ${cell.likelihood} × impact ${cell.impact}`}>{cell.score}</span>;
}

const CONTROL_TONE: Record<string, "good" | "warn" | "bad" | "neutral"> = {
  implemented: "good", partially_implemented: "warn", not_implemented: "bad", not_assessed: "neutral", not_applicable: "neutral",
};

function ActionForm({ riskId }: { riskId: string }) {
  const add = useAddAction();
  const [form, setForm] = useState({ title: "", owner: "", due_date: "", scf: "" });
  const set = (name: keyof typeof form) => (event: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [name]: event.target.value });
  const submit = () => add.mutate({ riskId, body: {
    title: form.title, owner: form.owner, due_date: form.due_date || null, status: "planned",
    scf_ids: form.scf.split(",").map((value) => value.trim().toUpperCase()).filter(Boolean),
  } }, { onSuccess: () => setForm({ title: "", owner: "", due_date: "", scf: "" }) });
  return (
    <div className="form" aria-label="New treatment action">
      <div className="form-row">
        <Field label="Action">{(id) => <input id={id} value={form.title} onChange={set("title")} />}</Field>
        <Field label="SCF controls" hint="Comma-separated, e.g. CRY-05">{(id) => <input id={id} value={form.scf} onChange={set("scf")} />}</Field>
        <Field label="Action owner">{(id) => <input id={id} value={form.owner} onChange={set("owner")} />}</Field>
        <Field label="Due">{(id) => <input id={id} type="date" value={form.due_date} onChange={set("due_date")} />}</Field>
      </div>
      <div className="button-row"><Button icon="plus" busy={add.isPending} disabled={!form.title.trim()} onClick={submit}>Add treatment action</Button></div>
      {add.isError && <InlineError error={add.error} />}
    </div>
  );
}

function Acceptance({ risk }: { risk: RiskDetail }) {
  const canApprove = useCan("risks:approve");
  const request = useRequestAcceptance();
  const decide = useDecideAcceptance();
  const [reason, setReason] = useState("");
  const [expires, setExpires] = useState("");
  const acceptance = risk.acceptance as null | { id: string; state: string; reason: string; requested_by: string; expires_at: string; approver?: string | null };
  const open = acceptance && (acceptance.state === "requested" || acceptance.state === "approved");
  return (
    <div className="stack">
      {acceptance && (
        <p>Acceptance <Pill tone={acceptance.state === "approved" ? "good" : acceptance.state === "requested" ? "warn" : "neutral"}>{acceptance.state}</Pill> until {formatDate(acceptance.expires_at)}: {acceptance.reason}
          {acceptance.approver ? ` · approved by ${acceptance.approver}` : ""}</p>
      )}
      {acceptance?.state === "requested" && canApprove && (
        <div className="button-row">
          <Button variant="primary" busy={decide.isPending} onClick={() => decide.mutate({ acceptanceId: acceptance.id, approve: true })}>Approve acceptance</Button>
          <Button busy={decide.isPending} onClick={() => decide.mutate({ acceptanceId: acceptance.id, approve: false })}>Reject</Button>
        </div>
      )}
      {decide.isError && <InlineError error={decide.error} />}
      {!open && (
        <div className="form-row">
          <Field label="Acceptance reason">{(id) => <input id={id} value={reason} onChange={(event) => setReason(event.target.value)} />}</Field>
          <Field label="Accept until">{(id) => <input id={id} type="date" value={expires} onChange={(event) => setExpires(event.target.value)} />}</Field>
          <div style={{ alignSelf: "end" }}><Button busy={request.isPending} disabled={reason.trim().length < 3 || !expires}
            onClick={() => request.mutate({ riskId: risk.id, reason, expiresAt: new Date(`${expires}T23:59:00`).toISOString() })}>Request acceptance</Button></div>
        </div>
      )}
      {request.isError && <InlineError error={request.error} />}
    </div>
  );
}

function Estimate({ risk, size }: { risk: RiskDetail; size: number }) {
  const update = useUpdateRisk();
  const values = Array.from({ length: size }, (_, index) => index + 1);
  const change = (name: "residual_likelihood" | "residual_impact") => (event: React.ChangeEvent<HTMLSelectElement>) =>
    update.mutate({ riskId: risk.id, body: { [name]: Number(event.target.value), reason: "analyst's residual estimate" } });
  return (
    <div className="form-row">
      <Field label="Your residual likelihood">{(id) => <select id={id} value={risk.residual_estimate?.likelihood ?? ""} onChange={change("residual_likelihood")}><option value="" disabled>—</option>{values.map((v) => <option key={v}>{v}</option>)}</select>}</Field>
      <Field label="Your residual impact">{(id) => <select id={id} value={risk.residual_estimate?.impact ?? ""} onChange={change("residual_impact")}><option value="" disabled>—</option>{values.map((v) => <option key={v}>{v}</option>)}</select>}</Field>
      {update.isError && <InlineError error={update.error} />}
    </div>
  );
}

export function RiskDetailPanel({ riskId, size }: { riskId: string; size: number }) {
  const risk = useRisk(riskId);
  const canWrite = useCan("risks:write");
  const actionStatus = useActionStatus();
  return (
    <QueryState query={risk}>{(item) => (
      <Card title={item.title} id="risk-detail">
        <div className="stack">
          <p className="small muted">{humanize(item.status)} · treatment {item.treatment ? humanize(item.treatment) : "not chosen"} · owner {item.owner || "—"} · {item.category || "no category"}</p>
          {(item.notes ?? []).map((note) => <p key={note} className="small"><Pill tone="warn">note</Pill> {note}</p>)}
          <table className="simple-table">
            <tbody>
              <tr><th scope="row">Inherent</th><td><LevelChip cell={item.inherent} /> L{item.inherent.likelihood} × I{item.inherent.impact} {item.likelihood_justification && `· ${item.likelihood_justification}`}</td></tr>
              <tr><th scope="row">Analyst's residual</th><td>{item.residual_estimate ? <><LevelChip cell={item.residual_estimate} /> L{item.residual_estimate.likelihood} × I{item.residual_estimate.impact}</> : "none given"}</td></tr>
              <tr><th scope="row">Computed residual</th><td data-testid="computed-residual">{item.computed_residual ? <><LevelChip cell={item.computed_residual} /> L{item.computed_residual.likelihood} × I{item.computed_residual.impact} · {item.computed_residual.reason}</> : "no linked control yet"}</td></tr>
            </tbody>
          </table>
          {canWrite && <Estimate risk={item} size={size} />}
          <h3>Treatment actions</h3>
          {item.actions.length === 0 ? <p className="small muted">No action yet: link SCF controls to compute the residual from their live state.</p> : (
            <table className="simple-table">
              <thead><tr><th scope="col">Action</th><th scope="col">Controls (live)</th><th scope="col">Owner</th><th scope="col">Due</th><th scope="col">Status</th></tr></thead>
              <tbody>{item.actions.map((action) => (
                <tr key={action.id}>
                  <td>{action.title}</td>
                  <td>{action.scf_ids.map((scf) => {
                    const state = item.computed_residual?.controls.find((control) => control.scf_id === scf);
                    return <span key={scf} title={state?.title ?? ""}><Pill tone={CONTROL_TONE[state?.status ?? "not_assessed"]}>{scf} {humanize(state?.status ?? "not assessed")}</Pill> </span>;
                  })}</td>
                  <td>{action.owner || "—"}</td><td>{formatDate(action.due_date)}</td>
                  <td>{canWrite ? (
                    <select aria-label={`Status of ${action.title}`} value={action.status} onChange={(event) => actionStatus.mutate({ riskId: item.id, actionId: action.id, status: event.target.value as typeof action.status })}>
                      {["planned", "in_progress", "done", "cancelled"].map((value) => <option key={value} value={value}>{humanize(value)}</option>)}
                    </select>) : humanize(action.status)}</td>
                </tr>
              ))}</tbody>
            </table>
          )}
          {canWrite && <ActionForm riskId={item.id} />}
          <h3>Acceptance</h3>
          <Acceptance risk={item} />
          <h3>History</h3>
          <ul className="small">{item.history.map((entry, index) => (
            <li key={index}>{formatDateTime(entry.at as string)} · {String(entry.actor)} · {humanize(String(entry.kind))}{entry.reason ? `: ${String(entry.reason)}` : ""}</li>
          ))}</ul>
        </div>
      </Card>
    )}</QueryState>
  );
}
