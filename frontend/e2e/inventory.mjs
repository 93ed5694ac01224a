// Assets and registries in the browser, with real data and no Docker:
// - cloud resources: a moto server stands in for AWS (from .venv); an AWS account with its endpoint URL
//   is added in the dashboard, discovered with "Discover now", changed with boto3 and discovered again,
//   so the second run is a diff; the Assets page lists the resources, the discovery runs show the
//   counts, and an asset's drawer its timeline;
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

// What the moto account holds, and the change between the two discoveries (boto3, as a user would).
const MOTO_RESOURCES = `
import sys, boto3
aws = dict(endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
           aws_secret_access_key="wJalrXUtnFEMIK7MDENGbPxRfiCYzEXAMPLEKEY1")
ec2, s3 = boto3.client("ec2", **aws), boto3.client("s3", **aws)
if sys.argv[2] == "create":
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    ec2.create_security_group(GroupName="e2e-web", Description="web servers", VpcId=vpc)
    for bucket in ("e2e-logs", "e2e-data"):
        s3.create_bucket(Bucket=bucket)
else:
    web = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["e2e-web"]}])["SecurityGroups"][0]
    ec2.authorize_security_group_ingress(GroupId=web["GroupId"], IpProtocol="tcp", FromPort=22, ToPort=22,
                                         CidrIp="0.0.0.0/0")
    s3.delete_bucket(Bucket="e2e-data")
`;

async function startMoto(repo) {
  const port = await freePort();
  const child = spawn(join(repo, ".venv/bin/moto_server"), ["-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
  const endpoint = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`moto_server exited (${child.exitCode}) before answering on port ${port}`);
    try {
      if ((await fetch(`${endpoint}/moto-api/data.json`)).ok) return { child, endpoint };
    } catch { /* not listening yet */ }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill();
  throw new Error(`moto_server did not answer on port ${port} (scripts/bootstrap.sh installs it)`);
}

function motoResources(repo, endpoint, action) {
  const result = spawnSync(join(repo, ".venv/bin/python"), ["-c", MOTO_RESOURCES, endpoint, action], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`boto3 against moto (${action}) failed: ${result.stderr}`);
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

  const moto = await startMoto(repo);
  try {
    await step("assets: a moto AWS account added with its endpoint, discovered twice: the diff and an asset's timeline", async () => {
      motoResources(repo, moto.endpoint, "create");
      await page.getByRole("link", { name: "Scans", exact: true }).click();
      await page.getByRole("tab", { name: /Cloud accounts/ }).click();
      await page.getByRole("button", { name: "Add cloud account" }).first().click();
      const dialog = page.getByRole("dialog", { name: "Add a cloud account" });
      await dialog.getByLabel("Name").fill("Moto AWS");
      await dialog.getByLabel("AWS account ID").fill("123456789012");
      await dialog.getByText("Access keys", { exact: true }).click();
      await dialog.getByLabel("Access key ID").fill("AKIAIOSFODNN7EXAMPLE");
      await dialog.getByLabel("Secret access key").fill("wJalrXUtnFEMIK7MDENGbPxRfiCYzEXAMPLEKEY1");
      await dialog.getByLabel(/Regions/).fill("us-east-1");
      await dialog.getByLabel(/Endpoint URL/).fill(moto.endpoint);
      await dialog.getByRole("button", { name: "Add account" }).click();
      await dialog.waitFor({ state: "detached" });
      const row = page.getByRole("row", { name: /Moto AWS/ });
      await row.getByText(`endpoint ${moto.endpoint}`).waitFor();
      await row.getByRole("button", { name: "Test connection of Moto AWS" }).click();
      await row.getByTestId("connection-result").getByText(/authenticated as arn:aws:sts::123456789012/).waitFor({ timeout: 60_000 });

      const account = (await apiAs(base, "/api/cloud-accounts")).find((item) => item.name === "Moto AWS");
      await page.getByRole("link", { name: "Assets & SBOM", exact: true }).click();
      await page.getByRole("tab", { name: "Cloud resources" }).click();
      const runs = page.getByTestId("discovery-runs");
      const discover = async (expected) => {
        await page.getByLabel("Cloud account", { exact: true }).selectOption(account.id);
        await page.getByRole("button", { name: "Discover now" }).click();
        await runs.getByRole("row").nth(expected).getByText("Moto AWS").waitFor({ timeout: 60_000 });
        await runs.getByRole("row").nth(1).getByText(/^(succeeded|partial|failed)$/).waitFor({ timeout: 120_000 });
        return (await runs.getByRole("row").nth(1).innerText()).replace(/\s+/g, " ");
      };
      const first = await discover(1);
      check(first.includes("succeeded"), `the first discovery succeeded (got "${first}")`);
      await page.getByTestId("cloud-assets").getByText("e2e-data", { exact: true }).waitFor();
      motoResources(repo, moto.endpoint, "change");
      const second = await discover(2);
      check(/succeeded 0 1 1 \d+/.test(second), `the second discovery: 0 added, 1 changed (the group), 1 removed (the bucket) (got "${second}")`);
      const group = page.getByTestId("cloud-assets").getByRole("row", { name: /e2e-web/ });
      check((await group.innerText()).includes("Moto AWS"), "a resource shows its account's name");
      await shot("inventory-1-cloud-resources");
      await shot("inventory-1b-discovery-runs", runs);
      await page.getByRole("button", { name: "e2e-web", exact: true }).click();
      const detail = page.getByTestId("asset-detail");
      await detail.getByText("attributes.ingress", { exact: false }).waitFor();
      await detail.getByText("tcp:22-22:0.0.0.0/0", { exact: false }).first().waitFor();
      await shot("inventory-2-asset-timeline", page.getByRole("dialog"));
      await page.getByRole("button", { name: "Close details" }).click();
    });
  } finally {
    moto.child.kill();
  }

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
