/**
 * The API behind the UI at scale (issue 14): 100,000 triggers and up to 1,000,000 log entries
 * in a temp KV file, written through db/ in big batches (`insertTriggersBatch`, `addLogWrites`:
 * the same writes as real creates and firings, histogram counters included). Log building
 * stops at `--build-seconds` (default 180) and reports the size reached. Then, through
 * `app.request()` (the whole middleware stack, no sockets), p50/p99 of: the first page in each
 * sort order, a cursor page, search by `q` (selective and broad; the catalog's cold load timed
 * once first), a tag filter (createdAt and name order), queries whose candidate sets are too
 * large to read per call (a tag on every trigger, broad `q` or last-run order with a status
 * filter: walked), the histogram over 1 h / 24 h / 48 h; beside a raw `kv.list` of 50 keys and
 * `GET /healthz` from the same run.
 *
 *   deno task bench:ui [--triggers 100000] [--logs 1000000] [--requests 50] [--build-seconds 180]
 *
 * Prints a table and writes bench/results/ui_api.json.
 */
import { parseArgs } from "node:util";
import { createApp } from "../http/app.ts";
import { parseConfig } from "../core/config.ts";
import { createDeps } from "../db/deps.ts";
import { addLogWrites } from "../db/log_writes.ts";
import { insertTriggersBatch } from "../db/triggers.ts";
import { ulid } from "../core/ulid.ts";
import { buildDefinition, newTriggerRecord } from "../scheduler/definition.ts";
import { fireNow } from "../services/firings.ts";
import type { StoredLog, TriggerRecord } from "../core/schemas.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    triggers: { type: "string", default: "100000" },
    logs: { type: "string", default: "1000000" },
    requests: { type: "string", default: "50" },
    "build-seconds": { type: "string", default: "180" },
  },
});
const N = Number(values.triggers);
const LOGS = Number(values.logs);
const REQUESTS = Number(values.requests);
const BUILD_MS = Number(values["build-seconds"]) * 1000;

const dir = await Deno.makeTempDir({ prefix: "tock-ui-bench-" });
const kv = await Deno.openKv(`${dir}/tock.kv`);
const config = parseConfig(["--kv", `${dir}/tock.kv`], {});
const deps = createDeps(kv, config);
const app = createApp(deps);
const now = Date.now();

// --- Build -----------------------------------------------------------------------------------
let t0 = performance.now();
const recs: TriggerRecord[] = [];
for (let i = 0; i < N; i++) {
  const api = i % 4 === 0;
  const def = buildDefinition(
    {
      name: `${i % 100 === 0 ? "billing" : "job"}-${i}-${(i * 7919) % 100_003}`,
      schedule: api
        ? null
        : { everySeconds: 3600 + (i % 600), startAt: new Date(now).toISOString() },
    },
    now,
    null,
  );
  const rec = newTriggerRecord(def, now - (N - i) * 10, {
    status: i % 10 === 0 ? "paused" : "active",
  });
  // "all": a tag on every trigger, which a listing walks rather than reads whole.
  recs.push({ ...rec, tags: [`team:${i % 20}`, "all", ...(i % 100 === 1 ? ["rare"] : [])] });
}
for (let i = 0; i < recs.length; i += 5_000) {
  await insertTriggersBatch(kv, recs.slice(i, i + 5_000));
}
const triggersMs = performance.now() - t0;
console.log(`${N} triggers stored in ${(triggersMs / 1000).toFixed(1)} s`);

// Logs over the last 48 h, across 1,000 triggers, oldest first.
t0 = performance.now();
const PER_COMMIT = 110; // ~9 writes each
let written = 0;
const span = 48 * 3600_000 - 60_000;
const inflight: Promise<unknown>[] = [];
while (written < LOGS && performance.now() - t0 < BUILD_MS) {
  const op = kv.atomic();
  for (let j = 0; j < PER_COMMIT && written < LOGS; j++, written++) {
    const at = now - span + Math.floor((written / LOGS) * span);
    const rec = recs[(written * 97) % 1000];
    const log: StoredLog = {
      id: ulid(at),
      triggerId: rec.id,
      triggerName: rec.name,
      triggerType: rec.type,
      source: "schedule",
      test: false,
      scheduledFor: new Date(at).toISOString(),
      firedAt: new Date(at).toISOString(),
      lateMs: 0,
      catchUp: false,
      payload: null,
      outcome: written % 50 === 0 ? "failed" : "ok",
      delivery: null,
    };
    addLogWrites(op, log, config);
  }
  inflight.push(op.commit());
  if (inflight.length >= 8) await Promise.all(inflight.splice(0));
}
await Promise.all(inflight);
const logsMs = performance.now() - t0;
console.log(`${written} log entries stored in ${(logsMs / 1000).toFixed(1)} s`);
// The lastRunAt order needs some runs: 2,000 api/manual firings of distinct triggers.
for (let i = 0; i < 2000; i += 100) {
  await Promise.all(
    Array.from({ length: 100 }, (_, k) => fireNow(deps, recs[((i + k) * 37) % N])),
  );
}

// --- Measure ---------------------------------------------------------------------------------
interface Row {
  case: string;
  p50: number;
  p99: number;
  n: number;
  note?: string;
}
const rows: Row[] = [];
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

async function time(name: string, fn: () => Promise<unknown>, n = REQUESTS, note?: string) {
  await fn(); // warm
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await fn();
    xs.push(performance.now() - s);
  }
  const row = {
    case: name,
    p50: +pct(xs, 0.5).toFixed(2),
    p99: +pct(xs, 0.99).toFixed(2),
    n,
    note,
  };
  rows.push(row);
  console.log(
    `${name.padEnd(44)} p50 ${String(row.p50).padStart(8)} ms  p99 ${
      String(row.p99).padStart(8)
    } ms  ${note ?? ""}`,
  );
}

async function get(path: string) {
  const res = await app.request(path);
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return await res.json();
}

await time("baseline: raw kv.list of 50 keys", async () => {
  for await (const _ of kv.list({ prefix: ["triggers"] }, { limit: 50 })) { /* read */ }
});
await time("baseline: GET /healthz", async () => (await app.request("/healthz")).arrayBuffer());
// The first q or lastRunAt request loads the instance's catalog (db/trigger_catalog.ts); a
// server warms it at start, in the background. Timed once, cold.
{
  const s = performance.now();
  await get(`/api/triggers?q=zzz&limit=50`);
  const ms = +(performance.now() - s).toFixed(2);
  rows.push({ case: "catalog load (first q, cold)", p50: ms, p99: ms, n: 1 });
  console.log(`${"catalog load (first q, cold)".padEnd(44)} ${ms} ms`);
}
for (const sort of ["createdAt", "name", "nextRunAt", "lastRunAt"]) {
  const n = sort === "lastRunAt" ? Math.min(REQUESTS, 10) : REQUESTS;
  await time(`list first page sort=${sort}`, () => get(`/api/triggers?sort=${sort}&limit=50`), n);
}
await time(
  "list first page sort=lastRunAt desc",
  () => get(`/api/triggers?sort=lastRunAt&order=desc&limit=50`),
);
await time(
  "list first page sort=nextRunAt desc",
  () => get(`/api/triggers?sort=nextRunAt&order=desc&limit=50`),
);
const mid = await get(`/api/triggers?sort=name&limit=500`);
await time(
  "list cursor page sort=name",
  () => get(`/api/triggers?sort=name&limit=50&cursor=${mid.nextCursor}`),
);
await time(
  "list status=paused&type=api (walk + filter)",
  () => get(`/api/triggers?status=paused&type=api&limit=50`),
);
await time(
  "search q=billing (1% match)",
  () => get(`/api/triggers?q=billing&limit=50`),
  Math.min(REQUESTS, 20),
);
await time(
  "search q=job (99% match)",
  () => get(`/api/triggers?q=job&limit=50`),
  Math.min(REQUESTS, 20),
);
await time(
  "search q=job-12 (selective)",
  () => get(`/api/triggers?q=job-12&limit=50`),
  Math.min(REQUESTS, 20),
);
await time("tag=rare (1%)", () => get(`/api/triggers?tag=rare&limit=50`));
await time(
  "tag=rare sort=name",
  () => get(`/api/triggers?tag=rare&sort=name&limit=50`),
  Math.min(REQUESTS, 20),
);
await time(
  "tag=team:3 (5%) sort=createdAt",
  () => get(`/api/triggers?tag=team:3&limit=50`),
  Math.min(REQUESTS, 20),
);
// Candidate sets too large to read per call (more than 5,000 tag entries or records): walked
// in order, 2,000 triggers at most per call.
for (
  const q of [
    "tag=all",
    "tag=all&status=paused",
    "tag=team:3&status=paused",
    "q=job&status=paused",
    "sort=lastRunAt&status=paused",
  ]
) await time(`${q} (walked)`, () => get(`/api/triggers?${q}&limit=50`), Math.min(REQUESTS, 20));
const iso = (ms: number) => new Date(ms).toISOString();
for (
  const [label, hours, bucket] of [["1h", 1, "1m"], ["24h", 24, "1h"], ["48h", 48, "1h"]] as const
) {
  await time(
    `histogram ${label} (bucket ${bucket})`,
    () =>
      get(
        `/api/logs/histogram?bucket=${bucket}&since=${iso(now - hours * 3600_000)}&until=${
          iso(now)
        }`,
      ),
  );
}
await time(
  "histogram 24h one trigger (bucket 1h)",
  () =>
    get(
      `/api/logs/histogram?bucket=1h&trigger=${recs[0].id}&since=${
        iso(now - 24 * 3600_000)
      }&until=${iso(now)}`,
    ),
);

const result = {
  at: new Date().toISOString(),
  triggers: N,
  logs: written,
  logsRequested: LOGS,
  build: { triggersMs: Math.round(triggersMs), logsMs: Math.round(logsMs) },
  rows,
};
await Deno.mkdir(new URL("./results/", import.meta.url), { recursive: true });
await Deno.writeTextFile(
  new URL("./results/ui_api.json", import.meta.url),
  JSON.stringify(result, null, 2),
);
kv.close();
await Deno.remove(dir, { recursive: true });
