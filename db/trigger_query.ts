/**
 * Searching, sorting and paging triggers over the indexes of db/trigger_index.ts.
 *
 * Two ways to answer, chosen by the query:
 * - walk: without `q` or `tag`, an index already in the requested order is read from the
 *   cursor on (ids for creation, `trigger_names` for name, the due index merged with paused
 *   ones and then `trig_no_next` for nextRunAt); status and type filter the records read, and
 *   `total` sums the per-status-and-type counters. One call reads at most WALK_BUDGET index
 *   entries: a rare filter answers a short page with a cursor rather than reading everything.
 * - materialise: with `q` (names), `tag` (the rarest tag's index), or sort=lastRunAt (last-run
 *   times), the matching set is built in memory and the first page after the cursor selected
 *   from it; `total` is its size. Names and last runs come from the per-instance catalog
 *   (db/trigger_catalog.ts).
 * The cursor is the last item's sort value and id (keyset paging), so triggers created,
 * changed or deleted elsewhere never shift later pages.
 */
import type { TriggerListQuery } from "../core/request_schemas.ts";
import type { TriggerRecord } from "../core/schemas.ts";
import { keys } from "./keys.ts";
import { getManyChunked, signed } from "./kv.ts";
import { tagsOf, viewNextOf } from "./trigger_index.ts";
import { type CatalogEntry, catalogOf, scanCatalog } from "./trigger_catalog.ts";
import {
  decodeCursor,
  eachItem,
  encodeCursor,
  firstAfter,
  type Item,
  itemCompare,
} from "./trigger_cursor.ts";

/** Index entries one walk call reads at most before answering a short page. */
export const WALK_BUDGET = 2_000;

type Sort = TriggerListQuery["sort"];
/** The filters of a listing or a bulk action. */
export type Filter = Pick<TriggerListQuery, "q" | "tag" | "type" | "status" | "name">;
/** A listing query as db/ takes it (defaults applied). */
export type ListQuery = Filter & Pick<TriggerListQuery, "sort" | "order" | "limit" | "cursor">;

/** True when `rec` passes every filter (the name substring ignores case). */
export function matches(rec: TriggerRecord, f: Filter): boolean {
  if (f.type && rec.type !== f.type) return false;
  if (f.status && rec.status !== f.status) return false;
  if (f.name !== undefined && rec.name !== f.name) return false;
  if (f.q && !rec.name.toLowerCase().includes(f.q.toLowerCase())) return false;
  if (f.tag?.length) {
    const have = new Set(tagsOf(rec));
    if (!f.tag.every((t) => have.has(t))) return false;
  }
  return true;
}

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
): Promise<{ items: TriggerRecord[]; nextCursor: string | null; total: number }> {
  const after = q.cursor === undefined ? null : decodeCursor(q.cursor, q.sort, q.order);
  if (q.name !== undefined) {
    const id = (await kv.get<string>(keys.triggerName(q.name))).value;
    const rec = id ? (await kv.get<TriggerRecord>(keys.trigger(id))).value : null;
    const items = rec && matches(rec, q) && after === null ? [rec] : [];
    return { items, nextCursor: null, total: rec && matches(rec, q) ? 1 : 0 };
  }
  if (q.q || q.tag?.length || q.sort === "lastRunAt") {
    const { each, size } = await materialise(kv, q);
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
    const { each } = await materialise(kv, q);
    return firstAfter(each, itemCompare("asc"), null, max + 1).map((i) => i.id);
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

/** Records of `items` in order, skipping any deleted since they were found. */
async function recordsOf(kv: Deno.Kv, items: Item[]): Promise<TriggerRecord[]> {
  const missing = items.filter((it) => !it.rec);
  const read = await getManyChunked<TriggerRecord>(kv, missing.map((it) => keys.trigger(it.id)));
  missing.forEach((it, i) => (it.rec = read[i].value ?? undefined));
  return items.flatMap((it) => (it.rec ? [it.rec] : []));
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

/** The matching set: `each` visits every item (for firstAfter), `size` is how many. */
type Matching = { each: Parameters<typeof firstAfter>[0]; size: number };

/**
 * The whole matching set as items with their sort values, unordered (records attached where
 * they were read). Names and last runs come from the instance's catalog when it has one
 * (db/trigger_catalog.ts); a KV handle without one (not built by createDeps) scans per query.
 */
async function materialise(kv: Deno.Kv, q: ListQuery): Promise<Matching> {
  const cat = (q.q || q.sort === "lastRunAt")
    ? await (catalogOf(kv)?.entries() ?? scanCatalog(kv))
    : undefined;
  let ids: string[] | null = null;
  let names = new Map<string, string>();
  if (q.tag?.length) ids = await rarestTagIds(kv, q.tag);
  if (q.q) {
    names = namesIn(cat!, q.q);
    ids = ids ? ids.filter((id) => names.has(id)) : [...names.keys()];
  }
  let lastOf = (_id: string) => 0;
  if (q.sort === "lastRunAt") {
    // Every trigger, nothing else to filter: the items straight from the catalog, one pass.
    if (ids === null && q.status === undefined && q.type === undefined) {
      const all = cat!;
      return { each: (visit) => all.forEach((e, id) => visit(id, e.last || null)), size: all.size };
    }
    ids ??= [...cat!.keys()];
    lastOf = (id) => cat!.get(id)?.last ?? 0;
  }
  // Records are needed to filter (status, type, further tags) and for the name and next orders
  // unless the name scan already gave the names.
  const needRecords = q.status !== undefined || q.type !== undefined || (q.tag?.length ?? 0) > 1 ||
    q.sort === "nextRunAt" || (q.sort === "name" && !q.q);
  let items: Item[] = ids!.map((id) => ({ id, v: null }));
  if (needRecords) {
    await recordsOf(kv, items);
    items = items.filter((it) => it.rec && matches(it.rec, q));
  }
  for (const it of items) {
    it.v = it.rec
      ? valueOf(it.rec, q.sort, lastOf)
      : q.sort === "name"
      ? names.get(it.id)!
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

/** Ids carrying the rarest of `tags` (the others are checked on the records). */
async function rarestTagIds(kv: Deno.Kv, tags: string[]): Promise<string[]> {
  const counts = await getManyChunked<Deno.KvU64>(kv, tags.map(keys.triggerTagCount));
  let best = 0;
  counts.forEach((c, i) => {
    if (signed(c.value ?? undefined) < signed(counts[best].value ?? undefined)) best = i;
  });
  const ids: string[] = [];
  for await (const e of kv.list<string>({ prefix: keys.triggerTagPrefix(tags[best]) })) {
    ids.push(e.key[2] as string);
  }
  return ids;
}

/**
 * One page by walking an ordered index from `after`; `last` is the position to go on from
 * (null when the index is exhausted), also when the budget ran out before a full page.
 */
async function walk(
  kv: Deno.Kv,
  q: ListQuery,
  after: Item | null,
): Promise<{ items: TriggerRecord[]; nextCursor: string | null; last: Item | null }> {
  const found: Item[] = [];
  let scanned = 0;
  let chunk: Item[] = [];
  let lastSeen: Item | null = null;
  const flush = async () => {
    await recordsOf(kv, chunk);
    for (const it of chunk) if (it.rec && matches(it.rec, q)) found.push(it);
    chunk = [];
  };
  let exhausted = true;
  for await (const it of ordered(kv, q.sort, q.order, after)) {
    chunk.push(it);
    lastSeen = it;
    if (chunk.length >= Math.min(200, q.limit + 1 - found.length)) await flush();
    if (found.length > q.limit || ++scanned >= WALK_BUDGET) {
      exhausted = false;
      break;
    }
  }
  await flush();
  const page = found.slice(0, q.limit);
  const full = found.length > q.limit;
  const resume = full ? page[page.length - 1] : exhausted ? null : lastSeen;
  return {
    items: page.map((it) => it.rec!),
    nextCursor: resume ? encodeCursor(q.sort, q.order, resume) : null,
    last: resume,
  };
}

/** Index positions after `after` in the requested order (records attached where stored). */
async function* ordered(
  kv: Deno.Kv,
  sort: Sort,
  order: "asc" | "desc",
  after: Item | null,
): AsyncGenerator<Item> {
  const reverse = order === "desc";
  const range = (prefix: Deno.KvKey, from: Deno.KvKey | null) =>
    from === null
      ? { prefix }
      : reverse
      ? { prefix, end: [...prefix, ...from] }
      : { prefix, start: [...prefix, ...from, ""] };
  const opts = { reverse, batchSize: 200 };
  if (sort === "createdAt") {
    const from = after ? [after.id] : null;
    for await (const e of kv.list<TriggerRecord>(range(keys.triggersPrefix(), from), opts)) {
      yield { id: e.value.id, v: null, rec: e.value };
    }
    return;
  }
  if (sort === "name") {
    const from = after ? [after.v as string] : null;
    for await (const e of kv.list<string>(range(keys.triggerNamesPrefix(), from), opts)) {
      yield { id: e.value, v: e.key[1] as string };
    }
    return;
  }
  // nextRunAt: the due index (active) merged with the paused index, then those without.
  if (after === null || after.v !== null) {
    const from = after ? [after.v as number, after.id] : null;
    const a = kv.list<string>(range(keys.duePrefix(), from), opts);
    const b = kv.list<string>(range(keys.pausedNextPrefix(), from), opts);
    const timed = (e: Deno.KvEntry<string>): Item => ({ id: e.value, v: e.key[1] as number });
    yield* merge(a, b, timed, itemCompare(order));
  }
  const from = after && after.v === null ? [after.id] : null;
  for await (const e of kv.list<string>(range(keys.noNextPrefix(), from), opts)) {
    yield { id: e.value, v: null };
  }
}

/** Two ordered streams as one, in `cmp` order. */
async function* merge<T>(
  a: AsyncIterator<T>,
  b: AsyncIterator<T>,
  toItem: (x: T) => Item,
  cmp: (x: Item, y: Item) => number,
): AsyncGenerator<Item> {
  let x = await a.next();
  let y = await b.next();
  while (!x.done || !y.done) {
    if (y.done || (!x.done && cmp(toItem(x.value), toItem(y.value)) <= 0)) {
      yield toItem(x.value as T);
      x = await a.next();
    } else {
      yield toItem(y.value);
      y = await b.next();
    }
  }
}
