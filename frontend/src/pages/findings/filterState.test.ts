import { describe, expect, it } from "vitest";
import {
  activeFilterCount, DEFAULT_VIEW, deleteSavedFilter, loadSavedFilters, paramsFromView, saveFilter, viewFromParams, type FindingView,
} from "./filterState";

describe("findings view in the URL", () => {
  it("defaults to active findings by priority", () => {
    expect(viewFromParams(new URLSearchParams())).toEqual(DEFAULT_VIEW);
  });

  it("round-trips filters, sort and order", () => {
    const view: FindingView = {
      filters: { severity: ["critical", "high"], status: ["open"], tool: ["trivy"], q: "CVE-2021", overdue: true, result: "any" },
      sort: "last_seen",
      order: "asc",
    };
    const params = paramsFromView(view);
    expect(params.getAll("severity")).toEqual(["critical", "high"]);
    expect(viewFromParams(params)).toEqual(view);
  });

  it("round-trips the KEV and EPSS filters and drops an EPSS floor outside 0-1", () => {
    const view: FindingView = { filters: { status: ["open"], kev: true, epss_min: 0.5 }, sort: "priority", order: "desc" };
    const params = paramsFromView(view);
    expect(params.get("kev")).toBe("true");
    expect(viewFromParams(params)).toEqual(view);
    expect(activeFilterCount(view.filters)).toBe(3);
    expect(viewFromParams(new URLSearchParams("epss_min=7&all=1")).filters.epss_min).toBeUndefined();
  });

  it("keeps 'every status' distinct from the default and keeps the open finding", () => {
    const params = paramsFromView({ filters: {}, sort: "severity", order: "desc" }, new URLSearchParams("finding=abc"));
    expect(params.get("all")).toBe("1");
    expect(params.get("finding")).toBe("abc");
    expect(viewFromParams(params).filters.status).toBeUndefined();
  });

  it("ignores unknown sort fields", () => {
    expect(viewFromParams(new URLSearchParams("sort=password&all=1")).sort).toBe("priority");
  });

  it("counts active filters", () => {
    expect(activeFilterCount({})).toBe(0);
    expect(activeFilterCount({ severity: ["low"], q: "x", overdue: true, result: "fail" })).toBe(3);
  });
});

describe("saved filters", () => {
  it("saves, replaces by name, sorts and deletes", () => {
    saveFilter("Zeta", DEFAULT_VIEW);
    saveFilter("Alpha", { ...DEFAULT_VIEW, sort: "title" });
    saveFilter("Zeta", { ...DEFAULT_VIEW, order: "asc" });
    const saved = loadSavedFilters();
    expect(saved.map((item) => item.name)).toEqual(["Alpha", "Zeta"]);
    expect(saved[1].view.order).toBe("asc");
    expect(deleteSavedFilter("Alpha").map((item) => item.name)).toEqual(["Zeta"]);
  });

  it("refuses an empty name and survives corrupt storage", () => {
    expect(() => saveFilter("  ", DEFAULT_VIEW)).toThrow(/needs a name/);
    localStorage.setItem("cspm.findings.savedFilters", "{not json");
    expect(loadSavedFilters()).toEqual([]);
  });
});
