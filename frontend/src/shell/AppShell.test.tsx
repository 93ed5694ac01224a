import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, within } from "@testing-library/react";
import { AuthGate } from "../app/AuthGate";
import { renderWithProviders, signedInServer, testMe } from "../test/render";
import { lazy } from "react";
import type { PlatformModule } from "../modules/registry";
import { AppShell, MainContent } from "./AppShell";

afterEach(() => vi.unstubAllGlobals());

function renderApp(route: string) {
  return renderWithProviders(<AuthGate><AppShell /></AuthGate>, { route });
}

describe("module switches in the shell", () => {
  it("hides a switched-off module from the sidebar and says so on its page", async () => {
    signedInServer({}, { disabled: ["assets"] });
    renderApp("/assets");
    expect(await screen.findByRole("heading", { name: "Assets & SBOM is switched off by your team admin" })).toBeInTheDocument();
    const nav = screen.getByRole("navigation", { name: "Modules" });
    expect(within(nav).queryByRole("link", { name: /Assets/ })).toBeNull();
    expect(within(nav).getByRole("link", { name: "Scans" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Manage modules" })).toHaveAttribute("href", "/admin?tab=modules");
  });

  it("tells a member who cannot switch modules whom to ask", async () => {
    const me = testMe({ role: "analyst", permissions: ["findings:read", "scans:read", "targets:read", "teams:read"] });
    signedInServer({}, { me, disabled: ["scans"] });
    renderApp("/scans");
    expect(await screen.findByRole("heading", { name: "Scans is switched off by your team admin" })).toBeInTheDocument();
    expect(screen.getByText(/Ask a team admin to switch it on/)).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "Manage modules" })).toBeNull();
  });

  it("opens on the first module still on when the findings module is off", async () => {
    const calls = signedInServer({ "GET /api/compliance/frameworks": () => new Response(JSON.stringify({ registry: { source: "baseline", release: "x" }, frameworks: [] }), { headers: { "Content-Type": "application/json" } }) }, { disabled: ["findings"] });
    renderApp("/");
    expect(await screen.findByRole("heading", { name: "Compliance", level: 1 })).toBeInTheDocument();
    const nav = screen.getByRole("navigation", { name: "Modules" });
    expect(within(nav).queryByRole("link", { name: "Overview" })).toBeNull();
    expect(within(nav).queryByRole("link", { name: "Findings" })).toBeNull();
    expect(calls.some((call) => call.path.startsWith("/api/findings"))).toBe(false);
  });
});

describe("loading placeholders", () => {
  it("outlines the shell, not a blank screen, while the signed-in workspace loads", async () => {
    signedInServer({});
    renderApp("/findings");
    const placeholder = screen.getByRole("status", { name: "Loading your workspace" });
    expect(placeholder).toHaveAttribute("aria-busy", "true");
    expect(placeholder.querySelectorAll(".skeleton").length).toBeGreaterThan(4);
    expect(await screen.findByRole("heading", { name: "Findings", level: 1 })).toBeInTheDocument();
    expect(screen.queryByRole("status", { name: "Loading your workspace" })).toBeNull();
  });

  it("shows the page skeleton in the main area while a page's chunk loads", async () => {
    signedInServer({});
    const slow: PlatformModule = {
      id: "slow", label: "Slow", path: "/slow", icon: "check", section: "Posture", description: "", backend: [],
      component: lazy(() => new Promise<never>(() => {})), preload: () => Promise.resolve(),
    };
    renderWithProviders(<AuthGate><MainContent modules={[slow]} home="/slow" /></AuthGate>, { route: "/slow" });
    const placeholder = await screen.findByRole("status", { name: "Loading page" });
    expect(placeholder).toHaveAttribute("aria-busy", "true");
    expect(placeholder.closest("main")).toHaveAttribute("id", "main");
  });
});
