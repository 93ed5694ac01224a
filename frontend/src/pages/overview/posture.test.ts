import { describe, expect, it } from "vitest";
import type { FindingCounts } from "../../api/types";
import { postureScore, scoreTone } from "./posture";

function counts(total: number, by_severity: Record<string, number> = {}): FindingCounts {
  return { total, overdue: 0, by_severity, by_status: {}, by_tool: {} };
}

describe("postureScore", () => {
  it("is the share of checks passing when the tools report passes", () => {
    const score = postureScore(counts(11), counts(26), counts(27));
    expect(score).toMatchObject({ score: 30, basis: "checks", explanation: "11 of 37 checks passing" });
  });

  it("otherwise weighs open risk against all risk by severity", () => {
    const all = counts(4, { critical: 1, high: 1, low: 2 });
    const open = counts(2, { high: 1, low: 1 });
    // all = 10 + 5 + 2 = 17, open = 5 + 1 = 6 → 11/17 = 65 %
    expect(postureScore(counts(0), open, all)).toMatchObject({ score: 65, basis: "risk" });
  });

  it("has no score without results, and 100 with informational findings only", () => {
    expect(postureScore(counts(0), counts(0), counts(0)).score).toBeNull();
    expect(postureScore(counts(0), counts(3, { info: 3 }), counts(3, { info: 3 })).score).toBe(100);
    expect(postureScore(undefined, counts(0), counts(0)).basis).toBe("none");
  });

  it("maps scores to tones", () => {
    expect([scoreTone(null), scoreTone(90), scoreTone(60), scoreTone(10)]).toEqual(["neutral", "good", "warn", "bad"]);
  });
});
