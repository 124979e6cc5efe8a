// The triggers list's and the charts' pure modules (static/trigger_query.js, static/histogram.js)
// and the form's tags, imported by Deno directly: no browser, no server.
import assert from "node:assert/strict";
import {
  applyChange,
  bulkFilter,
  hashOfQuery,
  listQuery,
  type ListState,
  matchesQuery,
  NO_QUERY,
  parseTags,
  queryFromHash,
  routeOf,
  type TriggerQuery,
} from "../static/trigger_query.js";
import { countLive, histogramQuery, RANGES, totals } from "../static/histogram.js";
import { cliFor } from "../static/format.js";
import { markFresh } from "../static/log_list.js";
import { definitionOf, formState, patchOf } from "../static/trigger_model.js";
import { triggerOf } from "./helpers/ui_fixtures.ts";

const query = (over: Partial<TriggerQuery>): TriggerQuery => ({ ...NO_QUERY, ...over });

Deno.test("routeOf() tells the list, a trigger's page and the logs apart", () => {
  assert.deepEqual(routeOf(""), { view: "triggers" });
  assert.deepEqual(routeOf("#/triggers?q=x"), { view: "triggers" });
  assert.deepEqual(routeOf("#/triggers/01ABC"), { view: "trigger", id: "01ABC" });
  assert.deepEqual(routeOf("#/logs?tab=archived"), { view: "logs" });
  assert.deepEqual(routeOf("#/nonsense"), { view: "triggers" });
});

Deno.test("the triggers query survives the URL, and a plain visit stays #/triggers", () => {
  const q = query({
    q: "night",
    tags: ["billing", "eu"],
    status: "paused",
    sort: "name",
    order: "desc",
  });
  const hash = hashOfQuery(q);
  assert.equal(hash, "#/triggers?q=night&tag=billing&tag=eu&status=paused&sort=name&order=desc");
  assert.deepEqual(queryFromHash(hash), q);
  assert.equal(hashOfQuery(NO_QUERY), "#/triggers");
  // Unknown values fall back to the defaults instead of reaching the API.
  assert.deepEqual(queryFromHash("#/triggers?sort=bogus&status=x&order=up&type=y"), NO_QUERY);
});

Deno.test("listQuery() and bulkFilter() send only what is set", () => {
  const q = query({ q: " pay ", tags: ["a"], type: "api" });
  assert.deepEqual(listQuery(q), { q: "pay", tag: ["a"], type: "api" });
  assert.deepEqual(listQuery({ ...q, order: "desc" }), {
    sort: "createdAt",
    order: "desc",
    q: "pay",
    tag: ["a"],
    type: "api",
  });
  assert.deepEqual(bulkFilter(q), { q: "pay", tag: ["a"], type: "api" });
  assert.deepEqual(bulkFilter(NO_QUERY), {});
});

Deno.test("parseTags() splits on commas and spaces, lowercases, and names refused tags", () => {
  assert.deepEqual(parseTags("Billing, nightly  eu/west billing"), {
    tags: ["billing", "nightly", "eu/west"],
    invalid: [],
  });
  assert.deepEqual(parseTags("ok, bad!tag"), { tags: ["ok"], invalid: ["bad!tag"] });
  assert.deepEqual(parseTags("x".repeat(65)).invalid.length, 1);
});

Deno.test("matchesQuery() follows the server's rules", () => {
  const t = triggerOf({ name: "Nightly-Report", tags: ["a", "b"], status: "paused" });
  assert.equal(matchesQuery(t, query({ q: "ly-rep" })), true);
  assert.equal(matchesQuery(t, query({ tags: ["a", "b"] })), true);
  assert.equal(matchesQuery(t, query({ tags: ["a", "c"] })), false);
  assert.equal(matchesQuery(t, query({ status: "active" })), false);
  assert.equal(matchesQuery(t, query({ type: "api" })), false);
});

Deno.test("applyChange() places live trigger changes and keeps total exact", () => {
  const a = triggerOf({ id: "A", name: "alpha", version: 2 });
  const b = triggerOf({ id: "B", name: "beta" });
  const list: ListState = { items: [a, b], pinned: [], nextCursor: "c", total: 10 };
  const q = query({ q: "a" });
  // A new matching trigger is pinned on top and counted.
  const c = triggerOf({ id: "C", name: "gamma" });
  let r = applyChange(list, "created", c, q);
  assert.deepEqual(r.list.pinned.map((t) => t.id), ["C"]);
  assert.equal(r.list.total, 11);
  // The same creation again (the tab's own, then its event) changes nothing more.
  assert.equal(applyChange(r.list, "created", c, q).list.total, 11);
  // A creation outside the filter is not shown.
  assert.equal(applyChange(list, "created", triggerOf({ id: "D", name: "zzz" }), q).list, list);
  // An update in place; an older version never overwrites a newer one.
  r = applyChange(list, "updated", { ...a, status: "paused", version: 3 }, q);
  assert.equal(r.list.items[0].status, "paused");
  assert.equal(applyChange(list, "updated", { ...a, version: 1, name: "alpha-old" }, q).list, list);
  // An update that leaves the filter drops the row and the count.
  r = applyChange(list, "updated", { ...a, name: "zzz", version: 3 }, q);
  assert.deepEqual(r.list.items.map((t) => t.id), ["B"]);
  assert.equal(r.list.total, 9);
  // A deletion of a loaded row; of an unloaded one, only a reload can say (unplaced).
  assert.equal(applyChange(list, "deleted", b, q).list.total, 9);
  assert.equal(applyChange(list, "deleted", c, q).unplaced, true);
});

Deno.test("histogramQuery() asks for whole buckets ending with the current one, <= 2,000", () => {
  const now = Date.parse("2026-11-29T10:07:30.000Z");
  const q = histogramQuery("1h", now, "T1");
  assert.deepEqual(q, {
    bucket: "1m",
    since: "2026-11-29T09:08:00.000Z",
    until: "2026-11-29T10:08:00.000Z",
    trigger: "T1",
  });
  for (const r of Object.values(RANGES)) assert.ok(r.ms / r.bucketMs <= 2000);
  assert.equal(histogramQuery("24h", now).bucket, "5m");
});

Deno.test("countLive() adds a firing to its bucket and totals() sums them", () => {
  const b = (start: string, count = 0) => ({ start, count, ok: count, pending: 0, failed: 0 });
  const buckets = [b("2026-11-29T10:00:00.000Z", 2), b("2026-11-29T10:01:00.000Z")];
  const next = countLive(buckets, 60_000, Date.parse("2026-11-29T10:01:10.000Z"), "failed");
  assert.deepEqual(next[1], { ...b("2026-11-29T10:01:00.000Z"), count: 1, failed: 1 });
  assert.deepEqual(totals(next), { total: 3, peak: 2, failed: 1 });
  // Past the window: left for the next reload.
  assert.equal(countLive(buckets, 60_000, Date.parse("2026-11-29T10:02:00.000Z"), "ok"), buckets);
});

Deno.test("cliFor() quotes the name and payload for a shell", () => {
  assert.equal(
    cliFor("deploy-hook", { ref: "main" }),
    `tock triggers fire deploy-hook --payload '{"ref":"main"}'`,
  );
  assert.equal(cliFor("it's", {}), `tock triggers fire 'it'\\''s' --payload '{}'`);
});

Deno.test("the form sends tags only when there are or were some, and checks them", () => {
  const plain = definitionOf(formState(null));
  assert.equal(plain.def && "tags" in plain.def, false);
  const tagged = definitionOf({ ...formState(null), name: "x", tags: "billing, eu" });
  assert.deepEqual(tagged.def?.tags, ["billing", "eu"]);
  const bad = definitionOf({ ...formState(null), name: "x", tags: "Bad Tag!" });
  assert.match(bad.errors?.tags ?? "", /Tag!/);
  // Clearing every tag of a tagged trigger sends [] in the patch.
  const t = triggerOf({ tags: ["a"] });
  const original = definitionOf(formState(t)).def!;
  const cleared = definitionOf({ ...formState(t), tags: "" }).def!;
  assert.deepEqual(patchOf(original, cleared), { tags: [] });
});

Deno.test("markFresh() keeps only the newest marks", () => {
  let ids = new Set<string>();
  for (let i = 0; i < 10; i++) ids = markFresh(ids, `e${i}`, 3);
  assert.deepEqual([...ids], ["e7", "e8", "e9"]);
});
