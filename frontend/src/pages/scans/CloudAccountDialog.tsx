import { useState, type FormEvent, type ReactNode } from "react";
import { useCreateCloudAccount, useReplaceCloudCredentials, type CloudAccount, type CloudProvider } from "../../api/hooks/cloudAccounts";
import { Button, Field, InlineError, Modal } from "../../components/ui";
import { draftToBody, emptyDraft, inspectServiceAccountKey, PROVIDERS, validateDraft, type CloudAccountDraft, type DraftErrors } from "./cloudAccountForm";

const NAME_PLACEHOLDER: Record<CloudProvider, string> = { aws: "e.g. Production AWS", gcp: "e.g. Analytics GCP projects", azure: "e.g. Corporate Azure subscriptions" };

type Section<K extends "aws" | "gcp" | "azure"> = CloudAccountDraft[K];

function Secret({ id, value, onChange, placeholder }: { id: string; value: string; onChange: (value: string) => void; placeholder?: string }) {
  return <input id={id} type="password" autoComplete="new-password" spellCheck={false} value={value} onChange={(event) => onChange(event.target.value)} placeholder={placeholder} />;
}

function AwsFields({ value, set, errors }: { value: Section<"aws">; set: (patch: Partial<Section<"aws">>) => void; errors: DraftErrors }) {
  return (
    <>
      <Field label="AWS account ID" error={errors.account_id} hint="12 digits.">
        {(id) => <input id={id} inputMode="numeric" value={value.account_id} onChange={(event) => set({ account_id: event.target.value })} placeholder="123456789012" maxLength={12} />}
      </Field>
      <fieldset className="radio-cards">
        <legend>How the platform signs in</legend>
        <label className={`radio-card ${value.auth_method === "role" ? "radio-card-active" : ""}`}>
          <input type="radio" name="aws-auth" checked={value.auth_method === "role"} onChange={() => set({ auth_method: "role" })} />
          <span><strong>Assume a role</strong><span className="muted small">Recommended: a read-only role trusting the platform, with an external ID.</span></span>
        </label>
        <label className={`radio-card ${value.auth_method === "access_keys" ? "radio-card-active" : ""}`}>
          <input type="radio" name="aws-auth" checked={value.auth_method === "access_keys"} onChange={() => set({ auth_method: "access_keys" })} />
          <span><strong>Access keys</strong><span className="muted small">An IAM user's key pair (SecurityAudit and ViewOnlyAccess policies).</span></span>
        </label>
      </fieldset>
      {value.auth_method === "role" ? (
        <div className="form-row">
          <Field label="Role ARN" error={errors.role_arn}>
            {(id) => <input id={id} className="mono" value={value.role_arn} onChange={(event) => set({ role_arn: event.target.value })} placeholder="arn:aws:iam::123456789012:role/cspm-audit" spellCheck={false} />}
          </Field>
          <Field label="External ID" error={errors.external_id} hint="From the role's trust policy; stored encrypted.">
            {(id) => <Secret id={id} value={value.external_id} onChange={(external_id) => set({ external_id })} />}
          </Field>
        </div>
      ) : (
        <>
          <div className="form-row">
            <Field label="Access key ID" error={errors.access_key_id}>
              {(id) => <input id={id} className="mono" value={value.access_key_id} onChange={(event) => set({ access_key_id: event.target.value })} placeholder="AKIA…" spellCheck={false} autoComplete="off" />}
            </Field>
            <Field label="Secret access key" error={errors.secret_access_key}>
              {(id) => <Secret id={id} value={value.secret_access_key} onChange={(secret_access_key) => set({ secret_access_key })} />}
            </Field>
          </div>
          <Field label="Session token (optional)" hint="Only for temporary (ASIA…) credentials.">
            {(id) => <Secret id={id} value={value.session_token} onChange={(session_token) => set({ session_token })} />}
          </Field>
        </>
      )}
      <Field label="Regions (optional)" error={errors.regions} hint="Comma-separated; empty scans every enabled region.">
        {(id) => <input id={id} value={value.regions} onChange={(event) => set({ regions: event.target.value })} placeholder="eu-west-1, us-east-1" />}
      </Field>
      <Field label="Endpoint URL (optional)" error={errors.endpoint_url} hint="An AWS-compatible API for this account (LocalStack, moto); empty means AWS itself.">
        {(id) => <input id={id} value={value.endpoint_url} onChange={(event) => set({ endpoint_url: event.target.value })} placeholder="http://127.0.0.1:5000" />}
      </Field>
    </>
  );
}

function GcpFields({ value, set, errors }: { value: Section<"gcp">; set: (patch: Partial<Section<"gcp">>) => void; errors: DraftErrors }) {
  const key = value.service_account_key.trim() ? inspectServiceAccountKey(value.service_account_key) : null;
  const [fileError, setFileError] = useState<string | null>(null);
  return (
    <>
      <Field label="Service account key (JSON)" error={errors.service_account_key ?? fileError ?? undefined} hint={key && !key.error ? <>Key of <code>{key.client_email}</code>{key.project_id ? <> (project {key.project_id})</> : null}; stored encrypted, never shown again.</> : "Paste the key file's content or choose the file."}>
        {(id) => (
          <div className="key-input">
            <textarea id={id} className="mono secret-text" rows={5} value={value.service_account_key} onChange={(event) => set({ service_account_key: event.target.value })} placeholder='{"type": "service_account", "client_email": "…", "private_key": "…"}' spellCheck={false} autoComplete="off" />
            <label className="btn btn-secondary btn-sm file-button">
              Choose key file
              <input
                type="file"
                accept="application/json,.json"
                className="sr-only"
                onChange={async (event) => {
                  const file = event.target.files?.[0];
                  event.target.value = "";
                  if (!file) return;
                  if (file.size > 64 * 1024) { setFileError("That file is too large to be a service-account key."); return; }
                  setFileError(null);
                  set({ service_account_key: await file.text() });
                }}
              />
            </label>
          </div>
        )}
      </Field>
      <div className="form-row">
        <Field label="Project IDs" error={errors.project_ids} hint="Comma-separated; empty uses the key's own project.">
          {(id) => <input id={id} value={value.project_ids} onChange={(event) => set({ project_ids: event.target.value })} placeholder={key?.project_id ?? "my-project-123"} />}
        </Field>
        <Field label="Organization ID (optional)" error={errors.organization_id} hint="Scans every project of the organization.">
          {(id) => <input id={id} inputMode="numeric" value={value.organization_id} onChange={(event) => set({ organization_id: event.target.value })} placeholder="123456789012" />}
        </Field>
      </div>
    </>
  );
}

function AzureFields({ value, set, errors }: { value: Section<"azure">; set: (patch: Partial<Section<"azure">>) => void; errors: DraftErrors }) {
  return (
    <>
      <div className="form-row">
        <Field label="Directory (tenant) ID" error={errors.tenant_id}>
          {(id) => <input id={id} className="mono" value={value.tenant_id} onChange={(event) => set({ tenant_id: event.target.value })} placeholder="00000000-0000-0000-0000-000000000000" spellCheck={false} />}
        </Field>
        <Field label="Application (client) ID" error={errors.client_id}>
          {(id) => <input id={id} className="mono" value={value.client_id} onChange={(event) => set({ client_id: event.target.value })} placeholder="00000000-0000-0000-0000-000000000000" spellCheck={false} />}
        </Field>
      </div>
      <Field label="Client secret" error={errors.client_secret} hint="The secret's value (not its ID); stored encrypted.">
        {(id) => <Secret id={id} value={value.client_secret} onChange={(client_secret) => set({ client_secret })} />}
      </Field>
      <Field label="Subscription IDs" error={errors.subscription_ids} hint="One or more, comma- or line-separated; the app needs the Reader role on each.">
        {(id) => <textarea id={id} className="mono" rows={2} value={value.subscription_ids} onChange={(event) => set({ subscription_ids: event.target.value })} placeholder="00000000-0000-0000-0000-000000000000" spellCheck={false} />}
      </Field>
    </>
  );
}

/** Creates a cloud account, or (with `account`) replaces its credentials: same provider, same name. */
export function CloudAccountDialog({ open, account, onClose, onSaved }: { open: boolean; account?: CloudAccount | null; onClose: () => void; onSaved?: (account: CloudAccount) => void }) {
  if (!open) return null;
  return <CloudAccountForm key={account?.id ?? "new"} account={account ?? null} onClose={onClose} onSaved={onSaved} />;
}

function CloudAccountForm({ account, onClose, onSaved }: { account: CloudAccount | null; onClose: () => void; onSaved?: (account: CloudAccount) => void }) {
  const create = useCreateCloudAccount();
  const replace = useReplaceCloudCredentials();
  const mutation = account ? replace : create;
  const [draft, setDraft] = useState<CloudAccountDraft>(() => emptyDraft(account?.provider ?? "aws", account?.name ?? ""));
  const [submitted, setSubmitted] = useState(false);
  const errors = validateDraft(draft);
  const shown = submitted ? errors : {};
  const valid = Object.keys(errors).length === 0;

  function submit(event: FormEvent) {
    event.preventDefault();
    setSubmitted(true);
    if (!valid) return;
    const body = draftToBody(draft);
    const done = (saved: CloudAccount) => { onSaved?.(saved); onClose(); };
    if (account) replace.mutate({ id: account.id, body }, { onSuccess: done });
    else create.mutate(body, { onSuccess: done });
  }

  let fields: ReactNode;
  if (draft.provider === "aws") fields = <AwsFields value={draft.aws} errors={shown} set={(patch) => setDraft({ ...draft, aws: { ...draft.aws, ...patch } })} />;
  else if (draft.provider === "gcp") fields = <GcpFields value={draft.gcp} errors={shown} set={(patch) => setDraft({ ...draft, gcp: { ...draft.gcp, ...patch } })} />;
  else fields = <AzureFields value={draft.azure} errors={shown} set={(patch) => setDraft({ ...draft, azure: { ...draft.azure, ...patch } })} />;

  return (
    <Modal
      open
      wide
      title={account ? `Replace the credentials of ${account.name}` : "Add a cloud account"}
      onClose={onClose}
      footer={<><Button variant="ghost" onClick={onClose}>Cancel</Button><Button variant="primary" type="submit" form="cloud-account-form" busy={mutation.isPending}>{account ? "Replace credentials" : "Add account"}</Button></>}
    >
      <form id="cloud-account-form" className="form" onSubmit={submit} noValidate>
        {!account && (
          <fieldset className="segmented-field">
            <legend>Provider</legend>
            <div className="segmented segmented-lg" role="radiogroup" aria-label="Provider">
              {PROVIDERS.map((provider) => (
                <button key={provider.id} type="button" role="radio" aria-checked={draft.provider === provider.id} className={draft.provider === provider.id ? "segmented-active" : ""} onClick={() => { setSubmitted(false); setDraft({ ...draft, provider: provider.id as CloudProvider }); }}>
                  {provider.label}
                </button>
              ))}
            </div>
          </fieldset>
        )}
        {!account && (
          <Field label="Name" error={shown.name} hint="How this account appears in targets and findings.">
            {(id) => <input id={id} value={draft.name} onChange={(event) => setDraft({ ...draft, name: event.target.value })} placeholder={NAME_PLACEHOLDER[draft.provider]} maxLength={120} data-autofocus />}
          </Field>
        )}
        {fields}
        <p className="callout callout-info secret-note">
          Secrets are encrypted before they are stored and are never shown again, not even to admins. To change them, replace the credentials.
        </p>
      </form>
      {submitted && !valid && <p className="inline-error" role="alert">Fix the highlighted fields to continue.</p>}
      <InlineError error={mutation.error} />
    </Modal>
  );
}
