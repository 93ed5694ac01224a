/**
 * Files the API answers (exports, evidence, reports) fetched with the session's credentials:
 * a plain link cannot carry the bearer token, so the browser gets the bytes from us.
 */
import { authFetch } from "./client";
import { ApiError, describeDetail } from "./errors";

/** The response for `path` (relative to the site), or ApiError naming the server's reason. */
export async function fetchAuthenticated(path: string): Promise<Response> {
  const response = await authFetch(new Request(new URL(path, window.location.origin)));
  if (!response.ok) {
    let body: unknown = null;
    try { body = await response.json(); } catch { /* not JSON */ }
    throw new ApiError(response.status, describeDetail(body, response.status));
  }
  return response;
}

/** Saves the file at `path` as `fileName` through a temporary link. */
export async function downloadFile(path: string, fileName: string): Promise<void> {
  const blob = await (await fetchAuthenticated(path)).blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = fileName;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}
