/**
 * Searching, sorting and paging triggers over the indexes of db/trigger_index.ts.
 *
 * Two ways to answer, chosen by the query:
 * - walk: without `q` or `tag`, an index already in the requested order is read from the
 *   cursor on (ids for creation, `trigger_names` for name, the due index merged with paused
 *   ones and then `trig_no_next` for nextRunAt); status and type filter the records read, and
 *   `total` sums the per-status-and-type counters. One call reads at most WALK_BUDGET index
 *   entries: a rare filter answers a short page with a cursor rather than reading everything.
 * - materialise: with `q` (names), `tag` (the rarest tag's index, or the names when fewer), or
 *   sort=lastRunAt (last-run times), the matching set is built in memory and the first page
 *   after the cursor selected from it; `total` is its size. Names and last runs come from the
 *   per-instance catalog (db/trigger_catalog.ts). Only while that reads at most
 *   MATERIALISE_MAX entries from KV (tag index entries plus records to check): beyond, the
 *   order is walked as above (by last run: the catalog's order), every filter checked on the
 *   records, and `total` is exact only when one counter or the names give it (a lone tag, a
 *   lone `q`), else null: counting would read every candidate.
 * The cursor is the last item's sort value and id (keyset paging), so triggers created,
 * changed or deleted elsewhere never shift later pages.
 */
import type { TriggerRecord } from "../core/schemas.ts";
import { keys } from "./keys.ts";
import { getManyChunked, signed } from "./kv.ts";
import { viewNextOf } from "./trigger_index.ts";
import { type Filter, type ListQuery, matches, type Sort } from "./trigger_filter.ts";
import { recordsOf, walk, WALK_BUDGET } from "./trigger_walk.ts";
import { type CatalogEntry, catalogOf, scanCatalog } from "./trigger_catalog.ts";
import {
  decodeCursor,
  eachItem,
  encodeCursor,
  firstAfter,
  type Item,
  itemCompare,
} from "./trigger_cursor.ts";

/**
 * Most KV entries (a tag's index entries, candidates' records) a listing reads to build its
 * matching set; a query that would read more walks its order instead, WALK_BUDGET at a time.
 */
export const MATERIALISE_MAX = 5_000;

/** The sort value of a record (null sorts last in either order). */
function valueOf(rec: TriggerRecord, sort: Sort, last: (id: string) => number): Item["v"] {
  if (sort === "name") return rec.name;
  if (sort === "nextRunAt") return viewNextOf(rec);
  if (sort === "lastRunAt") return last(rec.id) || null;
  return null;
}

/** Lists triggers matching `q` in its order, a page after its cursor, with the total. */
export async function queryTriggers(
  kv: Deno.Kv,
  q: ListQuery,
): Promise<{ items: TriggerRecord[]; nextCursor: string | null; total: number | null }> {
  const after = q.cursor === undefined ? null : decodeCursor(q.cursor, q.sort, q.order);
  if (q.name !== undefined) {
    const id = (await kv.get<string>(keys.triggerName(q.name))).value;
    const rec = id ? (await kv.get<TriggerRecord>(keys.trigger(id))).value : null;
    const items = rec && matches(rec, q) && after === null ? [rec] : [];
    return { items, nextCursor: null, total: rec && matches(rec, q) ? 1 : 0 };
  }
  if (q.q || q.tag?.length || q.sort === "lastRunAt") {
    const p = await plan(kv, q);
    if (p.cost > MATERIALISE_MAX) {
      // Too much to read per call: walk the order a bounded slice at a time instead.
      const source = q.sort === "lastRunAt" ? lastRunOrder(p, q, after) : undefined;
      return { ...(await walk(kv, q, after, source)), total: p.total };
    }
    const { each, size } = await materialise(kv, q, p);
    const firsts = firstAfter(each, itemCompare(q.order), after, q.limit + 1);
    const page = firsts.slice(0, q.limit);
    const recs = await recordsOf(kv, page);
    const more = firsts.length > q.limit;
    return {
      items: recs,
      nextCursor: more ? encodeCursor(q.sort, q.order, page[page.length - 1]) : null,
      total: size,
    };
  }
  const [page, total] = await Promise.all([walk(kv, q, after), countByFacets(kv, q)]);
  return { ...page, total };
}

/** Every id matching `f` (for bulk actions), in creation order, at most `max` + 1. */
export async function matchingIds(kv: Deno.Kv, f: Filter, max: number): Promise<string[]> {
  const q: ListQuery = { ...f, sort: "createdAt", order: "asc", limit: max + 1 };
  if (q.q || q.tag?.length) {
    const p = await plan(kv, q);
    if (p.cost <= MATERIALISE_MAX) {
      const { each } = await materialise(kv, q, p);
      return firstAfter(each, itemCompare("asc"), null, max + 1).map((i) => i.id);
    }
  }
  const out: string[] = [];
  let cursor: Item | null = null;
  do {
    const page = await walk(kv, { ...q, limit: max + 1 - out.length }, cursor);
    out.push(...page.items.map((r) => r.id));
    cursor = page.last;
  } while (cursor && out.length <= max);
  return out;
}

/** How many triggers the store holds, from the status-and-type counters. */
export function countStoredTriggers(kv: Deno.Kv): Promise<number> {
  return countByFacets(kv, {});
}

/** Exact total from the status-and-type counters (no q, no tag). */
async function countByFacets(kv: Deno.Kv, f: Filter): Promise<number> {
  let n = 0;
  for await (const e of kv.list<Deno.KvU64>({ prefix: keys.triggerCountPrefix() })) {
    const [, status, type] = e.key as [string, string, string];
    if ((!f.status || f.status === status) && (!f.type || f.type === type)) n += signed(e.value);
  }
  return n;
}

/** How a `q`, `tag` or sort=lastRunAt query's matching set would be built, before reading it. */
interface Plan {
  cat?: ReadonlyMap<string, CatalogEntry>;
  /** id -> name of the triggers whose name contains `q`. */
  names?: Map<string, string>;
  /** The tag whose index gives the candidates (the rarest, unless `names` are fewer). */
  tag?: string;
  /** Whether the candidates' records must be read (a filter or the order is on them). */
  needRecords: boolean;
  /** KV entries building the set reads: the tag's index entries, then records. */
  cost: number;
  /** How many match, when one counter or the names say so exactly; else null. */
  total: number | null;
}

async function plan(kv: Deno.Kv, q: ListQuery): Promise<Plan> {
  const cat = (q.q || q.sort === "lastRunAt")
    ? await (catalogOf(kv)?.entries() ?? scanCatalog(kv))
    : undefined;
  const names = q.q ? namesIn(cat!, q.q) : undefined;
  const rarest = q.tag?.length ? await rarestTag(kv, q.tag) : undefined;
  const byTag = rarest !== undefined && (names === undefined || rarest.count <= names.size);
  const tagsOnRecord = new Set(q.tag ?? []).size - (byTag ? 1 : 0);
  // Records are needed to filter (status, type, further tags) and for the name and next orders
  // unless the name scan already gave the names.
  const needRecords = q.status !== undefined || q.type !== undefined || tagsOnRecord > 0 ||
    q.sort === "nextRunAt" || (q.sort === "name" && !q.q);
  const candidates = byTag ? rarest!.count : names ? names.size : cat!.size;
  // Exact without reading candidates: a lone tag (its counter) or a lone q (the names).
  const facets = q.status !== undefined || q.type !== undefined;
  const total = facets
    ? null
    : rarest && !names && new Set(q.tag).size === 1
    ? rarest.count
    : names && !rarest
    ? names.size
    : null;
  return {
    cat,
    names,
    tag: byTag ? rarest!.tag : undefined,
    needRecords,
    cost: (byTag ? candidates : 0) + (needRecords ? candidates : 0),
    total,
  };
}

/** The first positions after `after` by last run, from the catalog: a walk's source. */
function lastRunOrder(p: Plan, q: ListQuery, after: Item | null): Item[] {
  const cat = p.cat!;
  const ids = p.names ? p.names.keys() : cat.keys();
  const each: Parameters<typeof firstAfter>[0] = (visit) => {
    for (const id of ids) visit(id, cat.get(id)?.last || null);
  };
  return firstAfter(each, itemCompare(q.order), after, WALK_BUDGET + 1);
}

/** The matching set: `each` visits every item (for firstAfter), `size` is how many. */
type Matching = { each: Parameters<typeof firstAfter>[0]; size: number };

/**
 * The whole matching set as items with their sort values, unordered (records attached where
 * they were read). Names and last runs come from the instance's catalog when it has one
 * (db/trigger_catalog.ts); a KV handle without one (not built by createDeps) scans per query.
 */
async function materialise(kv: Deno.Kv, q: ListQuery, p: Plan): Promise<Matching> {
  const { cat, names } = p;
  let ids: string[] | null = p.tag === undefined ? null : await tagIds(kv, p.tag);
  if (names) ids = ids ? ids.filter((id) => names.has(id)) : [...names.keys()];
  let lastOf = (_id: string) => 0;
  if (q.sort === "lastRunAt") {
    // Every trigger, nothing else to filter: the items straight from the catalog, one pass.
    if (ids === null && !p.needRecords) {
      const all = cat!;
      return { each: (visit) => all.forEach((e, id) => visit(id, e.last || null)), size: all.size };
    }
    ids ??= [...cat!.keys()];
    lastOf = (id) => cat!.get(id)?.last ?? 0;
  }
  let items: Item[] = ids!.map((id) => ({ id, v: null }));
  if (p.needRecords) {
    await recordsOf(kv, items);
    items = items.filter((it) => it.rec && matches(it.rec, q));
  }
  for (const it of items) {
    it.v = it.rec
      ? valueOf(it.rec, q.sort, lastOf)
      : q.sort === "name"
      ? names!.get(it.id)!
      : q.sort === "lastRunAt"
      ? lastOf(it.id) || null
      : null;
  }
  return { each: eachItem(items), size: items.length };
}

/** id -> name of every catalogued trigger whose name contains `sub` (ignoring case). */
function namesIn(cat: ReadonlyMap<string, CatalogEntry>, sub: string): Map<string, string> {
  const needle = sub.toLowerCase();
  const out = new Map<string, string>();
  for (const [id, e] of cat) if (e.lower.includes(needle)) out.set(id, e.name);
  return out;
}

/** The rarest of `tags` and how many triggers carry it (exact: a counter). */
async function rarestTag(kv: Deno.Kv, tags: string[]): Promise<{ tag: string; count: number }> {
  const counts = await getManyChunked<Deno.KvU64>(kv, tags.map(keys.triggerTagCount));
  let best = 0;
  counts.forEach((c, i) => {
    if (signed(c.value ?? undefined) < signed(counts[best].value ?? undefined)) best = i;
  });
  return { tag: tags[best], count: signed(counts[best].value ?? undefined) };
}

/** Ids carrying `tag`. */
async function tagIds(kv: Deno.Kv, tag: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const e of kv.list<string>({ prefix: keys.triggerTagPrefix(tag) })) {
    ids.push(e.key[2] as string);
  }
  return ids;
}
