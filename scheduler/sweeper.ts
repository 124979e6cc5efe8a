/**
 * Housekeeping, run every minute from `Deno.cron` in main.ts: the log retention sweep and
 * overdue delayed test firings. With several instances on one KV, a check-and-set on
 * `["cron", job, minute]` lets one of them do each run.
 */
import type { Deps } from "../deps.ts";
import { keys } from "../db/keys.ts";
import { retryLocked } from "../db/kv.ts";
import { sweepLogStore, type SweepResult } from "../db/logs.ts";
import { fireOverdueTests } from "./delayed_test.ts";

/** The job name in the per-minute lock key. */
export const HOUSEKEEPING_JOB = "housekeeping";

/**
 * Brings the log store to the retention boundaries of `nowMs`: counts entries that became
 * archived and deletes entries past retention with their indexes, keeping the stats counters
 * in the same commits. Returns what it did.
 */
export function sweepLogs(deps: Deps, nowMs: number): Promise<SweepResult> {
  return sweepLogStore(deps.kv, nowMs, deps.config);
}

export interface HousekeepingResult {
  /** False when another instance holds this minute's lock. */
  ran: boolean;
  sweep: SweepResult | null;
  /** Delayed test firings whose own process did not make them. */
  testsFired: number;
}

/**
 * One housekeeping run for the minute of `nowMs`, unless another instance already took it.
 * The lock is a null-versionstamp check on `["cron", "housekeeping", minute]`.
 */
export async function runHousekeeping(deps: Deps, nowMs: number): Promise<HousekeepingResult> {
  const lock = keys.cronLock(HOUSEKEEPING_JOB, Math.floor(nowMs / 60_000));
  const taken = await retryLocked(() =>
    deps.kv.atomic()
      .check({ key: lock, versionstamp: null })
      .set(lock, { at: new Date(nowMs).toISOString() }, { expireIn: 3600_000 })
      .commit()
  );
  if (!taken.ok) return { ran: false, sweep: null, testsFired: 0 };
  const sweep = await sweepLogs(deps, nowMs);
  const testsFired = await fireOverdueTests(deps, nowMs);
  return { ran: true, sweep, testsFired };
}
