// Assets and registries in the browser, with real data and no Docker:
// - cloud resources: a Steampipe query's JSON output (the shape `steampipe query --output json` writes)
//   imported twice into a cloud account through the API, so the second run is a diff; the Assets page
//   lists the resources, the discovery runs show the counts, and an asset's drawer its timeline;
// - registries: Debian's docker-registry (CNCF distribution 2.8) on 127.0.0.1 with a throw-away
//   config, an OCI image built from files (backend/tests/registries/oci_layout.py) pushed with skopeo;
//   the registry is added and synced through the dashboard, and the new digest's scan appears (syft
//   reads the image; Trivy fails offline without its vulnerability database, and says so).
// Every wait is for what the page shows, never for a time.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./server.mjs";

// A free port per run (a fixed one let two runs on one machine talk to each other's registry).
let REGISTRY_PORT = Number(process.env.CSPM_E2E_REGISTRY_PORT ?? 0);

function bucketRows(names, versioning) {
  return JSON.stringify({ rows: names.map((name) => ({ arn: `arn:aws:s3:::${name}`, name, region: "eu-west-1", versioning_enabled: versioning, tags: { owner: "platform" } })) });
}

async function startRegistry(workDir) {
  REGISTRY_PORT ||= await freePort();
  const config = join(workDir, "config.yml");
  writeFileSync(config, `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${join(workDir, "data")}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${REGISTRY_PORT}\n`);
  const child = spawn("docker-registry", ["serve", config], { stdio: "ignore" });
  for (let attempt = 0; attempt < 100; attempt += 1) {
    // One that exited could not listen: the port answering would then be someone else's.
    if (child.exitCode !== null) throw new Error(`docker-registry exited (${child.exitCode}) before answering on port ${REGISTRY_PORT}`);
    try {
      if ((await fetch(`http://127.0.0.1:${REGISTRY_PORT}/v2/`)).ok) return child;
    } catch { /* not listening yet */ }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill();
  throw new Error(`docker-registry did not answer on port ${REGISTRY_PORT} (apt-get install docker-registry)`);
}

function pushImage(repo, workDir, repository, tag) {
  const layout = join(workDir, `layout-${tag}`);
  const build = spawnSync(join(repo, ".venv/bin/python"), ["-c", [
    "import sys; from pathlib import Path",
    "from tests.registries.oci_layout import build_layout",
    "from tests.registries.conftest import app_files",
    `print(build_layout(Path(sys.argv[1]), app_files("2.19.0"), "${tag}"))`].join("\n"), layout],
    { cwd: join(repo, "backend"), env: { ...process.env, PYTHONPATH: join(repo, "backend") }, encoding: "utf8" });
  if (build.status !== 0) throw new Error(`building the OCI layout failed: ${build.stderr}`);
  const copy = spawnSync("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", "--preserve-digests", `oci:${layout}:${tag}`,
    `docker://127.0.0.1:${REGISTRY_PORT}/${repository}:${tag}`], { encoding: "utf8" });
  if (copy.status !== 0) throw new Error(`skopeo copy failed (apt-get install skopeo): ${copy.stderr}`);
  return build.stdout.trim();
}

export async function inventorySteps({ page, step, shot, check, apiAs, base, repo }) {
  const workDir = mkdtempSync(join(tmpdir(), "cspm-e2e-registry-"));

  await step("assets: cloud resources from two imports, with the diff and an asset's timeline", async () => {
    const account = (await apiAs(base, "/api/cloud-accounts")).find((item) => item.provider === "aws");
    check(!!account, "the cloud account added earlier exists");
    for (const [names, versioning] of [[["e2e-logs", "e2e-data"], false], [["e2e-logs"], true]]) {
      const form = new FormData();
      form.append("resource_type", "aws:s3:bucket");
      form.append("file", new Blob([bucketRows(names, versioning)], { type: "application/json" }), "buckets.json");
      await apiAs(base, `/api/inventory/accounts/${account.id}/import`, { method: "POST", body: form });
    }
    await page.getByRole("link", { name: "Assets & SBOM", exact: true }).click();
    await page.getByRole("tab", { name: "Cloud resources" }).click();
    await page.getByTestId("cloud-assets").getByText("e2e-logs", { exact: true }).waitFor();
    const runs = page.getByTestId("discovery-runs");
    await runs.getByRole("row").nth(1).getByText("succeeded").waitFor();
    const latest = await runs.getByRole("row").nth(1).innerText();
    check(/\b0\s+1\s+1\s+1\b/.test(latest.replace(/\s+/g, " ")), `the second import: 0 added, 1 changed, 1 removed of 1 (got "${latest}")`);
    await shot("inventory-1-cloud-resources");
    await page.getByRole("button", { name: "e2e-logs", exact: true }).click();
    const detail = page.getByTestId("asset-detail");
    await detail.getByText("attributes.versioning_enabled", { exact: false }).waitFor();
    await shot("inventory-2-asset-timeline", page.getByRole("dialog"));
    await page.getByRole("button", { name: "Close details" }).click();
  });

  const registry = await startRegistry(workDir);
  try {
    await step("registries: add a local registry, sync it, see its digest and the scan", async () => {
      const digest = pushImage(repo, workDir, "team/app", "v1");
      await page.getByRole("link", { name: "Registries", exact: true }).click();
      await page.getByRole("heading", { name: "Registries", exact: true }).waitFor();
      await page.getByRole("button", { name: "Add registry" }).click();
      const dialog = page.getByRole("dialog");
      await dialog.getByLabel("Name", { exact: true }).fill("Local registry");
      await dialog.getByLabel("URL", { exact: true }).fill(`http://127.0.0.1:${REGISTRY_PORT}`);
      await dialog.getByRole("button", { name: "Add registry" }).click();
      await page.getByTestId("registries").getByText("Local registry").waitFor();
      await page.getByRole("button", { name: "Sync now" }).click();
      const images = page.getByTestId("registry-images");
      // The digest's own cell (a failed scan's reason names the digest too).
      await images.getByRole("cell", { name: new RegExp(`^${digest.slice(0, 19)}`) }).waitFor({ timeout: 120_000 });
      // The scan of the new digest finishes: syft's SBOM is stored, Trivy fails offline (no vulnerability DB).
      await images.getByText(/^(failed|succeeded)$/).waitFor({ timeout: 180_000 });
      await page.getByTestId("registry-repositories").getByText("team/app").waitFor();
      await shot("inventory-3-registries");
      const sbom = await apiAs(base, `/api/assets/components?asset=${encodeURIComponent(`127.0.0.1:${REGISTRY_PORT}/team/app@${digest}`)}&q=requests`);
      check(sbom.items.some((item) => item.name === "requests"), "syft's SBOM of the pushed image is in the inventory");
    });
  } finally {
    registry.kill();
  }
}
