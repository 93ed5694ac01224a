import { describe, expect, it } from "vitest";
import { cronProblem, CRON_PRESETS, describeCron, timeZones } from "./schedule";

describe("cronProblem", () => {
  it("accepts five-field expressions the backend accepts", () => {
    for (const cron of ["0 3 * * *", "*/15 * * * *", "0 6 * * 1-5", "30 2 1,15 * *", "0 0 * * 7", "0 3 * * MON", "0 3 ? * *", "0 3 L * *"]) {
      expect(cronProblem(cron), cron).toBeNull();
    }
    for (const preset of CRON_PRESETS) expect(cronProblem(preset.cron), preset.label).toBeNull();
  });

  it("names what is wrong", () => {
    expect(cronProblem("")).toMatch(/Enter a cron expression/);
    expect(cronProblem("0 3 * *")).toMatch(/five fields.*has 4/);
    expect(cronProblem("0 3 * * * *")).toMatch(/has 6/);
    expect(cronProblem("0 24 * * *")).toMatch(/hour field allows 0–23/);
    expect(cronProblem("61 * * * *")).toMatch(/minute field allows 0–59/);
    expect(cronProblem("0 3 0 * *")).toMatch(/day of month field allows 1–31/);
    expect(cronProblem("*/0 * * * *")).toMatch(/step must be at least 1/);
    expect(cronProblem("0 3 1-/2 * *")).toMatch(/not valid/);
  });
});

describe("describeCron", () => {
  it("reads the common shapes in words", () => {
    expect(describeCron("0 3 * * *")).toBe("Every day at 03:00");
    expect(describeCron("15 * * * *")).toBe("Every hour at minute 15");
    expect(describeCron("0 6 * * 1-5")).toBe("Weekdays at 06:00");
    expect(describeCron("30 2 * * 0")).toBe("Every Sunday at 02:30");
    expect(describeCron("0 3 1 * *")).toBe("On day 1 of every month at 03:00");
  });

  it("leaves the rest as cron", () => {
    expect(describeCron("*/5 * * * *")).toBeNull();
    expect(describeCron("0 3 * 6 *")).toBeNull();
    expect(describeCron("nonsense")).toBeNull();
  });
});

describe("timeZones", () => {
  it("lists UTC first and keeps the current zone", () => {
    const zones = timeZones("Antarctica/Troll");
    expect(zones[0]).toBe("UTC");
    expect(zones).toContain("Antarctica/Troll");
    expect(new Set(zones).size).toBe(zones.length);
  });
});
