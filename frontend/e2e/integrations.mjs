// Integrations in the browser: set up a signed webhook through the wizard against a local receiver
// (this file's HTTP server, which verifies the HMAC-SHA256 signature as a customer's receiver would),
// pass the wizard's test, add a rule, then import a real Trivy report with a CRITICAL finding and see
// the delivery in the log, delivered by the platform's worker.
import { createHmac, createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";

// Port 0: the kernel picks a free one as the receiver listens, so two end-to-end runs on one machine
// never collide (a fixed port did, under CI's concurrent runs).
const RECEIVER_PORT = Number(process.env.CSPM_E2E_RECEIVER_PORT ?? 0);
const SECRET = "whsec-e2e-0123456789abcdef";
const CRITICAL_REPORT = "trivy/severity_prio.json";

function startReceiver() {
  const verified = [];
  const server = createServer((request, response) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      const timestamp = String(request.headers["x-cspm-timestamp"] ?? "");
      const path = new URL(request.url, "http://receiver").pathname;
      const digest = createHash("sha256").update(body).digest("hex");
      const expected = createHmac("sha256", SECRET).update(`POST\n${path}\n${timestamp}\n${digest}`).digest("hex");
      const given = String(request.headers["x-cspm-signature"] ?? "");
      const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) <= 300;
      if (!fresh || given.length !== expected.length || !timingSafeEqual(Buffer.from(given), Buffer.from(expected))) {
        response.writeHead(401).end("bad signature");
        return;
      }
      verified.push(JSON.parse(body.toString()));
      response.writeHead(204).end();
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(RECEIVER_PORT, "127.0.0.1", () => resolve({ server, verified, port: server.address().port }));
  });
}

export async function integrationsSteps({ page, step, shot, check, apiAs, base, scans }) {
  const receiver = await startReceiver();
  const url = `http://127.0.0.1:${receiver.port}/cspm/events`;
  try {
    await step("integrations: set up a signed webhook through the wizard", async () => {
      await page.getByRole("link", { name: "Integrations", exact: true }).click();
      await page.getByRole("heading", { name: "Integrations", exact: true }).waitFor();
      await page.getByRole("button", { name: "Set up Signed webhook" }).click();
      const dialog = page.getByRole("dialog");
      await dialog.getByLabel("Name").fill("SOAR webhook");
      await dialog.getByRole("button", { name: "Next: credentials" }).click();
      await dialog.getByLabel("Receiver URL").fill(url);
      await dialog.getByLabel(/Signing secret/).fill(SECRET);
      await shot("int-1-wizard-credentials", dialog);
      await dialog.getByRole("button", { name: "Save and continue" }).click();
      await dialog.getByRole("button", { name: "Send test" }).click();
      await dialog.getByText(/Now choose what to route here/).waitFor();
      check(receiver.verified.some((event) => event.event === "integration.test"), "the receiver verified the signed test message");
      await shot("int-2-wizard-rules", dialog);
      await dialog.getByRole("button", { name: "Finish", exact: true }).click();
      await dialog.getByTestId("wizard-done").waitFor();
      await dialog.getByRole("button", { name: "Done", exact: true }).click();
      const row = page.getByTestId("integrations-table").locator("tbody tr", { hasText: "SOAR webhook" });
      await row.getByText("ok", { exact: true }).waitFor();
    });

    await step("a critical finding's notification is delivered, signed, and shown in the log", async () => {
      const form = new FormData();
      form.append("file", new Blob([readFileSync(join(scans, CRITICAL_REPORT))], { type: "application/json" }), "trivy.json");
      form.append("tool", "trivy");
      form.append("scope", "integrations-e2e");
      await apiAs(base, "/api/findings/import", { method: "POST", body: form });
      const log = page.getByTestId("deliveries-table");
      // The log refreshes itself every 5 s while the worker delivers.
      await log.locator("tbody tr", { hasText: "CVE-2023-37920" }).getByText("Delivered", { exact: true }).waitFor({ timeout: 90_000 });
      const critical = receiver.verified.find((event) => event.event === "finding.new");
      check(critical && critical.severity === "critical", `the receiver verified the critical finding's notification (${JSON.stringify(critical)?.slice(0, 200)})`);
      await shot("int-3-delivery-log", page.locator("#deliveries-title"));
      await shot("int-4-integrations-health", page.locator("#integrations-title"));
    });
  } finally {
    await new Promise((resolve) => receiver.server.close(resolve));
  }
}
