/** Formatting helpers shared by pages (dates, numbers, labels). */
import type { FindingStatus, Severity } from "../api/types";

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 31_536_000],
  ["month", 2_592_000],
  ["week", 604_800],
  ["day", 86_400],
  ["hour", 3_600],
  ["minute", 60],
];

export function timeAgo(value: string | Date | null | undefined, now = Date.now()): string {
  if (!value) return "—";
  const seconds = Math.round((new Date(value).getTime() - now) / 1000);
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  }
  return "just now";
}

export function formatDate(value: string | Date | null | undefined): string {
  if (!value) return "—";
  return new Date(value).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

export function formatDateTime(value: string | Date | null | undefined): string {
  if (!value) return "—";
  return new Date(value).toLocaleString(undefined, {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
  });
}

export function formatTime(value: string | number | Date | null | undefined): string {
  if (value == null || value === "") return "—";
  return new Date(value).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

const NATURAL = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

/** Natural order of requirement ids: CC1.2 before CC1.10, 5.1 before 5.1(a) before 5.2. */
export function compareRequirementIds(a: string, b: string): number {
  return NATURAL.compare(a, b);
}

export function formatNumber(value: number | null | undefined): string {
  return value == null ? "—" : new Intl.NumberFormat().format(value);
}

export const SEVERITY_LABEL: Record<Severity, string> = {
  critical: "Critical", high: "High", medium: "Medium", low: "Low", info: "Info",
};

export const STATUS_LABEL: Record<FindingStatus, string> = {
  open: "Open",
  reopened: "Reopened",
  resolved: "Resolved",
  false_positive: "False positive",
  risk_accepted: "Risk accepted",
  resolved_pending_verification: "Resolved, pending verification",
  suppressed: "Suppressed",
};

export function humanize(value: string): string {
  const text = value.replace(/[_.:-]+/g, " ").trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A resource's most telling identifier for a table cell. */
export function resourceLabel(resource: Record<string, unknown> | null | undefined): string {
  if (!resource) return "—";
  const id = resource.id ?? resource.name ?? resource.uid ?? resource.arn;
  return id ? String(id) : String(resource.type ?? "—");
}

/** A compact date for table cells: "Feb 23", with the full year only when it is not this year. */
export function formatShortDate(value: string | Date | null | undefined, now = new Date()): string {
  if (!value) return "—";
  const date = new Date(value);
  const options: Intl.DateTimeFormatOptions = { month: "short", day: "numeric" };
  if (date.getFullYear() !== now.getFullYear()) options.year = "numeric";
  return date.toLocaleDateString(undefined, options);
}

/** A finding's rule id and its CVEs, each once: a Trivy CVE's rule id is the CVE itself. */
export function ruleLine(ruleId: string, cveIds: readonly string[]): string {
  const others = cveIds.filter((cve) => cve !== ruleId).slice(0, 2);
  return others.length ? `${ruleId} · ${others.join(", ")}` : ruleId;
}

/**
 * Splits an identifier into a head that may be shortened and the tail that tells it apart from its
 * neighbours: an ARN's part after its last ':' or '/', a path's or URL's last segment. Anything else
 * (a name, an id without separators) is all tail. head + tail is always the whole value.
 */
export function identifierParts(value: string): { head: string; tail: string } {
  const trimmed = value.replace(/[/:]+$/, "");
  const isArn = /^arn:/i.test(trimmed);
  const cut = isArn ? Math.max(trimmed.lastIndexOf(":"), trimmed.lastIndexOf("/")) : trimmed.lastIndexOf("/");
  if (cut <= 0 || cut === trimmed.length - 1) return { head: "", tail: value };
  return { head: value.slice(0, cut + 1), tail: value.slice(cut + 1) };
}


/** A calendar day ("2026-12-03", UTC) in the locale's full date, four-digit year: "Dec 3, 2026". */
export function formatDay(day: string): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
}

/** A calendar day for a chart's axis, where space is short and the year is in the tooltip: "Dec 3". */
export function formatDayTick(day: string): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString(undefined, { month: "short", day: "numeric", timeZone: "UTC" });
}
