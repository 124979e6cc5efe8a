/**
 * Micro-benchmarks of the scheduler's hot paths: schedule maths and one claim commit.
 *
 *   deno bench -A bench/next_occurrence_bench.ts
 */
import { parseConfig } from "../core/config.ts";
import { systemClock } from "../core/clock.ts";
import { createDeps, type Deps } from "../db/deps.ts";
import { keys } from "../db/keys.ts";
import { addTriggerWrites } from "../db/triggers.ts";
import { claimBatch, type DueItem, MAX_BATCH, planClaim } from "../scheduler/claim.ts";
import type { RecordCache } from "../scheduler/records.ts";
import { record } from "./stored_records.ts";
import { lastMissed, nextOccurrence } from "../scheduler/next_occurrence.ts";
import type { Schedule } from "../core/schedule_schemas.ts";

const NOW = Date.parse("2026-06-01T12:00:00.000Z");
const every: Schedule = { everySeconds: 30, startAt: "2026-01-01T00:00:00.000Z" };
const cron5: Schedule = { cron: "*/5 9-17 * * 1-5", timezone: "Europe/Berlin" };
const cron6: Schedule = { cron: "*/10 * * * * *", timezone: "Asia/Kolkata" };

Deno.bench("nextOccurrence: at", { group: "next" }, () => {
  nextOccurrence({ at: "2026-06-02T00:00:00.000Z" }, NOW);
});
Deno.bench("nextOccurrence: everySeconds", { group: "next", baseline: true }, () => {
  nextOccurrence(every, NOW);
});
// A new instant every call, so croner computes (no memo hit).
let tick = 0;
Deno.bench("nextOccurrence: cron 5 fields, Europe/Berlin", { group: "next" }, () => {
  nextOccurrence(cron5, NOW + ++tick * 1000);
});
Deno.bench("nextOccurrence: cron 6 fields, Asia/Kolkata", { group: "next" }, () => {
  nextOccurrence(cron6, NOW + ++tick * 1000);
});
Deno.bench("nextOccurrence: cron, same instant again (burst memo)", { group: "next" }, () => {
  nextOccurrence(cron5, NOW);
});
Deno.bench("lastMissed: per-10s cron missed for a day", { group: "next" }, () => {
  lastMissed(cron6, NOW - 86_400_000, NOW);
});

const rec = record("plan", { everySeconds: 1, startAt: new Date(NOW).toISOString() }, NOW);
Deno.bench("planClaim: everySeconds on time", { group: "claim" }, () => {
  planClaim(rec, NOW, NOW + 2, 5000);
});

// One claim commit of a full batch on a local KV file, records already cached (as the
// engine's prefetch leaves them): the cost of firing MAX_BATCH occurrences.
const path = (await Deno.makeTempDir({ prefix: "tock-bench-" })) + "/bench.kv";
const kv = await Deno.openKv(path);
const deps: Deps = createDeps(kv, parseConfig(["--kv", path], {}), { clock: systemClock });
let seq = 0;
async function dueBatch(n: number, cache: RecordCache): Promise<DueItem[]> {
  const now = Date.now();
  const recs = Array.from(
    { length: n },
    () => record(`b-${seq++}`, { at: new Date(now + 60_000).toISOString() }, now),
  );
  const op = kv.atomic();
  for (const r of recs) addTriggerWrites(op, null, r);
  const { versionstamp } = await op.commit() as Deno.KvCommitResult;
  return recs.map((r) => {
    cache.set(r.id, { key: keys.trigger(r.id), value: r, versionstamp });
    return { atMs: Date.parse(r.nextRunAt!), id: r.id, versionstamp };
  });
}
for (const n of [1, MAX_BATCH]) {
  Deno.bench(`claimBatch: ${n} due occurrence(s), one commit`, { group: "claim" }, async (b) => {
    const cache: RecordCache = new Map();
    const items = await dueBatch(n, cache);
    b.start();
    const res = await claimBatch(deps, items, cache);
    b.end();
    if (res.fired.length !== n) throw new Error(`fired ${res.fired.length} of ${n}`);
  });
}
