import { describe, expect, it } from "vitest";
import { ALL_PLATFORM_MODULES, MODULE_TOGGLES, navigableModules, pagesOfToggle, visibleModules } from "./registry";

describe("ALL_PLATFORM_MODULES", () => {
  it("has unique ids and paths", () => {
    const ids = ALL_PLATFORM_MODULES.map((module) => module.id);
    const paths = ALL_PLATFORM_MODULES.map((module) => module.path);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(paths).size).toBe(paths.length);
  });

  it("shows a viewer only what their permissions allow", () => {
    const viewer = visibleModules(["findings:read", "teams:read"], false).map((module) => module.id);
    expect(viewer).toEqual(["overview", "findings", "admin", "account"]);
    expect(visibleModules([], false).map((module) => module.id)).toEqual(["account"]);
  });

  it("maps every backend module switch to pages, and only those", () => {
    for (const toggle of MODULE_TOGGLES) expect(pagesOfToggle(toggle).length, toggle).toBeGreaterThan(0);
    expect(pagesOfToggle("findings")).toEqual(["Overview", "Findings"]);
    expect(pagesOfToggle("scans")).toEqual(["Scans"]);
    const always = ALL_PLATFORM_MODULES.filter((module) => !module.toggle).map((module) => module.id);
    expect(always).toEqual(["admin", "account"]);
  });

  it("hides switched-off modules from navigation", () => {
    const all = visibleModules(["findings:read", "assets:read", "scans:read", "teams:read"], false);
    expect(navigableModules(all, new Set(["assets"])).map((module) => module.id)).toEqual(["overview", "findings", "scans", "admin", "account"]);
    expect(navigableModules(all, new Set(["findings", "scans"])).map((module) => module.id)).toEqual(["assets", "admin", "account"]);
    expect(navigableModules(all, new Set())).toEqual(all);
  });

  it("each module's page chunk loads and exports a component", async () => {
    for (const module of ALL_PLATFORM_MODULES) {
      const loaded = (await module.preload()) as { default: unknown };
      expect(typeof loaded.default, module.id).toBe("function");
    }
  });
});
