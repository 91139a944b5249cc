// The browser UI end to end: Debian's Chromium, driven by playwright-core,
// against `dashstream run` daemons on the real broker, fed by
// `dashstream produce` with its ground truth. Checks (issue 23):
//   1. the overview's numbers equal /metrics;
//   2. injected gaps appear in the thread view;
//   3. a daemon restart mid-stream ends with the page caught up, nothing
//      missing and nothing twice, against the producer's ground truth;
//   4. a tenant token sees only its tenant, an admin token all;
//   5. at 2 000 events/s, the page's frame times (Performance API), reported;
//   6. the address `dashstream demo` prints shows live data within seconds.
// Screenshots of every view go to <out>/; DS_UI_SCREENSHOTS_TO=<dir> also
// copies them there (docs/ui/ when refreshing docs/ui.md).
// DS_UI_E2E_ONLY=rate (a comma list of stream, rate, narrow, tenants, demo) runs
// only those scenarios.
//
//   node ui_e2e_test.mjs <dashstream> <bootstrap-file> <ui-dist> <out-dir>
import { spawn, spawnSync } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const [bin, bootstrapFile, uiDist, outDir] = process.argv.slice(2);
if (!outDir) {
  console.error("usage: ui_e2e_test.mjs <dashstream> <bootstrap-file> <ui-dist> <out-dir>");
  process.exit(2);
}
if (!fs.existsSync(path.join(uiDist, "index.html"))) {
  console.error(`FAIL: no built UI at ${uiDist}: run scripts/ui.sh build first`);
  process.exit(1);
}
const here = path.dirname(fileURLToPath(import.meta.url));
const uiRoot = path.resolve(here, "../../ui");
const { chromium } = createRequire(path.join(uiRoot, "package.json"))("playwright-core");
const chromiumPath = process.env.DS_CHROMIUM ?? "/usr/bin/chromium";

const brokers = fs.readFileSync(bootstrapFile, "utf8").trim();
fs.mkdirSync(outDir, { recursive: true });
const run = `${Date.now()}-${randomBytes(3).toString("hex")}`;
const results = { run, checks: [] };

const log = (...a) => console.log(new Date().toISOString().slice(11, 23), ...a);
let failures = 0;
function check(ok, what, detail = "") {
  results.checks.push({ ok: !!ok, what, detail });
  log(ok ? "ok  " : "FAIL", what, detail);
  if (!ok) failures++;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, fn, timeoutMs = 60_000, everyMs = 250) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

// -- processes ---------------------------------------------------------------

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
    s.on("error", reject);
  });
}

function produce(topic, args, wait = true) {
  const argv = ["produce", "--brokers", brokers, "--topic", topic, "--json", ...args];
  if (wait) {
    const r = spawnSync(bin, argv, { encoding: "utf8", timeout: 300_000 });
    if (r.status !== 0) throw new Error(`produce failed: ${r.stderr || r.stdout}`);
    return r.stdout;
  }
  const child = spawn(bin, argv, { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  return new Promise((resolve, reject) =>
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`produce exited ${code}: ${err}`)))),
  );
}

const daemons = [];
class Daemon {
  constructor(name, topic, port, settings = []) {
    Object.assign(this, { name, topic, port, settings });
    daemons.push(this);
    this.work = fs.mkdtempSync(path.join(outDir, `${name}-`));
    this.starts = 0;
  }
  async start() {
    const logFile = path.join(this.work, `daemon-${++this.starts}.log`);
    const argv = ["run", "--brokers", brokers, "--topic", this.topic, "--group-id", `${this.topic}-g`,
      "--port", String(this.port), "--set", `dlq.spool_dir=${path.join(this.work, "spool")}`,
      "--set", `http.ui_dir=${uiDist}`, "--set", "log.format=json"];
    for (const s of this.settings) argv.push("--set", s);
    const fd = fs.openSync(logFile, "w");
    this.proc = spawn(bin, argv, { stdio: ["ignore", fd, fd] });
    this.logFile = logFile;
    await until(`${this.name} ready`, async () => {
      if (this.proc.exitCode !== null) throw new Error(`${this.name} exited: ${fs.readFileSync(logFile, "utf8").slice(-2000)}`);
      try {
        return (await fetch(`${this.url}/ready`)).status === 200;
      } catch {
        return false;
      }
    }, 120_000);
    log(`${this.name} ready on ${this.url}`);
  }
  get url() {
    return `http://127.0.0.1:${this.port}`;
  }
  async stop() {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    const done = new Promise((r) => proc.on("exit", () => r(true)));
    proc.kill("SIGTERM");
    if (await Promise.race([done, sleep(30_000).then(() => false)])) return;
    // Stuck: keep its threads' stacks for the report, then kill it.
    const bt = spawnSync("gdb", ["-p", String(proc.pid), "-batch", "-ex", "thread apply all bt 30"], { encoding: "utf8" });
    fs.writeFileSync(path.join(this.work, "stuck-stacks.txt"), (bt.stdout ?? "") + (bt.stderr ?? ""));
    proc.kill("SIGKILL");
    check(false, `${this.name} exits on SIGTERM within 30 s`, `stacks in ${this.work}/stuck-stacks.txt`);
  }
  async metrics() {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    const sum = (family, labels = {}) => {
      let total = 0;
      for (const line of text.split("\n")) {
        if (!line.startsWith(family)) continue;
        const m = line.match(/^([a-z_]+)(\{[^}]*\})? (\S+)$/);
        if (!m || m[1] !== family) continue;
        const ls = Object.fromEntries([...(m[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
        if (Object.entries(labels).every(([k, v]) => ls[k] === v)) total += Number(m[3]);
      }
      return total;
    };
    return sum;
  }
}

function createTopic(topic, partitions) {
  produce(topic, ["--count", "0", "--create-topic", String(partitions)]);
}

// -- the page ----------------------------------------------------------------

const browser = await chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});

async function openPage(url, viewport = { width: 1280, height: 800 }) {
  const ctx = await browser.newContext({ viewport });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => log("page error:", e.message));
  await page.goto(url);
  return page;
}
const hooks = (page, expr) =>
  page.evaluate(`(() => { const d = window.__dashstream; return d === undefined ? null : ${expr}; })()`);
const testValue = async (page, id) => {
  const v = await page.getAttribute(`[data-testid="${id}"]`, "data-value");
  return v === null || v === "" ? null : Number(v);
};
async function tab(page, id) {
  await page.click(`[data-testid="tab-${id}"]`);
  await page.waitForSelector(`[data-testid="panel-${id}"]`);
}
async function shot(page, name) {
  const file = path.join(outDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  const to = process.env.DS_UI_SCREENSHOTS_TO;
  if (to) {
    fs.mkdirSync(to, { recursive: true });
    fs.copyFileSync(file, path.join(to, `${name}.png`));
  }
}

function groundTruth(file) {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

// -- 1-3: numbers, gaps, restart ----------------------------------------------

async function scenarioStream() {
  const topic = `ui-e2e-${run}`;
  createTopic(topic, 3);
  const d = new Daemon("stream", topic, await freePort(), ["validation.policy=warn_and_continue"]);
  await d.start();
  const page = await openPage(d.url);
  await until("the page live", async () => ["live", "caught_up"].includes(await hooks(page, "d.connectionState")));

  // A stream with gaps, and corrupt records for the decode-error panel.
  const gt1File = path.join(outDir, "stream-1.json");
  produce(topic, ["--count", "3000", "--rate", "1500", "--threads", "12", "--tenants", "2", "--mix", "event:1",
    "--batch-threads", "1", "--seed", "11", "--thread-prefix", "a-", "--inject-gaps", "6",
    "--inject-corrupt", "truncated_protobuf:2,bad_framing_byte:2", "--ground-truth", gt1File]);
  const gt1 = groundTruth(gt1File);
  await until("every valid record applied", async () => (await hooks(page, "d.recordsApplied")) >= gt1.records.valid, 60_000);
  check((await hooks(page, "d.recordsApplied")) === gt1.records.valid, "the page applied every valid record once",
    `${await hooks(page, "d.recordsApplied")} of ${gt1.records.valid}`);

  // 1. The overview's numbers equal /metrics once both have settled.
  await tab(page, "overview");
  const pairs = [
    ["records-ok", "dashstream_records_total", { outcome: "ok" }],
    ["records-decode-error", "dashstream_records_total", { outcome: "decode_error" }],
    ["records-rejected", "dashstream_records_total", { outcome: "rejected" }],
    ["seq-gaps", "dashstream_sequence_gaps_total", {}],
    ["seq-duplicates", "dashstream_sequence_duplicates_total", {}],
    ["seq-reorders", "dashstream_sequence_reorders_total", {}],
    ["dlq-records", "dashstream_dlq_records_total", {}],
    ["restarts", "dashstream_actor_restarts_total", {}],
    ["clients-sessions", "dashstream_websocket_sessions", {}],
  ];
  let mismatch = [];
  try {
    await until("overview = /metrics", async () => {
      const m = await d.metrics();
      mismatch = [];
      for (const [id, fam, labels] of pairs) {
        const shown = await testValue(page, id);
        if (shown !== m(fam, labels)) mismatch.push(`${id}: page ${shown}, /metrics ${m(fam, labels)}`);
      }
      return mismatch.length === 0;
    }, 15_000, 500);
  } catch {
    /* reported below */
  }
  check(mismatch.length === 0, "the overview's numbers equal /metrics", mismatch.join("; ") || pairs.map((p) => p[0]).join(", "));
  check((await testValue(page, "records-decode-error")) === 4, "the overview counts the 4 corrupt records");
  await shot(page, "overview");

  // 2. Every injected gap shows in the thread view.
  const gaps = gt1.faults.filter((f) => f.kind === "gap");
  const threads = await hooks(page, "d.threads");
  const missed = gaps.filter((f) => !(threads[f.thread_id]?.gaps >= 1));
  check(gaps.length === 6 && missed.length === 0, "the thread timelines hold every injected gap",
    `${gaps.length - missed.length}/${gaps.length}${missed.length ? " missing: " + missed.map((f) => f.thread_id).join(",") : ""}`);
  await tab(page, "threads");
  let marked = 0;
  for (const f of gaps) {
    await page.fill('[data-testid="threads-filter"]', f.thread_id);
    const n = await page.locator(`[data-testid="thread-gap"][data-thread="${f.thread_id}"]`).count();
    if (n > 0) marked++;
  }
  check(marked === gaps.length, "the thread view marks each injected gap", `${marked}/${gaps.length}`);
  await page.fill('[data-testid="threads-filter"]', gaps[0]?.thread_id ?? "");
  await shot(page, "threads");
  await page.fill('[data-testid="threads-filter"]', "");
  await tab(page, "events");
  await shot(page, "events");
  await tab(page, "dlq");
  await page.click('[data-testid="dlq-refresh"]');
  await until("DLQ rows", async () => (await page.locator('[data-testid="dlq-row"]').count()) > 0, 15_000);
  // A range: the first row, then Shift+click on the third.
  const boxes = page.locator('[data-testid="dlq-row"] input[type="checkbox"]');
  await boxes.nth(0).click();
  await boxes.nth(Math.min(2, (await boxes.count()) - 1)).click({ modifiers: ["Shift"] });
  await shot(page, "dlq");
  const cmd = await page.inputValue('[data-testid="dlq-command"]');
  check(/^dashstream dlq replay .*--since \S+ .*--until \S+/.test(cmd) && !/--execute/.test(cmd),
    "the DLQ view offers the (dry-run) replay command for the selected range", cmd);
  await tab(page, "events");

  // 3. A daemon restart in the middle of a second stream.
  const before = await hooks(page, "d.recordsApplied");
  const gt2File = path.join(outDir, "stream-2.json");
  const second = produce(topic, ["--count", "6000", "--rate", "600", "--threads", "12", "--tenants", "2",
    "--mix", "event:1", "--batch-threads", "1", "--seed", "12", "--thread-prefix", "b-", "--ground-truth", gt2File], false);
  await sleep(4000);
  const phases = new Set();
  const watch = setInterval(async () => phases.add(await hooks(page, "d.connectionState").catch(() => "?")), 100);
  await d.stop();
  log("daemon stopped mid-stream");
  await sleep(1500);
  await d.start();
  await second;
  const gt2 = groundTruth(gt2File);
  await until("the second stream applied", async () => (await hooks(page, "d.recordsApplied")) - before >= gt2.records.valid, 120_000)
    .catch(() => {});
  clearInterval(watch);
  const applied = (await hooks(page, "d.recordsApplied")) - before;
  const t2 = await hooks(page, "d.threads");
  const want = gt2.threads.last_sequence;
  const wrong = Object.entries(want).filter(([t, last]) => {
    const x = t2[t];
    return !x || x.lastSeq !== last || x.gaps !== 0 || x.duplicates !== 0 || x.reorders !== 0 || x.records !== Number(last);
  });
  check(applied === gt2.records.valid && wrong.length === 0,
    "after a daemon restart mid-stream the page shows every record of the second stream once, no gap, no duplicate",
    `applied ${applied} of ${gt2.records.valid}; threads off: ${wrong.map(([t]) => `${t}:${JSON.stringify(t2[t])}`).join(" ") || "none"}`);
  check(phases.has("reconnecting") || phases.has("connecting"), "the page showed reconnecting", [...phases].join(","));
  const state = await until("caught up", async () => {
    const s = await hooks(page, "d.connectionState");
    return ["caught_up", "live"].includes(s) ? s : null;
  }, 30_000).catch(() => null);
  check(state !== null, "the page ends caught up", `${state}; phases seen ${[...phases].join(",")}`);
  await shot(page, "restart-caught-up");
  await page.context().close();
  return d;
}

// -- 5: 2 000 events/s ---------------------------------------------------------

async function scenarioRate(d) {
  const page = await openPage(`${d.url}/#events`);
  await until("live", async () => ["live", "caught_up"].includes(await hooks(page, "d.connectionState")));
  await page.evaluate(() => {
    const w = window;
    w.__frames = [];
    let last = performance.now();
    const tick = (t) => {
      w.__frames.push(t - last);
      last = t;
      if (!w.__stopFrames) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const before = await hooks(page, "d.eventsApplied");
  const t0 = Date.now();
  produce(d.topic, ["--count", "20000", "--rate", "2000", "--threads", "50", "--tenants", "2", "--mix", "event:1",
    "--batch-threads", "1", "--seed", "13", "--thread-prefix", "c-"]);
  await until("20 000 events", async () => (await hooks(page, "d.eventsApplied")) - before >= 20_000, 60_000).catch(() => {});
  const secs = (Date.now() - t0) / 1000;
  const frames = await page.evaluate(() => {
    window.__stopFrames = true;
    return window.__frames;
  });
  const sorted = frames.slice(5).sort((a, b) => a - b);
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  const applied = (await hooks(page, "d.eventsApplied")) - before;
  results.frame_time_ms = { frames: sorted.length, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: sorted.at(-1),
    events: applied, seconds: secs, history: await hooks(page, "d.historySize") };
  log("frame times at 2 000 events/s:", JSON.stringify(results.frame_time_ms));
  check(applied === 20_000, "the page applied all 20 000 events of the 2 000/s stream", String(applied));
  await shot(page, "events-2000-per-second");
  await page.context().close();
}

// -- 4: tenants ---------------------------------------------------------------

function jwt(secret, claims) {
  const b64 = (x) => Buffer.from(JSON.stringify(x)).toString("base64url");
  const body = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ ...claims, exp: Math.floor(Date.now() / 1000) + 3600 })}`;
  return `${body}.${createHmac("sha256", secret).update(body).digest("base64url")}`;
}

async function scenarioTenants() {
  const topic = `ui-e2e-auth-${run}`;
  createTopic(topic, 2);
  const secret = randomBytes(32).toString("hex");
  const secretFile = path.join(outDir, "hs256.secret");
  fs.writeFileSync(secretFile, secret);
  const d = new Daemon("tenants", topic, await freePort(),
    [`auth.hs256_secret_file=${secretFile}`, "auth.admin_claim=dashstream_admin", "validation.policy=halt"]);
  await d.start();
  try {
    const page = await openPage(d.url);
    await page.waitForSelector('[data-testid="token-input"]', { timeout: 15_000 });
    check(true, "without a token the page asks for one");
    await shot(page, "token");
    await page.fill('[data-testid="token-input"]', jwt(secret, { tenant_id: "tenant-0" }));
    await page.click('[data-testid="token-submit"]');
    await until("tenant page live", async () => ["live", "caught_up"].includes(await hooks(page, "d.connectionState")), 30_000);
    const admin = await openPage(d.url);
    await admin.waitForSelector('[data-testid="token-input"]', { timeout: 15_000 });
    await admin.fill('[data-testid="token-input"]', jwt(secret, { dashstream_admin: true }));
    await admin.click('[data-testid="token-submit"]');
    await until("admin page live", async () => ["live", "caught_up"].includes(await hooks(admin, "d.connectionState")), 30_000);

    const gtFile = path.join(outDir, "tenants.json");
    produce(topic, ["--count", "1000", "--threads", "8", "--tenants", "2", "--mix", "event:1", "--batch-threads", "1",
      "--seed", "14", "--thread-prefix", "t-", "--inject-gaps", "8", "--ground-truth", gtFile]);
    const gt = groundTruth(gtFile);
    // Halted threads' records go to the DLQ, not to clients: wait for the
    // daemon to finish them all, then for the pages to stop changing.
    await until("the daemon finished the stream", async () => (await d.metrics())("dashstream_records_total") >= gt.records.total, 60_000);
    await until("the admin page settled", async () => {
      const a = await hooks(admin, "d.recordsApplied");
      await sleep(1000);
      return a === (await hooks(admin, "d.recordsApplied"));
    }, 30_000);
    const mine = await hooks(page, "d.tenants");
    const all = await hooks(admin, "d.tenants");
    check(JSON.stringify(mine) === '["tenant-0"]', "a tenant token's page shows only its tenant", JSON.stringify(mine));
    check(JSON.stringify(all) === '["tenant-0","tenant-1"]', "an admin token's page shows every tenant", JSON.stringify(all));
    await tab(page, "dlq");
    await page.click('[data-testid="dlq-refresh"]');
    await until("tenant DLQ rows", async () => (await page.locator('[data-testid="dlq-row"]').count()) > 0, 15_000).catch(() => {});
    const dlqTenants = await page.$$eval('[data-testid="dlq-row"]', (rows) => [...new Set(rows.map((r) => r.dataset.tenant))]);
    check(JSON.stringify(dlqTenants) === '["tenant-0"]', "a tenant's DLQ view lists only its records", JSON.stringify(dlqTenants));
    await page.context().close();
    await admin.context().close();
  } finally {
    await d.stop();
  }
}

// -- the demo: its printed address shows live data within seconds ----------

async function scenarioDemo() {
  const port = await freePort();
  const work = fs.mkdtempSync(path.join(outDir, "demo-"));
  const logFile = path.join(work, "demo.log");
  const fd = fs.openSync(logFile, "w");
  const proc = spawn(bin, ["demo", "--port", String(port), "--duration", "60", "--set", "log.level=warn",
    "--set", `http.ui_dir=${uiDist}`, "--set", `dlq.spool_dir=${path.join(work, "spool")}`], { stdio: ["ignore", fd, fd] });
  try {
    const url = await until("the demo's UI address", async () => {
      const m = /Open the UI: (http:\/\/\S+)/.exec(fs.readFileSync(logFile, "utf8"));
      return m ? m[1] : null;
    }, 30_000);
    check(/#token=/.test(url), "the demo prints the UI's address with its token", url.replace(/token=.*/, "token=…"));
    const t0 = Date.now();
    const page = await openPage(url);
    await until("live records on the page", async () => (await hooks(page, "d.recordsApplied")) > 0, 20_000).catch(() => {});
    const secs = (Date.now() - t0) / 1000;
    check((await hooks(page, "d.recordsApplied")) > 0, "opening the demo's address shows live records within seconds",
      `${secs.toFixed(1)} s`);
    check(!(await page.evaluate(() => location.hash.includes("token="))), "the token leaves the address bar");
    await until("the overview's first samples", async () => (await testValue(page, "records-ok")) > 0, 15_000).catch(() => {});
    await sleep(4000); // a few seconds of chart
    await shot(page, "demo-overview");
    await page.context().close();
  } finally {
    proc.kill("SIGTERM");
  }
}

// -- narrow window ------------------------------------------------------------

async function scenarioNarrow(d) {
  const page = await openPage(d.url, { width: 420, height: 860 });
  await until("live", async () => ["live", "caught_up"].includes(await hooks(page, "d.connectionState")));
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 1, "a narrow window (420 px) needs no horizontal scrolling", `overflow ${overflow} px`);
  // Keyboard: Tab reaches the tabs and arrow keys move between them.
  await page.focus('[data-testid="tab-overview"]');
  await page.keyboard.press("ArrowRight");
  const active = await page.evaluate(() => document.activeElement?.getAttribute("data-testid"));
  check(active === "tab-events", "arrow keys move between the tabs", String(active));
  await shot(page, "narrow");
  await page.context().close();
}

// DS_UI_E2E_ONLY=rate,narrow (say) runs only those scenarios, on a fresh
// daemon: the loop for working on one of them.
const only = (process.env.DS_UI_E2E_ONLY ?? "").split(",").filter(Boolean);
const wanted = (name) => only.length === 0 || only.includes(name);
async function plainDaemon() {
  const topic = `ui-e2e-plain-${run}`;
  createTopic(topic, 3);
  const d = new Daemon("plain", topic, await freePort());
  await d.start();
  return d;
}

try {
  const stream = wanted("stream") ? await scenarioStream() : await plainDaemon();
  if (wanted("rate")) await scenarioRate(stream);
  if (wanted("narrow")) await scenarioNarrow(stream);
  if (wanted("tenants")) await scenarioTenants();
  if (wanted("demo")) await scenarioDemo();
} catch (e) {
  check(false, "the run finished", e.stack ?? String(e));
} finally {
  for (const d of daemons) await d.stop();
  await browser.close();
  fs.writeFileSync(path.join(outDir, "results.json"), JSON.stringify(results, null, 2));
}
log(`${results.checks.length - failures}/${results.checks.length} checks passed; results in ${path.join(outDir, "results.json")}`);
process.exit(failures ? 1 : 0);
