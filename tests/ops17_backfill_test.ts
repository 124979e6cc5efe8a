/**
 * Backfill (issue 17): a window's occurrences fire once each, oldest first, across a repeated
 * call and a kill -9 midway; occurrences already fired (scheduled or backfilled) are not.
 */
import assert from "node:assert/strict";
import { keys } from "../db/keys.ts";
import { addLogWrites } from "../db/log_writes.ts";
import { newLogEntry } from "../core/log_entry.ts";
import type { StoredLog } from "../core/schemas.ts";
import { BackfillRunner } from "../services/backfill_runner.ts";
import { testApp, uniqueName } from "./helpers/app.ts";
import { api, type RunningServer, startServer, waitFor } from "./helpers/server.ts";

const iso = (ms: number) => new Date(ms).toISOString();

Deno.test("backfill refuses bad windows with 400", async () => {
  await using t = await testApp();
  const now = Date.now();
  const created = await t.call("POST", "/api/triggers", {
    name: uniqueName(),
    schedule: { everySeconds: 1, startAt: iso(now - 86400_000) },
  });
  const id = created.body.id;
  for (
    const [body, path] of [
      [{ from: iso(now - 20_000), to: iso(now + 60_000) }, "to"],
      [{ from: iso(now - 10_000), to: iso(now - 20_000) }, "to"],
      [{ from: iso(now - 10_002_000), to: iso(now - 1000) }, "to"],
      [{ from: "yesterday", to: iso(now - 1000) }, "from"],
    ] as const
  ) {
    const res = await t.call("POST", `/api/triggers/${id}/backfill`, body);
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.ok(res.body.errors.some((e: { path: string }) => e.path === path), path);
  }
  // 10,000 occurrences exactly is allowed.
  const ok = await t.call("POST", `/api/triggers/${id}/backfill`, {
    from: iso(now - 10_000_000 - 1000),
    to: iso(now - 1000),
  });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(ok.body.occurrences, 10_000);
  const api = await t.call("POST", "/api/triggers", { name: uniqueName(), type: "api" });
  const none = await t.call("POST", `/api/triggers/${api.body.id}/backfill`, {
    from: iso(now - 10_000),
    to: iso(now - 1000),
  });
  assert.equal(none.status, 400);
});

async function stored(kvPath: string, triggerId: string) {
  const kv = await Deno.openKv(kvPath);
  try {
    const logs: StoredLog[] = [];
    for await (const e of kv.list<StoredLog>({ prefix: keys.logsPrefix() })) {
      if (e.value.triggerId === triggerId) logs.push(e.value);
    }
    let jobs = 0;
    for await (const _ of kv.list({ prefix: keys.backfillJobsPrefix() })) jobs++;
    return { logs, jobs };
  } finally {
    kv.close();
  }
}

Deno.test("a backfill of 500 called twice and interrupted by kill -9 fires each exactly once", async () => {
  const args = ["--backfill-rate", "100"];
  const first = await startServer({ args });
  const kvPath = first.kvPath;
  let srv: RunningServer = first;
  try {
    const start = Math.floor(Date.now() / 1000) * 1000 - 2000_000;
    const created = await api(srv, "POST", "/api/triggers", {
      name: uniqueName("bf"),
      schedule: { everySeconds: 1, startAt: iso(start) },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id;
    const window = { from: iso(start), to: iso(start + 500_000) };
    const one = await api(srv, "POST", `/api/triggers/${id}/backfill`, window);
    assert.equal(one.status, 200, JSON.stringify(one.body));
    assert.deepEqual(one.body, { occurrences: 500, alreadyFired: 0, queued: 500 });
    const two = await api(srv, "POST", `/api/triggers/${id}/backfill`, window);
    assert.equal(two.body.occurrences, 500);
    assert.equal(two.body.alreadyFired + two.body.queued, 500);

    await waitFor(
      async () => {
        const r = await api(srv, "GET", `/api/logs?trigger=${id}&source=backfill&limit=500`);
        return r.body.items.length >= 100;
      },
      20_000,
      "a fifth of the backfill",
    );
    first.kill("SIGKILL");
    await first.exited;
    const midway = (await stored(kvPath, id)).logs.filter((l) => l.source === "backfill").length;
    assert.ok(midway < 500, `interrupted midway (${midway})`);

    srv = await startServer({ kvPath, args });
    await waitFor(
      async () => {
        const s = await stored(kvPath, id);
        return s.jobs === 0 && s.logs.filter((l) => l.source === "backfill").length >= 500;
      },
      40_000,
      "the backfill to finish after the restart",
    );

    const backfilled = (await stored(kvPath, id)).logs.filter((l) => l.source === "backfill");
    const times = backfilled.map((l) => Date.parse(l.scheduledFor!));
    assert.equal(backfilled.length, 500);
    assert.equal(new Set(times).size, 500, "no occurrence twice");
    for (let k = 0; k < 500; k++) assert.ok(times.includes(start + 1000 * k), `occurrence ${k}`);
    // Oldest first: in log (id) order the occurrences ascend.
    const byId = backfilled.slice().sort((a, b) => (a.id < b.id ? -1 : 1));
    for (let i = 1; i < byId.length; i++) {
      assert.ok(Date.parse(byId[i].scheduledFor!) > Date.parse(byId[i - 1].scheduledFor!));
    }

    const three = await api(srv, "POST", `/api/triggers/${id}/backfill`, window);
    assert.deepEqual(three.body, { occurrences: 500, alreadyFired: 500, queued: 0 });

    // Scheduled firings count as fired too.
    const sched = await waitFor(
      async () => {
        const l = (await stored(kvPath, id)).logs.filter((x) =>
          x.source === "schedule" && x.outcome === "ok" && !x.catchUp
        );
        return l.length >= 3 ? l : null;
      },
      15_000,
      "scheduled firings",
    );
    const ts = sched.map((l) => Date.parse(l.scheduledFor!)).sort((a, b) => a - b);
    const recent = await api(srv, "POST", `/api/triggers/${id}/backfill`, {
      from: iso(ts[0]),
      to: iso(ts[2] + 1),
    });
    assert.deepEqual(recent.body, { occurrences: 3, alreadyFired: 3, queued: 0 });
  } finally {
    await srv.stop();
  }
});

Deno.test("more jobs than the runner lists at once all run, each occurrence once", async () => {
  await using t = await testApp({ config: { backfillRate: 10_000 } });
  const now = Date.now();
  const created = await t.call("POST", "/api/triggers", {
    name: uniqueName(),
    schedule: { everySeconds: 60, startAt: iso(now - 86400_000) },
  });
  const id = created.body.id;
  // 120 calls, one past occurrence each: 120 jobs, beyond the 100 one poll lists.
  const start = Date.parse(created.body.schedule.startAt);
  for (let i = 0; i < 120; i++) {
    const at = start + i * 60_000;
    const res = await t.call("POST", `/api/triggers/${id}/backfill`, {
      from: iso(at),
      to: iso(at + 1),
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.queued, 1);
  }
  const jobs = async () => {
    let n = 0;
    for await (const _ of t.kv.list({ prefix: keys.backfillJobsPrefix() })) n++;
    return n;
  };
  assert.equal(await jobs(), 120);
  const runner = new BackfillRunner(t.deps, { pollMs: 10 });
  runner.start();
  try {
    await waitFor(async () => (await jobs()) === 0, 60_000);
  } finally {
    await runner.stop();
  }
  const fired: string[] = [];
  for await (const e of t.kv.list<StoredLog>({ prefix: keys.logsPrefix() })) {
    if (e.value.triggerId === id && e.value.source === "backfill") {
      fired.push(e.value.scheduledFor!);
    }
  }
  assert.equal(fired.length, 120);
  assert.equal(new Set(fired).size, 120);
});

Deno.test("occurrences the schedule already fired are found however many the log holds", async () => {
  await using t = await testApp();
  const now = Date.now();
  const created = await t.call("POST", "/api/triggers", {
    name: uniqueName(),
    schedule: { everySeconds: 1, startAt: iso(now - 3600_000) },
  });
  const rec = created.body;
  const start = Date.parse(rec.schedule.startAt);
  // 1,200 scheduled firings in the log (more than one read round of 500), one per second.
  for (let i = 0; i < 1_200; i += 100) {
    const op = t.kv.atomic();
    for (let j = i; j < i + 100; j++) {
      const at = start + j * 1000;
      const log = newLogEntry(rec, at, { source: "schedule", scheduledFor: iso(at), lateMs: 0 });
      addLogWrites(op, log, t.deps.config);
    }
    assert.ok((await op.commit()).ok);
  }
  const res = await t.call("POST", `/api/triggers/${rec.id}/backfill`, {
    from: iso(start),
    to: iso(start + 1_300_000),
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(res.body, { occurrences: 1_300, alreadyFired: 1_200, queued: 100 });
});
