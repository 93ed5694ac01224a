import { useEffect, useState } from "react";
import { useAssign, useTriage } from "../../api/hooks/findings";
import { useMembers } from "../../api/hooks/teams";
import type { FindingStatus } from "../../api/types";
import { useCurrentUser } from "../../app/AuthGate";
import { Button, Field, InlineError, Modal } from "../../components/ui";

export type TriageAction = "false_positive" | "risk_accepted" | "suppressed" | "open" | "assign";

const TITLES: Record<TriageAction, string> = {
  false_positive: "Mark as false positive",
  risk_accepted: "Accept the risk",
  suppressed: "Suppress",
  open: "Reopen",
  assign: "Assign",
};

const EXPLAIN: Record<TriageAction, string> = {
  false_positive: "The scanner was wrong: these findings stop counting against your posture. The reason is kept in each finding's history.",
  risk_accepted: "The risk is known and accepted until the expiry date, when the findings reopen automatically.",
  suppressed: "Hide these findings from the active list. They stay in history and can be reopened.",
  open: "Put these findings back on the active list.",
  assign: "Make someone responsible for fixing these findings.",
};

function inDays(days: number): string {
  const date = new Date(Date.now() + days * 86_400_000);
  return date.toISOString().slice(0, 10);
}

export function TriageDialog({ action, ids, onClose, onDone }: { action: TriageAction | null; ids: string[]; onClose: () => void; onDone: (message: string) => void }) {
  const me = useCurrentUser();
  const triage = useTriage();
  const assign = useAssign();
  const members = useMembers(action === "assign");
  const [reason, setReason] = useState("");
  const [owner, setOwner] = useState(me.email);
  const [expires, setExpires] = useState(inDays(90));
  const [assignee, setAssignee] = useState(me.email);

  useEffect(() => {
    if (action) {
      setReason("");
      triage.reset();
      assign.reset();
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [action]);

  if (!action) return null;
  const plural = ids.length === 1 ? "1 finding" : `${ids.length} findings`;
  const busy = triage.isPending || assign.isPending;
  const reasonOk = reason.trim().length >= 3;
  const valid = action === "assign" ? true : reasonOk && (action !== "risk_accepted" || (owner.trim() && expires > inDays(0)));

  function submit() {
    if (!action) return;
    if (action === "assign") {
      assign.mutate({ ids, assignee: assignee.trim() || null }, { onSuccess: () => onDone(`${plural} ${assignee.trim() ? `assigned to ${assignee.trim()}` : "unassigned"}`) });
      return;
    }
    triage.mutate(
      {
        ids,
        status: action as FindingStatus,
        reason: reason.trim(),
        risk_owner: action === "risk_accepted" ? owner.trim() : null,
        expires_at: action === "risk_accepted" ? new Date(`${expires}T23:59:59Z`).toISOString() : null,
      },
      { onSuccess: (result) => onDone(`${result.changed === 1 ? "1 finding" : `${result.changed} findings`} updated: ${TITLES[action].toLowerCase()}`) },
    );
  }

  return (
    <Modal
      open
      title={`${TITLES[action]} · ${plural}`}
      onClose={onClose}
      footer={
        <>
          <Button variant="ghost" onClick={onClose}>Cancel</Button>
          <Button variant="primary" busy={busy} disabled={!valid} onClick={submit}>
            {TITLES[action]}
          </Button>
        </>
      }
    >
      <p className="muted">{EXPLAIN[action]}</p>
      <form className="form" onSubmit={(event) => { event.preventDefault(); if (valid) submit(); }}>
        {action === "assign" ? (
          <Field label="Assignee" hint="An e-mail address or name; leave empty to unassign.">
            {(id) => (
              <>
                <input id={id} list={`${id}-members`} value={assignee} onChange={(event) => setAssignee(event.target.value)} data-autofocus maxLength={200} />
                <datalist id={`${id}-members`}>
                  {members.data?.map((member) => <option key={member.user_id} value={member.email}>{member.display_name ?? member.email}</option>)}
                </datalist>
              </>
            )}
          </Field>
        ) : (
          <Field label="Reason" hint="Required. Auditors read this in the finding's history.">
            {(id) => <textarea id={id} value={reason} onChange={(event) => setReason(event.target.value)} rows={3} maxLength={2000} data-autofocus required />}
          </Field>
        )}
        {action === "risk_accepted" && (
          <div className="form-row">
            <Field label="Risk owner">
              {(id) => <input id={id} value={owner} onChange={(event) => setOwner(event.target.value)} maxLength={200} required />}
            </Field>
            <Field label="Accepted until">
              {(id) => <input id={id} type="date" value={expires} min={inDays(1)} onChange={(event) => setExpires(event.target.value)} required />}
            </Field>
          </div>
        )}
        <button type="submit" hidden />
      </form>
      <InlineError error={triage.error ?? assign.error} />
    </Modal>
  );
}
