/** The retention sweep: counts entries that became archived and deletes expired ones, in batches. */
import type { StoredLog } from "../core/schemas.ts";
import { Outcome } from "../core/schemas.ts";
import { addHistDeletes, minuteOf } from "./histogram.ts";
import { type CounterId, keys } from "./keys.ts";
import { delta, retryLocked } from "./kv.ts";
import { after, bump, INITIAL_CURSOR, type SweepCursor, type Tally } from "./log_stats.ts";
import { retentionBounds } from "../core/log_view.ts";
import { counterOf, isRecordOutcome } from "./log_counters.ts";
import type { Windows } from "./log_writes.ts";
import { dropZeroCounters } from "./log_zero.ts";

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
    // Per record outcome (missed, skipped): their counters go down with the entries.
    const records = new Map<string, Tally>();
    // Histogram minutes of the deleted entries go with them: the oldest retained minute may
    // read low while the sweep is part way through it (documented in db/histogram.ts).
    const minutes = new Map<string, [string, number]>();
    const outcomes = Outcome.options;
    let mutations = 1; // the cursor
    for (const log of batch) {
      const c = counterOf(log);
      const m = minuteOf(log);
      const newPairs = [[c, m], ["*", m]].filter(([k]) => !minutes.has(`${k} ${m}`)).length;
      // A new counter: its count and archived sums and its zero-check marker.
      const cost = (log.triggerId !== null ? 3 : 2) + (count.has(c) ? 0 : 3) +
        newPairs * outcomes.length +
        (isRecordOutcome(log.outcome) && !records.get(log.outcome)?.has(c) ? 1 : 0);
      if (mutations + cost > MAX_MUTATIONS) break;
      mutations += cost;
      minutes.set(`${c} ${m}`, [c, m]);
      minutes.set(`* ${m}`, ["*", m]);
      take.push(log);
      bump(count, c, -1);
      if (isRecordOutcome(log.outcome)) {
        if (!records.has(log.outcome)) records.set(log.outcome, new Map());
        const t = records.get(log.outcome)!;
        bump(t, c, -1);
      }
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
      for (const c of count.keys()) op.set(keys.logZeroCheck(c), null);
      for (const [o, t] of records) addCounterSums(op, t, (c) => keys.logOutcomeCount(c, o));
      addCounterSums(op, archived, keys.logArchived);
      addHistDeletes(op, minutes.values(), outcomes);
    }, { ...cursor, deletedBefore: next });
    if (!ok) return res;
    res.deleted += take.length;
    if (done) break;
  }

  res.countersRemoved = await dropZeroCounters(kv);
  return res;
}
