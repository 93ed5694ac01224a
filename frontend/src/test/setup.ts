import "@testing-library/jest-dom/vitest";
import { afterEach } from "vitest";
import { cleanup, configure } from "@testing-library/react";

// One place for the UI tests' patience: `findBy*` and `waitFor` wait for what they look for (a lazy
// route's chunk, a query's answer) instead of testing-library's default 1 s, which a loaded CI
// machine missed. A test that fails still fails, only later; nothing here depends on speed.
configure({ asyncUtilTimeout: 15_000 });

afterEach(() => {
  cleanup();
  localStorage.clear();
});
