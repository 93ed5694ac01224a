import { afterEach, describe, expect, it, vi } from "vitest";
import { api, unwrap } from "./client";
import { ApiError } from "./errors";
import { readTokens, setActiveTeamId, storeTokens } from "./session";

function json(body: unknown, status = 200) {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function signIn(expiresIn = 900) {
  storeTokens({ access_token: "access-1", refresh_token: "refresh-1", expires_in: expiresIn, session_id: "s1" });
}

afterEach(() => vi.unstubAllGlobals());

describe("the API client", () => {
  it("sends the bearer token and the active team", async () => {
    signIn();
    setActiveTeamId("team-a");
    const fetchMock = vi.fn(async () => json([]));
    vi.stubGlobal("fetch", fetchMock);
    await unwrap(api.GET("/api/teams"));
    const request = (fetchMock.mock.calls[0] as unknown as [Request])[0];
    expect(request.headers.get("Authorization")).toBe("Bearer access-1");
    expect(request.headers.get("X-Team-ID")).toBe("team-a");
  });

  it("refreshes once on 401 and retries with the new token", async () => {
    signIn();
    const seen: string[] = [];
    vi.stubGlobal("fetch", vi.fn(async (input: Request | string, init?: RequestInit) => {
      const url = typeof input === "string" ? input : input.url;
      if (url.endsWith("/api/auth/refresh")) {
        expect(JSON.parse(String(init?.body))).toEqual({ refresh_token: "refresh-1" });
        return json({ access_token: "access-2", refresh_token: "refresh-2", expires_in: 900, refresh_expires_in: 9000, session_id: "s1", token_type: "bearer" });
      }
      const auth = (input as Request).headers.get("Authorization") ?? "";
      seen.push(auth);
      return auth === "Bearer access-2" ? json([{ id: "t1" }]) : json({ detail: "token expired" }, 401);
    }));
    const teams = await unwrap(api.GET("/api/teams"));
    expect(teams).toEqual([{ id: "t1" }]);
    expect(seen).toEqual(["Bearer access-1", "Bearer access-2"]);
    expect(readTokens()?.refreshToken).toBe("refresh-2");
  });

  it("drops the session when the refresh token is refused", async () => {
    signIn();
    vi.stubGlobal("fetch", vi.fn(async (input: Request | string) => {
      const url = typeof input === "string" ? input : input.url;
      return url.endsWith("/api/auth/refresh") ? json({ detail: "session revoked" }, 401) : json({ detail: "token revoked" }, 401);
    }));
    await expect(unwrap(api.GET("/api/teams"))).rejects.toMatchObject({ status: 401, message: "token revoked" });
    expect(readTokens()).toBeNull();
  });

  it("turns network failures and 429s into worded ApiErrors", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => { throw new TypeError("Failed to fetch"); }));
    const offline = await unwrap(api.GET("/api/health")).catch((error) => error);
    expect(offline).toBeInstanceOf(ApiError);
    expect(offline.message).toMatch(/could not be reached/);
    vi.stubGlobal("fetch", vi.fn(async () => new Response(JSON.stringify({ detail: "too many login attempts" }), { status: 429, headers: { "Content-Type": "application/json", "Retry-After": "30" } })));
    await expect(unwrap(api.POST("/api/auth/login", { body: { email: "a@b.co", password: "x" } }))).rejects.toMatchObject({
      status: 429, retryAfter: 30, message: "too many login attempts (try again in 30s)",
    });
  });
});
