/**
 * Walking a trigger listing's order a bounded slice at a time (db/trigger_query.ts): index
 * entries are read from the cursor on, their records checked against every filter, and the
 * call answers a page, or a short page with a cursor once it has read WALK_BUDGET entries.
 */
import type { TriggerRecord } from "../core/schemas.ts";
import { keys } from "./keys.ts";
import { getManyChunked } from "./kv.ts";
import { encodeCursor, type Item, itemCompare } from "./trigger_cursor.ts";
import { type ListQuery, matches, type Sort } from "./trigger_filter.ts";

/** Index entries one walk call reads at most before answering a short page. */
export const WALK_BUDGET = 2_000;

/** Records of `items` in order, skipping any deleted since they were found. */
export async function recordsOf(kv: Deno.Kv, items: Item[]): Promise<TriggerRecord[]> {
  const missing = items.filter((it) => !it.rec);
  const read = await getManyChunked<TriggerRecord>(kv, missing.map((it) => keys.trigger(it.id)));
  missing.forEach((it, i) => (it.rec = read[i].value ?? undefined));
  return items.flatMap((it) => (it.rec ? [it.rec] : []));
}

/**
 * One page by walking an ordered index from `after` (or `source`, positions after it in the
 * same order); `last` is the position to go on from (null when the index is exhausted), also
 * when the budget ran out before a full page.
 */
export async function walk(
  kv: Deno.Kv,
  q: ListQuery,
  after: Item | null,
  source: AsyncIterable<Item> | Iterable<Item> = ordered(kv, q.sort, q.order, after),
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
  for await (const it of source) {
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
