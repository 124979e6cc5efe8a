/**
 * The outbox's durability: deliveries woken by the KV queue or the due poll alone (no local
 * kick), leases left by a dead instance, graceful stops, and two instances sharing one KV.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../core/config.ts";
import { keys } from "../db/keys.ts";
import { listenForWakeups } from "../db/queues.ts";
import { createDeps } from "../db/deps.ts";
import type { DeliveryRecord } from "../webhook/record.ts";
import { WebhookOutbox } from "../webhook/outbox.ts";
import { waitFor } from "./helpers/server.ts";
import { testApp, uniqueName } from "./helpers/app.ts";
import { receiver, webhookApp } from "./webhook_helpers.ts";

Deno.test("on local KV a retry is woken by its queue message, in another instance", async () => {
  const rx = receiver((_req, n) =>
    n === 1
      ? new Response(null, { status: 503, headers: { "Retry-After": "1" } })
      : new Response("ok")
  );
  await using t = await webhookApp({ outbox: { queues: true, pollMs: 600_000 } });
  try {
    let current = t.outbox;
    const listening = listenForWakeups(t.kv, (logId) => current.wake(logId));
    const id = await t.apiTrigger({ url: rx.url, retries: 2 });
    const fired = await t.fire(id, { via: "queue" });
    // The first attempt is recorded (the entry stays pending), then this instance stops, which
    // cancels its own retry timer: only the queue message can bring the retry.
    await waitFor(
      async () => {
        const res = await t.call("GET", `/api/logs/${fired.id}`);
        return res.body.delivery?.attempts === 1;
      },
      10_000,
      "the first attempt to be recorded",
    );
    await t.outbox.stop();
    await using other = await webhookAppOn(t.kv, 600_000, true);
    current = other.outbox;
    const log = await t.settled(fired.id);
    assert.equal(log.outcome, "ok");
    assert.equal(log.delivery.attempts, 2);
    assert.equal(rx.hits.length, 2);
    assert.ok(rx.hits[1].atMs - rx.hits[0].atMs >= 950);
    void listening;
  } finally {
    await rx.close();
  }
});

Deno.test("without queues the due poll alone delivers a firing and its retries", async () => {
  const rx = receiver((_req, n) => new Response(null, { status: n === 1 ? 503 : 200 }));
  await using t = await webhookApp({ outbox: { queues: false, pollMs: 100, subscribe: false } });
  try {
    const id = await t.apiTrigger({ url: rx.url, backoffMs: 10 });
    const fired = await t.fire(id, { via: "poll" });
    const log = await t.settled(fired.id);
    assert.equal(log.outcome, "ok");
    assert.equal(log.delivery.attempts, 2);
    assert.equal(rx.hits.length, 2);
    // Finished: no due entry is left behind.
    const due = await Array.fromAsync(t.kv.list({ prefix: keys.deliveriesDuePrefix() }));
    assert.deepEqual(due, []);
  } finally {
    await rx.close();
  }
});

/** Rewrites `logId`'s record as if an instance had claimed it and died mid-attempt. */
async function leaveDeadLease(kv: Deno.Kv, logId: string, attempts: number, leaseMs: number) {
  const entry = await kv.get<DeliveryRecord>(keys.delivery(logId));
  const rec = entry.value!;
  const until = Date.now() + leaseMs;
  const res = await kv.atomic().check(entry)
    .set(keys.delivery(logId), { ...rec, attempts, lease: "dead", dueAtMs: until })
    .delete(keys.deliveryDue(rec.dueAtMs, logId))
    .set(keys.deliveryDue(until, logId), logId)
    .commit();
  assert.equal(res.ok, true);
  return until;
}

Deno.test("an attempt left leased by a dead instance is made again once the lease expires", async () => {
  const rx = receiver();
  await using t = await webhookApp({ outbox: { queues: false, pollMs: 50, subscribe: false } });
  try {
    // Stop the poll until the record looks abandoned.
    await t.outbox.stop();
    const id = await t.apiTrigger({ url: rx.url, retries: 2 });
    const fired = await t.fire(id, { lease: true });
    const until = await leaveDeadLease(t.kv, fired.id, 1, 500);

    await using t2 = await webhookAppOn(t.kv);
    const log = await t.settled(fired.id);
    assert.equal(log.outcome, "ok");
    assert.equal(log.delivery.attempts, 2); // the lost attempt counts
    assert.equal(rx.hits.length, 1);
    assert.ok(rx.hits[0].atMs >= until - 5, "sent before the lease expired");
    assert.equal(rx.hits[0].headers.get("tock-attempt"), "2");
    void t2;
  } finally {
    await rx.close();
  }
});

Deno.test("a lost last attempt ends the series as failed", async () => {
  const rx = receiver();
  await using t = await webhookApp({ outbox: { queues: false, pollMs: 50, subscribe: false } });
  try {
    await t.outbox.stop();
    const id = await t.apiTrigger({ url: rx.url, retries: 1 });
    const fired = await t.fire(id, {});
    await leaveDeadLease(t.kv, fired.id, 2, 100);
    await using t2 = await webhookAppOn(t.kv);
    const log = await t.settled(fired.id);
    assert.equal(log.outcome, "failed");
    assert.deepEqual(
      { status: log.delivery.status, attempts: log.delivery.attempts, error: log.delivery.error },
      { status: null, attempts: 2, error: "The last attempt was lost when its instance stopped" },
    );
    assert.equal(rx.hits.length, 0);
    void t2;
  } finally {
    await rx.close();
  }
});

Deno.test("stop() releases an attempt in flight uncounted, and the next start makes it", async () => {
  let up = false;
  const rx = receiver(() => (up ? new Response("ok") : rx.hang()));
  await using t = await webhookApp({ outbox: { queues: false } });
  try {
    const id = await t.apiTrigger({ url: rx.url, timeoutMs: 30_000, retries: 0 });
    const fired = await t.fire(id, { stop: 1 });
    await waitFor(() => rx.hits.length === 1, 10_000, "the attempt in flight");
    await t.outbox.stop();
    const rec = (await t.kv.get<DeliveryRecord>(keys.delivery(fired.id))).value!;
    assert.equal(rec.state, "pending");
    assert.equal(rec.attempts, 0);
    assert.equal(rec.lease, null);
    assert.ok(rec.dueAtMs <= Date.now());

    up = true;
    await using t2 = await webhookAppOn(t.kv);
    const log = await t.settled(fired.id);
    assert.equal(log.outcome, "ok");
    assert.equal(log.delivery.attempts, 1);
    assert.equal(rx.hits.length, 2);
    void t2;
  } finally {
    await rx.close();
  }
});

Deno.test("two instances on one KV deliver each firing once", async () => {
  const rx = receiver();
  await using t = await webhookApp({ outbox: { queues: false, pollMs: 20, subscribe: false } });
  try {
    await using t2 = await webhookAppOn(t.kv, 20);
    const id = await t.apiTrigger({ url: rx.url });
    const fired = await Promise.all(Array.from({ length: 30 }, (_, i) => t.fire(id, { i })));
    for (const f of fired) assert.equal((await t.settled(f.id)).outcome, "ok");
    const perLog = new Map<string, number>();
    for (const h of rx.hits) {
      const logId = h.headers.get("tock-log-id")!;
      perLog.set(logId, (perLog.get(logId) ?? 0) + 1);
    }
    assert.equal(perLog.size, 30);
    assert.deepEqual([...new Set(perLog.values())], [1]);
    void t2;
  } finally {
    await rx.close();
  }
});

/** A second outbox ("instance") on the same KV, polling every `pollMs`. */
async function webhookAppOn(kv: Deno.Kv, pollMs = 50, queues = false) {
  const outbox = new WebhookOutbox(createDeps(kv, parseConfig(["--kv", ":memory:"], {})), {
    queues,
    pollMs,
  });
  await outbox.start();
  return { outbox, [Symbol.asyncDispose]: () => outbox.stop() };
}

Deno.test("a webhook firing writes its delivery record with no outbox running, and one started later delivers it", async () => {
  const rx = receiver();
  await using t = await testApp();
  try {
    const created = await t.call("POST", "/api/triggers", {
      name: uniqueName("durable"),
      type: "api",
      webhook: { url: rx.url },
    });
    assert.equal(created.status, 201);
    const fired = await t.call("POST", `/api/triggers/${created.body.id}/fire`, { n: 1 });
    assert.equal(fired.status, 202);
    assert.equal(fired.body.outcome, "pending");
    const rec = (await t.kv.get<DeliveryRecord>(keys.delivery(fired.body.id))).value;
    assert.equal(rec?.state, "pending");
    assert.equal(rec?.attempts, 0);
    const due = await Array.fromAsync(t.kv.list({ prefix: keys.deliveriesDuePrefix() }));
    assert.deepEqual(due.map((e) => e.key[2]), [fired.body.id]);
    assert.equal(rx.hits.length, 0);

    await using later = await webhookAppOn(t.kv);
    const log = await waitFor(
      async () => {
        const res = await t.call("GET", `/api/logs/${fired.body.id}`);
        return res.body.outcome === "ok" ? res.body : null;
      },
      10_000,
      "the delivery",
    );
    assert.equal(log.delivery.attempts, 1);
    assert.equal(rx.hits.length, 1);
    void later;
  } finally {
    await rx.close();
  }
});

Deno.test("an outbox works on at most maxLocal deliveries; the rest wait in KV and all arrive once", async () => {
  let release = Promise.withResolvers<void>();
  const rx = receiver(async () => {
    await release.promise;
    return new Response("ok");
  });
  await using t = await webhookApp({ outbox: { queues: false, pollMs: 20, maxLocal: 3 } });
  try {
    const id = await t.apiTrigger({ url: rx.url });
    const fired = [];
    for (let i = 0; i < 12; i++) fired.push((await t.fire(id, { i })).id as string);
    // Two requests are held at the receiver (two per trigger at a time), a third waits its
    // turn; the other nine stay in KV however often the poll runs.
    await waitFor(() => rx.hits.length === 2, 10_000, "two requests in flight");
    for (let round = 0; round < 5; round++) {
      await new Promise((r) => setTimeout(r, 20)); // let polls run (an upper bound is checked)
      const s = t.outbox.stats();
      assert.ok(s.active + s.waiting <= 3, JSON.stringify(s));
    }
    release.resolve();
    for (const logId of fired) assert.equal((await t.settled(logId)).outcome, "ok");
    const got = rx.hits.map((h) => JSON.parse(h.body).i as number).sort((a, b) => a - b);
    assert.deepEqual(got, Array.from({ length: 12 }, (_, i) => i), "each firing once");
  } finally {
    release.resolve();
    release = Promise.withResolvers<void>();
    await rx.close();
  }
});

Deno.test("retry timers are held for at most maxLocal deliveries; the due index keeps every retry", async () => {
  const rx = receiver(() => new Response(null, { status: 503 }));
  // random 1: each first retry waits its full backoff, a minute.
  const outbox = { queues: false, pollMs: 50, maxLocal: 2, random: () => 1 };
  await using t = await webhookApp({ outbox });
  try {
    const id = await t.apiTrigger({ url: rx.url, retries: 3, backoffMs: 60_000 });
    for (let i = 0; i < 5; i++) await t.fire(id, { i });
    await waitFor(() => rx.hits.length === 5, 10_000, "five first attempts");
    await waitFor(() => t.outbox.stats().active === 0, 10_000, "the attempts to be recorded");
    assert.ok(t.outbox.stats().scheduled <= 2, JSON.stringify(t.outbox.stats()));
    // Every retry is in KV's due index, a minute ahead, for the poll to find when due.
    const due = await Array.fromAsync(t.kv.list<string>({ prefix: keys.deliveriesDuePrefix() }));
    assert.equal(due.length, 5);
    assert.ok(due.every((e) => (e.key[1] as number) > Date.now() + 30_000));
  } finally {
    await rx.close();
  }
});
