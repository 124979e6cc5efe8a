/**
 * Issue 17 gaps: a missed-run record sends a signed `missed_runs` alert and is counted apart
 * in the log stats; a successful delivery resets the consecutive-failure count of
 * `pauseAfterFailures`. Real server, real receivers.
 */
import assert from "node:assert/strict";
import { type RunningServer, startServer, waitFor } from "./helpers/server.ts";
import { receiver } from "./webhook_helpers.ts";

type Log = { id: string; outcome: string; reason?: string; firedAt: string };

async function post(srv: RunningServer, path: string, body?: unknown) {
  return await fetch(`${srv.url}${path}`, {
    method: "POST",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function logs(srv: RunningServer, id: string, outcome?: string): Promise<Log[]> {
  const q = new URLSearchParams({ trigger: id, limit: "500", ...(outcome ? { outcome } : {}) });
  return (await (await fetch(`${srv.url}/api/logs?${q}`)).json()).items;
}

Deno.test("a missed-run record sends a missed_runs alert and stats count it apart", async () => {
  const alerts = receiver();
  const srv = await startServer({ args: ["--alert-webhook", alerts.url] });
  try {
    const res = await post(srv, "/api/triggers", {
      name: "paused-a-while",
      schedule: { everySeconds: 1 },
    });
    const t = await res.json();
    assert.equal(res.status, 201);
    await waitFor(async () => (await logs(srv, t.id, "ok")).length >= 1, 15_000, "a firing");
    assert.equal((await post(srv, `/api/triggers/${t.id}/pause`)).status, 200);
    const paused = await (await fetch(`${srv.url}/api/triggers/${t.id}`)).json();
    // Let at least two occurrences pass while paused (judged by the server's own nextRunAt).
    const passAt = Date.parse(paused.nextRunAt) + 2_000;
    await waitFor(() => Date.now() > passAt, 15_000, "occurrences to pass");
    assert.equal((await post(srv, `/api/triggers/${t.id}/resume`)).status, 200);
    const missed = await waitFor(
      async () => (await logs(srv, t.id, "missed"))[0],
      15_000,
      "the missed-run record",
    );
    assert.equal(missed.reason, "paused");
    const hit = await waitFor(
      () => alerts.hits.find((h) => h.headers.get("tock-alert") === "missed_runs"),
      15_000,
      "the missed_runs alert",
    );
    const body = JSON.parse(hit.body);
    assert.equal(body.type, "missed_runs");
    assert.deepEqual(body.trigger, { id: t.id, name: "paused-a-while" });
    assert.equal(body.logId, missed.id);
    assert.equal(body.reason, "paused");
    assert.ok(body.missed.count >= 1);

    // Stop changes, then compare the stats with the listing at rest.
    assert.equal((await post(srv, `/api/triggers/${t.id}/pause`)).status, 200);
    const all = await logs(srv, t.id);
    const stats = await (await fetch(`${srv.url}/api/logs/stats`)).json();
    const row = stats.byTrigger.find((r: { triggerId: string }) => r.triggerId === t.id);
    assert.equal(row.active, all.length);
    assert.equal(row.missed, all.filter((l) => l.outcome === "missed").length);
    assert.equal(row.missed, 1);
    assert.equal(row.skipped, 0);
    assert.equal(stats.missed, 1);
    assert.equal(stats.skipped, 0);
  } finally {
    await srv.stop();
    await alerts.close();
  }
});

Deno.test("a successful delivery resets the consecutive failures of pauseAfterFailures", async () => {
  // fail, fail, ok, fail, fail, fail: only the sixth makes three in a row.
  const plan = [500, 500, 200, 500, 500, 500];
  const target = receiver((_req, n) => new Response("r", { status: plan[n - 1] ?? 200 }));
  const alerts = receiver();
  const srv = await startServer({ args: ["--alert-webhook", alerts.url] });
  try {
    const res = await post(srv, "/api/triggers", {
      name: "mostly-failing",
      type: "api",
      webhook: { url: target.url, retries: 0, pauseAfterFailures: 3 },
    });
    const t = await res.json();
    assert.equal(res.status, 201, JSON.stringify(t));
    const fired: Log[] = [];
    for (const [i, status] of plan.entries()) {
      const cur = await (await fetch(`${srv.url}/api/triggers/${t.id}`)).json();
      assert.equal(cur.status, "active", `still active before firing ${i + 1}`);
      const r = await post(srv, `/api/triggers/${t.id}/fire`);
      const log = await r.json();
      assert.equal(r.status, 202, JSON.stringify(log));
      fired.push(log);
      const want = status === 200 ? "ok" : "failed";
      await waitFor(
        async () => (await (await fetch(`${srv.url}/api/logs/${log.id}`)).json()).outcome === want,
        15_000,
        `firing ${i + 1} to settle ${want}`,
      );
    }
    const paused = await waitFor(
      async () => {
        const cur = await (await fetch(`${srv.url}/api/triggers/${t.id}`)).json();
        return cur.status === "paused" && cur;
      },
      15_000,
      "the pause after the third failure in a row",
    );
    // Paused by the sixth firing, not earlier: without the reset the fourth would have done it.
    assert.ok(
      Date.parse(paused.pausedAt) >= Date.parse(fired[5].firedAt),
      `${paused.pausedAt} vs ${fired[5].firedAt}`,
    );
    await waitFor(
      () => alerts.hits.some((h) => h.headers.get("tock-alert") === "trigger_paused"),
      15_000,
      "the trigger_paused alert",
    );
    assert.equal(
      alerts.hits.filter((h) => h.headers.get("tock-alert") === "trigger_paused").length,
      1,
    );
  } finally {
    await srv.stop();
    await target.close();
    await alerts.close();
  }
});
