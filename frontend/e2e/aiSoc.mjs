// AI-SOC in the browser: import the shared Trivy and Grype samples, the pipeline (a job after each
// import) turns them into cases; open the case queue, open a case with its reasoning trail and
// citations, apply a recommendation; then the knowledge search in the top bar.
import { join } from "node:path";
import { importReport } from "./threat-intel.mjs";

const TRIVY = "trivy/scheme_2_many_vulns.json";
const GRYPE = "anchore_grype/fix_available.json";
const AGENTS = ["correlation", "enrichment", "prioritisation", "remediation", "triage"];

export async function aiSocSteps({ page, step, shot, check, scans }) {
  await step("AI-SOC: import the shared Trivy and Grype samples; the case queue fills by priority", async () => {
    await importReport(page, join(scans, TRIVY), "trivy", "ai-soc-trivy");
    await importReport(page, join(scans, GRYPE), "grype", "ai-soc-grype");
    await page.getByRole("link", { name: "AI-SOC", exact: true }).click();
    await page.getByRole("heading", { name: "AI-SOC", exact: true }).waitFor();
    const queue = page.getByTestId("case-queue");
    // The runs are background jobs: reload until both imports' cases are there (at most 60 s).
    for (let attempt = 0; attempt < 30; attempt += 1) {
      if ((await queue.count()) && (await queue.locator("tbody tr", { hasText: "freetype" }).count())) break;
      await page.waitForTimeout(2000);
      await page.reload();
      await page.getByRole("heading", { name: "AI-SOC", exact: true }).waitFor();
    }
    await queue.locator("tbody tr", { hasText: "freetype" }).waitFor();
    const scores = await queue.locator("tbody tr td:first-child").allInnerTexts();
    check(scores.length >= 5, `5 cases or more (4 Trivy packages, 1 Grype package), got ${scores.length}`);
    check(scores.map(Number).every((value, index, all) => index === 0 || all[index - 1] >= value), `sorted by priority: ${scores}`);
    check(await page.getByText("LLM not configured").first().isVisible(), "the page says the LLM is not configured");
    await shot("aisoc-1-case-queue");
  });

  await step("open a case: findings, the reasoning trail per agent, and citations", async () => {
    await page.getByTestId("case-queue").getByRole("button", { name: /freetype/ }).click();
    const view = page.getByTestId("case-view");
    await view.waitFor();
    for (const agent of AGENTS) await view.getByTestId(`trail-${agent}`).waitFor();
    const citations = await view.getByTestId("case-citations").locator("li").allInnerTexts();
    check(citations.some((text) => text.includes("Upgrade freetype to 2.9.1-r3")), `the tool's fix text is cited: ${citations[0]}`);
    check(citations.some((text) => /^scf:/.test(text)), "an SCF control is cited");
    check((await view.getByText(/Upgrade freetype 2\.9\.1-r2 to 2\.9\.1-r3/).count()) > 0, "the plan names the fixed version");
    await shot("aisoc-2-case-view", view);
    await view.getByTestId("trail-remediation").scrollIntoViewIfNeeded();
    await shot("aisoc-3-case-trail");
  });

  await step("a person applies a recommendation: accept the risk with owner and expiry", async () => {
    const view = page.getByTestId("case-view");
    // Integrations and the risk register are installed, so both are offered (a ticket needs the team's Jira).
    check(!(await view.getByRole("button", { name: "Open a ticket" }).isDisabled()), "open a ticket is offered (integrations installed)");
    check(!(await view.getByRole("button", { name: "Create a risk" }).isDisabled()), "create a risk is offered (risk register installed)");
    await view.getByRole("button", { name: /^Accept risk/ }).click();
    const dialog = page.getByRole("dialog", { name: /Accept risk/ });
    await dialog.getByLabel("Reason").fill("Base image rebuild planned next sprint");
    await dialog.getByLabel("Risk owner").fill("platform team");
    await dialog.getByRole("button", { name: /Apply to 1 finding/ }).click();
    await view.getByTestId("case-decisions").waitFor();
    const decision = await view.getByTestId("case-decisions").innerText();
    check(/Accept risk by .*1 finding/.test(decision), `the decision is recorded on the case: ${decision}`);
    await shot("aisoc-4-applied", view.getByTestId("case-decisions"));
    await page.keyboard.press("Escape");
  });

  await step("the knowledge search in the top bar", async () => {
    await page.getByLabel("Search the knowledge base").fill("session token invalidated logout");
    const results = page.getByTestId("topbar-search-results");
    await results.getByRole("option").first().waitFor();
    check((await results.getByRole("option").count()) >= 1, "results appear under the top bar");
    await shot("aisoc-5-topbar-search");
    await results.getByRole("button", { name: /All results/ }).click();
    await page.getByTestId("knowledge-results").waitFor();
    await shot("aisoc-6-knowledge-page");
  });
}
