// Risk register and BIA in the browser: a risk made from the real Prowler finding imported earlier
// (S3 default encryption, medium → likelihood 3), treated with SCF control CRY-05 which the team has
// marked implemented in Compliance (a manual status, through the compliance API), and the residual
// heat map moves from likelihood 3 to 1; a KRI tile, the proposals inbox; a BIA process refused for
// RTO > MTPD, then saved, its dependency view, and an exercise that misses its RTO.

async function heatCount(page, which, likelihood, impact) {
  return (await page.getByTestId(`heat-${which}-${likelihood}-${impact}`).innerText()).trim();
}

export async function riskSteps({ page, step, shot, check, apiAs, base }) {
  await step("risk register: create a risk from the imported Prowler finding", async () => {
    await page.getByRole("link", { name: "Risk register", exact: true }).click();
    await page.getByRole("heading", { name: "Risk register", exact: true }).waitFor();
    await page.getByRole("button", { name: "Risk from a finding" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Search open findings").fill("s3_bucket_default_encryption");
    const option = dialog.getByLabel("Finding", { exact: true }).locator("option", { hasText: "default server-side encryption" });
    await option.first().waitFor({ state: "attached" });
    await dialog.getByLabel("Finding", { exact: true }).selectOption({ label: await option.first().innerText() });
    await dialog.getByLabel("Impact", { exact: true }).selectOption("4");
    await dialog.getByLabel("Owner", { exact: true }).fill("data owner");
    await dialog.getByRole("button", { name: "Create risk" }).click();
    await page.locator("#risk-detail-title", { hasText: "default server-side encryption" }).waitFor();
    await page.getByTestId("heat-inherent-3-4").filter({ hasText: "1" }).waitFor();
    check(await heatCount(page, "residual", 3, 4) === "1", "untreated, the residual sits where the inherent risk is (L3 × I4)");
  });

  await step("risk register: treat it with SCF control CRY-05 and see the residual heat map move", async () => {
    const marked = await apiAs(base, "/api/compliance/controls/CRY-05/status", {
      method: "PUT", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ status: "implemented", reason: "KMS default encryption rolled out and verified" }),
    });
    check(marked.state.status === "implemented", `CRY-05 marked implemented in Compliance (${marked.state.status})`);
    await page.getByLabel("Action", { exact: true }).fill("Default KMS encryption on every bucket");
    await page.getByLabel("SCF controls").fill("CRY-05");
    await page.getByLabel("Action owner").fill("platform team");
    await page.getByRole("button", { name: "Add treatment action" }).click();
    await page.getByTestId("computed-residual").filter({ hasText: "CRY-05 implemented" }).waitFor();
    await page.getByTestId("heat-residual-1-4").filter({ hasText: "1" }).waitFor();
    check(await heatCount(page, "residual", 3, 4) === "", "the residual left L3 × I4");
    check(await heatCount(page, "inherent", 3, 4) === "1", "the inherent risk stays at L3 × I4");
    await shot("risks-1-heat-map-moved", page.locator("#risk-heat-title"));
    await shot("risks-2-risk-detail", page.locator("#risk-detail-title"));
    // Other steps may have put risks in the register too (an accepted AI-SOC case): the filtered table
    // holds exactly the cell's risks, ours among them.
    const inCell = Number(await heatCount(page, "residual", 1, 4));
    await page.getByTestId("heat-residual-1-4").click();
    await page.getByRole("button", { name: "Clear cell filter" }).waitFor();
    await page.waitForFunction((count) => globalThis.document.querySelectorAll(".risk-row").length === count, inCell, { timeout: 15_000 }).catch(() => {});
    check(await page.locator(".risk-row").count() === inCell, `clicking the residual cell filters the table to its ${inCell} risk(s)`);
    check(await page.locator(".risk-row", { hasText: "default server-side encryption" }).count() === 1, "our risk is among them");
    await page.getByRole("button", { name: "Clear cell filter" }).click();
  });

  await step("risk register: a KRI tile and the proposals inbox", async () => {
    await page.getByRole("tab", { name: "KRIs" }).click();
    await page.getByLabel("KRI name").fill("Medium findings past SLA");
    await page.getByLabel("Severity scope").selectOption("medium");
    await page.getByRole("button", { name: "Define KRI" }).click();
    await page.getByTestId("kri-Medium findings past SLA").filter({ hasText: /Green/i }).waitFor();
    await shot("risks-3-kris");
    await page.getByRole("tab", { name: "Proposals" }).click();
    await page.getByRole("button", { name: "Look for new" }).click();
    await page.getByText(/threat intelligence not available|No open proposal|regressed|fell below/).first().waitFor();
    await shot("risks-4-proposals");
  });

  await step("BIA: RTO above the derived MTPD is refused; the process saved; dependencies; a missed-RTO exercise", async () => {
    await page.getByRole("link", { name: "Business impact", exact: true }).click();
    await page.getByRole("heading", { name: "Business impact analysis", exact: true }).waitFor();
    await page.getByRole("button", { name: "New process" }).click();
    await page.getByLabel("Process name").fill("Online checkout");
    await page.getByLabel("Tier").selectOption("1");
    await page.getByLabel("RTO (hours)").fill("48");
    await page.getByLabel("financial impact at 24 h").selectOption("4");
    await page.getByLabel("operational impact at 72 h").selectOption("5");
    await page.getByLabel("Dependency kind").selectOption("cloud_account");
    await page.getByLabel("Dependency reference").fill("123456789012");
    await page.getByRole("button", { name: "Add dependency" }).click();
    await page.getByRole("button", { name: "Save process" }).click();
    await page.getByText(/RTO 2 days exceeds the MTPD 1 day/).waitFor();
    await page.getByLabel("RTO (hours)").fill("4");
    await page.getByRole("button", { name: "Save process" }).click();
    await page.getByText(/MTPD 24 h · derived: impact reaches severe/).waitFor();
    check(await page.getByLabel("Process name").inputValue() === "Online checkout", "the saved process is shown for editing");
    check(await page.getByLabel("financial impact at 24 h").inputValue() === "4", "with its impact levels");
    await shot("bia-1-process", page.locator("#bia-editor-title"));
    await page.getByRole("tab", { name: "Dependencies" }).click();
    await page.getByText(/Cloud account: 123456789012/).waitFor();
    await shot("bia-2-dependencies");
    await page.getByRole("tab", { name: "Exercises" }).click();
    await page.getByLabel("Process", { exact: true }).selectOption({ label: "Online checkout" });
    await page.getByLabel("Kind").selectOption("restore");
    await page.getByLabel("Date").fill("2026-11-20");
    await page.getByLabel("Recovered in (hours)").fill("9");
    await page.getByLabel("Outcome").selectOption("failed");
    await page.getByLabel("Scenario").fill("Restore the orders database from last night's backup");
    await page.getByRole("button", { name: "Record exercise" }).click();
    await page.getByText("a risk proposal was raised in the risk register.").waitFor();
    await shot("bia-3-exercises");
    await page.getByRole("link", { name: "Risk register", exact: true }).click();
    await page.getByRole("tab", { name: "Proposals" }).click();
    await page.getByText("Recovery of 'Online checkout' took 9 h in an exercise, RTO 4 h").waitFor();
  });
}
