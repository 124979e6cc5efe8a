/**
 * The fire path's definition cache is exact across instances: two server processes share one
 * KV file; instance B fires (and so caches) a trigger, instance A changes or deletes it, and a
 * fire on B that starts after A answered follows the new definition. Each instance also polls
 * the change feed (about once a second), so the fires here follow A's answer at once: what
 * makes them exact is the versionstamp check in the firing's commit, not the feed.
 */
import assert from "node:assert/strict";
import { type RunningServer, startServer } from "./helpers/server.ts";

async function call(
  srv: RunningServer,
  method: string,
  path: string,
  body?: unknown,
  // deno-lint-ignore no-explicit-any
): Promise<{ status: number; body: any }> {
  const res = await fetch(srv.url + path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** Entries of trigger `id` (every page of GET /api/logs). */
async function logCount(srv: RunningServer, id: string): Promise<number> {
  let n = 0;
  let cursor: string | null = null;
  do {
    const q: string = `/api/logs?trigger=${id}&limit=500${cursor ? `&cursor=${cursor}` : ""}`;
    const page = await call(srv, "GET", q);
    assert.equal(page.status, 200);
    n += page.body.items.length;
    cursor = page.body.nextCursor;
  } while (cursor);
  return n;
}

async function twoInstances(fn: (a: RunningServer, b: RunningServer) => Promise<void>) {
  const a = await startServer();
  const b = await startServer({ kvPath: a.kvPath });
  try {
    await fn(a, b);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
}

Deno.test("a DELETE on instance A is honoured by the next fire on instance B (404, no entry)", async () => {
  await twoInstances(async (a, b) => {
    const created = await call(a, "POST", "/api/triggers", { name: "gone-soon", type: "api" });
    assert.equal(created.status, 201);
    const id = created.body.id;
    // B caches the definition by id and by name.
    assert.equal((await call(b, "POST", `/api/triggers/${id}/fire`, { n: 1 })).status, 202);
    assert.equal((await call(b, "POST", "/trigger_api?trigger_name=gone-soon", {})).status, 200);
    assert.equal((await call(a, "DELETE", `/api/triggers/${id}`)).status, 204);
    const rest = await call(b, "POST", `/api/triggers/${id}/fire`, { n: 2 });
    const legacy = await call(b, "POST", "/trigger_api?trigger_name=gone-soon", {});
    assert.equal(rest.status, 404);
    assert.equal(legacy.status, 404);
    assert.equal(await logCount(a, id), 2, "only the two firings before the delete");
  });
});

Deno.test("a PATCH of payloadSchema on instance A is honoured by the next fire on instance B", async () => {
  await twoInstances(async (a, b) => {
    const created = await call(a, "POST", "/api/triggers", {
      name: "typed",
      type: "api",
      payloadSchema: { type: "object" },
    });
    const id = created.body.id;
    assert.equal((await call(b, "POST", `/api/triggers/${id}/fire`, { a: 1 })).status, 202);
    assert.equal((await call(b, "POST", "/trigger_api?trigger_name=typed", { a: 1 })).status, 200);
    const strict = { type: "object", required: ["b"] };
    assert.equal(
      (await call(a, "PATCH", `/api/triggers/${id}`, { payloadSchema: strict })).status,
      200,
    );
    // Stricter: the cached schema would accept, the new one refuses.
    const rest = await call(b, "POST", `/api/triggers/${id}/fire`, { a: 1 });
    assert.equal(rest.status, 422);
    assert.equal((await call(b, "POST", "/trigger_api?trigger_name=typed", { a: 1 })).status, 422);
    assert.equal((await call(b, "POST", `/api/triggers/${id}/fire`, { b: 1 })).status, 202);
    // Looser again: the cached (strict) schema would refuse, the new one accepts.
    const loose = { payloadSchema: { type: "object" } };
    assert.equal((await call(a, "PATCH", `/api/triggers/${id}`, loose)).status, 200);
    assert.equal((await call(b, "POST", `/api/triggers/${id}/fire`, { a: 2 })).status, 202);
    assert.equal(await logCount(a, id), 4);
  });
});

Deno.test("a rename on instance A moves /trigger_api on instance B at once", async () => {
  await twoInstances(async (a, b) => {
    const created = await call(a, "POST", "/api/triggers", { name: "old-name", type: "api" });
    const id = created.body.id;
    assert.equal((await call(b, "POST", "/trigger_api?trigger_name=old-name", {})).status, 200);
    assert.equal((await call(a, "PATCH", `/api/triggers/${id}`, { name: "new-name" })).status, 200);
    assert.equal((await call(b, "POST", "/trigger_api?trigger_name=old-name", {})).status, 404);
    const fired = await call(b, "POST", "/trigger_api?trigger_name=new-name", {});
    assert.equal(fired.status, 200);
    assert.equal(fired.body.log.trigger_name, "new-name");
  });
});
