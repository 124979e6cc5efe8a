/**
 * Trigger changes made through one instance reach another instance's bus through the change
 * feed in KV: two instances (deps) on one KV file, each with its TriggerFeed running. The event
 * stream sends what the bus carries, so this is what `event: trigger` streams on B.
 */
import assert from "node:assert/strict";
import { feedInstance } from "./helpers/feed.ts";
import { bulkAction } from "../services/bulk.ts";
import { createTrigger, deleteTrigger, patchTrigger } from "../services/triggers.ts";
import { createSseParser } from "../static/sse.js";
import { startServer, waitFor } from "./helpers/server.ts";
import { uniqueName } from "./helpers/app.ts";

Deno.test("create, patch, delete and bulk on instance A arrive on B's bus once, not again on A's", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tock-feed-" });
  const a = await feedInstance(`${dir}/tock.kv`);
  const b = await feedInstance(`${dir}/tock.kv`);
  try {
    const rec = await createTrigger(a.deps, { name: "shared", tags: ["x"] });
    await patchTrigger(a.deps, rec.id, { tags: ["x", "y"] });
    // A change whose trigger is gone by the time B reads the feed is left to the deletion's
    // own entry; wait, so B reads these two while "shared" still exists.
    await waitFor(() => b.seen.length >= 2, 15_000, "B to see shared");
    const others = await Promise.all(
      [1, 2, 3].map((i) => createTrigger(a.deps, { name: `other-${i}`, tags: ["bulk"] })),
    );
    await bulkAction(a.deps, { action: "pause", filter: { tag: ["bulk"] } });
    await deleteTrigger(a.deps, rec.id);
    await waitFor(() => b.seen.length >= 9, 15_000, "B to see all 9 changes");
    const onB = b.seen.map((c) => [c.action, c.name, c.remote] as const);
    assert.deepEqual(onB.slice(0, 2), [["created", "shared", true], ["updated", "shared", true]]);
    assert.deepEqual(onB[onB.length - 1], ["deleted", "shared", true]);
    const updated = b.seen.filter((c) => c.action === "updated" && c.name.startsWith("other-"));
    assert.equal(updated.length, 3, "one per trigger of the bulk action");
    assert.ok(updated.every((c) => c.trigger?.status === "paused"));
    assert.equal(b.seen.find((c) => c.action === "deleted")!.trigger, null);
    // B's own change reaches A; A's feed never republishes A's own entries.
    await patchTrigger(b.deps, others[0].id, { tags: [] });
    await waitFor(() => a.seen.some((c) => c.remote), 15_000, "A to see B's change");
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(a.seen.filter((c) => !c.remote).length, 9, "A's own changes, published once");
    assert.deepEqual(a.seen.filter((c) => c.remote).map((c) => [c.action, c.id]), [
      ["updated", others[0].id],
    ]);
    assert.equal(b.seen.length, 10, "B's own change once, nothing repeated by the feed");
  } finally {
    await a.close();
    await b.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("two servers on one KV file: create, patch and delete through A stream as trigger events from B", async () => {
  const a = await startServer();
  const b = await startServer({ kvPath: a.kvPath });
  const abort = new AbortController();
  try {
    const events: { action: string; trigger: { id: string; name: string; tags?: string[] } }[] = [];
    let wake: (() => void) | null = null;
    const res = await fetch(`${b.url}/api/events`, { signal: abort.signal });
    assert.equal(res.status, 200);
    const parser = createSseParser((e: { event: string; data: string }) => {
      if (e.event !== "trigger") return;
      events.push(JSON.parse(e.data));
      wake?.();
    });
    void (async () => {
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          parser.push(value);
        }
      } catch { /* aborted at the end */ }
    })();
    const until = async (n: number) => {
      const deadline = Date.now() + 30_000;
      while (events.length < n) {
        if (Date.now() > deadline) throw new Error(`only ${events.length} of ${n} trigger events`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 500);
        });
      }
    };
    const call = async (method: string, path: string, body?: unknown) => {
      const r = await fetch(`${a.url}${path}`, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: r.status, body: r.status === 204 ? null : await r.json() };
    };
    const name = uniqueName("feed");
    const created = await call("POST", "/api/triggers", { name, type: "api" });
    assert.equal(created.status, 201);
    await until(1);
    assert.equal(
      (await call("PATCH", `/api/triggers/${created.body.id}`, { tags: ["x"] })).status,
      200,
    );
    await until(2);
    assert.equal((await call("DELETE", `/api/triggers/${created.body.id}`)).status, 204);
    await until(3);
    assert.deepEqual(events.map((e) => e.action), ["created", "updated", "deleted"]);
    assert.deepEqual(events.map((e) => e.trigger.id), Array(3).fill(created.body.id));
    assert.deepEqual(events[1].trigger.tags, ["x"], "the update carries the new definition");
    assert.equal(events[2].trigger.name, name);
  } finally {
    abort.abort();
    await b.stop();
    await a.stop();
  }
});
