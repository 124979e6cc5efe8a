/**
 * Trigger changes made through one instance reach another instance's bus through the change
 * feed in KV: two instances (deps) on one KV file, each with its TriggerFeed running. The event
 * stream sends what the bus carries, so this is what `event: trigger` streams on B.
 */
import assert from "node:assert/strict";
import { feedInstance, pair } from "./helpers/feed.ts";
import { addChangeWrite } from "../db/trigger_feed.ts";
import { originOf } from "../services/trigger_feed.ts";
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

Deno.test("an instance whose clock runs a minute behind still reaches the other", async () => {
  const p = await pair({ aBehindMs: 60_000 });
  try {
    const rec = await createTrigger(p.a.deps, { name: "skewed" });
    await p.b.feed.poll();
    assert.deepEqual(p.remote(), ["created skewed"]);
    await patchTrigger(p.a.deps, rec.id, { tags: ["x"] });
    await p.b.feed.poll();
    await p.b.feed.poll();
    assert.deepEqual(p.remote(), ["created skewed", "updated skewed"], "each once");
  } finally {
    await p.close();
  }
});

Deno.test("changes written before an instance started are not replayed to it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tock-feed-" });
  const a = await feedInstance(`${dir}/tock.kv`, { pollMs: 3_600_000 });
  try {
    await createTrigger(a.deps, { name: "before" });
    const b = await feedInstance(`${dir}/tock.kv`, { pollMs: 3_600_000 });
    try {
      await createTrigger(a.deps, { name: "after" });
      await b.feed.poll();
      assert.deepEqual(b.seen.map((c) => `${c.action} ${c.name}`), ["created after"]);
    } finally {
      await b.close();
    }
  } finally {
    await a.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an entry landing after a later-stamped one is read within the lookback, not after it", async () => {
  const p = await pair();
  try {
    p.aClock.advance(500);
    const rec = await createTrigger(p.a.deps, { name: "late" });
    await p.b.feed.poll();
    assert.deepEqual(p.remote(), ["created late"]);
    const origin = originOf(p.a.deps.bus);
    const write = async (atMs: number) => {
      const op = p.a.kv.atomic();
      addChangeWrite(op, { id: rec.id, name: rec.name, action: "updated", origin, atMs });
      assert.ok((await op.commit()).ok);
    };
    // Stamped 400 ms before the entry B read, landing now: within B's 1 s lookback.
    await write(p.aClock.now() - 400);
    await p.b.feed.poll();
    assert.deepEqual(p.remote(), ["created late", "updated late"]);
    // More than the lookback later (B's clock), B reads from just after the latest entry:
    // a commit stamped before it has landed by then, so one that lands now is not read.
    p.bClock.advance(1_001);
    await p.b.feed.poll();
    await write(p.aClock.now() - 100);
    await p.b.feed.poll();
    assert.deepEqual(p.remote(), ["created late", "updated late"]);
    await write(p.aClock.now() + 1);
    await p.b.feed.poll();
    assert.deepEqual(p.remote(), ["created late", "updated late", "updated late"]);
  } finally {
    await p.close();
  }
});

Deno.test("a poll reads another instance's entries a page at a time, each published once", async () => {
  const p = await pair();
  try {
    const origin = originOf(p.a.deps.bus);
    // 2,500 entries (pages of 1,000): deletions, which need no record to be published.
    for (let i = 0; i < 2_500; i += 250) {
      const op = p.a.kv.atomic();
      for (let j = i; j < i + 250; j++) {
        const id = `gone-${String(j).padStart(4, "0")}`;
        addChangeWrite(op, { id, name: id, action: "deleted", origin, atMs: p.aClock.now() });
      }
      assert.ok((await op.commit()).ok);
    }
    await p.b.feed.poll();
    await p.b.feed.poll();
    const ids = p.b.seen.map((c) => c.id);
    assert.equal(ids.length, 2_500);
    assert.equal(new Set(ids).size, 2_500, "each once");
    assert.deepEqual(ids.slice(0, 2), ["gone-0000", "gone-0001"], "in the order written");
  } finally {
    await p.close();
  }
});
