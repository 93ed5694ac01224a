import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { AuthGate } from "../../app/AuthGate";
import { jsonResponse, renderWithProviders, signedInServer, testMe } from "../../test/render";
import IntegrationsPage from "./IntegrationsPage";

afterEach(() => vi.unstubAllGlobals());

const ME = testMe({ permissions: [...testMe().permissions as string[], "integrations:read", "integrations:write"] });
const CATALOGUE = {
  channels: [{ kind: "webhook", label: "Signed webhook", description: "JSON POST signed with HMAC-SHA256",
    fields: [{ name: "url", label: "Receiver URL" }, { name: "signing_secret", label: "Signing secret (16+ characters)", secret: true }] }],
  events: [{ type: "finding.new", description: "New critical or high findings", available: true, reason: null },
    { type: "risks.kri_red", description: "Key risk indicators turned red", available: false, reason: "the risks module is not installed on this server" }],
};
const SESSION = { id: "w1", kind: "webhook", name: "soar", step: "credentials", settings: {}, secrets_set: [], test: null, integration_id: null,
  expires_at: "2030-01-01T00:00:00Z", updated_at: "2026-12-01T00:00:00Z" };
const INTEGRATION = { id: "i1", name: "soar", kind: "webhook", enabled: true, settings: { kind: "webhook", url: "http://127.0.0.1:18400/hook" }, secrets_set: ["signing_secret"],
  status: { state: "failing", last_success_at: null, last_error: "HTTP 503: unavailable", latency_ms: 12.5 }, created_at: "2026-12-01T00:00:00Z" };
const DEAD = { id: "d1", integration_id: "i1", integration_name: "soar", kind: "webhook", event_type: "finding.new", title: "CVE-2023-37920 in certifi", severity: "critical",
  state: "dead_letter", attempts: 8, last_error: "HTTP 503: unavailable", created_at: "2026-12-01T00:00:00Z", history: [] };

function server(extra = {}) {
  return signedInServer({
    "GET /api/integrations/catalogue": () => jsonResponse(CATALOGUE),
    "GET /api/integrations": () => jsonResponse([INTEGRATION]),
    "GET /api/integrations/rules": () => jsonResponse([]),
    "GET /api/integrations/wizard": () => jsonResponse([]),
    "GET /api/integrations/deliveries": () => jsonResponse({ items: [DEAD], total: 1 }),
    ...extra,
  }, { me: ME });
}

describe("IntegrationsPage", () => {
  it("shows health, the dead-letter list with a resend, and which events have no module", async () => {
    const calls = server({ "POST /api/integrations/deliveries/d1/redeliver": () => jsonResponse({ ...DEAD, state: "queued", attempts: 0 }) });
    const user = userEvent.setup();
    renderWithProviders(<AuthGate><IntegrationsPage /></AuthGate>);
    const row = (await screen.findByTestId("integrations-table")).querySelector("tbody tr")!;
    expect(row).toHaveTextContent("failing");
    expect(row).toHaveTextContent("HTTP 503: unavailable");
    expect(screen.getByText(/Key risk indicators turned red \(module not installed\)/)).toBeInTheDocument();
    const dead = within(await screen.findByTestId("deliveries-table")).getByText("CVE-2023-37920 in certifi").closest("tr")!;
    await user.click(within(dead as HTMLElement).getByRole("button", { name: "Send again" }));
    expect(calls.some((call) => call.method === "POST" && call.path === "/api/integrations/deliveries/d1/redeliver")).toBe(true);
  });

  it("walks the wizard: name, credentials, a failed then passed test, a first rule", async () => {
    let tests = 0;
    const calls = server({
      "POST /api/integrations/wizard": () => jsonResponse(SESSION, 201),
      "PUT /api/integrations/wizard/w1/credentials": () => jsonResponse({ ...SESSION, step: "test", secrets_set: ["signing_secret"], settings: { kind: "webhook", url: "http://127.0.0.1:18400/hook" } }),
      "POST /api/integrations/wizard/w1/test": () => {
        tests += 1;
        return jsonResponse(tests === 1
          ? { ...SESSION, step: "test", test: { ok: false, error: "HTTP 503: unavailable" } }
          : { ...SESSION, step: "rules", test: { ok: true, latency_ms: 4 } });
      },
      "POST /api/integrations/wizard/w1/finish": () => jsonResponse({ ...SESSION, step: "done", integration_id: "i2" }),
    });
    const user = userEvent.setup();
    renderWithProviders(<AuthGate><IntegrationsPage /></AuthGate>);
    await user.click(await screen.findByRole("button", { name: "Set up Signed webhook" }));
    await user.type(screen.getByLabelText("Name"), "soar");
    await user.click(screen.getByRole("button", { name: "Next: credentials" }));
    await user.type(await screen.findByLabelText("Receiver URL"), "http://127.0.0.1:18400/hook");
    await user.type(screen.getByLabelText("Signing secret (16+ characters)"), "whsec-0123456789abcdef");
    await user.click(screen.getByRole("button", { name: "Save and continue" }));
    await user.click(await screen.findByRole("button", { name: "Send test" }));
    expect(await screen.findByTestId("wizard-test-result")).toHaveTextContent("failed HTTP 503: unavailable");
    await user.click(screen.getByRole("button", { name: "Send test" }));
    expect(await screen.findByText(/Now choose what to route here/)).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Finish" }));
    expect(await screen.findByTestId("wizard-done")).toHaveTextContent("soar is set up");
    const saved = calls.find((call) => call.path === "/api/integrations/wizard/w1/credentials");
    expect(saved?.body).toEqual({ config: { kind: "webhook", url: "http://127.0.0.1:18400/hook", signing_secret: "whsec-0123456789abcdef" } });
    const finished = calls.find((call) => call.path === "/api/integrations/wizard/w1/finish");
    expect(finished?.body).toEqual({ rule: { name: "Signed webhook notifications", event_types: ["finding.new"], min_severity: "high", tools: [] } });
  });
});
