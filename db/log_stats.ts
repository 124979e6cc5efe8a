/**
 * Log statistics: per-counter totals kept in the same commits as the entries, read exactly at
 * an instant. Also the counter helpers the retention sweep (log_sweep.ts) shares.
 */
import type { StoredLog } from "../core/schemas.ts";
import { signed } from "./kv.ts";
import { nameRows } from "./log_names.ts";
import { type CounterId, keys } from "./keys.ts";
import { listedBefore, retentionBounds } from "../core/log_view.ts";
import { counterOf, isRecordOutcome } from "./log_counters.ts";
import type { Windows } from "./log_writes.ts";
import { ulidFloor } from "../core/ulid.ts";
import { setTimeout as delay } from "node:timers/promises";

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

/**
 * Counts per trigger in the API shape; test firings appear with `triggerId: null`. `active`
 * and `archived` count every retained entry; `missed` and `skipped` (issue 17) count the
 * retained entries with those outcomes, which are records rather than firings: firings are
 * `active + archived - missed - skipped`.
 */
export interface LogStats {
  active: number;
  archived: number;
  missed: number;
  skipped: number;
  byTrigger: {
    triggerId: string | null;
    triggerName: string;
    active: number;
    archived: number;
    missed: number;
    skipped: number;
  }[];
  /** With `top`: how many rows there are in all (byTrigger holds the busiest `top`). */
  triggers?: number;
}

/** What to answer: every row (by name), one counter's, or the `top` busiest. */
export interface StatsScope {
  only?: CounterId;
  top?: number;
}

/** The smallest key greater than `id`: an exclusive bound just after one entry. */
export function after(id: string): string {
  return id + "\0";
}

export type Tally = Map<CounterId, number>;

export function bump(t: Tally, counter: CounterId, n = 1): void {
  t.set(counter, (t.get(counter) ?? 0) + n);
}

/** The tally key of a counter's entries with a record outcome (ids have no spaces). */
const outcomeKey = (counter: CounterId, outcome: string) => `${counter} ${outcome}`;

/**
 * Entries per counter with ids in [from, to); one forward scan of ["logs"]. Entries with a
 * record outcome are also counted under `outcomeKey` (read apart from the counter ids).
 */
async function tallyRange(kv: Deno.Kv, from: string, to: string): Promise<Tally> {
  const t: Tally = new Map();
  if (from >= to) return t;
  const prefix = keys.logsPrefix();
  const iter = kv.list<StoredLog>({ start: [...prefix, from], end: [...prefix, to] }, {
    batchSize: 500,
  });
  for await (const e of iter) {
    bump(t, counterOf(e.value));
    if (isRecordOutcome(e.value.outcome)) bump(t, outcomeKey(counterOf(e.value), e.value.outcome));
  }
  return t;
}

interface StatsSnapshot {
  cursor: SweepCursor;
  /** The cursor's versionstamp in this snapshot (null before the first sweep). */
  stamp: string | null;
  count: Tally;
  archived: Tally;
  /** Names a store written before they moved to `["log_names"]` keeps among the counters. */
  names: Map<CounterId, string>;
  /** Entries not yet deleted per `outcomeKey` (missed, skipped). */
  records: Tally;
}

/**
 * Reads every counter and the sweep cursor as of one instant. Up to 1000 keys come in one list
 * batch, which is one snapshot; beyond that, the cursor's versionstamp (every sweep commit
 * changes it) is compared before and after, and the read repeated if a sweep commit fell
 * between.
 */
export async function readStatsSnapshot(
  kv: Deno.Kv,
  only?: CounterId,
): Promise<StatsSnapshot> {
  if (only !== undefined) return await readOneCounter(kv, only);
  for (let attempt = 1;; attempt++) {
    const before = await kv.get<SweepCursor>(keys.logSweepCursor());
    const snap = emptySnapshot(INITIAL_CURSOR, null);
    let seen = 0;
    for await (const e of kv.list({ prefix: keys.logStatsPrefix() }, { batchSize: 1000 })) {
      seen++;
      if (e.key[2] === undefined) {
        snap.cursor = e.value as SweepCursor;
        snap.stamp = e.versionstamp;
      } else addCounterKey(snap, e);
    }
    if (seen <= 1000 || snap.stamp === before.versionstamp || attempt >= 20) return snap;
    await delay(Math.random() * 5 * attempt);
  }
}

/** The snapshot of one counter id: its keys read between two equal reads of the cursor. */
async function readOneCounter(kv: Deno.Kv, counter: CounterId): Promise<StatsSnapshot> {
  for (let attempt = 1;; attempt++) {
    const before = await kv.get<SweepCursor>(keys.logSweepCursor());
    const snap = emptySnapshot(before.value ?? INITIAL_CURSOR, before.versionstamp);
    for await (const e of kv.list({ prefix: keys.logCounterPrefix(counter) })) {
      addCounterKey(snap, e);
    }
    // Every sweep commit moves the cursor: equal before and after, no commit fell between.
    const after = await kv.get(keys.logSweepCursor());
    if (after.versionstamp === before.versionstamp || attempt >= 20) return snap;
  }
}

function emptySnapshot(cursor: SweepCursor, stamp: string | null): StatsSnapshot {
  return {
    cursor,
    stamp,
    count: new Map(),
    archived: new Map(),
    names: new Map(),
    records: new Map(),
  };
}

/** Puts one `["log_stats", counter, field]` entry into `snap`. */
function addCounterKey(snap: StatsSnapshot, e: Deno.KvEntry<unknown>): void {
  const [, counter, field] = e.key as [string, string, string];
  if (field === "count") snap.count.set(counter, signed(e.value as Deno.KvU64));
  else if (field === "archived") snap.archived.set(counter, signed(e.value as Deno.KvU64));
  else if (field === "name") snap.names.set(counter, e.value as string);
  else if (isRecordOutcome(field)) {
    snap.records.set(outcomeKey(counter, field), signed(e.value as Deno.KvU64));
  }
}

/** One row of `LogStats.byTrigger`. */
type StatsRow = LogStats["byTrigger"][number];

/** What `countStats` read: the totals and unnamed rows, and names older stores kept. */
export interface CountedStats {
  totals: Pick<LogStats, "active" | "archived" | "missed" | "skipped">;
  /** One per counter with retained entries, unnamed (`triggerName` is the counter id). */
  rows: readonly Readonly<StatsRow>[];
  names: ReadonlyMap<CounterId, string>;
}

/**
 * Active and archived counts at `nowMs`, in total and per counter, exact at that instant (see
 * the section comment above). Reads counters, not entries, plus the entries between the sweep
 * cursor and the current boundaries.
 */
export async function logStats(
  kv: Deno.Kv,
  nowMs: number,
  w: Windows,
  { only, top }: StatsScope = {},
): Promise<LogStats> {
  return await shapeStats(kv, await countStats(kv, nowMs, w, only), top);
}

/**
 * The part of `logStats` that reads every counter (or `only`'s): totals and a row per counter
 * with retained entries. The answer is never changed afterwards, so several requests may share
 * it (services/reads.ts).
 */
export async function countStats(
  kv: Deno.Kv,
  nowMs: number,
  w: Windows,
  only?: CounterId,
): Promise<CountedStats> {
  const { retainedFrom, activeFrom } = retentionBounds(nowMs, w);
  const future = listedBefore(nowMs);
  let snap: StatsSnapshot;
  let between: Tally, gone: Tally, ahead: Tally;
  for (let attempt = 1;; attempt++) {
    snap = await readStatsSnapshot(kv, only);
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
  const ids = new Set(
    [...snap.count.keys(), ...between.keys(), ...gone.keys()].filter((k) =>
      !k.includes(" ") && (only === undefined || k === only)
    ),
  );
  const totals = { active: 0, archived: 0, missed: 0, skipped: 0 };
  const rows: StatsRow[] = [];
  // Retained = not yet deleted, less those past retention and those beyond the listings.
  const retained = (id: CounterId, o: string) => {
    const k = outcomeKey(id, o);
    return Math.max(0, (snap.records.get(k) ?? 0) - (gone.get(k) ?? 0) - (ahead.get(k) ?? 0));
  };
  for (const id of ids) {
    const total = snap.count.get(id) ?? 0;
    const belowActive = (snap.archived.get(id) ?? 0) + sign * (between.get(id) ?? 0);
    const archived = Math.max(0, belowActive - (gone.get(id) ?? 0));
    const active = Math.max(0, total - belowActive - (ahead.get(id) ?? 0));
    if (active === 0 && archived === 0) continue;
    const missed = retained(id, "missed");
    const skipped = retained(id, "skipped");
    totals.active += active;
    totals.archived += archived;
    totals.missed += missed;
    totals.skipped += skipped;
    rows.push({
      triggerId: id === "test" ? null : id,
      triggerName: id, // named by shapeStats (nameRows); "test" stays "test"
      active,
      archived,
      missed,
      skipped,
    });
  }
  return { totals, rows, names: snap.names };
}

/**
 * The answer from `counted`, which it leaves as it is: every row sorted by name, or with `top`
 * the `top` busiest and `triggers`, the number of rows in all. Only the rows answered are named.
 */
export async function shapeStats(
  kv: Deno.Kv,
  counted: CountedStats,
  top?: number,
): Promise<LogStats> {
  const out: LogStats = { ...counted.totals, byTrigger: [] };
  let rows = counted.rows;
  if (top !== undefined) {
    // The busiest first, ties by counter id.
    out.triggers = rows.length;
    const size = (r: StatsRow) => r.active + r.archived;
    const idOf = (r: StatsRow) => r.triggerId ?? "test";
    rows = [...rows].sort((x, y) => size(y) - size(x) || (idOf(x) < idOf(y) ? -1 : 1))
      .slice(0, top);
  }
  out.byTrigger = rows.map((r) => ({ ...r }));
  await nameRows(kv, out.byTrigger, counted.names);
  if (top === undefined) {
    out.byTrigger.sort((x, y) =>
      x.triggerName < y.triggerName ? -1 : x.triggerName > y.triggerName ? 1 : 0
    );
  }
  return out;
}
