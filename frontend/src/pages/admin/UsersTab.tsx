import { useState } from "react";
import { useRegistrationStatus, useResetUserMfa, useSetRegistration, useUpdateUser, useUsers } from "../../api/hooks/auth";
import type { UserOut } from "../../api/types";
import { useCurrentUser } from "../../app/AuthGate";
import { Pill } from "../../components/badges";
import { formatDate } from "../../components/format";
import { Button, Card, ConfirmDialog, EmptyState, InlineError, QueryState } from "../../components/ui";

type Pending = { user: UserOut; kind: "disable" | "enable" | "promote" | "demote" | "mfa" };

const WORDS: Record<Pending["kind"], { title: string; confirm: string; message: (email: string) => string }> = {
  disable: { title: "Disable user", confirm: "Disable", message: (email) => `Disable ${email}? Their sessions and API tokens stop working.` },
  enable: { title: "Enable user", confirm: "Enable", message: (email) => `Enable ${email} again (this also lifts a lock-out)?` },
  promote: { title: "Make platform admin", confirm: "Make admin", message: (email) => `Give ${email} full platform administration rights?` },
  demote: { title: "Remove platform admin", confirm: "Remove admin", message: (email) => `Remove platform administration rights from ${email}?` },
  mfa: { title: "Reset two-factor authentication", confirm: "Reset MFA", message: (email) => `Remove ${email}'s two-factor authentication (lost device)? Their sessions are signed out.` },
};

export function UsersTab() {
  const me = useCurrentUser();
  const users = useUsers();
  const registration = useRegistrationStatus();
  const setRegistration = useSetRegistration();
  const update = useUpdateUser();
  const resetMfa = useResetUserMfa();
  const [pending, setPending] = useState<Pending | null>(null);

  function confirm() {
    if (!pending) return;
    const done = { onSuccess: () => setPending(null) };
    const { user, kind } = pending;
    if (kind === "mfa") resetMfa.mutate(user.id, done);
    else update.mutate({ userId: user.id, ...(kind === "disable" || kind === "enable" ? { is_active: kind === "enable" } : { is_platform_admin: kind === "promote" }) }, done);
  }

  return (
    <div className="stack">
      <Card title="Self-registration">
        <div className="row-between">
          <p className="muted">{registration.data?.open ? "Anyone who reaches this server can create an account." : "New users need an invitation from a team admin."}</p>
          <Button busy={setRegistration.isPending} onClick={() => setRegistration.mutate(!registration.data?.open)}>
            {registration.data?.open ? "Close registration" : "Open registration"}
          </Button>
        </div>
        <InlineError error={setRegistration.error} />
      </Card>
      <Card title="All users">
        <QueryState query={users} isEmpty={(page) => page.items.length === 0} empty={<EmptyState title="No users" icon="users" />}>
          {(page) => (
            <table className="simple-table">
              <thead><tr><th scope="col">User</th><th scope="col">State</th><th scope="col">MFA</th><th scope="col">Created</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
              <tbody>
                {page.items.map((user) => (
                  <tr key={user.id}>
                    <td><div className="cell-title"><span className="cell-main">{user.display_name ?? user.email}</span><span className="cell-sub">{user.email}</span></div></td>
                    <td>{user.is_active ? <Pill tone="good">Active</Pill> : <Pill tone="bad">Disabled</Pill>} {user.is_platform_admin && <Pill tone="info">Platform admin</Pill>}</td>
                    <td>{user.mfa_enabled ? <Pill tone="good">On</Pill> : <Pill tone="warn">Off</Pill>}</td>
                    <td>{formatDate(user.created_at)}</td>
                    <td className="actions-cell">
                      {user.id !== me.id && (
                        <>
                          <Button size="sm" variant="ghost" onClick={() => setPending({ user, kind: user.is_active ? "disable" : "enable" })}>{user.is_active ? "Disable" : "Enable"}</Button>
                          <Button size="sm" variant="ghost" onClick={() => setPending({ user, kind: user.is_platform_admin ? "demote" : "promote" })}>{user.is_platform_admin ? "Remove admin" : "Make admin"}</Button>
                          {user.mfa_enabled && <Button size="sm" variant="ghost" onClick={() => setPending({ user, kind: "mfa" })}>Reset MFA</Button>}
                        </>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </QueryState>
      </Card>
      <ConfirmDialog
        open={!!pending}
        title={pending ? WORDS[pending.kind].title : ""}
        message={pending ? WORDS[pending.kind].message(pending.user.email) : ""}
        confirmLabel={pending ? WORDS[pending.kind].confirm : ""}
        danger={pending?.kind !== "enable"}
        busy={update.isPending || resetMfa.isPending}
        error={update.error ?? resetMfa.error}
        onCancel={() => { setPending(null); update.reset(); resetMfa.reset(); }}
        onConfirm={confirm}
      />
    </div>
  );
}
