import { useState } from "react";
import { useRemoveMember, useSetMemberRole, useMembers } from "../../api/hooks/teams";
import type { Member } from "../../api/types";
import { useCan, useCurrentUser } from "../../app/AuthGate";
import { formatDate, humanize } from "../../components/format";
import { Button, Card, ConfirmDialog, EmptyState, InlineError, QueryState } from "../../components/ui";

export const MEMBER_ROLES = ["team_admin", "analyst", "viewer"] as const;

export function MembersTab() {
  const me = useCurrentUser();
  const members = useMembers();
  const canManage = useCan("teams:manage");
  const setRole = useSetMemberRole();
  const remove = useRemoveMember();
  const [removing, setRemoving] = useState<Member | null>(null);
  return (
    <Card title="Team members">
      <InlineError error={setRole.error} />
      <QueryState query={members} isEmpty={(list) => list.length === 0} empty={<EmptyState title="No members" icon="users" />}>
        {(list) => (
          <table className="simple-table">
            <thead>
              <tr><th scope="col">Member</th><th scope="col">Role</th><th scope="col">Joined</th><th scope="col"><span className="sr-only">Actions</span></th></tr>
            </thead>
            <tbody>
              {list.map((member) => (
                <tr key={member.user_id}>
                  <td>
                    <div className="cell-title"><span className="cell-main">{member.display_name ?? member.email}</span><span className="cell-sub">{member.email}</span></div>
                  </td>
                  <td>
                    {canManage && member.user_id !== me.id && member.role !== "platform_admin" ? (
                      <select aria-label={`Role of ${member.email}`} value={member.role} onChange={(event) => setRole.mutate({ userId: member.user_id, role: event.target.value as (typeof MEMBER_ROLES)[number] })}>
                        {MEMBER_ROLES.map((role) => <option key={role} value={role}>{humanize(role)}</option>)}
                      </select>
                    ) : (
                      humanize(member.role)
                    )}
                  </td>
                  <td>{formatDate(member.joined_at)}</td>
                  <td className="actions-cell">
                    {canManage && member.user_id !== me.id && (
                      <Button size="sm" variant="ghost" onClick={() => setRemoving(member)}>Remove</Button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryState>
      <ConfirmDialog
        open={!!removing}
        title="Remove member"
        message={<>Remove <strong>{removing?.email}</strong> from this team? They lose access to its findings at once.</>}
        confirmLabel="Remove member"
        busy={remove.isPending}
        error={remove.error}
        onCancel={() => { setRemoving(null); remove.reset(); }}
        onConfirm={() => removing && remove.mutate(removing.user_id, { onSuccess: () => setRemoving(null) })}
      />
    </Card>
  );
}
