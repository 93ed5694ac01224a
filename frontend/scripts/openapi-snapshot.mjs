// Keeps frontend/openapi.json (and the generated src/api/schema.d.ts) in step with the backend.
//   --write  dump the backend's current spec into openapi.json
//   --check  compare with what the backend produces now. schema.d.ts must be generated from
//            openapi.json. When the backend's spec has moved on, the frontend is type-checked
//            against the current spec: it fails only if the typed client no longer fits the
//            backend (a breaking change), and warns otherwise (refresh with npm run api:snapshot).
//            --check --strict fails on any difference.
// The spec comes from the app factory itself (no server needed): cspm.main.create_app().openapi().
// Set OPENAPI_URL=http://127.0.0.1:8790/api/openapi.json to read it from a running server instead.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const frontend = resolve(here, "..");
const repo = resolve(frontend, "..");
const snapshotPath = join(frontend, "openapi.json");
const schemaPath = join(frontend, "src/api/schema.d.ts");

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys(value[key])]));
  }
  return value;
}

async function currentSpec() {
  if (process.env.OPENAPI_URL) {
    const response = await fetch(process.env.OPENAPI_URL);
    if (!response.ok) throw new Error(`${process.env.OPENAPI_URL} answered ${response.status}`);
    return response.json();
  }
  const python = process.env.CSPM_PYTHON ?? join(repo, ".venv/bin/python");
  if (!existsSync(python)) throw new Error(`no backend interpreter at ${python}; run scripts/bootstrap.sh first`);
  const code = "import json; from cspm.main import create_app; print(json.dumps(create_app().openapi()))";
  const out = execFileSync(python, ["-c", code], {
    cwd: join(repo, "backend"),
    env: { ...process.env, LOG_LEVEL: "ERROR" },
    maxBuffer: 64 * 1024 * 1024,
    stdio: ["ignore", "pipe", "pipe"],
  });
  // Start-up logging may precede the JSON on stdout: the spec is the last line.
  const lines = out.toString().trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

function render(spec) {
  return JSON.stringify(sortKeys(spec), null, 2) + "\n";
}

function generateTypes(specFile, outFile) {
  const bin = join(frontend, "node_modules/.bin/openapi-typescript");
  execFileSync(bin, [specFile, "-o", outFile], { stdio: ["ignore", "ignore", "inherit"] });
  return readFileSync(outFile, "utf8");
}

function pathsOf(spec) {
  return new Set(Object.entries(spec.paths ?? {}).flatMap(([path, ops]) =>
    Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`)));
}

const mode = process.argv[2];
const spec = await currentSpec();
const rendered = render(spec);

if (mode === "--write") {
  writeFileSync(snapshotPath, rendered);
  console.log(`openapi.json: ${pathsOf(spec).size} operations written`);
} else if (mode === "--check") {
  const strict = process.argv.includes("--strict");
  const tmp = mkdtempSync(join(tmpdir(), "openapi-"));
  const snapshot = existsSync(snapshotPath) ? readFileSync(snapshotPath, "utf8") : "";
  const committedTypes = existsSync(schemaPath) ? readFileSync(schemaPath, "utf8") : "";
  if (!snapshot || generateTypes(snapshotPath, join(tmp, "snapshot.d.ts")) !== committedTypes) {
    console.error("src/api/schema.d.ts was not generated from openapi.json\nfix: cd frontend && npm run api:generate");
    process.exit(1);
  }
  if (snapshot === rendered) {
    console.log("openapi.json and schema.d.ts match the backend");
    process.exit(0);
  }
  const before = pathsOf(JSON.parse(snapshot));
  const after = pathsOf(spec);
  const added = [...after].filter((op) => !before.has(op));
  const removed = [...before].filter((op) => !after.has(op));
  console.error("frontend/openapi.json differs from the backend's current spec" +
    (added.length ? `\n  new operations: ${added.join(", ")}` : "") +
    (removed.length ? `\n  removed operations: ${removed.join(", ")}` : "") +
    (!added.length && !removed.length ? "\n  (same operations; schemas or descriptions changed)" : ""));
  if (strict) {
    console.error("fix: cd frontend && npm run api:snapshot  (then fix any type errors and commit both files)");
    process.exit(1);
  }
  // Does the frontend still fit the backend as it is now? Type-check against the current spec.
  const currentSpec = join(tmp, "openapi.json");
  writeFileSync(currentSpec, rendered);
  const currentTypes = generateTypes(currentSpec, join(tmp, "current.d.ts"));
  const backup = join(tmp, "schema.d.ts.orig");
  copyFileSync(schemaPath, backup);
  let typecheck;
  try {
    writeFileSync(schemaPath, currentTypes);
    typecheck = spawnSync(join(frontend, "node_modules/.bin/tsc"), ["-p", "tsconfig.json", "--noEmit"], { cwd: frontend, encoding: "utf8" });
  } finally {
    copyFileSync(backup, schemaPath);
  }
  if (typecheck.status !== 0) {
    console.error(`the frontend no longer type-checks against the backend's current API:\n${typecheck.stdout}${typecheck.stderr}`);
    console.error("fix: cd frontend && npm run api:snapshot, then fix the type errors and commit");
    process.exit(1);
  }
  console.error("warning: the frontend still type-checks against the current spec (no breaking change); " +
    "refresh the snapshot with npm run api:snapshot");
} else {
  console.error("usage: node scripts/openapi-snapshot.mjs --write|--check");
  process.exit(2);
}
