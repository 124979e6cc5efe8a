/** API keys: which paths need `Authorization: Bearer <key>`, and the open-access warning. */
import assert from "node:assert/strict";
import { bearerToken, keyChecker, openAccessWarning, timingSafeEqual } from "../middleware/auth.ts";
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
  for (const header of wrong) {
    for (const call of protectedCalls()) {
      const res = await t.call(call.method, call.path, call.body, { Authorization: header });
      assert.equal(res.status, 401, `${header} on ${call.method} ${call.path}`);
    }
  }
  const res = await t.call("GET", "/api/triggers", undefined, { Authorization: "Bearer nope" });
  assert.equal(res.body.detail, "The API key is not valid");
  assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="tock", error="invalid_token"');
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

Deno.test("keyChecker() accepts exactly the configured keys", async () => {
  const check = keyChecker(KEYS);
  assert.equal(await check("alpha-key-1"), true);
  assert.equal(await check("beta-key-2"), true);
  assert.equal(await check("alpha-key-2"), false);
  assert.equal(await check(""), false);
  assert.equal(await check("x".repeat(10_000)), false);
});

Deno.test("timingSafeEqual() compares every byte", () => {
  assert.equal(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3])), true);
  assert.equal(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4])), false);
  assert.equal(timingSafeEqual(new Uint8Array([0, 2, 3]), new Uint8Array([1, 2, 3])), false);
  assert.equal(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3])), false);
});

Deno.test("bearerToken() reads the Bearer scheme only", () => {
  assert.equal(bearerToken("Bearer abc"), "abc");
  assert.equal(bearerToken("bearer abc"), "abc");
  assert.equal(bearerToken("Bearer  abc "), "abc");
  assert.equal(bearerToken("Bearer a b"), null);
  assert.equal(bearerToken("Basic abc"), null);
  assert.equal(bearerToken(undefined), null);
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
