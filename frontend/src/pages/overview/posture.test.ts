import { describe, expect, it } from "vitest";
import { scoreTone } from "./posture";

describe("scoreTone", () => {
  it("maps scores to tones", () => {
    expect([scoreTone(null), scoreTone(90), scoreTone(60), scoreTone(10)]).toEqual(["neutral", "good", "warn", "bad"]);
  });
});
