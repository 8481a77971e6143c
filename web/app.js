// The what-if page: scenario and policy on the left, results on the right. All engine work runs in
// Web Workers (worker.js), so the page stays responsive while a day is simulated.
import { PRESETS } from "./presets.js";

const BUILTINS = [
  { name: "nearest available", color: "#f59e0b", checked: true },
  { name: "round-robin", color: "#8b5cf6", checked: true },
  { name: "least loaded", color: "#10b981", checked: false },
  { name: "greedy", color: "#ef4444", checked: false },
  { name: "optimiser", color: "#0ea5e9", checked: false },
];
const MAIN_COLOR = "#2563eb";
const PRIORITY_COLOR = { P1: "#d7263d", P2: "#f08c2e", P3: "#3f88c5", P4: "#98a2b3" };

const $ = (id) => document.getElementById(id);
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

// ---------------------------------------------------------------- engine (workers)

class Engine {
  constructor() { this.next = 1; this.pending = new Map(); this.start(); }
  start() {
    this.worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
    this.worker.onmessage = (e) => this.receive(e.data);
    this.worker.onerror = (e) => {
      for (const p of this.pending.values()) p.reject(new Error(e.message || "the engine failed to start"));
      this.pending.clear();
    };
  }
  receive(msg) {
    const p = this.pending.get(msg.id);
    if (!p) return;
    if ("progress" in msg) { p.progress?.(msg.progress); return; }
    this.pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.answer);
    else {
      if (msg.trap) { this.worker.terminate(); this.start(); }
      p.reject(new Error(msg.error));
    }
  }
  call(op, payload = {}, progress) {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, progress });
      this.worker.postMessage({ id, op, ...payload });
    });
  }
}

const sim = new Engine();    // simulations
const quick = new Engine();  // policy checks and explanations, never stuck behind a simulation

// ---------------------------------------------------------------- state

const state = {
  check: null,       // last policy check
  scenario: null,    // scenario of the last run
  runs: [],          // [{name, color, main, policy, answer, ms}]
  mapRun: 0,
  selected: null,    // ticket id
  view: null,        // map projection
};
window.dispatchkitPage = state;

function setState(s) { document.body.dataset.state = s; }

// ---------------------------------------------------------------- scenario form

function scenarioKind() { return document.querySelector("input[name=scenario]:checked").value; }

function num(id, fallback) {
  const v = Number($(id).value);
  return Number.isFinite(v) ? v : fallback;
}

function readForm() {
  const config = {
    speed_kmh: num("speed", 30),
    trigger: { mode: "every", minutes: Math.max(1, Math.round(num("every", 5))) },
  };
  const spec = scenarioKind() === "city"
    ? { city: { seed: Math.max(0, Math.round(num("seed", 1))), engineers: Math.round(num("engineers", 100)), tickets_per_hour: num("tickets-per-hour", 40) } }
    : { boston: { crew: Math.round(num("crew", 80)), days: Math.round(num("days", 3)) } };
  return { spec, config };
}

function summarise() {
  const kind = scenarioKind();
  $("city-fields").classList.toggle("hidden", kind !== "city");
  $("boston-fields").classList.toggle("hidden", kind !== "boston");
  if (kind === "city") {
    const n = Math.round(num("tickets-per-hour", 0) * 24);
    $("scenario-summary").textContent = `One day in a 15 km city: ${n.toLocaleString("en")} tickets arriving mostly 08–16, ${num("engineers", 0)} engineers on early, day and late shifts.`;
  } else {
    $("scenario-summary").textContent = `${num("crew", 0)} people a day for ${num("days", 0)} days, homed in the neighbourhoods by their share of requests; sidewalk and street-light crews on 04–12, 08–16 and 12–20 shifts.`;
  }
}

// ---------------------------------------------------------------- policy editor

const editor = $("policy");
let checkTimer = 0;
let checkSeq = 0;

function lineCount(text) { return text.split("\n").length; }

function renderGutter(diags = []) {
  const marks = new Map();
  for (const d of diags) {
    if (marks.get(d.line) !== "error") marks.set(d.line, d.severity);
  }
  const n = lineCount(editor.value);
  let html = "";
  for (let i = 1; i <= n; i++) {
    const m = marks.get(i);
    html += `<div data-line="${i}"${m ? ` class="has-${m}" title="${esc(diags.filter((d) => d.line === i).map((d) => d.message).join("\n"))}"` : ""}>${i}</div>`;
  }
  $("gutter").innerHTML = html;
  $("gutter").scrollTop = editor.scrollTop;
}

// The text again behind the textarea, with each diagnostic's line tinted and its span underlined,
// and the first message written at the end of its line.
function renderHighlight(diags = []) {
  const text = editor.value;
  const lines = text.split("\n");
  const byLine = new Map();
  for (const d of diags) {
    if (!byLine.has(d.line)) byLine.set(d.line, []);
    byLine.get(d.line).push(d);
  }
  const out = lines.map((line, i) => {
    const here = byLine.get(i + 1);
    if (!here) return esc(line) || " ";
    const d = here.find((x) => x.severity === "error") || here[0];
    const from = Math.max(0, d.column - 1);
    const to = d.end_line === d.line ? Math.max(from + 1, d.end_column - 1) : line.length;
    const chars = Array.from(line);
    const before = chars.slice(0, from).join("");
    const mid = chars.slice(from, to).join("") || " ";
    const after = chars.slice(to).join("");
    const cls = d.severity === "error" ? "lerr" : "lwarn";
    return `<span class="${cls}">${esc(before)}<mark class="${d.severity}">${esc(mid)}</mark>${esc(after)}` +
      `<span class="inline-msg ${d.severity}">   ◀ ${esc(d.message)}</span></span>`;
  });
  $("highlight").innerHTML = out.join("\n") + "\n";
  syncScroll();
}

function syncScroll() {
  $("highlight").scrollTop = editor.scrollTop;
  $("highlight").scrollLeft = editor.scrollLeft;
  $("gutter").scrollTop = editor.scrollTop;
}

function renderDiagnostics(check) {
  const diags = check.diagnostics || [];
  renderGutter(diags);
  renderHighlight(diags);
  const status = $("policy-status");
  const errors = diags.filter((d) => d.severity === "error").length;
  const warnings = diags.length - errors;
  if (check.ok) {
    const p = check.policy;
    const rules = p.rules.length;
    status.className = "policy-status ok";
    status.textContent = `✓ “${p.name}” v${p.version}: ${rules} rule${rules === 1 ? "" : "s"}` +
      (p.tests_passed ? `, ${p.tests_passed} test${p.tests_passed === 1 ? "" : "s"} passed` : "") +
      (warnings ? ` · ${warnings} warning${warnings === 1 ? "" : "s"}` : "");
  } else {
    status.className = "policy-status bad";
    status.textContent = `✗ ${errors} error${errors === 1 ? "" : "s"}: fix ${errors === 1 ? "it" : "them"} to run this policy`;
  }
  $("diagnostics").innerHTML = diags.map((d, i) =>
    `<li class="${d.severity}" data-i="${i}" data-line="${d.line}"><span class="where">Line ${d.line}:${d.column}</span>${esc(d.message)}` +
    (d.label ? ` <span class="tag">${esc(d.label)}</span>` : "") +
    (d.help ? `<span class="help">help: ${esc(d.help)}</span>` : "") + "</li>").join("");
  for (const li of $("diagnostics").querySelectorAll("li")) {
    li.onclick = () => {
      const d = diags[Number(li.dataset.i)];
      editor.focus();
      editor.setSelectionRange(d.start, Math.max(d.start, d.end));
      const lineHeight = 19;
      editor.scrollTop = Math.max(0, (d.line - 4) * lineHeight);
      syncScroll();
    };
  }
  updateRunButton();
}

async function checkNow() {
  const seq = ++checkSeq;
  const check = await quick.call("check", { source: editor.value });
  if (seq !== checkSeq) return;
  state.check = check;
  renderDiagnostics(check);
}

function onEdit() {
  renderGutter(state.check && state.check.diagnostics ? [] : []);
  renderHighlight([]);
  clearTimeout(checkTimer);
  checkTimer = setTimeout(() => checkNow().catch(showEngineError), 200);
}

function setSource(text) {
  editor.value = text;
  editor.scrollTop = 0;
  onEdit();
}

// ---------------------------------------------------------------- running

let running = false;

function updateRunButton() {
  const ok = !!(state.check && state.check.ok);
  $("run").disabled = running || !ok;
  $("run").textContent = running ? "Simulating…" : ok ? "Run simulation" : "Fix the policy to run";
}

function selectedBaselines() {
  return BUILTINS.filter((b) => $(`base-${b.name.replace(/\W+/g, "-")}`).checked);
}

async function run() {
  if (running || !state.check?.ok) return;
  running = true;
  updateRunButton();
  setState("running");
  $("engine-status").className = "pill pill-busy";
  $("engine-status").textContent = "Simulating…";
  const { spec, config } = readForm();
  const jobs = [
    { name: state.check.policy.name, color: MAIN_COLOR, main: true, policy: { rules: editor.value }, source: editor.value },
    ...selectedBaselines().map((b) => ({ name: b.name, color: b.color, main: false, policy: { builtin: b.name } })),
  ];
  const bar = $("progress-bar");
  bar.style.width = "0";
  try {
    const scenario = await sim.call("scenario", { spec });
    if (scenario.error) throw new ApiError(scenario.error);
    const runs = [];
    for (const [i, job] of jobs.entries()) {
      $("run-status").textContent = `Simulating ${job.main ? "your policy" : job.name} (${i + 1} of ${jobs.length})…`;
      const { answer, ms } = await sim.call("simulate", { spec, policy: job.policy, config },
        (f) => { bar.style.width = `${(100 * (i + f)) / jobs.length}%`; });
      if (answer.error) throw new ApiError(answer.error);
      runs.push({ ...job, answer, ms });
    }
    bar.style.width = "100%";
    state.scenario = scenario;
    state.runs = runs;
    state.mapRun = 0;
    state.selected = null;
    renderResults();
    const main = runs[0];
    $("run-status").textContent = `Done: ${scenario.tickets.length.toLocaleString("en")} tickets, ${scenario.engineers.length.toLocaleString("en")} engineer shifts; your policy took ${(main.ms / 1000).toFixed(2)} s.`;
    setState("done");
    $("engine-status").className = "pill pill-ok";
    $("engine-status").textContent = "Engine ready";
  } catch (e) {
    setState("error");
    $("engine-status").className = "pill pill-ok";
    $("engine-status").textContent = "Engine ready";
    $("run-status").textContent = e instanceof ApiError ? `Could not run: ${e.message}` : `The engine failed: ${e.message}`;
    if (e instanceof ApiError && e.doc.diagnostics) renderDiagnostics({ ok: false, diagnostics: e.doc.diagnostics });
  } finally {
    running = false;
    updateRunButton();
  }
}

class ApiError extends Error {
  constructor(doc) { super(doc.message); this.doc = doc; }
}

// ---------------------------------------------------------------- results: KPIs

const KPIS = [
  { key: "sla", label: "SLA met", unit: "%", better: 1, get: (k) => k.sla.attainment_pct, fmt: (v) => v.toFixed(1) },
  { key: "resolved", label: "Resolved", unit: "", better: 1, get: (k) => k.resolved, fmt: (v, k) => `${v}`, suffix: (k) => ` / ${k.tickets}` },
  { key: "arrival", label: "Mean time to arrive", unit: "min", better: -1, get: (k) => k.response_arrival.mean_min, fmt: (v) => v.toFixed(0) },
  { key: "travel", label: "Travel per visit", unit: "km", better: -1, get: (k) => k.travel_km_per_ticket, fmt: (v) => v.toFixed(1) },
  { key: "ftf", label: "First-time fix", unit: "%", better: 1, get: (k) => k.first_time_fix_pct, fmt: (v) => v.toFixed(1) },
  { key: "utilisation", label: "Utilisation", unit: "%", better: 0, get: (k) => k.utilisation_pct, fmt: (v) => v.toFixed(0) },
];

function renderKpis() {
  const [main, ...others] = state.runs;
  const k = main.answer.report.kpis;
  $("kpis").innerHTML = KPIS.map((m) => {
    const v = m.get(k);
    let delta = "";
    if (others.length && m.better !== 0) {
      const best = others.map((r) => m.get(r.answer.report.kpis)).reduce((a, b) => (m.better > 0 ? Math.max(a, b) : Math.min(a, b)));
      const diff = v - best;
      const cls = Math.abs(diff) < 1e-9 ? "same" : (diff * m.better > 0 ? "better" : "worse");
      const sign = diff > 0 ? "+" : diff < 0 ? "−" : "±";
      delta = `<div class="delta ${cls}">${sign}${m.fmt(Math.abs(diff), k)}${m.unit ? " " + m.unit : ""} vs best baseline</div>`;
    } else if (m.key === "utilisation") {
      delta = `<div class="delta same">of shift time, busy</div>`;
    }
    return `<div class="kpi" data-kpi="${m.key}"><div class="label">${m.label}</div>` +
      `<div class="value"><span class="num">${m.fmt(v, k)}</span><span class="unit">${m.suffix ? esc(m.suffix(k)) : m.unit ? " " + m.unit : ""}</span></div>${delta}</div>`;
  }).join("");
}

function renderCompare() {
  const cols = KPIS.filter((m) => m.key !== "resolved");
  const head = `<thead><tr><th>Policy</th><th>Resolved</th>${cols.map((m) => `<th>${m.label}${m.unit ? ` (${m.unit})` : ""}</th>`).join("")}<th>Run time</th></tr></thead>`;
  const bests = cols.map((m) => {
    if (!m.better) return null;
    const vals = state.runs.map((r) => m.get(r.answer.report.kpis));
    return m.better > 0 ? Math.max(...vals) : Math.min(...vals);
  });
  const rows = state.runs.map((r) => {
    const k = r.answer.report.kpis;
    const cells = cols.map((m, i) => {
      const v = m.get(k);
      const best = bests[i] !== null && state.runs.length > 1 && Math.abs(v - bests[i]) < 1e-9;
      return `<td${best ? ' class="best"' : ""}>${m.fmt(v, k)}</td>`;
    }).join("");
    return `<tr class="${r.main ? "main" : ""}" data-policy="${esc(r.name)}"><td><span class="swatch" style="background:${r.color}"></span> ${esc(r.name)}${r.main ? ' <span class="tag">your policy</span>' : ""}</td>` +
      `<td>${k.resolved} / ${k.tickets}</td>${cells}<td>${(r.ms / 1000).toFixed(2)} s</td></tr>`;
  }).join("");
  $("compare").innerHTML = head + `<tbody>${rows}</tbody>`;
}

// ---------------------------------------------------------------- results: map

function clock(minute, days) {
  const d = Math.floor(minute / 1440);
  const m = ((minute % 1440) + 1440) % 1440;
  const hhmm = `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
  return days > 1 ? `day ${d + 1}, ${hhmm}` : hhmm;
}

function minuteOf(time) { return Math.round((Date.parse(time) - Date.parse(state.scenario.start)) / 60000); }

function periodDays() { return Math.round((Date.parse(state.scenario.end) - Date.parse(state.scenario.start)) / 86400000); }

// The last decision for each original ticket of a run.
function assignments(run) {
  const out = new Map();
  for (const d of run.answer.dispatches) {
    if (!d.ticket.includes("#")) out.set(d.ticket, d);
  }
  return out;
}

function homes() {
  const seen = new Map();
  for (const e of state.scenario.engineers) {
    const key = e.id.split("/")[0];
    if (!seen.has(key)) seen.set(key, e.location);
  }
  return [...seen.values()];
}

function drawMap() {
  const canvas = $("map");
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);

  const tickets = state.scenario.tickets;
  const points = tickets.map((t) => t.location).concat(homes());
  let [minLat, maxLat, minLon, maxLon] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const p of points) {
    minLat = Math.min(minLat, p.lat); maxLat = Math.max(maxLat, p.lat);
    minLon = Math.min(minLon, p.lon); maxLon = Math.max(maxLon, p.lon);
  }
  const kx = Math.cos(((minLat + maxLat) / 2) * Math.PI / 180);
  const pad = 24;
  const spanX = Math.max(1e-6, (maxLon - minLon) * kx), spanY = Math.max(1e-6, maxLat - minLat);
  const scale = Math.min((w - 2 * pad) / spanX, (h - 2 * pad) / spanY);
  const ox = (w - spanX * scale) / 2, oy = (h - spanY * scale) / 2;
  const xy = (p) => [ox + (p.lon - minLon) * kx * scale, h - oy - (p.lat - minLat) * scale];
  state.view = { xy };

  // A kilometre grid, for scale.
  const kmPx = scale / 111.195;
  const step = kmPx * 5;
  ctx.strokeStyle = "#e0e6ef";
  ctx.lineWidth = 1;
  for (let x = ox % step; x < w; x += step) { ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, h); ctx.stroke(); }
  for (let y = (h - oy) % step; y < h; y += step) { ctx.beginPath(); ctx.moveTo(0, y); ctx.lineTo(w, y); ctx.stroke(); }
  ctx.fillStyle = "#667085";
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillRect(12, h - 16, step, 2);
  ctx.fillText("5 km", 12, h - 20);

  const run = state.runs[state.mapRun];
  const given = assignments(run);
  const byId = new Map(tickets.map((t) => [t.id, t]));

  ctx.lineWidth = 1;
  for (const [id, d] of given) {
    const t = byId.get(id);
    if (!t) continue;
    const [x1, y1] = xy(d.from), [x2, y2] = xy(t.location);
    ctx.strokeStyle = PRIORITY_COLOR[t.priority] + "55";
    ctx.beginPath(); ctx.moveTo(x1, y1); ctx.lineTo(x2, y2); ctx.stroke();
  }
  ctx.fillStyle = "#1d2433";
  for (const p of homes()) {
    const [x, y] = xy(p);
    ctx.save(); ctx.translate(x, y); ctx.rotate(Math.PI / 4); ctx.fillRect(-3, -3, 6, 6); ctx.restore();
  }
  const order = ["P4", "P3", "P2", "P1"];
  for (const pr of order) {
    for (const t of tickets) {
      if (t.priority !== pr) continue;
      const [x, y] = xy(t.location);
      ctx.beginPath(); ctx.arc(x, y, 3.6, 0, 2 * Math.PI);
      if (given.has(t.id)) {
        ctx.fillStyle = PRIORITY_COLOR[pr]; ctx.fill();
      } else {
        ctx.lineWidth = 1.6; ctx.strokeStyle = "#475467"; ctx.stroke();
      }
    }
  }
  if (state.selected) {
    const t = byId.get(state.selected);
    const d = given.get(state.selected);
    const [x, y] = xy(t.location);
    if (d) {
      const [fx, fy] = xy(d.from);
      ctx.strokeStyle = "#111827"; ctx.lineWidth = 2.5;
      ctx.beginPath(); ctx.moveTo(fx, fy); ctx.lineTo(x, y); ctx.stroke();
      ctx.beginPath(); ctx.arc(fx, fy, 5, 0, 2 * Math.PI); ctx.stroke();
    }
    ctx.strokeStyle = "#111827"; ctx.lineWidth = 2.5;
    ctx.beginPath(); ctx.arc(x, y, 8, 0, 2 * Math.PI); ctx.stroke();
  }
}

function ticketAt(px, py) {
  let best = null, bestD = 10 * 10;
  for (const t of state.scenario.tickets) {
    const [x, y] = state.view.xy(t.location);
    const d = (x - px) ** 2 + (y - py) ** 2;
    if (d < bestD) { bestD = d; best = t; }
  }
  return best;
}

async function explainTicket(t) {
  state.selected = t.id;
  drawMap();
  const panel = $("explain");
  panel.classList.remove("hidden");
  panel.dataset.ticket = t.id;
  // Keep the ticket in sight: the panel goes on the other half of the map.
  panel.classList.toggle("on-left", state.view.xy(t.location)[0] > $("map").clientWidth / 2);
  const run = state.runs[state.mapRun];
  const d = assignments(run).get(t.id);
  const days = periodDays();
  const due = t.sla_due ? clock(minuteOf(t.sla_due), days) : "none";
  let html = `<h3><span>Ticket ${esc(t.id)}</span><button class="close" aria-label="Close">×</button></h3>` +
    `<div class="meta"><span class="tag" style="background:${PRIORITY_COLOR[t.priority]};color:#fff">${t.priority}</span> ${esc(t.category)} level ${t.min_level} · ${t.duration_min} min on site<br>` +
    `created ${clock(minuteOf(t.created_at), days)} · SLA due ${due}</div>`;
  const policyText = run.main ? run.source : undefined;
  const by = run.main ? "" : `<p class="note">“${esc(run.name)}” decides by its own rule; the verdicts below are the default policy's.</p>`;
  panel.innerHTML = html + `<p class="note">Explaining…</p>`;
  try {
    if (d) {
      const engineer = state.scenario.engineers.find((e) => e.id === d.engineer);
      const request = { ticket: t, engineer: { ...engineer, location: d.from, open_tickets: d.held }, now: new Date(Date.parse(state.scenario.start) + d.minute * 60000).toISOString(), policy: policyText };
      const x = await quick.call("explain", { request });
      if (x.error) throw new ApiError(x.error);
      html += `<div class="verdict ${x.eligible ? "ok" : "no"}">Assigned to <b>${esc(d.engineer)}</b> at ${clock(d.minute, days)}, ${x.travel_km.toFixed(1)} km away` +
        (d.held ? ` (after ${d.held} ticket${d.held === 1 ? "" : "s"} in hand)` : "") + `</div>` + by;
      html += `<table><thead><tr><th>Rule</th><th>Kind</th><th class="num">Result</th></tr></thead><tbody>` +
        x.rules.map((r) => `<tr><td>${esc(r.rule)}${r.counterfactual ? `<br><span class="note">${esc(r.counterfactual)}</span>` : ""}</td><td><span class="tag">${r.kind}</span></td><td class="num">` +
          (r.kind === "require" ? (!r.applies ? "n/a" : r.passed ? '<span class="pass">✓ pass</span>' : '<span class="fail">✗ fail</span>') : (r.applies ? `${r.points >= 0 ? "+" : ""}${r.points.toFixed(2)}` : "n/a")) + `</td></tr>`).join("") +
        `</tbody><tfoot><tr><th colspan="2">Cost</th><th class="num">${x.cost.toFixed(2)} pts</th></tr></tfoot></table>` +
        (x.triage.length ? `<p class="note">Triage: ${x.triage.map(esc).join(", ")}</p>` : "");
    } else {
      const engineers = state.scenario.engineers;
      const request = { engineers, ticket: t, now: t.created_at, policy: policyText };
      const r = await quick.call("candidates", { request });
      if (r.error) throw new ApiError(r.error);
      html += `<div class="verdict no">Never assigned by “${esc(run.name)}”.</div>` + by +
        `<p>When it arrived, from their home bases:</p>`;
      const top = r.eligible.slice(0, 5);
      html += top.length
        ? `<table><thead><tr><th>Eligible engineer</th><th class="num">km</th><th class="num">cost</th></tr></thead><tbody>` +
          top.map((c) => `<tr><td>${esc(c.engineer)}</td><td class="num">${c.distance_km.toFixed(1)}</td><td class="num">${c.cost.total.toFixed(2)}</td></tr>`).join("") + `</tbody></table>`
        : `<p class="fail">No engineer could take it.</p>`;
      const reasons = new Map();
      for (const x of r.rejected) {
        const why = x.violation.constraint || x.violation.rule || "rule";
        reasons.set(why, (reasons.get(why) || 0) + 1);
      }
      if (reasons.size) html += `<p class="note">Nearby but not eligible: ${[...reasons].map(([k, n]) => `${n} by ${esc(k)}`).join(", ")}.</p>`;
      html += `<p class="note">Every eligible engineer stayed busy with more urgent or cheaper tickets until the end of the period.</p>`;
    }
  } catch (e) {
    html += `<p class="fail">${esc(e.message)}</p>`;
  }
  if (state.selected === t.id) {
    panel.innerHTML = html;
    panel.querySelector(".close").onclick = () => { panel.classList.add("hidden"); state.selected = null; drawMap(); };
  }
}

// ---------------------------------------------------------------- results: charts

function svgLineChart(series, { width = 640, height = 250, xMax, xTicks, yLabel }) {
  const m = { l: 44, r: 12, t: 12, b: 28 };
  const yMax = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[1])));
  const niceMax = (() => { const p = 10 ** Math.floor(Math.log10(yMax)); return Math.ceil(yMax / p) * p; })();
  const X = (x) => m.l + (x / xMax) * (width - m.l - m.r);
  const Y = (y) => height - m.b - (y / niceMax) * (height - m.t - m.b);
  let s = `<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(yLabel)}">`;
  for (let i = 0; i <= 4; i++) {
    const v = (niceMax * i) / 4;
    s += `<line x1="${m.l}" x2="${width - m.r}" y1="${Y(v)}" y2="${Y(v)}" stroke="#edf0f5"/>`;
    s += `<text x="${m.l - 6}" y="${Y(v) + 4}" text-anchor="end">${Math.round(v)}</text>`;
  }
  for (const [x, label] of xTicks) {
    const anchor = x === 0 ? "start" : x >= xMax ? "end" : "middle";
    s += `<text x="${X(x)}" y="${height - 8}" text-anchor="${anchor}">${label}</text>`;
  }
  for (const se of series) {
    const d = se.points.map((p, i) => `${i ? "L" : "M"}${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join("");
    s += `<path d="${d}" fill="none" stroke="${se.color}" stroke-width="${se.main ? 2.6 : 1.6}" stroke-linejoin="round"/>`;
  }
  const lx = m.l + 8;
  series.forEach((se, i) => {
    s += `<rect x="${lx}" y="${m.t + 4 + i * 16}" width="10" height="3" fill="${se.color}"/>` +
      `<text x="${lx + 16}" y="${m.t + 9 + i * 16}">${esc(se.name)}</text>`;
  });
  return s + "</svg>";
}

function renderCharts() {
  const days = periodDays();
  const xMax = days * 1440;
  const every = days > 1 ? 1440 : 180;
  const ticks = [];
  for (let x = 0; x < xMax || (days === 1 && x === xMax); x += every) ticks.push([x, days > 1 ? `day ${x / 1440 + 1}` : `${String(x / 60).padStart(2, "0")}:00`]);
  $("chart-backlog").innerHTML = svgLineChart(
    state.runs.map((r) => ({ name: r.name, color: r.color, main: r.main, points: r.answer.report.backlog.map((b) => [b.minute, b.open]) })),
    { xMax, xTicks: ticks, yLabel: "open tickets" });

  const width = 400, rowH = 34, m = { l: 130, r: 56 };
  const height = state.runs.length * rowH + 10;
  let s = `<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="SLA attainment per policy">`;
  state.runs.forEach((r, i) => {
    const v = r.answer.report.kpis.sla.attainment_pct;
    const y = 6 + i * rowH;
    const bw = ((width - m.l - m.r) * v) / 100;
    s += `<text x="${m.l - 8}" y="${y + 17}" text-anchor="end">${esc(r.name)}</text>` +
      `<rect x="${m.l}" y="${y + 4}" width="${width - m.l - m.r}" height="18" rx="4" fill="#eef1f6"/>` +
      `<rect x="${m.l}" y="${y + 4}" width="${bw.toFixed(1)}" height="18" rx="4" fill="${r.color}"/>` +
      `<text x="${m.l + bw + 6}" y="${y + 17}">${v.toFixed(1)} %</text>`;
  });
  $("chart-sla").innerHTML = s + "</svg>";
}

// ---------------------------------------------------------------- results

function renderResults() {
  $("empty").classList.add("hidden");
  $("results").classList.remove("hidden");
  $("explain").classList.add("hidden");
  renderKpis();
  renderCompare();
  $("map-policy").innerHTML = state.runs.map((r, i) => `<option value="${i}">${esc(r.name)}${r.main ? " (your policy)" : ""}</option>`).join("");
  $("map-policy").value = String(state.mapRun);
  drawMap();
  renderCharts();
  const main = state.runs[0];
  const held = main.answer.held_back;
  const notes = [`Scenario: ${state.scenario.name}.`];
  if (held.length) {
    notes.push(`The simulator held back ${held.map((h) => `${h.count.toLocaleString("en")} decisions (${h.reason})`).join(", ")} of your policy: add the rule that rules them out.`);
  }
  $("foot").textContent = notes.join(" ");
}

// ---------------------------------------------------------------- wiring

function showEngineError(e) {
  $("engine-status").className = "pill pill-err";
  $("engine-status").textContent = "Engine failed";
  $("run-status").textContent = `The engine could not start: ${e.message}`;
}

function setup() {
  for (const p of PRESETS) {
    const o = document.createElement("option");
    o.value = p.id;
    o.textContent = p.label;
    $("preset").append(o);
  }
  $("preset").onchange = () => setSource(PRESETS.find((p) => p.id === $("preset").value).source);
  $("baselines").innerHTML = BUILTINS.map((b) => {
    const id = `base-${b.name.replace(/\W+/g, "-")}`;
    return `<label><input type="checkbox" id="${id}"${b.checked ? " checked" : ""}><span class="swatch" style="background:${b.color}"></span>${b.name}</label>`;
  }).join("");
  for (const el of document.querySelectorAll("input[name=scenario], #city-fields input, #boston-fields input")) {
    el.addEventListener("input", summarise);
  }
  editor.addEventListener("input", onEdit);
  editor.addEventListener("scroll", syncScroll);
  editor.addEventListener("keydown", (e) => {
    if (e.key === "Tab") {
      e.preventDefault();
      editor.setRangeText("    ", editor.selectionStart, editor.selectionEnd, "end");
      onEdit();
    } else if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      run();
    }
  });
  $("run").onclick = run;
  $("map-policy").onchange = () => {
    state.mapRun = Number($("map-policy").value);
    if (state.selected) explainTicket(state.scenario.tickets.find((t) => t.id === state.selected));
    else drawMap();
  };
  $("map").addEventListener("click", (e) => {
    if (!state.view) return;
    const r = $("map").getBoundingClientRect();
    const t = ticketAt(e.clientX - r.left, e.clientY - r.top);
    if (t) explainTicket(t);
  });
  window.addEventListener("resize", () => { if (state.runs.length) drawMap(); });
  summarise();
  setSource(PRESETS[0].source);
  setState("loading");
  sim.call("hello").then((hello) => {
    $("engine-status").className = "pill pill-ok";
    $("engine-status").textContent = `Engine ready · v${hello.version}`;
    setState("ready");
    updateRunButton();
  }).catch(showEngineError);
  // build.sh writes the manifest: whether the Boston extract could be built here.
  fetch("data/manifest.json").then((r) => r.json()).then((m) => {
    if (!m.boston) throw new Error();
  }).catch(() => {
    const boston = document.querySelector("input[name=scenario][value=boston]");
    boston.disabled = true;
    boston.parentElement.title = "The Boston extract was not built (web/build.sh needs ../shared/data)";
    boston.parentElement.style.opacity = 0.5;
  });
}

setup();
