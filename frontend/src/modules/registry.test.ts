import { describe, expect, it } from "vitest";
import { ALL_PLATFORM_MODULES, visibleModules } from "./registry";

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

  it("each module's page chunk loads and exports a component", async () => {
    for (const module of ALL_PLATFORM_MODULES) {
      const loaded = (await module.preload()) as { default: unknown };
      expect(typeof loaded.default, module.id).toBe("function");
    }
  });
});
