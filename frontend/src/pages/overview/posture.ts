/** How the Overview shows the posture score the backend computes (GET /api/findings/posture). */
/** What the score means, shown under it: the same definition as the executive report's. */
export const POSTURE_DEFINITION =
  "Share of posture checks passing, among the tools that report passing checks; triaged failures no longer count. " +
  "Vulnerabilities are not checks: they are counted by severity below.";

export function scoreTone(score: number | null): "good" | "warn" | "bad" | "neutral" {
  if (score == null) return "neutral";
  return score >= 80 ? "good" : score >= 50 ? "warn" : "bad";
}
