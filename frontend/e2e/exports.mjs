// Grouping, facet filters and exports in the browser: group the findings by CVE and open a group,
// filter by cloud service, then download the filtered list as CSV and check its rows against the API.
import { readFileSync } from "node:fs";

/** RFC 4180 rows (quoted cells, doubled quotes, CRLF), enough to read back what the export wrote. */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = "";
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') { cell += '"'; index++; }
      else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ",") { row.push(cell); cell = ""; }
    else if (char === "\n") { row.push(cell.replace(/\r$/, "")); rows.push(row); row = []; cell = ""; }
    else cell += char;
  }
  if (cell || row.length) rows.push([...row, cell]);
  return rows;
}

function subtitleCount(text) {
  const match = text.match(/([\d,]+) findings? match/);
  return match ? Number(match[1].replace(/,/g, "")) : NaN;
}

export async function exportsSteps({ page, step, shot, check, apiAs, base }) {
  await step("exports: group the findings by CVE and open the largest group", async () => {
    await page.getByRole("link", { name: "Findings", exact: true }).click();
    await page.getByRole("heading", { name: "Findings", exact: true }).waitFor();
    await page.getByRole("group", { name: "Group findings by" }).getByRole("button", { name: "CVE", exact: true }).click();
    const table = page.getByRole("table", { name: "Findings by cve" });
    await table.waitFor();
    const first = table.locator("tbody tr").first();
    const cve = (await first.getByRole("button").innerText()).trim();
    const count = Number((await first.locator("td.num").innerText()).replace(/,/g, ""));
    check(/^CVE-\d{4}-\d+$/.test(cve) && count > 0, `the largest CVE group is a CVE with findings (${cve}: ${count})`);
    await shot("exports-1-findings-by-cve");
    await first.getByRole("button").click();
    await page.locator(".data-table tbody tr[data-index]").first().waitFor();
    check(new URL(page.url()).searchParams.get("cve") === cve, `opening the group filters by ${cve}`);
    await page.getByText(new RegExp(`^${count} findings? match`)).waitFor();
  });

  await step("exports: filter by cloud service, download the CSV and read its rows", async () => {
    await page.goto(`${base}/findings`);
    await page.locator(".data-table tbody tr[data-index]").first().waitFor();
    const service = page.getByLabel("Service", { exact: true });
    await service.locator("option", { hasText: /^s3 \(/ }).waitFor({ state: "attached" });
    await service.selectOption("s3");
    await page.waitForURL(/service=s3/);
    await page.waitForLoadState("networkidle").catch(() => {});
    const expected = await apiAs(base, "/api/findings/counts?service=s3&status=open&status=reopened");
    check(expected.total > 0, `the Prowler import has S3 findings (${expected.total})`);
    await page.getByText(new RegExp(`^${expected.total} findings? match`)).waitFor();
    await shot("exports-2-filtered-by-service");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("group", { name: "Export the filtered findings" }).getByRole("button", { name: "CSV", exact: true }).click(),
    ]);
    check(/^findings-\d{4}-\d{2}-\d{2}\.csv$/.test(download.suggestedFilename()), `CSV file name (${download.suggestedFilename()})`);
    const [header, ...rows] = parseCsv(readFileSync(await download.path(), "utf8")).filter((row) => row.length > 1);
    const column = (name) => header.indexOf(name);
    check(rows.length === expected.total, `the CSV has one row per filtered finding (${rows.length} of ${expected.total})`);
    check(rows.every((row) => row[column("service")] === "s3"), "every CSV row is an S3 finding");
    check(rows.every((row) => ["open", "reopened"].includes(row[column("status")])), "every CSV row is active");
    const subtitle = await page.locator(".page-subtitle").innerText();
    check(subtitleCount(subtitle) === rows.length, `the page and the CSV agree (${subtitle})`);
  });

  await step("exports: the executive report from the Overview", async () => {
    await page.getByRole("link", { name: "Overview", exact: true }).click();
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Executive report (PDF)" }).click(),
    ]);
    const pdf = readFileSync(await download.path());
    check(pdf.subarray(0, 5).toString() === "%PDF-", "the executive report is a PDF");
    await shot("exports-3-overview-with-report-button");
  });
}
