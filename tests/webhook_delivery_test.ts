/** Webhook delivery against real receivers on 127.0.0.1: headers, retries, timeouts, limits. */
import assert from "node:assert/strict";
import { VERSION } from "../core/version.ts";
import { createHmac } from "node:crypto";
import { waitFor } from "./helpers/server.ts";
import { receiver, webhookApp } from "./webhook_helpers.ts";

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

Deno.test("a webhook firing delivers the payload with Tock's headers and the log turns ok", async () => {
  const rx = receiver(() => new Response("thanks", { status: 200 }));
  await using t = await webhookApp();
  try {
    const id = await t.apiTrigger({ url: rx.url, method: "PUT", headers: { "X-Team": "ops" } });
    const fired = await t.fire(id, { order: 42, note: "héllo" });
    assert.equal(fired.outcome, "pending");
    assert.equal(fired.delivery, null);
    const log = await t.settled(fired.id);
    assert.equal(log.outcome, "ok");
    assert.equal(log.delivery.status, 200);
    assert.equal(log.delivery.attempts, 1);
    assert.equal(log.delivery.error, null);
    assert.equal(typeof log.delivery.durationMs, "number");
    assert.ok(log.delivery.durationMs >= 0 && log.delivery.durationMs < 10_000);

    assert.equal(rx.hits.length, 1);
    const hit = rx.hits[0];
    assert.equal(hit.method, "PUT");
    assert.equal(hit.path, "/hook");
    assert.deepEqual(JSON.parse(hit.body), { order: 42, note: "héllo" });
    assert.equal(hit.headers.get("content-type"), "application/json");
    assert.equal(hit.headers.get("x-team"), "ops");
    assert.equal(hit.headers.get("tock-trigger"), id);
    assert.equal(hit.headers.get("tock-log-id"), fired.id);
    assert.match(fired.id, ULID);
    // Not scheduled: the occurrence part of the key is the log id.
    assert.equal(hit.headers.get("idempotency-key"), `${id}:${fired.id}`);
    assert.equal(hit.headers.get("tock-attempt"), "1");
    assert.equal(hit.headers.get("tock-signature"), null);
    assert.equal(hit.headers.get("user-agent"), `Tock/${VERSION}`);
    assert.equal(hit.headers.get("accept"), "*/*");

    // The outbox counts a series once its outcome is committed, just after the log shows it.
    const counted = /^tock_webhook_deliveries_total\{outcome="ok"\} 1$/m;
    const metrics = await waitFor(
      async () => {
        const text = await (await t.app.request("/metrics")).text();
        return counted.test(text) ? text : null;
      },
      10_000,
      "the delivery to be counted in /metrics",
    );
    assert.match(metrics, counted);
    assert.match(metrics, /^tock_webhook_deliveries_pending 0$/m);
  } finally {
    await rx.close();
  }
});

Deno.test("a 500 then a 200 is delivered on the second attempt", async () => {
  const rx = receiver((_req, n) =>
    new Response(n === 1 ? "boom" : "ok", { status: n === 1 ? 500 : 200 })
  );
  await using t = await webhookApp();
  try {
    const id = await t.apiTrigger({ url: rx.url, retries: 3, backoffMs: 20, timeoutMs: 2000 });
    const fired = await t.fire(id, { n: 1 });
    const log = await t.settled(fired.id);
    assert.equal(log.outcome, "ok");
    assert.deepEqual(
      { status: log.delivery.status, attempts: log.delivery.attempts, error: log.delivery.error },
      { status: 200, attempts: 2, error: null },
    );
    assert.equal(rx.hits.length, 2);
    assert.deepEqual(rx.hits.map((h) => h.headers.get("tock-attempt")), ["1", "2"]);
    // Both attempts carry the same idempotency key, so the receiver can drop a duplicate.
    assert.equal(
      rx.hits[0].headers.get("idempotency-key"),
      rx.hits[1].headers.get("idempotency-key"),
    );
  } finally {
    await rx.close();
  }
});

Deno.test("a receiver that always answers 500 fails after retries + 1 attempts and is listed", async () => {
  const rx = receiver(() => new Response("down for maintenance", { status: 500 }));
  await using t = await webhookApp();
  try {
    const id = await t.apiTrigger({ url: rx.url, retries: 2, backoffMs: 10, timeoutMs: 2000 });
    const fired = await t.fire(id, null);
    const log = await t.settled(fired.id);
    assert.equal(log.outcome, "failed");
    assert.equal(log.delivery.status, 500);
    assert.equal(log.delivery.attempts, 3);
    assert.equal(log.delivery.error, "HTTP 500: down for maintenance");
    assert.equal(rx.hits.length, 3);
    assert.equal(rx.hits[0].body, "null");

    const failed = await t.call("GET", `/api/logs?outcome=failed&trigger=${id}`);
    assert.equal(failed.status, 200);
    assert.deepEqual(failed.body.items.map((l: { id: string }) => l.id), [fired.id]);
    const pending = await t.call("GET", `/api/logs?outcome=pending&trigger=${id}`);
    assert.deepEqual(pending.body.items, []);
  } finally {
    await rx.close();
  }
});

Deno.test("a receiver slower than timeoutMs times out, is retried, then fails", async () => {
  const rx = receiver(() => rx.hang());
  await using t = await webhookApp();
  try {
    const id = await t.apiTrigger({ url: rx.url, retries: 1, backoffMs: 10, timeoutMs: 300 });
    const fired = await t.fire(id, { slow: true });
    const log = await t.settled(fired.id);
    assert.equal(log.outcome, "failed");
    assert.deepEqual(
      { status: log.delivery.status, attempts: log.delivery.attempts, error: log.delivery.error },
      { status: null, attempts: 2, error: "Timed out after 300 ms" },
    );
    assert.ok(log.delivery.durationMs >= 290, `durationMs ${log.delivery.durationMs}`);
    assert.equal(rx.hits.length, 2);
  } finally {
    await rx.close();
  }
});

Deno.test("a 4xx answer is not retried", async () => {
  const rx = receiver(() => new Response("no such hook", { status: 404 }));
  await using t = await webhookApp();
  try {
    const id = await t.apiTrigger({ url: rx.url, retries: 5, backoffMs: 10 });
    const fired = await t.fire(id, {});
    const log = await t.settled(fired.id);
    assert.equal(log.outcome, "failed");
    assert.deepEqual(log.delivery.status, 404);
    assert.equal(log.delivery.attempts, 1);
    assert.equal(log.delivery.error, "HTTP 404: no such hook");
    // Give a wrongly scheduled retry the time to show up.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(rx.hits.length, 1);
  } finally {
    await rx.close();
  }
});

Deno.test("a 429 is retried and its Retry-After is honoured over the backoff", async () => {
  const rx = receiver((_req, n) =>
    n === 1
      ? new Response("slow down", { status: 429, headers: { "Retry-After": "1" } })
      : new Response("ok")
  );
  await using t = await webhookApp();
  try {
    // backoffMs 0 would retry at once: only Retry-After can explain a one-second gap.
    const id = await t.apiTrigger({ url: rx.url, retries: 2, backoffMs: 0 });
    const fired = await t.fire(id, {});
    const log = await t.settled(fired.id);
    assert.equal(log.outcome, "ok");
    assert.equal(log.delivery.attempts, 2);
    assert.equal(rx.hits.length, 2);
    const gap = rx.hits[1].atMs - rx.hits[0].atMs;
    assert.ok(gap >= 950, `retried after ${gap} ms, expected about 1000`);
    // durationMs is the last attempt's own time, not the wait before it.
    assert.ok(log.delivery.durationMs < 950, `durationMs ${log.delivery.durationMs}`);
  } finally {
    await rx.close();
  }
});

Deno.test("a redirect is not followed and not retried", async () => {
  const target = receiver();
  const rx = receiver(() => new Response(null, { status: 302, headers: { Location: target.url } }));
  await using t = await webhookApp();
  try {
    const id = await t.apiTrigger({ url: rx.url, retries: 3, backoffMs: 10 });
    const fired = await t.fire(id, {});
    const log = await t.settled(fired.id);
    assert.equal(log.outcome, "failed");
    assert.deepEqual(
      { status: log.delivery.status, attempts: log.delivery.attempts, error: log.delivery.error },
      { status: 302, attempts: 1, error: "Redirect (302) not followed" },
    );
    assert.equal(target.hits.length, 0);
  } finally {
    await rx.close();
    await target.close();
  }
});

Deno.test("a connection refused is a network error, retried", async () => {
  // A port that was just free: nothing listens there.
  const gone = receiver();
  const url = gone.url;
  await gone.close();
  await using t = await webhookApp();
  const id = await t.apiTrigger({ url, retries: 1, backoffMs: 10, timeoutMs: 2000 });
  const fired = await t.fire(id, {});
  const log = await t.settled(fired.id);
  assert.equal(log.outcome, "failed");
  assert.equal(log.delivery.status, null);
  assert.equal(log.delivery.attempts, 2);
  assert.match(log.delivery.error, /^Network error: /);
});

Deno.test("a huge response body is read only up to 64 KiB", async () => {
  // 10 MiB of answer, streamed: the delivery must finish without reading it all.
  const chunk = new Uint8Array(64 * 1024).fill(97);
  let sent = 0;
  const rx = receiver(() =>
    new Response(
      new ReadableStream({
        pull(ctrl) {
          if (sent >= 10 * 1024 * 1024) return ctrl.close();
          sent += chunk.length;
          ctrl.enqueue(chunk);
        },
      }),
      { status: 500 },
    )
  );
  await using t = await webhookApp();
  try {
    const id = await t.apiTrigger({ url: rx.url, retries: 0 });
    const fired = await t.fire(id, {});
    const log = await t.settled(fired.id);
    assert.equal(log.outcome, "failed");
    assert.equal(log.delivery.status, 500);
    // The error keeps a short excerpt of what was read.
    assert.equal(log.delivery.error, `HTTP 500: ${"a".repeat(200)}…`);
    assert.ok(sent < 10 * 1024 * 1024, `the whole body (${sent} bytes) was read`);
  } finally {
    await rx.close();
  }
});

Deno.test("Tock-Signature verifies with the signing secret (HMAC-SHA256 of t.logId.body)", async () => {
  const secret = "whsec_" + crypto.randomUUID();
  const rx = receiver();
  await using t = await webhookApp({ args: ["--signing-secret", secret] });
  try {
    const id = await t.apiTrigger({ url: rx.url });
    const before = Math.floor(Date.now() / 1000);
    const fired = await t.fire(id, { amount: 10, currency: "EUR" });
    await t.settled(fired.id);
    const hit = rx.hits[0];
    const sig = hit.headers.get("tock-signature")!;
    const m = /^t=(\d+),v2=([0-9a-f]{64})$/.exec(sig);
    assert.ok(m, `unexpected signature header "${sig}"`);
    const ts = Number(m[1]);
    assert.ok(ts >= before && ts <= Math.floor(Date.now() / 1000));
    const signed = `${m[1]}.${fired.id}.${hit.body}`;
    assert.equal(hit.headers.get("tock-log-id"), fired.id);
    const expected = createHmac("sha256", secret).update(signed).digest("hex");
    assert.equal(m[2], expected);
    // A different secret or a changed body does not verify.
    const wrong = createHmac("sha256", "other").update(signed).digest("hex");
    assert.notEqual(m[2], wrong);
    const tampered = createHmac("sha256", secret).update(`${signed} `).digest("hex");
    assert.notEqual(m[2], tampered);
  } finally {
    await rx.close();
  }
});

Deno.test("a test firing with a webhook is delivered with Tock-Trigger: test", async () => {
  const rx = receiver();
  await using t = await webhookApp();
  try {
    const res = await t.call("POST", "/api/test", {
      name: "dry-run",
      type: "api",
      webhook: { url: rx.url },
      payload: { dry: true },
    });
    assert.equal(res.status, 200);
    const log = await t.settled(res.body.log.id);
    assert.equal(log.outcome, "ok");
    assert.equal(rx.hits.length, 1);
    assert.equal(rx.hits[0].headers.get("tock-trigger"), "test");
    assert.equal(rx.hits[0].headers.get("idempotency-key"), `test:${log.id}`);
    assert.deepEqual(JSON.parse(rx.hits[0].body), { dry: true });
  } finally {
    await rx.close();
  }
});

Deno.test("POST /api/logs/:id/redeliver starts a new series for a failed delivery", async () => {
  let healthy = false;
  const rx = receiver(() => new Response(null, { status: healthy ? 204 : 503 }));
  await using t = await webhookApp();
  try {
    const id = await t.apiTrigger({ url: rx.url, retries: 1, backoffMs: 10 });
    const fired = await t.fire(id, { again: 1 });
    const failed = await t.settled(fired.id);
    assert.equal(failed.outcome, "failed");
    assert.equal(failed.delivery.attempts, 2);

    healthy = true;
    const res = await t.call("POST", `/api/logs/${fired.id}/redeliver`);
    assert.equal(res.status, 202);
    assert.equal(res.body.id, fired.id);
    assert.equal(res.body.outcome, "pending");
    assert.equal(res.body.delivery, null);
    const ok = await t.settled(fired.id);
    assert.equal(ok.outcome, "ok");
    assert.deepEqual(
      { status: ok.delivery.status, attempts: ok.delivery.attempts, error: ok.delivery.error },
      { status: 204, attempts: 1, error: null },
    );
    assert.equal(rx.hits.length, 3);
    assert.deepEqual(JSON.parse(rx.hits[2].body), { again: 1 });
    assert.equal(rx.hits[2].headers.get("idempotency-key"), `${id}:${fired.id}`);
  } finally {
    await rx.close();
  }
});

Deno.test("redeliver goes to the trigger's current webhook URL", async () => {
  const old = receiver(() => new Response(null, { status: 410 }));
  const fixed = receiver();
  await using t = await webhookApp();
  try {
    const id = await t.apiTrigger({ url: old.url, retries: 0 });
    const fired = await t.fire(id, { v: 1 });
    assert.equal((await t.settled(fired.id)).outcome, "failed");
    const patch = await t.call("PATCH", `/api/triggers/${id}`, { webhook: { url: fixed.url } });
    assert.equal(patch.status, 200);
    assert.equal((await t.call("POST", `/api/logs/${fired.id}/redeliver`)).status, 202);
    assert.equal((await t.settled(fired.id)).outcome, "ok");
    assert.equal(old.hits.length, 1);
    assert.equal(fixed.hits.length, 1);
  } finally {
    await old.close();
    await fixed.close();
  }
});

Deno.test("redeliver answers 404 for unknown entries and 409 without a webhook or while pending", async () => {
  const rx = receiver(() => rx.hang());
  await using t = await webhookApp();
  try {
    const unknown = await t.call("POST", "/api/logs/01JDX0000000000000000000ZZ/redeliver");
    assert.equal(unknown.status, 404);
    assert.equal(unknown.headers.get("content-type"), "application/problem+json");
    const notUlid = await t.call("POST", "/api/logs/nope/redeliver");
    assert.equal(notUlid.status, 404);

    const plain = await t.call("POST", "/api/triggers", {
      name: "plain-" + Date.now(),
      type: "api",
    });
    const log = await t.fire(plain.body.id, {});
    assert.equal(log.outcome, "ok");
    const noHook = await t.call("POST", `/api/logs/${log.id}/redeliver`);
    assert.equal(noHook.status, 409);
    assert.equal(noHook.body.detail, `Log entry "${log.id}" was not a webhook firing`);

    const id = await t.apiTrigger({ url: rx.url, timeoutMs: 5000 });
    const pending = await t.fire(id, {});
    await waitFor(() => rx.hits.length === 1, 10_000, "the hanging attempt");
    const busy = await t.call("POST", `/api/logs/${pending.id}/redeliver`);
    assert.equal(busy.status, 409);
    assert.equal(busy.body.detail, `A delivery of log entry "${pending.id}" is in progress`);
  } finally {
    await rx.close();
  }
});

Deno.test("a hanging receiver does not hold up firings or other triggers' deliveries", async () => {
  const stuck = receiver(() => stuck.hang());
  const fast = receiver();
  // The per-trigger limit lifted: this test is about the per-host one.
  await using t = await webhookApp({ outbox: { perTrigger: 20 } });
  try {
    const slowId = await t.apiTrigger({ url: stuck.url, timeoutMs: 60_000, retries: 0 });
    const fastId = await t.apiTrigger({ url: fast.url, timeoutMs: 5_000 });
    // Far more firings to the hanging receiver than it has slots.
    const slowLogs = await Promise.all(Array.from({ length: 20 }, (_, i) => t.fire(slowId, { i })));
    await waitFor(() => stuck.hits.length === 4, 10_000, "the hanging receiver's slots to fill");

    const started = Date.now();
    const fastLogs = [];
    for (let i = 0; i < 10; i++) fastLogs.push(await t.fire(fastId, { i }));
    const firedIn = Date.now() - started;
    for (const l of fastLogs) assert.equal((await t.settled(l.id, 10_000)).outcome, "ok");
    const deliveredIn = Date.now() - started;
    assert.equal(fast.hits.length, 10);
    // Generous bounds (a shared machine): the point is "not behind a 60 s timeout".
    assert.ok(firedIn < 10_000, `firing took ${firedIn} ms`);
    assert.ok(deliveredIn < 10_000, `deliveries took ${deliveredIn} ms`);
    // At most 4 requests in flight to the hanging host; the other 16 wait their turn.
    assert.equal(stuck.hits.length, 4);
    assert.deepEqual(t.outbox.stats(), { active: 4, waiting: 16, scheduled: 0 });
    for (const l of slowLogs) {
      assert.equal((await t.call("GET", `/api/logs/${l.id}`)).body.outcome, "pending");
    }
  } finally {
    await stuck.close();
    await fast.close();
  }
});

Deno.test("docs/webhooks.md's signature verification snippet accepts a real delivery and rejects a forgery", async () => {
  const doc = await Deno.readTextFile(new URL("../docs/webhooks.md", import.meta.url));
  const section = doc.slice(doc.indexOf("## Verifying signatures"));
  const code = /```ts\n([\s\S]*?)```/.exec(section)![1];
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(file, code);
  const { verifyTockWebhook } = await import(`file://${file}`);

  const secret = "readme-" + crypto.randomUUID();
  const verdicts: string[] = [];
  const rx = receiver(async (req, n) => {
    // The receiver helper has read the body already: rebuild the request as it arrived.
    const genuine = new Request(req.url, {
      method: "POST",
      headers: req.headers,
      body: rx.hits[n - 1].body,
    });
    const forged = new Request(req.url, {
      method: "POST",
      headers: req.headers,
      body: '{"amount":1000000}',
    });
    try {
      verdicts.push(`ok ${JSON.stringify(await verifyTockWebhook(genuine, secret))}`);
    } catch (err) {
      verdicts.push(`rejected: ${(err as Error).message}`);
    }
    try {
      await verifyTockWebhook(forged, secret);
      verdicts.push("forgery accepted");
    } catch (err) {
      verdicts.push(`forgery rejected: ${(err as Error).message}`);
    }
    return new Response(null, { status: 204 });
  });
  await using t = await webhookApp({ args: ["--signing-secret", secret] });
  try {
    const id = await t.apiTrigger({ url: rx.url });
    const fired = await t.fire(id, { amount: 5 });
    assert.equal((await t.settled(fired.id)).outcome, "ok");
    assert.deepEqual(verdicts, [
      'ok {"amount":5}',
      "forgery rejected: Tock-Signature does not match",
    ]);
  } finally {
    await rx.close();
    await Deno.remove(file);
  }
});

Deno.test("the README's Standard Webhooks snippet accepts a real delivery and rejects a tampered one", async () => {
  const doc = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const section = doc.slice(doc.indexOf("### Receiving webhooks"));
  const code = /```ts\n([\s\S]*?)```/.exec(section)![1];
  // Inside the checkout, so the bare "standardwebhooks" resolves through deno.json as for a user.
  const file = await Deno.makeTempFile({
    dir: new URL(".", import.meta.url).pathname,
    suffix: ".ts",
  });
  await Deno.writeTextFile(file, code);
  const { verifyDelivery } = await import(`file://${file}`);

  const secret = "whsec_" +
    btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
  const verdicts: string[] = [];
  const rx = receiver(async (req, n) => {
    const as = (body: string) =>
      new Request(req.url, { method: "POST", headers: req.headers, body });
    try {
      verdicts.push(`ok ${JSON.stringify(await verifyDelivery(as(rx.hits[n - 1].body), secret))}`);
    } catch (err) {
      verdicts.push(`rejected: ${(err as Error).message}`);
    }
    try {
      await verifyDelivery(as('{"amount":1000000}'), secret);
      verdicts.push("tampered accepted");
    } catch {
      verdicts.push("tampered rejected");
    }
    return new Response(null, { status: 204 });
  });
  await using t = await webhookApp({ args: ["--signing-secret", secret] });
  try {
    const id = await t.apiTrigger({ url: rx.url });
    const fired = await t.fire(id, { amount: 5 });
    assert.equal((await t.settled(fired.id)).outcome, "ok");
    assert.deepEqual(verdicts, ['ok {"amount":5}', "tampered rejected"]);
  } finally {
    await rx.close();
    await Deno.remove(file);
  }
});
