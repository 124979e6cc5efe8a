/** Test firings: POST /api/test and /test_trigger fire an unsaved definition once. */
import assert from "node:assert/strict";
import { startServer, waitFor } from "./helpers/server.ts";
import { testApp } from "./helpers/app.ts";

Deno.test("POST /api/test fires once as a test entry, returns 5 occurrences, saves no trigger", async () => {
  await using t = await testApp();
  const def = {
    name: "nightly",
    type: "scheduled",
    schedule: { cron: "0 16 * * *", timezone: "Asia/Kolkata" },
    payload: { report: true },
  };
  const res = await t.call("POST", "/api/test", def);
  assert.equal(res.status, 200);
  const { log, occurrences } = res.body;
  assert.equal(log.test, true);
  assert.equal(log.source, "test");
  assert.equal(log.triggerId, null);
  assert.equal(log.triggerName, "nightly");
  assert.equal(log.state, "active");
  assert.deepEqual(log.payload, { report: true });
  const preview = await t.call("POST", "/api/preview?count=5", def);
  assert.deepEqual(occurrences, preview.body.occurrences);
  assert.equal(occurrences.length, 5);
  assert.ok(occurrences.every((o: string) => o.endsWith("T10:30:00.000Z")));
  assert.deepEqual((await t.call("GET", "/api/triggers")).body.items, []);
  const listed = await t.call("GET", "/api/logs?source=test");
  assert.deepEqual(listed.body.items, [log]);
  assert.deepEqual((await t.call("GET", `/api/logs/${log.id}`)).body, log);
  const stats = (await t.call("GET", "/api/logs/stats")).body;
  assert.deepEqual(stats.byTrigger, [
    { triggerId: null, triggerName: "test", active: 1, archived: 0, missed: 0, skipped: 0 },
  ]);
});

Deno.test("POST /api/test of an api definition uses the body payload and has no occurrences", async () => {
  await using t = await testApp();
  const res = await t.call("POST", "/api/test", {
    name: "hook",
    type: "api",
    payload: { x: 1 },
    payloadSchema: { type: "object", required: ["x"] },
  });
  assert.equal(res.status, 200);
  assert.deepEqual(res.body.occurrences, []);
  assert.deepEqual(res.body.log.payload, { x: 1 });
  assert.equal(res.body.log.triggerType, "api");
  const bad = await t.call("POST", "/api/test", {
    name: "hook",
    type: "scheduled",
    schedule: { cron: "61 * * * *" },
  });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.errors[0].path, "schedule.cron");
  assert.equal(
    (await t.call("GET", "/api/logs")).body.items.length,
    1,
    "the invalid one fired nothing",
  );
});

Deno.test("/test_trigger with delay_seconds answers after the delay with the log", async () => {
  await using t = await testApp();
  const started = Date.now();
  const res = await t.call("POST", "/test_trigger", {
    trigger_name: "soon",
    trigger_type: "scheduled",
    delay_seconds: 1,
    payload: { p: 1 },
  });
  const took = Date.now() - started;
  assert.equal(res.status, 200);
  assert.ok(took >= 990, `answered after ${took} ms`);
  assert.equal(res.body.message, 'Test trigger "soon" fired');
  assert.deepEqual(Object.keys(res.body.log).sort(), [
    "executed_at",
    "payload",
    "source",
    "state",
    "trigger_name",
  ]);
  assert.equal(res.body.log.source, "test");
  assert.deepEqual(res.body.log.payload, { p: 1 });
  assert.ok(Date.parse(res.body.log.executed_at) >= started + 990);
  assert.equal(res.body.occurrences.length, 1); // the one-time schedule it describes
  assert.deepEqual((await t.call("GET", "/list_triggers")).body, []);
  let pending = 0;
  for await (const _ of t.kv.list({ prefix: ["test_pending"] })) pending++;
  assert.equal(pending, 0);
  const tooLong = await t.call("POST", "/test_trigger", {
    trigger_name: "later",
    trigger_type: "api",
    delay_seconds: 26,
  });
  assert.equal(tooLong.status, 400);
  assert.match(tooLong.body.error, /delay_seconds must be at most 25/);
});

Deno.test("/test_trigger still fires when the client disconnects during the delay", async () => {
  const server = await startServer();
  try {
    const abort = new AbortController();
    const req = fetch(`${server.url}/test_trigger`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        trigger_name: "gone-client",
        trigger_type: "api",
        delay_seconds: 2,
        payload: { n: 7 },
      }),
      signal: abort.signal,
    }).catch((err) => err);
    await new Promise((r) => setTimeout(r, 300));
    abort.abort();
    assert.ok((await req) instanceof Error);
    const items = await waitFor(
      async () => {
        const res = await fetch(`${server.url}/api/logs?trigger=gone-client`);
        const body = await res.json();
        return body.items.length > 0 ? body.items : null;
      },
      15_000,
      "the test firing",
    );
    await new Promise((r) => setTimeout(r, 500));
    const again = await (await fetch(`${server.url}/api/logs?trigger=gone-client`)).json();
    assert.equal(again.items.length, 1, "fired exactly once");
    assert.equal(items[0].test, true);
    assert.deepEqual(items[0].payload, { n: 7 });
  } finally {
    await server.stop();
  }
});
