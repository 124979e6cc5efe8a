/**
 * Failure handling (issue 17): three failing final deliveries with `pauseAfterFailures: 3`
 * pause the trigger with a reason and send one signed `trigger_paused` alert; each final
 * failure and each missed-run record is alerted too. Real server, real receivers.
 */
import assert from "node:assert/strict";
import { signatureHex } from "../webhook/signature.ts";
import { ManualClock } from "../core/clock.ts";
import { Alerter } from "../webhook/alerts.ts";
import { testApp } from "./helpers/app.ts";
import { startServer, waitFor } from "./helpers/server.ts";
import { receiver } from "./webhook_helpers.ts";

const SECRET = "alert-s3cret";

async function verify(sig: string, id: string, body: string): Promise<boolean> {
  const m = /^t=(\d+),v2=([0-9a-f]{64})$/.exec(sig);
  if (!m) return false;
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(SECRET),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return (await signatureHex(key, Number(m[1]), id, body)) === m[2];
}

Deno.test("pauseAfterFailures: 3 pauses after three failed deliveries and alerts once", async () => {
  const failing = receiver(() => new Response("down", { status: 500 }));
  const alerts = receiver();
  const srv = await startServer({
    args: ["--alert-webhook", alerts.url, "--signing-secret", SECRET],
  });
  try {
    const bad = await fetch(`${srv.url}/api/triggers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        name: "flaky",
        schedule: { everySeconds: 60 },
        webhook: { url: failing.url, retries: 0, pauseAfterFailures: 1001 },
      }),
    });
    assert.equal(bad.status, 400);
    const res = await fetch(`${srv.url}/api/triggers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        name: "flaky",
        type: "api",
        webhook: { url: failing.url, retries: 0, pauseAfterFailures: 3 },
      }),
    });
    const t = await res.json();
    assert.equal(res.status, 201, JSON.stringify(t));
    assert.equal(t.webhook.pauseAfterFailures, 3);
    const get = async () => await (await fetch(`${srv.url}/api/triggers/${t.id}`)).json();
    // One firing at a time, each settled before the next: three consecutive failures.
    for (let i = 1; i <= 3; i++) {
      assert.equal((await get()).status, "active", `still active before failure ${i}`);
      const fired = await fetch(`${srv.url}/api/triggers/${t.id}/fire`, { method: "POST" });
      const log = await fired.json();
      assert.equal(fired.status, 202, JSON.stringify(log));
      await waitFor(
        async () => {
          const l = await (await fetch(`${srv.url}/api/logs/${log.id}`)).json();
          return l.outcome === "failed";
        },
        15_000,
        `failure ${i}`,
      );
    }
    const paused = await waitFor(
      async () => {
        const cur = await get();
        return cur.status === "paused" && cur;
      },
      15_000,
      "the automatic pause",
    );
    assert.equal(paused.pausedReason, "paused after 3 consecutive delivery failures");
    assert.equal(paused.pausedUntil, null);

    const kinds = () => alerts.hits.map((h) => h.headers.get("tock-alert"));
    await waitFor(
      () =>
        kinds().filter((k) => k === "delivery_failed").length === 3 &&
        kinds().includes("trigger_paused"),
      15_000,
      "the alerts",
    );
    // The pause was already recorded before these reads; any duplicate alert would have
    // been sent with it.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(kinds().filter((k) => k === "trigger_paused").length, 1);
    for (const h of alerts.hits) {
      const id = h.headers.get("webhook-id") ?? "";
      assert.equal(JSON.parse(h.body).id, id);
      assert.ok(await verify(h.headers.get("tock-signature") ?? "", id, h.body), "signed");
    }
    const pause = JSON.parse(
      alerts.hits.find((h) => h.headers.get("tock-alert") === "trigger_paused")!.body,
    );
    assert.deepEqual(pause.trigger, { id: t.id, name: "flaky" });
    assert.equal(pause.reason, "paused after 3 consecutive delivery failures");
  } finally {
    await srv.stop();
    await failing.close();
    await alerts.close();
  }
});

Deno.test("alerts are rate-limited per minute and the excess is summarised once", async () => {
  const got = receiver();
  const clock = new ManualClock(Date.parse("2026-01-01T00:00:00.000Z"));
  await using t = await testApp({ clock, config: { alertWebhook: got.url } });
  const alerter = new Alerter(t.deps, { perMinute: 2 });
  try {
    for (let i = 0; i < 5; i++) alerter.send({ type: "delivery_failed", n: i });
    await waitFor(() => got.hits.length === 2, 10_000, "two alerts");
    clock.advance(61_000);
    alerter.send({ type: "delivery_failed", n: 5 });
    await waitFor(() => got.hits.length === 4, 10_000, "the summary and the next alert");
    await alerter.stop();
    const bodies = got.hits.map((h) => JSON.parse(h.body));
    // The last two are sent concurrently: their arrival order is not the point.
    assert.deepEqual(bodies.slice(0, 2).map((b) => b.n), [0, 1]);
    const rest = bodies.slice(2);
    assert.deepEqual(rest.find((b) => b.type === "alerts_suppressed")?.count, 3);
    assert.deepEqual(rest.find((b) => b.type === "delivery_failed")?.n, 5);
  } finally {
    await alerter.stop();
    await got.close();
  }
});
