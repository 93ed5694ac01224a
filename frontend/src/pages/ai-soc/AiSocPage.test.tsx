import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { AuthGate } from "../../app/AuthGate";
import { jsonResponse, renderWithProviders, signedInServer, testMe } from "../../test/render";
import AiSocPage from "./AiSocPage";

afterEach(() => vi.unstubAllGlobals());

const ME = testMe({ permissions: [...testMe().permissions as string[], "ai_soc:read", "ai_soc:write"] });
const LLM = { configured: false, model: null, message: "LLM not configured: deterministic agents only" };
const PRIORITY = { score: 42.8, explanation: "KEV since 2021-11-03 (+25.0), CVSS 6.5 (+9.8)", factors: [], severity: "medium" };
const SUMMARY = {
  id: "c1", key: "component:teamdojo:latest:freetype@2.9.1-r2", rule: "component", title: "freetype 2.9.1-r2 in teamdojo:latest: 1 vulnerability",
  status: "open", created_at: "2026-12-02T10:00:00Z", updated_at: "2026-12-02T10:00:00Z", finding_count: 1, resources: ["teamdojo:latest"],
  severity: "medium", cve_ids: ["CVE-2020-15999"], priority: PRIORITY, summary: null, actions: [],
  recommendation: { action: "keep", reason: "in CISA KEV (CVE-2020-15999): exploited in the wild", rule: "kev" },
};
const step = (agent: string, extra = {}) => ({ agent, run_id: "r1", at: "2026-12-02T10:00:00Z", inputs: { finding_ids: ["f1"], finding_count: 1 },
  outputs: { note: `${agent} output` }, rule: `${agent} rule`, citations: [], duration_ms: 1.5, ...extra });
const DETAIL = {
  ...SUMMARY, enrichment: {}, llm: LLM, llm_configured: false,
  remediation: { plan: ["Upgrade freetype 2.9.1-r2 to 2.9.1-r3: fixes 1 of 1 CVE(s) at once"], upgrade: null, narrative: null,
    citations: [{ chunk_id: "scf:VPM-05#0", source: "scf", title: "VPM-05 Software & Firmware Patching", excerpt: "Install security patches.", why: "SCF control mapped from the finding" }] },
  trail: ["correlation", "enrichment", "prioritisation", "triage"].map((agent) => step(agent)).concat([
    step("remediation", { citations: ["scf:VPM-05#0"], llm: { status: "discarded", reason: "the answer is not JSON", prompt: "FACTS: ...", answer: "Sure!" } })]),
  findings: [{ id: "f1", dedup_key: "d1", source_tool: "trivy", rule_id: "CVE-2020-15999", title: "CVE-2020-15999 in freetype", severity: "medium", status: "open",
    resource: { type: "container_image", id: "teamdojo:latest" }, cve_ids: ["CVE-2020-15999"], package: null, priority: 42.8 }],
  available_actions: [
    { action: "false_positive", label: "Mark false positive", recommended: false, available: true, unavailable_reason: null },
    { action: "accept_risk", label: "Accept risk", recommended: false, available: true, unavailable_reason: null },
    { action: "keep", label: "Keep open", recommended: true, available: true, unavailable_reason: null },
    { action: "open_ticket", label: "Open a ticket", recommended: false, available: false, unavailable_reason: "open a ticket: integrations not available" },
  ],
};

describe("AiSocPage", () => {
  it("lists cases by priority, opens the trail with citations, and applies an accepted risk with owner and expiry", async () => {
    const calls = signedInServer({
      "GET /api/ai-soc/cases": () => jsonResponse({ items: [SUMMARY], total: 1, llm: LLM }),
      "GET /api/ai-soc/cases/c1": () => jsonResponse(DETAIL),
      "POST /api/ai-soc/cases/c1/actions": () => jsonResponse({ id: "c1", findings_changed: 1, actions: [] }),
    }, { me: ME });
    renderWithProviders(<AuthGate><AiSocPage /></AuthGate>);
    const queue = await screen.findByTestId("case-queue");
    expect(within(queue).getByText("42.8")).toBeInTheDocument();
    expect(screen.getAllByText("LLM not configured").length).toBeGreaterThan(0);
    await userEvent.click(within(queue).getByRole("button", { name: /freetype/ }));
    const view = await screen.findByTestId("case-view");
    expect(within(view).getByTestId("case-citations")).toHaveTextContent("scf:VPM-05#0");
    expect(within(view).getByTestId("trail-remediation")).toHaveTextContent("LLM: discarded (the answer is not JSON)");
    expect(within(view).getByRole("button", { name: "Open a ticket" })).toBeDisabled();
    expect(within(view).getByText("open a ticket: integrations not available")).toBeInTheDocument();
    await userEvent.click(within(view).getByRole("button", { name: "Accept risk" }));
    const dialog = await screen.findByRole("dialog", { name: /Accept risk/ });
    const apply = within(dialog).getByRole("button", { name: /Apply to 1 finding/ });
    await userEvent.type(within(dialog).getByLabelText("Reason"), "rebuild next sprint");
    expect(apply).toBeDisabled(); // an owner is required
    await userEvent.type(within(dialog).getByLabelText("Risk owner"), "platform team");
    await userEvent.click(apply);
    const posted = calls.find((call) => call.method === "POST" && call.path === "/api/ai-soc/cases/c1/actions");
    expect(posted?.body).toMatchObject({ action: "accept_risk", reason: "rebuild next sprint", risk_owner: "platform team" });
    expect((posted?.body as { expires_at: string }).expires_at).toMatch(/^\d{4}-\d{2}-\d{2}T00:00:00/);
  });
});
