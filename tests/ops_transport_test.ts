/** Transport (issue 14): compression when asked, validators and 304 on static files. */
import assert from "node:assert/strict";
import { createApp } from "../http/app.ts";
import { testApp, uniqueName } from "./helpers/app.ts";

const GZIP = { "Accept-Encoding": "gzip, deflate, br" };

async function gunzip(res: Response): Promise<string> {
  const stream = res.body!.pipeThrough(new DecompressionStream("gzip"));
  return await new Response(stream).text();
}

Deno.test("JSON, HTML, JS and CSS answers are gzipped when the client asks", async () => {
  await using t = await testApp();
  for (let i = 0; i < 20; i++) {
    await t.call("POST", "/api/triggers", { name: uniqueName("gz"), type: "api" });
  }
  for (
    const path of ["/api/triggers", "/", "/static/app.js", "/static/style.css", "/openapi.json"]
  ) {
    const res = await t.app.request(path, { headers: GZIP });
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get("content-encoding"), "gzip", path);
    assert.match(res.headers.get("vary") ?? "", /accept-encoding/i, path);
    const text = await gunzip(res);
    assert.ok(text.length > 1024, path);
    const plain = await t.app.request(path);
    assert.equal(plain.headers.get("content-encoding"), null, path);
    assert.equal(await plain.text(), text, path);
  }
});

Deno.test("the event stream is never compressed", async () => {
  await using t = await testApp();
  const stop = new AbortController();
  const app = createApp(t.deps, { eventsHeartbeatMs: 50, shutdown: stop.signal });
  const res = await app.request("/api/events", { headers: GZIP });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
  assert.equal(res.headers.get("content-encoding"), null);
  const reader = res.body!.getReader();
  const { value } = await reader.read();
  assert.match(new TextDecoder().decode(value), /^(: |retry:|event:|id:)/m);
  await reader.cancel();
  stop.abort();
});

Deno.test("static files carry an ETag and answer 304 to If-None-Match", async () => {
  await using t = await testApp();
  for (const path of ["/", "/static/app.js", "/static/style.css"]) {
    for (const headers of [{}, GZIP]) {
      const first = await t.app.request(path, { headers });
      const etag = first.headers.get("etag");
      assert.ok(etag, `${path} has an ETag`);
      await first.body?.cancel();
      const again = await t.app.request(path, { headers: { ...headers, "If-None-Match": etag } });
      assert.equal(again.status, 304, path);
      assert.equal(await again.text(), "");
      assert.equal(again.headers.get("etag"), etag);
      const changed = await t.app.request(path, {
        headers: { ...headers, "If-None-Match": '"something-else"' },
      });
      assert.equal(changed.status, 200, path);
      await changed.body?.cancel();
    }
  }
});

Deno.test("the UI and docs carry browser hardening headers; HSTS is not pinned on plain HTTP", async () => {
  await using t = await testApp();
  for (const path of ["/", "/static/app.js", "/docs"]) {
    const res = await t.app.request(path);
    await res.body?.cancel();
    assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
    assert.equal(res.headers.get("x-frame-options"), "DENY", path);
    assert.equal(res.headers.get("referrer-policy"), "no-referrer", path);
    assert.equal(res.headers.get("strict-transport-security"), null, path);
  }
  const shell = await t.app.request("/");
  await shell.body?.cancel();
  assert.match(shell.headers.get("content-security-policy")!, /script-src 'self' 'sha256-/);
  // The API is not the UI: no page headers there.
  const api = await t.app.request("/api/triggers");
  await api.body?.cancel();
  assert.equal(api.headers.get("x-frame-options"), null);
});

Deno.test("an unknown static file is a 404 problem", async () => {
  await using t = await testApp();
  const res = await t.call("GET", "/static/nope.js");
  assert.equal(res.status, 404);
  assert.equal(res.headers.get("content-type"), "application/problem+json");
  assert.equal(res.body.title, "Not found");
});
