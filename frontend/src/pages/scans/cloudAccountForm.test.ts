import { describe, expect, it } from "vitest";
import { describeAccount, draftToBody, emptyDraft, inspectServiceAccountKey, splitList, targetValueFor, validateDraft } from "./cloudAccountForm";

const KEY = JSON.stringify({
  type: "service_account", project_id: "analytics-prod", client_email: "cspm@analytics-prod.iam.gserviceaccount.com",
  private_key: "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n", token_uri: "https://oauth2.googleapis.com/token",
});
const GUID = "11111111-2222-3333-4444-555555555555";

function aws(patch: Partial<ReturnType<typeof emptyDraft>["aws"]>) {
  const draft = emptyDraft("aws", "Production AWS");
  return { ...draft, aws: { ...draft.aws, account_id: "123456789012", ...patch } };
}

describe("AWS drafts", () => {
  it("sends a role with its external ID and nothing of the access-key method", () => {
    const draft = aws({ role_arn: "arn:aws:iam::123456789012:role/cspm-audit", external_id: "ext-123456", regions: "eu-west-1, us-east-1", access_key_id: "AKIAIOSFODNN7EXAMPLE" });
    expect(validateDraft(draft)).toEqual({});
    expect(draftToBody(draft)).toEqual({
      provider: "aws", name: "Production AWS", account_id: "123456789012", regions: ["eu-west-1", "us-east-1"], endpoint_url: null,
      auth_method: "role", role_arn: "arn:aws:iam::123456789012:role/cspm-audit", external_id: "ext-123456",
    });
  });

  it("sends access keys without a role", () => {
    const draft = aws({ auth_method: "access_keys", access_key_id: "AKIAIOSFODNN7EXAMPLE", secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", role_arn: "arn:aws:iam::123456789012:role/x" });
    expect(validateDraft(draft)).toEqual({});
    const body = draftToBody(draft);
    expect(body).toMatchObject({ auth_method: "access_keys", access_key_id: "AKIAIOSFODNN7EXAMPLE", session_token: null });
    expect(body).not.toHaveProperty("role_arn");
  });

  it("names each field the backend would refuse", () => {
    const errors = validateDraft({ ...aws({ account_id: "1234", role_arn: "arn:aws:iam::999999999999:role/x", external_id: "x", regions: "europe" }), name: "" });
    expect(errors).toEqual({
      name: "Give the account a name.",
      account_id: expect.stringMatching(/12 digits/),
      role_arn: expect.stringMatching(/another account/),
      external_id: expect.stringMatching(/external ID/),
      regions: expect.stringMatching(/“europe” is not an AWS region/),
    });
    const keys = validateDraft(aws({ auth_method: "access_keys", access_key_id: "ABCD", secret_access_key: "short" }));
    expect(Object.keys(keys).sort()).toEqual(["access_key_id", "secret_access_key"]);
  });

  it("sends an account's own endpoint (moto, LocalStack) and refuses one the backend would", () => {
    const draft = aws({ role_arn: "arn:aws:iam::123456789012:role/a", external_id: "ext-123456", endpoint_url: " http://127.0.0.1:5000 " });
    expect(validateDraft(draft)).toEqual({});
    expect(draftToBody(draft)).toMatchObject({ endpoint_url: "http://127.0.0.1:5000" });
    for (const bad of ["127.0.0.1:5000", "ftp://host", "http://user:pw@host", "http://host/?a=1"]) {
      expect(validateDraft({ ...draft, aws: { ...draft.aws, endpoint_url: bad } }).endpoint_url).toMatch(/http\(s\) URL/);
    }
    const account = { provider: "aws" as const, auth_method: "access_keys", name: "moto", identifiers: { account_id: "123456789012", access_key_id_suffix: "MPLE", regions: [], endpoint_url: "http://127.0.0.1:5000" } };
    expect(describeAccount(account).details).toContain("endpoint http://127.0.0.1:5000");
  });
});

describe("Google Cloud drafts", () => {
  it("reads the key and uses its project when none is named", () => {
    expect(inspectServiceAccountKey(KEY)).toEqual({ client_email: "cspm@analytics-prod.iam.gserviceaccount.com", project_id: "analytics-prod" });
    const draft = { ...emptyDraft("gcp", "Analytics"), gcp: { service_account_key: KEY, project_ids: "", organization_id: "" } };
    expect(validateDraft(draft)).toEqual({});
    expect(draftToBody(draft)).toEqual({ provider: "gcp", name: "Analytics", service_account_key: KEY, project_ids: [], organization_id: null });
  });

  it("refuses what is not a service-account key", () => {
    expect(inspectServiceAccountKey("not json").error).toMatch(/not JSON/);
    expect(inspectServiceAccountKey(JSON.stringify({ type: "authorized_user" })).error).toMatch(/not a service-account key/);
    expect(inspectServiceAccountKey(JSON.stringify({ type: "service_account", client_email: "a", private_key: "b", token_uri: "c" })).error).toMatch(/PEM/);
    const noProject = JSON.stringify({ ...JSON.parse(KEY), project_id: undefined });
    const errors = validateDraft({ ...emptyDraft("gcp", "x"), gcp: { service_account_key: noProject, project_ids: "", organization_id: "org" } });
    expect(errors.organization_id).toMatch(/number/);
    expect(validateDraft({ ...emptyDraft("gcp", "x"), gcp: { service_account_key: noProject, project_ids: "", organization_id: "" } }).project_ids).toMatch(/names no project/);
    expect(validateDraft({ ...emptyDraft("gcp", "x"), gcp: { service_account_key: KEY, project_ids: "Bad_Project", organization_id: "" } }).project_ids).toMatch(/not a project ID/);
  });
});

describe("Azure drafts", () => {
  it("sends tenant, client, secret and subscriptions", () => {
    const draft = { ...emptyDraft("azure", "Corp"), azure: { tenant_id: GUID, client_id: GUID, client_secret: "s3cret", subscription_ids: `${GUID}\n${GUID.replace("1", "9")}` } };
    expect(validateDraft(draft)).toEqual({});
    expect(draftToBody(draft)).toEqual({ provider: "azure", name: "Corp", tenant_id: GUID, client_id: GUID, client_secret: "s3cret", subscription_ids: [GUID, GUID.replace("1", "9")] });
    const errors = validateDraft({ ...emptyDraft("azure", "Corp"), azure: { tenant_id: "t", client_id: GUID, client_secret: "", subscription_ids: "nope" } });
    expect(Object.keys(errors).sort()).toEqual(["client_secret", "subscription_ids", "tenant_id"]);
  });
});

describe("stored accounts", () => {
  it("are described by their non-secret identifiers only", () => {
    const role = { provider: "aws" as const, auth_method: "role", name: "Prod", identifiers: { account_id: "123456789012", role_arn: "arn:aws:iam::123456789012:role/a", regions: [] } };
    expect(describeAccount(role)).toEqual({ primary: "Account 123456789012", details: ["role arn:aws:iam::123456789012:role/a", "all regions"] });
    expect(describeAccount({ ...role, auth_method: "access_keys", identifiers: { account_id: "123456789012", access_key_id_suffix: "MPLE", regions: ["eu-west-1"] } }).details).toEqual(["access key …MPLE", "regions eu-west-1"]);
    expect(targetValueFor(role)).toBe("123456789012");
    const gcp = { provider: "gcp" as const, auth_method: "service_account_key", name: "G", identifiers: { client_email: "a@b", project_ids: ["p-one1", "p-two2"] } };
    expect(describeAccount(gcp)).toEqual({ primary: "a@b", details: ["2 projects: p-one1, p-two2"] });
    expect(targetValueFor(gcp)).toBe("p-one1,p-two2");
    const azure = { provider: "azure" as const, auth_method: "client_secret", name: "Az", identifiers: { tenant_id: GUID, client_id: GUID, subscription_ids: [GUID] } };
    expect(describeAccount(azure).details).toEqual([`client ${GUID}`, "1 subscription"]);
    expect(targetValueFor(azure)).toBe(GUID);
  });

  it("splits lists on commas, spaces and lines", () => {
    expect(splitList(" a, b\nc ;d  ")).toEqual(["a", "b", "c", "d"]);
    expect(splitList("")).toEqual([]);
  });
});
