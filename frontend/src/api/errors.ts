/** Turns whatever the API answered into words a person can act on. */

export class ApiError extends Error {
  readonly status: number;
  readonly retryAfter?: number;

  constructor(status: number, message: string, retryAfter?: number) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

interface ValidationItem {
  loc?: (string | number)[];
  msg?: string;
}

function fieldName(loc: (string | number)[] | undefined): string {
  if (!loc?.length) return "";
  // FastAPI prefixes the location with "body", "query", "path" or "header".
  const parts = ["body", "query", "path", "header"].includes(String(loc[0])) ? loc.slice(1) : loc;
  return parts.map(String).join(".");
}

function cleanMessage(message: string): string {
  return message.replace(/^Value error, /, "");
}

/** `{"detail": "..."}` or FastAPI's 422 list `{"detail": [{loc, msg}]}` → one readable sentence. */
export function describeDetail(body: unknown, status: number): string {
  const detail = body && typeof body === "object" && "detail" in body ? (body as { detail: unknown }).detail : body;
  if (typeof detail === "string" && detail.trim()) return detail;
  if (Array.isArray(detail) && detail.length) {
    return detail
      .map((item: ValidationItem) => {
        const field = fieldName(item.loc);
        const message = cleanMessage(item.msg ?? "is invalid");
        return field ? `${field}: ${message}` : message;
      })
      .join("; ");
  }
  return statusText(status);
}

export function statusText(status: number): string {
  switch (status) {
    case 0:
      return "The server could not be reached. Check your connection and that the platform is running.";
    case 401:
      return "Your session has ended. Please sign in again.";
    case 403:
      return "You do not have permission to do this in the active team.";
    case 404:
      return "Not found.";
    case 413:
      return "The upload is larger than the server accepts.";
    case 429:
      return "Too many attempts. Wait a moment and try again.";
    case 500:
      return "The server hit an unexpected error. The request ID in the server log has the details.";
    case 502:
    case 503:
    case 504:
      return "The server is temporarily unavailable. Try again shortly.";
    default:
      return `The server answered with status ${status}.`;
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof TypeError) return statusText(0);
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}
