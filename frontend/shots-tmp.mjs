// Ad-hoc screenshots of a running server (not part of the suite).
import { chromium } from "playwright-core";
const [base, out, ...paths] = process.argv.slice(2);
const J = { "Content-Type": "application/json" };
const email = "shots@example.com", password = "violet-Lantern-93-quarry";
await fetch(`${base}/api/auth/register`, { method: "POST", headers: J, body: JSON.stringify({ email, password }) });
const login = await (await fetch(`${base}/api/auth/login`, { method: "POST", headers: J, body: JSON.stringify({ email, password }) })).json();
const t = login.tokens;
const me = await (await fetch(`${base}/api/auth/me`, { headers: { Authorization: `Bearer ${t.access_token}` } })).json();
const team = me.teams?.[0]?.id ?? me.memberships?.[0]?.team_id ?? me.default_team_id;
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
for (const theme of ["light", "dark"]) for (const [w, h, tag] of [[1440, 1000, "desktop"], [390, 844, "mobile"]]) {
  const context = await browser.newContext({ viewport: { width: w, height: h }, colorScheme: theme });
  await context.addInitScript(([session, team, theme]) => {
    localStorage.setItem("cspm.session", session); if (team) localStorage.setItem("cspm.team", team); localStorage.setItem("cspm.theme", theme);
  }, [JSON.stringify({ accessToken: t.access_token, refreshToken: t.refresh_token, accessExpiresAt: Date.now() + 600_000, sessionId: login.session?.id ?? "s" }), team, theme]);
  const page = await context.newPage();
  for (const path of paths) {
    await page.goto(`${base}${path}`); await page.waitForLoadState("networkidle"); await page.waitForTimeout(800);
    const name = `${out}/${path.replace(/[^a-z0-9]+/gi, "_")}-${tag}-${theme}.png`;
    await page.screenshot({ path: name, fullPage: tag === "desktop" });
    console.log(name);
  }
  await context.close();
}
await browser.close();
console.log(JSON.stringify({ team, me: Object.keys(me) }));
