/**
 * Durability across a crash: the real server (main.ts) is killed with SIGKILL while deliveries
 * are in flight or waiting, and a restart on the same KV file makes every one of them.
 */
import assert from "node:assert/strict";
import { startServer, waitFor } from "./helpers/server.ts";
import { receiver } from "./webhook_helpers.ts";

async function api(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

Deno.test("deliveries pending when the server is killed with SIGKILL arrive after restart", async () => {
  let up = false;
  const rx = receiver(() => (up ? new Response("ok") : rx.hang()));
  const onTime = receiver();
  const first = await startServer();
  let second: Awaited<ReturnType<typeof startServer>> | null = null;
  try {
    const base = first.url;
    const created = await api(base, "POST", "/api/triggers", {
      name: "crash-" + crypto.randomUUID().slice(0, 8),
      type: "api",
      webhook: { url: rx.url, timeoutMs: 8_000, retries: 5, backoffMs: 50 },
    });
    assert.equal(created.status, 201);
    const id = created.body.id;

    // A scheduled trigger delivering elsewhere: its key names the occurrence.
    const sched = await api(base, "POST", "/api/triggers", {
      name: "sched-" + crypto.randomUUID().slice(0, 8),
      schedule: { delaySeconds: 0.5 },
      payload: { kind: "scheduled" },
      webhook: { url: onTime.url },
    });
    assert.equal(sched.status, 201);

    // Six firings: four take the receiver's slots and hang, two wait for a slot.
    const logIds: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await api(base, "POST", `/api/triggers/${id}/fire`, { i });
      assert.equal(res.status, 202);
      logIds.push(res.body.id);
    }
    await waitFor(() => rx.hits.length === 4, 15_000, "four attempts in flight");
    await waitFor(() => onTime.hits.length === 1, 15_000, "the scheduled delivery");
    const schedLogs = await api(base, "GET", `/api/logs?trigger=${sched.body.id}`);
    const schedLog = schedLogs.body.items[0];
    assert.equal(
      onTime.hits[0].headers.get("idempotency-key"),
      `${sched.body.id}:${schedLog.scheduledFor}`,
    );
    assert.deepEqual(JSON.parse(onTime.hits[0].body), { kind: "scheduled" });

    first.kill("SIGKILL");
    await first.exited;
    const killedAt = Date.now();
    up = true;
    rx.releaseHung();
    const before = rx.hits.length;

    second = await startServer({ kvPath: first.kvPath });
    const settled = await waitFor(
      async () => {
        const logs = await Promise.all(
          logIds.map((l) => api(second!.url, "GET", `/api/logs/${l}`)),
        );
        return logs.every((r) => r.body.outcome === "ok") ? logs.map((r) => r.body) : null;
      },
      45_000,
      "every delivery to succeed after the restart",
    );

    // None lost: each firing reached the receiver after the restart, at least once.
    const after = rx.hits.slice(before);
    for (const logId of logIds) {
      assert.ok(
        after.some((h) => h.headers.get("tock-log-id") === logId && h.atMs >= killedAt),
        `log ${logId} was not delivered after the restart`,
      );
    }
    for (const log of settled) {
      assert.equal(log.delivery.status, 200);
      assert.equal(log.delivery.error, null);
    }
    // The four caught in flight count the attempt lost with the first process.
    const attempts = settled.map((l) => l.delivery.attempts).sort();
    assert.deepEqual(attempts, [1, 1, 2, 2, 2, 2]);
    // The scheduled delivery finished before the crash and is not repeated.
    assert.equal(onTime.hits.length, 1);
  } finally {
    first.kill("SIGKILL");
    await first.exited;
    if (second) await second.stop();
    await rx.close();
    await onTime.close();
  }
});
