/** Reading the execution log: one entry, filtered pages newest first, the SSE replay scan. */
import type { LogEntry, StoredLog } from "../core/schemas.ts";
import type { LogListQuery } from "../core/request_schemas.ts";
import { NotFoundError, ValidationError } from "../core/errors.ts";
import { keys } from "./keys.ts";
import { getManyChunked } from "./kv.ts";
import { FUTURE_SLACK_MS, listedBefore, retentionBounds, toLogView } from "../core/log_view.ts";
import type { Windows } from "./log_writes.ts";
import { idByName } from "./triggers.ts";
import { keySize } from "./group_commit_ops.ts";
import { isUlid, ulidFloor } from "../core/ulid.ts";

/** One entry by id; NotFoundError when unknown or past retention. */
export async function getLog(
  kv: Deno.Kv,
  id: string,
  nowMs: number,
  w: Windows,
): Promise<LogEntry> {
  const entry = isUlid(id) ? await kv.get<StoredLog>(keys.log(id)) : null;
  const view = entry?.value ? toLogView(entry.value, nowMs, w) : null;
  if (!view) throw new NotFoundError(`No log entry with id "${id}"`);
  return view;
}

/** How many index keys one listing call reads at most before answering with a cursor. */
const SCAN_BUDGET = 5_000;

/**
 * Lists entries newest first. Time filters (retention, state, since, until) become key ranges
 * over ULIDs; source and outcome filter while scanning. The cursor is the last id returned, so
 * entries fired after the first page never shift later pages (they sort before the cursor).
 */
export async function listLogs(
  kv: Deno.Kv,
  q: LogListQuery,
  nowMs: number,
  w: Windows,
): Promise<{ items: LogEntry[]; nextCursor: string | null }> {
  let low = nowMs - w.activeRetentionMs - w.archiveRetentionMs + 1; // first ms still retained
  let high = nowMs + FUTURE_SLACK_MS; // first ms excluded (see listedBefore)
  if (q.state === "active") low = Math.max(low, nowMs - w.activeRetentionMs + 1);
  if (q.state === "archived") high = Math.min(high, nowMs - w.activeRetentionMs + 1);
  if (q.since) low = Math.max(low, Date.parse(q.since));
  if (q.until) high = Math.min(high, Date.parse(q.until));
  if (q.cursor !== undefined && !isUlid(q.cursor)) {
    throw new ValidationError("Invalid cursor", [{
      path: "cursor",
      message: "Not a cursor from this API",
    }]);
  }
  if (low >= high) return { items: [], nextCursor: null };

  const prefix = q.trigger === undefined ? keys.logsPrefix() : await triggerLogIndex(kv, q.trigger);
  const byIndex = q.trigger !== undefined;
  let end: Deno.KvKey = [...prefix, ulidFloor(high)];
  if (q.cursor !== undefined && q.cursor < ulidFloor(high)) end = [...prefix, q.cursor];
  const start: Deno.KvKey = [...prefix, ulidFloor(low)];

  const items: LogEntry[] = [];
  let scanned = 0;
  let lastId: string | null = null;
  const iter = kv.list<StoredLog | string>({ start, end }, {
    reverse: true,
    batchSize: Math.min(500, q.limit + 1),
  });
  let pendingIds: string[] = [];
  const flush = async () => {
    const entries = await getManyChunked<StoredLog>(kv, pendingIds.map((id) => keys.log(id)));
    pendingIds = [];
    for (const e of entries) if (e.value) accept(e.value);
  };
  const accept = (log: StoredLog) => {
    if (items.length >= q.limit) return;
    if (q.source && log.source !== q.source) return;
    if (q.outcome && log.outcome !== q.outcome) return;
    const view = toLogView(log, nowMs, w);
    if (view) items.push(view);
    lastIdReturned = log.id;
  };
  let lastIdReturned: string | null = null;
  let exhausted = true;
  for await (const entry of iter) {
    lastId = entry.key[entry.key.length - 1] as string;
    if (byIndex) {
      // The id is the key's last part (index values were the id before; now they are null).
      pendingIds.push(lastId);
      if (pendingIds.length >= q.limit - items.length) await flush();
    } else {
      accept(entry.value as StoredLog);
    }
    if (items.length >= q.limit) {
      exhausted = false;
      break;
    }
    if (++scanned >= SCAN_BUDGET) {
      // Filters matched little: answer what we have and let the client continue from here.
      if (byIndex) await flush();
      exhausted = false;
      lastIdReturned = lastId;
      break;
    }
  }
  if (byIndex && pendingIds.length) await flush();
  if (exhausted) return { items, nextCursor: null };
  // Only offer a next page if something older remains.
  const more = lastIdReturned !== null &&
    (await kv.list({ start, end: [...prefix, lastIdReturned] }, { reverse: true, limit: 1 }).next())
        .done === false;
  return { items, nextCursor: more ? lastIdReturned : null };
}

/**
 * The index to scan for `?trigger=`: a live trigger's name or any trigger id (deleted ones
 * too) scans that trigger's entries; any other string scans entries fired under that name, so
 * the logs of a deleted trigger stay findable by name until retention ends.
 */
async function triggerLogIndex(kv: Deno.Kv, ref: string): Promise<Deno.KvKey> {
  // KV refuses keys over 2 KiB; no trigger name is that long.
  if (keySize(keys.logsByNamePrefix(ref)) > 2000) {
    throw new ValidationError("Invalid trigger", [{ path: "trigger", message: "Too long" }]);
  }
  const id = await idByName(kv, ref);
  if (id !== null) return keys.logsByTriggerPrefix(id);
  if (isUlid(ref)) return keys.logsByTriggerPrefix(ref);
  return keys.logsByNamePrefix(ref);
}

/** Most entries (index entries, when narrowed to a trigger) one replay reads. */
export const REPLAY_MAX = 10_000;

/** What a replay yields: entries, oldest first, then where it stopped if it hit its bound. */
export type Replayed = { log: StoredLog } | { pausedAt: string };

/**
 * Entries with ids after `afterId` still retained at `nowMs`, oldest first: the replay of an
 * event stream reconnecting with `Last-Event-ID`. Read lazily, so the caller sets the pace.
 * With `trigger` (an id or a name, at most a name's length: routes/events.ts checks), only that
 * trigger's entries, read through its log indexes.
 * After `max` entries read (matching or not), yields `{ pausedAt }`, the last id read, and
 * ends: a replay never reads more than that, however far behind the client is.
 */
export async function* logsAfter(
  kv: Deno.Kv,
  afterId: string,
  nowMs: number,
  w: Windows,
  trigger: string | null = null,
  max = REPLAY_MAX,
): AsyncGenerator<Replayed> {
  const { retainedFrom } = retentionBounds(nowMs, w);
  const from = afterId + "\0" > retainedFrom ? afterId + "\0" : retainedFrom;
  const to = listedBefore(nowMs);
  let read = 0;
  if (trigger === null) {
    const prefix = keys.logsPrefix();
    const iter = kv.list<StoredLog>({ start: [...prefix, from], end: [...prefix, to] }, {
      batchSize: 200,
    });
    for await (const e of iter) {
      yield { log: e.value };
      if (++read >= max) {
        yield { pausedAt: e.value.id };
        return;
      }
    }
    return;
  }
  // The entries of a trigger id and those carrying the name, merged in id order.
  const range = (prefix: Deno.KvKey) => ({ start: [...prefix, from], end: [...prefix, to] });
  const byId = isUlid(trigger)
    ? kv.list<null>(range(keys.logsByTriggerPrefix(trigger)), { batchSize: 200 })
    : null;
  const byName = kv.list<null>(range(keys.logsByNamePrefix(trigger)), { batchSize: 200 });
  let ids: string[] = [];
  const flush = async function* () {
    const got = await getManyChunked<StoredLog>(kv, ids.map((id) => keys.log(id)));
    ids = [];
    for (const e of got) if (e.value) yield { log: e.value };
  };
  for await (const id of mergeIds(byId, byName)) {
    ids.push(id);
    if (++read >= max) {
      yield* flush();
      yield { pausedAt: id };
      return;
    }
    if (ids.length >= 100) yield* flush();
  }
  yield* flush();
}

/** The log ids (last key part) of two index listings, merged in order, each id once. */
async function* mergeIds(
  a: Deno.KvListIterator<null> | null,
  b: Deno.KvListIterator<null>,
): AsyncGenerator<string> {
  const idOf = (r: IteratorResult<Deno.KvEntry<null>>) =>
    r.done ? null : r.value.key[r.value.key.length - 1] as string;
  let x = a ? idOf(await a.next()) : null;
  let y = idOf(await b.next());
  while (x !== null || y !== null) {
    if (y === null || (x !== null && x <= y)) {
      yield x!;
      if (x === y) y = idOf(await b.next());
      x = idOf(await a!.next());
    } else {
      yield y;
      y = idOf(await b.next());
    }
  }
}
