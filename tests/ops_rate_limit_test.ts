/** Per-client rate limit on write requests: 429 with Retry-After, reads untouched. */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { RateLimitError } from "../core/errors.ts";
import { rateLimit } from "../http/middleware/rate_limit.ts";
import { parseConfig } from "../core/config.ts";
import { testApp, uniqueName } from "./helpers/app.ts";
import { startServer } from "./helpers/server.ts";

/** A bare app around the middleware, with a clock the test moves. */
function limited(perMinute: number) {
  let now = 1_000_000;
  const app = new Hono();
  app.onError((err, c) => {
    if (err instanceof RateLimitError) {
      return c.text("limited", 429, { "Retry-After": String(err.retryAfterSeconds) });
    }
    throw err;
  });
  app.use(rateLimit(perMinute, { now: () => now }));
  app.all("/w", (c) => c.text("ok"));
  const send = (method: string, ip: string) =>
    app.request("/w", { method }, { remoteAddr: { hostname: ip } });
  return { send, advance: (ms: number) => (now += ms) };
}

Deno.test("rateLimit() allows a burst of perMinute writes, then answers 429 with Retry-After", async () => {
  const { send, advance } = limited(6);
  for (let i = 0; i < 6; i++) assert.equal((await send("POST", "10.0.0.1")).status, 200);
  const over = await send("POST", "10.0.0.1");
  assert.equal(over.status, 429);
  // 6 a minute refills one token every 10 s.
  assert.equal(over.headers.get("Retry-After"), "10");
  advance(4_000);
  assert.equal((await send("PATCH", "10.0.0.1")).headers.get("Retry-After"), "6");
  advance(6_000);
  assert.equal((await send("DELETE", "10.0.0.1")).status, 200);
  assert.equal((await send("PUT", "10.0.0.1")).status, 429);
});

Deno.test("rateLimit() counts each client apart and never limits reads", async () => {
  const { send } = limited(2);
  assert.equal((await send("POST", "10.0.0.1")).status, 200);
  assert.equal((await send("POST", "10.0.0.1")).status, 200);
  assert.equal((await send("POST", "10.0.0.1")).status, 429);
  assert.equal((await send("POST", "10.0.0.2")).status, 200);
  for (let i = 0; i < 20; i++) assert.equal((await send("GET", "10.0.0.1")).status, 200);
});

Deno.test("rateLimit(0) is off", async () => {
  const { send } = limited(0);
  for (let i = 0; i < 50; i++) assert.equal((await send("POST", "10.0.0.1")).status, 200);
});

Deno.test("--rate-limit defaults to off on loopback and 600 a minute beyond it", () => {
  assert.equal(parseConfig([], {}).rateLimit, 0);
  assert.equal(parseConfig(["--hostname", "0.0.0.0"], {}).rateLimit, 600);
  assert.equal(parseConfig(["--hostname", "0.0.0.0", "--rate-limit", "0"], {}).rateLimit, 0);
  assert.equal(parseConfig(["--rate-limit", "30"], {}).rateLimit, 30);
});

Deno.test("the app answers 429 problem+json, or { error } on reference paths", async () => {
  await using t = await testApp({ config: { rateLimit: 2 } });
  const env = { remoteAddr: { hostname: "192.0.2.7" } };
  const post = (path: string, body: unknown) =>
    t.app.request(path, {
      method: "POST",
      body: JSON.stringify(body),
      headers: { "content-type": "application/json" },
    }, env);
  assert.equal((await post("/api/triggers", { name: uniqueName(), type: "api" })).status, 201);
  assert.equal((await post("/api/triggers", { name: uniqueName(), type: "api" })).status, 201);
  const over = await post("/api/triggers", { name: uniqueName(), type: "api" });
  assert.equal(over.status, 429);
  assert.equal(over.headers.get("content-type"), "application/problem+json");
  assert.equal(over.headers.get("Retry-After"), "30");
  const problem = await over.json();
  assert.equal(problem.status, 429);
  assert.equal(problem.title, "Too many requests");
  const legacy = await post("/schedule_trigger", {
    trigger_name: uniqueName(),
    trigger_type: "api",
  });
  assert.equal(legacy.status, 429);
  assert.equal(legacy.headers.get("Retry-After"), "30");
  assert.match((await legacy.json()).error, /^More than 2 write requests a minute/);
  // Reads go on.
  assert.equal((await t.app.request("/api/triggers", {}, env)).status, 200);
});

Deno.test("a burst against the real server with --rate-limit 3 gets exactly 3 writes through", async () => {
  const server = await startServer({ args: ["--rate-limit", "3"] });
  try {
    const results = await Promise.all(Array.from({ length: 12 }, async () => {
      const res = await fetch(`${server.url}/api/triggers`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: uniqueName("burst"), type: "api" }),
      });
      await res.body?.cancel();
      return { status: res.status, retryAfter: res.headers.get("Retry-After") };
    }));
    // One token every 20 s: the burst cannot earn a fourth within the test.
    assert.equal(results.filter((r) => r.status === 201).length, 3);
    const limited = results.filter((r) => r.status === 429);
    assert.equal(limited.length, 9);
    for (const r of limited) {
      const s = Number(r.retryAfter);
      assert.ok(Number.isInteger(s) && s >= 1 && s <= 20, `Retry-After ${r.retryAfter}`);
    }
    const list = await fetch(`${server.url}/api/triggers`);
    assert.equal((await list.json()).items.length, 3);
  } finally {
    await server.stop();
  }
});
