// Starts the real backend (`cspm serve`, embedded mode) on a free port with a temporary data
// directory, serving the built dashboard from frontend/dist. Used by the e2e run and the benchmark.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const FRONTEND = resolve(here, "..");
export const REPO = resolve(FRONTEND, "..");

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

export async function startBackend({ label = "e2e", env = {} } = {}) {
  const cspm = join(REPO, ".venv/bin/cspm");
  if (!existsSync(cspm)) throw new Error(`${cspm} is missing: run scripts/bootstrap.sh first`);
  if (!existsSync(join(FRONTEND, "dist/index.html"))) throw new Error("frontend/dist is missing: run npm run build first");
  const port = Number(process.env.CSPM_E2E_PORT) || (await freePort());
  const dataDir = mkdtempSync(join(tmpdir(), `cspm-${label}-`));
  const logs = [];
  // Jobs run on the Celery worker that `cspm serve` starts when Redis answers; a Redis database
  // of its own keeps other platforms on the same Redis from taking its tasks.
  const redisDb = process.env.CSPM_E2E_REDIS_DB ?? (label === "bench" ? "15" : "14");
  const child = spawn(cspm, ["serve", "--port", String(port)], {
    cwd: REPO,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      // The platform's default store, as `bash scripts/run.sh` runs it.
      EMBEDDED_ENGINE: process.env.CSPM_E2E_ENGINE ?? "secantus",
      FRONTEND_DIST: join(FRONTEND, "dist"),
      REDIS_URL: process.env.CSPM_E2E_REDIS_URL ?? `redis://127.0.0.1:6379/${redisDb}`,
      REDIS_KEY_PREFIX: `cspm-${label}-${port}:`,
      AUTH_PASSWORD_ITERATIONS: "1000",
      LOG_LEVEL: "WARNING",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const keep = (chunk) => {
    logs.push(chunk.toString());
    if (logs.length > 5000) logs.shift();
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`cspm serve exited with ${child.exitCode}:\n${logs.join("").slice(-4000)}`);
    try {
      const response = await fetch(`${url}/api/health`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`cspm serve did not answer within 90 s:\n${logs.join("").slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  async function stop() {
    if (child.exitCode === null) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        child.kill("SIGTERM");
      }
      await Promise.race([new Promise((r) => child.once("exit", r)), new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          /* gone */
        }
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
  return { url, port, dataDir, stop, logs: () => logs.join("") };
}

export const CHROMIUM_ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
];

export async function launchChromium(chromium) {
  const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  if (!existsSync(executablePath)) throw new Error(`${executablePath} not found: apt-get install chromium (or set CHROMIUM_PATH)`);
  const userDataDir = mkdtempSync(join(tmpdir(), "cspm-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1440, height: 900 },
    deviceScaleFactor: 1,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
