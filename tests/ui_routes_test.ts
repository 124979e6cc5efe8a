// uiRoutes() on its own socket: the UI shell and static files, their types, compression,
// caching, and refusal of path traversal. No browser needed.
import assert from "node:assert/strict";
import { uiRoutes } from "../routes/ui.ts";

Deno.test("uiRoutes() serves the UI with types, gzip and caching, and refuses traversal", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, uiRoutes().fetch);
  const url = `http://127.0.0.1:${server.addr.port}`;
  try {
    const shell = await fetch(`${url}/`);
    assert.equal(shell.status, 200);
    assert.equal(shell.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(shell.headers.get("cache-control"), "no-cache");
    assert.match(shell.headers.get("content-security-policy") ?? "", /script-src 'self' 'sha256-/);
    assert.match(await shell.text(), /<script type="importmap">/);

    const plain = await fetch(`${url}/static/app.js`, {
      headers: { "Accept-Encoding": "identity" },
    });
    const source = await plain.text();
    assert.equal(plain.headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.equal(plain.headers.get("content-encoding"), null);
    const zipped = await fetch(`${url}/static/app.js`, { headers: { "Accept-Encoding": "gzip" } });
    assert.equal(zipped.status, 200);
    assert.equal(zipped.headers.get("content-encoding"), "gzip");
    assert.equal(await zipped.text(), source); // fetch inflates it
    const etag = zipped.headers.get("etag");
    assert(etag);
    const again = await fetch(`${url}/static/app.js`, {
      headers: { "Accept-Encoding": "gzip", "If-None-Match": etag },
    });
    assert.equal(again.status, 304);
    await again.body?.cancel();

    const vendor = await fetch(`${url}/static/vendor/preact-10.29.8/preact.module.js`);
    assert.equal(vendor.status, 200);
    assert.equal(vendor.headers.get("cache-control"), "public, max-age=31536000, immutable");
    await vendor.body?.cancel();
    const css = await fetch(`${url}/static/style.css`);
    assert.equal(css.headers.get("content-type"), "text/css; charset=utf-8");
    await css.body?.cancel();

    for (
      const path of [
        "/static/..%2f..%2fdeno.json",
        "/static/%2e%2e/deno.json",
        "/static/.env",
        "/static/vendor/preact-10.29.8/LICENSE",
        "/static/missing.js",
        "/static/components",
      ]
    ) {
      const res = await fetch(url + path);
      assert.equal(res.status, 404, path);
      await res.body?.cancel();
    }
    // A raw request line, which no client library would normalise for us.
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
    await conn.write(
      new TextEncoder().encode(
        "GET /static/../deno.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      ),
    );
    const raw = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
    assert(!raw.startsWith("HTTP/1.1 200"), raw.slice(0, 200));
    assert(!raw.includes('"nodeModulesDir"'));
  } finally {
    await server.shutdown();
  }
});
