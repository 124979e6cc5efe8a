/**
 * Crash safety: the server is killed with SIGKILL right after 100 triggers are created and
 * restarted on the same KV file. Every trigger fires exactly once; what came due during the
 * outage fires once on restart, as the misfire policy says.
 */
import assert from "node:assert/strict";
import { keys } from "../db/keys.ts";
import type { StoredLog } from "../core/schemas.ts";
import { type RunningServer, startServer, waitFor } from "./helpers/server.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function create100(srv: RunningServer): Promise<{ id: string; at: number }[]> {
  const out: { id: string; at: number }[] = [];
  const queue = Array.from({ length: 100 }, (_, i) => i);
  await Promise.all(Array.from({ length: 8 }, async () => {
    for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
      const res = await fetch(`${srv.url}/api/triggers`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: `crash-${i}`, schedule: { delaySeconds: 5 + i / 10 } }),
      });
      const t = await res.json();
      assert.equal(res.status, 201, JSON.stringify(t));
      out.push({ id: t.id, at: Date.parse(t.schedule.at) });
    }
  }));
  return out;
}

async function scheduleLogs(kvPath: string): Promise<StoredLog[]> {
  const kv = await Deno.openKv(kvPath);
  try {
    const logs: StoredLog[] = [];
    for await (const e of kv.list<StoredLog>({ prefix: keys.logsPrefix() })) logs.push(e.value);
    return logs;
  } finally {
    kv.close();
  }
}

/** Kills the server right after creating, restarts it after `outageMs`, waits for all 100. */
async function crashAndRestart(outageMs: number, args: string[]) {
  const first = await startServer({ args });
  const kvPath = first.kvPath;
  const created = await create100(first);
  first.kill("SIGKILL");
  const killedAt = Date.now();
  await first.exited;
  await sleep(killedAt + outageMs - Date.now());
  const restartedAt = Date.now();
  const srv = await startServer({ kvPath, args });
  try {
    const lastDue = Math.max(...created.map((c) => c.at));
    await waitFor(
      async () => (await scheduleLogs(kvPath)).length >= 100,
      Math.max(0, lastDue - Date.now()) + 10_000,
      "100 firings",
    );
    await sleep(500); // a duplicate, if any, would land now
    const logs = await scheduleLogs(kvPath);
    const health = await (await fetch(`${srv.url}/healthz`)).json();
    return { created, logs, killedAt, restartedAt, srv, health };
  } finally {
    await srv.stop();
  }
}

function assertExactlyOnce(created: { id: string; at: number }[], logs: StoredLog[]) {
  const byTrigger = new Map<string, StoredLog[]>();
  for (const l of logs) byTrigger.set(l.triggerId!, [...(byTrigger.get(l.triggerId!) ?? []), l]);
  for (const c of created) {
    const mine = byTrigger.get(c.id) ?? [];
    assert.equal(mine.length, 1, `trigger ${c.id} fired ${mine.length} times`);
    assert.equal(mine[0].scheduledFor, new Date(c.at).toISOString());
    assert.equal(mine[0].source, "schedule");
  }
  assert.equal(logs.length, 100);
}

Deno.test("SIGKILL after creating 100 triggers, restart after 3 s: all 100 fire exactly once", async () => {
  const r = await crashAndRestart(3000, []);
  assertExactlyOnce(r.created, r.logs);
  // With the default 5 s grace, a firing counts as missed only when over 5 s late.
  for (const l of r.logs) {
    assert.equal(l.catchUp, l.lateMs! > 5000, "missed exactly when later than the grace");
  }
  // How late the restarted server fires is a speed figure: bench/scheduler_lateness.ts (crash).
  assert.equal(r.health.scheduler.running, true);
  assert.equal(r.health.scheduler.firedTotal, 100);
  assert.doesNotMatch(r.srv.output(), /database is locked|failed/i);
});

Deno.test("SIGKILL with an 8 s outage: what came due meanwhile fires once on restart, as a catch-up", async () => {
  // A 1 s grace: an occurrence more than 1 s late when claimed counts as missed.
  const r = await crashAndRestart(8000, ["--misfire-grace", "1s"]);
  assertExactlyOnce(r.created, r.logs);
  let missed = 0;
  for (const l of r.logs) {
    assert.equal(l.catchUp, l.lateMs! > 1000, "missed exactly when later than the grace");
    const due = Date.parse(l.scheduledFor!);
    if (due < r.restartedAt - 1000) {
      // Came due while no instance ran: fired once on restart, marked as a catch-up.
      missed++;
      assert.equal(l.catchUp, true, `due ${due - r.killedAt} ms after the kill`);
      assert.ok(Date.parse(l.firedAt) >= r.restartedAt);
    }
  }
  assert.ok(missed >= 20, `only ${missed} came due during the outage`);
  assert.doesNotMatch(r.srv.output(), /database is locked|failed/i);
});

Deno.test("SIGTERM mid-burst stops claiming cleanly; after restart every trigger has fired exactly once", async () => {
  const first = await startServer();
  const kvPath = first.kvPath;
  const at = new Date(Date.now() + 5000).toISOString();
  const ids: string[] = [];
  const queue = Array.from({ length: 300 }, (_, i) => i);
  await Promise.all(Array.from({ length: 8 }, async () => {
    for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
      const res = await fetch(`${first.url}/api/triggers`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: `term-${i}`, schedule: { at } }),
      });
      const t = await res.json();
      assert.equal(res.status, 201, JSON.stringify(t));
      ids.push(t.id);
    }
  }));
  const health = await waitFor(
    async () => {
      const h = await (await fetch(`${first.url}/healthz`)).json();
      return h.scheduler.upcoming === 300 ? h : null;
    },
    4000,
    "the scheduler to hold all 300",
  );
  assert.equal(health.scheduler.running, true);
  assert.equal(health.scheduler.nextDueAt, at);
  assert.equal(health.scheduler.upcoming, 300);
  assert.equal(health.scheduler.lagMs, 0);

  // Stop right as the burst is being claimed: commits in flight finish, no new ones start.
  await sleep(Date.parse(at) + 2 - Date.now());
  first.kill("SIGTERM");
  const status = await first.exited;
  assert.equal(status.code, 0);
  assert.match(first.output(), /Tock stopping \(SIGTERM\)/);
  const firedBefore = (await scheduleLogs(kvPath)).length;

  const srv = await startServer({ kvPath });
  try {
    await waitFor(async () => (await scheduleLogs(kvPath)).length >= 300, 15_000, "300 firings");
    await sleep(500);
    const logs = await scheduleLogs(kvPath);
    assert.deepEqual(logs.map((l) => l.triggerId).sort(), [...ids].sort());
    assert.ok(firedBefore <= 300);
    assert.doesNotMatch(first.output() + srv.output(), /database is locked|failed/i);
  } finally {
    await srv.stop();
  }
});

Deno.test("after downtime a recurring trigger catches up once (fire_once) or not at all (skip), then keeps its grid", async () => {
  const args = ["--misfire-grace", "1s"];
  const first = await startServer({ args });
  const kvPath = first.kvPath;
  const anchor = Math.ceil((Date.now() + 1500) / 1000) * 1000;
  const ids: Record<string, string> = {};
  for (const misfire of ["fire_once", "skip"]) {
    const res = await fetch(`${first.url}/api/triggers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        name: `down-${misfire}`,
        schedule: { everySeconds: 1, startAt: new Date(anchor).toISOString() },
        misfire,
      }),
    });
    assert.equal(res.status, 201);
    ids[misfire] = (await res.json()).id;
  }
  await waitFor(async () => (await scheduleLogs(kvPath)).length >= 4, 8000, "two firings each");
  first.kill("SIGKILL");
  const killedAt = Date.now();
  await first.exited;
  await sleep(killedAt + 3500 - Date.now());
  // The restarted process cannot fire before it is launched; it may fire its catch-up before
  // it answers, so "launched" (not "ready") bounds the catch-up and the outage.
  const launchedAt = Date.now();
  const srv = await startServer({ kvPath, args });
  const readyAt = Date.now();
  await sleep(2500);
  await srv.stop();

  const logs = await scheduleLogs(kvPath);
  for (const [misfire, id] of Object.entries(ids)) {
    // Firings only: what was not fired is one `missed` record (tests/ops17_missed_test.ts).
    const mine = logs.filter((l) => l.triggerId === id && l.outcome !== "missed");
    const times = mine.map((l) => Date.parse(l.scheduledFor!));
    assert.equal(new Set(times).size, times.length, "no occurrence twice");
    for (const t of times) assert.equal((t - anchor) % 1000, 0, "on the grid");
    const catchUps = mine.filter((l) => l.catchUp);
    // Occurrences that came due in the outage, over the grace before the restart: missed.
    const inOutage = mine.filter((l) => {
      const t = Date.parse(l.scheduledFor!);
      return t > killedAt && t < launchedAt - 1000;
    });
    if (misfire === "fire_once") {
      assert.equal(catchUps.length, 1, "one catch-up for the whole outage");
      assert.ok(Date.parse(catchUps[0].firedAt) >= launchedAt);
      assert.ok(inOutage.length <= 1 && inOutage.every((l) => l.catchUp));
    } else {
      assert.equal(catchUps.length, 0);
      assert.deepEqual(inOutage, [], "skip fires nothing that was missed");
    }
    // Back on schedule after the restart.
    assert.ok(times.filter((t) => t > readyAt + 500).length >= 1);
  }
  assert.doesNotMatch(first.output() + srv.output(), /database is locked|failed/i);
});
