/**
 * Real-time tests of the scheduler through the HTTP API: the app and a running Scheduler on a
 * `:memory:` KV with the wall clock, 1 s schedules, assertions bounded by deadlines.
 */
import assert from "node:assert/strict";
import { Scheduler } from "../scheduler/engine.ts";
import type { LogEntry } from "../core/schemas.ts";
import { testApp } from "./helpers/app.ts";
import { waitFor } from "./helpers/server.ts";

const iso = (ms: number) => new Date(ms).toISOString();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function running(graceMs = 5000) {
  const t = await testApp({ config: { misfireGraceMs: graceMs } });
  const scheduler = new Scheduler(t.deps);
  await scheduler.start();
  const create = async (body: Record<string, unknown>) => {
    const res = await t.call("POST", "/api/triggers", { name: crypto.randomUUID(), ...body });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as { id: string; nextRunAt: string; schedule: Record<string, string> };
  };
  const logsOf = async (id: string): Promise<LogEntry[]> => {
    const res = await t.call("GET", `/api/logs?trigger=${id}&limit=500`);
    assert.equal(res.status, 200);
    // Firings, oldest first; missed-run records are tests/ops17_missed_test.ts's.
    return (res.body.items as LogEntry[]).filter((l) => l.outcome !== "missed").reverse();
  };
  const get = async (id: string) => (await t.call("GET", `/api/triggers/${id}`)).body;
  return {
    ...t,
    scheduler,
    create,
    logsOf,
    get,
    async [Symbol.asyncDispose]() {
      await scheduler.stop();
      t.kv.close();
    },
  };
}

Deno.test("scheduler fires every schedule form on time through the API", async () => {
  await using s = await running();
  const now = Date.now();
  const delay = await s.create({ schedule: { delaySeconds: 1 }, payload: { form: "delay" } });
  const at = await s.create({ schedule: { at: iso(now + 1500) } });
  const every = await s.create({
    schedule: { everySeconds: 1, startAt: iso(now + 1000), maxRuns: 3 },
  });
  const cron = await s.create({ schedule: { cron: "* * * * * *", maxRuns: 2 } });
  const ended = await s.create({
    schedule: { everySeconds: 1, startAt: iso(now + 1000), endAt: iso(now + 2000) },
  });

  await waitFor(
    async () => {
      const views = await Promise.all([delay, at, every, cron, ended].map((t) => s.get(t.id)));
      return views.every((v) => v.status === "completed");
    },
    15_000,
    "every trigger to complete",
  );

  const [d] = await s.logsOf(delay.id);
  assert.equal(d.source, "schedule");
  assert.equal(d.scheduledFor, delay.schedule.at);
  assert.deepEqual(d.payload, { form: "delay" });
  assert.equal(d.catchUp, false);
  assert.equal(d.lateMs, Date.parse(d.firedAt) - Date.parse(d.scheduledFor!));
  assert.ok(d.lateMs! >= 0 && d.lateMs! < 5000);

  assert.deepEqual((await s.logsOf(at.id)).map((l) => l.scheduledFor), [iso(now + 1500)]);
  assert.deepEqual((await s.logsOf(every.id)).map((l) => l.scheduledFor), [
    iso(now + 1000),
    iso(now + 2000),
    iso(now + 3000),
  ]);
  const cronLogs = await s.logsOf(cron.id);
  assert.equal(cronLogs.length, 2);
  for (const l of cronLogs) assert.equal(Date.parse(l.scheduledFor!) % 1000, 0);
  assert.equal(Date.parse(cronLogs[1].scheduledFor!) - Date.parse(cronLogs[0].scheduledFor!), 1000);
  assert.deepEqual((await s.logsOf(ended.id)).map((l) => l.scheduledFor), [
    iso(now + 1000),
    iso(now + 2000),
  ]);

  const view = await s.get(every.id);
  assert.deepEqual([view.runCount, view.nextRunAt], [3, null]);
  assert.equal(s.scheduler.status().firedTotal, 1 + 1 + 3 + 2 + 2);
});

Deno.test("scheduler: pause, delete and edit take effect at once, with no stale timer firing", async () => {
  await using s = await running();
  const now = Date.now();
  const due = iso(now + 1200);
  const paused = await s.create({ schedule: { at: due } });
  const deleted = await s.create({ schedule: { at: due } });
  const edited = await s.create({ schedule: { at: due } });
  const control = await s.create({ schedule: { at: due } });
  // By now the scheduler holds all four and its timer is aimed at `due`.
  await waitFor(() => s.scheduler.status().upcoming === 4, 2000, "the scheduler to hold them");
  assert.equal(s.scheduler.status().nextDueAt, due);
  assert.equal((await s.call("POST", `/api/triggers/${paused.id}/pause`)).status, 200);
  assert.equal((await s.call("DELETE", `/api/triggers/${deleted.id}`)).status, 204);
  const patch = await s.call("PATCH", `/api/triggers/${edited.id}`, {
    schedule: { at: iso(now + 2500) },
  });
  assert.equal(patch.status, 200);

  await waitFor(async () => (await s.logsOf(edited.id)).length === 1, 8000, "the edited firing");
  await sleep(300);
  assert.equal((await s.logsOf(control.id)).length, 1);
  assert.deepEqual((await s.logsOf(edited.id)).map((l) => l.scheduledFor), [iso(now + 2500)]);
  assert.equal((await s.logsOf(paused.id)).length, 0);
  assert.equal((await s.logsOf(deleted.id)).length, 0);
  assert.equal((await s.get(paused.id)).status, "paused");
  assert.equal(s.scheduler.status().firedTotal, 2);
});

Deno.test("scheduler: a paused recurring trigger stops at once and a schedule change replaces the old one", async () => {
  await using s = await running();
  const now = Date.now();
  const every = await s.create({ schedule: { everySeconds: 1, startAt: iso(now + 1000) } });
  const moving = await s.create({ schedule: { everySeconds: 1, startAt: iso(now + 1000) } });
  await waitFor(async () => (await s.logsOf(every.id)).length >= 2, 8000, "two firings");
  assert.equal((await s.call("POST", `/api/triggers/${every.id}/pause`)).status, 200);
  // A claim stamps firedAt before its commit, and a commit after the pause fails its check:
  // so nothing fired after the pause answered.
  const pausedAt = Date.now();
  const patch = await s.call("PATCH", `/api/triggers/${moving.id}`, {
    schedule: { everySeconds: 1, startAt: iso(pausedAt + 1537) }, // off the old grid
  });
  assert.equal(patch.status, 200);
  const patchedAt = Date.now();
  const newStart = Date.parse(patch.body.schedule.startAt);
  await sleep(2600);
  const pausedLogs = await s.logsOf(every.id);
  for (const l of pausedLogs) assert.ok(Date.parse(l.firedAt) <= pausedAt, "none after pause");
  const movedLogs = await s.logsOf(moving.id);
  const afterPatch = movedLogs.filter((l) => Date.parse(l.firedAt) > patchedAt);
  assert.ok(afterPatch.length >= 1);
  for (const l of afterPatch) {
    assert.equal((Date.parse(l.scheduledFor!) - newStart) % 1000, 0, "on the new grid only");
  }
});

Deno.test("scheduler: resume after a pause longer than the grace fires once (fire_once) or not at all (skip)", async () => {
  await using s = await running(300);
  const now = Date.now();
  const once = await s.create({ schedule: { everySeconds: 1, startAt: iso(now + 5000) } });
  const skip = await s.create({
    schedule: { everySeconds: 1, startAt: iso(now + 5000) },
    misfire: "skip",
  });
  for (const t of [once, skip]) {
    assert.equal((await s.call("POST", `/api/triggers/${t.id}/pause`)).status, 200);
  }
  // Paused over the first occurrences: +5 s, +6 s, +7 s.
  await sleep(now + 7300 - Date.now());
  for (const t of [once, skip]) {
    assert.equal((await s.call("POST", `/api/triggers/${t.id}/resume`)).status, 200);
  }
  const resumedAt = Date.now();
  await waitFor(async () => (await s.logsOf(once.id)).length >= 1, 3000, "the catch-up firing");
  const [catchUp] = await s.logsOf(once.id);
  assert.equal(catchUp.catchUp, true);
  // It stands for the most recent occurrence missed when it was claimed (+7 s unless slow).
  const firstAt = now + 5000;
  const claimedAt = Date.parse(catchUp.firedAt);
  const latest = firstAt + Math.floor((claimedAt - firstAt) / 1000) * 1000;
  assert.equal(catchUp.scheduledFor, iso(latest));
  assert.ok(latest >= now + 7000);
  assert.ok(Date.parse(catchUp.firedAt) - resumedAt < 1000, "right after resume");
  // Both then continue on their grid; skip never fires a missed occurrence.
  await waitFor(async () => (await s.logsOf(skip.id)).length >= 1, 3000, "skip's next firing");
  const skipLogs = await s.logsOf(skip.id);
  for (const l of skipLogs) {
    assert.equal(l.catchUp, false);
    assert.ok(Date.parse(l.scheduledFor!) > resumedAt - 5);
  }
  const onceLogs = await s.logsOf(once.id);
  assert.equal(onceLogs.filter((l) => l.catchUp).length, 1);
});
