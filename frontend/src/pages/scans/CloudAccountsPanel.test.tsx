import { useState } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { AuthGate } from "../../app/AuthGate";
import { jsonResponse, renderWithProviders, signedInServer } from "../../test/render";
import { CloudAccountsPanel } from "./CloudAccountsPanel";

afterEach(() => vi.unstubAllGlobals());

const ACCOUNT = {
  id: "6b069bb4b067603d0f52990e", provider: "aws", name: "Prod AWS", auth_method: "role",
  identifiers: { account_id: "123456789012", regions: [], role_arn: "arn:aws:iam::123456789012:role/cspm-audit" },
  has_credentials: true, enabled: true, created_by: "user-1", created_at: "2026-11-25T08:00:00Z", updated_at: "2026-11-25T08:00:00Z", last_test: null,
};

function Harness({ onTarget = () => {} }: { onTarget?: () => void }) {
  const [adding, setAdding] = useState(false);
  return (
    <AuthGate>
      <button type="button" onClick={() => setAdding(true)}>open form</button>
      <CloudAccountsPanel adding={adding} setAdding={setAdding} targets={[]} onTargetCreated={onTarget} />
    </AuthGate>
  );
}

describe("CloudAccountsPanel", () => {
  it("tests the connection and shows why it failed", async () => {
    const reason = "could not reach AWS STS: Could not connect to the endpoint URL: \"https://sts.us-east-1.amazonaws.com/\"";
    let accounts = [ACCOUNT];
    signedInServer({
      "GET /api/cloud-accounts": () => jsonResponse(accounts),
      [`POST /api/cloud-accounts/${ACCOUNT.id}/test`]: () => {
        const result = { ok: false, reason, checked_at: new Date().toISOString(), identity: null, duration_ms: 19.3 };
        accounts = [{ ...ACCOUNT, last_test: result as never }];
        return jsonResponse(result);
      },
    });
    const user = userEvent.setup();
    renderWithProviders(<Harness />);
    const row = (await screen.findByText("Prod AWS")).closest("tr")!;
    expect(within(row).getByText("Not tested yet")).toBeInTheDocument();
    expect(within(row).getByText("role arn:aws:iam::123456789012:role/cspm-audit · all regions")).toBeInTheDocument();
    await user.click(within(row).getByRole("button", { name: "Test connection of Prod AWS" }));
    const result = await within(row).findByTestId("connection-result");
    expect(result).toHaveTextContent("Failed");
    expect(result).toHaveTextContent(reason);
  });

  it("checks the form before sending, sends only the chosen method's fields and never shows secrets back", async () => {
    let accounts: unknown[] = [];
    const calls = signedInServer({
      "GET /api/cloud-accounts": () => jsonResponse(accounts),
      "POST /api/cloud-accounts": (body) => {
        const sent = body as { name: string; account_id: string; role_arn: string };
        const created = { ...ACCOUNT, name: sent.name, identifiers: { account_id: sent.account_id, role_arn: sent.role_arn, regions: [] } };
        accounts = [created];
        return jsonResponse(created, 201);
      },
    });
    const user = userEvent.setup();
    renderWithProviders(<Harness />);
    await screen.findByText("No cloud accounts yet");
    await user.click(screen.getByRole("button", { name: "open form" }));
    const dialog = screen.getByRole("dialog", { name: "Add a cloud account" });
    await user.click(within(dialog).getByRole("button", { name: "Add account" }));
    expect(within(dialog).getByText("Give the account a name.")).toBeInTheDocument();
    expect(within(dialog).getByText("An AWS account ID is 12 digits.")).toBeInTheDocument();
    expect(calls.some((call) => call.method === "POST")).toBe(false);

    await user.type(within(dialog).getByLabelText("Name"), "Payments AWS");
    await user.type(within(dialog).getByLabelText("AWS account ID"), "210987654321");
    await user.type(within(dialog).getByLabelText("Role ARN"), "arn:aws:iam::210987654321:role/cspm-audit");
    await user.type(within(dialog).getByLabelText("External ID"), "very-secret-external-id");
    expect(within(dialog).getByLabelText("External ID")).toHaveAttribute("type", "password");
    await user.click(within(dialog).getByRole("button", { name: "Add account" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(calls.find((call) => call.method === "POST")?.body).toEqual({
      provider: "aws", name: "Payments AWS", account_id: "210987654321", regions: [], endpoint_url: null, auth_method: "role",
      role_arn: "arn:aws:iam::210987654321:role/cspm-audit", external_id: "very-secret-external-id",
    });
    expect(await screen.findByText("Payments AWS")).toBeInTheDocument();
    expect(document.body.textContent).not.toContain("very-secret-external-id");
  });

  it("creates a cloud_account scan target from an account", async () => {
    const onTarget = vi.fn();
    const calls = signedInServer({
      "GET /api/cloud-accounts": () => jsonResponse([ACCOUNT]),
      "POST /api/targets": (body) => jsonResponse({ id: "t1", ...(body as object), tools: ["prowler"], created_by: "user-1", created_at: "2026-11-25T08:00:00Z" }, 201),
    });
    const user = userEvent.setup();
    renderWithProviders(<Harness onTarget={onTarget} />);
    await user.click(await screen.findByRole("button", { name: "Create a scan target for Prod AWS" }));
    const dialog = screen.getByRole("dialog", { name: "Scan target for Prod AWS" });
    await user.click(within(dialog).getByRole("button", { name: "Daily 03:00" }));
    await user.click(within(dialog).getByRole("button", { name: "Create target" }));
    await waitFor(() => expect(onTarget).toHaveBeenCalled());
    expect(calls.find((call) => call.path === "/api/targets")?.body).toMatchObject({
      name: "Prod AWS posture", kind: "cloud_account", value: "123456789012", cloud_account_id: ACCOUNT.id,
      schedule: { cron: "0 3 * * *", enabled: true },
    });
  });
});
