import { afterEach, describe, expect, it, vi } from "vitest";
import { screen } from "@testing-library/react";
import { jsonResponse, renderWithProviders, signedInServer } from "../../test/render";
import { describeReason, MappedControls } from "./MappedControls";

afterEach(() => vi.unstubAllGlobals());

describe("MappedControls", () => {
  it("lists each control with the reason of the link and a link to it in Compliance", async () => {
    const calls = signedInServer({
      "GET /api/compliance/findings/abc123/controls": () => jsonResponse([
        { scf_id: "IAC-21", title: "Least Privilege", status: "not_implemented", why: { scf_id: "IAC-21", method: "rule", rule: "trivy.dockerfile.root-user", detail: "trivy check DS-0002", score: null } },
        { scf_id: "CFG-02", title: "System Hardening", status: "implemented", why: { scf_id: "CFG-02", method: "keyword", rule: "keyword", detail: "matched keywords: docker, harden", score: 0.4213 } },
      ]),
    });
    renderWithProviders(<MappedControls dedupKey="abc123" />);
    const link = await screen.findByRole("link", { name: /IAC-21/ });
    expect(link).toHaveAttribute("href", "/compliance?control=IAC-21");
    expect(link).toHaveTextContent("Least Privilege");
    expect(link).toHaveTextContent("Not implemented");
    expect(link).toHaveTextContent("Tool check: trivy check DS-0002");
    expect(link).toHaveTextContent("rule trivy.dockerfile.root-user");
    expect(screen.getByRole("link", { name: /CFG-02/ })).toHaveTextContent("Keyword match: matched keywords: docker, harden (score 0.42)");
    expect(calls.find((call) => call.path.endsWith("/controls"))).toBeTruthy();
  });

  it("says when a finding maps to no control, and shows errors in words", async () => {
    signedInServer({ "GET /api/compliance/findings/none/controls": () => jsonResponse([]) , "GET /api/compliance/findings/off/controls": () => jsonResponse({ detail: "the Compliance module is switched off for this team" }, 403) });
    renderWithProviders(<><MappedControls dedupKey="none" /><MappedControls dedupKey="off" /></>);
    expect(await screen.findByText(/Not mapped to any SCF control/)).toBeInTheDocument();
    expect(await screen.findByText("the Compliance module is switched off for this team")).toBeInTheDocument();
  });

  it("words every mapping method", () => {
    expect(describeReason({ method: "compliance_tag", rule: "r", detail: "ISO 27001 A.8.2 (2 frameworks agree)" })).toBe("Tool's framework tag: ISO 27001 A.8.2 (2 frameworks agree)");
    expect(describeReason({ method: "cwe", rule: "cwe-798", detail: "CWE-798" })).toBe("CWE: CWE-798");
    expect(describeReason({ method: "category", rule: "c", detail: "category secret" })).toBe("Finding category: category secret");
    expect(describeReason({ method: "new_method", rule: "x", detail: "d" })).toBe("New method: d");
  });
});
