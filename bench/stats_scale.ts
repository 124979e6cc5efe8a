/**
 * What stored triggers cost the log statistics: `GET /api/logs/stats` (in-process, through the
 * app) and one housekeeping sweep with nothing to delete, on a store with a few triggers that
 * have entries, then again after `--triggers` more are stored (as `POST /api/triggers` stores
 * them, names included) that have none. Beside a raw `kv.get` on the same file in the same run.
 * Neither figure should grow with the triggers stored: stats read counters of triggers with
 * retained entries, the sweep only the counters it marked. Then each stored trigger gets an
 * entry, and stats are timed whole, `?top=10` (the UI's logs view) and `?trigger=` (a
 * trigger's page), with the answer's size.
 *
 * Last, `--callers` whole-store requests at once (all rows, and `?top=10`), which share their
 * reads: the time until every one is answered.
 *
 *   deno run -A bench/stats_scale.ts [--triggers 100000] [--requests 50] [--callers 20]
 *
 * Prints a table and writes bench/results/stats_scale.json.
 */
import { parseArgs } from "node:util";
import { createApp } from "../http/app.ts";
import { parseConfig } from "../core/config.ts";
import { createDeps } from "../db/deps.ts";
import { insertTriggersBatch } from "../db/triggers.ts";
import { sweepLogs } from "../services/housekeeping.ts";
import { record } from "./stored_records.ts";
import { keys } from "../db/keys.ts";
import { addLogWrites } from "../db/log_writes.ts";
import { newLogEntry } from "../core/log_entry.ts";
import type { StoredLog, TriggerRecord } from "../core/schemas.ts";

/** A scheduled firing's entry of trigger `r` at `ms`, as stored. */
function entryOf(r: { id: string; name: string }, ms: number): StoredLog {
  const rec = { ...r, type: "scheduled" as const, payload: null, webhook: null };
  return newLogEntry(rec, ms, { source: "schedule", lateMs: 0 });
}

const { values } = parseArgs({
  args: Deno.args,
  options: {
    triggers: { type: "string", default: "100000" },
    requests: { type: "string", default: "50" },
    callers: { type: "string", default: "20" },
  },
});
const CALLERS = Number(values.callers);
const N = Number(values.triggers);
const REQUESTS = Number(values.requests);

/** Median and max of `n` timed calls of `fn`, in ms, after a short warm-up. */
async function time(n: number, fn: () => Promise<unknown>): Promise<{ p50: number; max: number }> {
  for (let i = 0; i < 3; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 100) / 100;
  return { p50: r(ms[Math.floor(n / 2)]), max: r(ms[n - 1]) };
}

const dir = await Deno.makeTempDir({ prefix: "tock-stats-scale-" });
const path = `${dir}/tock.kv`;
const kv = await Deno.openKv(path);
const deps = createDeps(kv, parseConfig(["--kv", path], {}));
const app = createApp(deps);
try {
  // A few triggers with entries, so stats have rows to name.
  for (let i = 0; i < 5; i++) {
    const res = await app.request("/api/triggers", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: `fired-${i}`, type: "api" }),
    });
    const { id } = await res.json();
    for (let j = 0; j < 3; j++) {
      await app.request(`/api/triggers/${id}/fire`, { method: "POST" });
    }
  }
  const stats = async () => {
    const res = await app.request("/api/logs/stats");
    if (res.status !== 200) throw new Error(`stats: ${res.status}`);
    const body = await res.json();
    if (body.byTrigger.length !== 5) throw new Error("expected the five fired triggers");
  };
  const measure = async () => ({
    stats: await time(REQUESTS, stats),
    sweep: await time(5, () => sweepLogs(deps, Date.now())),
    kvGet: await time(REQUESTS, () => kv.get(["trigger_names", "fired-0"])),
  });
  const before = await measure();
  const fillStart = performance.now();
  const now = Date.now();
  await insertTriggersBatch(
    kv,
    Array.from({ length: N }, (_, i) => record(`idle-${i}`, { everySeconds: 3600 }, now)),
  );
  const fillSeconds = Math.round((performance.now() - fillStart) / 100) / 10;
  const after = await measure();
  // Then every stored trigger gets one entry: stats has N + 5 rows. The whole answer, the top
  // 10 (the UI's logs view) and one trigger's (its page), with the answer's size.
  const recs: { id: string; name: string }[] = [];
  for await (const e of kv.list<TriggerRecord>({ prefix: keys.triggersPrefix() })) {
    recs.push({ id: e.value.id, name: e.value.name });
  }
  for (let i = 0; i < recs.length; i += 100) {
    const op = kv.atomic();
    for (const r of recs.slice(i, i + 100)) addLogWrites(op, entryOf(r, now), deps.config);
    await op.commit();
  }
  const sized = async (query: string) => {
    const res = await app.request(`/api/logs/stats${query}`);
    if (res.status !== 200) throw new Error(`stats${query}: ${res.status}`);
    return (await res.arrayBuffer()).byteLength;
  };
  const rows: Record<string, { p50: number; max: number; bytes: number }> = {};
  for (const query of ["", "?top=10", `?trigger=${recs[0].id}`]) {
    rows[query || "(all)"] = {
      ...await time(Math.min(REQUESTS, 10), () => sized(query)),
      bytes: await sized(query),
    };
  }
  // Many callers at once: each whole-store answer reads every counter, so concurrent calls
  // share the reads (services/reads.ts); the wall time for all of them to be answered.
  const concurrent: Record<string, { callers: number; allAnsweredMs: number }> = {};
  for (const query of ["", "?top=10"]) {
    const t0 = performance.now();
    await Promise.all(Array.from({ length: CALLERS }, () => sized(query)));
    concurrent[query || "(all)"] = {
      callers: CALLERS,
      allAnsweredMs: Math.round(performance.now() - t0),
    };
  }
  const result = {
    concurrent,
    triggers: N,
    fillSeconds,
    fewTriggers: before,
    manyTriggers: after,
    everyTriggerWithEntries: rows,
  };
  const f = (d: { p50: number; max: number }) => `p50 ${d.p50} ms, max ${d.max} ms`;
  console.log(`stored triggers and log stats (${N} stored in ${fillSeconds} s)`);
  for (const [label, d] of [["5 triggers", before], [`${N + 5} triggers`, after]] as const) {
    console.log(
      `  ${label.padEnd(18)} stats ${f(d.stats)}; idle sweep ${f(d.sweep)}; ` +
        `raw kv.get ${f(d.kvGet)}`,
    );
  }
  for (const [query, d] of Object.entries(rows)) {
    console.log(
      `  ${recs.length} triggers with entries, stats ${query}: ${f(d)}, ` +
        `${(d.bytes / 1024).toFixed(1)} KiB`,
    );
  }
  for (const [query, d] of Object.entries(concurrent)) {
    console.log(
      `  ${d.callers} callers at once, stats ${query}: all answered in ${d.allAnsweredMs} ms`,
    );
  }
  await Deno.mkdir(new URL("./results/", import.meta.url), { recursive: true });
  await Deno.writeTextFile(
    new URL("./results/stats_scale.json", import.meta.url),
    JSON.stringify(result, null, 2) + "\n",
  );
} finally {
  kv.close();
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
