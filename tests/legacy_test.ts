import assert from "node:assert/strict";
import { testApp } from "./helpers/app.ts";
import { startServer } from "./helpers/server.ts";

Deno.test("/schedule_trigger maps every reference schedule shape onto the store", async () => {
  await using t = await testApp();
  const delay = await t.call("POST", "/schedule_trigger", {
    trigger_name: "d",
    trigger_type: "scheduled",
    delay_seconds: 60,
    payload: { a: 1 },
  });
  assert.equal(delay.status, 200);
  assert.equal(delay.body.message, 'Trigger "d" scheduled');
  assert.equal(delay.body.trigger.trigger_name, "d");
  assert.equal(delay.body.trigger.trigger_type, "scheduled");
  assert.deepEqual(delay.body.trigger.payload, { a: 1 });
  assert.equal(delay.body.trigger.next_run_at, delay.body.trigger.schedule);
  const interval = await t.call("POST", "/schedule_trigger", {
    trigger_name: "i",
    trigger_type: "scheduled",
    interval_seconds: 30,
  });
  assert.equal(interval.body.trigger.schedule, "every 30 seconds");
  const cron = await t.call("POST", "/schedule_trigger", {
    trigger_name: "c",
    trigger_type: "scheduled",
    schedule: "0 16 * * *",
  });
  assert.equal(cron.body.trigger.schedule, "0 16 * * *");
  assert.match(cron.body.trigger.next_run_at, /T16:00:00\.000Z$/, "a cron string is UTC");
  const at = new Date(Date.now() + 3600_000).toISOString();
  const once = await t.call("POST", "/schedule_trigger", {
    trigger_name: "o",
    trigger_type: "scheduled",
    schedule: at,
  });
  assert.equal(once.body.trigger.next_run_at, at);
  const api = await t.call("POST", "/schedule_trigger", {
    trigger_name: "api",
    trigger_type: "api",
  });
  assert.equal(api.body.trigger.schedule, null);
  assert.equal(api.body.trigger.next_run_at, null);

  // The same store: the REST API sees them.
  const rest = await t.call("GET", "/api/triggers");
  assert.deepEqual(rest.body.items.map((x: { name: string }) => x.name), [
    "d",
    "i",
    "c",
    "o",
    "api",
  ]);
  const listed = await t.call("GET", "/list_triggers");
  assert.equal(listed.status, 200);
  assert.deepEqual(Object.keys(listed.body[0]).sort(), [
    "next_run_at",
    "payload",
    "schedule",
    "trigger_name",
    "trigger_type",
  ]);
  assert.equal(listed.body.length, 5);
});

Deno.test("reference endpoints answer errors as { error } with real status codes", async () => {
  await using t = await testApp();
  await t.call("POST", "/schedule_trigger", { trigger_name: "x", trigger_type: "api" });
  const cases: [string, string, unknown, number][] = [
    ["POST", "/schedule_trigger", { trigger_name: "x", trigger_type: "api" }, 409],
    ["POST", "/schedule_trigger", { trigger_name: "y", trigger_type: "scheduled" }, 400],
    ["POST", "/schedule_trigger", {
      trigger_name: "y",
      trigger_type: "scheduled",
      schedule: "not a cron",
    }, 400],
    ["POST", "/schedule_trigger", { trigger_name: "y", trigger_type: "weekly" }, 400],
    ["POST", "/schedule_trigger", "{bad json", 400],
    ["POST", "/remove_trigger", { trigger_name: "nope" }, 404],
    ["POST", "/remove_trigger", {}, 400],
    ["POST", "/trigger_api?trigger_name=nope", undefined, 404],
    ["POST", "/trigger_api", undefined, 400],
    [
      "POST",
      "/test_trigger",
      { trigger_name: "t", trigger_type: "scheduled", schedule: "bad" },
      400,
    ],
  ];
  for (const [method, path, body, status] of cases) {
    const res = await t.call(method, path, body);
    assert.equal(
      res.status,
      status,
      `${path} ${JSON.stringify(body)} -> ${JSON.stringify(res.body)}`,
    );
    assert.deepEqual(Object.keys(res.body), ["error"], `${path}: ${JSON.stringify(res.body)}`);
    assert.equal(typeof res.body.error, "string");
  }
  const cronErr = await t.call("POST", "/schedule_trigger", {
    trigger_name: "y",
    trigger_type: "scheduled",
    schedule: "* *",
  });
  assert.match(cronErr.body.error, /schedule\.cron/);
});

Deno.test("/trigger_api, /list_logs, /remove_trigger and /test_trigger work on the same store", async () => {
  await using t = await testApp();
  await t.call("POST", "/schedule_trigger", {
    trigger_name: "hook",
    trigger_type: "api",
    payload: { d: 0 },
  });
  const fired = await t.call("POST", "/trigger_api?trigger_name=hook", { order: 1 });
  assert.equal(fired.status, 200);
  assert.equal(fired.body.message, 'Trigger "hook" fired');
  assert.deepEqual(fired.body.log.payload, { order: 1 });
  assert.equal(fired.body.log.source, "api");
  const plain = await t.call("POST", "/trigger_api?trigger_name=hook");
  assert.deepEqual(plain.body.log.payload, { d: 0 });
  const tested = await t.call("POST", "/test_trigger", {
    trigger_name: "try",
    trigger_type: "scheduled",
    interval_seconds: 5,
    payload: { t: true },
  });
  assert.equal(tested.status, 200);
  assert.equal(tested.body.log.source, "test");
  const logs = await t.call("GET", "/list_logs");
  assert.deepEqual(
    logs.body.map((l: { trigger_name: string; source: string }) => [l.trigger_name, l.source]),
    [["try", "test"], ["hook", "api"], ["hook", "api"]],
    "newest first",
  );
  assert.deepEqual(Object.keys(logs.body[0]).sort(), [
    "executed_at",
    "payload",
    "source",
    "state",
    "trigger_name",
  ]);
  assert.equal(logs.body[0].state, "active");
  const rest = await t.call("GET", "/api/logs?trigger=hook");
  assert.equal(rest.body.items.length, 2);
  assert.equal(
    (await t.call("GET", "/list_triggers")).body.length,
    1,
    "/test_trigger saved nothing",
  );
  const removed = await t.call("POST", "/remove_trigger", { trigger_name: "hook" });
  assert.equal(removed.status, 200);
  assert.equal(removed.body.message, 'Trigger "hook" removed');
  assert.deepEqual((await t.call("GET", "/list_triggers")).body, []);
});

Deno.test("the real server serves the reference endpoints over HTTP and fires their triggers", async () => {
  const server = await startServer();
  try {
    const post = (path: string, body?: unknown) =>
      fetch(server.url + path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const created = await post("/schedule_trigger", {
      trigger_name: "soon",
      trigger_type: "scheduled",
      delay_seconds: 1,
      payload: { n: 1 },
    });
    assert.equal(created.status, 200);
    await created.body?.cancel();
    const api = await post("/schedule_trigger", { trigger_name: "api", trigger_type: "api" });
    assert.equal(api.status, 200);
    await api.body?.cancel();
    const fired = await post("/trigger_api?trigger_name=api", { x: 1 });
    assert.equal(fired.status, 200);
    assert.deepEqual((await fired.json()).log.payload, { x: 1 });
    const missing = await post("/trigger_api?trigger_name=ghost");
    assert.equal(missing.status, 404);
    assert.deepEqual(Object.keys(await missing.json()), ["error"]);
    // The delayed trigger fires by itself within a generous deadline.
    const deadline = Date.now() + 15_000;
    let logs: { trigger_name: string; source: string }[] = [];
    while (Date.now() < deadline) {
      logs = await (await fetch(server.url + "/list_logs")).json();
      if (logs.some((l) => l.trigger_name === "soon")) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const soon = logs.filter((l) => l.trigger_name === "soon");
    assert.equal(soon.length, 1);
    assert.equal(soon[0].source, "schedule");
    const triggers = await (await fetch(server.url + "/list_triggers")).json();
    assert.equal(
      triggers.find((x: { trigger_name: string }) => x.trigger_name === "soon").next_run_at,
      null,
    );
    const removed = await post("/remove_trigger", { trigger_name: "api" });
    assert.equal(removed.status, 200);
    await removed.body?.cancel();
  } finally {
    await server.stop();
  }
});

Deno.test("/list_triggers answers at most `limit` (1-5,000, default 5,000) and X-Total-Count", async () => {
  await using t = await testApp();
  const names = [];
  for (let i = 0; i < 7; i++) {
    const name = `cap-${i}`;
    names.push(name);
    const res = await t.call("POST", "/schedule_trigger", {
      trigger_name: name,
      trigger_type: "api",
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  }
  const all = await t.call("GET", "/list_triggers");
  assert.deepEqual(all.body.map((x: { trigger_name: string }) => x.trigger_name), names);
  assert.equal(all.headers.get("x-total-count"), "7");
  const three = await t.call("GET", "/list_triggers?limit=3");
  assert.deepEqual(
    three.body.map((x: { trigger_name: string }) => x.trigger_name),
    names.slice(0, 3),
  );
  assert.equal(three.headers.get("x-total-count"), "7");
  for (const bad of ["0", "5001", "x"]) {
    const res = await t.call("GET", `/list_triggers?limit=${bad}`);
    assert.equal(res.status, 400, bad);
    assert.equal(typeof res.body.error, "string");
  }
});
