/**
 * Issue 14's listing at 10,000 triggers (stored through db/ in batches): q, tag, status and
 * type filters, every sort in both orders, cursor paging that returns the matching set exactly
 * once even while triggers change, exact totals, cursor validation, and bulk actions.
 */
import assert from "node:assert/strict";
import { ManualClock } from "../core/clock.ts";
import { insertTriggersBatch } from "../db/triggers.ts";
import { buildDefinition, newTriggerRecord } from "../scheduler/definition.ts";
import type { Trigger, TriggerRecord } from "../core/schemas.ts";
import { fireNow } from "../services/firings.ts";
import { type TestApp, testApp } from "./helpers/app.ts";

const N = 10_000;
const T0 = Date.parse("2030-01-01T00:00:00.000Z");

/** Trigger i: names with a few "Alpha"s, tags blue (every 7th) and red (every 5th), mixed
 * types and statuses, schedules that spread nextRunAt and leave some equal. */
function fixture(i: number): TriggerRecord {
  const api = i % 3 === 0;
  const def = buildDefinition(
    {
      name: `${i % 97 === 0 ? "Alpha" : "job"}-${String(i).padStart(5, "0")}-${(i * 7919) % 10007}`,
      schedule: api
        ? null
        : { everySeconds: 3600, startAt: new Date(T0 + (i % 500) * 1000).toISOString() },
    },
    T0,
    null,
  );
  const tags = [
    ...(i % 7 === 0 ? ["blue"] : []),
    ...(i % 5 === 0 ? ["red"] : []),
    `g:${i % 3}`,
    // On 6,667 triggers: more than a listing reads to build a matching set (MATERIALISE_MAX).
    ...(i % 3 !== 0 ? ["many"] : []),
  ];
  // Creation times spread over ~3 hours, in an order unlike the names'.
  const created = T0 - ((i * 37) % N) * 1000;
  const rec = newTriggerRecord(def, created, { status: i % 4 === 0 ? "paused" : "active" });
  return { ...rec, tags };
}

let shared: { t: TestApp; all: TriggerRecord[]; clock: ManualClock } | null = null;
async function setup() {
  if (shared) return shared;
  const clock = new ManualClock(T0);
  const t = await testApp({ clock });
  const all = Array.from({ length: N }, (_, i) => fixture(i));
  await insertTriggersBatch(t.kv, all);
  // lastRunAt for some: api firings at distinct instants (two share one, for ties).
  for (let i = 0; i < 60; i++) {
    clock.set(T0 + 1000 + Math.min(i, 58) * 1000);
    await fireNow(t.deps, all[i * 101]);
  }
  clock.set(T0 + 100_000);
  shared = { t, all, clock };
  return shared;
}

/** Every page of a listing, asserting each page's total; the items in order. */
async function walk(
  t: TestApp,
  query: string,
  limit = 500,
): Promise<{ items: Trigger[]; total: number | null }> {
  const items: Trigger[] = [];
  let cursor: string | null = null;
  let total: number | null | undefined = undefined;
  do {
    const sep = query ? "&" : "";
    const url = `/api/triggers?${query}${sep}limit=${limit}` +
      (cursor ? `&cursor=${encodeURIComponent(cursor)}` : "");
    const res = await t.call("GET", url);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    if (total !== undefined) assert.equal(res.body.total, total, "total is stable across pages");
    total = res.body.total;
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor);
  return { items, total: total ?? null };
}

type Key = (string | number | null)[];
function expectedOrder(t: Trigger[], sort: string, order: string): string[] {
  const val = (x: Trigger): string | number | null =>
    sort === "name"
      ? x.name
      : sort === "createdAt"
      ? null
      : sort === "nextRunAt"
      ? (x.nextRunAt ? Date.parse(x.nextRunAt) : null)
      : (x.lastRunAt ? Date.parse(x.lastRunAt) : null);
  const dir = order === "asc" ? 1 : -1;
  const keyed = t.map((x) => [val(x), x.id] as Key);
  keyed.sort((a, b) => {
    if (a[0] === null && b[0] !== null) return 1;
    if (b[0] === null && a[0] !== null) return -1;
    if (a[0] !== b[0] && a[0] !== null) return (a[0]! < b[0]! ? -1 : 1) * dir;
    return (a[1]! < b[1]! ? -1 : 1) * dir;
  });
  return keyed.map((k) => k[1] as string);
}

function assertOnce(items: Trigger[], expected: string[], what: string) {
  const ids = items.map((x) => x.id);
  assert.equal(new Set(ids).size, ids.length, `${what}: no trigger twice`);
  assert.deepEqual(ids, expected, what);
}

Deno.test("10,000 triggers: every sort, both orders, filtered by q, tag and status, paged exactly once", async () => {
  const { t } = await setup();
  const every = await walk(t, "");
  assert.equal(every.total, N);
  assert.equal(every.items.length, N);
  const views = every.items;
  const byId = new Map(views.map((v) => [v.id, v]));
  const filters: [string, (v: Trigger) => boolean][] = [
    ["", () => true],
    ["q=alpha", (v) => v.name.toLowerCase().includes("alpha")],
    ["q=123", (v) => v.name.includes("123")],
    ["tag=blue", (v) => v.tags.includes("blue")],
    ["tag=blue&tag=red", (v) => v.tags.includes("blue") && v.tags.includes("red")],
    ["status=paused&type=api", (v) => v.status === "paused" && v.type === "api"],
    [
      "tag=red&status=active&q=JOB-0",
      (v) => v.tags.includes("red") && v.status === "active" && v.name.includes("job-0"),
    ],
    // Sets too large to build per call: walked in order, a bounded slice per call.
    ["tag=many", (v) => v.tags.includes("many")],
    ["tag=many&status=paused", (v) => v.tags.includes("many") && v.status === "paused"],
    ["q=job&type=scheduled", (v) => v.name.includes("job") && v.type === "scheduled"],
  ];
  // Counting these would read every candidate's record (more than 5,000): their total is null.
  // A lone tag or a lone q is counted exactly however large (its counter, the names).
  const expectUncounted = [
    ...["asc", "desc"].map((o) => `status=paused&type=api&sort=lastRunAt&order=${o}`),
    ...["tag=many&status=paused", "q=job&type=scheduled"].flatMap((f) =>
      ["createdAt", "name", "nextRunAt", "lastRunAt"].flatMap((s) =>
        ["asc", "desc"].map((o) => `${f}&sort=${s}&order=${o}`)
      )
    ),
  ];
  const uncounted: string[] = [];
  for (const [query, pred] of filters) {
    const want = views.filter(pred);
    assert.ok(want.length > 0, `${query} matches something`);
    for (const sort of ["createdAt", "name", "nextRunAt", "lastRunAt"]) {
      for (const order of ["asc", "desc"]) {
        // The full set only for the unfiltered query in one order per sort (time).
        if (query === "" && order === "desc" && sort !== "nextRunAt") continue;
        const q = [query, `sort=${sort}`, `order=${order}`].filter(Boolean).join("&");
        const got = await walk(t, q, Math.min(500, Math.ceil(want.length / 4) + 1));
        if (got.total === null) uncounted.push(q);
        else assert.equal(got.total, want.length, `${q}: total`);
        assertOnce(got.items, expectedOrder(want.map((w) => byId.get(w.id)!), sort, order), q);
      }
    }
  }
  assert.deepEqual(uncounted.sort(), expectUncounted.sort());
  // One call reads a bounded slice (WALK_BUDGET = 2,000 triggers in order), not every tagged
  // trigger: about a quarter of a slice is paused, so the first page comes back short.
  const first = await t.call("GET", "/api/triggers?tag=many&status=paused&limit=500");
  assert.ok(first.body.items.length < 500, `a short page: ${first.body.items.length}`);
  assert.ok(first.body.items.length > 0 && first.body.nextCursor !== null);
});

Deno.test("a walk in creation order sees every untouched trigger once while others come and go", async () => {
  const { t, all } = await setup();
  const seen: string[] = [];
  let cursor: string | null = null;
  let page = 0;
  const created: string[] = [];
  const deleted = new Set<string>();
  do {
    const res = await t.call(
      "GET",
      `/api/triggers?tag=blue&limit=100${cursor ? `&cursor=${cursor}` : ""}`,
    );
    assert.equal(res.status, 200);
    seen.push(...res.body.items.map((x: Trigger) => x.id));
    cursor = res.body.nextCursor;
    if (page++ % 3 === 0) {
      const c = await t.call("POST", "/api/triggers", { name: `new-${page}`, tags: ["blue"] });
      assert.equal(c.status, 201);
      created.push(c.body.id);
      // Delete one not yet reached (later in creation order) and one already seen.
      const ahead = all.filter((r) =>
        r.tags!.includes("blue") && !seen.includes(r.id) && !deleted.has(r.id)
      );
      for (const id of [ahead[ahead.length - 1]?.id, seen[0]]) {
        if (id && !deleted.has(id)) {
          assert.equal((await t.call("DELETE", `/api/triggers/${id}`)).status, 204);
          deleted.add(id);
        }
      }
    }
  } while (cursor);
  assert.equal(new Set(seen).size, seen.length, "nothing twice");
  const untouched = all.filter((r) => r.tags!.includes("blue") && !deleted.has(r.id)).map((r) =>
    r.id
  );
  for (const id of untouched) assert.ok(seen.includes(id), `untouched ${id} seen`);
  for (const id of created) {
    assert.ok(seen.includes(id), "created during the walk: ids are newest, seen last");
  }
  // Put the fixture back in shape for the other tests.
  for (const id of created) await t.call("DELETE", `/api/triggers/${id}`);
  shared = null;
  t.kv.close();
});

Deno.test("name= answers the one trigger by exact name; bad cursors and tags are 400", async () => {
  const { t, all } = await setup();
  const one = await t.call("GET", `/api/triggers?name=${encodeURIComponent(all[42].name)}`);
  assert.equal(one.status, 200);
  assert.deepEqual(one.body.items.map((x: Trigger) => x.id), [all[42].id]);
  assert.equal(one.body.total, 1);
  const none = await t.call("GET", "/api/triggers?name=nope");
  assert.deepEqual([none.body.items.length, none.body.total], [0, 0]);
  const first = await t.call("GET", "/api/triggers?sort=name&limit=2");
  for (
    const bad of [
      "garbage!",
      "x".repeat(600),
      btoa('["name","asc",1,"nope"]'),
      first.body.nextCursor,
    ]
  ) {
    const sort = bad === first.body.nextCursor ? "nextRunAt" : "name";
    const res = await t.call("GET", `/api/triggers?sort=${sort}&cursor=${encodeURIComponent(bad)}`);
    assert.equal(res.status, 400, bad);
    assert.equal(res.body.errors[0].path, "cursor");
  }
  const badTag = await t.call("GET", "/api/triggers?tag=Blue");
  assert.equal(badTag.status, 400);
  assert.equal(badTag.body.errors[0].path, "tag");
});

Deno.test("bulk pause by tag changes exactly the tagged triggers; limits and shapes are checked", async () => {
  const { t, all } = await setup();
  const blue = all.filter((r) => r.tags!.includes("blue"));
  const res = await t.call("POST", "/api/triggers/bulk", {
    action: "pause",
    filter: { tag: "blue" },
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.matched, blue.length);
  assert.equal(res.body.changed, blue.filter((r) => r.status === "active").length);
  assert.deepEqual(res.body.failed, []);
  const every = await walk(t, "");
  for (const v of every.items) {
    const was = all.find((r) => r.id === v.id)!;
    assert.equal(v.status, v.tags.includes("blue") ? "paused" : was.status, v.name);
  }
  const pausedTotal = (await t.call("GET", "/api/triggers?status=paused&limit=1")).body.total;
  assert.equal(
    pausedTotal,
    all.filter((r) => r.status === "paused" || r.tags!.includes("blue")).length,
  );

  // By ids: an unknown id fails alone.
  const ids = [blue[0].id, "01ARZ3NDEKTSV4RRFFQ69G5FAV"];
  const byIds = await t.call("POST", "/api/triggers/bulk", { action: "resume", ids });
  assert.equal(byIds.status, 200);
  assert.deepEqual([byIds.body.matched, byIds.body.changed], [2, 1]);
  assert.equal(byIds.body.failed[0].id, ids[1]);

  for (
    const body of [{ action: "pause" }, { action: "pause", ids: [all[0].id], filter: {} }, {
      action: "stop",
      ids: [all[0].id],
    }]
  ) {
    assert.equal(
      (await t.call("POST", "/api/triggers/bulk", body)).status,
      400,
      JSON.stringify(body),
    );
  }
  // 10,001 matching: refused, nothing changed.
  assert.equal((await t.call("POST", "/api/triggers", { name: "one-more" })).status, 201);
  const before = (await t.call("GET", "/api/triggers?status=paused&limit=1")).body.total;
  const tooMany = await t.call("POST", "/api/triggers/bulk", { action: "delete", filter: {} });
  assert.equal(tooMany.status, 400);
  assert.equal((await t.call("GET", "/api/triggers?limit=1")).body.total, N + 1);
  assert.equal((await t.call("GET", "/api/triggers?status=paused&limit=1")).body.total, before);
  t.kv.close();
  shared = null;
});
