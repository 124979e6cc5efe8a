/**
 * One structured log line per request and per firing (--log-format json, pretty or off), and
 * with json nothing else: every line the server writes parses as one JSON object.
 */
import assert from "node:assert/strict";
import { createApp } from "../http/app.ts";
import { firingLogger, type LogEvent, logSink } from "../http/middleware/request_log.ts";
import { testApp, uniqueName } from "./helpers/app.ts";
import { startServer, waitFor } from "./helpers/server.ts";
import { batchedLines, captureConsole, createLogger, logDeliveryFailure } from "../core/logger.ts";

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

Deno.test("every request is one event, a fire request names its firing; healthy probes are not logged", async () => {
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
  // The fire request's line is the firing's line: no separate "fired" event for it.
  assert.deepEqual(events.map((e) => e.msg), ["request", "request"]);
  const [create, fire] = events;
  assert.equal(create.method, "POST");
  assert.equal(create.path, "/api/triggers");
  assert.equal(create.route, "/api/triggers");
  assert.equal(create.status, 201);
  assert.equal(typeof create.durationMs, "number");
  assert.equal(fire.path, `/api/triggers/${id}/fire`);
  assert.equal(fire.route, "/api/triggers/:id/fire");
  assert.equal(fire.status, 202);
  assert.equal(fire.logId, log.id);
  assert.equal(fire.triggerId, id);
  assert.equal(fire.triggerName, name);
  // Firings no request makes (scheduled, test) have their own line.
  const test = await app.request("/api/test", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, type: "api" }),
  });
  const testLog = (await test.json()).log;
  const firing = events.find((e) => e.msg === "fired")!;
  assert.deepEqual(firing, {
    time: testLog.firedAt,
    msg: "fired",
    logId: testLog.id,
    triggerId: null,
    triggerName: name,
    source: "test",
    test: true,
    scheduledFor: null,
    lateMs: null,
    catchUp: false,
    outcome: "ok",
  });
});

Deno.test("batchedLines() writes the lines of one tick with one write, and flushes on demand", async () => {
  const writes: string[] = [];
  const lines = batchedLines((l) => writes.push(l));
  lines("a");
  lines("b");
  assert.deepEqual(writes, []);
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(writes, ["a\nb"]);
  lines("c");
  lines.flush();
  assert.deepEqual(writes, ["a\nb", "c"]);
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

/** Reads a stream line by line into `lines`, as they arrive. */
async function collectLines(stream: ReadableStream<Uint8Array>, lines: string[]): Promise<void> {
  let rest = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    const parts = (rest + text).split("\n");
    rest = parts.pop()!;
    lines.push(...parts);
  }
  if (rest) lines.push(rest);
}

Deno.test("with --log-format json every line on stdout and stderr is one JSON object", async () => {
  // A receiver that always fails: its firing's series ends failed at once (retries: 0).
  const received: string[] = [];
  const receiver = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    received.push(await req.text());
    return new Response("no", { status: 500 });
  });
  const kv = `${await Deno.makeTempDir({ prefix: "tock-jsonlog-" })}/tock.kv`;
  const proc = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", "serve", "--port", "0", "--kv", kv, "--log-format", "json"]
      // Bound beyond loopback without a key: the open-access warning is written too.
      .concat(["--hostname", "0.0.0.0"]),
    cwd: new URL("../", import.meta.url),
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout: string[] = [];
  const stderr: string[] = [];
  const reading = Promise.all([
    collectLines(proc.stdout, stdout),
    collectLines(proc.stderr, stderr),
  ]);
  try {
    const listening = await waitFor(
      () => stdout.map((l) => JSON.parse(l)).find((e) => e.msg === "listening"),
      30_000,
      "the listening line",
    );
    const base = `http://127.0.0.1:${new URL(listening.url).port}`;
    const post = (path: string, body: unknown) =>
      fetch(base + path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const name = uniqueName("jsonfail");
    const created = await post("/api/triggers", {
      name,
      schedule: { delaySeconds: 0.2 },
      webhook: { url: `http://127.0.0.1:${receiver.addr.port}/hook?token=secret`, retries: 0 },
    });
    assert.equal(created.status, 201, await created.clone().text());
    const { id } = await created.json();
    const bad = await post("/api/triggers", { name: "" });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
    await (await fetch(`${base}/no-such-page`)).body?.cancel();
    const failed = await waitFor(
      () => stderr.map((l) => JSON.parse(l)).find((e) => e.msg === "delivery failed"),
      20_000,
      "the delivery failed line",
    );
    assert.equal(received.length, 1, "one attempt");
    assert.equal(failed.level, "warn");
    assert.equal(failed.triggerId, id);
    assert.equal(failed.triggerName, name);
    assert.equal(failed.host, `127.0.0.1:${receiver.addr.port}`);
    assert.equal(failed.status, 500);
    assert.equal(failed.attempts, 1);
    assert.equal(typeof failed.logId, "string");
    assert.doesNotMatch(JSON.stringify(failed), /secret/, "no path or query in the log");
    proc.kill("SIGTERM");
    assert.equal((await proc.status).code, 0);
    await reading;
  } finally {
    try {
      proc.kill("SIGKILL");
    } catch { /* exited */ }
    await receiver.shutdown();
  }
  const events = [...stdout, ...stderr].map((line) => {
    assert.doesNotThrow(() => JSON.parse(line), `not JSON: ${line}`);
    const e = JSON.parse(line);
    assert.equal(typeof e, "object");
    assert.ok(["info", "warn", "error"].includes(e.level), line);
    assert.equal(typeof e.msg, "string", line);
    assert.ok(!Number.isNaN(Date.parse(e.time)), line);
    return e;
  });
  const msgs = events.map((e) => e.msg);
  for (
    const kind of ["listening", "open access", "request", "fired", "delivery failed", "stopping"]
  ) {
    assert.ok(msgs.includes(kind), `no "${kind}" line in ${msgs.join(", ")}`);
  }
  assert.equal(JSON.parse(stdout.at(-1)!).msg, "stopping", "the last line on stdout");
  assert.ok(stderr.every((l) => JSON.parse(l).level !== "info"), "stderr carries warn and error");
});

Deno.test("captureConsole() turns console calls into JSON lines and undoes itself", () => {
  const out: string[] = [];
  const err: string[] = [];
  const logger = createLogger("json", {
    stdout: (l) => out.push(l),
    stderr: (l) => err.push(l),
    now: () => Date.parse("2026-11-29T10:00:00.000Z"),
  });
  const target = { ...console };
  const undo = captureConsole(logger, target);
  target.error("scheduler poll failed:", "KV is closed");
  target.log("plain", 42);
  target.warn({ a: 1 });
  undo();
  assert.deepEqual(err.map((l) => JSON.parse(l)), [
    {
      time: "2026-11-29T10:00:00.000Z",
      level: "error",
      msg: "scheduler poll failed",
      error: "KV is closed",
    },
    { time: "2026-11-29T10:00:00.000Z", level: "warn", msg: "{ a: 1 }" },
  ]);
  assert.deepEqual(JSON.parse(out[0]).msg, "plain 42");
  assert.equal(target.error, console.error, "restored");
  assert.equal(createLogger("pretty").format, "pretty");
});

Deno.test("a failed delivery is one warning line; pretty mode keeps it readable", () => {
  const lines: string[] = [];
  const logger = createLogger("pretty", {
    stdout: (l) => lines.push(l),
    stderr: (l) => lines.push(l),
  });
  const base = {
    id: "01JDKZ0000000000000000000A",
    triggerId: "01JDKZ0000000000000000000B",
    triggerName: "nightly",
    triggerType: "scheduled" as const,
    source: "schedule" as const,
    test: false,
    scheduledFor: null,
    firedAt: "2026-11-29T10:00:00.000Z",
    lateMs: null,
    catchUp: false,
    payload: null,
  };
  logDeliveryFailure(logger, { ...base, outcome: "ok", delivery: null }, "h:1");
  assert.deepEqual(lines, [], "only failures");
  logDeliveryFailure(logger, {
    ...base,
    outcome: "failed",
    delivery: { status: 503, attempts: 4, durationMs: 12, error: "HTTP 503" },
  }, "hooks.example.com");
  assert.deepEqual(lines, [
    'delivery failed: "nightly" to hooks.example.com (HTTP 503) after 4 attempts ' +
    "log=01JDKZ0000000000000000000A",
  ]);
});
