// AI governance in the browser: register an AI system, classify it under the EU AI Act (article text
// beside each question), answer an obligation, upload an evaluation CSV, see fairlearn's per-group
// metrics and the finding the failing bias test created, and the model card.
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** The controlled data set of the backend tests: group A selects 0.6, group B 0.3 (ratio 0.5). */
function evaluationCsv() {
  const rows = [];
  const add = (group, tp, fn, fp, tn) => {
    for (const [label, predicted, n] of [[1, 1, tp], [1, 0, fn], [0, 1, fp], [0, 0, tn]]) {
      for (let i = 0; i < n; i += 1) rows.push(`${group},${label},${predicted}`);
    }
  };
  add("A", 4, 1, 2, 3);
  add("B", 2, 3, 1, 4);
  return `applicant_sex,hired,predicted\n${rows.join("\n")}\n`;
}

export async function aiGovernanceSteps({ page, step, shot, check, workDir }) {
  await step("AI governance: register an AI system", async () => {
    await page.getByRole("navigation", { name: "Modules" }).getByRole("link", { name: "AI governance", exact: true }).click();
    await page.getByRole("button", { name: "Register AI system" }).first().click();
    const dialog = page.getByRole("dialog", { name: "Register an AI system" });
    await dialog.getByLabel("Name").fill("CV screening");
    await dialog.getByLabel("Purpose").fill("Ranks job applications for recruiters.");
    await dialog.getByLabel("Model family").fill("gradient boosted trees");
    await dialog.getByLabel("Model version").fill("2.1");
    await dialog.getByLabel("Deployment", { exact: true }).fill("https://hr.example.com");
    await dialog.getByRole("button", { name: "Register" }).click();
    await page.getByRole("heading", { name: "CV screening" }).waitFor();
  });

  await step("AI governance: classify it (Annex III employment) and read the reasoning", async () => {
    await page.getByText("Step 1 of 6: Article 5: prohibited practices").waitFor();
    await page.locator(".aig-article", { hasText: "subliminal techniques" }).first().waitFor();
    await shot("20-ai-classification-wizard");
    for (let i = 0; i < 2; i += 1) await page.getByRole("button", { name: "Next" }).click();
    await page.locator('input[data-question="annex3.4.a"]').check();
    await shot("21-ai-classification-annex-iii", page.locator('input[data-question="annex3.4.a"]'));
    for (let i = 0; i < 3; i += 1) await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("button", { name: "Classify" }).click();
    const result = page.getByTestId("classification-result");
    await result.getByText("high-risk", { exact: true }).waitFor();
    check(await result.getByText("III.4.a").count() > 0, "the reasoning cites Annex III point 4(a)");
    await shot("22-ai-classification-result");
  });

  await step("AI governance: the obligations checklist (Articles 9-15, 17, 43, 49, 72) with progress", async () => {
    await page.getByRole("tab", { name: "Obligations" }).click();
    await page.getByText("0 of 12").waitFor();
    const article9 = page.locator('[data-obligation="art9"]');
    await article9.getByLabel("Owner").fill("Risk office");
    await article9.getByRole("button", { name: "Met" }).click();
    await page.getByText("1 of 12").waitFor();
    await page.getByTestId("scan-evidence").getByText("linked assets").waitFor();
    await shot("23-ai-obligations");
  });

  await step("AI governance: upload an evaluation CSV and see fairlearn's metrics and the finding", async () => {
    await page.getByRole("tab", { name: "Bias tests" }).click();
    const file = join(workDir, "evaluation.csv");
    writeFileSync(file, evaluationCsv());
    await page.getByLabel("Evaluation file").setInputFiles(file);
    await page.getByLabel("True label column").fill("hired");
    await page.getByLabel("Sensitive feature columns").fill("applicant_sex");
    await page.getByLabel("Prediction column").fill("predicted");
    await page.getByRole("button", { name: "Run bias test" }).click();
    const run = page.getByTestId("bias-run");
    await run.getByText("A finding was created").waitFor();
    const metrics = page.getByTestId("metrics-applicant_sex");
    check(await metrics.getByRole("cell", { name: "0.6", exact: true }).count() > 0, "group A's selection rate 0.6 is shown");
    check(await metrics.getByRole("cell", { name: "0.3", exact: true }).count() > 0, "group B's selection rate 0.3 is shown");
    check(await page.getByRole("cell", { name: "0.5", exact: true }).count() > 0, "the demographic parity ratio 0.5 is shown");
    await shot("24-ai-bias-test", run);
    await page.getByRole("link", { name: "see it in Findings" }).click();
    await page.getByText("Bias test failed for sensitive feature 'applicant_sex'").first().waitFor();
    await shot("25-ai-bias-finding");
    await page.goBack();
  });

  await step("AI governance: the model card", async () => {
    await page.getByRole("navigation", { name: "Modules" }).getByRole("link", { name: "AI governance", exact: true }).click();
    await page.getByRole("tab", { name: "Model card" }).click();
    await page.getByTestId("model-card").getByText("# Model card: CV screening").waitFor();
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download PDF" }).click()]);
    check(download.suggestedFilename() === "CV-screening-model-card.pdf", `the PDF model card downloads (${download.suggestedFilename()})`);
    await shot("26-ai-model-card");
  });
}
