/**
 * Log listing, stats and the live stream with 100,000 entries stored. Entries are written
 * directly with `addLogWrites` (the same writes a firing makes) into a temp KV file, spread
 * over the default retention window (2 h active + 46 h archived) across 50 triggers and test
 * firings; the sweep is run as of 45 s ago, so stats correct for 45 s of entries at each
 * boundary, as between two housekeeping runs. Then, over a real HTTP server on 127.0.0.1 and
 * through `app.request()`, timed: `GET /api/logs?limit=50` (newest 50), a cursor page, one
 * trigger's newest 50, `GET /api/logs/stats`; beside a raw `kv.list` of 50 entries and a raw
 * `kv.get` on the same file in the same run. Also the time from a firing's commit to its SSE
 * event at a streaming client, and one full sweep of 10% of the entries.
 *
 *   deno run -A bench/logs_bench.ts [--entries 100000] [--requests 200]
 *
 * Prints a table and writes bench/results/logs.json.
 */
import { parseArgs } from "node:util";
import { createApp } from "../http/app.ts";
import { systemClock } from "../core/clock.ts";
import { parseConfig } from "../core/config.ts";
import { createDeps, type Deps } from "../db/deps.ts";
import { keys } from "../db/keys.ts";
import { addLogWrites } from "../db/log_writes.ts";
import { ulid } from "../core/ulid.ts";
import type { StoredLog } from "../core/schemas.ts";
import { sweepLogs } from "../services/housekeeping.ts";
import { fireNow } from "../services/firings.ts";
import { buildDefinition, newTriggerRecord } from "../scheduler/definition.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    entries: { type: "string", default: "100000" },
    requests: { type: "string", default: "200" },
  },
});
const ENTRIES = Number(values.entries);
const REQUESTS = Number(values.requests);
const TRIGGERS = 50;

interface Dist {
  p50: number;
  p99: number;
  max: number;
  n: number;
}
function dist(ms: number[]): Dist {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  const r = (x: number) => Math.round(x * 100) / 100;
  return { p50: r(at(0.5)), p99: r(at(0.99)), max: r(s[s.length - 1]), n: s.length };
}
async function time(n: number, fn: (i: number) => Promise<unknown>): Promise<Dist> {
  for (let i = 0; i < Math.min(10, n); i++) await fn(i); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    ms.push(performance.now() - t0);
  }
  return dist(ms);
}

const dir = await Deno.makeTempDir({ prefix: "tock-logs-bench-" });
const kvPath = `${dir}/tock.kv`;
const kv = await Deno.openKv(kvPath);
const config = parseConfig(["--kv", kvPath, "--log-format", "off"], {});
const deps: Deps = createDeps(kv, config, { clock: systemClock });

// --- fill -----------------------------------------------------------------------------------
const now = Date.now();
const span = config.activeRetentionMs + config.archiveRetentionMs - 60_000;
const start = now - span;
const triggerIds = Array.from({ length: TRIGGERS }, (_, i) => ulid(start - 1000 + i));
const fillStart = performance.now();
const PER_COMMIT = 150; // 150 x (3 writes + 2 counter mutations) stays under 1000
for (let i = 0; i < ENTRIES; i += PER_COMMIT) {
  const op = kv.atomic();
  for (let j = i; j < Math.min(ENTRIES, i + PER_COMMIT); j++) {
    const at = start + Math.floor((j * span) / ENTRIES);
    const t = j % (TRIGGERS + 1);
    const triggerId = t === TRIGGERS ? null : triggerIds[t];
    const log: StoredLog = {
      id: ulid(at),
      triggerId,
      triggerName: triggerId ? `trigger-${t}` : "probe",
      triggerType: "scheduled",
      source: triggerId ? "schedule" : "test",
      test: triggerId === null,
      scheduledFor: new Date(at).toISOString(),
      firedAt: new Date(at).toISOString(),
      lateMs: 0,
      catchUp: false,
      payload: { n: j, note: "a typical small payload" },
      outcome: "ok",
      delivery: null,
    };
    addLogWrites(op, log, config);
  }
  const res = await op.commit();
  if (!res.ok) throw new Error("fill commit failed");
}
const fillSeconds = (performance.now() - fillStart) / 1000;
// The sweep as of 45 s ago: stats then correct for 45 s of entries at both boundaries.
const sweepStart = performance.now();
const firstSweep = await sweepLogs(deps, Date.now() - 45_000);
const firstSweepMs = performance.now() - sweepStart;

// --- measure ---------------------------------------------------------------------------------
const app = createApp(deps);
const stop = new AbortController();
const server = Deno.serve(
  { port: 0, hostname: "127.0.0.1", onListen() {} },
  createApp(deps, { shutdown: stop.signal }).fetch,
);
const base = `http://127.0.0.1:${server.addr.port}`;
const get = async (path: string) => {
  const res = await fetch(base + path);
  if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
  return await res.json();
};
const local = async (path: string) => {
  const res = await app.request(path);
  if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
  return await res.json();
};

const first = await get("/api/logs?limit=50");
const stats = await get("/api/logs/stats");
const listed = stats.active + stats.archived;
if (first.items.length !== 50) throw new Error("expected a full first page");

const results = {
  entries: ENTRIES,
  retained: listed,
  active: stats.active,
  archived: stats.archived,
  triggers: stats.byTrigger.length,
  fillSeconds: Math.round(fillSeconds * 10) / 10,
  firstSweep: { ...firstSweep, ms: Math.round(firstSweepMs) },
  http: {
    listNewest50: await time(REQUESTS, () => get("/api/logs?limit=50")),
    listCursorPage: await time(
      REQUESTS,
      () => get(`/api/logs?limit=50&cursor=${first.nextCursor}`),
    ),
    listOneTrigger50: await time(
      REQUESTS,
      () => get(`/api/logs?limit=50&trigger=${triggerIds[7]}`),
    ),
    stats: await time(REQUESTS, () => get("/api/logs/stats")),
    healthBaseline: await time(REQUESTS, () => fetch(`${base}/healthz`).then((r) => r.text())),
  },
  inProcess: {
    listNewest50: await time(REQUESTS, () => local("/api/logs?limit=50")),
    stats: await time(REQUESTS, () => local("/api/logs/stats")),
  },
  baseline: {
    kvList50: await time(REQUESTS, async () => {
      let n = 0;
      for await (const _ of kv.list({ prefix: keys.logsPrefix() }, { reverse: true, limit: 50 })) {
        n++;
      }
      if (n !== 50) throw new Error("baseline list");
    }),
    kvGet: await time(REQUESTS, () => kv.get(keys.log(first.items[0].id))),
  },
  /**
   * Stats when the boundaries are far ahead of the sweep cursor, so the correction scans
   * more entries (as at higher firing rates between two sweeps): the clock is moved ahead.
   */
  statsWithLag: [] as { lagMinutes: number; scanned: number; ms: Dist }[],
  sse: null as null | Dist,
  sweep10Percent: null as null | { deleted: number; commits: number; ms: number },
};

for (const lagMinutes of [10, 60]) {
  const lagMs = lagMinutes * 60_000;
  const ahead = createApp({ ...deps, clock: { now: () => Date.now() + lagMs } });
  const perMs = ENTRIES / span;
  results.statsWithLag.push({
    lagMinutes,
    scanned: Math.round(2 * (lagMs + 45_000) * perMs),
    ms: await time(REQUESTS, async () => {
      const res = await ahead.request("/api/logs/stats");
      if (res.status !== 200) throw new Error("stats");
      await res.json();
    }),
  });
}

// --- SSE: commit -> event at a streaming client ---------------------------------------------
{
  const rec = newTriggerRecord(
    buildDefinition({ name: "sse-bench", type: "api" }, Date.now(), null),
    Date.now(),
  );
  const abort = new AbortController();
  const res = await fetch(`${base}/api/events`, { signal: abort.signal });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const arrived = new Map<string, number>();
  let waiting = null as ((id: string) => void) | null;
  void (async () => {
    let buf = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += value;
        let m: RegExpExecArray | null;
        const re = /^id: (\S+)$/m;
        while ((m = re.exec(buf))) {
          arrived.set(m[1], performance.now());
          waiting?.(m[1]);
          buf = buf.slice(m.index + m[0].length);
        }
      }
    } catch { /* aborted */ }
  })();
  const ms: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const got = new Promise<string>((r) => (waiting = r));
    const log = await fireNow(deps, rec as never, { i });
    const committed = performance.now();
    await got;
    ms.push(arrived.get(log.id)! - committed);
  }
  results.sse = dist(ms.map((x) => Math.max(0, x)));
  abort.abort();
}

// --- a sweep that deletes 10% of the entries -------------------------------------------------
{
  const t0 = performance.now();
  const r = await sweepLogs(deps, Date.now() + span / 10);
  results.sweep10Percent = {
    deleted: r.deleted,
    commits: r.commits,
    ms: Math.round(performance.now() - t0),
  };
}

stop.abort();
await server.shutdown();
kv.close();
await Deno.remove(dir, { recursive: true });

const f = (d: Dist) => `${d.p50.toFixed(2)} / ${d.p99.toFixed(2)}`;
const rows: [string, string][] = [
  [`entries stored (retained: ${listed}, ${stats.byTrigger.length} counters)`, String(ENTRIES)],
  ["GET /api/logs?limit=50 (HTTP) p50 / p99 ms", f(results.http.listNewest50)],
  ["GET /api/logs?limit=50&cursor= (HTTP)", f(results.http.listCursorPage)],
  ["GET /api/logs?limit=50&trigger=<id> (HTTP)", f(results.http.listOneTrigger50)],
  ["GET /api/logs/stats (HTTP)", f(results.http.stats)],
  ["  baseline: GET /healthz (HTTP)", f(results.http.healthBaseline)],
  ["GET /api/logs?limit=50 (app.request)", f(results.inProcess.listNewest50)],
  ["GET /api/logs/stats (app.request)", f(results.inProcess.stats)],
  ["  baseline: raw kv.list 50 entries", f(results.baseline.kvList50)],
  ["  baseline: raw kv.get", f(results.baseline.kvGet)],
  ...results.statsWithLag.map((l): [string, string] => [
    `GET /api/logs/stats, sweep ${l.lagMinutes} min behind (~${l.scanned} entries scanned)`,
    f(l.ms),
  ]),
  ["commit -> SSE event at the client", f(results.sse!)],
  [
    "sweep of 10% of the entries",
    `${results.sweep10Percent!.deleted} deleted, ${results.sweep10Percent!.commits} commits, ${
      results.sweep10Percent!.ms
    } ms`,
  ],
];
const w = Math.max(...rows.map((r) => r[0].length));
console.log(`${"measure".padEnd(w)}  value (ms p50 / p99 unless said)`);
for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
await Deno.mkdir(new URL("./results/", import.meta.url), { recursive: true });
await Deno.writeTextFile(
  new URL("./results/logs.json", import.meta.url),
  JSON.stringify(results, null, 2) + "\n",
);
