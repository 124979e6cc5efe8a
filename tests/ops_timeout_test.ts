/** Request timeouts: a slow request gets a 503 problem; the event stream and test waits do not. */
import assert from "node:assert/strict";
import { createApp } from "../http/app.ts";
import { testApp, uniqueName } from "./helpers/app.ts";

Deno.test("a request slower than --request-timeout answers 503 problem+json", async () => {
  await using t = await testApp({ config: { requestTimeoutMs: 200 } });
  const { promise: release, resolve } = Promise.withResolvers<void>();
  // A route added after createApp runs behind the same middleware and error mapping.
  t.app.get("/api/slow", async (c) => {
    await release;
    return c.text("late");
  });
  const started = performance.now();
  const res = await t.call("GET", "/api/slow");
  const took = performance.now() - started;
  resolve();
  assert.equal(res.status, 503);
  assert.equal(res.headers.get("content-type"), "application/problem+json");
  assert.deepEqual(res.body, {
    type: "https://tock.dev/problems/503",
    title: "Service unavailable",
    status: 503,
    detail: "The request took longer than 200 ms",
  });
  assert.ok(took >= 190, `answered after ${took} ms`);
});

Deno.test("a request within the timeout is untouched", async () => {
  await using t = await testApp({ config: { requestTimeoutMs: 5_000 } });
  t.app.get("/api/quick", async (c) => {
    await new Promise((r) => setTimeout(r, 50));
    return c.text("done");
  });
  const res = await t.call("GET", "/api/quick");
  assert.equal(res.status, 200);
  assert.equal(res.body, "done");
});

Deno.test("GET /api/events outlives the request timeout", async () => {
  await using t = await testApp({ config: { requestTimeoutMs: 200 } });
  const app = createApp(t.deps, { eventsHeartbeatMs: 100 });
  const res = await app.request("/api/events");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = "";
  const started = performance.now();
  // Read well past the timeout: heartbeats keep coming, the stream is not cut.
  while (performance.now() - started < 800) {
    const { value, done } = await reader.read();
    assert.equal(done, false, "the stream ended");
    text += dec.decode(value);
  }
  await reader.cancel();
  assert.ok((text.match(/^: heartbeat/gm) ?? []).length >= 2, text);
});

Deno.test("/test_trigger may wait its allowed delay without hitting the timeout", async () => {
  // With a 6 s timeout a test firing may wait up to 1 s (routes/test.ts maxTestDelayMs).
  await using t = await testApp({ config: { requestTimeoutMs: 6_000 } });
  const res = await t.call("POST", "/test_trigger", {
    trigger_name: uniqueName("wait"),
    trigger_type: "scheduled",
    delay_seconds: 1,
  });
  assert.equal(res.status, 200);
  assert.match(res.body.message, /^Test trigger ".*" fired$/);
  assert.equal(res.body.log.source, "test");
});
