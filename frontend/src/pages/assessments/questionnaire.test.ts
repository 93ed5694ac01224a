import { describe, expect, it } from "vitest";
import { answerForKey, answerFromTier, neighbour, resultRows, stateLabel } from "./questionnaire";

describe("questionnaire", () => {
  it("maps the number keys to answers", () => {
    expect(answerForKey("1")).toBe("met");
    expect(answerForKey("3")).toBe("not_met");
    expect(answerForKey("x")).toBeNull();
  });

  it("shows a scan's suggestion until a person answers", () => {
    expect(stateLabel({ answer: null, suggestion: { count: 3 } })).toBe("Not met (suggested by 3 findings)");
    expect(stateLabel({ answer: null, suggestion: { count: 1 } })).toBe("Not met (suggested by 1 finding)");
    expect(stateLabel({ answer: "met", suggestion: { count: 3 } })).toBe("Met");
    expect(stateLabel({ answer: null, suggestion: null })).toBe("Unanswered");
  });

  it("moves between requirements and stops at the ends", () => {
    const refs = ["V1.1.1", "V1.1.2", "V1.2.1"];
    expect(neighbour(refs, null, 1)).toBe("V1.1.1");
    expect(neighbour(refs, "V1.1.1", 1)).toBe("V1.1.2");
    expect(neighbour(refs, "V1.2.1", 1)).toBe("V1.2.1");
    expect(neighbour(refs, "V1.1.1", -1)).toBe("V1.1.1");
  });

  it("derives the CSF answer from the tier like the backend", () => {
    expect(answerFromTier(3, 3)).toBe("met");
    expect(answerFromTier(2, 3)).toBe("partially_met");
    expect(answerFromTier(1, 3)).toBe("not_met");
  });

  it("reads the score groups", () => {
    const rows = resultRows({ scores: { groups: [{ id: "GV", name: "Govern", met: 1, partially_met: 0, not_met: 0, unanswered: 30, percent_met: 3.2, current_tier: 2.5, target_tier: 3, gap: 0.5 }] } });
    expect(rows[0]).toMatchObject({ id: "GV", current: 2.5, target: 3, gap: 0.5, percentMet: 3.2 });
  });
});
