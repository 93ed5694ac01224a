import { describe, expect, it } from "vitest";
import { fillTrend, trendDelta, utcToday } from "./trend";

const point = (day: string, by: Record<string, number>) => ({ day, total: Object.values(by).reduce((a, b) => a + b, 0), by_severity: by });

describe("fillTrend", () => {
  it("forward-fills the days without a point up to today", () => {
    const series = fillTrend([point("2026-03-01", { high: 2 }), point("2026-03-04", { high: 1, low: 3 })], { days: 30, today: "2026-03-06" });
    expect(series.map((day) => [day.day, day.total, day.filled])).toEqual([
      ["2026-03-01", 2, false],
      ["2026-03-02", 2, true],
      ["2026-03-03", 2, true],
      ["2026-03-04", 4, false],
      ["2026-03-05", 4, true],
      ["2026-03-06", 4, true],
    ]);
    expect(series[5]).toMatchObject({ critical: 0, high: 1, medium: 0, low: 3, info: 0 });
  });

  it("starts at the first point, never inventing zeros before it", () => {
    const series = fillTrend([point("2026-03-05", { critical: 1 })], { days: 30, today: "2026-03-05" });
    expect(series).toHaveLength(1);
    expect(series[0]).toMatchObject({ day: "2026-03-05", total: 1, critical: 1, filled: false });
  });

  it("keeps to the window and orders unsorted input", () => {
    const series = fillTrend([point("2026-03-10", { low: 5 }), point("2026-02-01", { low: 9 })], { days: 3, today: "2026-03-10" });
    expect(series.map((day) => [day.day, day.low])).toEqual([["2026-03-08", 9], ["2026-03-09", 9], ["2026-03-10", 5]]);
  });

  it("crosses month ends and includes a point dated after the browser's today", () => {
    const series = fillTrend([point("2026-02-27", { info: 1 }), point("2026-03-02", { info: 2 })], { days: 30, today: "2026-03-01" });
    expect(series.map((day) => day.day)).toEqual(["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"]);
  });

  it("is empty without points and ignores malformed days", () => {
    expect(fillTrend([], { days: 30, today: "2026-03-01" })).toEqual([]);
    expect(fillTrend([point("yesterday", { low: 1 })], { days: 30, today: "2026-03-01" })).toEqual([]);
  });
});

describe("trendDelta and utcToday", () => {
  it("reports the change over the series", () => {
    const series = fillTrend([point("2026-03-01", { high: 10 }), point("2026-03-03", { high: 4 })], { days: 30, today: "2026-03-03" });
    expect(trendDelta(series)).toBe(-6);
    expect(trendDelta(series.slice(0, 1))).toBe(0);
  });

  it("uses the UTC date", () => {
    expect(utcToday(new Date("2026-03-01T23:30:00-05:00"))).toBe("2026-03-02");
  });
});
