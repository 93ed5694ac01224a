import { useState, type FormEvent } from "react";
import { useInvitations, useInvite, useRevokeInvitation } from "../../api/hooks/teams";
import type { Invitation, InvitationCreated } from "../../api/types";
import { formatDate, humanize } from "../../components/format";
import { Pill } from "../../components/badges";
import { Button, Card, ConfirmDialog, CopyField, EmptyState, Field, InlineError, QueryState } from "../../components/ui";
import { MEMBER_ROLES } from "./MembersTab";

function state(invitation: Invitation) {
  if (invitation.accepted_at) return <Pill tone="good">Accepted</Pill>;
  if (invitation.revoked_at) return <Pill>Revoked</Pill>;
  if (new Date(invitation.expires_at) < new Date()) return <Pill tone="warn">Expired</Pill>;
  return <Pill tone="info">Pending</Pill>;
}

export function InvitationsTab() {
  const invitations = useInvitations();
  const invite = useInvite();
  const revoke = useRevokeInvitation();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<(typeof MEMBER_ROLES)[number]>("analyst");
  const [created, setCreated] = useState<InvitationCreated | null>(null);
  const [revoking, setRevoking] = useState<Invitation | null>(null);

  function submit(event: FormEvent) {
    event.preventDefault();
    invite.mutate({ email, role }, { onSuccess: (result) => { setCreated(result); setEmail(""); } });
  }

  return (
    <div className="stack">
      <Card title="Invite someone">
        <form className="form form-inline" onSubmit={submit}>
          <Field label="E-mail">{(id) => <input id={id} type="email" value={email} onChange={(event) => setEmail(event.target.value)} required />}</Field>
          <Field label="Role">
            {(id) => (
              <select id={id} value={role} onChange={(event) => setRole(event.target.value as (typeof MEMBER_ROLES)[number])}>
                {MEMBER_ROLES.map((item) => <option key={item} value={item}>{humanize(item)}</option>)}
              </select>
            )}
          </Field>
          <Button type="submit" variant="primary" icon="mail" busy={invite.isPending} disabled={!email}>Create invitation</Button>
        </form>
        <InlineError error={invite.error} />
        {created && (
          <div className="callout callout-info" role="status">
            <p>Invitation for <strong>{created.email}</strong> created. Send them this token (shown once): they register with it, or accept it when signed in.</p>
            <CopyField value={created.token} label="Invitation token" />
          </div>
        )}
      </Card>
      <Card title="Invitations">
        <QueryState query={invitations} isEmpty={(list) => list.length === 0} empty={<EmptyState title="No invitations yet" icon="mail" />}>
          {(list) => (
            <table className="simple-table">
              <thead><tr><th scope="col">E-mail</th><th scope="col">Role</th><th scope="col">State</th><th scope="col">Expires</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
              <tbody>
                {list.map((item) => (
                  <tr key={item.id}>
                    <td>{item.email}</td>
                    <td>{humanize(item.role)}</td>
                    <td>{state(item)}</td>
                    <td>{formatDate(item.expires_at)}</td>
                    <td className="actions-cell">
                      {!item.accepted_at && !item.revoked_at && <Button size="sm" variant="ghost" onClick={() => setRevoking(item)}>Revoke</Button>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </QueryState>
      </Card>
      <ConfirmDialog
        open={!!revoking}
        title="Revoke invitation"
        message={<>Revoke the invitation for <strong>{revoking?.email}</strong>? The token stops working.</>}
        confirmLabel="Revoke"
        busy={revoke.isPending}
        error={revoke.error}
        onCancel={() => { setRevoking(null); revoke.reset(); }}
        onConfirm={() => revoking && revoke.mutate(revoking.id, { onSuccess: () => setRevoking(null) })}
      />
    </div>
  );
}
