/**
 * Delayed test firings (`/test_trigger` with `delay_seconds`). The request waits for the firing,
 * but the firing does not depend on the request: a pending record in KV is written first and
 * claimed in the commit that writes the log entry (db/pending_tests.ts). The in-process timer
 * normally claims it on time; should the process die first, housekeeping fires it late.
 */
import type { Deps } from "../core/deps.ts";
import {
  claimPendingTest,
  type PendingTest,
  type PendingTestEntry,
  pendingTestsBefore,
  savePendingTest,
} from "../db/pending_tests.ts";
import type { StoredLog } from "../core/schemas.ts";
import { testLog } from "./firings.ts";
import { setTimeout as delay } from "node:timers/promises";

export type { PendingTest, PendingTestEntry };

/** Housekeeping fires pending test firings this late or later (the request's timer failed). */
export const PENDING_TEST_GRACE_MS = 30_000;

/** Writes the durable pending record of a test firing due at `test.atMs`. */
export function schedulePendingTest(deps: Deps, test: PendingTest): Promise<PendingTestEntry> {
  return savePendingTest(deps.kv, test);
}

/**
 * Fires a pending test firing now, unless it was fired already (then null): claim and firing
 * in one commit, then published.
 */
export async function firePendingTest(
  deps: Deps,
  entry: PendingTestEntry,
): Promise<StoredLog | null> {
  const { def, payload } = entry.value;
  const log = testLog(def, payload, deps.clock.now());
  if (!(await claimPendingTest(deps.kv, entry, log, deps.config))) return null;
  deps.bus.publish([log]);
  return log;
}

/**
 * Waits until the pending firing is due, then fires it. Not tied to any request: a client that
 * disconnects meanwhile does not cancel it.
 */
export function fireWhenDue(deps: Deps, entry: PendingTestEntry): Promise<StoredLog | null> {
  const wait = Math.max(0, entry.value.atMs - deps.clock.now());
  return delay(wait).then(() => firePendingTest(deps, entry));
}

/** A durable test firing of `test.def` in `test.atMs - now`, awaited; null if fired elsewhere. */
export async function fireTestLater(deps: Deps, test: PendingTest): Promise<StoredLog | null> {
  return await fireWhenDue(deps, await schedulePendingTest(deps, test));
}

/**
 * Fires pending test firings due `graceMs` ago or earlier (their process died), oldest first
 * and at most `limit` (one housekeeping run stays bounded; the next run takes the rest); how
 * many.
 */
export async function fireOverdueTests(
  deps: Deps,
  nowMs: number,
  graceMs = PENDING_TEST_GRACE_MS,
  limit = 1_000,
): Promise<number> {
  let fired = 0;
  for await (const e of pendingTestsBefore(deps.kv, nowMs - graceMs + 1, limit)) {
    if (await firePendingTest(deps, e)) fired++;
  }
  return fired;
}
