/**
 * The names and counters behind `GET /api/logs/stats` at scale: a stored trigger adds nothing
 * to what stats and the sweep read (its stats name lives outside `["log_stats"]`), the sweep
 * looks only at counters it or a delete marked, and what a deleted trigger leaves (counters,
 * name) is gone once its entries are, never before. Stores written before the move keep
 * working: their names are read and cleaned up.
 */
import assert from "node:assert/strict";
import { ManualClock } from "../core/clock.ts";
import { keys } from "../db/keys.ts";
import { addLogWrites } from "../db/log_writes.ts";
import { newLogEntry } from "../core/log_entry.ts";
import { ulid } from "../core/ulid.ts";
import type { StoredLog } from "../core/schemas.ts";
import { sweepLogs } from "../services/housekeeping.ts";
import { insertTriggersBatch } from "../db/triggers.ts";
import { buildDefinition, newTriggerRecord } from "../scheduler/definition.ts";
import { testApp, uniqueName } from "./helpers/app.ts";

const WINDOWS = { activeRetentionMs: 2000, archiveRetentionMs: 3000 };

// Hours behind the wall clock, ten minutes apart per test: log ids are monotonic per process.
let nextBase = Date.now() - 20 * 3600_000;
const startClock = () => new ManualClock(nextBase += 600_000);

/** A firing's log entry of trigger `triggerId`, as stored. */
function logOf(triggerId: string, triggerName: string, ms: number): StoredLog {
  const rec = {
    id: triggerId,
    name: triggerName,
    type: "api" as const,
    payload: null,
    webhook: null,
  };
  return newLogEntry(rec, ms, { source: "api" });
}

async function countKeys(kv: Deno.Kv, prefix: string): Promise<number> {
  let n = 0;
  for await (const _ of kv.list({ prefix: [prefix] })) n++;
  return n;
}

Deno.test("stored triggers add nothing to what stats and the sweep read", async () => {
  const clock = startClock();
  await using t = await testApp({ config: WINDOWS, clock });
  for (let i = 0; i < 30; i++) {
    const res = await t.call("POST", "/api/triggers", { name: uniqueName("many"), type: "api" });
    assert.equal(res.status, 201);
  }
  // Stats read ["log_stats"] whole; the sweep reads the marks whole.
  assert.equal(await countKeys(t.kv, "log_stats"), 0);
  assert.equal(await countKeys(t.kv, "log_zero_check"), 0);
  assert.equal(await countKeys(t.kv, "log_names"), 30);
  const swept = await sweepLogs(t.deps, clock.now());
  assert.equal(swept.countersRemoved, 0);
  assert.equal(await countKeys(t.kv, "log_names"), 30, "live triggers keep their names");
  const stats = await t.call("GET", "/api/logs/stats");
  assert.deepEqual(stats.body, { active: 0, archived: 0, missed: 0, skipped: 0, byTrigger: [] });
});

Deno.test("a renamed, then deleted trigger's entries keep its last name until they are swept", async () => {
  const clock = startClock();
  await using t = await testApp({ config: WINDOWS, clock });
  const t0 = clock.now();
  const trig = await t.call("POST", "/api/triggers", { name: uniqueName("before"), type: "api" });
  const id = trig.body.id;
  await t.call("POST", `/api/triggers/${id}/fire`);
  const renamed = uniqueName("after");
  assert.equal((await t.call("PATCH", `/api/triggers/${id}`, { name: renamed })).status, 200);
  await t.call("POST", `/api/triggers/${id}/fire`);
  assert.equal((await t.call("DELETE", `/api/triggers/${id}`)).status, 204);
  // The sweep before the entries expire keeps everything they need.
  clock.set(t0 + 1000);
  await sweepLogs(t.deps, clock.now());
  const row = {
    triggerId: id,
    triggerName: renamed,
    active: 2,
    archived: 0,
    missed: 0,
    skipped: 0,
  };
  assert.deepEqual((await t.call("GET", "/api/logs/stats")).body.byTrigger, [row]);
  assert.equal(await countKeys(t.kv, "log_names"), 1);
  // Past retention: the entries, their counters, the name and every mark go.
  clock.set(t0 + 5000);
  const swept = await sweepLogs(t.deps, clock.now());
  assert.equal(swept.deleted, 2);
  assert.equal(swept.countersRemoved, 1);
  assert.deepEqual((await t.call("GET", "/api/logs/stats")).body.byTrigger, []);
  for (const prefix of ["log_names", "log_zero_check", "trigger_def"]) {
    assert.equal(await countKeys(t.kv, prefix), 0, prefix);
  }
  assert.equal(await countKeys(t.kv, "log_stats"), 1); // the sweep cursor
});

Deno.test("a trigger deleted without a firing leaves no key behind after the next sweep", async () => {
  const clock = startClock();
  await using t = await testApp({ config: WINDOWS, clock });
  for (let i = 0; i < 3; i++) {
    const trig = await t.call("POST", "/api/triggers", { name: uniqueName("never"), type: "api" });
    assert.equal((await t.call("DELETE", `/api/triggers/${trig.body.id}`)).status, 204);
  }
  assert.equal(await countKeys(t.kv, "log_zero_check"), 3);
  const swept = await sweepLogs(t.deps, clock.now());
  assert.equal(swept.countersRemoved, 3);
  for (const prefix of ["log_names", "log_zero_check", "log_stats"]) {
    assert.equal(await countKeys(t.kv, prefix), prefix === "log_stats" ? 1 : 0, prefix);
  }
});

Deno.test("a live trigger whose entries were all swept keeps its name for its later entries", async () => {
  const clock = startClock();
  await using t = await testApp({ config: WINDOWS, clock });
  const t0 = clock.now();
  const name = uniqueName("kept");
  const id = (await t.call("POST", "/api/triggers", { name, type: "api" })).body.id;
  await t.call("POST", `/api/triggers/${id}/fire`);
  clock.set(t0 + 5000);
  const swept = await sweepLogs(t.deps, clock.now());
  assert.deepEqual([swept.deleted, swept.countersRemoved], [1, 1]);
  assert.equal(await countKeys(t.kv, "log_stats"), 1); // its counters went, the cursor stays
  await t.call("POST", `/api/triggers/${id}/fire`);
  assert.equal((await t.call("DELETE", `/api/triggers/${id}`)).status, 204);
  const stats = await t.call("GET", "/api/logs/stats");
  assert.deepEqual(stats.body.byTrigger, [
    { triggerId: id, triggerName: name, active: 1, archived: 0, missed: 0, skipped: 0 },
  ]);
});

Deno.test("a store written before the names moved: stats read its names, the sweep clears them", async () => {
  const clock = startClock();
  await using t = await testApp({ config: WINDOWS, clock });
  const t0 = clock.now();
  // As the older code left it: an entry of a since-deleted trigger, its name among the counters.
  const triggerId = ulid(t0);
  const log = logOf(triggerId, "old-name", t0);
  const op = t.kv.atomic().set(keys.logCounterNameLegacy(triggerId), "old-name");
  addLogWrites(op, log, WINDOWS);
  assert.ok((await op.commit()).ok);
  const row = { triggerId, triggerName: "old-name", active: 1, archived: 0, missed: 0, skipped: 0 };
  assert.deepEqual((await t.call("GET", "/api/logs/stats")).body.byTrigger, [row]);
  clock.set(t0 + 5000);
  const swept = await sweepLogs(t.deps, clock.now());
  assert.deepEqual([swept.deleted, swept.countersRemoved], [1, 1]);
  assert.equal(await countKeys(t.kv, "log_stats"), 1); // the sweep cursor
  assert.equal(await countKeys(t.kv, "log_zero_check"), 0);
});

Deno.test("stats name a thousand and more rows from one scan of the names, deleted triggers too", async () => {
  const clock = startClock();
  await using t = await testApp({ config: WINDOWS, clock });
  const t0 = clock.now();
  const recs = Array.from(
    { length: 1_050 },
    (_, i) => newTriggerRecord(buildDefinition({ name: `bulk-${i}`, type: "api" }, t0, null), t0),
  );
  await insertTriggersBatch(t.kv, recs);
  for (let i = 0; i < recs.length; i += 100) {
    const op = t.kv.atomic();
    for (const r of recs.slice(i, i + 100)) addLogWrites(op, logOf(r.id, r.name, t0), WINDOWS);
    assert.ok((await op.commit()).ok);
  }
  const gone = recs[7];
  assert.equal((await t.call("DELETE", `/api/triggers/${gone.id}`)).status, 204);
  const stats = (await t.call("GET", "/api/logs/stats")).body;
  assert.equal(stats.byTrigger.length, recs.length);
  const names = new Map(
    stats.byTrigger.map((
      r: { triggerId: string; triggerName: string },
    ) => [r.triggerId, r.triggerName]),
  );
  assert.ok(recs.every((r) => names.get(r.id) === r.name));
});

Deno.test("stats?trigger= answers one trigger's row and totals, by id or name, deleted too", async () => {
  const clock = startClock();
  await using t = await testApp({ config: WINDOWS, clock });
  const t0 = clock.now();
  const a = (await t.call("POST", "/api/triggers", { name: uniqueName("one"), type: "api" })).body;
  const b = (await t.call("POST", "/api/triggers", { name: uniqueName("two"), type: "api" })).body;
  await t.call("POST", `/api/triggers/${a.id}/fire`);
  await t.call("POST", `/api/triggers/${b.id}/fire`);
  await t.call("POST", "/api/test", { name: "probe", type: "api" });
  clock.set(t0 + 2500); // the first firings are archived now
  await t.call("POST", `/api/triggers/${a.id}/fire`);
  await sweepLogs(t.deps, clock.now());
  const all = (await t.call("GET", "/api/logs/stats")).body;
  const rowOf = (id: string | null) =>
    all.byTrigger.find((r: { triggerId: string | null }) => r.triggerId === id);
  const only = async (ref: string) => {
    const res = await t.call("GET", `/api/logs/stats?trigger=${encodeURIComponent(ref)}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };
  const expect = (row: { active: number; archived: number; missed: number; skipped: number }) => ({
    active: row.active,
    archived: row.archived,
    missed: row.missed,
    skipped: row.skipped,
    byTrigger: [row],
  });
  assert.deepEqual(await only(a.id), expect(rowOf(a.id)));
  assert.deepEqual(await only(a.name), expect(rowOf(a.id)));
  assert.deepEqual(rowOf(a.id).active + rowOf(a.id).archived, 2);
  assert.deepEqual(await only("test"), expect(rowOf(null)));
  // A deleted trigger, by id; an unknown name counts nothing.
  assert.equal((await t.call("DELETE", `/api/triggers/${b.id}`)).status, 204);
  assert.deepEqual(await only(b.id), expect(rowOf(b.id)));
  const none = { active: 0, archived: 0, missed: 0, skipped: 0, byTrigger: [] };
  assert.deepEqual(await only("no-such-trigger"), none);
  assert.equal((await t.call("GET", `/api/logs/stats?trigger=${"x".repeat(129)}`)).status, 400);
  assert.equal((await t.call("GET", "/api/logs/stats?bogus=1")).status, 400);
});

Deno.test("stats?top= answers the busiest rows, named, and how many rows there are in all", async () => {
  const clock = startClock();
  await using t = await testApp({ config: WINDOWS, clock });
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const trig = await t.call("POST", "/api/triggers", {
      name: uniqueName(`top${i}`),
      type: "api",
    });
    ids.push(trig.body.id);
    // Trigger i fires i + 1 times.
    for (let n = 0; n <= i; n++) await t.call("POST", `/api/triggers/${trig.body.id}/fire`);
  }
  const all = (await t.call("GET", "/api/logs/stats")).body;
  assert.equal(all.triggers, undefined);
  const top = (await t.call("GET", "/api/logs/stats?top=2")).body;
  const byId = new Map(all.byTrigger.map((r: { triggerId: string }) => [r.triggerId, r]));
  assert.deepEqual(top, {
    active: all.active,
    archived: all.archived,
    missed: 0,
    skipped: 0,
    byTrigger: [byId.get(ids[4]), byId.get(ids[3])],
    triggers: 5,
  });
  for (const bad of ["0", "1001", "x"]) {
    assert.equal((await t.call("GET", `/api/logs/stats?top=${bad}`)).status, 400, bad);
  }
});
