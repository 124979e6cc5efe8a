/** API keys: which paths need `Authorization: Bearer <key>`, and the open-access warning. */
import assert from "node:assert/strict";
import { AUTH_FAILURES_PER_MINUTE, openAccessWarning } from "../http/middleware/auth.ts";
import { ROUTES } from "../http/openapi/route_table.ts";
import { testApp, uniqueName } from "./helpers/app.ts";
import { startServer, waitFor } from "./helpers/server.ts";

const KEYS = ["alpha-key-1", "beta-key-2"];

/** Protected requests and the status each answers with a right key. */
function protectedCalls(): { method: string; path: string; body?: unknown; ok: number }[] {
  return [
    { method: "GET", path: "/api/triggers", ok: 200 },
    {
      method: "POST",
      path: "/api/triggers",
      body: { name: uniqueName("auth"), type: "api" },
      ok: 201,
    },
    { method: "GET", path: "/api/logs", ok: 200 },
    { method: "GET", path: "/api/logs/stats", ok: 200 },
    { method: "POST", path: "/api/test", body: { type: "api", payload: { a: 1 } }, ok: 200 },
    { method: "GET", path: "/metrics", ok: 200 },
    { method: "GET", path: "/list_triggers", ok: 200 },
    { method: "GET", path: "/list_logs", ok: 200 },
    {
      method: "POST",
      path: "/schedule_trigger",
      body: { trigger_name: uniqueName("ref"), trigger_type: "api" },
      ok: 200,
    },
  ];
}

const isReference = (path: string) => !path.startsWith("/api/") && path !== "/metrics";

Deno.test("every API, reference and /metrics path answers 401 without a key", async () => {
  await using t = await testApp({ config: { apiKeys: KEYS } });
  for (const call of protectedCalls()) {
    const res = await t.call(call.method, call.path, call.body);
    assert.equal(res.status, 401, `${call.method} ${call.path}`);
    if (isReference(call.path)) {
      assert.deepEqual(res.body, {
        error: "An API key is required: send Authorization: Bearer <key>",
      });
    } else {
      assert.equal(res.headers.get("content-type"), "application/problem+json");
      assert.deepEqual(res.body, {
        type: "https://tock.dev/problems/401",
        title: "Unauthorized",
        status: 401,
        detail: "An API key is required: send Authorization: Bearer <key>",
      });
    }
  }
});

Deno.test("a wrong key, another scheme or a key prefix is a 401", async () => {
  await using t = await testApp({ config: { apiKeys: KEYS } });
  const wrong = [
    "Bearer nope",
    "Bearer alpha-key-",
    "Bearer alpha-key-1x",
    "Basic YWxwaGEta2V5LTE=",
    "alpha-key-1",
    "Bearer ",
  ];
  let client = 0;
  for (const header of wrong) {
    for (const call of protectedCalls()) {
      // A client address per attempt: past 20 failures one address is answered 429 instead.
      const res = await t.app.request(call.path, {
        method: call.method,
        headers: { Authorization: header, "content-type": "application/json" },
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
      }, { remoteAddr: { hostname: `198.51.100.${client++}` } });
      assert.equal(res.status, 401, `${header} on ${call.method} ${call.path}`);
      await res.body?.cancel();
    }
  }
  const res = await t.call("GET", "/api/triggers", undefined, { Authorization: "Bearer nope" });
  assert.equal(res.body.detail, "The API key is not valid");
  assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="tock", error="invalid_token"');
  const none = await t.call("GET", "/api/triggers");
  assert.equal(none.headers.get("www-authenticate"), 'Bearer realm="tock"');
});

Deno.test("each configured key is accepted on every protected path", async () => {
  await using t = await testApp({ config: { apiKeys: KEYS } });
  for (const key of KEYS) {
    for (const call of protectedCalls()) {
      const res = await t.call(call.method, call.path, call.body, {
        Authorization: `Bearer ${key}`,
      });
      assert.equal(res.status, call.ok, `${key} on ${call.method} ${call.path}`);
    }
  }
});

Deno.test("health, the UI shell, the API description and the docs stay open with a key set", async () => {
  await using t = await testApp({ config: { apiKeys: KEYS } });
  for (const path of ["/healthz", "/", "/static/app.js", "/openapi.json", "/docs"]) {
    const res = await t.call("GET", path);
    assert.equal(res.status, 200, path);
  }
  // Unknown paths are not a way around the key.
  assert.equal((await t.call("GET", "/nowhere")).status, 401);
});

Deno.test("without keys configured the API is open", async () => {
  await using t = await testApp();
  assert.deepEqual(t.deps.config.apiKeys, []);
  assert.equal((await t.call("GET", "/api/triggers")).status, 200);
  assert.equal((await t.call("GET", "/metrics")).status, 200);
  assert.equal((await t.call("GET", "/list_triggers")).status, 200);
});

Deno.test("the 21st failed authentication in a minute is a 429, GETs included", async () => {
  await using t = await testApp({ config: { apiKeys: KEYS } });
  const env = { remoteAddr: { hostname: "192.0.2.50" } };
  const get = (key?: string, hostname = "192.0.2.50") =>
    t.app.request("/api/triggers", {
      headers: key ? { Authorization: `Bearer ${key}` } : {},
    }, { remoteAddr: { hostname } });
  assert.equal(AUTH_FAILURES_PER_MINUTE, 20);
  for (let i = 0; i < 20; i++) {
    const res = await (i % 2 ? get("wrong-" + i) : get());
    assert.equal(res.status, 401, `attempt ${i + 1}`);
    await res.body?.cancel();
  }
  const over = await get("wrong-21");
  assert.equal(over.status, 429);
  assert.equal(over.headers.get("content-type"), "application/problem+json");
  assert.ok(Number(over.headers.get("Retry-After")) >= 1);
  assert.match((await over.json()).detail, /^More than 20 failed authentications a minute/);
  // The key is not even looked at while the address is limited: guessing right does not help.
  const right = await get(KEYS[0]);
  assert.equal(right.status, 429);
  await right.body?.cancel();
  // Another client is untouched.
  const other = await get(KEYS[0], "192.0.2.51");
  assert.equal(other.status, 200);
  await other.body?.cancel();
  const legacy = await t.app.request("/list_triggers", {}, env);
  assert.equal(legacy.status, 429);
  assert.match((await legacy.json()).error, /^More than 20 failed authentications/);
});

Deno.test("401 answers do not spend the write rate limit", async () => {
  await using t = await testApp({ config: { apiKeys: KEYS, rateLimit: 2 } });
  const env = { remoteAddr: { hostname: "192.0.2.60" } };
  const post = (key?: string) =>
    t.app.request("/api/triggers", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(key ? { Authorization: `Bearer ${key}` } : {}),
      },
      body: JSON.stringify({ name: uniqueName("limit"), type: "api" }),
    }, env);
  for (let i = 0; i < 5; i++) {
    const res = await post("wrong");
    assert.equal(res.status, 401);
    await res.body?.cancel();
  }
  for (const want of [201, 201, 429]) {
    const res = await post(KEYS[1]);
    assert.equal(res.status, want);
    await res.body?.cancel();
  }
});

Deno.test("openAccessWarning() warns beyond loopback or on Deploy without a key", () => {
  const env = (vars: Record<string, string>) => ({ get: (k: string) => vars[k] });
  assert.equal(openAccessWarning({ hostname: "127.0.0.1", apiKeys: [] }, env({})), null);
  assert.equal(openAccessWarning({ hostname: "localhost", apiKeys: [] }, env({})), null);
  assert.equal(openAccessWarning({ hostname: "::1", apiKeys: [] }, env({})), null);
  assert.equal(openAccessWarning({ hostname: "0.0.0.0", apiKeys: ["k"] }, env({})), null);
  assert.equal(
    openAccessWarning({ hostname: "0.0.0.0", apiKeys: [] }, env({})),
    "tock: WARNING: listening on 0.0.0.0 without an API key: anyone who can reach it can " +
      "create, change and fire triggers. Set --api-key (or TOCK_API_KEY).",
  );
  assert.match(
    openAccessWarning({ hostname: "127.0.0.1", apiKeys: [] }, env({ DENO_DEPLOYMENT_ID: "x" }))!,
    /^tock: WARNING: listening on Deno Deploy without an API key/,
  );
});

Deno.test("the server prints the open-access warning bound to 0.0.0.0 without a key", async () => {
  const open = await startServer({ args: ["--hostname", "0.0.0.0"] });
  try {
    await waitFor(
      () => /WARNING: listening on 0\.0\.0\.0 without an API key/.test(open.output()),
      15_000,
      "the warning",
    );
    const res = await fetch(`http://127.0.0.1:${open.port}/api/triggers`);
    assert.equal(res.status, 200);
    await res.body?.cancel();
  } finally {
    await open.stop();
  }
  const keyed = await startServer({ args: ["--hostname", "0.0.0.0", "--api-key", "k1,k2"] });
  try {
    assert.doesNotMatch(keyed.output(), /WARNING/);
    const none = await fetch(`http://127.0.0.1:${keyed.port}/api/triggers`);
    assert.equal(none.status, 401);
    await none.body?.cancel();
    for (const key of ["k1", "k2"]) {
      const ok = await fetch(`http://127.0.0.1:${keyed.port}/api/triggers`, {
        headers: { Authorization: `Bearer ${key}` },
      });
      assert.equal(ok.status, 200);
      await ok.body?.cancel();
    }
  } finally {
    await keyed.stop();
  }
  const local = await startServer();
  try {
    assert.doesNotMatch(local.output(), /WARNING/);
  } finally {
    await local.stop();
  }
});

Deno.test("the route table's auth flag is what the app enforces, route by route", async () => {
  await using t = await testApp({ config: { apiKeys: KEYS } });
  let client = 0;
  for (const r of ROUTES) {
    const path = r.path.replace(/\{file\}/, "app.js").replace(/\{(\w+)\}/g, "x");
    const res = await t.app.request(path, { method: r.method.toUpperCase() }, {
      remoteAddr: { hostname: `203.0.113.${client++}` },
    });
    await res.body?.cancel();
    if (r.auth) assert.equal(res.status, 401, `${r.method} ${r.path} needs the key`);
    else assert.notEqual(res.status, 401, `${r.method} ${r.path} is open`);
  }
});
