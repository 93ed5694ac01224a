/**
 * The cloud account form without React: the draft a person types, the checks the backend makes
 * (so mistakes are named before sending), the request body, and how a stored account is shown.
 * Patterns mirror cspm.cloud_accounts.models.
 */
import type { CloudAccount, CloudAccountCreate, CloudProvider } from "../../api/hooks/cloudAccounts";

export const PROVIDERS: { id: CloudProvider; label: string; short: string }[] = [
  { id: "aws", label: "Amazon Web Services", short: "AWS" },
  { id: "gcp", label: "Google Cloud", short: "GCP" },
  { id: "azure", label: "Microsoft Azure", short: "Azure" },
];

export function providerShort(provider: string): string {
  return PROVIDERS.find((item) => item.id === provider)?.short ?? provider.toUpperCase();
}

export interface CloudAccountDraft {
  provider: CloudProvider;
  name: string;
  aws: { account_id: string; auth_method: "role" | "access_keys"; role_arn: string; external_id: string; access_key_id: string; secret_access_key: string; session_token: string; regions: string; endpoint_url: string };
  gcp: { service_account_key: string; project_ids: string; organization_id: string };
  azure: { tenant_id: string; client_id: string; client_secret: string; subscription_ids: string };
}

export function emptyDraft(provider: CloudProvider = "aws", name = ""): CloudAccountDraft {
  return {
    provider,
    name,
    aws: { account_id: "", auth_method: "role", role_arn: "", external_id: "", access_key_id: "", secret_access_key: "", session_token: "", regions: "", endpoint_url: "" },
    gcp: { service_account_key: "", project_ids: "", organization_id: "" },
    azure: { tenant_id: "", client_id: "", client_secret: "", subscription_ids: "" },
  };
}

/** "a, b\nc d" → ["a", "b", "c", "d"]. */
export function splitList(text: string): string[] {
  return text.split(/[\s,;]+/).map((item) => item.trim()).filter(Boolean);
}

const GUID = /^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/;
const AWS_REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;
const GCP_PROJECT = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

export interface KeySummary { client_email?: string; project_id?: string; error?: string }

/** What a pasted service-account key says about itself, or why it is not one. */
export function inspectServiceAccountKey(text: string): KeySummary {
  if (!text.trim()) return { error: "Paste the service account's JSON key or choose the key file." };
  let key: unknown;
  try {
    key = JSON.parse(text);
  } catch {
    return { error: "This is not JSON: paste the whole key file's content." };
  }
  if (!key || typeof key !== "object" || (key as { type?: unknown }).type !== "service_account") {
    return { error: "This is not a service-account key (its type must be service_account)." };
  }
  const record = key as Record<string, unknown>;
  for (const field of ["client_email", "private_key", "token_uri"]) {
    if (typeof record[field] !== "string" || !record[field]) return { error: `The key lacks ${field}.` };
  }
  if (!String(record.private_key).includes("PRIVATE KEY-----")) return { error: "The key's private_key is not a PEM private key." };
  return { client_email: String(record.client_email), project_id: typeof record.project_id === "string" ? record.project_id : undefined };
}

export type DraftErrors = Partial<Record<string, string>>;

/** The backend's endpoint_url rule: http(s), a host, no credentials, query or fragment. */
function isEndpointUrl(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  return (url.protocol === "http:" || url.protocol === "https:") && !!url.hostname && !url.username && !url.password && !url.search && !url.hash;
}

/** Field → message for everything the backend would refuse. */
export function validateDraft(draft: CloudAccountDraft): DraftErrors {
  const errors: DraftErrors = {};
  const name = draft.name.trim();
  if (!name) errors.name = "Give the account a name.";
  else if (name.length > 120) errors.name = "At most 120 characters.";
  if (draft.provider === "aws") {
    const aws = draft.aws;
    if (!/^\d{12}$/.test(aws.account_id.trim())) errors.account_id = "An AWS account ID is 12 digits.";
    if (aws.auth_method === "role") {
      const match = ROLE_ARN.exec(aws.role_arn.trim());
      if (!match) errors.role_arn = "An IAM role ARN: arn:aws:iam::<account id>:role/<name>.";
      else if (match[1] !== aws.account_id.trim()) errors.role_arn = "This role belongs to another account than the account ID.";
      if (!/^[\w+=,.@:/-]{2,1224}$/.test(aws.external_id)) errors.external_id = "The external ID set in the role's trust policy (2–1224 characters, no spaces).";
    } else {
      if (!/^(?:AKIA|ASIA)[A-Z0-9]{16}$/.test(aws.access_key_id.trim())) errors.access_key_id = "An access key ID starts with AKIA or ASIA and has 20 characters.";
      if (!/^[A-Za-z0-9/+=]{40}$/.test(aws.secret_access_key)) errors.secret_access_key = "A secret access key is 40 characters.";
    }
    const badRegion = splitList(aws.regions).find((region) => !AWS_REGION.test(region));
    if (badRegion) errors.regions = `“${badRegion}” is not an AWS region (e.g. eu-west-1).`;
    const endpoint = aws.endpoint_url.trim();
    if (endpoint && !isEndpointUrl(endpoint)) errors.endpoint_url = "An http(s) URL with a host and no user name, query or fragment (e.g. http://127.0.0.1:5000).";
  } else if (draft.provider === "gcp") {
    const gcp = draft.gcp;
    const key = inspectServiceAccountKey(gcp.service_account_key);
    if (key.error) errors.service_account_key = key.error;
    const badProject = splitList(gcp.project_ids).find((project) => !GCP_PROJECT.test(project));
    if (badProject) errors.project_ids = `“${badProject}” is not a project ID (6–30 lowercase letters, digits and hyphens).`;
    const organization = gcp.organization_id.trim();
    if (organization && !/^\d{1,20}$/.test(organization)) errors.organization_id = "An organization ID is a number.";
    if (!key.error && !splitList(gcp.project_ids).length && !organization && !key.project_id) {
      errors.project_ids = "Name the projects (or an organization ID): the key names no project.";
    }
  } else {
    const azure = draft.azure;
    if (!GUID.test(azure.tenant_id.trim())) errors.tenant_id = "The directory (tenant) ID is a GUID.";
    if (!GUID.test(azure.client_id.trim())) errors.client_id = "The application (client) ID is a GUID.";
    if (!azure.client_secret) errors.client_secret = "The client secret's value.";
    else if (azure.client_secret.length > 1024) errors.client_secret = "At most 1024 characters.";
    const subscriptions = splitList(azure.subscription_ids);
    if (!subscriptions.length) errors.subscription_ids = "At least one subscription ID.";
    else if (subscriptions.some((item) => !GUID.test(item))) errors.subscription_ids = "Subscription IDs are GUIDs.";
  }
  return errors;
}

/** The request body for POST /api/cloud-accounts (and PUT …/credentials): only the fields of the chosen method. */
export function draftToBody(draft: CloudAccountDraft): CloudAccountCreate {
  const name = draft.name.trim();
  if (draft.provider === "aws") {
    const aws = draft.aws;
    const common = { provider: "aws" as const, name, account_id: aws.account_id.trim(), regions: splitList(aws.regions), endpoint_url: aws.endpoint_url.trim() || null };
    return aws.auth_method === "role"
      ? { ...common, auth_method: "role", role_arn: aws.role_arn.trim(), external_id: aws.external_id }
      : { ...common, auth_method: "access_keys", access_key_id: aws.access_key_id.trim(), secret_access_key: aws.secret_access_key, session_token: aws.session_token || null };
  }
  if (draft.provider === "gcp") {
    const gcp = draft.gcp;
    return { provider: "gcp", name, service_account_key: gcp.service_account_key, project_ids: splitList(gcp.project_ids), organization_id: gcp.organization_id.trim() || null };
  }
  const azure = draft.azure;
  return { provider: "azure", name, tenant_id: azure.tenant_id.trim(), client_id: azure.client_id.trim(), client_secret: azure.client_secret, subscription_ids: splitList(azure.subscription_ids) };
}

function list(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

/** The non-secret identity of a stored account, as lines to show. */
export function describeAccount(account: Pick<CloudAccount, "provider" | "auth_method" | "identifiers">): { primary: string; details: string[] } {
  const ids = account.identifiers as Record<string, unknown>;
  if (account.provider === "aws") {
    const regions = list(ids.regions);
    const via = ids.role_arn ? `role ${String(ids.role_arn)}` : ids.access_key_id_suffix ? `access key …${String(ids.access_key_id_suffix)}` : account.auth_method;
    const details = [via, regions.length ? `regions ${regions.join(", ")}` : "all regions"];
    if (ids.endpoint_url) details.push(`endpoint ${String(ids.endpoint_url)}`);
    return { primary: `Account ${String(ids.account_id ?? "—")}`, details };
  }
  if (account.provider === "gcp") {
    const projects = list(ids.project_ids);
    const scope = ids.organization_id ? `organization ${String(ids.organization_id)}` : `${projects.length} project${projects.length === 1 ? "" : "s"}: ${projects.join(", ")}`;
    return { primary: String(ids.client_email ?? "service account"), details: [scope] };
  }
  const subscriptions = list(ids.subscription_ids);
  return {
    primary: `Tenant ${String(ids.tenant_id ?? "—")}`,
    details: [`client ${String(ids.client_id ?? "—")}`, `${subscriptions.length} subscription${subscriptions.length === 1 ? "" : "s"}`],
  };
}

/** The scan target's value for an account: what Prowler is pointed at. */
export function targetValueFor(account: Pick<CloudAccount, "provider" | "identifiers" | "name">): string {
  const ids = account.identifiers as Record<string, unknown>;
  if (account.provider === "aws" && ids.account_id) return String(ids.account_id);
  if (account.provider === "gcp") return ids.organization_id ? `organizations/${String(ids.organization_id)}` : list(ids.project_ids).join(",") || account.name;
  if (account.provider === "azure") return list(ids.subscription_ids).join(",") || account.name;
  return account.name;
}
