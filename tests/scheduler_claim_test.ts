/** Unit tests of the claim/advance logic: a ManualClock, a `:memory:` KV, no timers. */
import assert from "node:assert/strict";
import { ManualClock } from "../core/clock.ts";
import { keys } from "../db/keys.ts";
import { claimDue, type DueItem, planClaim } from "../scheduler/claim.ts";
import type { RecordCache } from "../scheduler/records.ts";
import type { StoredLog, TriggerRecord } from "../core/schemas.ts";
import { testApp } from "./helpers/app.ts";

const T0 = Date.parse("2026-06-01T12:00:00.000Z");
const iso = (ms: number) => new Date(ms).toISOString();

async function setup(graceMs = 5000) {
  const clock = new ManualClock(T0);
  const t = await testApp({ clock, config: { misfireGraceMs: graceMs } });
  const create = async (body: Record<string, unknown>) => {
    const res = await t.call("POST", "/api/triggers", { name: crypto.randomUUID(), ...body });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as { id: string; nextRunAt: string | null };
  };
  const due = async (): Promise<DueItem[]> => {
    const out: DueItem[] = [];
    for await (const e of t.kv.list<string>({ prefix: keys.duePrefix() })) {
      out.push({ atMs: e.key[1] as number, id: e.key[2] as string, versionstamp: e.versionstamp });
    }
    return out;
  };
  const record = async (id: string) => await t.kv.get<TriggerRecord>(keys.trigger(id));
  const logs = async (): Promise<StoredLog[]> => {
    const out: StoredLog[] = [];
    for await (const e of t.kv.list<StoredLog>({ prefix: keys.logsPrefix() })) out.push(e.value);
    return out;
  };
  return { ...t, clock, create, due, record, logs };
}

Deno.test("claimDue() fires a one-time occurrence once, logs it and completes the trigger", async () => {
  await using s = await setup();
  const trig = await s.create({ schedule: { delaySeconds: 10 }, payload: { n: 1 } });
  assert.equal(trig.nextRunAt, iso(T0 + 10_000));
  s.clock.set(T0 + 10_003);
  const items = await s.due();
  assert.deepEqual(items.map((i) => [i.atMs, i.id]), [[T0 + 10_000, trig.id]]);
  const rec = await s.record(trig.id);
  assert.equal(items[0].versionstamp, rec.versionstamp, "due entry and record share a version");

  const res = await claimDue(s.deps, items, new Map());
  assert.equal(res.fired.length, 1);
  assert.equal(res.lost, 0);
  const log = res.fired[0];
  assert.equal(log.source, "schedule");
  assert.equal(log.triggerId, trig.id);
  assert.equal(log.scheduledFor, iso(T0 + 10_000));
  assert.equal(log.firedAt, iso(T0 + 10_003));
  assert.equal(log.lateMs, 3);
  assert.equal(log.catchUp, false);
  assert.deepEqual(log.payload, { n: 1 });
  assert.deepEqual((await s.logs()).map((l) => l.id), [log.id]);

  const after = (await s.record(trig.id)).value!;
  assert.equal(after.status, "completed");
  assert.equal(after.nextRunAt, null);
  assert.equal(after.scheduledRuns, 1);
  assert.deepEqual(await s.due(), []);
  const view = await s.call("GET", `/api/triggers/${trig.id}`);
  assert.equal(view.body.status, "completed");
  assert.equal(view.body.runCount, 1);
  assert.equal(view.body.lastRunAt, iso(T0 + 10_003));

  // The same occurrence again (a stale timer, a second instance): nothing fires.
  const again = await claimDue(s.deps, items, new Map());
  assert.deepEqual([again.fired.length, again.lost], [0, 1]);
  assert.equal((await s.logs()).length, 1);
});

Deno.test("claimDue() advances everySeconds on its grid and moves the due entry", async () => {
  await using s = await setup();
  const trig = await s.create({ schedule: { everySeconds: 2, startAt: iso(T0 + 1000) } });
  const cache: RecordCache = new Map();
  for (let k = 0; k < 3; k++) {
    s.clock.set(T0 + 1000 + k * 2000 + 7); // 7 ms late every time: no drift follows
    const items = await s.due();
    assert.deepEqual(items.map((i) => i.atMs), [T0 + 1000 + k * 2000]);
    const res = await claimDue(s.deps, items, cache);
    assert.equal(res.fired.length, 1);
    assert.equal(res.fired[0].scheduledFor, iso(T0 + 1000 + k * 2000));
    assert.equal(res.fired[0].lateMs, 7);
    assert.deepEqual(res.rescheduled.map((r) => r.item.atMs), [T0 + 1000 + (k + 1) * 2000]);
    const rec = await s.record(trig.id);
    assert.equal(rec.value!.nextRunAt, iso(T0 + 1000 + (k + 1) * 2000));
    assert.equal(rec.value!.scheduledRuns, k + 1);
    // The engine's view of the new due entry carries the record's versionstamp.
    assert.equal(res.rescheduled[0].item.versionstamp, rec.versionstamp);
    assert.equal((await s.due())[0].versionstamp, rec.versionstamp);
  }
});

Deno.test("claimDue() completes a recurring trigger at maxRuns and at endAt", async () => {
  await using s = await setup();
  const capped = await s.create({
    schedule: { everySeconds: 1, startAt: iso(T0 + 1000), maxRuns: 2 },
  });
  const ended = await s.create({
    schedule: { cron: "*/1 * * * * *", startAt: iso(T0 + 1000), endAt: iso(T0 + 2500) },
  });
  const cache: RecordCache = new Map();
  for (const at of [T0 + 1000, T0 + 2000]) {
    s.clock.set(at);
    const res = await claimDue(s.deps, await s.due(), cache);
    assert.equal(res.fired.length, 2);
  }
  for (const id of [capped.id, ended.id]) {
    const rec = (await s.record(id)).value!;
    assert.equal(rec.status, "completed");
    assert.equal(rec.nextRunAt, null);
    assert.equal(rec.scheduledRuns, 2);
  }
  assert.deepEqual(await s.due(), []);
  assert.equal((await s.logs()).length, 4);
});

Deno.test("claimDue() coalesces missed occurrences into one catch-up firing (fire_once)", async () => {
  await using s = await setup(1000);
  const trig = await s.create({ schedule: { everySeconds: 10, startAt: iso(T0 + 10_000) } });
  // Down for a minute: occurrences at +10 s ... +70 s all passed.
  s.clock.set(T0 + 75_000);
  const res = await claimDue(s.deps, await s.due(), new Map());
  assert.equal(res.fired.length, 1);
  const log = res.fired[0];
  assert.equal(log.catchUp, true);
  assert.equal(log.scheduledFor, iso(T0 + 70_000), "the most recent missed occurrence");
  assert.equal(log.lateMs, 5000);
  assert.equal(log.firedAt, iso(T0 + 75_000));
  const rec = (await s.record(trig.id)).value!;
  assert.equal(rec.nextRunAt, iso(T0 + 80_000), "then the next future occurrence");
  assert.equal(rec.scheduledRuns, 1);
});

Deno.test("claimDue() skips missed occurrences without firing (skip)", async () => {
  await using s = await setup(1000);
  const trig = await s.create({
    schedule: { everySeconds: 10, startAt: iso(T0 + 10_000) },
    misfire: "skip",
  });
  const once = await s.create({ schedule: { delaySeconds: 5 }, misfire: "skip" });
  s.clock.set(T0 + 75_000);
  const res = await claimDue(s.deps, await s.due(), new Map());
  assert.deepEqual([res.fired.length, res.lost], [0, 0]);
  // Nothing fired; each trigger leaves one record of what it missed (issue 17).
  const logs = await s.logs();
  assert.deepEqual(logs.map((l) => l.outcome), ["missed", "missed"]);
  const rec = (await s.record(trig.id)).value!;
  assert.equal(rec.nextRunAt, iso(T0 + 80_000));
  assert.equal(rec.scheduledRuns, 0);
  assert.equal(rec.status, "active");
  const gone = (await s.record(once.id)).value!;
  assert.equal(gone.status, "completed", "a skipped one-time trigger has nothing left");
  assert.equal(gone.nextRunAt, null);
});

Deno.test("planClaim() treats lateness within the grace as on time, beyond it as missed", () => {
  const rec = {
    id: "01J0000000000000000000000A",
    name: "x",
    type: "scheduled",
    schedule: { at: iso(T0) },
    payload: null,
    payloadSchema: null,
    webhook: null,
    misfire: "fire_once",
    status: "active",
    nextRunAt: iso(T0),
    scheduledRuns: 0,
    lastScheduledRunAt: null,
    createdAt: iso(T0 - 1000),
    updatedAt: iso(T0 - 1000),
    version: 1,
  } satisfies TriggerRecord;
  const within = planClaim(rec, T0, T0 + 5000, 5000);
  assert.deepEqual([within.log!.catchUp, within.log!.lateMs], [false, 5000]);
  const beyond = planClaim(rec, T0, T0 + 5001, 5000);
  assert.deepEqual([beyond.log!.catchUp, beyond.log!.lateMs], [true, 5001]);
  assert.equal(beyond.next.status, "completed");
  // A recurring trigger whose following occurrence has also passed missed one, whatever the grace.
  const every = { ...rec, schedule: { everySeconds: 1, startAt: iso(T0) } };
  const behind = planClaim(every, T0, T0 + 1500, 5000);
  assert.deepEqual([behind.log!.catchUp, behind.log!.scheduledFor], [true, iso(T0 + 1000)]);
  assert.equal(behind.next.nextRunAt, iso(T0 + 2000));
});

Deno.test("claimDue() from two instances at once fires each occurrence exactly once", async () => {
  await using s = await setup();
  const ids = [];
  for (let i = 0; i < 150; i++) ids.push((await s.create({ schedule: { delaySeconds: 1 } })).id);
  s.clock.set(T0 + 1000);
  const items = await s.due();
  assert.equal(items.length, 150);
  // Two schedulers with their own caches, both warmed, racing over the same items.
  const [a, b] = await Promise.all([
    claimDue(s.deps, items, new Map()),
    claimDue(s.deps, [...items].reverse(), new Map()),
  ]);
  assert.equal(a.fired.length + b.fired.length, 150);
  assert.equal(a.lost + b.lost, 150);
  const logs = await s.logs();
  assert.deepEqual(logs.map((l) => l.triggerId).sort(), ids.sort());
});

Deno.test("claimDue() fires nothing for a trigger paused, deleted or rescheduled after it was read", async () => {
  await using s = await setup();
  const paused = await s.create({ schedule: { delaySeconds: 1 } });
  const deleted = await s.create({ schedule: { delaySeconds: 1 } });
  const moved = await s.create({ schedule: { delaySeconds: 1 } });
  const kept = await s.create({ schedule: { delaySeconds: 1 } });
  const items = await s.due();
  // Warm the cache as the engine's prefetch does, so the stale versions are what a timer holds.
  const cache: RecordCache = new Map();
  for (const it of items) {
    cache.set(it.id, (await s.record(it.id)) as Deno.KvEntry<TriggerRecord>);
  }
  assert.equal((await s.call("POST", `/api/triggers/${paused.id}/pause`)).status, 200);
  assert.equal((await s.call("DELETE", `/api/triggers/${deleted.id}`)).status, 204);
  const patch = await s.call("PATCH", `/api/triggers/${moved.id}`, {
    schedule: { delaySeconds: 30 },
  });
  assert.equal(patch.status, 200);
  s.clock.set(T0 + 1000);
  const res = await claimDue(s.deps, items, cache);
  assert.deepEqual(res.fired.map((l) => l.triggerId), [kept.id]);
  assert.equal(res.lost, 3);
  // The rescheduled trigger fires on its new schedule only.
  s.clock.set(T0 + 30_000);
  const later = await claimDue(s.deps, await s.due(), cache);
  assert.deepEqual(later.fired.map((l) => [l.triggerId, l.scheduledFor]), [
    [moved.id, iso(T0 + 30_000)],
  ]);
  assert.equal((await s.logs()).length, 2);
});

Deno.test("claimDue() after resume applies the misfire policy to what passed while paused", async () => {
  await using s = await setup(1000);
  const once = await s.create({ schedule: { everySeconds: 5, startAt: iso(T0 + 5000) } });
  const skip = await s.create({
    schedule: { everySeconds: 5, startAt: iso(T0 + 5000) },
    misfire: "skip",
  });
  for (const id of [once.id, skip.id]) {
    assert.equal((await s.call("POST", `/api/triggers/${id}/pause`)).status, 200);
  }
  s.clock.set(T0 + 22_000);
  assert.deepEqual(await s.due(), [], "paused triggers have no due entry");
  for (const id of [once.id, skip.id]) {
    assert.equal((await s.call("POST", `/api/triggers/${id}/resume`)).status, 200);
  }
  const res = await claimDue(s.deps, await s.due(), new Map());
  assert.deepEqual(res.fired.map((l) => [l.triggerId, l.scheduledFor, l.catchUp]), [
    [once.id, iso(T0 + 20_000), true],
  ]);
  for (const id of [once.id, skip.id]) {
    assert.equal((await s.record(id)).value!.nextRunAt, iso(T0 + 25_000));
  }
});

Deno.test("claimDue() splits large batches into several commits and fires them all", async () => {
  await using s = await setup();
  const big = "x".repeat(20_000); // 20 KB payloads: the byte budget, not the count, splits them
  for (let i = 0; i < 100; i++) {
    await s.create({ schedule: { delaySeconds: 1 }, payload: { big } });
  }
  s.clock.set(T0 + 1000);
  const res = await claimDue(s.deps, await s.due(), new Map());
  assert.deepEqual([res.fired.length, res.lost], [100, 0]);
  assert.equal((await s.logs()).length, 100);
});

Deno.test("claimDue() fires an occurrence whose payload was edited after it was read, with the new payload", async () => {
  await using s = await setup();
  const trig = await s.create({ schedule: { delaySeconds: 1 }, payload: { v: 1 } });
  const items = await s.due();
  const cache: RecordCache = new Map();
  cache.set(trig.id, (await s.record(trig.id)) as Deno.KvEntry<TriggerRecord>);
  const patch = await s.call("PATCH", `/api/triggers/${trig.id}`, { payload: { v: 2 } });
  assert.equal(patch.status, 200);
  // The timer still holds the old due entry: the occurrence is the same, so it fires once.
  s.clock.set(T0 + 1000);
  const res = await claimDue(s.deps, items, cache);
  assert.deepEqual(res.fired.map((l) => [l.scheduledFor, l.payload]), [[iso(T0 + 1000), { v: 2 }]]);
  assert.equal(res.lost, 0);
  // The due entry the edit rewrote is gone with the claim: nothing fires twice.
  assert.deepEqual(await s.due(), []);
  assert.equal((await s.logs()).length, 1);
});

Deno.test("claimDue() fires large triggers due together without exceeding a commit's size", async () => {
  await using s = await setup();
  // Records of ~28 KiB (webhook headers, which the record stores), 40 due at one instant:
  // together far above KV's 800 KiB per commit, each well within its limits.
  const headers = Object.fromEntries(
    Array.from({ length: 7 }, (_, i) => [`x-big-${i}`, "h".repeat(4000)]),
  );
  const ids: string[] = [];
  for (let i = 0; i < 40; i++) {
    ids.push(
      (await s.create({
        schedule: { at: iso(T0 + 10_000) },
        webhook: { url: "http://127.0.0.1:9/hook", headers },
      })).id,
    );
  }
  s.clock.set(T0 + 10_001);
  const res = await claimDue(s.deps, await s.due(), new Map());
  assert.equal(res.fired.length, 40);
  assert.equal(res.lost, 0);
  assert.deepEqual(new Set(res.fired.map((l) => l.triggerId)), new Set(ids));
  assert.equal((await s.logs()).length, 40);
  assert.deepEqual(await s.due(), [], "every trigger moved on");
});

Deno.test("the histogram counts missed records apart from firings", async () => {
  await using s = await setup(1000);
  await s.create({ schedule: { everySeconds: 10, startAt: iso(T0 + 10_000) } }); // fire_once
  await s.create({ schedule: { everySeconds: 10, startAt: iso(T0 + 10_000) }, misfire: "skip" });
  s.clock.set(T0 + 75_000);
  await claimDue(s.deps, await s.due(), new Map());
  const outcomes = (await s.logs()).map((l) => l.outcome).sort();
  assert.deepEqual(outcomes, ["missed", "missed", "ok"], "one catch-up and two missed records");
  const res = await s.call(
    "GET",
    `/api/logs/histogram?bucket=1h&since=${iso(T0)}&until=${iso(T0 + 3_600_000)}`,
  );
  assert.equal(res.status, 200);
  const [bucket] = res.body.buckets;
  assert.deepEqual(
    [bucket.count, bucket.ok, bucket.pending, bucket.failed, bucket.missed, bucket.skipped],
    [1, 1, 0, 0, 2, 0],
  );
});
