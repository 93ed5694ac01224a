import type { components } from "../../api/schema";
import { useState, type FormEvent } from "react";
import { useApiTokens, useCreateApiToken, useRevokeApiToken } from "../../api/hooks/auth";
import type { ApiToken, ApiTokenCreated } from "../../api/types";
import { Pill } from "../../components/badges";
import { formatDate, timeAgo } from "../../components/format";
import { Button, Card, ConfirmDialog, CopyField, EmptyState, Field, InlineError, QueryState } from "../../components/ui";

/** Permissions an API token may hold (the backend refuses the others). */
export const TOKEN_PERMISSIONS: components["schemas"]["ApiTokenCreate"]["permissions"] = [
  "findings:read", "findings:write", "findings:import", "scans:read", "scans:write",
  "targets:read", "targets:write", "compliance:read", "compliance:write", "assets:read", "teams:read",
];

export function ApiTokensTab() {
  const tokens = useApiTokens();
  const create = useCreateApiToken();
  const revoke = useRevokeApiToken();
  const [name, setName] = useState("");
  const [permissions, setPermissions] = useState<typeof TOKEN_PERMISSIONS>(["findings:import", "findings:read"]);
  const [days, setDays] = useState(90);
  const [created, setCreated] = useState<ApiTokenCreated | null>(null);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate({ name, permissions, expires_in_days: days }, { onSuccess: (token) => { setCreated(token); setName(""); } });
  }

  return (
    <div className="stack">
      <Card title="Create an API token">
        <p className="muted">For CI pipelines and scripts: a token acts in this team with the permissions you pick (never more than your own).</p>
        <form className="form" onSubmit={submit}>
          <div className="form-row">
            <Field label="Name">{(id) => <input id={id} value={name} onChange={(event) => setName(event.target.value)} placeholder="e.g. GitHub Actions – trivy" maxLength={120} required />}</Field>
            <Field label="Expires in (days)">{(id) => <input id={id} type="number" min={1} max={3650} value={days} onChange={(event) => setDays(Number(event.target.value))} />}</Field>
          </div>
          <fieldset className="checkbox-grid">
            <legend>Permissions</legend>
            {TOKEN_PERMISSIONS.map((permission) => (
              <label key={permission} className="check-row">
                <input type="checkbox" checked={permissions.includes(permission)} onChange={() => setPermissions(permissions.includes(permission) ? permissions.filter((p) => p !== permission) : [...permissions, permission])} />
                <code>{permission}</code>
              </label>
            ))}
          </fieldset>
          <div><Button type="submit" variant="primary" icon="key" busy={create.isPending} disabled={!name.trim() || !permissions.length}>Create token</Button></div>
        </form>
        <InlineError error={create.error} />
        {created && (
          <div className="callout callout-info" role="status">
            <p>Token <strong>{created.name}</strong> created. Copy it now: it is shown only once.</p>
            <CopyField value={created.token} label="API token" />
          </div>
        )}
      </Card>
      <Card title="Tokens of this team">
        <QueryState query={tokens} isEmpty={(list) => list.length === 0} empty={<EmptyState title="No API tokens" icon="key"><p>Create one above for your CI pipeline.</p></EmptyState>}>
          {(list) => (
            <table className="simple-table">
              <thead><tr><th scope="col">Name</th><th scope="col">Prefix</th><th scope="col">Permissions</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
              <tbody>
                {list.map((token) => (
                  <tr key={token.id}>
                    <td>{token.name}{token.revoked_at && <> <Pill>Revoked</Pill></>}</td>
                    <td><code>{token.prefix}…</code></td>
                    <td><span className="tags">{token.permissions.map((p) => <span key={p} className="tag">{p}</span>)}</span></td>
                    <td>{token.last_used_at ? timeAgo(token.last_used_at) : "Never"}</td>
                    <td>{formatDate(token.expires_at)}</td>
                    <td className="actions-cell">{!token.revoked_at && <Button size="sm" variant="ghost" onClick={() => setRevoking(token)}>Revoke</Button>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </QueryState>
      </Card>
      <ConfirmDialog
        open={!!revoking}
        title="Revoke API token"
        message={<>Revoke <strong>{revoking?.name}</strong>? Pipelines using it fail from now on.</>}
        confirmLabel="Revoke token"
        busy={revoke.isPending}
        error={revoke.error}
        onCancel={() => { setRevoking(null); revoke.reset(); }}
        onConfirm={() => revoking && revoke.mutate(revoking.id, { onSuccess: () => setRevoking(null) })}
      />
    </div>
  );
}
