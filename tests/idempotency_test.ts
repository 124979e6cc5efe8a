import assert from "node:assert/strict";
import { ManualClock } from "../core/clock.ts";
import { testApp, uniqueName } from "./helpers/app.ts";
import { startServer } from "./helpers/server.ts";

async function apiTrigger(t: Awaited<ReturnType<typeof testApp>>, extra = {}) {
  const res = await t.call("POST", "/api/triggers", {
    name: uniqueName("idem"),
    type: "api",
    ...extra,
  });
  assert.equal(res.status, 201);
  return res.body as { id: string; name: string };
}

async function logIds(t: Awaited<ReturnType<typeof testApp>>, trigger: string): Promise<string[]> {
  const res = await t.call("GET", `/api/logs?trigger=${trigger}&limit=100`);
  assert.equal(res.status, 200);
  return res.body.items.map((l: { id: string }) => l.id);
}

Deno.test("POST /fire with an Idempotency-Key replays the original entry on a repeat", async () => {
  await using t = await testApp();
  const trig = await apiTrigger(t);
  const key = { "Idempotency-Key": "order-42" };
  const first = await t.call("POST", `/api/triggers/${trig.id}/fire`, { n: 1, m: [2] }, key);
  assert.equal(first.status, 202);
  assert.equal(first.headers.get("Idempotent-Replayed"), null);
  // Same body with its keys in another order: the same request.
  const again = await t.call("POST", `/api/triggers/${trig.id}/fire`, { m: [2], n: 1 }, key);
  assert.equal(again.status, 200);
  assert.equal(again.headers.get("Idempotent-Replayed"), "true");
  assert.equal(again.body.id, first.body.id);
  assert.deepEqual(again.body.payload, { n: 1, m: [2] });
  assert.deepEqual(await logIds(t, trig.id), [first.body.id]);

  const other = await t.call("POST", `/api/triggers/${trig.id}/fire`, { n: 2 }, key);
  assert.equal(other.status, 422);
  assert.match(other.body.detail, /different body/);
  const noBody = await t.call("POST", `/api/triggers/${trig.id}/fire`, undefined, key);
  assert.equal(noBody.status, 422, "no body differs from a body");

  // The key belongs to its trigger: another trigger fires with it.
  const trig2 = await apiTrigger(t);
  const elsewhere = await t.call("POST", `/api/triggers/${trig2.id}/fire`, { n: 2 }, key);
  assert.equal(elsewhere.status, 202);
  // Without a key every request fires.
  assert.equal(
    (await t.call("POST", `/api/triggers/${trig.id}/fire`, { n: 1, m: [2] })).status,
    202,
  );
  assert.equal((await logIds(t, trig.id)).length, 2);
});

Deno.test("POST /fire refuses a malformed Idempotency-Key with 400 and fires nothing", async () => {
  await using t = await testApp();
  const trig = await apiTrigger(t);
  for (const bad of ["", "x".repeat(256), "tab\there", "caf\u00e9"]) {
    const res = await t.call("POST", `/api/triggers/${trig.id}/fire`, {}, {
      "Idempotency-Key": bad,
    });
    assert.equal(res.status, 400, JSON.stringify(bad));
    assert.equal(res.body.errors[0].path, "Idempotency-Key");
  }
  const longest = await t.call("POST", `/api/triggers/${trig.id}/fire`, {}, {
    "Idempotency-Key": "~".repeat(255),
  });
  assert.equal(longest.status, 202);
  assert.equal((await logIds(t, trig.id)).length, 1);
});

Deno.test("twenty concurrent fires with one Idempotency-Key make exactly one entry", async () => {
  await using t = await testApp();
  const trig = await apiTrigger(t, { webhook: { url: "http://127.0.0.1:9/hook" } });
  const all = await Promise.all(
    Array.from(
      { length: 20 },
      () => t.call("POST", `/api/triggers/${trig.id}/fire`, { x: 1 }, { "Idempotency-Key": "k1" }),
    ),
  );
  const statuses = all.map((r) => r.status).sort();
  assert.deepEqual(statuses, [...Array(19).fill(200), 202].sort());
  assert.equal(new Set(all.map((r) => r.body.id)).size, 1);
  assert.equal(all.filter((r) => r.headers.get("Idempotent-Replayed") === "true").length, 19);
  assert.deepEqual(await logIds(t, trig.id), [all[0].body.id]);
  const stats = await t.call("GET", `/api/triggers/${trig.id}`);
  assert.equal(stats.body.runCount, 1, "the trigger counted one run");
  // One delivery record for the one firing.
  let deliveries = 0;
  for await (const _ of t.kv.list({ prefix: ["deliveries"] })) deliveries++;
  assert.equal(deliveries, 1);
});

Deno.test("an Idempotency-Key is forgotten after 24 h even while KV still holds it", async () => {
  const clock = new ManualClock(Date.now());
  await using t = await testApp({ clock });
  const trig = await apiTrigger(t);
  const key = { "Idempotency-Key": "daily" };
  const first = await t.call("POST", `/api/triggers/${trig.id}/fire`, {}, key);
  assert.equal(first.status, 202);
  clock.advance(24 * 3600_000 - 1);
  assert.equal((await t.call("POST", `/api/triggers/${trig.id}/fire`, {}, key)).status, 200);
  clock.advance(1);
  const later = await t.call("POST", `/api/triggers/${trig.id}/fire`, {}, key);
  assert.equal(later.status, 202, "the lazily expiring record is ignored");
  assert.notEqual(later.body.id, first.body.id);
  const replay = await t.call("POST", `/api/triggers/${trig.id}/fire`, {}, key);
  assert.equal(replay.status, 200);
  assert.equal(replay.body.id, later.body.id, "the new record replaced the stale one");
});

Deno.test("/trigger_api with an Idempotency-Key replays in its own body shape", async () => {
  await using t = await testApp();
  const trig = await apiTrigger(t);
  const path = `/trigger_api?trigger_name=${trig.name}`;
  const key = { "Idempotency-Key": "legacy-1" };
  const first = await t.call("POST", path, { a: 1 }, key);
  assert.equal(first.status, 200);
  assert.equal(first.headers.get("Idempotent-Replayed"), null);
  const again = await t.call("POST", path, { a: 1 }, key);
  assert.equal(again.status, 200);
  assert.equal(again.headers.get("Idempotent-Replayed"), "true");
  assert.deepEqual(again.body, first.body);
  assert.equal(again.body.message, `Trigger "${trig.name}" fired`);
  assert.equal((await t.call("POST", path, { a: 2 }, key)).status, 422);
  assert.equal((await t.call("POST", path, { a: 1 }, { "Idempotency-Key": "" })).status, 400);
  assert.equal((await logIds(t, trig.id)).length, 1);
});

Deno.test("concurrent same-key fires through two servers on one KV file make one entry", async () => {
  const a = await startServer();
  const b = await startServer({ kvPath: a.kvPath });
  try {
    const created = await fetch(`${a.url}/api/triggers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: uniqueName("idem-multi"), type: "api" }),
    });
    assert.equal(created.status, 201);
    const { id } = await created.json();
    const fire = (base: string) =>
      fetch(`${base}/api/triggers/${id}/fire`, {
        method: "POST",
        headers: { "content-type": "application/json", "Idempotency-Key": "retry-me" },
        body: JSON.stringify({ order: 7 }),
      }).then(async (r) => ({ status: r.status, id: (await r.json()).id as string }));
    const all = await Promise.all(
      Array.from({ length: 20 }, (_, i) => fire(i % 2 ? a.url : b.url)),
    );
    assert.equal(all.filter((r) => r.status === 202).length, 1, JSON.stringify(all));
    assert.equal(all.filter((r) => r.status === 200).length, 19);
    assert.equal(new Set(all.map((r) => r.id)).size, 1);
    const logs = await (await fetch(`${b.url}/api/logs?trigger=${id}`)).json();
    assert.deepEqual(logs.items.map((l: { id: string }) => l.id), [all[0].id]);
  } finally {
    await a.stop();
    await b.stop();
  }
});

Deno.test("GroupCommitter never puts two writers checking one key in one commit", async () => {
  const { GroupCommitter } = await import("../db/group_commit.ts");
  const kv = await Deno.openKv(":memory:");
  try {
    const committer = new GroupCommitter(kv);
    const key = ["idem", "T", "same"];
    const write = (n: number) => (op: Deno.AtomicOperation) => {
      op.check({ key, versionstamp: null });
      op.set(key, n);
      op.set(["other", n], n);
    };
    // Submitted in one tick: they would share a commit if the committer allowed it.
    const results = await Promise.all([1, 2, 3].map((n) => committer.submit(write(n), 64)));
    assert.deepEqual(results.map((r) => r.ok), [true, false, false]);
    assert.equal((await kv.get(key)).value, 1);
    assert.equal((await kv.get(["other", 2])).versionstamp, null, "the loser wrote nothing");
  } finally {
    kv.close();
  }
});

Deno.test("a retry of a fire answered 503 while KV was locked replays the late commit", async () => {
  const { DatabaseSync } = await import("node:sqlite");
  const srv = await startServer({ args: ["--request-timeout", "2s"] });
  const lock = new DatabaseSync(srv.kvPath);
  try {
    const created = await fetch(`${srv.url}/api/triggers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: uniqueName("idem-lock"), type: "api" }),
    });
    const { id } = await created.json();
    const fire = () =>
      fetch(`${srv.url}/api/triggers/${id}/fire`, {
        method: "POST",
        headers: { "content-type": "application/json", "Idempotency-Key": "pay-1" },
        body: JSON.stringify({ amount: 5 }),
      });
    const logs = async () =>
      (await (await fetch(`${srv.url}/api/logs?trigger=${id}`)).json()).items as { id: string }[];

    lock.exec("PRAGMA busy_timeout = 10000");
    lock.exec("BEGIN EXCLUSIVE"); // every write of the server now waits
    const first = await fire();
    const firstBody = await first.text();
    // Either the request timed out while its commit waited, or the commit gave up on the lock:
    // both are 503, and the client cannot tell whether the firing happened.
    assert.equal(first.status, 503, `${firstBody}\n${srv.output()}`);
    lock.exec("COMMIT");

    const retry = await fire();
    const retried = await retry.json();
    assert.ok(retry.status === 200 || retry.status === 202, `retry answered ${retry.status}`);
    if (retry.status === 200) assert.equal(retry.headers.get("Idempotent-Replayed"), "true");
    console.log(
      `retry: ${retry.status === 200 ? "replayed the late commit" : "fired (none was made)"}`,
    );
    const items = await logs();
    assert.deepEqual(
      items.map((l) => l.id),
      [retried.id],
      "exactly one firing, the retry's answer",
    );
    const again = await fire();
    assert.equal(again.status, 200);
    assert.equal((await again.json()).id, retried.id);
    assert.equal((await logs()).length, 1);
  } finally {
    if (lock.isTransaction) lock.exec("ROLLBACK");
    lock.close();
    await srv.stop();
  }
});
