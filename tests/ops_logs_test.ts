/** One structured log line per request and per firing: --log-format json, pretty or off. */
import assert from "node:assert/strict";
import { createApp } from "../app.ts";
import { firingLogger, type LogEvent, logSink } from "../middleware/request_log.ts";
import { testApp, uniqueName } from "./helpers/app.ts";
import { startServer, waitFor } from "./helpers/server.ts";

Deno.test("logSink() writes JSON lines, pretty lines, or nothing", () => {
  const lines: string[] = [];
  const event: LogEvent = {
    time: "2026-11-29T10:00:00.000Z",
    msg: "request",
    method: "GET",
    path: "/api/triggers",
    route: "/api/triggers",
    status: 200,
    durationMs: 1.25,
    client: "127.0.0.1",
  };
  logSink("json", (l) => lines.push(l))!(event);
  assert.deepEqual(JSON.parse(lines[0]), { level: "info", ...event });
  logSink("pretty", (l) => lines.push(l))!(event);
  assert.equal(lines[1], "2026-11-29T10:00:00.000Z GET /api/triggers 200 1.25ms");
  assert.equal(logSink("off", (l) => lines.push(l)), null);
});

Deno.test("every request and every firing is one event; healthy probes are not logged", async () => {
  await using t = await testApp();
  const events: LogEvent[] = [];
  const sink = (e: LogEvent) => events.push(e);
  const app = createApp(t.deps, { log: sink });
  t.deps.bus.subscribe(firingLogger(sink));
  const name = uniqueName("log");
  const created = await app.request("/api/triggers", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, type: "api" }),
  });
  const { id } = await created.json();
  const fired = await app.request(`/api/triggers/${id}/fire`, { method: "POST" });
  const log = await fired.json();
  assert.equal((await app.request("/healthz")).status, 200);
  assert.deepEqual(events.map((e) => e.msg), ["request", "fired", "request"]);
  const [create, firing, fire] = events;
  assert.equal(create.method, "POST");
  assert.equal(create.path, "/api/triggers");
  assert.equal(create.route, "/api/triggers");
  assert.equal(create.status, 201);
  assert.equal(typeof create.durationMs, "number");
  assert.equal(fire.path, `/api/triggers/${id}/fire`);
  assert.equal(fire.route, "/api/triggers/:id/fire");
  assert.equal(fire.status, 202);
  assert.deepEqual(firing, {
    time: log.firedAt,
    msg: "fired",
    logId: log.id,
    triggerId: id,
    triggerName: name,
    source: "api",
    test: false,
    scheduledFor: null,
    lateMs: null,
    catchUp: false,
    outcome: "ok",
  });
});

Deno.test("the server writes JSON log lines on stdout with --log-format json", async () => {
  const server = await startServer({ args: ["--log-format", "json"] });
  try {
    const name = uniqueName("jsonlog");
    const res = await fetch(`${server.url}/api/triggers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name, schedule: { delaySeconds: 0.2 } }),
    });
    assert.equal(res.status, 201);
    const { id } = await res.json();
    // Complete lines only: the last one may still be arriving.
    const parsed = () =>
      server.output().split("\n").slice(0, -1).filter((l) => l.startsWith("{")).map((l) =>
        JSON.parse(l)
      );
    const fired = await waitFor(
      () => parsed().find((e) => e.msg === "fired" && e.triggerId === id),
      20_000,
      "the fired line",
    );
    assert.equal(fired.level, "info");
    assert.equal(fired.source, "schedule");
    assert.equal(fired.triggerName, name);
    assert.equal(typeof fired.lateMs, "number");
    const request = parsed().find((e) => e.msg === "request" && e.path === "/api/triggers");
    assert.equal(request.status, 201);
    assert.equal(request.method, "POST");
    assert.equal(request.client, "127.0.0.1");
  } finally {
    await server.stop();
  }
});

Deno.test("the server writes one pretty line per request and nothing with off", async () => {
  const pretty = await startServer({ args: ["--log-format", "pretty"] });
  try {
    const res = await fetch(`${pretty.url}/openapi.json`);
    await res.body?.cancel();
    await waitFor(
      () => /^\S+Z GET \/openapi\.json 200 [\d.]+ms$/m.test(pretty.output()),
      15_000,
      "the pretty line",
    );
  } finally {
    await pretty.stop();
  }
  const off = await startServer(); // the helper passes --log-format off
  try {
    const res = await fetch(`${off.url}/openapi.json`);
    await res.body?.cancel();
    await new Promise((r) => setTimeout(r, 200));
    assert.doesNotMatch(off.output(), /openapi/);
  } finally {
    await off.stop();
  }
});
