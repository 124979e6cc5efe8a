/**
 * What routes read: logs, stats, the histogram, trigger pages and views, and the store's health.
 * Reads hold no rules of their own; they live here so that routes/ reach storage only through
 * services/ (tests/architecture_test.ts), with "now" and the retention windows filled in once.
 */
import type { Deps } from "../core/deps.ts";
import type { HistogramQuery, LogListQuery } from "../core/request_schemas.ts";
import type { TriggerRecord } from "../core/schemas.ts";
import {
  countOverdue as countOverdueIn,
  countTriggersByStatus as countByStatusIn,
  WriteProbe,
  type WriteProbeOptions,
} from "../db/health.ts";
import { logHistogram } from "../db/histogram.ts";
import { getLog, listLogs, logsAfter, type Replayed } from "../db/log_list.ts";
import { counterOfRef } from "../db/log_counters.ts";
export { REPLAY_MAX } from "../db/log_list.ts";
import {
  type CountedStats,
  countStats,
  type LogStats,
  logStats,
  shapeStats,
} from "../db/log_stats.ts";
import { SharedRun } from "../core/shared_run.ts";
import { queryTriggers } from "../db/trigger_query.ts";
import { listTriggers, toTriggerViews } from "../db/triggers.ts";

/** One page of `GET /api/logs`, newest first, as at `nowMs`. */
export function logPage(deps: Deps, q: LogListQuery, nowMs = deps.clock.now()) {
  return listLogs(deps.kv, q, nowMs, deps.config);
}

/** One log entry as `GET /api/logs/:id` answers it; NotFoundError past retention. */
export function logEntry(deps: Deps, id: string) {
  return getLog(deps.kv, id, deps.clock.now(), deps.config);
}

/** Entries newer than `afterId` still within retention, oldest first (event-stream replay). */
export function logsSince(
  deps: Deps,
  afterId: string,
  trigger: string | null,
  max?: number,
): AsyncGenerator<Replayed> {
  return logsAfter(deps.kv, afterId, deps.clock.now(), deps.config, trigger, max);
}

/**
 * `GET /api/logs/stats`: exact counts at one instant, no earlier than the call. One trigger's
 * (`trigger`) are read for the call. The whole store's read every counter (~0.5 s at 100,000
 * triggers with entries, and as long again to name every row), so concurrent calls share the
 * reads: while one runs, the calls that come meanwhile share the next (SharedRun). Every
 * whole-store answer, `?top=` or all rows, shapes one shared counting, and all rows are also
 * named once for the callers that wait together: any number of callers cost at most one
 * counting and one naming under way at a time.
 */
export async function stats(deps: Deps, q: { trigger?: string; top?: number } = {}) {
  if (q.trigger !== undefined) {
    const only = await counterOfRef(deps.kv, q.trigger);
    return logStats(deps.kv, deps.clock.now(), deps.config, { only, top: q.top });
  }
  const runs = sharedStats(deps);
  // Called when the answer is begun, so its counting starts no earlier than that.
  const counted = () => runs.counts.run(() => countStats(deps.kv, deps.clock.now(), deps.config));
  if (q.top !== undefined) return shapeStats(deps.kv, await counted(), q.top);
  return runs.whole.run(async () => shapeStats(deps.kv, await counted()));
}

type StatsRuns = { counts: SharedRun<CountedStats>; whole: SharedRun<LogStats> };
const statsRuns = new WeakMap<Deps, StatsRuns>();

/**
 * The shared stats reads of one app's `deps` (its store, windows and clock: what an answer
 * depends on; two apps on one store share nothing).
 */
function sharedStats(deps: Deps): StatsRuns {
  let runs = statsRuns.get(deps);
  if (!runs) {
    runs = { counts: new SharedRun(), whole: new SharedRun() };
    statsRuns.set(deps, runs);
  }
  return runs;
}

/** `GET /api/logs/histogram`: exact counts per bucket. */
export function histogram(deps: Deps, q: HistogramQuery) {
  return logHistogram(deps.kv, q, deps.clock.now());
}

/** Triggers as the API shows them (run counters and last run included). */
export function triggerViews(deps: Deps, recs: TriggerRecord[], opts: { fresh?: boolean } = {}) {
  return toTriggerViews(deps.kv, recs, opts);
}

/** One page of `GET /api/triggers`: search, filters, sort, cursor and total. */
export function triggerPage(deps: Deps, q: Parameters<typeof queryTriggers>[1]) {
  return queryTriggers(deps.kv, q);
}

/** Triggers in creation order (the reference `/list_triggers`). */
export function triggersInOrder(deps: Deps, q: Parameters<typeof listTriggers>[1]) {
  return listTriggers(deps.kv, q);
}

/** A probe that proves KV takes writes (`/healthz`). */
export function writeProbe(deps: Deps, opts: WriteProbeOptions = {}): WriteProbe {
  return new WriteProbe(deps.kv, opts);
}
export type { WriteProbeOptions };

/** Stored triggers by status, reading at most `max` records (`/metrics`). */
export function triggerCountsByStatus(deps: Deps, max: number) {
  return countByStatusIn(deps.kv, max);
}

/** Due occurrences older than `beforeMs`, counted up to `max` (`/metrics`). */
export function overdueCount(deps: Deps, beforeMs: number, max: number) {
  return countOverdueIn(deps.kv, beforeMs, max);
}
