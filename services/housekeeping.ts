/**
 * Housekeeping, run every minute from `Deno.cron` in main.ts: the log retention sweep and
 * overdue delayed test firings. With several instances on one KV, a lock per minute lets one
 * of them do each run.
 */
import type { Deps } from "../core/deps.ts";
import { takeCronLock } from "../db/locks.ts";
import { sweepLogStore, type SweepResult } from "../db/log_sweep.ts";
import { fireOverdueTests } from "./pending_test_firing.ts";

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

/** One housekeeping run for the minute of `nowMs`, unless another instance already took it. */
export async function runHousekeeping(deps: Deps, nowMs: number): Promise<HousekeepingResult> {
  if (!(await takeCronLock(deps.kv, HOUSEKEEPING_JOB, nowMs))) {
    return { ran: false, sweep: null, testsFired: 0 };
  }
  const sweep = await sweepLogs(deps, nowMs);
  const testsFired = await fireOverdueTests(deps, nowMs);
  return { ran: true, sweep, testsFired };
}

/**
 * The housekeeping runtime: `tick()` (from the cron) runs once per call while started, never
 * two at a time; `stop()` waits for the run in progress.
 */
export class Housekeeper {
  readonly #deps: Deps;
  #running = false;
  #current: Promise<unknown> | null = null;

  constructor(deps: Deps) {
    this.#deps = deps;
  }

  start(): void {
    this.#running = true;
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#current;
  }

  /** One run now, unless stopped or one is under way; failures are logged, not thrown. */
  async tick(): Promise<void> {
    if (!this.#running || this.#current) return;
    this.#current = runHousekeeping(this.#deps, this.#deps.clock.now()).catch((err) =>
      console.error("housekeeping failed:", err)
    );
    try {
      await this.#current;
    } finally {
      this.#current = null;
    }
  }
}
