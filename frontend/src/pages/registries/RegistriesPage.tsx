/**
 * Container registries: the team's connections (OCI Distribution v2 or ECR) with their last sync,
 * then for the selected one its repositories with sync state and error, and its images (one per
 * digest) with tags, platforms and the state of the scan each new digest gets.
 */
import { useState } from "react";
import { Link } from "react-router-dom";
import { useCreateRegistry, useDeleteRegistry, useRegistries, useRegistry, useRegistryImages, useSyncRegistry, type RegistryCreate } from "../../api/hooks/registries";
import { useCan } from "../../app/AuthGate";
import { Pill } from "../../components/badges";
import { formatNumber, timeAgo } from "../../components/format";
import { Button, Card, ConfirmDialog, EmptyState, Field, InlineError, Modal, PageHeader, QueryState } from "../../components/ui";

const TONE = { ok: "good", succeeded: "good", partial: "warn", error: "bad", failed: "bad", timed_out: "bad", queued: "info", running: "info", not_scanned: "neutral", cancelled: "neutral" } as const;

function StatePill({ state }: { state: string | null | undefined }) {
  if (!state) return <span className="muted">never</span>;
  return <Pill tone={TONE[state as keyof typeof TONE] ?? "neutral"}>{state.replace("_", " ")}</Pill>;
}

function AddRegistryDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const create = useCreateRegistry();
  const [kind, setKind] = useState<"oci" | "ecr">("oci");
  const [form, setForm] = useState({ name: "", url: "", username: "", password: "", repositories: "", region: "us-east-1", registry_id: "", access_key_id: "", secret_access_key: "" });
  const set = (key: keyof typeof form) => (event: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [key]: event.target.value });
  const submit = () => {
    const body: RegistryCreate = kind === "oci"
      ? { kind, name: form.name, url: form.url, username: form.username || null, password: form.password || null, repositories: form.repositories.split(/[\s,]+/).filter(Boolean) }
      : { kind, name: form.name, region: form.region, registry_id: form.registry_id, access_key_id: form.access_key_id, secret_access_key: form.secret_access_key };
    create.mutate(body, { onSuccess: () => { create.reset(); onClose(); } });
  };
  return (
    <Modal open={open} title="Add a registry" onClose={onClose} footer={<><Button onClick={onClose}>Cancel</Button><Button variant="primary" busy={create.isPending} onClick={submit}>Add registry</Button></>}>
      <div className="stack">
        <Field label="Kind">{(id) => <select id={id} value={kind} onChange={(event) => setKind(event.target.value as "oci" | "ecr")}><option value="oci">OCI Distribution v2 (Docker Hub, GHCR, Harbor…)</option><option value="ecr">Amazon ECR</option></select>}</Field>
        <Field label="Name">{(id) => <input id={id} value={form.name} onChange={set("name")} />}</Field>
        {kind === "oci" ? (
          <>
            <Field label="URL" hint="https://registry.example.com; http only on a trusted network">{(id) => <input id={id} value={form.url} onChange={set("url")} placeholder="https://ghcr.io" />}</Field>
            <Field label="User name" hint="Empty for anonymous pulls">{(id) => <input id={id} value={form.username} onChange={set("username")} autoComplete="off" />}</Field>
            <Field label="Password or access token">{(id) => <input id={id} type="password" value={form.password} onChange={set("password")} autoComplete="new-password" />}</Field>
            <Field label="Repositories" hint="Only for registries without a catalogue (Docker Hub, GHCR); empty reads the catalogue">{(id) => <input id={id} value={form.repositories} onChange={set("repositories")} placeholder="team/app, team/api" />}</Field>
          </>
        ) : (
          <>
            <Field label="Region">{(id) => <input id={id} value={form.region} onChange={set("region")} />}</Field>
            <Field label="Registry (AWS account) id">{(id) => <input id={id} value={form.registry_id} onChange={set("registry_id")} />}</Field>
            <Field label="Access key id">{(id) => <input id={id} value={form.access_key_id} onChange={set("access_key_id")} autoComplete="off" />}</Field>
            <Field label="Secret access key">{(id) => <input id={id} type="password" value={form.secret_access_key} onChange={set("secret_access_key")} autoComplete="new-password" />}</Field>
          </>
        )}
        <p className="muted small">Credentials are stored encrypted and never shown again.</p>
        {create.isError && <InlineError error={create.error} />}
      </div>
    </Modal>
  );
}

function RegistryDetail({ registryId, syncedAt }: { registryId: string; syncedAt: string | null }) {
  const registry = useRegistry(registryId, syncedAt);
  const [repository, setRepository] = useState("");
  const images = useRegistryImages(registryId, repository, syncedAt);
  return (
    <>
      <Card title="Repositories" id="repositories">
        <QueryState query={registry} isEmpty={(data) => data.repositories.length === 0} empty={<EmptyState title="No repository synced yet" icon="refresh"><p>Sync the registry to list its repositories.</p></EmptyState>}>
          {(data) => (
            <table className="simple-table" data-testid="registry-repositories">
              <thead><tr><th scope="col">Repository</th><th scope="col">Sync</th><th scope="col">Tags</th><th scope="col">Digests</th><th scope="col">Last sync</th><th scope="col">Error</th></tr></thead>
              <tbody>
                {data.repositories.map((repo) => (
                  <tr key={repo.name}>
                    <td><button type="button" className="link-button mono" aria-pressed={repository === repo.name} onClick={() => setRepository(repository === repo.name ? "" : repo.name)}>{repo.name}</button></td>
                    <td><StatePill state={repo.state} /></td><td>{formatNumber(repo.tag_count)}</td><td>{formatNumber(repo.image_count)}</td>
                    <td>{timeAgo(repo.last_sync)}</td><td className="small">{repo.error ?? "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </QueryState>
      </Card>
      <Card title={repository ? `Images of ${repository}` : "Images"} id="images">
        <QueryState query={images} isEmpty={(page) => page.total === 0} empty={<EmptyState title="No images" icon="assets" />}>
          {(page) => (
            <table className="simple-table" data-testid="registry-images">
              <thead><tr><th scope="col">Repository</th><th scope="col">Digest</th><th scope="col">Tags</th><th scope="col">Platforms</th><th scope="col">Scan</th><th scope="col">First seen</th></tr></thead>
              <tbody>
                {page.items.map((image) => (
                  <tr key={image.id}>
                    <td className="mono small">{image.repository_name}</td>
                    <td className="mono small" title={image.image_digest}>{image.image_digest.slice(0, 19)}…</td>
                    <td><span className="tags">{image.tags.map((tag) => <span key={tag} className="tag">{tag}</span>)}</span></td>
                    <td className="small">{image.platforms.join(", ") || "—"}</td>
                    <td><StatePill state={image.scan.state} />{image.scan.run_id && <> <Link className="small" to={`/scans?run=${image.scan.run_id}`}>run</Link></>}{image.scan.reason && <div className="cell-sub small" style={{ overflowWrap: "anywhere" }}>{image.scan.reason}</div>}</td>
                    <td>{timeAgo(image.first_seen)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </QueryState>
      </Card>
    </>
  );
}

export default function RegistriesPage() {
  const [syncRequested, setSyncRequested] = useState<Record<string, number>>({});
  const registries = useRegistries(syncRequested);
  const canWrite = useCan("registries:write");
  const sync = useSyncRegistry();
  const remove = useDeleteRegistry();
  const [adding, setAdding] = useState(false);
  const [selected, setSelected] = useState<string | null>(null);
  const [removing, setRemoving] = useState<string | null>(null);
  const current = selected ?? registries.data?.[0]?.id ?? null;
  // A finished sync changes last_sync: the detail below is read again (it is part of its query keys).
  const lastSync = registries.data?.find((registry) => registry.id === current)?.last_sync ?? null;
  return (
    <div className="page">
      <PageHeader title="Registries" subtitle="Container registries synced on a schedule; every new digest is scanned with Trivy and syft straight from the registry"
        actions={canWrite && <Button variant="primary" icon="plus" onClick={() => setAdding(true)}>Add registry</Button>} />
      <Card title="Connections" id="registries">
        {sync.isError && <InlineError error={sync.error} />}
        <QueryState query={registries} isEmpty={(list) => list.length === 0} empty={<EmptyState title="No registry yet" icon="assets"><p>Add an OCI registry (Docker Hub, GHCR, Harbor) or Amazon ECR to inventory and scan its images.</p></EmptyState>}>
          {(list) => (
            <table className="simple-table" data-testid="registries">
              <thead><tr><th scope="col">Registry</th><th scope="col">Kind</th><th scope="col">Last sync</th><th scope="col">Repositories</th><th scope="col">Digests</th>{canWrite && <th scope="col"><span className="sr-only">Actions</span></th>}</tr></thead>
              <tbody>
                {list.map((registry) => (
                  <tr key={registry.id} className={registry.id === current ? "row-active" : undefined}>
                    <td><button type="button" className="link-button" aria-pressed={registry.id === current} onClick={() => setSelected(registry.id)}>{registry.name}</button><div className="cell-sub mono small">{registry.url}</div></td>
                    <td>{registry.kind.toUpperCase()}{registry.has_credentials && <span className="muted small"> · credentials stored</span>}</td>
                    <td><StatePill state={registry.last_sync_state} /> <span className="small">{registry.last_sync ? timeAgo(registry.last_sync) : ""}</span>{registry.last_sync_error && <div className="cell-sub small">{registry.last_sync_error}</div>}</td>
                    <td>{formatNumber(registry.repository_count)}</td><td>{formatNumber(registry.image_count)}</td>
                    {canWrite && <td className="row-actions"><Button size="sm" icon="refresh" busy={sync.isPending && sync.variables === registry.id} onClick={() => sync.mutate(registry.id, { onSuccess: () => setSyncRequested((current) => ({ ...current, [registry.id]: Date.now() - 1000 })) })}>Sync now</Button> <Button size="sm" icon="trash" onClick={() => setRemoving(registry.id)}>Remove</Button></td>}
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </QueryState>
      </Card>
      {current && <RegistryDetail key={current} registryId={current} syncedAt={lastSync} />}
      <AddRegistryDialog open={adding} onClose={() => setAdding(false)} />
      <ConfirmDialog open={!!removing} title="Remove this registry?" confirmLabel="Remove" danger busy={remove.isPending} error={remove.error}
        message="It is no longer synced and disappears from this list; its images are purged after the retention period (REGISTRY_RETENTION_DAYS)."
        onCancel={() => setRemoving(null)} onConfirm={() => removing && remove.mutate(removing, { onSuccess: () => { setRemoving(null); setSelected(null); } })} />
    </div>
  );
}
