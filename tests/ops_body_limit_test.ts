/** Every route that reads a body bounds it by --max-payload: 413, declared or streamed. */
import assert from "node:assert/strict";
import { testApp, uniqueName } from "./helpers/app.ts";
import { api, startServer } from "./helpers/server.ts";

const MAX = 1024;

/** A JSON body of exactly `size` bytes: `{"pad":"xxx..."}`. */
function bodyOf(size: number): string {
  return `{"pad":"${"x".repeat(size - 10)}"}`;
}

/** The same bytes as a stream of small chunks, so no Content-Length is known. */
function streamOf(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(ctrl) {
      if (at >= bytes.length) return ctrl.close();
      ctrl.enqueue(bytes.slice(at, at + 100));
      at += 100;
    },
  });
}

Deno.test("every body-reading route answers 413 past --max-payload, with or without a length", async () => {
  await using t = await testApp({ config: { maxPayloadBytes: MAX } });
  const created = await t.call("POST", "/api/triggers", { name: uniqueName(), type: "api" });
  assert.equal(created.status, 201);
  const { id, name } = created.body;
  const routes: [string, string][] = [
    ["POST", "/api/triggers"],
    ["PATCH", `/api/triggers/${id}`],
    ["POST", `/api/triggers/${id}/fire`],
    ["POST", "/api/test"],
    ["POST", "/api/preview"],
    ["POST", "/schedule_trigger"],
    ["POST", "/remove_trigger"],
    ["POST", `/trigger_api?trigger_name=${encodeURIComponent(name)}`],
    ["POST", "/test_trigger"],
  ];
  assert.equal(bodyOf(MAX + 1).length, MAX + 1);
  for (const [method, path] of routes) {
    for (const streamed of [false, true]) {
      const text = bodyOf(MAX + 1);
      const res = await t.app.request(path, {
        method,
        headers: { "content-type": "application/json" },
        body: streamed ? streamOf(text) : text,
      });
      assert.equal(res.status, 413, `${method} ${path} streamed=${streamed}`);
      const body = await res.json();
      if (path.startsWith("/api/")) assert.equal(body.title, "Payload too large");
      else assert.equal(body.error, `The request body is larger than ${MAX} bytes`);
    }
  }
  // At the limit the body is read (and judged on its content instead).
  const atLimit = await t.app.request(`/api/triggers/${id}/fire`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: bodyOf(MAX),
  });
  assert.equal(atLimit.status, 202);
});

Deno.test("the real server answers 413 to a chunked body past the limit", async () => {
  const server = await startServer({ args: ["--max-payload", "2KiB"] });
  try {
    const res = await fetch(`${server.url}/api/triggers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: streamOf(bodyOf(4096)),
    });
    assert.equal(res.status, 413);
    assert.equal(res.headers.get("content-type"), "application/problem+json");
    await res.body?.cancel();
  } finally {
    await server.stop();
  }
});

Deno.test("the real server reads a body sent in many chunks exactly, with or without a length", async () => {
  const server = await startServer({ args: ["--max-payload", "8KiB"] });
  try {
    const created = await api(server, "POST", "/api/triggers", {
      name: uniqueName("chunks"),
      type: "api",
    });
    assert.equal(created.status, 201);
    const { id } = created.body;
    // Multi-byte characters split across 100-byte chunks, up to the limit exactly.
    const pad = "é€x".repeat(1000).slice(0, 2600);
    const text = JSON.stringify({ pad });
    const size = new TextEncoder().encode(text).length;
    assert.ok(size > 1000 && size <= 8192, `${size} bytes`);
    for (const declared of [false, true]) {
      const res = await fetch(`${server.url}/api/triggers/${id}/fire`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(declared ? { "content-length": String(size) } : {}),
        },
        body: streamOf(text),
      });
      assert.equal(res.status, 202, `declared length: ${declared}`);
      const entry = await res.json();
      assert.deepEqual(entry.payload, { pad }, `declared length: ${declared}`);
    }
  } finally {
    await server.stop();
  }
});

Deno.test("a body read whole at its declared length is still read to its end (its stream closes)", async () => {
  const { Hono } = await import("hono");
  const { readJson } = await import("../routes/body.ts");
  const app = new Hono();
  app.post("/", async (c) => c.json(await readJson(c, 1024)));
  const bytes = new TextEncoder().encode('{"n":1}');
  let pulls = 0;
  const ended = Promise.withResolvers<void>();
  const body = new ReadableStream<Uint8Array>({
    pull(ctl) {
      if (pulls++ === 0) return ctl.enqueue(bytes);
      ctl.close();
      ended.resolve();
    },
    cancel: () => ended.reject(new Error("cancelled instead of read to its end")),
  }, { highWaterMark: 0 }); // pulled only when read: nothing reads ahead on its own
  const res = await app.request("/", {
    method: "POST",
    headers: { "content-type": "application/json", "content-length": String(bytes.length) },
    body,
  });
  assert.deepEqual(await res.json(), { n: 1 });
  // Left open, Deno's request-body resource stays until a full GC (routes/body.ts).
  await ended.promise;
  assert.equal(pulls, 2);
});
