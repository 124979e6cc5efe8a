/** The housekeeping sweep: per-minute lock across instances, batched deletes, concurrency. */
import assert from "node:assert/strict";
import { ManualClock } from "../core/clock.ts";
import { parseConfig } from "../core/config.ts";
import { createDeps, type Deps } from "../db/deps.ts";
import { keys } from "../db/keys.ts";
import { listLogs } from "../db/log_list.ts";
import { logStats } from "../db/log_stats.ts";
import { addLogWrites } from "../db/log_writes.ts";
import { ulid } from "../core/ulid.ts";
import type { StoredLog } from "../core/schemas.ts";
import { runHousekeeping, sweepLogs } from "../services/housekeeping.ts";
import {
  fireOverdueTests,
  firePendingTest,
  schedulePendingTest,
} from "../services/pending_test_firing.ts";
import { unsavedRecord } from "../services/firings.ts";
import { buildDefinition } from "../scheduler/definition.ts";

const WINDOWS = { activeRetentionMs: 2000, archiveRetentionMs: 3000 };
let nextBase = Date.now() - 20 * 3600_000;

async function openStore(path: string, clock: ManualClock): Promise<Deps> {
  const config = { ...parseConfig(["--kv", path], {}), ...WINDOWS };
  return createDeps(await Deno.openKv(path), config, { clock });
}

function entry(ms: number, triggerId: string | null, name: string): StoredLog {
  return {
    id: ulid(ms),
    triggerId,
    triggerName: name,
    triggerType: "api",
    source: triggerId ? "api" : "test",
    test: triggerId === null,
    scheduledFor: null,
    firedAt: new Date(ms).toISOString(),
    lateMs: null,
    catchUp: false,
    payload: { ms },
    outcome: "ok",
    delivery: null,
  };
}

/** Writes `n` entries spread over `spanMs` from `t0`, round-robin over a few counters. */
async function seed(deps: Deps, t0: number, n: number, spanMs: number): Promise<void> {
  const triggers: [string | null, string][] = [
    [ulid(t0 - 1), "one"],
    [ulid(t0 - 1), "two"],
    [null, "probe"],
  ];
  for (let i = 0; i < n; i += 100) {
    const op = deps.kv.atomic();
    for (let j = i; j < Math.min(n, i + 100); j++) {
      const [id, name] = triggers[j % 3];
      addLogWrites(op, entry(t0 + Math.floor((j * spanMs) / n), id, name), deps.config);
    }
    assert.ok((await op.commit()).ok);
  }
}

async function count(kv: Deno.Kv, prefix: string): Promise<number> {
  let n = 0;
  for await (const _ of kv.list({ prefix: [prefix] })) n++;
  return n;
}

/** Every retained entry by walking listings: [active, archived]. */
async function listed(deps: Deps): Promise<[number, number]> {
  const out: [number, number] = [0, 0];
  let cursor: string | undefined;
  do {
    const page = await listLogs(
      deps.kv,
      { state: "all", limit: 500, cursor },
      deps.clock.now(),
      deps.config,
    );
    for (const e of page.items) out[e.state === "active" ? 0 : 1]++;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

const tempDirs: string[] = [];
async function tempPath(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "tock-sweep-" });
  tempDirs.push(dir);
  return dir + "/tock.kv";
}

globalThis.addEventListener("unload", () => {
  for (const dir of tempDirs) Deno.removeSync(dir, { recursive: true });
});

Deno.test("runHousekeeping runs once per minute when several instances share the KV", async () => {
  const path = await tempPath();
  const clock = new ManualClock(nextBase += 3600_000);
  const instances = await Promise.all([1, 2, 3].map(() => openStore(path, clock)));
  try {
    const minute = Math.floor(clock.now() / 60_000) * 60_000;
    const first = await Promise.all(instances.map((d) => runHousekeeping(d, minute + 5)));
    assert.equal(first.filter((r) => r.ran).length, 1);
    const again = await Promise.all(instances.map((d) => runHousekeeping(d, minute + 30_000)));
    assert.equal(again.filter((r) => r.ran).length, 0);
    const next = await Promise.all(instances.map((d) => runHousekeeping(d, minute + 60_000)));
    assert.equal(next.filter((r) => r.ran).length, 1);
  } finally {
    for (const d of instances) d.kv.close();
  }
});

Deno.test("a large sweep deletes in batched commits and keeps stats equal to listings", async () => {
  const path = await tempPath();
  const t0 = nextBase += 3600_000;
  const clock = new ManualClock(t0);
  const deps = await openStore(path, clock);
  try {
    await seed(deps, t0, 3000, 3000); // one entry per ms for 3 s
    assert.equal(await count(deps.kv, "logs"), 3000);
    clock.set(t0 + 6000); // 0..1000 past retention, 1001..2999 archived
    const before = await logStats(deps.kv, clock.now(), deps.config);
    assert.deepEqual([before.active, before.archived], await listed(deps));
    assert.deepEqual([before.active, before.archived], [0, 1999]);
    const res = await sweepLogs(deps, clock.now());
    assert.equal(res.deleted, 1001);
    assert.equal(res.archived, 3000);
    assert.ok(res.commits >= 5, `deleting 1001 entries took ${res.commits} commits`);
    assert.equal(res.conflict, false);
    assert.equal(await count(deps.kv, "logs"), 1999);
    assert.equal(await count(deps.kv, "logs_by_name"), 1999);
    assert.equal(await count(deps.kv, "logs_by_trigger"), 1999 - 667); // test firings: none
    assert.deepEqual(await logStats(deps.kv, clock.now(), deps.config), before);
    // Nothing left to do: one more sweep at the same instant changes nothing.
    const idle = await sweepLogs(deps, clock.now());
    assert.deepEqual([idle.deleted, idle.archived, idle.commits], [0, 0, 0]);
    clock.set(t0 + 9000);
    await sweepLogs(deps, clock.now());
    assert.equal(await count(deps.kv, "logs"), 0);
    assert.equal(await count(deps.kv, "logs_by_name"), 0);
    assert.equal(await count(deps.kv, "logs_by_trigger"), 0);
    assert.deepEqual(await logStats(deps.kv, clock.now(), deps.config), {
      active: 0,
      archived: 0,
      missed: 0,
      skipped: 0,
      byTrigger: [],
    });
  } finally {
    deps.kv.close();
  }
});

Deno.test("concurrent sweeps from several instances never count an entry twice", async () => {
  const path = await tempPath();
  const t0 = nextBase += 3600_000;
  const clock = new ManualClock(t0);
  const instances = await Promise.all([1, 2, 3].map(() => openStore(path, clock)));
  try {
    await seed(instances[0], t0, 2400, 4800);
    for (const ms of [3000, 5500, 7000, 8000, 11_000]) {
      clock.set(t0 + ms);
      const results = await Promise.all(instances.map((d) => sweepLogs(d, clock.now())));
      const stats = await logStats(instances[1].kv, clock.now(), instances[1].config);
      assert.deepEqual([stats.active, stats.archived], await listed(instances[2]), `at +${ms}`);
      const deleted = results.reduce((n, r) => n + r.deleted, 0);
      assert.ok(deleted <= 2400);
    }
    assert.equal(await count(instances[0].kv, "logs"), 0);
  } finally {
    for (const d of instances) d.kv.close();
  }
});

Deno.test("housekeeping fires a delayed test firing whose process died, exactly once", async () => {
  const path = await tempPath();
  const t0 = nextBase += 3600_000;
  const clock = new ManualClock(t0);
  const deps = await openStore(path, clock);
  try {
    const def = buildDefinition({ name: "late", type: "api" }, t0, deps.schemas.check);
    const pending = await schedulePendingTest(deps, {
      atMs: t0 + 1000,
      def: unsavedRecord(def, t0),
      payload: { hello: 1 },
    });
    // Not yet overdue by the grace period: left for the request's own timer.
    clock.set(t0 + 5000);
    assert.equal((await runHousekeeping(deps, clock.now())).testsFired, 0);
    clock.set(t0 + 120_000);
    const run = await runHousekeeping(deps, clock.now());
    assert.equal(run.testsFired, 1);
    assert.equal(await count(deps.kv, "test_pending"), 0);
    // The process's own timer comes too late: it fires nothing.
    assert.equal(await firePendingTest(deps, pending), null);
    const logs = [];
    for await (const e of deps.kv.list<StoredLog>({ prefix: keys.logsPrefix() })) logs.push(e);
    assert.equal(logs.length, 1);
    assert.equal(logs[0].value.test, true);
    assert.equal(logs[0].value.source, "test");
    assert.deepEqual(logs[0].value.payload, { hello: 1 });
    assert.equal(logs[0].value.triggerId, null);
  } finally {
    deps.kv.close();
  }
});

Deno.test("overdue test firings go at most `limit` per run, oldest first, the rest next run", async () => {
  const path = await tempPath();
  const t0 = nextBase += 3600_000;
  const clock = new ManualClock(t0);
  const deps = await openStore(path, clock);
  try {
    for (let i = 0; i < 3; i++) {
      const def = buildDefinition({ name: `late-${i}`, type: "api" }, t0, deps.schemas.check);
      await schedulePendingTest(deps, {
        atMs: t0 + 1000 + i,
        def: unsavedRecord(def, t0),
        payload: { i },
      });
    }
    clock.set(t0 + 120_000);
    assert.equal(await fireOverdueTests(deps, clock.now(), undefined, 2), 2);
    assert.equal(await count(deps.kv, "test_pending"), 1);
    assert.equal(await fireOverdueTests(deps, clock.now(), undefined, 2), 1);
    const fired = [];
    for await (const e of deps.kv.list<StoredLog>({ prefix: keys.logsPrefix() })) {
      fired.push(e.value.payload);
    }
    assert.deepEqual(fired, [{ i: 0 }, { i: 1 }, { i: 2 }]);
  } finally {
    deps.kv.close();
  }
});

Deno.test("stats read while a sweep is deleting stay exact", async () => {
  const path = await tempPath();
  const t0 = nextBase += 3600_000;
  const clock = new ManualClock(t0);
  const [sweeper, reader] = await Promise.all([openStore(path, clock), openStore(path, clock)]);
  try {
    await seed(sweeper, t0, 4000, 4000);
    clock.set(t0 + 7000); // 0..2000 past retention: a sweep of many commits
    const expected = await logStats(reader.kv, clock.now(), reader.config);
    assert.deepEqual([expected.active, expected.archived], [0, 1999]);
    let done = false;
    const sweeping = sweepLogs(sweeper, clock.now()).finally(() => (done = true));
    let reads = 0;
    // Several readers at once, so that sweep commits land between their reads and scans.
    await Promise.all([1, 2, 3, 4].map(async () => {
      while (!done) {
        assert.deepEqual(await logStats(reader.kv, clock.now(), reader.config), expected);
        reads++;
      }
    }));
    const res = await sweeping;
    assert.equal(res.deleted, 2001);
    assert.ok(reads > 0);
    assert.deepEqual(await logStats(reader.kv, clock.now(), reader.config), expected);
  } finally {
    sweeper.kv.close();
    reader.kv.close();
  }
});
