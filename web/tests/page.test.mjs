// The page end to end in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core):
// load it, run a day, check the KPIs shown against the JSON report, explain a ticket, see a policy
// error at its line, replay Boston; any console error fails the test. Screenshots go to
// target/web-e2e/. Run from the repository root after `bash web/build.sh`:
//
//   node --test web/tests/
//
// CHROMIUM overrides the browser's path; PAGE_URL points at a server already serving web/ (otherwise
// the test serves it itself with python3 -m http.server and stops it at the end).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = fileURLToPath(new URL(".", import.meta.url));
const webDir = resolve(here, "..");
const shots = resolve(here, "../../target/web-e2e");
const FLAGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
];

let server, context, page, base, profile;
const consoleErrors = [];

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.on("error", fail);
    s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => ok(port)); });
  });
}

async function waitForServer(url) {
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(url)).ok) return; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no server at ${url}`);
}

before(async () => {
  mkdirSync(shots, { recursive: true });
  if (process.env.PAGE_URL) {
    base = process.env.PAGE_URL.replace(/\/?$/, "/");
  } else {
    const port = await freePort();
    server = spawn("python3", ["-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", webDir], { stdio: "ignore" });
    base = `http://127.0.0.1:${port}/`;
  }
  await waitForServer(base);
  profile = mkdtempSync(join(process.env.TMPDIR || tmpdir(), "dk-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: FLAGS,
    viewport: { width: 1440, height: 1000 },
  });
  page = context.pages()[0] || (await context.newPage());
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  context.on("weberror", (e) => consoleErrors.push(String(e.error())));
  await page.goto(base);
  await page.waitForSelector("body[data-state=ready]", { timeout: 30000 });
});

after(async () => {
  await context?.close();
  server?.kill();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

const kpiText = {
  sla: (k) => k.sla.attainment_pct.toFixed(1),
  resolved: (k) => String(k.resolved),
  arrival: (k) => k.response_arrival.mean_min.toFixed(0),
  travel: (k) => k.travel_km_per_ticket.toFixed(1),
  ftf: (k) => k.first_time_fix_pct.toFixed(1),
  utilisation: (k) => k.utilisation_pct.toFixed(0),
};

test("every preset policy compiles", async () => {
  const ids = await page.$$eval("#preset option", (os) => os.map((o) => o.value));
  assert.ok(ids.length >= 4);
  for (const id of ids) {
    await page.selectOption("#preset", id);
    await page.waitForSelector(".policy-status.ok", { timeout: 10000 });
  }
  await page.selectOption("#preset", ids[0]);
  await page.waitForSelector(".policy-status.ok");
});

test("a day of 1,000 tickets and 100 engineers: the KPIs shown are the report's", async () => {
  await page.fill("#engineers", "100");
  await page.fill("#tickets-per-hour", "41.67");
  await page.click("#run");
  await page.waitForSelector("body[data-state=done]", { timeout: 120000 });
  const runs = await page.evaluate(() => window.dispatchkitPage.runs.map((r) => ({ name: r.name, main: r.main, ms: r.ms, report: r.answer.report, dispatches: r.answer.dispatches.length })));
  const scenario = await page.evaluate(() => ({ tickets: window.dispatchkitPage.scenario.tickets.length, engineers: window.dispatchkitPage.scenario.engineers.length }));
  assert.deepEqual(scenario, { tickets: 1000, engineers: 100 });
  assert.equal(runs.length, 3, "your policy and the two baselines checked by default");
  const main = runs[0];
  assert.equal(main.report.kpis.tickets, 1000);
  for (const [key, text] of Object.entries(kpiText)) {
    const shown = await page.textContent(`[data-kpi=${key}] .num`);
    assert.equal(shown, text(main.report.kpis), `KPI card ${key}`);
  }
  for (const r of runs) {
    const row = await page.textContent(`#compare tr[data-policy="${r.name}"]`);
    assert.ok(row.includes(`${r.report.kpis.resolved} / ${r.report.kpis.tickets}`), `${r.name}: ${row}`);
    assert.ok(row.includes(kpiText.sla(r.report.kpis)), `${r.name}: ${row}`);
    assert.equal(r.dispatches, r.report.events.decisions);
  }
  // The same request straight through the bindings on the main thread gives the same report as the
  // worker did: the page shows the engine's numbers, not its own.
  const direct = await page.evaluate(async () => {
    const dk = await import("./pkg/dispatchkit_web.js");
    await dk.default();
    const source = document.getElementById("policy").value;
    const request = { scenario: { city: { seed: 1, engineers: 100, tickets_per_hour: 41.67 } }, policy: { rules: source }, config: { speed_kmh: 30, trigger: { mode: "every", minutes: 5 } } };
    return JSON.parse(dk.simulate(JSON.stringify(request))).report;
  });
  assert.deepEqual(direct, main.report);
  console.log(`browser simulation: ${main.report.kpis.tickets} tickets x 100 engineers, one day, policy "${main.name}" (optimiser): ${main.ms.toFixed(0)} ms`);
  assert.ok(main.ms <= 2000, `the day took ${main.ms} ms in the browser (budget 2,000 ms)`);
  await page.screenshot({ path: join(shots, "page.png"), fullPage: true });
});

test("clicking a ticket explains its assignment", async () => {
  // An assigned ticket of your policy, and where it is drawn.
  const target = await page.evaluate(() => {
    const s = window.dispatchkitPage;
    const d = s.runs[0].answer.dispatches.find((x) => !x.ticket.includes("#"));
    const t = s.scenario.tickets.find((x) => x.id === d.ticket);
    const [x, y] = s.view.xy(t.location);
    return { id: t.id, engineer: d.engineer, x, y };
  });
  await page.click("#map", { position: { x: target.x, y: target.y } });
  await page.waitForFunction(() => document.querySelector("#explain table"), null, { timeout: 10000 });
  const text = await page.textContent("#explain");
  // The nearest ticket to the click is the one explained (another may be drawn on top of it).
  const shownId = await page.getAttribute("#explain", "data-ticket");
  assert.ok(text.includes(`Ticket ${shownId}`), text);
  const assigned = await page.evaluate((id) => {
    const d = window.dispatchkitPage.runs[0].answer.dispatches.filter((x) => x.ticket === id).pop();
    return d ? d.engineer : null;
  }, shownId);
  if (assigned) {
    assert.ok(text.includes(`Assigned to ${assigned}`), text);
    for (const rule of ["reach", "skill", "on_shift", "distance"]) assert.ok(text.includes(rule), `rule ${rule} in ${text}`);
    assert.match(text, /Cost\s*-?\d+\.\d\d pts/);
  } else {
    assert.ok(text.includes("Never assigned"), text);
  }
  await page.screenshot({ path: join(shots, "explain.png") });
});

test("a policy error is shown at its line", async () => {
  const bad = [
    'policy "typo" version 1',
    "",
    "require reach: travel <= 50km",
    "require on_shift: engineer.on_shift(now())",
    "require skill: engineer.skil(ticket.category) >= ticket.min_level",
    "penalize distance 1 per km: travel",
  ].join("\n");
  await page.fill("#policy", bad);
  await page.waitForSelector(".policy-status.bad", { timeout: 10000 });
  assert.equal(await page.getAttribute('#gutter div[data-line="5"]', "class"), "has-error");
  for (const line of [1, 2, 3, 4, 6]) {
    assert.equal(await page.getAttribute(`#gutter div[data-line="${line}"]`, "class"), null, `line ${line}`);
  }
  const first = await page.$eval("#diagnostics li", (li) => ({ line: li.dataset.line, text: li.textContent }));
  assert.equal(first.line, "5");
  assert.match(first.text, /^Line 5:\d+/);
  assert.match(first.text, /skil/);
  // The marked text on line 5 is the misspelt method.
  const marked = await page.textContent("#highlight mark");
  assert.match(marked, /skil/);
  assert.equal(await page.isDisabled("#run"), true);
  await page.screenshot({ path: join(shots, "policy-error.png") });
});

test("the Boston replay runs from its extract", async () => {
  await page.selectOption("#preset", "balanced");
  await page.waitForSelector(".policy-status.ok");
  await page.click("label:has(> input[name=scenario][value=boston])");
  assert.equal(await page.isChecked("input[name=scenario][value=boston]"), true);
  await page.fill("#crew", "80");
  await page.fill("#days", "3");
  for (const id of await page.$$eval("#baselines input:checked", (is) => is.map((i) => i.id))) {
    await page.uncheck(`#${id}`);
  }
  await page.click("#run");
  await page.waitForSelector("body[data-state=done]", { timeout: 120000 });
  const r = await page.evaluate(() => ({ tickets: window.dispatchkitPage.scenario.tickets.length, runs: window.dispatchkitPage.runs.length, kpis: window.dispatchkitPage.runs[0].answer.report.kpis, ms: window.dispatchkitPage.runs[0].ms }));
  assert.equal(r.runs, 1);
  assert.equal(r.tickets, 2422);
  assert.equal(r.kpis.tickets, 2422);
  assert.ok(r.kpis.resolved > 2000, `resolved ${r.kpis.resolved}`);
  assert.equal(await page.textContent("[data-kpi=sla] .num"), kpiText.sla(r.kpis));
  console.log(`browser simulation: Boston replay, 2,422 requests, 80 crew a day, 3 days: ${r.ms.toFixed(0)} ms`);
  await page.screenshot({ path: join(shots, "boston.png"), fullPage: true });
});

test("no console errors", () => {
  assert.deepEqual(consoleErrors, []);
});
