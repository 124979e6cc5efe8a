/**
 * The retention lifecycle with windows of seconds: an entry is active, then archived, then
 * gone; listings, GET /api/logs/:id and stats agree at every step (to the millisecond), and the
 * sweep deletes the keys and keeps the counters right, across window changes and restarts.
 */
import assert from "node:assert/strict";
import { ManualClock } from "../core/clock.ts";
import { createApp } from "../http/app.ts";
import { createDeps, type Deps } from "../db/deps.ts";
import { parseConfig } from "../core/config.ts";
import { sweepLogs } from "../services/housekeeping.ts";
import { testApp, uniqueName } from "./helpers/app.ts";
import { startServer, waitFor } from "./helpers/server.ts";

const WINDOWS = { activeRetentionMs: 2000, archiveRetentionMs: 3000 };

type Call = Awaited<ReturnType<typeof testApp>>["call"];

/** Every id a listing returns, walking all pages. */
async function listAll(call: Call, query: string): Promise<{ id: string; state: string }[]> {
  const out: { id: string; state: string }[] = [];
  let cursor: string | null = null;
  do {
    const q = `${query}${query ? "&" : ""}limit=7${cursor ? `&cursor=${cursor}` : ""}`;
    const res = await call("GET", `/api/logs?${q}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    out.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor);
  return out;
}

/** Asserts that stats and the listings show the same thing right now; returns the stats. */
async function assertAgree(call: Call) {
  const stats = (await call("GET", "/api/logs/stats")).body;
  const active = await listAll(call, "state=active");
  const archived = await listAll(call, "state=archived");
  const all = await listAll(call, "state=all");
  assert.equal(stats.active, active.length, "active count");
  assert.equal(stats.archived, archived.length, "archived count");
  assert.equal(all.length, active.length + archived.length);
  assert.ok(active.every((e) => e.state === "active"));
  assert.ok(archived.every((e) => e.state === "archived"));
  const sumActive = stats.byTrigger.reduce((n: number, t: { active: number }) => n + t.active, 0);
  const sumArch = stats.byTrigger.reduce((n: number, t: { archived: number }) => n + t.archived, 0);
  assert.equal(sumActive, stats.active);
  assert.equal(sumArch, stats.archived);
  return stats;
}

async function countKeys(kv: Deno.Kv, prefix: string): Promise<number> {
  let n = 0;
  for await (const _ of kv.list({ prefix: [prefix] })) n++;
  return n;
}

/** Keys of every log entry and its indexes. */
async function logKeys(kv: Deno.Kv): Promise<number> {
  return await countKeys(kv, "logs") + await countKeys(kv, "logs_by_trigger") +
    await countKeys(kv, "logs_by_name");
}

// Each test gets a clock ten minutes after the previous test's, all hours behind the wall
// clock: log ids are monotonic ULIDs per process, so a clock that went back in time would
// yield ids later than their firedAt.
let nextBase = Date.now() - 10 * 3600_000;
const startClock = () => new ManualClock(nextBase += 600_000);

Deno.test("a log entry moves active -> archived -> gone at its exact deadlines, stats agreeing", async () => {
  const clock = startClock();
  await using t = await testApp({ config: WINDOWS, clock });
  const t0 = clock.now();
  const name = uniqueName("life");
  const created = await t.call("POST", "/api/triggers", { name, type: "api" });
  assert.equal(created.status, 201);
  const fired = await t.call("POST", `/api/triggers/${created.body.id}/fire`, { n: 1 });
  assert.equal(fired.status, 202);
  const id = fired.body.id;
  clock.set(t0 + 1000);
  const test = await t.call("POST", "/api/test", { name: "probe", type: "api" });
  assert.equal(test.status, 200);

  const stateOf = async () => {
    const res = await t.call("GET", `/api/logs/${id}`);
    return res.status === 200 ? res.body.state : res.status;
  };
  // [offset from the first firing, its state, stats active, stats archived]
  const steps: [number, string | number, number, number][] = [
    [0, "active", 2, 0],
    [1999, "active", 2, 0],
    [2000, "archived", 1, 1],
    [2999, "archived", 1, 1],
    [3000, "archived", 0, 2],
    [4999, "archived", 0, 2],
    [5000, 404, 0, 1],
    [5999, 404, 0, 1],
    [6000, 404, 0, 0],
  ];
  for (const [offset, state, active, archived] of steps) {
    clock.set(t0 + offset);
    assert.equal(await stateOf(), state, `state at +${offset}ms`);
    const stats = await assertAgree(t.call);
    assert.deepEqual([stats.active, stats.archived], [active, archived], `stats at +${offset}ms`);
  }
  // Nothing was swept yet: the keys are all still there, invisible.
  assert.equal(await logKeys(t.kv), 5);
  const swept = await sweepLogs(t.deps, clock.now());
  assert.equal(swept.deleted, 2);
  assert.equal(await logKeys(t.kv), 0);
  const stats = await assertAgree(t.call);
  assert.deepEqual(stats, { active: 0, archived: 0, missed: 0, skipped: 0, byTrigger: [] });
  // Counter sets that reached zero are removed: nothing of the log is left in KV.
  assert.equal(swept.countersRemoved, 2);
  assert.equal(await countKeys(t.kv, "log_stats"), 1); // the sweep cursor
});

Deno.test("stats agree with listings at every step while sweeps run in between", async () => {
  const clock = startClock();
  await using t = await testApp({ config: WINDOWS, clock });
  const t0 = clock.now();
  const a = await t.call("POST", "/api/triggers", { name: uniqueName("a"), type: "api" });
  const b = await t.call("POST", "/api/triggers", { name: uniqueName("b"), type: "api" });
  // Fire a few per 100 ms for 3 s, sweeping every 700 ms and comparing every 100 ms.
  let fires = 0;
  for (let ms = 0; ms <= 9000; ms += 100) {
    clock.set(t0 + ms);
    if (ms <= 3000) {
      await t.call("POST", `/api/triggers/${a.body.id}/fire`);
      if (ms % 300 === 0) await t.call("POST", `/api/triggers/${b.body.id}/fire`);
      if (ms % 500 === 0) await t.call("POST", "/api/test", { name: "x", type: "api" });
      fires++;
    }
    if (ms % 700 === 0) {
      const before = (await t.call("GET", "/api/logs/stats")).body;
      await sweepLogs(t.deps, clock.now());
      assert.deepEqual((await t.call("GET", "/api/logs/stats")).body, before, `sweep at +${ms}`);
    }
    const stats = await assertAgree(t.call);
    if (ms === 1500) assert.equal(stats.active, 16 + 6 + 4); // every firing so far: a, b, test
  }
  assert.equal(fires, 31);
  const final = await assertAgree(t.call);
  assert.deepEqual(final, { active: 0, archived: 0, missed: 0, skipped: 0, byTrigger: [] });
  await sweepLogs(t.deps, clock.now());
  assert.equal(await logKeys(t.kv), 0);
});

Deno.test("byTrigger names each trigger and counts test firings under triggerId null", async () => {
  const clock = startClock();
  await using t = await testApp({ config: WINDOWS, clock });
  const t0 = clock.now();
  const name = uniqueName("named");
  const trig = await t.call("POST", "/api/triggers", { name, type: "api" });
  await t.call("POST", `/api/triggers/${trig.body.id}/fire`);
  await t.call("POST", `/api/triggers/${trig.body.id}/fire`);
  await t.call("POST", "/api/test", { name: "probe", type: "api" });
  clock.set(t0 + 2500);
  await t.call("POST", `/api/triggers/${trig.body.id}/fire`);
  const stats = await assertAgree(t.call);
  assert.deepEqual(stats, {
    active: 1,
    archived: 3,
    missed: 0,
    skipped: 0,
    byTrigger: [
      { triggerId: trig.body.id, triggerName: name, active: 1, archived: 2, missed: 0, skipped: 0 },
      { triggerId: null, triggerName: "test", active: 0, archived: 1, missed: 0, skipped: 0 },
    ].sort((x, y) => (x.triggerName < y.triggerName ? -1 : 1)),
  });
});

Deno.test("changing the windows needs no migration: stats follow at once, both directions", async () => {
  const clock = startClock();
  await using t = await testApp({ config: WINDOWS, clock });
  const t0 = clock.now();
  const trig = await t.call("POST", "/api/triggers", { name: uniqueName("w"), type: "api" });
  for (let ms = 0; ms <= 4000; ms += 250) {
    clock.set(t0 + ms);
    await t.call("POST", `/api/triggers/${trig.body.id}/fire`);
  }
  clock.set(t0 + 5500);
  await sweepLogs(t.deps, clock.now());
  const narrow = await assertAgree(t.call);
  assert.deepEqual([narrow.active, narrow.archived], [2, 12]); // 3750, 4000; 750..3500
  // Same store, other windows (a restart with new flags): wider, then narrower than swept.
  for (
    const w of [
      { activeRetentionMs: 4000, archiveRetentionMs: 10_000 },
      { activeRetentionMs: 500, archiveRetentionMs: 1000 },
      { activeRetentionMs: 3000, archiveRetentionMs: 3000 },
    ]
  ) {
    const deps: Deps = { ...t.deps, config: { ...t.deps.config, ...w } };
    const app = createApp(deps);
    const call: Call = async (method, path) => {
      const res = await app.request(path, { method });
      return { status: res.status, body: await res.json(), headers: res.headers };
    };
    const stats = await assertAgree(call);
    await sweepLogs(deps, clock.now());
    assert.deepEqual(await assertAgree(call), stats, `after sweeping with ${JSON.stringify(w)}`);
  }
});

Deno.test("stats stay correct after deletion sweeps and a restart on the same KV file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tock-logs-" });
  const path = `${dir}/tock.kv`;
  const clock = startClock();
  const t0 = clock.now();
  const open = async () => {
    const kv = await Deno.openKv(path);
    const deps: Deps = createDeps(kv, { ...parseConfig(["--kv", path], {}), ...WINDOWS }, {
      clock,
    });
    const app = createApp(deps);
    const call: Call = async (method, p, body) => {
      const res = await app.request(p, {
        method,
        headers: { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: await res.json(), headers: res.headers };
    };
    return { kv, deps, call };
  };
  try {
    let s = await open();
    const trig = await s.call("POST", "/api/triggers", { name: uniqueName("r"), type: "api" });
    for (let ms = 0; ms < 6000; ms += 200) {
      clock.set(t0 + ms);
      await s.call("POST", `/api/triggers/${trig.body.id}/fire`);
      if (ms % 1000 === 0) await sweepLogs(s.deps, clock.now());
    }
    const before = await assertAgree(s.call);
    assert.deepEqual([before.active, before.archived], [10, 15]);
    s.kv.close();
    s = await open();
    assert.deepEqual(await assertAgree(s.call), before);
    await sweepLogs(s.deps, clock.now());
    assert.deepEqual(await assertAgree(s.call), before);
    clock.set(t0 + 7000);
    const later = await assertAgree(s.call);
    assert.deepEqual([later.active, later.archived], [4, 15]); // 5200..5800; 2200..5000
    s.kv.close();
    s = await open();
    await sweepLogs(s.deps, clock.now());
    assert.deepEqual(await assertAgree(s.call), later);
    s.kv.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a deleted trigger's logs stay listed by name and id until retention ends", async () => {
  const clock = startClock();
  await using t = await testApp({ config: WINDOWS, clock });
  const t0 = clock.now();
  const name = uniqueName("gone");
  const trig = await t.call("POST", "/api/triggers", { name, type: "api" });
  const ids = [];
  for (let i = 0; i < 3; i++) {
    ids.unshift((await t.call("POST", `/api/triggers/${trig.body.id}/fire`, { i })).body.id);
  }
  assert.equal((await t.call("DELETE", `/api/triggers/${trig.body.id}`)).status, 204);
  const byName = await t.call("GET", `/api/logs?trigger=${name}`);
  assert.deepEqual(byName.body.items.map((e: { id: string }) => e.id), ids);
  const byId = await t.call("GET", `/api/logs?trigger=${trig.body.id}`);
  assert.deepEqual(byId.body.items.map((e: { id: string }) => e.id), ids);
  const legacy = await t.call("GET", "/list_logs");
  assert.equal(legacy.body.length, 3);
  assert.ok(legacy.body.every((l: { trigger_name: string }) => l.trigger_name === name));
  const stats = await assertAgree(t.call);
  assert.deepEqual(stats.byTrigger, [
    { triggerId: trig.body.id, triggerName: name, active: 3, archived: 0, missed: 0, skipped: 0 },
  ]);
  clock.set(t0 + 5000);
  assert.deepEqual((await t.call("GET", `/api/logs?trigger=${name}`)).body.items, []);
  await sweepLogs(t.deps, clock.now());
  assert.deepEqual((await t.call("GET", `/api/logs?trigger=${name}`)).body.items, []);
  assert.equal(await logKeys(t.kv), 0);
});

Deno.test("the server with --active-retention 2s --archive-retention 3s: active, archived, gone, then swept by its cron", async () => {
  const server = await startServer({
    args: ["--active-retention", "2s", "--archive-retention", "3s"],
  });
  const kv = await Deno.openKv(server.kvPath); // the same file, to count keys
  try {
    const get = async (path: string, init?: RequestInit) => {
      const res = await fetch(`${server.url}${path}`, init);
      return { status: res.status, body: await res.json() };
    };
    const post = (path: string, body: unknown) =>
      get(path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const trig = await post("/api/triggers", { name: uniqueName("proc"), type: "api" });
    const log = (await post(`/api/triggers/${trig.body.id}/fire`, { a: 1 })).body;
    const firedAt = Date.parse(log.firedAt);
    assert.equal(await logKeys(kv), 3);
    const seen: string[] = [];
    // Poll until gone; where a poll does not straddle a deadline, stats and listing must agree.
    for (;;) {
      const before = Date.now();
      const one = await get(`/api/logs/${log.id}`);
      const stats = (await get("/api/logs/stats")).body;
      const list = (await get("/api/logs?state=all")).body.items;
      const after = Date.now();
      const state = one.status === 200 ? one.body.state : String(one.status);
      if (seen.at(-1) !== state) seen.push(state);
      const near = (deadline: number) => before - 100 <= deadline && deadline <= after + 100;
      if (!near(firedAt + 2000) && !near(firedAt + 5000)) {
        const want = state === "active" ? [1, 0] : state === "archived" ? [0, 1] : [0, 0];
        assert.deepEqual([stats.active, stats.archived], want, `stats when ${state}`);
        assert.deepEqual(
          list.map((e: { state: string }) => e.state),
          state === "404" ? [] : [state],
        );
      }
      if (state === "404") break;
      assert.ok(Date.now() < firedAt + 20_000, "entry outlived its retention");
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(seen, ["active", "archived", "404"]);
    assert.ok(Date.now() >= firedAt + 5000);
    // Listings hid it at once; the keys go at the next housekeeping run (once a minute).
    await waitFor(async () => (await logKeys(kv)) === 0, 75_000, "the cron sweep to delete keys");
    assert.deepEqual((await get("/api/logs/stats")).body, {
      active: 0,
      archived: 0,
      missed: 0,
      skipped: 0,
      byTrigger: [],
    });
  } finally {
    kv.close();
    await server.stop();
  }
});
