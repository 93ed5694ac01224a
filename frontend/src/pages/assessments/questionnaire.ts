/** Questionnaire logic kept out of the components: answer labels, keyboard shortcuts, tiers, results. */
import type { Answer, Assessment, Requirement } from "../../api/hooks/assessments";

export const ANSWERS: { value: Answer; label: string; key: string; tone: "good" | "warn" | "bad" | "info" }[] = [
  { value: "met", label: "Met", key: "1", tone: "good" },
  { value: "partially_met", label: "Partially met", key: "2", tone: "warn" },
  { value: "not_met", label: "Not met", key: "3", tone: "bad" },
  { value: "not_applicable", label: "Not applicable", key: "4", tone: "info" },
];

export const STATE_FILTERS = [
  { id: "all", label: "All" },
  { id: "unanswered", label: "Unanswered" },
  { id: "suggested", label: "Suggested" },
  { id: "answered", label: "Answered" },
  { id: "not_met", label: "Not met" },
] as const;
export type StateFilter = (typeof STATE_FILTERS)[number]["id"];

/** The answer a key press stands for (1–4), or null. */
export function answerForKey(key: string): Answer | null {
  return ANSWERS.find((answer) => answer.key === key)?.value ?? null;
}

export function answerLabel(answer: Answer | null | undefined): string {
  return ANSWERS.find((item) => item.value === answer)?.label ?? "Unanswered";
}

/** What a requirement shows as its state: the answer, or the suggestion a scan made, or nothing. */
export function stateLabel(requirement: Pick<Requirement, "answer" | "suggestion">): string {
  if (requirement.answer) return answerLabel(requirement.answer);
  const suggestion = requirement.suggestion as { count?: number } | null | undefined;
  if (suggestion?.count) return `Not met (suggested by ${suggestion.count} finding${suggestion.count === 1 ? "" : "s"})`;
  return "Unanswered";
}

/** The ref after (or before) `current` in `refs`, for j/k navigation; stays at the ends. */
export function neighbour(refs: string[], current: string | null, step: 1 | -1): string | null {
  if (!refs.length) return null;
  const index = current ? refs.indexOf(current) : -1;
  if (index < 0) return refs[0];
  return refs[Math.min(refs.length - 1, Math.max(0, index + step))];
}

export const TIER_NAMES = ["Partial", "Risk informed", "Repeatable", "Adaptive"];

/** CSF: the answer the backend derives from a tier (at or above target: met; tier 1: not met). */
export function answerFromTier(tier: number, target: number): Answer {
  if (tier >= target) return "met";
  return tier >= 2 ? "partially_met" : "not_met";
}

export interface ResultRow { id: string; name: string; percentMet: number; met: number; partial: number; notMet: number; unanswered: number; current: number | null; target: number | null; gap: number | null }

export function resultRows(assessment: Pick<Assessment, "scores">): ResultRow[] {
  const groups = (assessment.scores as { groups?: Record<string, unknown>[] }).groups ?? [];
  return groups.map((group) => ({
    id: String(group.id), name: String(group.name), percentMet: Number(group.percent_met ?? 0), met: Number(group.met ?? 0),
    partial: Number(group.partially_met ?? 0), notMet: Number(group.not_met ?? 0), unanswered: Number(group.unanswered ?? 0),
    current: group.current_tier == null ? null : Number(group.current_tier), target: group.target_tier == null ? null : Number(group.target_tier),
    gap: group.gap == null ? null : Number(group.gap),
  }));
}
