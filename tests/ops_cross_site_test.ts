/**
 * Cross-site protection against the real server (issue 13): a web page the operator visits
 * cannot create or fire anything, and a DNS-rebound host name reaches nothing.
 */
import assert from "node:assert/strict";
import { testApp, uniqueName } from "./helpers/app.ts";
import { startServer } from "./helpers/server.ts";
import { rawHttp } from "./helpers/raw_http.ts";

const EVIL = "https://evil.example";

Deno.test("a cross-site text/plain POST creates and fires nothing", async () => {
  const server = await startServer();
  try {
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    };
    const created = await api("POST", "/api/triggers", { name: uniqueName("x"), type: "api" });
    assert.equal(created.status, 201);
    const { id, name } = created.body;
    const before = await api("GET", "/api/logs?state=all");
    const simple = (path: string, headers: Record<string, string>, body: string) =>
      fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { "content-type": "text/plain", ...headers },
        body,
      });
    const targets: [string, string][] = [
      ["/api/triggers", JSON.stringify({ name: uniqueName("evil"), type: "api" })],
      [`/api/triggers/${id}/fire`, JSON.stringify({ n: 1 })],
      ["/api/test", JSON.stringify({ type: "api", payload: { n: 1 } })],
      [
        "/schedule_trigger",
        JSON.stringify({ trigger_name: uniqueName("evil"), trigger_type: "api" }),
      ],
      [`/trigger_api?trigger_name=${name}`, JSON.stringify({ n: 1 })],
    ];
    // What a browser sends from another site: Origin and Sec-Fetch-Site.
    for (const [path, body] of targets) {
      const res = await simple(path, { Origin: EVIL, "Sec-Fetch-Site": "cross-site" }, body);
      assert.equal(res.status, 403, path);
      const answer = await res.json();
      if (path.startsWith("/api/")) assert.equal(answer.title, "Forbidden");
      else assert.match(answer.error, /not allowed/);
    }
    // Only Sec-Fetch-Site (a browser that hides Origin) or only Origin: still refused.
    for (const [path, body] of targets) {
      const bySite = await simple(path, { "Sec-Fetch-Site": "cross-site" }, body);
      assert.equal(bySite.status, 403, path);
      await bySite.body?.cancel();
      const byOrigin = await simple(path, { Origin: "null" }, body);
      assert.equal(byOrigin.status, 403, path);
      await byOrigin.body?.cancel();
    }
    // Without Origin (curl): a text/plain body is not JSON, 415, and nothing happens either.
    for (const [path, body] of targets) {
      const res = await simple(path, {}, body);
      assert.equal(res.status, 415, path);
      await res.body?.cancel();
    }
    const list = await api("GET", "/api/triggers");
    assert.deepEqual(list.body.items.map((t: { id: string }) => t.id), [id]);
    const after = await api("GET", "/api/logs?state=all");
    assert.deepEqual(after.body, before.body);
  } finally {
    await server.stop();
  }
});

Deno.test("the server's own origin and --cors-origin may write; others may not", async () => {
  const server = await startServer({ args: ["--cors-origin", "https://ops.example"] });
  try {
    const post = async (origin: string) => {
      const res = await fetch(`${server.url}/api/triggers`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          Origin: origin,
          "Sec-Fetch-Site": "same-origin",
        },
        body: JSON.stringify({ name: uniqueName("o"), type: "api" }),
      });
      await res.body?.cancel();
      return { status: res.status, allow: res.headers.get("access-control-allow-origin") };
    };
    assert.equal((await post(server.url)).status, 201);
    assert.equal((await post(`http://localhost:${server.port}`)).status, 403, "another host");
    assert.deepEqual(await post("https://ops.example"), {
      status: 201,
      allow: "https://ops.example",
    });
    assert.equal((await post("https://ops.example.evil")).status, 403);
    // The configured origin gets its CORS preflight answered.
    const pre = await fetch(`${server.url}/api/triggers`, {
      method: "OPTIONS",
      headers: {
        Origin: "https://ops.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
      },
    });
    await pre.body?.cancel();
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get("access-control-allow-origin"), "https://ops.example");
    // PATCH and DELETE from elsewhere are refused too.
    const created = await fetch(`${server.url}/api/triggers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: uniqueName("d"), type: "api" }),
    });
    const { id } = await created.json();
    for (const method of ["PATCH", "DELETE"]) {
      const res = await fetch(`${server.url}/api/triggers/${id}`, {
        method,
        headers: { "content-type": "application/json", Origin: EVIL },
        body: method === "PATCH" ? JSON.stringify({ payload: 1 }) : undefined,
      });
      assert.equal(res.status, 403, method);
      await res.body?.cancel();
    }
    const still = await fetch(`${server.url}/api/triggers/${id}`);
    assert.equal(still.status, 200);
    assert.equal((await still.json()).payload, null);
  } finally {
    await server.stop();
  }
});

Deno.test("bound to loopback, a foreign Host is 403 (DNS rebinding); --allowed-host opens one", async () => {
  const server = await startServer({ args: ["--allowed-host", "tock.internal"] });
  try {
    const get = (host: string) =>
      rawHttp(
        server.port,
        `GET /api/triggers HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      );
    for (
      const host of ["attacker.example", "attacker.example:" + server.port, "127.0.0.1.nip.io"]
    ) {
      const res = await get(host);
      assert.equal(res.status, 403, host);
      assert.match(res.body, /does not answer to the host/);
    }
    // The UI and health are not reachable through the rebound name either.
    assert.equal(
      (await rawHttp(
        server.port,
        `GET / HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n`,
      )).status,
      403,
    );
    for (
      const host of [
        "localhost",
        `127.0.0.1:${server.port}`,
        `[::1]:${server.port}`,
        "tock.internal:80",
      ]
    ) {
      assert.equal((await get(host)).status, 200, host);
    }
    // Verdicts are remembered per Host, at most 64: many names only make the memory start over.
    for (let i = 0; i < 100; i++) assert.equal((await get(`a${i}.example`)).status, 403);
    assert.equal((await get("attacker.example")).status, 403);
    assert.equal((await get("LOCALHOST")).status, 200);
    assert.equal((await get("tock.internal:80")).status, 200);
  } finally {
    await server.stop();
  }
});

Deno.test("JSON endpoints answer 415 to another content type; an empty optional body passes", async () => {
  await using t = await testApp();
  const created = await t.call("POST", "/api/triggers", { name: uniqueName(), type: "api" });
  const { id, name } = created.body;
  for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]) {
    const res = await t.app.request("/api/triggers", {
      method: "POST",
      headers: { "content-type": type },
      body: JSON.stringify({ name: uniqueName(), type: "api" }),
    });
    assert.equal(res.status, 415, type);
    assert.deepEqual(await res.json(), {
      type: "https://tock.dev/problems/415",
      title: "Unsupported media type",
      status: 415,
      detail: "The request body must be sent as application/json",
    });
  }
  // A body without any content type (a Blob, raw bytes) is not JSON either.
  const untyped = await t.app.request(`/api/triggers/${id}/fire`, {
    method: "POST",
    body: new TextEncoder().encode("{}"),
  });
  assert.equal(untyped.status, 415);
  const legacy = await t.app.request(`/trigger_api?trigger_name=${name}`, {
    method: "POST",
    headers: { "content-type": "text/plain" },
    body: "{}",
  });
  assert.equal(legacy.status, 415);
  assert.deepEqual(await legacy.json(), {
    error: "The request body must be sent as application/json",
  });
  // Fire takes an optional body: none at all, and no content type, is fine.
  const bare = await t.app.request(`/api/triggers/${id}/fire`, { method: "POST" });
  assert.equal(bare.status, 202);
  const typed = await t.app.request(`/api/triggers/${id}/fire`, {
    method: "POST",
    headers: { "content-type": "application/json; charset=utf-8" },
    body: "{}",
  });
  assert.equal(typed.status, 202);
});
