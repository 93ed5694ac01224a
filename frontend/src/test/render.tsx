import { vi } from "vitest";
import type { ReactElement } from "react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { MemoryRouter } from "react-router-dom";
import { render } from "@testing-library/react";

export function renderWithProviders(ui: ReactElement, { route = "/" }: { route?: string } = {}) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[route]}>{ui}</MemoryRouter>
    </QueryClientProvider>,
  );
}

export function jsonResponse(body: unknown, status = 200) {
  return new Response(body === null ? null : JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

type Handler = (body: unknown, request: Request) => Response | Promise<Response>;

export const TEST_TEAM = "team-1";

export function testMe(overrides: Record<string, unknown> = {}) {
  return {
    id: "user-1", email: "ada@example.com", display_name: "Ada Lovelace", is_active: true, is_platform_admin: false,
    mfa_enabled: true, created_at: "2026-01-01T00:00:00Z", via: "session", active_team_id: TEST_TEAM, role: "team_admin",
    teams: [{ team_id: TEST_TEAM, team_name: "Platform security", role: "team_admin" }],
    permissions: ["findings:read", "findings:write", "scans:read", "scans:write", "targets:read", "targets:write", "compliance:read", "assets:read", "teams:read", "teams:manage", "modules:manage", "audit:read"],
    ...overrides,
  };
}

/**
 * Stubs fetch with `handlers` ("METHOD /path" → response) on top of a signed-in session: the
 * registration status, /api/auth/me (`me`), the team's module switches (`modules`) and an empty
 * /health/status. Returns the calls made, with their JSON bodies.
 */
export function signedInServer(handlers: Record<string, Handler>, { me = testMe(), disabled = [] as string[] } = {}) {
  localStorage.setItem("cspm.session", JSON.stringify({ accessToken: "a", refreshToken: "r", accessExpiresAt: Date.now() + 3_600_000, sessionId: "s" }));
  localStorage.setItem("cspm.team", TEST_TEAM);
  const modules = ["findings", "compliance", "scans", "assets", "threat_intel"].map((name) => ({ name, title: name, enabled: !disabled.includes(name) }));
  const all: Record<string, Handler> = {
    "GET /api/auth/registration": () => jsonResponse({ open: false, first_user: false }),
    "GET /api/auth/me": () => jsonResponse(me),
    "GET /api/teams/active/modules": () => jsonResponse(modules),
    "GET /health/status": () => jsonResponse({ status: "ok", version: "test", uptime_seconds: 1, checks: {}, components: [] }),
    ...handlers,
  };
  const calls: { method: string; path: string; body: unknown }[] = [];
  vi.stubGlobal("fetch", vi.fn(async (input: Request) => {
    const url = new URL(input.url);
    const body = input.method === "GET" ? null : await input.clone().json().catch(() => null);
    calls.push({ method: input.method, path: url.pathname, body });
    const handler = all[`${input.method} ${url.pathname}`];
    return handler ? handler(body, input) : jsonResponse({ detail: "Not Found" }, 404);
  }));
  return calls;
}
