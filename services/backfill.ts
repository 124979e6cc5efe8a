/**
 * Backfill (issue 17): fire again the occurrences of a past window [from, to), oldest first,
 * paced, each at most once. The call counts the occurrences, finds those already fired (in
 * the log, or marked by an earlier backfill) and stores a durable job for the rest, which
 * the BackfillRunner of one instance works through (services/backfill_runner.ts).
 */
import type { Deps } from "../core/deps.ts";
import { ValidationError } from "../core/errors.ts";
import { firedInLog, insertBackfillJob, markedOccurrences } from "../db/backfill.ts";
import { ulid } from "../core/ulid.ts";
import { nextOccurrence } from "../scheduler/next_occurrence.ts";
import type { BackfillBody } from "../core/request_schemas.ts";
import type { Schedule } from "../core/schedule_schemas.ts";
import type { TriggerRecord } from "../core/schemas.ts";
import { getTrigger } from "./triggers.ts";

/** Most occurrences one backfill call may cover. */
export const MAX_BACKFILL = 10_000;

/** What a backfill call answers. */
export interface BackfillResult {
  occurrences: number;
  alreadyFired: number;
  queued: number;
}

/**
 * The occurrences of `schedule` in [fromMs, toMs), ignoring maxRuns (they count firings, and
 * a backfill re-fires the past); at most `limit` + 1, so the caller can tell "too many".
 */
export function backfillOccurrences(
  schedule: Schedule,
  fromMs: number,
  toMs: number,
  limit = MAX_BACKFILL,
): number[] {
  const unbounded = { ...schedule, maxRuns: undefined } as Schedule;
  const out: number[] = [];
  for (let t = nextOccurrence(unbounded, fromMs - 1); t !== null && t < toMs;) {
    out.push(t);
    if (out.length > limit) break;
    t = nextOccurrence(unbounded, t);
  }
  return out;
}

function invalid(path: string, message: string): ValidationError {
  return new ValidationError("The backfill is invalid", [{ path, message }]);
}

/** Validates a backfill of trigger `id` and queues what is left to fire. */
export async function startBackfill(
  deps: Deps,
  id: string,
  body: BackfillBody,
): Promise<BackfillResult> {
  const rec: TriggerRecord = await getTrigger(deps, id);
  const now = deps.clock.now();
  const fromMs = Date.parse(body.from);
  const toMs = Date.parse(body.to);
  if (!rec.schedule) throw invalid("id", "Only scheduled triggers have occurrences to backfill");
  if (fromMs >= toMs) throw invalid("to", "Must be after from");
  if (toMs > now) throw invalid("to", "Must not be in the future: a backfill replays the past");
  const occ = backfillOccurrences(rec.schedule, fromMs, toMs);
  if (occ.length > MAX_BACKFILL) {
    throw invalid("to", `The window holds more than ${MAX_BACKFILL} occurrences`);
  }
  const [inLog, marked] = await Promise.all([
    firedInLog(deps.kv, rec.id, fromMs, toMs),
    markedOccurrences(deps.kv, rec.id, occ),
  ]);
  const alreadyFired = occ.filter((t) => inLog.has(t) || marked.has(t)).length;
  const queued = occ.length - alreadyFired;
  if (queued > 0) {
    await insertBackfillJob(deps.kv, {
      id: ulid(now),
      triggerId: rec.id,
      fromMs,
      toMs,
      cursorMs: fromMs - 1,
      owner: null,
      leaseUntilMs: 0,
    });
  }
  return { occurrences: occ.length, alreadyFired, queued };
}
