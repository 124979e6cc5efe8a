/**
 * Scheduler lateness and exactly-once, measured on a real server subprocess over a local KV
 * file, with the two baselines (raw `kv.enqueue({delay})` + `listenQueue`, plain `setTimeout`)
 * measured in the same run.
 *
 *   deno run -A bench/scheduler_lateness.ts                      # every scenario
 *   deno run -A bench/scheduler_lateness.ts --scenario spread --n 2000 [--stored 100000]
 *
 * Scenarios: spread (one-time triggers due over 2-10 s; `--stored N` first stores N more due a
 * month ahead), multi (the same on three instances
 * sharing the KV file), burst (all due at one instant),
 * every (everySeconds: 1 for --duration s), crash (kill -9, restart after 3 s and 8 s),
 * enqueue and timeout (baselines). Prints a table; writes bench/results/scheduler.json.
 */
import { parseArgs } from "node:util";
import { record } from "./stored_records.ts";
import { insertTriggersBatch } from "../db/triggers.ts";
import { claimFloor } from "./claim_floor.ts";
import { startServer, waitFor } from "../tests/helpers/server.ts";
import {
  baselineEnqueue,
  baselineTimeout,
  firedTotal,
  onceCheck,
  readLogs,
  serverTrouble,
  spreadDelays,
  type Stats,
  stats,
  storeFarAhead,
  tempKv,
} from "./lateness_helpers.ts";
import { crash } from "./lateness_crash.ts";
import { printTable } from "./fire_table.ts";

const { values: opt } = parseArgs({
  options: {
    scenario: { type: "string", default: "all" },
    n: { type: "string" },
    /** spread: triggers stored beforehand, due a month and more ahead (the due index's size). */
    stored: { type: "string", default: "0" },
    duration: { type: "string", default: "60" },
    out: { type: "string", default: "bench/results/scheduler.json" },
  },
});
const SCENARIOS = ["timeout", "enqueue", "spread", "multi", "burst", "every", "crash"];
const wanted = opt.scenario === "all" ? SCENARIOS : opt.scenario!.split(",");
const nOr = (def: number) => (opt.n !== undefined ? Number(opt.n) : def);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const results: Record<string, unknown> = {};
const rows: string[][] = [];
const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(x < 10 ? 1 : 0) : "-");
function row(name: string, s: Stats | null, extra: string) {
  rows.push([
    name,
    s ? String(s.n) : "",
    s ? fmt(s.p50) : "",
    s ? fmt(s.p99) : "",
    s ? fmt(s.max) : "",
    extra,
  ]);
}

async function spread(n: number, stored: number) {
  const kvPath = await tempKv();
  await storeFarAhead(kvPath, stored);
  const srv = await startServer({ kvPath });
  const kv = await Deno.openKv(srv.kvPath);
  try {
    const delays = spreadDelays(n);
    // Records are written first with placeholder times, then the base is fixed: so every
    // delay is measured from a moment when the server already had the chance to poll.
    const now = Date.now();
    const base = now + 1500;
    const recs = delays.map((d, i) =>
      record(`spread-${i}`, { at: new Date(base + d).toISOString() }, now)
    );
    await insertTriggersBatch(kv, recs);
    const insertedAt = Date.now();
    if (insertedAt > base + 1000) console.warn(`inserting took until base+${insertedAt - base} ms`);
    await waitFor(async () => (await firedTotal(srv)) >= n, 30_000, `${n} firings`).catch(() => {});
    await sleep(500); // anything firing twice would show up now
    const logs = await readLogs(kv, "spread-");
    const once = onceCheck(logs, new Set(recs.map((r) => r.id)));
    const s = stats(logs.map((l) => l.lateMs!));
    const trouble = serverTrouble(srv.output());
    results.spread = { ...s, ...once, stored, serverTrouble: trouble };
    row(
      `spread: ${n} one-time over 2-10 s${stored ? `, ${stored} stored` : ""}`,
      s,
      `fired ${once.fired}, dup ${once.duplicates}, missing ${once.missing}`,
    );
  } finally {
    kv.close();
    await srv.stop();
  }
}

/** The spread scenario on three server processes sharing one KV file, all racing to claim. */
async function multi(n: number) {
  const first = await startServer({ kvPath: await tempKv() });
  const kvPath = first.kvPath;
  const servers = [first, ...await Promise.all([startServer({ kvPath }), startServer({ kvPath })])];
  const kv = await Deno.openKv(kvPath);
  try {
    const delays = spreadDelays(n);
    const now = Date.now();
    const base = now + 1500;
    const recs = delays.map((d, i) =>
      record(`multi-${i}`, { at: new Date(base + d).toISOString() }, now)
    );
    await insertTriggersBatch(kv, recs);
    const total = async () => (await Promise.all(servers.map(firedTotal))).reduce((a, b) => a + b);
    await waitFor(async () => (await total()) >= n, 30_000, `${n} firings`).catch(() => {});
    await sleep(500);
    const perInstance = await Promise.all(servers.map(firedTotal));
    // Claims each instance lost: to a faster instance, or found already made.
    const lost = await Promise.all(
      servers.map(async (srv) =>
        (await (await fetch(`${srv.url}/healthz`)).json()).scheduler?.lostTotal ?? 0
      ),
    );
    const logs = await readLogs(kv, "multi-");
    const once = onceCheck(logs, new Set(recs.map((r) => r.id)));
    const s = stats(logs.map((l) => l.lateMs!));
    const trouble = servers.flatMap((srv) => serverTrouble(srv.output()));
    results.multi = { ...s, ...once, perInstance, lostPerInstance: lost, serverTrouble: trouble };
    row(
      `multi: ${n} one-time over 2-10 s, 3 instances`,
      s,
      `fired ${once.fired} (by instance ${perInstance.join("/")}; lost races ` +
        `${lost.join("/")}), dup ${once.duplicates}, missing ${once.missing}`,
    );
  } finally {
    kv.close();
    await Promise.all(servers.map((srv) => srv.stop()));
  }
}

async function burst(n: number) {
  const srv = await startServer({ kvPath: await tempKv() });
  const kv = await Deno.openKv(srv.kvPath);
  try {
    const now = Date.now();
    const t0 = now + 10_000;
    const recs = Array.from(
      { length: n },
      (_, i) => record(`burst-${i}`, { at: new Date(t0).toISOString() }, now),
    );
    await insertTriggersBatch(kv, recs);
    const readyAt = Date.now();
    if (readyAt > t0 - 3000) {
      console.warn(`insert finished only ${t0 - readyAt} ms before the burst`);
    }
    await sleep(t0 - Date.now() - 100);
    // Watch the server's committed-firing counter from just before the instant.
    let allAt = NaN;
    const deadline = t0 + 30_000;
    while (Date.now() < deadline) {
      if ((await firedTotal(srv)) >= n) {
        allAt = Date.now();
        break;
      }
      await sleep(20);
    }
    await sleep(500);
    const logs = await readLogs(kv, "burst-");
    const once = onceCheck(logs, new Set(recs.map((r) => r.id)));
    const late = logs.map((l) => l.lateMs!);
    const s = stats(late);
    const lastFiredAt = Math.max(...logs.map((l) => Date.parse(l.firedAt)));
    results.burst = {
      ...s,
      ...once,
      allCommittedAfterMs: allAt - t0,
      lastFiredAtAfterMs: lastFiredAt - t0,
      serverTrouble: serverTrouble(srv.output()),
    };
    row(
      `burst: ${n} due at one instant`,
      s,
      `all committed +${
        allAt - t0
      } ms (via /healthz, 20 ms polls), dup ${once.duplicates}, missing ${once.missing}`,
    );
  } finally {
    kv.close();
    await srv.stop();
  }
  // Same run, server stopped: the same claims' commits alone (bench/claim_floor.ts).
  const floor = await claimFloor(n);
  results.burstFloor = floor;
  row(
    `burst floor: the same ${n} claims' commits, KV alone`,
    null,
    `${floor.ms} ms in ${floor.commits} commits, ` +
      `${floor.writesPerClaim.toFixed(0)} writes a claim before merged counters`,
  );
}

async function every(n: number, seconds: number) {
  const srv = await startServer({ kvPath: await tempKv() });
  const kv = await Deno.openKv(srv.kvPath);
  try {
    const now = Date.now();
    const anchor = Math.ceil((now + 3000) / 1000) * 1000;
    const recs = Array.from(
      { length: n },
      (_, i) =>
        record(`every-${i}`, { everySeconds: 1, startAt: new Date(anchor).toISOString() }, now),
    );
    await insertTriggersBatch(kv, recs);
    await sleep(anchor + seconds * 1000 - Date.now());
    const stoppedAt = Date.now();
    await srv.stop();
    const logs = await readLogs(kv, "every-");
    // Every occurrence up to a cutoff before the stop must be there exactly once.
    const lastK = Math.floor((stoppedAt - 1500 - anchor) / 1000);
    let drift = 0, dup = 0, gaps = 0, catchUps = 0;
    const byTrigger = new Map<string, Map<number, number>>();
    for (const l of logs) {
      const t = Date.parse(l.scheduledFor!);
      if ((t - anchor) % 1000 !== 0) drift++;
      if (l.catchUp) catchUps++;
      const m = byTrigger.get(l.triggerId!) ?? new Map<number, number>();
      byTrigger.set(l.triggerId!, m);
      m.set(t, (m.get(t) ?? 0) + 1);
    }
    for (const r of recs) {
      const m = byTrigger.get(r.id) ?? new Map<number, number>();
      for (const c of m.values()) if (c > 1) dup += c - 1;
      for (let k = 0; k <= lastK; k++) if (!m.has(anchor + k * 1000)) gaps++;
    }
    const s = stats(logs.map((l) => l.lateMs!));
    // After the first two seconds (JIT warm-up, first commits on a fresh file).
    const steady = stats(
      logs.filter((l) => Date.parse(l.scheduledFor!) >= anchor + 2000).map((l) => l.lateMs!),
    );
    results.every = {
      ...s,
      steady,
      triggers: n,
      seconds,
      expectedPerTrigger: lastK + 1,
      drift,
      duplicates: dup,
      gaps,
      catchUps,
      serverTrouble: serverTrouble(srv.output()),
    };
    row(
      `every: ${n} x everySeconds 1 for ${seconds} s`,
      s,
      `${logs.length} firings, drift ${drift}, dup ${dup}, gaps ${gaps}, catchUp ${catchUps}; ` +
        `after 2 s: p50 ${steady.p50} p99 ${steady.p99} max ${steady.max} ms`,
    );
  } finally {
    kv.close();
    await srv.stop();
  }
}

const loads: Record<string, number[]> = {};
for (const sc of wanted) {
  console.error(`-- ${sc} (load average ${Deno.loadavg().join(" ")})`);
  loads[sc] = Deno.loadavg();
  if (sc === "timeout") {
    results.timeout = await baselineTimeout(nOr(2000));
    row("baseline setTimeout", results.timeout as Stats, "");
  } else if (sc === "enqueue") {
    const e = await baselineEnqueue(nOr(2000));
    results.enqueue = e;
    row("baseline kv.enqueue+listenQueue", e, `delivered ${e.delivered}/${nOr(2000)}`);
  } else if (sc === "spread") await spread(nOr(2000), Number(opt.stored));
  else if (sc === "multi") await multi(nOr(2000));
  else if (sc === "burst") await burst(nOr(10_000));
  else if (sc === "every") await every(nOr(1000), Number(opt.duration));
  else if (sc === "crash") {
    for (const outageMs of [3000, 8000]) {
      const c = await crash(nOr(100), outageMs);
      results[`crash${outageMs / 1000}s`] = c.result;
      row(`crash: ${nOr(100)}, kill -9, restart after ${outageMs / 1000} s`, c.lateness, c.notes);
    }
  } else throw new Error(`unknown scenario "${sc}" (${SCENARIOS.join(", ")})`);
}

printTable(["scenario", "n", "p50 ms", "p99 ms", "max ms", "notes"], rows);
await Deno.mkdir(opt.out!.replace(/[^/]*$/, ""), { recursive: true });
// Scenarios run separately accumulate in one file.
let prev: Record<string, unknown> & { meta?: { loadAverageAtStart?: object } } = {};
try {
  prev = JSON.parse(await Deno.readTextFile(opt.out!));
} catch { /* first run */ }
const meta = {
  at: new Date().toISOString(),
  deno: Deno.version.deno,
  cpus: navigator.hardwareConcurrency,
  // The machine is shared: the load average when each scenario started says how noisy it was.
  loadAverageAtStart: { ...prev.meta?.loadAverageAtStart, ...loads },
};
await Deno.writeTextFile(opt.out!, JSON.stringify({ ...prev, ...results, meta }, null, 2) + "\n");
console.log(`wrote ${opt.out}`);
