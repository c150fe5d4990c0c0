// The citizen's flow in Debian's Chromium against a running local runner: `node e2e/citizen.mjs <base url>`.
// Prints one JSON line of findings (axe violations per page, horizontal overflow at 320 px, bytes loaded) for
// tests/e2e/test_web_citizen.py to judge; exits non-zero when a step of the flow fails.
import AxeBuilder from "@axe-core/playwright";
import { chromium } from "playwright-core";
import { gzipSync } from "node:zlib";

const base = process.argv[2];
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const context = await browser.newContext({ viewport: { width: 320, height: 640 }, locale: "da-DK" });
const page = await context.newPage();
const findings = { axe: {}, overflow: {}, bytes: { js: 0, css: 0, font: 0 }, posts: 0, steps: [] };
const step = (name) => findings.steps.push(name);

const seen = new Set();
page.on("response", async (response) => {
  const url = response.url();
  if (!url.includes("/assets/") || seen.has(url)) return;
  seen.add(url);
  const kind = url.endsWith(".js") ? "js" : url.endsWith(".css") ? "css" : url.endsWith(".woff2") ? "font" : null;
  if (!kind) return;
  const body = await response.body();
  findings.bytes[kind] += kind === "font" ? body.length : gzipSync(body).length; // woff2 is compressed already
});
page.on("request", (request) => {
  if (request.method() === "POST" && request.url().endsWith("/response")) findings.posts += 1;
});

async function check(name) {
  await page.waitForLoadState("networkidle");
  const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  findings.axe[name] = result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  findings.overflow[name] = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
}

try {
  await page.goto(`${base}/dev/`);
  await check("start");
  await page.getByRole("button", { name: "Log ind som Hanne Jensen" }).click();
  await page.getByRole("heading", { name: "Mine opgaver" }).waitFor();
  await check("tasks");
  step("signed in");

  await page.getByRole("link", { name: /WHO-5/ }).first().click();
  await page.getByText("Side 1 af").waitFor();
  await check("answer");
  const groups = page.locator("fieldset");
  const count = await groups.count();
  // The first option of the first two questions, then the draft is saved (debounced) and survives a reload.
  for (let n = 0; n < 2; n++) await groups.nth(n).locator("label").first().click();
  await page.getByText("Din besvarelse er gemt som kladde").waitFor();
  step("draft saved");
  await page.reload();
  await page.getByText("Din besvarelse er gemt som kladde").waitFor();
  if (!(await groups.nth(1).locator("input").first().isChecked())) throw new Error("the draft was not resumed");
  step("draft resumed");

  // Submitting with a question unanswered shows the server's message at that question.
  await page.getByRole("button", { name: "Send besvarelse" }).click();
  await page.getByRole("alert").waitFor();
  await check("answer-with-errors");
  findings.fieldError = await groups.nth(2).locator(".form-error-message").innerText();
  step("error placed");

  for (let n = 2; n < count; n++) await groups.nth(n).locator("label").nth(1).click();
  await page.getByLabel("Det vil jeg gerne tale om").fill("Jeg sover dårligt efter operationen.");
  // A double tap: two clicks in the same moment, before the app can disable the button; both carry one key.
  await page.getByRole("button", { name: "Send besvarelse" }).evaluate((button) => { button.click(); button.click(); });
  await page.getByRole("heading", { name: "Tak for din besvarelse" }).waitFor();
  await check("receipt");
  findings.receipt = await page.locator("main").innerText();
  step("submitted");

  for (const [name, link] of [["history", "Mine besvarelser"], ["access-log", "Hvem har set mine oplysninger"],
    ["preferences", "Påmindelser"], ["accessibility", "Tilgængelighedserklæring"], ["privacy", "Privatlivspolitik"]]) {
    await page.getByRole("link", { name: link, exact: true }).first().click();
    await page.locator("h1").waitFor();
    await check(name);
  }
  await page.goto(`${base}/indstillinger`);
  await page.getByLabel("Jeg vil ikke have invitationer og påmindelser").check();
  await page.getByText("Du får ikke flere påmindelser.").waitFor();
  step("opted out");
} catch (error) {
  findings.error = String(error);
  await page.screenshot({ path: "e2e-failure.png" }).catch(() => {});
}
await browser.close();
console.log(JSON.stringify(findings));
process.exit(findings.error ? 1 : 0);
