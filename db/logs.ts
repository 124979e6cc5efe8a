/** Execution log entries: writes (composed into callers' commits), reads and listings. */
import type { Config } from "../config.ts";
import type { LogEntry, LogListQuery, StoredLog } from "../schemas.ts";
import { NotFoundError, ValidationError } from "../errors.ts";
import { type CounterId, keys } from "./keys.ts";
import { getManyChunked, KV_ONE } from "./kv.ts";
import { isUlid, ulidFloor } from "./ulid.ts";

type Windows = Pick<Config, "activeRetentionMs" | "archiveRetentionMs">;

/** The counter a log entry counts under: its trigger, or "test" for test firings. */
export function counterOf(log: Pick<StoredLog, "triggerId">): CounterId {
  return log.triggerId ?? "test";
}

/** Deadline after which KV may drop an entry by itself; the sweep normally deletes it first. */
export function backstopMs(w: Windows): number {
  return 2 * (w.activeRetentionMs + w.archiveRetentionMs) + 3600_000;
}

/**
 * Adds the writes of one new log entry to `op`: the entry, its indexes and its counter.
 * The caller commits them together with whatever caused the firing.
 */
export function addLogWrites(op: Deno.AtomicOperation, log: StoredLog, w: Windows): void {
  const expireIn = backstopMs(w);
  op.set(keys.log(log.id), log, { expireIn });
  if (log.triggerId !== null) {
    op.set(keys.logByTrigger(log.triggerId, log.id), log.id, { expireIn });
  }
  op.set(keys.logByName(log.triggerName, log.id), log.id, { expireIn });
  op.sum(keys.logCount(counterOf(log)), KV_ONE.value);
  op.set(keys.logCounterName(counterOf(log)), log.triggerName);
}

/** Derives the retention state at `nowMs`, or null once the entry is past retention. */
export function stateAt(
  firedAtMs: number,
  nowMs: number,
  w: Windows,
): "active" | "archived" | null {
  const age = nowMs - firedAtMs;
  if (age < w.activeRetentionMs) return "active";
  if (age < w.activeRetentionMs + w.archiveRetentionMs) return "archived";
  return null;
}

/** The API view of a stored entry at `nowMs`; null when past retention. */
export function toLogView(log: StoredLog, nowMs: number, w: Windows): LogEntry | null {
  const state = stateAt(Date.parse(log.firedAt), nowMs, w);
  return state === null ? null : { ...log, state };
}

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

/** The raw stored entry with its versionstamp, for updates (delivery outcome). */
export function getStoredLog(kv: Deno.Kv, id: string): Promise<Deno.KvEntryMaybe<StoredLog>> {
  return kv.get<StoredLog>(keys.log(id));
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
  resolveTrigger: (ref: string) => Promise<{ prefix: Deno.KvKey }>,
): Promise<{ items: LogEntry[]; nextCursor: string | null }> {
  let low = nowMs - w.activeRetentionMs - w.archiveRetentionMs + 1; // first ms still retained
  let high = nowMs + 60_000; // first ms excluded (a little ahead for clock skew between instances)
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

  const prefix = q.trigger === undefined
    ? keys.logsPrefix()
    : (await resolveTrigger(q.trigger)).prefix;
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
      pendingIds.push(entry.value as string);
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
