/**
 * Overlap policies (issue 17) against the real server and a slow real receiver: with `skip`,
 * occurrences due while the previous delivery hangs are logged `skipped` (reason "overlap")
 * and never delivered; with `buffer_one`, exactly one waits and is delivered after it.
 */
import assert from "node:assert/strict";
import { type RunningServer, startServer, waitFor } from "./helpers/server.ts";
import { receiver } from "./webhook_helpers.ts";

type Log = { id: string; outcome: string; reason?: string; delivery: unknown; source: string };

/** A receiver whose first request hangs until `release()`; the others answer 200 at once. */
function slowReceiver() {
  const gate = Promise.withResolvers<void>();
  const r = receiver(async (_req, n) => {
    if (n === 1) await gate.promise;
    return new Response("ok");
  });
  const logIds = () => r.hits.map((h) => h.headers.get("tock-log-id")!);
  return { r, release: () => gate.resolve(), logIds };
}

async function createTrigger(srv: RunningServer, body: Record<string, unknown>) {
  const res = await fetch(`${srv.url}/api/triggers`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const t = await res.json();
  assert.equal(res.status, 201, JSON.stringify(t));
  return t;
}

async function logs(srv: RunningServer, id: string, outcome?: string): Promise<Log[]> {
  const q = new URLSearchParams({ trigger: id, limit: "500", ...(outcome ? { outcome } : {}) });
  const res = await fetch(`${srv.url}/api/logs?${q}`);
  assert.equal(res.status, 200);
  return (await res.json()).items;
}

Deno.test("overlap is validated, defaults to allow, and is patched and shown", async () => {
  const srv = await startServer();
  try {
    const bad = await fetch(`${srv.url}/api/triggers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "o", type: "api", overlap: "sometimes" }),
    });
    assert.equal(bad.status, 400);
    const problem = await bad.json();
    assert.ok(JSON.stringify(problem).includes("overlap"), JSON.stringify(problem));
    const t = await createTrigger(srv, { name: "o", schedule: { everySeconds: 3600 } });
    assert.equal(t.overlap, "allow");
    const patched = await fetch(`${srv.url}/api/triggers/${t.id}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ overlap: "buffer_one" }),
    });
    assert.equal(patched.status, 200);
    assert.equal((await patched.json()).overlap, "buffer_one");
    // Other patches keep it.
    const renamed = await fetch(`${srv.url}/api/triggers/${t.id}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "o2" }),
    });
    assert.equal((await renamed.json()).overlap, "buffer_one");
  } finally {
    await srv.stop();
  }
});

Deno.test("overlap skip: occurrences due while a delivery hangs are skipped, not delivered", async () => {
  const slow = slowReceiver();
  const srv = await startServer();
  try {
    const t = await createTrigger(srv, {
      name: "every-second-skip",
      schedule: { everySeconds: 1 },
      overlap: "skip",
      webhook: { url: slow.r.url, retries: 0, timeoutMs: 120_000 },
    });
    assert.equal(t.overlap, "skip");
    await waitFor(() => slow.r.hits.length === 1, 15_000, "the first delivery to start");
    const first = slow.logIds()[0];
    await waitFor(
      async () => (await logs(srv, t.id, "skipped")).length >= 3,
      30_000,
      "three skipped occurrences",
    );
    const skipped = await logs(srv, t.id, "skipped");
    for (const s of skipped) {
      assert.equal(s.reason, "overlap");
      assert.equal(s.delivery, null);
      assert.equal(s.source, "schedule");
    }
    // Only the hanging one is pending: the skipped ones have no delivery.
    assert.deepEqual((await logs(srv, t.id, "pending")).map((l) => l.id), [first]);
    assert.equal(slow.r.hits.length, 1);

    slow.release();
    await waitFor(
      async () => (await logs(srv, t.id, "ok")).some((l) => l.id === first),
      15_000,
      "the first delivery to settle",
    );
    // The next occurrence after the release is delivered again.
    await waitFor(() => slow.r.hits.length >= 2, 15_000, "a later delivery");
    const delivered = new Set(slow.logIds());
    const allSkipped = await logs(srv, t.id, "skipped");
    assert.ok(allSkipped.every((s) => !delivered.has(s.id)), "no skipped entry was delivered");
    assert.ok(!delivered.has(skipped[0].id));
    const second = slow.logIds()[1];
    await waitFor(
      async () => (await logs(srv, t.id, "ok")).some((l) => l.id === second),
      15_000,
      "the later delivery to settle ok",
    );
  } finally {
    await srv.stop();
    await slow.r.close();
  }
});

Deno.test("overlap buffer_one: one occurrence waits and is delivered after the hanging one", async () => {
  const slow = slowReceiver();
  const srv = await startServer();
  try {
    const t = await createTrigger(srv, {
      name: "every-second-buffer",
      schedule: { everySeconds: 1 },
      overlap: "buffer_one",
      webhook: { url: slow.r.url, retries: 0, timeoutMs: 120_000 },
    });
    await waitFor(() => slow.r.hits.length === 1, 15_000, "the first delivery to start");
    const first = slow.logIds()[0];
    await waitFor(
      async () => (await logs(srv, t.id, "skipped")).length >= 2,
      30_000,
      "two skipped occurrences",
    );
    // Stop new occurrences so the buffered delivery is the only one left to come.
    const paused = await fetch(`${srv.url}/api/triggers/${t.id}/pause`, { method: "POST" });
    assert.equal(paused.status, 200);
    const pending = await logs(srv, t.id, "pending");
    assert.equal(pending.length, 2, JSON.stringify(pending));
    const buffered = pending.find((l) => l.id !== first)!;
    assert.ok(buffered, "one buffered firing besides the hanging one");
    assert.ok(buffered.id > first, "the buffered firing came after the hanging one");
    const skipped = await logs(srv, t.id, "skipped");
    assert.ok(skipped.every((s) => s.reason === "overlap" && s.delivery === null));
    // The buffered firing cannot be redelivered by hand while it waits.
    const redeliver = await fetch(`${srv.url}/api/logs/${buffered.id}/redeliver`, {
      method: "POST",
    });
    assert.equal(redeliver.status, 409);
    assert.equal(slow.r.hits.length, 1);

    slow.release();
    await waitFor(
      async () => {
        const ok = await logs(srv, t.id, "ok");
        return ok.some((l) => l.id === first) && ok.some((l) => l.id === buffered.id);
      },
      15_000,
      "both deliveries to settle",
    );
    assert.deepEqual(slow.logIds(), [first, buffered.id]);
    assert.deepEqual(await logs(srv, t.id, "pending"), []);
    const s2 = new Set((await logs(srv, t.id, "skipped")).map((s) => s.id));
    assert.ok(slow.logIds().every((id) => !s2.has(id)));
    // Stats count the skipped records apart, within the retained entries (paused: at rest).
    const stats = await (await fetch(`${srv.url}/api/logs/stats`)).json();
    const row = stats.byTrigger.find((r: { triggerId: string }) => r.triggerId === t.id);
    assert.equal(row.active, (await logs(srv, t.id)).length);
    assert.equal(row.skipped, s2.size);
    assert.equal(row.missed, 0);
    assert.equal(stats.skipped, s2.size);
  } finally {
    await srv.stop();
    await slow.r.close();
  }
});
