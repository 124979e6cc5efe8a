/** Writing log entries: the writes of a new entry (composed into the caller's commit) and expiry. */
import type { StoredLog } from "../core/schemas.ts";
import { addHistCount } from "./histogram.ts";
import { keys } from "./keys.ts";
import { counterOf, isRecordOutcome } from "./log_counters.ts";
import type { Windows } from "../core/log_view.ts";

/** The retention windows, the part of the configuration log storage needs. */
export type { Windows };

/** Deadline after which KV may drop an entry by itself; the sweep normally deletes it first. */
export function backstopMs(w: Windows): number {
  return 2 * (w.activeRetentionMs + w.archiveRetentionMs) + 3600_000;
}

/**
 * Adds the writes of one new log entry to `op`: the entry, its indexes by trigger and by name
 * (listings filter by either, and a deleted trigger's entries by name), its counter (stats)
 * and its minute's histogram counters (its own and all), the counters as `sum`s that never
 * conflict.
 * The caller commits them together with whatever caused the firing.
 */
export function addLogWrites(op: Deno.AtomicOperation, log: StoredLog, w: Windows): void {
  const expireIn = backstopMs(w);
  op.set(keys.log(log.id), log, { expireIn });
  if (log.triggerId !== null) {
    op.set(keys.logByTrigger(log.triggerId, log.id), null, { expireIn });
  }
  // Index values are null: the key ends with the entry's id, which is all a listing needs.
  op.set(keys.logByName(log.triggerName, log.id), null, { expireIn });
  op.sum(keys.logCount(counterOf(log)), 1n);
  // The counter's name is written when the trigger is created or renamed (db/triggers.ts),
  // not per firing; stats fall back to the trigger's record when it is missing.
  // Records that are not firings are counted apart too (stats tell them from firings).
  if (isRecordOutcome(log.outcome)) op.sum(keys.logOutcomeCount(counterOf(log), log.outcome), 1n);
  addHistCount(op, log, log.outcome, 1);
}

/** What is left of a log entry's KV expiry at `nowMs`, so an update keeps its deadline. */
export function logExpireIn(log: StoredLog, nowMs: number, w: Windows): number {
  return Math.max(1_000, Date.parse(log.firedAt) + backstopMs(w) - nowMs);
}
