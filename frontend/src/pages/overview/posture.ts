/** How the Overview turns finding counts into one posture score (documented in the UI). */
import type { FindingCounts, Severity } from "../../api/types";

export const SEVERITY_WEIGHT: Record<Severity, number> = { critical: 10, high: 5, medium: 2, low: 1, info: 0 };

export interface PostureScore {
  score: number | null;
  basis: "checks" | "risk" | "none";
  explanation: string;
}

function weighted(bySeverity: Record<string, number>): number {
  return Object.entries(bySeverity).reduce((sum, [severity, count]) => sum + (SEVERITY_WEIGHT[severity as Severity] ?? 0) * count, 0);
}

/**
 * With posture checks (tools that report passes, like Prowler): the share of checks passing.
 * Otherwise: the share of severity-weighted finding risk that is no longer open.
 */
export function postureScore(passed: FindingCounts | undefined, activeFailures: FindingCounts | undefined, allFailures: FindingCounts | undefined): PostureScore {
  if (!passed || !activeFailures || !allFailures) return { score: null, basis: "none", explanation: "" };
  if (passed.total > 0) {
    const score = Math.round((100 * passed.total) / (passed.total + activeFailures.total));
    return { score, basis: "checks", explanation: `${passed.total} of ${passed.total + activeFailures.total} checks passing` };
  }
  const all = weighted(allFailures.by_severity);
  if (all === 0) {
    return allFailures.total === 0
      ? { score: null, basis: "none", explanation: "No scan results yet" }
      : { score: 100, basis: "risk", explanation: "Only informational findings" };
  }
  const open = weighted(activeFailures.by_severity);
  return { score: Math.round((100 * (all - open)) / all), basis: "risk", explanation: "Severity-weighted risk resolved or triaged" };
}

export function scoreTone(score: number | null): "good" | "warn" | "bad" | "neutral" {
  if (score == null) return "neutral";
  return score >= 80 ? "good" : score >= 50 ? "warn" : "bad";
}
