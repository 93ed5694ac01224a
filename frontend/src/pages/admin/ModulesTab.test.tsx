import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { AuthGate } from "../../app/AuthGate";
import { jsonResponse, renderWithProviders, signedInServer, testMe } from "../../test/render";
import { ModulesTab } from "./ModulesTab";

afterEach(() => vi.unstubAllGlobals());

const MODULES = [
  { name: "findings", title: "Findings", enabled: true },
  { name: "assets", title: "Assets and SBOM", enabled: true },
];

describe("ModulesTab", () => {
  it("asks before switching a module off, then sends the switch", async () => {
    let current = MODULES;
    const calls = signedInServer({
      "GET /api/teams/active/modules": () => jsonResponse(current),
      "PUT /api/teams/active/modules/assets": (body) => {
        current = current.map((module) => (module.name === "assets" ? { ...module, enabled: (body as { enabled: boolean }).enabled } : module));
        return jsonResponse(current);
      },
    });
    const user = userEvent.setup();
    renderWithProviders(<AuthGate><ModulesTab /></AuthGate>);
    const assets = await screen.findByRole("switch", { name: "Assets and SBOM module" });
    expect(assets).toHaveAttribute("aria-checked", "true");
    await user.click(assets);
    const dialog = screen.getByRole("dialog", { name: "Switch off Assets and SBOM?" });
    expect(within(dialog).getByText(/no longer see Assets & SBOM/)).toBeInTheDocument();
    expect(calls.some((call) => call.method === "PUT")).toBe(false);
    await user.click(within(dialog).getByRole("button", { name: "Switch off" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(calls.find((call) => call.method === "PUT")).toEqual({ method: "PUT", path: "/api/teams/active/modules/assets", body: { enabled: false } });
    expect(screen.getByRole("switch", { name: "Assets and SBOM module" })).toHaveAttribute("aria-checked", "false");

    // Switching on again needs no confirmation.
    await user.click(screen.getByRole("switch", { name: "Assets and SBOM module" }));
    await waitFor(() => expect(screen.getByRole("switch", { name: "Assets and SBOM module" })).toHaveAttribute("aria-checked", "true"));
    expect(calls.filter((call) => call.method === "PUT").map((call) => call.body)).toEqual([{ enabled: false }, { enabled: true }]);
  });

  it("keeps the switch as it was and shows the refusal in words when cancelled or refused", async () => {
    signedInServer({
      "GET /api/teams/active/modules": () => jsonResponse(MODULES),
      "PUT /api/teams/active/modules/findings": () => jsonResponse({ detail: "you do not have permission modules:manage in this team" }, 403),
    });
    const user = userEvent.setup();
    renderWithProviders(<AuthGate><ModulesTab /></AuthGate>);
    await user.click(await screen.findByRole("switch", { name: "Findings module" }));
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect(screen.getByRole("switch", { name: "Findings module" })).toHaveAttribute("aria-checked", "true");
    await user.click(screen.getByRole("switch", { name: "Findings module" }));
    await user.click(screen.getByRole("button", { name: "Switch off" }));
    expect(await screen.findByText("you do not have permission modules:manage in this team")).toBeInTheDocument();
    expect(screen.getByRole("switch", { name: "Findings module" })).toHaveAttribute("aria-checked", "true");
  });

  it("shows the switches read-only to members who cannot manage modules", async () => {
    signedInServer({ "GET /api/teams/active/modules": () => jsonResponse(MODULES) }, { me: testMe({ role: "viewer", permissions: ["findings:read", "teams:read"] }) });
    renderWithProviders(<AuthGate><ModulesTab /></AuthGate>);
    expect(await screen.findByRole("switch", { name: "Findings module" })).toBeDisabled();
    expect(screen.getByText(/Only team admins can switch modules/)).toBeInTheDocument();
  });
});
