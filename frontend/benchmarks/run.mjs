// Frontend benchmark (not a test): production bundle size per chunk, and time to first render
// of Overview and Findings in headless Chromium with N findings in the database.
//
//   npm run build && node benchmarks/run.mjs [--findings 100000] [--batch 5000] [--seed-budget 240] [--runs 3]
//
// Findings are seeded through the real import API with generated Trivy reports
// (backend/benchmarks/report_generators.py), one scope per batch. The embedded database
// (mongoeco) slows down sharply as collections grow, so seeding stops at the seed budget and the
// page timings are reported at the N actually reached (measured here: about 1,000 findings per
// 90 s and slowing, so N = 2,000 in a 5-minute run). With a real MongoDB (MONGODB_URI=... in the
// environment; the backend then skips the embedded stand-in) the same script seeds 100,000.
// Results: artifacts/benchmarks/frontend.json.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { FRONTEND, launchChromium, REPO, startBackend } from "../e2e/server.mjs";

function arg(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
}
const TARGET = arg("findings", 100_000);
const BATCH = arg("batch", 5_000);
const SEED_BUDGET_S = arg("seed-budget", 240);
const RUNS = arg("runs", 3);
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} kB`;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

// --- 1. bundle -----------------------------------------------------------------------------
function bundleReport() {
  const dist = join(FRONTEND, "dist");
  const html = readFileSync(join(dist, "index.html"), "utf8");
  const initial = new Set([...html.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((match) => match[1]));
  const chunks = readdirSync(join(dist, "assets")).map((name) => {
    const bytes = readFileSync(join(dist, "assets", name));
    return { chunk: name, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, brotli: brotliCompressSync(bytes).length, initial: initial.has(`assets/${name}`) };
  }).sort((a, b) => b.raw - a.raw);
  const sum = (list, key) => list.reduce((total, item) => total + item[key], 0);
  const first = chunks.filter((chunk) => chunk.initial);
  console.log("\nProduction bundle (frontend/dist/assets)");
  console.log("chunk".padEnd(44) + "raw".padStart(11) + "gzip".padStart(11) + "brotli".padStart(11) + "  first load");
  for (const chunk of chunks) {
    console.log(chunk.chunk.padEnd(44) + kb(chunk.raw).padStart(11) + kb(chunk.gzip).padStart(11) + kb(chunk.brotli).padStart(11) + (chunk.initial ? "  yes" : ""));
  }
  console.log(`total ${kb(sum(chunks, "raw"))} raw, ${kb(sum(chunks, "gzip"))} gzip; first load (entry + preloads + CSS) ${kb(sum(first, "raw"))} raw, ${kb(sum(first, "gzip"))} gzip`);
  return { chunks, total: { raw: sum(chunks, "raw"), gzip: sum(chunks, "gzip") }, firstLoad: { raw: sum(first, "raw"), gzip: sum(first, "gzip") } };
}

// --- 2. seed ------------------------------------------------------------------------------
async function api(base, path, { token, team, ...init } = {}) {
  const headers = { ...(init.headers ?? {}) };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (team) headers["X-Team-ID"] = team;
  const response = await fetch(`${base}${path}`, { ...init, headers });
  if (!response.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${response.status} ${await response.text()}`);
  return response.status === 204 ? null : response.json();
}

function writeTrivyReport(path, findings, seed) {
  const code = [
    "import sys; from pathlib import Path",
    "from benchmarks.report_generators import write_trivy_report",
    "write_trivy_report(Path(sys.argv[1]), int(sys.argv[2]), seed=int(sys.argv[3]), image=f'registry.example.com/bench/app{sys.argv[3]}:1.0')",
  ].join("\n");
  execFileSync(join(REPO, ".venv/bin/python"), ["-c", code, path, String(findings), String(seed)], { cwd: join(REPO, "backend") });
}

async function seed(base, session) {
  const work = mkdtempSync(join(tmpdir(), "cspm-bench-reports-"));
  const batches = [];
  let total = 0;
  const started = Date.now();
  try {
    for (let batch = 0; total < TARGET; batch++) {
      const size = Math.min(BATCH, TARGET - total);
      const file = join(work, `trivy-${batch}.json`);
      writeTrivyReport(file, size, batch + 1);
      const form = new FormData();
      form.append("file", new Blob([readFileSync(file)]), `trivy-${batch}.json`);
      form.append("tool", "trivy");
      form.append("scope", `registry.example.com/bench/app${batch + 1}:1.0`);
      const t0 = Date.now();
      const result = await api(base, "/api/findings/import", { ...session, method: "POST", body: form });
      const seconds = (Date.now() - t0) / 1000;
      total += result.counts.new;
      batches.push({ batch, findings: result.counts.new, seconds, reportBytes: statSync(file).size });
      rmSync(file);
      console.log(`  batch ${batch + 1}: +${result.counts.new} findings in ${seconds.toFixed(1)} s (total ${total})`);
      if ((Date.now() - started) / 1000 > SEED_BUDGET_S) {
        console.log(`  seed budget of ${SEED_BUDGET_S} s reached: measuring at N = ${total}`);
        break;
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { total, batches, seconds: (Date.now() - started) / 1000 };
}

// --- 3. time to first render ----------------------------------------------------------------
async function timeToRender(context, base, tokens, path, ready) {
  const page = await context.newPage();
  await page.addInitScript(([session, team]) => {
    localStorage.setItem("cspm.session", session);
    localStorage.setItem("cspm.team", team);
  }, tokens);
  const client = await context.newCDPSession(page);
  await client.send("Network.clearBrowserCache");
  await page.goto(`${base}${path}`, { waitUntil: "commit" });
  await page.waitForSelector(ready, { timeout: 120_000 });
  const timing = await page.evaluate(() => {
    const paint = performance.getEntriesByName("first-contentful-paint")[0];
    const api = performance.getEntriesByType("resource").filter((entry) => entry.name.includes("/api/findings"));
    return {
      ready: performance.now(),
      fcp: paint ? paint.startTime : null,
      slowestApi: api.length ? Math.max(...api.map((entry) => entry.duration)) : null,
    };
  });
  await page.close();
  return timing;
}

const bundle = bundleReport();
console.log(`\nSeeding up to ${TARGET} findings (batches of ${BATCH}, budget ${SEED_BUDGET_S} s) into a fresh embedded backend…`);
const backend = await startBackend({ label: "bench", env: { EMBEDDED_ENGINE: process.env.CSPM_BENCH_ENGINE ?? "memory", LOG_LEVEL: "ERROR" } });
let browser;
const result = { bundle, seed: null, pages: {} };
try {
  const base = backend.url;
  const email = "perf-owner@example.com";
  const password = "a long seeding passphrase for timing";
  await api(base, "/api/auth/register", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email, password }) });
  const login = await api(base, "/api/auth/login", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email, password }) });
  const token = login.tokens.access_token;
  const team = (await api(base, "/api/teams", { token, method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name: "Benchmark" }) })).id;
  result.seed = await seed(base, { token, team });
  const counts = await api(base, "/api/findings/counts?status=open", { token, team });
  console.log(`\n${counts.total} open findings in the database after ${result.seed.seconds.toFixed(0)} s of seeding`);

  const session = JSON.stringify({ accessToken: token, refreshToken: login.tokens.refresh_token, accessExpiresAt: Date.now() + login.tokens.expires_in * 1000, sessionId: login.tokens.session_id });
  browser = await launchChromium(chromium);
  const targets = {
    overview: { path: "/overview", ready: ".score-ring[aria-label^='Posture score'] >> visible=true" },
    findings: { path: "/findings", ready: ".data-table tbody tr[data-index] >> visible=true" },
  };
  for (const [name, { path, ready }] of Object.entries(targets)) {
    const runs = [];
    for (let run = 0; run < RUNS; run++) runs.push(await timeToRender(browser.context, base, [session, team], path, ready));
    result.pages[name] = {
      findings: counts.total,
      readyMs: Math.round(median(runs.map((r) => r.ready))),
      fcpMs: Math.round(median(runs.map((r) => r.fcp ?? 0))),
      slowestFindingsApiMs: Math.round(median(runs.map((r) => r.slowestApi ?? 0))),
      runs,
    };
  }
  console.log(`\nTime to first render in headless Chromium (median of ${RUNS}, cold cache, N = ${counts.total})`);
  console.log("page".padEnd(12) + "first paint".padStart(14) + "data rendered".padStart(16) + "slowest /api/findings*".padStart(26));
  for (const [name, page] of Object.entries(result.pages)) {
    console.log(name.padEnd(12) + `${page.fcpMs} ms`.padStart(14) + `${page.readyMs} ms`.padStart(16) + `${page.slowestFindingsApiMs} ms`.padStart(26));
  }
} finally {
  await browser?.close().catch(() => {});
  await backend.stop();
}
const out = join(REPO, "artifacts/benchmarks");
mkdirSync(out, { recursive: true });
writeFileSync(join(out, "frontend.json"), JSON.stringify({ at: new Date().toISOString(), target: TARGET, ...result }, null, 2));
console.log(`\nwritten: ${join(out, "frontend.json")}`);
