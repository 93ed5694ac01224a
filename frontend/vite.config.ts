/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The dev server proxies the API to a backend started with `cspm serve` (default port 8000).
const backend = process.env.CSPM_BACKEND ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      "/api": backend,
      "/health": backend,
    },
  },
  build: {
    outDir: "dist",
    sourcemap: false,
    chunkSizeWarningLimit: 600,
    rolldownOptions: {
      output: {
        // Long-lived vendor chunks (cache well across releases); pages split by lazy() imports.
        codeSplitting: {
          groups: [
            { name: "react", test: /[\\/]node_modules[\\/](react|react-dom|scheduler)[\\/]/, priority: 40 },
            { name: "router", test: /[\\/]node_modules[\\/](react-router|react-router-dom|@remix-run)[\\/]/, priority: 30 },
            { name: "tanstack", test: /[\\/]node_modules[\\/]@tanstack[\\/]/, priority: 30 },
            { name: "charts", test: /[\\/]node_modules[\\/](recharts|d3-[^\\/]+|victory-vendor|@reduxjs|react-redux|redux|immer|reselect|es-toolkit|decimal\.js-light|eventemitter3|internmap|tiny-invariant|use-sync-external-store|clsx)[\\/]/, priority: 20 },
          ],
        },
      },
    },
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    css: false,
    // Above the 15 s async-utility timeout in src/test/setup.ts, so a slow wait reports what it waited for.
    testTimeout: 30_000,
  },
});
