/** One line for a scan run's findings and its duration, for the runs table. */

export interface RunCounts { new?: number; updated?: number; reopened?: number; resolved?: number; unchanged?: number; components?: number; [key: string]: number | undefined }

export function findingsSummary(counts: RunCounts): string {
  if (counts.components != null && counts.new == null) return `${counts.components} components`;
  const parts: string[] = [];
  for (const [key, label] of [["new", "new"], ["reopened", "reopened"], ["updated", "updated"], ["resolved", "resolved"], ["unchanged", "unchanged"]] as const) {
    const value = counts[key];
    if (value) parts.push(`${value} ${label}`);
  }
  if (parts.length) return parts.join(" · ");
  return counts.new != null ? "no findings" : "—";
}

export function formatDuration(startedAt?: string | null, finishedAt?: string | null, now = Date.now()): string {
  if (!startedAt) return "—";
  const seconds = Math.max(0, Math.round(((finishedAt ? Date.parse(finishedAt) : now) - Date.parse(startedAt)) / 1000));
  const text = seconds < 60 ? `${seconds} s` : seconds < 3600 ? `${Math.floor(seconds / 60)} min ${seconds % 60} s` : `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
  return finishedAt ? text : `${text} so far`;
}
