/**
 * The one typed API client (openapi-fetch over the generated schema). Every request carries
 * the bearer token and the active team; a 401 triggers one token refresh and one retry.
 */
import createClient from "openapi-fetch";
import type { paths } from "./schema";
import { ApiError, describeDetail } from "./errors";
import { activeTeamId, clearTokens, readTokens, storeTokens, type StoredTokens, type TokenPairLike } from "./session";

const REFRESH_PATH = "/api/auth/refresh";
const NO_AUTH_PATHS = ["/api/auth/login", "/api/auth/mfa/verify", "/api/auth/register", REFRESH_PATH];

let refreshing: Promise<StoredTokens | null> | null = null;

async function requestRefresh(current: StoredTokens): Promise<StoredTokens | null> {
  const latest = readTokens();
  // Another tab refreshed already: use its tokens.
  if (latest && latest.refreshToken !== current.refreshToken && latest.accessExpiresAt > Date.now()) return latest;
  if (!latest) return null;
  const response = await fetch(REFRESH_PATH, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ refresh_token: latest.refreshToken }),
  });
  if (!response.ok) {
    if (response.status === 401) clearTokens();
    return null;
  }
  return storeTokens((await response.json()) as TokenPairLike);
}

/** Refreshes once for all concurrent callers (and across tabs when Web Locks exist). */
export function refreshTokens(current: StoredTokens): Promise<StoredTokens | null> {
  if (!refreshing) {
    const run = () => requestRefresh(current);
    const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
    const pending: Promise<StoredTokens | null> = locks ? (locks.request("cspm-refresh", run) as unknown as Promise<StoredTokens | null>) : run();
    refreshing = pending.finally(() => {
      refreshing = null;
    });
  }
  return refreshing as Promise<StoredTokens | null>;
}

function withAuth(request: Request, tokens: StoredTokens | null): Request {
  const headers = new Headers(request.headers);
  if (tokens && !NO_AUTH_PATHS.some((path) => new URL(request.url).pathname === path)) {
    headers.set("Authorization", `Bearer ${tokens.accessToken}`);
  }
  const team = activeTeamId();
  if (team && !headers.has("X-Team-ID")) headers.set("X-Team-ID", team);
  return new Request(request, { headers });
}

export async function authFetch(input: Request): Promise<Response> {
  const retry = input.clone();
  let tokens = readTokens();
  if (tokens && tokens.accessExpiresAt - 15_000 < Date.now()) tokens = (await refreshTokens(tokens)) ?? tokens;
  const response = await fetch(withAuth(input, tokens));
  if (response.status !== 401 || !tokens || NO_AUTH_PATHS.includes(new URL(input.url).pathname)) return response;
  const renewed = await refreshTokens(tokens);
  if (!renewed) return response;
  return fetch(withAuth(retry, renewed));
}

export const api = createClient<paths>({
  baseUrl: typeof window !== "undefined" ? window.location.origin : "http://localhost",
  fetch: authFetch,
});

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Returns the data of a call or throws an ApiError worded from the server's answer. */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await call;
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError(0, describeDetail(null, 0));
  }
  const { data, error, response } = result;
  if (!response.ok) {
    const retryAfter = Number(response.headers.get("Retry-After")) || undefined;
    let message = describeDetail(error, response.status);
    if (response.status === 429 && retryAfter) message += ` (try again in ${retryAfter}s)`;
    throw new ApiError(response.status, message, retryAfter);
  }
  return data as T;
}
