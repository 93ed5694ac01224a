import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { AuthGate } from "../../app/AuthGate";
import { jsonResponse, renderWithProviders, signedInServer, testMe } from "../../test/render";
import { ordinal, ThreatContext } from "../findings/ThreatContext";
import ThreatIntelPage from "./ThreatIntelPage";

afterEach(() => vi.unstubAllGlobals());

const ME = testMe({ permissions: [...testMe().permissions as string[], "threat_intel:read", "threat_intel:write"] });
const KEV = {
  catalogue_version: "2025.08.25", catalogue_date: "2025-08-25", total: 1, open_findings_known_exploited: 3, open_findings_past_due: 2,
  summary: "3 open findings are known exploited; 2 are past CISA's due date",
  items: [{ cve_id: "CVE-2021-44228", vendor_project: "Apache", product: "Log4j2", vulnerability_name: "Apache Log4j2 Remote Code Execution Vulnerability",
    date_added: "2021-12-10", due_date: "2021-12-24", required_action: "Apply updates per vendor instructions.", known_ransomware_campaign_use: "Known",
    short_description: "", cwes: [], open_findings: 3 }],
};
const CORRELATION = {
  id: "c1", indicator_id: "i1", stix_id: "indicator--1", indicator_name: "APT1 infrastructure", indicator_type: "ipv4", indicator_value: "58.246.0.0/15",
  matched_value: "58.247.1.10", where: "nmap host_port 58.247.1.10:443", asset: { finding_id: "f1" }, tlp: null, source: "stix:apt1", confidence: 80,
  context: [{ stix_id: "intrusion-set--1", type: "intrusion-set", name: "APT1", relationship: "indicates" }],
  first_seen: "2026-12-01T10:00:00Z", last_seen: "2026-12-01T10:00:00Z",
};

function intelServer(extra = {}) {
  return signedInServer({
    "GET /api/threat-intel/kev": () => jsonResponse(KEV),
    "GET /api/threat-intel/epss": () => jsonResponse({ feed_date: "2025-08-25", scores: [], distribution: [{ band: "unknown", open_findings: 1 }, { band: "0.9-1.0", open_findings: 4 }] }),
    "GET /api/threat-intel/indicators": () => jsonResponse({ items: [], total: 0 }),
    "GET /api/threat-intel/correlations": () => jsonResponse({ items: [CORRELATION], total: 1 }),
    "GET /api/threat-intel/sources": () => jsonResponse({ feeds: [{ feed: "kev", title: "CISA KEV", state: "degraded", health: "KEV catalogue from 2025-08-25: 463 days old", runs: [] }], taxii: [] }),
    ...extra,
  }, { me: ME });
}

describe("ThreatIntelPage", () => {
  it("puts KEV matches first, then EPSS, correlations with their context and feed health", async () => {
    intelServer();
    renderWithProviders(<AuthGate><ThreatIntelPage /></AuthGate>);
    const summary = await screen.findByTestId("kev-summary");
    expect(summary).toHaveTextContent("3 open findings are known exploited; 2 are past CISA's due date.");
    expect(within(summary).getByRole("link", { name: "Show them in findings" })).toHaveAttribute("href", expect.stringContaining("kev=true"));
    expect(screen.getByText("CVE-2021-44228").closest("tr")).toHaveTextContent("Known");
    expect(await screen.findByText("Intrusion set: APT1")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "58.247.1.10" })).toHaveAttribute("href", "/findings?finding=f1&all=1");
    expect(screen.getByLabelText("Open CVE findings by EPSS band")).toHaveTextContent("0.9-1.04");
    expect(await screen.findByText(/463 days old/)).toBeInTheDocument();
  });

  it("uploads a STIX bundle as multipart and shows what was correlated", async () => {
    const calls = intelServer({
      "POST /api/threat-intel/indicators/import": () => jsonResponse({ format: "stix", source: "stix:apt1.json", parsed: 12, new: 12, updated: 0, not_matchable: 1,
        correlation: { findings: 5, intel_written: 0, matches: 1, new_matches: 1 } }, 201),
    });
    const user = userEvent.setup();
    renderWithProviders(<AuthGate><ThreatIntelPage /></AuthGate>);
    await user.click(await screen.findByRole("button", { name: "Import indicators" }));
    await user.upload(screen.getByLabelText("Indicator file"), new File(["{}"], "apt1.json", { type: "application/json" }));
    await user.click(screen.getByRole("button", { name: "Import" }));
    expect(await screen.findByRole("status")).toHaveTextContent("12 indicators read from stix:apt1.json: 12 new, 0 updated, 1 kept but not matchable");
    expect(calls.some((call) => call.method === "POST" && call.path === "/api/threat-intel/indicators/import")).toBe(true);
  });
});

const FINDING = {
  id: "f1", dedup_key: "d1", source_tool: "grype", rule_id: "CVE-2021-44228", title: "log4j", severity: "critical", status: "open", result: "fail",
  category: "vulnerability", resource: {}, cve_ids: ["CVE-2021-44228"], first_seen: "2026-12-01T00:00:00Z", last_seen: "2026-12-01T00:00:00Z", times_seen: 1,
  description: null, evidence: null, remediation: null, references: [], cwe_ids: [], compliance_tags: {}, identity: {}, history: [],
  kev: { cve_ids: ["CVE-2021-44228"], date_added: "2021-12-10", due_date: "2021-12-24", required_action: "Apply updates per vendor instructions.", ransomware: "Known" },
  epss: { score: 0.94358, percentile: 0.99957, date: "2025-08-25", source: "FIRST EPSS", cve_id: "CVE-2021-44228" },
  priority: 88.6, priority_explanation: "KEV since 2021-12-10 (+25.0), EPSS 0.94 (99th percentile) (+18.9)",
  priority_factors: [{ factor: "kev", points: 25, reason: "KEV since 2021-12-10" }, { factor: "epss", points: 18.87, reason: "EPSS 0.94 (99th percentile)" }],
};

describe("ThreatContext in the finding drawer", () => {
  it("explains the priority, the KEV entry and the EPSS source", async () => {
    intelServer();
    renderWithProviders(<AuthGate><ThreatContext finding={FINDING as never} /></AuthGate>);
    expect(await screen.findByTestId("priority-explanation")).toHaveTextContent("Priority 88.6 / 100 — KEV since 2021-12-10 (+25.0)");
    expect(screen.getByLabelText("Priority factors")).toHaveTextContent("+18.9EPSS 0.94 (99th percentile)");
    expect(screen.getByTestId("kev-flag")).toHaveTextContent("due 2021-12-24");
    expect(screen.getByText(/EPSS 0.944 \(99th percentile\) from FIRST EPSS of 2025-08-25/)).toBeInTheDocument();
  });

  it("words percentiles as ordinals", () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 92, 97].map(ordinal)).toEqual(["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "92nd", "97th"]);
  });

  it("says so when the team switched threat intelligence off", async () => {
    signedInServer({}, { me: ME, disabled: ["threat_intel"] });
    renderWithProviders(<AuthGate><ThreatContext finding={FINDING as never} /></AuthGate>);
    expect(await screen.findByTestId("threat-intel-off")).toHaveTextContent("switched off for this team");
  });
});
