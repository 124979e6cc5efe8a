/** Cursor pagination of GET /api/logs while new firings keep arriving. */
import assert from "node:assert/strict";
import { testApp, uniqueName } from "./helpers/app.ts";

Deno.test("paging newest first never skips or repeats an entry while new firings arrive", async () => {
  await using t = await testApp();
  const a = await t.call("POST", "/api/triggers", { name: uniqueName("pa"), type: "api" });
  const b = await t.call("POST", "/api/triggers", { name: uniqueName("pb"), type: "api" });
  const before: string[] = [];
  for (let i = 0; i < 120; i++) {
    const id = i % 3 === 0 ? b.body.id : a.body.id;
    before.unshift((await t.call("POST", `/api/triggers/${id}/fire`, { i })).body.id);
  }
  // Walk all pages (unfiltered, by trigger, by source) firing more between every two reads.
  const later: string[] = [];
  for (const filter of ["", `trigger=${a.body.id}&`, "source=api&", `trigger=${b.body.name}&`]) {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    const startedWith = [...later];
    do {
      const res = await t.call(
        "GET",
        `/api/logs?${filter}limit=13${cursor ? `&cursor=${cursor}` : ""}`,
      );
      assert.equal(res.status, 200);
      seen.push(...res.body.items.map((e: { id: string }) => e.id));
      cursor = res.body.nextCursor;
      pages++;
      for (let k = 0; k < 3; k++) {
        const id = k === 0 ? b.body.id : a.body.id;
        later.unshift((await t.call("POST", `/api/triggers/${id}/fire`)).body.id);
      }
    } while (cursor);
    // Exactly what existed when the walk began, newest first, each once.
    const trigOf = new Map<string, string>();
    for (const e of (await t.call("GET", "/api/logs?limit=500")).body.items) {
      trigOf.set(e.id, e.triggerId);
    }
    const keep = (id: string) =>
      filter.startsWith(`trigger=${a.body.id}`)
        ? trigOf.get(id) === a.body.id
        : filter.startsWith(`trigger=${b.body.name}`)
        ? trigOf.get(id) === b.body.id
        : true;
    const expected = [...startedWith, ...before].filter(keep);
    assert.deepEqual(seen, expected, `walk with "${filter}"`);
    assert.equal(new Set(seen).size, seen.length);
    assert.ok(pages > 2);
  }
});

Deno.test("the last page answers nextCursor null and limit bounds are checked", async () => {
  await using t = await testApp();
  const a = await t.call("POST", "/api/triggers", { name: uniqueName("pl"), type: "api" });
  for (let i = 0; i < 4; i++) await t.call("POST", `/api/triggers/${a.body.id}/fire`);
  const first = await t.call("GET", "/api/logs?limit=2");
  assert.equal(first.body.items.length, 2);
  assert.equal(first.body.nextCursor, first.body.items[1].id);
  const second = await t.call("GET", `/api/logs?limit=2&cursor=${first.body.nextCursor}`);
  assert.equal(second.body.items.length, 2);
  assert.equal(second.body.nextCursor, null);
  assert.equal((await t.call("GET", "/api/logs?limit=0")).status, 400);
  assert.equal((await t.call("GET", "/api/logs?limit=501")).status, 400);
  assert.equal((await t.call("GET", "/api/logs?state=bogus")).status, 400);
  assert.equal((await t.call("GET", "/api/logs?cursor=nope")).status, 400);
});
