import { describe, expect, it } from "vitest";
import { exportFileName, exportPath } from "./exportPath";

describe("exportPath", () => {
  it("carries every filter of the list, lists as repeated parameters", () => {
    const path = exportPath({ severity: ["critical", "high"], status: ["open"], service: "s3", account: "123456789012", q: "" }, "csv");
    const url = new URL(path, "http://localhost");
    expect(url.pathname).toBe("/api/exports/findings");
    expect(url.searchParams.getAll("severity")).toEqual(["critical", "high"]);
    expect(url.searchParams.get("service")).toBe("s3");
    expect(url.searchParams.get("account")).toBe("123456789012");
    expect(url.searchParams.has("q")).toBe(false);
    expect(url.searchParams.get("format")).toBe("csv");
  });

  it("escapes values and names files by format", () => {
    const url = new URL(exportPath({ resource: "arn:aws:s3:::a&b" }, "sarif"), "http://localhost");
    expect(url.searchParams.get("resource")).toBe("arn:aws:s3:::a&b");
    expect(exportFileName("ocsf", new Date("2026-12-02T10:00:00Z"))).toBe("findings-2026-12-02.ocsf.json");
  });
});
