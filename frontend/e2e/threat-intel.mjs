// Threat intelligence in the browser: import the OASIS STIX 2.1 APT1 bundle through the dashboard,
// import an Nmap report naming a host inside APT1's 58.246.0.0/15 (built for the backend tests, and
// named so) and see the correlation with its STIX context; then a real Grype report whose CVE is in a
// KEV catalogue gets the KEV flag, the findings list filters by it, and the drawer explains the priority.
import { readFileSync } from "node:fs";
import { join } from "node:path";

const KEV_FILE = "backend/cspm/threat_intel/data/known_exploited_vulnerabilities.json";
const NMAP_IN_APT1_RANGE = "backend/tests/threat_intel/data/nmap_built_for_test_host_in_apt1_range.xml";
const GRYPE = "anchore_grype/many_vulns4.json";

/**
 * The shipped KEV catalogue plus one entry, built for this test, for the first CVE of the Grype report
 * (no CVE of the shared Grype reports is in the 2025-08-25 snapshot). Its due date is past.
 */
function catalogueWithGrypeCve(repo, scans) {
  const shipped = JSON.parse(readFileSync(join(repo, KEV_FILE), "utf8"));
  const cve = readFileSync(join(scans, GRYPE), "utf8").match(/CVE-\d{4}-\d{4,}/)[0];
  const entry = {
    cveID: cve, vendorProject: "e2e", product: "built for test", vulnerabilityName: `${cve} (entry built for the e2e test)`,
    dateAdded: "2025-08-20", shortDescription: "Built for the e2e test.", requiredAction: "Apply updates per vendor instructions.",
    dueDate: "2025-09-10", knownRansomwareCampaignUse: "Known", notes: "", cwes: [],
  };
  const vulnerabilities = [...shipped.vulnerabilities.filter((item) => item.cveID !== cve), entry];
  return { cve, body: JSON.stringify({ ...shipped, catalogVersion: "e2e", count: vulnerabilities.length, vulnerabilities }) };
}

export async function importReport(page, file, tool, scope) {
  await page.getByRole("link", { name: "Findings", exact: true }).click();
  await page.getByRole("heading", { name: "Findings", exact: true }).waitFor();
  await page.getByRole("button", { name: "Import report" }).first().click();
  await page.getByLabel("Report file").setInputFiles(file);
  await page.getByLabel("Tool").selectOption(tool);
  await page.getByLabel(/Scope/).fill(scope);
  await page.getByRole("dialog").getByRole("button", { name: "Import" }).click();
  await page.getByText(/report imported into scope/).waitFor();
  await page.getByRole("button", { name: "Done" }).click();
}

export async function threatIntelSteps({ page, step, shot, check, apiAs, base, repo, scans }) {
  const shared = join(scans, "..", "threat-intel");

  await step("threat intelligence: import the STIX APT1 bundle through the dashboard", async () => {
    await page.getByRole("link", { name: "Threat intelligence", exact: true }).click();
    await page.getByRole("heading", { name: "Threat intelligence", exact: true }).waitFor();
    await page.getByTestId("kev-summary").waitFor();
    await page.getByRole("button", { name: "Import indicators" }).click();
    await page.getByLabel("Indicator file").setInputFiles(join(shared, "stix21-apt1.json"));
    await page.getByLabel("Format").selectOption("stix");
    await page.getByRole("dialog").getByRole("button", { name: "Import" }).click();
    const result = page.getByRole("dialog").getByRole("status");
    await result.waitFor();
    const text = await result.innerText();
    check(/12 indicators read/.test(text), `12 APT1 indicators read (got "${text}")`);
    await shot("ti-1-indicator-import", page.getByRole("dialog"));
    await page.getByRole("button", { name: "Done" }).click();
    await page.locator("#indicators-title").waitFor();
    await page.getByRole("cell", { name: /ipv4 58\.246\.0\.0\/15/ }).waitFor();
  });

  await step("an Nmap host inside 58.246.0.0/15 is correlated with APT1's indicator", async () => {
    await importReport(page, join(repo, NMAP_IN_APT1_RANGE), "nmap", "branch-office");
    await page.getByRole("link", { name: "Threat intelligence", exact: true }).click();
    const matches = page.getByRole("table", { name: "Indicator matches" });
    const row = matches.locator("tbody tr", { hasText: "58.246.0.0/15" });
    await row.waitFor();
    const text = await row.innerText();
    check(text.includes("58.247.10.20"), `the match names the Nmap host (got "${text}")`);
    check(/APT1/i.test(text), `the match carries its STIX context (got "${text}")`);
    await shot("ti-2-correlation", page.locator("#correlations-title"));
  });

  let cve = "";
  await step("a Grype report with a KEV CVE: flagged, filtered by KEV, priority explained", async () => {
    const catalogue = catalogueWithGrypeCve(repo, scans);
    cve = catalogue.cve;
    const form = new FormData();
    form.append("file", new Blob([catalogue.body], { type: "application/json" }), "kev-e2e.json");
    const imported = await apiAs(base, "/api/threat-intel/kev/import", { method: "POST", body: form });
    check(imported.count >= 1405, `the KEV catalogue with the built entry imported (${imported.count} entries)`);
    await importReport(page, join(scans, GRYPE), "grype", "image:e2e");
    const flagged = await apiAs(base, "/api/findings/counts?kev=true");
    check(flagged.total >= 1, `findings with ${cve} flagged known exploited (${flagged.total})`);
    await page.getByRole("heading", { name: "Findings", exact: true }).waitFor();
    await page.getByLabel("Known exploited (KEV)").check();
    await page.waitForURL(/kev=true/);
    const rows = page.locator(".data-table tbody tr[data-index]");
    await rows.first().waitFor();
    await page.getByText(new RegExp(`^${flagged.total} findings? match`)).waitFor();
    // The previous filter's rows stay on screen, marked busy, until the filtered ones arrive.
    await page.locator(".data-table:not([aria-busy])").waitFor();
    const shown = await rows.count();
    const tagged = await page.locator(".data-table tbody tr[data-index] .kev-tag").count();
    check(shown === flagged.total && tagged === shown, `every listed finding is KEV-flagged (${tagged} of ${shown}, API ${flagged.total})`);
    await shot("ti-3-findings-kev-filter");
    await rows.first().click();
    const explanation = page.getByTestId("priority-explanation");
    await explanation.waitFor();
    const words = await explanation.innerText();
    check(words.includes("KEV since 2025-08-20"), `the drawer explains the priority (got "${words}")`);
    check((await page.getByTestId("kev-flag").innerText()).includes("due 2025-09-10"), "the drawer shows CISA's due date");
    await shot("ti-4-finding-priority-explanation", page.getByRole("heading", { name: "Priority and threat intelligence" }));
    await page.keyboard.press("Escape");
  });

  await step("the threat intelligence page counts the known-exploited and past-due findings", async () => {
    await page.getByRole("link", { name: "Threat intelligence", exact: true }).click();
    // The page may first show what it fetched before the Grype import: wait for the refreshed count.
    const summary = page.getByTestId("kev-summary").filter({ hasText: /^[1-9]\d* open findings are known exploited/ });
    await summary.waitFor();
    const text = await summary.innerText();
    check(!/^0 open findings/.test(text) && /[1-9]\d* are past CISA's due date/.test(text), `KEV headline counts them (got "${text}")`);
    await page.getByRole("cell", { name: cve, exact: true }).waitFor();
    await shot("ti-5-threat-intel");
  });
}
