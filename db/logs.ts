/** Execution log entries: writes (composed into callers' commits), reads and listings. */
import type { Config } from "../config.ts";
import type { LogEntry, LogListQuery, StoredLog } from "../schemas.ts";
import { NotFoundError, ValidationError } from "../errors.ts";
import { type CounterId, keys } from "./keys.ts";
import { getManyChunked, retryLocked } from "./kv.ts";
import { isUlid, ulidFloor, ulidTime } from "./ulid.ts";

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
  op.sum(keys.logCount(counterOf(log)), 1n);
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

/**
 * The instant retention counts from: the millisecond of the entry's ULID. Ids are made with
 * `ulid(firedAtMs)`, so it is `firedAt` (a monotonic-ULID clamp can put it a few ms later).
 * Listings, stats and the sweep all select by ULID key ranges; deriving the state from the
 * same instant makes them agree exactly, to the millisecond.
 */
export function retentionInstant(log: Pick<StoredLog, "id">): number {
  return ulidTime(log.id);
}

/** The API view of a stored entry at `nowMs`; null when past retention. */
export function toLogView(log: StoredLog, nowMs: number, w: Windows): LogEntry | null {
  const state = stateAt(retentionInstant(log), nowMs, w);
  return state === null ? null : { ...log, state };
}

/**
 * Key bounds of the retention states at `nowMs`: ids below `retainedFrom` are past retention,
 * ids in [retainedFrom, activeFrom) are archived, ids from `activeFrom` on are active.
 */
export function retentionBounds(nowMs: number, w: Windows): {
  retainedFrom: string;
  activeFrom: string;
} {
  return {
    retainedFrom: ulidFloor(nowMs - w.activeRetentionMs - w.archiveRetentionMs + 1),
    activeFrom: ulidFloor(nowMs - w.activeRetentionMs + 1),
  };
}

/** Listings hide ids at or beyond this bound (a minute ahead, for clock skew between instances). */
export function listedBefore(nowMs: number): string {
  return ulidFloor(nowMs + FUTURE_SLACK_MS);
}
const FUTURE_SLACK_MS = 60_000;

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
  resolveTrigger: (ref: string) => Promise<{ prefix: Deno.KvKey }>,
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

// ---------------------------------------------------------------------------------------------
// Statistics and the retention sweep
//
// Per counter id (trigger id, or "test"), two KvU64 counters change in the same commits as the
// entries: `count` (entries not yet deleted: +1 by addLogWrites, -1 by the sweep's delete) and
// `archived` (entries the sweep has counted as archived). The sweep cursor records how far that
// counting went, as ULID key bounds: every id below `archivedBefore` is counted in `archived`,
// every id below `deletedBefore` is deleted. At read time the exact boundaries of "now" rarely
// match the cursor (the sweep runs once a minute; windows may have changed), so the entries
// between cursor and boundary, normally under a minute's worth, are found by a key-range scan
// of ["logs"] and added or subtracted. Stats are thus exact at their read instant, agree with
// listings at that instant, and cost O(counters + entries fired in about a minute).

/** How far the sweep has counted and deleted: exclusive ULID key bounds. */
export interface SweepCursor {
  archivedBefore: string;
  deletedBefore: string;
}

/** The cursor before any sweep: nothing counted as archived, nothing deleted. */
export const INITIAL_CURSOR: SweepCursor = {
  archivedBefore: ulidFloor(0),
  deletedBefore: ulidFloor(0),
};

/** Counts per trigger in the API shape; test firings appear with `triggerId: null`. */
export interface LogStats {
  active: number;
  archived: number;
  byTrigger: {
    triggerId: string | null;
    triggerName: string;
    active: number;
    archived: number;
  }[];
}

const TWO_64 = 1n << 64n;
/** KvU64 to a signed number (the counters wrap when decremented below zero). */
function signed(v: Deno.KvU64 | undefined): number {
  if (!v) return 0;
  return Number(v.value >= TWO_64 / 2n ? v.value - TWO_64 : v.value);
}
/** The KvU64 that, summed, adds `n` (negative n subtracts; sums wrap modulo 2^64). */
function delta(n: number): bigint {
  return ((BigInt(n) % TWO_64) + TWO_64) % TWO_64;
}

/** The smallest key greater than `id`: an exclusive bound just after one entry. */
function after(id: string): string {
  return id + "\0";
}

type Tally = Map<CounterId, number>;

function bump(t: Tally, counter: CounterId, n = 1): void {
  t.set(counter, (t.get(counter) ?? 0) + n);
}

/** Entries per counter with ids in [from, to); one forward scan of ["logs"]. */
async function tallyRange(kv: Deno.Kv, from: string, to: string): Promise<Tally> {
  const t: Tally = new Map();
  if (from >= to) return t;
  const prefix = keys.logsPrefix();
  const iter = kv.list<StoredLog>({ start: [...prefix, from], end: [...prefix, to] }, {
    batchSize: 500,
  });
  for await (const e of iter) bump(t, counterOf(e.value));
  return t;
}

interface StatsSnapshot {
  cursor: SweepCursor;
  /** The cursor's versionstamp in this snapshot (null before the first sweep). */
  stamp: string | null;
  count: Tally;
  archived: Tally;
  names: Map<CounterId, string>;
}

/**
 * Reads every counter and the sweep cursor as of one instant. Up to 1000 keys come in one list
 * batch, which is one snapshot; beyond that, the cursor's versionstamp (every sweep commit
 * changes it) is compared before and after, and the read repeated if a sweep commit fell
 * between.
 */
async function readStatsSnapshot(kv: Deno.Kv): Promise<StatsSnapshot> {
  for (let attempt = 1;; attempt++) {
    const before = await kv.get<SweepCursor>(keys.logSweepCursor());
    const snap: StatsSnapshot = {
      cursor: INITIAL_CURSOR,
      stamp: null,
      count: new Map(),
      archived: new Map(),
      names: new Map(),
    };
    let seen = 0;
    for await (const e of kv.list({ prefix: keys.logStatsPrefix() }, { batchSize: 1000 })) {
      seen++;
      const [, counter, field] = e.key as [string, string, string | undefined];
      if (field === undefined) {
        snap.cursor = e.value as SweepCursor;
        snap.stamp = e.versionstamp;
      } else if (field === "count") snap.count.set(counter, signed(e.value as Deno.KvU64));
      else if (field === "archived") snap.archived.set(counter, signed(e.value as Deno.KvU64));
      else if (field === "name") snap.names.set(counter, e.value as string);
    }
    if (seen <= 1000 || snap.stamp === before.versionstamp || attempt >= 20) return snap;
    await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
  }
}

/**
 * Active and archived counts at `nowMs`, in total and per counter, exact at that instant (see
 * the section comment above). Reads counters, not entries, plus the entries between the sweep
 * cursor and the current boundaries.
 */
export async function logStats(kv: Deno.Kv, nowMs: number, w: Windows): Promise<LogStats> {
  const { retainedFrom, activeFrom } = retentionBounds(nowMs, w);
  const future = listedBefore(nowMs);
  let snap: StatsSnapshot;
  let between: Tally, gone: Tally, ahead: Tally;
  for (let attempt = 1;; attempt++) {
    snap = await readStatsSnapshot(kv);
    const { archivedBefore: a, deletedBefore: d } = snap.cursor;
    // Entries below activeFrom = counted archived, plus or minus those between cursor and bound.
    [between, gone, ahead] = await Promise.all([
      a <= activeFrom ? tallyRange(kv, a, activeFrom) : tallyRange(kv, activeFrom, a),
      // Past retention but not yet deleted (nothing below d exists any more).
      tallyRange(kv, d, retainedFrom),
      // Beyond what listings show (only with clocks far ahead): left out, like the listings do.
      tallyRange(kv, future, "~"),
    ]);
    // A sweep commit during the scans (it deletes entries they count) means: read again.
    const after = await kv.get(keys.logSweepCursor());
    if (after.versionstamp === snap.stamp || attempt >= 20) break;
  }
  const a = snap.cursor.archivedBefore;
  const sign = a <= activeFrom ? 1 : -1;
  const ids = new Set([...snap.count.keys(), ...between.keys(), ...gone.keys()]);
  const out: LogStats = { active: 0, archived: 0, byTrigger: [] };
  for (const id of ids) {
    const total = snap.count.get(id) ?? 0;
    const belowActive = (snap.archived.get(id) ?? 0) + sign * (between.get(id) ?? 0);
    const archived = Math.max(0, belowActive - (gone.get(id) ?? 0));
    const active = Math.max(0, total - belowActive - (ahead.get(id) ?? 0));
    if (active === 0 && archived === 0) continue;
    out.active += active;
    out.archived += archived;
    out.byTrigger.push({
      triggerId: id === "test" ? null : id,
      triggerName: id === "test" ? "test" : snap.names.get(id) ?? id,
      active,
      archived,
    });
  }
  out.byTrigger.sort((x, y) =>
    x.triggerName < y.triggerName ? -1 : x.triggerName > y.triggerName ? 1 : 0
  );
  return out;
}

/** What one sweep did. */
export interface SweepResult {
  /** Entries newly counted as archived. */
  archived: number;
  /** Entries counted back as active (the active window grew since the last sweep). */
  unarchived: number;
  /** Entries deleted with their indexes. */
  deleted: number;
  /** Counter sets removed because they had dropped to zero. */
  countersRemoved: number;
  commits: number;
  /** Another sweeper moved the cursor meanwhile: this one stopped; the next run resumes. */
  conflict: boolean;
}

/** Mutations per sweep commit: well under KV's 1000 per atomic operation. */
const MAX_MUTATIONS = 900;
const SCAN_BATCH = 500;

async function listEntries(
  kv: Deno.Kv,
  from: string,
  to: string,
  limit: number,
  reverse = false,
): Promise<StoredLog[]> {
  const prefix = keys.logsPrefix();
  const out: StoredLog[] = [];
  if (from >= to) return out;
  const iter = kv.list<StoredLog>(
    { start: [...prefix, from], end: [...prefix, to] },
    { limit, reverse, batchSize: limit },
  );
  for await (const e of iter) out.push(e.value);
  return out;
}

function addCounterSums(op: Deno.AtomicOperation, t: Tally, key: (c: CounterId) => Deno.KvKey) {
  for (const [counter, n] of t) if (n !== 0) op.sum(key(counter), delta(n));
}

/**
 * Moves the sweep cursor to the retention boundaries of `nowMs` in batched atomic commits,
 * each of which also checks and advances the cursor: counts entries that became archived (or,
 * when the active window grew, back to active), deletes entries past retention with their
 * indexes and takes them off the counters, and finally drops counter sets that reached zero.
 * Safe to run concurrently: a sweeper that loses the cursor check stops (`conflict`).
 */
export async function sweepLogStore(kv: Deno.Kv, nowMs: number, w: Windows): Promise<SweepResult> {
  const res: SweepResult = {
    archived: 0,
    unarchived: 0,
    deleted: 0,
    countersRemoved: 0,
    commits: 0,
    conflict: false,
  };
  const cursorKey = keys.logSweepCursor();
  const first = await kv.get<SweepCursor>(cursorKey);
  let cursor = first.value ?? INITIAL_CURSOR;
  let stamp = first.versionstamp;
  const { retainedFrom, activeFrom } = retentionBounds(nowMs, w);

  const commit = async (build: (op: Deno.AtomicOperation) => void, next: SweepCursor) => {
    const r = await retryLocked(() => {
      const op = kv.atomic().check({ key: cursorKey, versionstamp: stamp });
      build(op);
      op.set(cursorKey, next);
      return op.commit();
    });
    if (!r.ok) {
      res.conflict = true;
      return false;
    }
    stamp = r.versionstamp;
    cursor = next;
    res.commits++;
    return true;
  };

  // 1. Archived counts: entries in [archivedBefore, activeFrom) are now archived.
  while (cursor.archivedBefore < activeFrom) {
    const batch = await listEntries(kv, cursor.archivedBefore, activeFrom, SCAN_BATCH);
    const t: Tally = new Map();
    for (const log of batch) bump(t, counterOf(log));
    const done = batch.length < SCAN_BATCH;
    const next = done ? activeFrom : after(batch[batch.length - 1].id);
    const ok = await commit(
      (op) => addCounterSums(op, t, keys.logArchived),
      { ...cursor, archivedBefore: next },
    );
    if (!ok) return res;
    res.archived += batch.length;
  }
  // ... or, after the active window grew, entries in [activeFrom, archivedBefore) are active
  // again; walked downwards so that what stays counted is always every id below the cursor.
  while (cursor.archivedBefore > activeFrom) {
    const batch = await listEntries(kv, activeFrom, cursor.archivedBefore, SCAN_BATCH, true);
    const t: Tally = new Map();
    for (const log of batch) bump(t, counterOf(log), -1);
    const done = batch.length < SCAN_BATCH;
    const next = done ? activeFrom : batch[batch.length - 1].id;
    const ok = await commit(
      (op) => addCounterSums(op, t, keys.logArchived),
      { ...cursor, archivedBefore: next },
    );
    if (!ok) return res;
    res.unarchived += batch.length;
  }

  // 2. Deletion: every entry below retainedFrom. The scan starts at the first key, so an entry
  // committed late below the cursor (clock skew between instances) is deleted too.
  for (;;) {
    const batch = await listEntries(kv, "", retainedFrom, SCAN_BATCH);
    const take: StoredLog[] = [];
    const count: Tally = new Map();
    const archived: Tally = new Map();
    let mutations = 1; // the cursor
    for (const log of batch) {
      const c = counterOf(log);
      const cost = (log.triggerId !== null ? 3 : 2) + (count.has(c) ? 0 : 2);
      if (mutations + cost > MAX_MUTATIONS) break;
      mutations += cost;
      take.push(log);
      bump(count, c, -1);
      if (log.id < cursor.archivedBefore) bump(archived, c, -1);
    }
    const done = take.length === batch.length && batch.length < SCAN_BATCH;
    const bound = done ? retainedFrom : after(take[take.length - 1].id);
    const next = bound > cursor.deletedBefore ? bound : cursor.deletedBefore;
    if (take.length === 0 && next === cursor.deletedBefore) break;
    const ok = await commit((op) => {
      for (const log of take) {
        op.delete(keys.log(log.id));
        if (log.triggerId !== null) op.delete(keys.logByTrigger(log.triggerId, log.id));
        op.delete(keys.logByName(log.triggerName, log.id));
      }
      addCounterSums(op, count, keys.logCount);
      addCounterSums(op, archived, keys.logArchived);
    }, { ...cursor, deletedBefore: next });
    if (!ok) return res;
    res.deleted += take.length;
    if (done) break;
  }

  res.countersRemoved = await dropZeroCounters(kv);
  return res;
}

/**
 * Removes the counters (and name) of ids with nothing left, such as deleted triggers whose
 * last entry was swept. Each removal checks both counters, so a firing in between keeps them.
 */
async function dropZeroCounters(kv: Deno.Kv): Promise<number> {
  const groups = new Map<CounterId, Deno.KvEntry<unknown>[]>();
  for await (const e of kv.list({ prefix: keys.logStatsPrefix() }, { batchSize: 1000 })) {
    const [, counter, field] = e.key as [string, string, string | undefined];
    if (field === undefined) continue;
    const g = groups.get(counter) ?? [];
    g.push(e);
    groups.set(counter, g);
  }
  let removed = 0;
  for (const [counter, entries] of groups) {
    const byField = new Map(entries.map((e) => [e.key[2] as string, e]));
    const count = byField.get("count");
    const archived = byField.get("archived");
    if (!count || signed(count.value as Deno.KvU64) !== 0) continue;
    if (archived && signed(archived.value as Deno.KvU64) !== 0) continue;
    const r = await retryLocked(() =>
      kv.atomic()
        .check(count)
        .check({ key: keys.logArchived(counter), versionstamp: archived?.versionstamp ?? null })
        .delete(keys.logCount(counter))
        .delete(keys.logArchived(counter))
        .delete(keys.logCounterName(counter))
        .commit()
    );
    if (r.ok) removed++;
  }
  return removed;
}
