// End-to-end: the real backend in embedded mode (Trivy offline), the production build, Debian's Chromium.
// register first admin → enable MFA (TOTP computed from the secret the UI shows) → sign out →
// sign in with TOTP → import a real scanner report → add a directory and a localhost network
// target → scan both and watch them succeed → real Trivy and Nmap findings listed → schedule a
// target → add a cloud account, see its connection test fail with the reason, make it a target →
// switch the Assets module off (sidebar hides it, its page and API refuse) and on again → mapped
// controls in the finding drawer → triage a finding as false positive → see the compliance counts
// change → the findings trend on Overview → an ASVS L2 assessment of a web target: three answers,
// evidence, progress, an SCF control's state → a risk from a finding treated with an SCF control moves
// the residual heat map; a KRI, proposals, a BIA process, its dependencies and a missed-RTO exercise
// (risks.mjs) → sign in with a recovery code → sign out.
// Screenshots of every main page go to artifacts/screenshots/.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import * as OTPAuth from "otpauth";
import { launchChromium, REPO, startBackend } from "./server.mjs";
import { threatIntelSteps } from "./threat-intel.mjs";
import { aiGovernanceSteps } from "./aiGovernance.mjs";
import { integrationsSteps } from "./integrations.mjs";
import { aiSocSteps } from "./aiSoc.mjs";
import { riskSteps } from "./risks.mjs";
import { inventorySteps } from "./inventory.mjs";
import { exportsSteps } from "./exports.mjs";

const SHOTS = join(REPO, "artifacts/screenshots");
const SCANS = process.env.CSPM_SCANS_DIR ?? join(REPO, "../shared/scans");
const EMAIL = "ada@example.com";
const PASSWORD = "correct horse battery staple 42";
const TIMEOUT = 30_000;

mkdirSync(SHOTS, { recursive: true });
const steps = [];
let page;

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

async function step(name, fn) {
  const started = Date.now();
  process.stdout.write(`• ${name} … `);
  await fn();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  steps.push({ name, seconds });
  console.log(`ok (${seconds}s)`);
}

async function shot(name, scrollTo) {
  await page.waitForLoadState("networkidle").catch(() => {});
  if (scrollTo) {
    // Below the sticky top bar when the page scrolls; the drawer scrolls its own body.
    await scrollTo.evaluate((element) => {
      element.scrollIntoView({ block: "start" });
      if (!element.closest(".drawer")) globalThis.scrollBy(0, -72);
    });
  }
  await page.waitForTimeout(250); // let charts finish their first layout
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A framework's card on the Compliance page, found through the page's search (the SCF release has 192). */
async function frameworkCard(name) {
  await page.getByLabel("Search frameworks").fill(name);
  return page.getByRole("link", { name: new RegExp(`^${escapeRegExp(name)}: score`) });
}

async function sidebarHas(label) {
  return (await page.getByRole("navigation", { name: "Modules" }).getByRole("link", { name: label, exact: true }).count()) > 0;
}

let lastCode = null;
/** A TOTP code for `secret`, never the one used last (the backend refuses a replayed code). */
async function totp(secret) {
  const generator = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30, algorithm: "SHA1" });
  for (;;) {
    const remaining = 30 - (Math.floor(Date.now() / 1000) % 30);
    const code = generator.generate();
    if (code !== lastCode && remaining > 3) {
      lastCode = code;
      return code;
    }
    await new Promise((r) => setTimeout(r, remaining * 1000 + 200));
  }
}

async function apiAs(base, path, init = {}) {
  const session = JSON.parse(await page.evaluate(() => localStorage.getItem("cspm.session")));
  const team = await page.evaluate(() => localStorage.getItem("cspm.team"));
  const response = await fetch(`${base}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${session.accessToken}`, "X-Team-ID": team, ...(init.headers ?? {}) },
  });
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
  return response.json();
}

async function signIn(base, secret, { recoveryCode } = {}) {
  await page.goto(`${base}/login`);
  await page.getByLabel("E-mail").fill(EMAIL);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Two-factor authentication" }).waitFor();
  if (recoveryCode) {
    await page.getByRole("button", { name: /Use a recovery code/ }).click();
    await page.getByLabel("Recovery code").fill(recoveryCode);
  } else {
    await page.getByLabel("Authentication code").fill(await totp(secret));
  }
  await page.getByRole("button", { name: "Verify" }).click();
  await page.getByRole("heading", { name: "Overview", exact: true }).waitFor();
}

async function signOut() {
  await page.locator(".user-button").click();
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "Sign in", exact: true }).waitFor();
}

async function waitForRun(label) {
  const drawer = page.getByRole("dialog");
  await drawer.waitFor();
  await drawer.locator(".drawer-title").getByText(/Succeeded|Failed|Timed out|Cancelled/).waitFor({ timeout: 180_000 });
  const state = (await drawer.locator(".drawer-title .pill").first().innerText()).trim();
  console.log(`\n    ${label}: ${state}`);
  return state;
}

// Trivy offline: misconfiguration and secret scanning with the checks bundled in the binary, no download.
// The network target is this machine: loopback is refused unless the scan allow-list names it.
const backend = await startBackend({ label: "e2e", env: { SCANNER_TRIVY_OFFLINE: "true", SCANNER_NETWORK_ALLOWLIST: "127.0.0.1/32" } });
const browser = await launchChromium(chromium);
const errors = [];
let failed = false;
try {
  page = await browser.context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on("pageerror", (error) => errors.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error" && !/status of 4\d\d/.test(message.text())) errors.push(`console: ${message.text()}`);
  });
  const base = backend.url;
  let secret = "";
  let recoveryCodes = [];

  await step("first run: register the first admin", async () => {
    await page.goto(base);
    await page.getByRole("heading", { name: "Set up your platform" }).waitFor();
    await page.getByLabel("Your name").fill("Ada Lovelace");
    await page.getByLabel("E-mail").fill(EMAIL);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByLabel("Confirm password").fill(PASSWORD);
    await shot("01-setup");
    await page.getByRole("button", { name: "Create administrator account" }).click();
    await page.getByRole("heading", { name: "Create your first team" }).waitFor();
    await page.getByLabel("Team name").fill("Platform security");
    await page.getByRole("button", { name: "Create team" }).click();
    await page.getByRole("heading", { name: "Overview", exact: true }).waitFor();
    await page.getByText("No active findings").first().waitFor();
    await shot("02-overview-empty");
  });

  await step("enable MFA with the secret the UI shows", async () => {
    await page.getByRole("link", { name: "My account" }).click();
    await page.getByRole("button", { name: "Enable two-factor" }).click();
    secret = (await page.getByLabel("TOTP secret").innerText()).trim();
    check(/^[A-Z2-7]{16,}$/.test(secret), `secret looks like base32 (${secret})`);
    await page.getByLabel(/Enter the 6-digit code/).fill(await totp(secret));
    await shot("03-account-mfa-enrol");
    await page.getByRole("button", { name: "Activate" }).click();
    await page.getByText("Save these recovery codes now.").waitFor();
    recoveryCodes = (await page.getByRole("list", { name: "Recovery codes" }).locator("code").allInnerTexts()).map((c) => c.trim());
    check(recoveryCodes.length >= 4, "recovery codes shown");
    await shot("04-account-recovery-codes");
  });

  await step("sign out, then sign in with password + TOTP", async () => {
    await signOut();
    await shot("05-login");
    await signIn(base, secret);
    const me = await apiAs(base, "/api/auth/me");
    check(me.mfa_enabled === true, "MFA enabled on the account");
  });

  await step("the first start imported the bundled SCF workbook", async () => {
    // A background job on first start; waiting for it keeps the compliance steps below deterministic.
    let registry = null;
    const deadline = Date.now() + 300_000;
    do {
      registry = await apiAs(base, "/api/compliance/registry");
      if (registry.source === "workbook") break;
      await page.waitForTimeout(1000);
    } while (Date.now() < deadline);
    check(registry.source === "workbook" && registry.counts.frameworks === 192, `full SCF registry (${JSON.stringify(registry.counts)})`);
  });

  await step("import a real Prowler report through the UI", async () => {
    await page.getByRole("link", { name: "Findings", exact: true }).click();
    await page.getByRole("heading", { name: "Findings", exact: true }).waitFor();
    await page.getByRole("button", { name: "Import report" }).first().click();
    await page.getByLabel("Report file").setInputFiles(join(SCANS, "prowler/prowler_5.46_aws_moto_s3_iam.ocsf.json"));
    await page.getByLabel("Tool").selectOption("prowler");
    await page.getByLabel(/Scope/).fill("aws:123456789012");
    await page.getByRole("dialog").getByRole("button", { name: "Import" }).click();
    await page.getByText(/report imported into (scope|\d+ scopes)/).waitFor();
    const parsed = Number(await page.locator(".stat-row div", { hasText: "Parsed" }).locator("dd").innerText());
    check(parsed === 37, `37 Prowler results parsed (got ${parsed})`);
    await page.getByRole("button", { name: "Done" }).click();
    await page.locator(".data-table tbody tr[data-index]").first().waitFor();
  });

  const repo = mkdtempSync(join(tmpdir(), "cspm-e2e-repo-"));
  writeFileSync(join(repo, "requirements.txt"), "requests==2.19.0\nurllib3==1.26.3\n");
  writeFileSync(join(repo, "Dockerfile"), "FROM ubuntu:latest\nUSER root\n");
  // A leaked credential for Trivy's secret scanner (a made-up key, not AWS's documentation example).
  writeFileSync(join(repo, "deploy.env"), "AWS_ACCESS_KEY_ID=AKIAZ5G4HBQEXJ2LRC7Q\nAWS_SECRET_ACCESS_KEY=Zq8dY3kP0uVt7WbR2xLm9NcJ4sHfA6gE1oTiK5yB\n");

  await step("add a directory target and a localhost network target", async () => {
    await page.getByRole("link", { name: "Scans", exact: true }).click();
    await page.getByRole("heading", { name: "Scans", exact: true }).waitFor();
    for (const [kind, name, value, ports] of [["repository", "Service checkout", repo, null], ["network", "Localhost", "127.0.0.1", String(backend.port)]]) {
      await page.getByRole("button", { name: "Add target" }).first().click();
      const dialog = page.getByRole("dialog");
      await dialog.getByLabel("Kind").selectOption(kind);
      await dialog.getByLabel("Name").fill(name);
      await dialog.getByLabel(kind === "repository" ? "Path" : "Value").fill(value);
      if (ports) await dialog.getByLabel(/Ports/).fill(ports);
      await dialog.getByRole("button", { name: "Add target" }).click();
      await dialog.waitFor({ state: "detached" });
      await page.getByRole("cell", { name: new RegExp(name) }).first().waitFor();
    }
  });

  await step("scan the directory and localhost; watch both succeed", async () => {
    await page.getByRole("button", { name: "Scan Service checkout" }).click();
    const repoState = await waitForRun("directory scan");
    const drawer = page.getByRole("dialog");
    for (const tool of ["trivy", "syft"]) {
      const ok = await drawer.locator(".job", { hasText: tool }).getByText("Succeeded").count();
      check(ok === 1, `the ${tool} job succeeded`);
    }
    check(repoState === "Succeeded", `directory scan succeeded (${repoState})`);
    await shot("07-scan-run-directory");
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: "Scan Localhost" }).click();
    const netState = await waitForRun("network scan");
    check(netState === "Succeeded", `network scan succeeded (${netState})`);
    await page.keyboard.press("Escape");
    await shot("06-scans");
  });

  await step("real Trivy and Nmap findings are listed", async () => {
    const api = async (tool) => (await apiAs(base, `/api/findings?tool=${tool}&limit=50`)).items;
    const trivy = await api("trivy");
    const nmap = await api("nmap");
    check(trivy.some((finding) => finding.rule_id === "DS-0002"), `Trivy flagged the root user in the Dockerfile (${trivy.map((f) => f.rule_id).join(", ")})`);
    check(trivy.some((finding) => finding.category === "secret"), "Trivy found the leaked key");
    check(nmap.some((finding) => String(finding.resource?.id ?? "").endsWith(`:${backend.port}`)), "Nmap reported the dashboard's own port");
    console.log(`\n    trivy: ${trivy.length} findings (${[...new Set(trivy.map((f) => f.rule_id))].join(", ")}); nmap: ${nmap.length}`);
    await page.goto(`${base}/findings?tool=trivy`);
    await page.locator(".data-table tbody tr[data-index]", { hasText: "DS-0002" }).first().waitFor();
    check(await page.locator(".data-table tbody tr[data-index]").count() === trivy.length, "the table lists every Trivy finding");
    await shot("12a-findings-trivy");
    await page.goto(`${base}/findings?tool=nmap`);
    await page.locator(".data-table tbody tr[data-index]", { hasText: `${backend.port}` }).first().waitFor();
  });

  await step("schedule the directory target (cron + time zone) and see its next run", async () => {
    await page.getByRole("link", { name: "Scans", exact: true }).click();
    await page.getByRole("button", { name: "Schedule of Service checkout" }).click();
    const dialog = page.getByRole("dialog", { name: "Schedule of Service checkout" });
    await dialog.getByRole("button", { name: "Weekdays 06:00" }).click();
    await dialog.getByLabel("Time zone").selectOption("Europe/Paris");
    await dialog.getByText("Weekdays at 06:00 (Europe/Paris)").waitFor();
    await shot("18-schedule-dialog");
    await dialog.getByRole("button", { name: "Save schedule" }).click();
    await dialog.waitFor({ state: "detached" });
    const row = page.getByRole("row", { name: /Service checkout/ });
    await row.getByText(/Next run/).waitFor();
    const target = (await apiAs(base, "/api/targets")).find((item) => item.name === "Service checkout");
    check(target.schedule?.cron === "0 6 * * 1-5" && target.schedule.timezone === "Europe/Paris" && target.schedule.next_run_at, "schedule stored with its next run");
    check(new Date(target.schedule.next_run_at) > new Date(), "the next run is in the future");
  });

  await step("add a cloud account; its connection test fails and says why; make it a scan target", async () => {
    await page.getByRole("tab", { name: /Cloud accounts/ }).click();
    await page.getByText("No cloud accounts yet").waitFor();
    await page.getByRole("button", { name: "Add cloud account" }).first().click();
    const dialog = page.getByRole("dialog", { name: "Add a cloud account" });
    await dialog.getByLabel("Name").fill("Sandbox AWS");
    await dialog.getByLabel("AWS account ID").fill("210987654321");
    await dialog.getByText("Access keys", { exact: true }).click();
    await dialog.getByLabel("Access key ID").fill("AKIAZ5G4HBQEXJ2LRC7Q");
    const secretKey = "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";
    await dialog.getByLabel("Secret access key").fill(secretKey);
    await dialog.getByLabel(/Regions/).fill("eu-west-1");
    await shot("19-cloud-account-form");
    await dialog.getByRole("button", { name: "Add account" }).click();
    await dialog.waitFor({ state: "detached" });
    const row = page.getByRole("row", { name: /Sandbox AWS/ });
    await row.getByText("Not tested yet").waitFor();
    await row.getByRole("button", { name: "Test connection of Sandbox AWS" }).click();
    const result = row.getByTestId("connection-result");
    await result.waitFor({ timeout: 60_000 });
    const shown = (await result.innerText()).trim();
    const stored = (await apiAs(base, "/api/cloud-accounts")).find((account) => account.name === "Sandbox AWS");
    check(stored.last_test && stored.last_test.ok === false, "no cloud is reachable here: the test fails");
    check(shown.includes("Failed") && shown.includes(stored.last_test.reason), `the failure reason is shown (${shown})`);
    check(!JSON.stringify(stored).includes(secretKey) && !(await page.content()).includes(secretKey), "the secret is never shown back");
    console.log(`\n    connection test: ${stored.last_test.reason}`);
    await shot("20-cloud-accounts");
    await row.getByRole("button", { name: "Create a scan target for Sandbox AWS" }).click();
    const targetDialog = page.getByRole("dialog", { name: "Scan target for Sandbox AWS" });
    await targetDialog.getByRole("button", { name: "Create target" }).click();
    await targetDialog.waitFor({ state: "detached" });
    await page.getByRole("row", { name: /Sandbox AWS posture/ }).waitFor();
    const target = (await apiAs(base, "/api/targets")).find((item) => item.name === "Sandbox AWS posture");
    check(target.kind === "cloud_account" && target.cloud_account_id === stored.id && target.value === "210987654321", "cloud_account target points at the account");
    await shot("06b-scans-targets");
  });

  await step("switch the Assets module off (sidebar hides it, page and API refuse) and on again", async () => {
    await page.getByRole("link", { name: "Administration" }).click();
    await page.getByRole("tab", { name: "Modules" }).click();
    const assets = page.getByRole("switch", { name: "Assets and SBOM module" });
    check((await assets.getAttribute("aria-checked")) === "true", "assets on at first");
    check(await sidebarHas("Assets & SBOM"), "sidebar shows Assets & SBOM");
    await assets.click();
    const confirm = page.getByRole("dialog", { name: /Switch off Assets and SBOM/ });
    await shot("21-admin-modules-confirm");
    await confirm.getByRole("button", { name: "Switch off" }).click();
    await confirm.waitFor({ state: "detached" });
    await page.waitForFunction(() => !globalThis.document.querySelector('nav[aria-label="Modules"]')?.textContent?.includes("Assets & SBOM"));
    check((await assets.getAttribute("aria-checked")) === "false", "switch shows off");
    await shot("22-admin-modules");
    const refused = await fetch(`${base}/api/assets`, { headers: { Authorization: `Bearer ${JSON.parse(await page.evaluate(() => localStorage.getItem("cspm.session"))).accessToken}`, "X-Team-ID": await page.evaluate(() => localStorage.getItem("cspm.team")) } });
    check(refused.status === 403, `the API refuses the switched-off module (${refused.status})`);
    await page.goto(`${base}/assets`);
    await page.getByRole("heading", { name: "Assets & SBOM is switched off by your team admin" }).waitFor();
    check(!(await sidebarHas("Assets & SBOM")), "sidebar still hides it after a reload");
    await shot("23-module-switched-off");
    await page.getByRole("link", { name: "Manage modules" }).click();
    await page.getByRole("switch", { name: "Assets and SBOM module" }).click();
    await page.getByRole("navigation", { name: "Modules" }).getByRole("link", { name: "Assets & SBOM", exact: true }).waitFor();
    check((await page.getByRole("switch", { name: "Assets and SBOM module" }).getAttribute("aria-checked")) === "true", "switched on again");
  });

  // Pick a finding whose false-positive triage must change a requirement's status: a
  // not-satisfied requirement whose failing controls rest on that one finding only.
  const frameworks = (await apiAs(base, "/api/compliance/frameworks")).frameworks.filter((item) => item.with_evidence > 0 && item.fed_by === "scf");
  let target = null;
  for (const framework of frameworks) {
    const detail = await apiAs(base, `/api/compliance/frameworks/${framework.framework_id}`);
    for (const requirement of detail.requirements) {
      if (requirement.status !== "not_satisfied") continue;
      const keys = new Set(requirement.controls.flatMap((control) => control.failing_findings));
      const failingControls = requirement.controls.filter((control) => control.status === "not_implemented");
      if (keys.size === 1 && failingControls.every((control) => control.counts.failing === 1 && !control.override)) {
        const control = await apiAs(base, `/api/compliance/controls/${failingControls[0].scf_id}`);
        const finding = control.findings.find((item) => item.dedup_key === [...keys][0]);
        if (finding && finding.status === "open") target = { framework, finding };
      }
      if (target) break;
    }
    if (target) break;
  }
  check(target, "a requirement that rests on a single finding");

  let before = 0;
  await step(`see the compliance counts of ${target.framework.name}`, async () => {
    await page.getByRole("link", { name: "Compliance", exact: true }).click();
    await page.getByRole("heading", { name: "Compliance", exact: true }).waitFor();
    await shot("07b-compliance-frameworks");
    const card = await frameworkCard(target.framework.name);
    const expected = target.framework.counts.not_satisfied;
    const deadline = Date.now() + 15_000;
    do {
      before = parseInt(await card.getByTestId("not-satisfied").innerText(), 10);
      if (before === expected) break;
      await page.waitForTimeout(500);
    } while (Date.now() < deadline);
    check(before === expected, `UI shows the API's not-satisfied count (${before} vs ${expected})`);
    await shot("08-compliance");
  });

  let mapped = [];
  await step("the finding drawer lists its mapped controls with the reason of each link", async () => {
    mapped = await apiAs(base, `/api/compliance/findings/${target.finding.dedup_key}/controls`);
    check(mapped.length > 0, "the finding maps to at least one control");
    await page.goto(`${base}/findings?q=${encodeURIComponent(target.finding.rule_id)}`);
    const row = page.locator(".data-table tbody tr[data-index]", { hasText: target.finding.title.slice(0, 40) }).first();
    await row.click();
    const drawer = page.getByRole("dialog");
    await drawer.getByRole("heading", { name: target.finding.title }).waitFor();
    const list = drawer.getByRole("list", { name: "Mapped controls" });
    await list.waitFor();
    for (const control of mapped) {
      const link = list.getByRole("link", { name: new RegExp(control.scf_id) });
      check((await link.getAttribute("href")) === `/compliance?control=${encodeURIComponent(control.scf_id)}`, `${control.scf_id} links to Compliance`);
      check((await link.innerText()).includes(control.why.detail), `${control.scf_id} shows why (${control.why.detail})`);
    }
    await shot("09-finding-drawer", drawer.getByRole("heading", { name: "Mapped controls" }));
  });

  await step("triage the finding as false positive from the findings drawer", async () => {
    const drawer = page.getByRole("dialog");
    await drawer.getByText("Evidence").or(drawer.getByText("History")).first().waitFor();
    await drawer.getByRole("button", { name: "False positive" }).click();
    const modal = page.getByRole("dialog", { name: /Mark as false positive/ });
    await modal.getByLabel("Reason").fill("Test fixture bucket, not a production resource");
    await modal.getByRole("button", { name: "Mark as false positive" }).click();
    await page.getByText(/1 finding updated: mark as false positive/).waitFor();
    await page.locator(".drawer").getByText("False positive", { exact: true }).first().waitFor();
    await page.locator(".drawer").getByText("Test fixture bucket, not a production resource").waitFor();
  });

  await step("a mapped control opens in Compliance", async () => {
    const control = mapped[0];
    await page.getByRole("list", { name: "Mapped controls" }).getByRole("link", { name: new RegExp(control.scf_id) }).click();
    await page.getByRole("heading", { name: "Compliance", exact: true }).waitFor();
    const drawer = page.getByRole("dialog");
    await drawer.getByRole("heading", { name: control.title }).waitFor();
    await shot("24-compliance-control");
    await page.keyboard.press("Escape");
    await drawer.waitFor({ state: "detached" });
  });

  await step("the compliance counts changed", async () => {
    await page.getByRole("link", { name: "Compliance", exact: true }).click();
    let card = await frameworkCard(target.framework.name);
    const deadline = Date.now() + 20_000;
    let after = before;
    while (Date.now() < deadline) {
      after = parseInt(await card.getByTestId("not-satisfied").innerText(), 10);
      if (after < before) break;
      await page.waitForTimeout(1000);
      await page.reload();
      card = await frameworkCard(target.framework.name);
    }
    check(after < before, `not-satisfied requirements went down (${before} → ${after})`);
    console.log(`\n    ${target.framework.name}: not satisfied ${before} → ${after}`);
    await card.click();
    await page.getByTestId("framework-score").waitFor();
    await shot("10-compliance-framework");
  });

  await step("the findings trend on Overview shows today's active findings", async () => {
    await page.getByRole("link", { name: "Overview", exact: true }).click();
    await page.getByRole("heading", { name: "Overview", exact: true }).waitFor();
    await page.locator(".score-ring").waitFor();
    // One posture score: the card shows the API's (the executive report prints the same).
    const posture = await apiAs(base, "/api/findings/posture");
    await page.getByRole("region", { name: "Posture score" }).getByText(posture.explanation, { exact: true }).waitFor();
    await shot("11-overview");
    const trend = await apiAs(base, "/api/findings/trend?days=30");
    check(trend.length > 0, "the API recorded a trend point today");
    const today = trend[trend.length - 1];
    const active = await apiAs(base, "/api/findings/counts?status=open&status=reopened&result=fail");
    check(today.total === active.total, `today's trend point counts the active findings (${today.total} vs ${active.total})`);
    const headline = page.getByTestId("trend-headline");
    await headline.getByText(new RegExp(`^${today.total}$`)).waitFor();
    await shot("11a-overview-trend", page.getByRole("heading", { name: "Findings trend" }));
    await page.getByRole("button", { name: "90 days" }).click();
    await headline.getByText(new RegExp(`^${today.total}$`)).waitFor();
  });

  await step("assessments: ASVS L2 on a web target, three answers, evidence, progress and a control's state move", async () => {
    const webTarget = await apiAs(base, "/api/targets", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: "shop web app", kind: "web_application", value: `${base}/` }),
    });
    await page.getByRole("link", { name: "Assessments", exact: true }).click();
    await page.getByRole("heading", { name: "Assessments", exact: true }).waitFor();
    await page.getByRole("button", { name: "New assessment" }).click();
    const wizard = page.getByRole("dialog");
    await wizard.getByText("OWASP Application Security Verification Standard 5.0.0").click();
    await wizard.getByRole("button", { name: "Next" }).click();
    await wizard.getByText("Level 2", { exact: true }).click();
    await wizard.getByText("253 requirements in scope").waitFor();
    await shot("30-assessment-wizard-level");
    await wizard.getByRole("button", { name: "Next" }).click();
    await wizard.getByLabel("Name").fill("Shop ASVS L2");
    await wizard.getByRole("checkbox", { name: /shop web app/ }).check();
    await wizard.getByRole("button", { name: "Create assessment" }).click();
    await wizard.waitFor({ state: "detached" });
    const progress = page.getByTestId("assessment-progress");
    await progress.getByText("of 253 answered").waitFor();
    check((await progress.innerText()).includes("0 of 253"), "a new L2 assessment has 253 requirements, none answered");

    // The control V1.2.4 (SQL injection, CWE-89) feeds, before the answer.
    await page.getByRole("button", { name: "SCF controls of V1.2.4" }).click();
    const controls = page.getByRole("dialog");
    const tda18 = controls.getByTestId("fed-control").filter({ hasText: "TDA-18" });
    await tda18.getByText("Not assessed").waitFor();
    await page.keyboard.press("Escape");
    await controls.waitFor({ state: "detached" });

    // Three answers: two by click, one by keyboard (focus the requirement, press 3 = not met).
    await page.getByRole("radiogroup", { name: "Answer V1.2.1" }).getByRole("radio", { name: "Met", exact: true }).click();
    await page.locator('li[data-ref="V1.2.1"]').getByRole("status").waitFor();
    await page.locator('li[data-ref="V1.2.2"]').focus();
    await page.keyboard.press("3");
    await page.locator('li[data-ref="V1.2.2"]').getByText("Not met", { exact: true }).first().waitFor();
    await page.getByRole("radiogroup", { name: "Answer V1.2.4" }).getByRole("radio", { name: "Met", exact: true }).click();
    await page.locator('li[data-ref="V1.2.4"]').getByRole("status").waitFor();
    await progress.getByText("3 of 253 answered").waitFor();

    // Evidence on V1.2.1: a real PNG, stored with its SHA-256.
    const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");
    await page.getByLabel("Upload evidence for V1.2.1").setInputFiles({ name: "encoding-review.png", mimeType: "image/png", buffer: png });
    await page.getByRole("list", { name: "Evidence of V1.2.1" }).getByText("encoding-review.png").waitFor();
    await shot("31-assessment-questionnaire", page.locator('li[data-ref="V1.2.1"]'));

    // The SCF control now carries the answer.
    await page.getByRole("button", { name: "SCF controls of V1.2.4" }).click();
    await controls.getByTestId("fed-control").filter({ hasText: "TDA-18" }).getByText("Implemented").waitFor();
    await controls.getByText(/OWASP ASVS 5.0.0 V1.2.4 answered met by/).waitFor();
    await shot("32-assessment-controls");
    await page.keyboard.press("Escape");
    const control = await apiAs(base, "/api/compliance/controls/TDA-18");
    check(control.state.status === "implemented", `TDA-18 is implemented after the answer (${control.state.status})`);
    const summary = (await apiAs(base, "/api/assessments")).find((item) => item.name === "Shop ASVS L2");
    check(summary.progress.answered === 3 && summary.scope.target_ids[0] === webTarget.id, "the API shows 3 answers and the web target in scope");
    const evidence = await apiAs(base, `/api/assessments/${summary.id}/evidence`);
    check(evidence.length === 1 && evidence[0].sha256.length === 64, "one evidence file with its SHA-256");

    await page.getByRole("tab", { name: "Results" }).click();
    await page.getByTestId("chapter-bar").first().waitFor();
    await shot("33-assessment-results");
    await page.getByRole("button", { name: "← All assessments" }).click();
    await page.getByRole("button", { name: /Shop ASVS L2: 3 of 253 answered/ }).waitFor();
    await shot("34-assessments-list");
  });

  await step("screenshots of the other pages (findings, assets, admin, dark mode)", async () => {
    await page.getByRole("link", { name: "Findings", exact: true }).click();
    await page.locator(".data-table tbody tr[data-index]").first().waitFor();
    await shot("12-findings");
    await page.getByRole("link", { name: "Assets & SBOM" }).click();
    await page.getByText("urllib3").first().waitFor();
    await shot("13-assets");
    await page.getByRole("link", { name: "Administration" }).click();
    await page.getByRole("tab", { name: "System health" }).click();
    await page.getByText("routes:findings").waitFor();
    await shot("14-admin-health");
    await page.getByRole("tab", { name: "Audit log" }).click();
    await page.locator(".simple-table tbody tr").first().waitFor();
    await shot("15-admin-audit");
    await page.getByRole("button", { name: "Switch to dark theme" }).click();
    await page.getByRole("link", { name: "Overview", exact: true }).click();
    await page.locator(".score-ring").waitFor();
    await shot("16-overview-dark");
    await page.getByRole("link", { name: "Findings", exact: true }).click();
    await page.locator(".data-table tbody tr[data-index]").first().waitFor();
    await shot("17-findings-dark");
    await page.getByRole("button", { name: "Switch to light theme" }).click();
  });

  await threatIntelSteps({ page, step, shot, check, apiAs, base, repo: REPO, scans: SCANS });
  await aiGovernanceSteps({ page, step, shot, check, workDir: mkdtempSync(join(tmpdir(), "cspm-e2e-ai-")) });
  await integrationsSteps({ page, step, shot, check, apiAs, base, scans: SCANS });
  await aiSocSteps({ page, step, shot, check, scans: SCANS });
  await riskSteps({ page, step, shot, check, apiAs, base });
  await inventorySteps({ page, step, shot, check, apiAs, base, repo: REPO });
  await exportsSteps({ page, step, shot, check, apiAs, base });

  await step("sign out, sign in with a recovery code, sign out again", async () => {
    await signOut();
    await signIn(base, secret, { recoveryCode: recoveryCodes[0] });
    const session = await page.evaluate(() => localStorage.getItem("cspm.session"));
    await signOut();
    const old = JSON.parse(session).accessToken;
    const after = await fetch(`${base}/api/auth/me`, { headers: { Authorization: `Bearer ${old}` } });
    check(after.status === 401, `the signed-out session's token is refused (${after.status})`);
  });

  check(errors.length === 0, `no browser errors:\n${errors.join("\n")}`);
} catch (error) {
  failed = true;
  console.error(`\nFAILED: ${error.stack ?? error}`);
  if (page) await page.screenshot({ path: join(SHOTS, "failure.png") }).catch(() => {});
  if (errors.length) console.error(errors.join("\n"));
  writeFileSync(join(REPO, "artifacts/e2e-backend.log"), backend.logs());
  console.error(`--- backend log (tail; all of it in artifacts/e2e-backend.log) ---\n${backend.logs().slice(-3000)}`);
} finally {
  await browser.close().catch(() => {});
  await backend.stop();
}
console.log(`\n${steps.length} steps passed${failed ? ", then a failure" : ""}; screenshots in ${SHOTS}`);
process.exit(failed ? 1 : 0);
