/**
 * The in-memory catalog behind `q` and sort=lastRunAt (db/trigger_catalog.ts): once loaded it
 * is never re-read within these tests (its resync is 30 s away), so every change seen here came
 * through the bus: this instance's changes and firings at once, another instance's changes
 * through the change feed.
 */
import assert from "node:assert/strict";
import { feedInstance } from "./helpers/feed.ts";
import { parseConfig } from "../core/config.ts";
import { createDeps } from "../db/deps.ts";
import { catalogOf } from "../db/trigger_catalog.ts";
import type { ListQuery } from "../db/trigger_filter.ts";
import { fireNow } from "../services/firings.ts";
import { triggerPage } from "../services/reads.ts";
import { createTrigger, deleteTrigger, patchTrigger } from "../services/triggers.ts";
import type { Deps } from "../core/deps.ts";
import { waitFor } from "./helpers/server.ts";

const base: ListQuery = { sort: "createdAt", order: "asc", limit: 50 };

async function names(deps: Deps, q: Partial<ListQuery>): Promise<string[]> {
  const page = await triggerPage(deps, { ...base, ...q });
  return page.items.map((r) => r.name);
}

Deno.test("local create, rename, delete and firing are reflected by q and lastRunAt at once", async () => {
  const kv = await Deno.openKv(":memory:");
  const deps = createDeps(kv, parseConfig(["--kv", ":memory:"], {}));
  try {
    const a = await createTrigger(deps, { name: "Alpha-one" });
    await createTrigger(deps, { name: "beta-two" });
    // Loads the catalog; from here on only the bus changes it.
    assert.deepEqual(await names(deps, { q: "ALPHA" }), ["Alpha-one"]);
    const c = await createTrigger(deps, { name: "alphabet" });
    assert.deepEqual(await names(deps, { q: "alpha" }), ["Alpha-one", "alphabet"]);
    await patchTrigger(deps, a.id, { name: "gamma-one" });
    assert.deepEqual(await names(deps, { q: "alpha" }), ["alphabet"]);
    assert.deepEqual(await names(deps, { q: "gamma" }), ["gamma-one"]);
    await deleteTrigger(deps, c.id);
    const page = await triggerPage(deps, { ...base, q: "alpha" });
    assert.deepEqual([page.items.length, page.total], [0, 0]);

    // lastRunAt: the fired one first in descending order, the never-run ones after it (ties by
    // id, descending too).
    const fired = await createTrigger(deps, { name: "delta", type: "api" });
    await fireNow(deps, fired);
    const byLast = await triggerPage(deps, { ...base, sort: "lastRunAt", order: "desc" });
    assert.deepEqual(byLast.items.map((r) => r.name), ["delta", "beta-two", "gamma-one"]);
    assert.equal(byLast.total, 3);
  } finally {
    kv.close();
  }
});

Deno.test("changes made through a second instance on the same KV reach q once the feed delivers them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tock-catalog-" });
  const a = await feedInstance(`${dir}/tock.kv`);
  const b = await feedInstance(`${dir}/tock.kv`);
  try {
    await createTrigger(a.deps, { name: "seed" });
    assert.deepEqual(await names(b.deps, { q: "seed" }), ["seed"], "B's catalog loaded");
    const rec = await createTrigger(a.deps, { name: "remote-Thing" });
    await waitFor(
      async () => (await names(b.deps, { q: "thing" })).includes("remote-Thing"),
      15_000,
      "B to find the created trigger",
    );
    await patchTrigger(a.deps, rec.id, { name: "remote-renamed" });
    await waitFor(
      async () => (await names(b.deps, { q: "renamed" })).length === 1,
      15_000,
      "B to find it by its new name",
    );
    assert.deepEqual(await names(b.deps, { q: "thing" }), [], "not by the old one");
    await deleteTrigger(a.deps, rec.id);
    await waitFor(
      async () => (await triggerPage(b.deps, { ...base, q: "remote" })).total === 0,
      15_000,
      "B to stop finding it",
    );
    const all = await triggerPage(b.deps, { ...base, sort: "lastRunAt" });
    assert.deepEqual([all.items.map((r) => r.name), all.total], [["seed"], 1]);
  } finally {
    await a.close();
    await b.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("stop() waits for the load under way, so closing KV after it cuts nothing short", async () => {
  const dir = await Deno.makeTempDir();
  const kv = await Deno.openKv(`${dir}/t.kv`);
  const deps = createDeps(kv, parseConfig(["--kv", `${dir}/t.kv`], {}));
  const errors: unknown[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void errors.push(args);
  try {
    for (let i = 0; i < 200; i++) await createTrigger(deps, { name: `stop-${i}`, type: "api" });
    const catalog = catalogOf(kv)!;
    catalog.warm();
    await catalog.stop();
    kv.close();
    // The load finished before stop() resolved: its snapshot answers with KV already closed.
    assert.equal((await catalog.entries()).size, 200);
    assert.deepEqual(errors, []);
  } finally {
    console.error = original;
    await Deno.remove(dir, { recursive: true });
  }
});
