import { describe, expect, it } from "vitest";
import { findingsSummary, formatDuration } from "./runSummary";

describe("run summary", () => {
  it("says what a rescan found: unchanged, not '0 new · 0 resolved'", () => {
    expect(findingsSummary({ new: 0, updated: 0, reopened: 0, resolved: 0, unchanged: 1 })).toBe("1 unchanged");
    expect(findingsSummary({ new: 13, resolved: 2, unchanged: 0 })).toBe("13 new · 2 resolved");
    expect(findingsSummary({ new: 0, resolved: 0, unchanged: 0 })).toBe("no findings");
    expect(findingsSummary({ components: 40 })).toBe("40 components");
    expect(findingsSummary({})).toBe("—");
  });

  it("formats durations, finished or running", () => {
    expect(formatDuration("2026-12-01T10:00:00Z", "2026-12-01T10:00:42Z")).toBe("42 s");
    expect(formatDuration("2026-12-01T10:00:00Z", "2026-12-01T10:03:05Z")).toBe("3 min 5 s");
    expect(formatDuration("2026-12-01T10:00:00Z", null, Date.parse("2026-12-01T10:00:10Z"))).toBe("10 s so far");
    expect(formatDuration(null, null)).toBe("—");
  });
});
