/**
 * What a claim decides for one due trigger (pure): fire, catch up, skip, record what was
 * missed, resume a pause that ended, and where the trigger is due next (jitter included).
 * scheduler/claim.ts commits these decisions.
 */
import { newLogEntry } from "../core/log_entry.ts";
import { newDelivery } from "../db/delivery_record.ts";
import type { Inflight, InflightEntry } from "../db/inflight.ts";
import type { StoredLog, TriggerRecord } from "../core/schemas.ts";
import { countOccurrences, lastMissed, nextOccurrence } from "./next_occurrence.ts";
import { resumedRecord } from "./pause.ts";
import { dueFields, jitterOffsetMs, jitterWindowMs, nominalOf } from "./jitter.ts";

/**
 * What one claim decides for one trigger: the new record, the firing (or none: skip) and the
 * record of occurrences missed (dropped by `skip` or coalesced by `fire_once`), if any.
 */
export interface ClaimPlan {
  next: TriggerRecord;
  log: StoredLog | null;
  missed: StoredLog | null;
}

/** What the claim knows beyond the record: when this instance's scheduler started. */
export interface ClaimContext {
  /** Occurrences missed from before it are "downtime"; later ones "misfire". */
  startedAtMs?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Decides what the occurrence at `occurrenceMs` does at `nowMs` (pure). On time: one firing
 * and the next occurrence. Missed (later than the grace period, or a later occurrence has also
 * passed): `fire_once` makes one catch-up firing for the most recent missed occurrence, `skip`
 * makes none; both continue with the next future occurrence, and the occurrences not fired
 * leave one `missed` record (one per trigger and outage: a claim covers them all at once).
 */
export function planClaim(
  rec: TriggerRecord,
  dueMs: number,
  nowMs: number,
  graceMs: number,
  ctx: ClaimContext = {},
): ClaimPlan {
  // A paused record is only due at its `pausedUntil`: winning that claim resumes it (once,
  // whichever instance wins). Its pending occurrence, if passed, is the next claim's to judge.
  if (rec.status === "paused") return { next: resumedRecord(rec, nowMs), log: null, missed: null };
  const schedule = rec.schedule!;
  const runs = rec.scheduledRuns;
  // `dueMs` is the jittered instant the due index held; the schedule maths is on the nominal
  // occurrence (equal without jitter), so jitter never drifts the series.
  const window = jitterWindowMs(schedule);
  const occurrenceMs = nominalOf(rec) ?? dueMs;
  const jittered = (t: number) => t + jitterOffsetMs(rec.id, schedule, t);
  // The occurrence after this one: the next run when on time, the test for "missed" too.
  const following = nextOccurrence(schedule, occurrenceMs, runs + 1);
  const missed = nowMs - dueMs > graceMs || (following !== null && jittered(following) <= nowMs);
  let scheduledFor: number | null = occurrenceMs;
  let catchUp = false;
  let missedLog: StoredLog | null = null;
  if (missed) {
    const last = lastMissed(schedule, occurrenceMs, nowMs);
    if (rec.misfire === "skip") scheduledFor = null;
    else {
      scheduledFor = last;
      catchUp = true;
    }
    // Made before the firing's id, so the record sorts before the catch-up in the log.
    missedLog = missedRecord(
      rec,
      occurrenceMs,
      scheduledFor === null ? last : null,
      last,
      nowMs,
      ctx,
    );
  }
  const runsAfter = runs + (scheduledFor === null ? 0 : 1);
  const nextRun = missed
    ? nextOccurrence(schedule, Math.max(nowMs, scheduledFor ?? 0), runsAfter)
    : following;
  const next: TriggerRecord = {
    ...rec,
    ...(rec.pauseEndedAt ? { pauseEndedAt: null } : {}),
    scheduledRuns: runsAfter,
    lastScheduledRunAt: scheduledFor === null ? rec.lastScheduledRunAt : iso(nowMs),
    ...dueFields(rec.id, schedule, nextRun),
    status: nextRun === null ? "completed" : "active",
  };
  const jitterMs = scheduledFor === null ? 0 : jitterOffsetMs(rec.id, schedule, scheduledFor);
  const log: StoredLog | null = scheduledFor === null ? null : newLogEntry(rec, nowMs, {
    source: "schedule",
    scheduledFor: iso(scheduledFor),
    // Measured from the instant it was due to fire: the jittered one.
    lateMs: nowMs - scheduledFor - jitterMs,
    catchUp,
    ...(window > 0 ? { jitterMs } : {}),
  });
  return { next, log, missed: missedLog };
}

/**
 * The record of the occurrences from `firstMs` not fired: up to `lastDropped` when all were
 * dropped (skip), else all but the catch-up at `lastMs` (fire_once). Null when none was lost.
 * Why: paused when a resume ended a pause after `firstMs`; downtime when `firstMs` came before
 * this instance's scheduler started (nobody was claiming); misfire otherwise (claimed late
 * while running: overload, a storage stall, a clock jump).
 */
function missedRecord(
  rec: TriggerRecord,
  firstMs: number,
  lastDropped: number | null,
  lastMs: number,
  nowMs: number,
  ctx: ClaimContext,
): StoredLog | null {
  const schedule = rec.schedule!;
  const until = lastDropped ??
    (lastMs > firstMs ? lastMissed(schedule, firstMs, lastMs - 1) : null);
  if (until === null) return null;
  const { count, capped } = countOccurrences(schedule, firstMs, until);
  if (count === 0) return null;
  const reason = rec.pauseEndedAt && firstMs < Date.parse(rec.pauseEndedAt)
    ? "paused"
    : firstMs < (ctx.startedAtMs ?? -Infinity)
    ? "downtime"
    : "misfire";
  return newLogEntry(rec, nowMs, {
    source: "schedule",
    scheduledFor: iso(firstMs),
    payload: null,
    outcome: "missed",
    reason,
    missed: {
      count,
      first: iso(firstMs),
      last: iso(until),
      ...(capped ? { countCapped: true } : {}),
    },
  });
}

/** The claim's part of the overlap marker: checked always, replaced when `set` is given. */
export interface OverlapWrite {
  entry: InflightEntry;
  set: Inflight | null;
}

/** A claim plan with its overlap decision: `deliver` false for a skipped or buffered firing. */
export interface OverlapPlan extends ClaimPlan {
  inflight: OverlapWrite | null;
  deliver: boolean;
}

/** Whether the claim of `rec` must read its overlap marker (not for "allow": it costs nothing). */
export function needsInflight(rec: TriggerRecord): boolean {
  return rec.webhook !== null && (rec.overlap ?? "allow") !== "allow" && rec.status === "active";
}

/**
 * Applies `rec`'s overlap policy to `plan` given its marker as read (pure). Nothing in flight:
 * the firing is delivered and becomes the marker. In flight: `buffer_one` with no buffered one
 * keeps the firing pending, its delivery waiting in the marker; otherwise the firing becomes a
 * `skipped` record (reason "overlap") with no delivery. The marker is checked in the commit,
 * so a delivery that ends in between makes the claim plan again.
 */
export function applyOverlap(
  plan: ClaimPlan,
  rec: TriggerRecord,
  marker: InflightEntry | undefined,
): OverlapPlan {
  const log = plan.log;
  if (!log || !marker || !rec.webhook || !needsInflight(rec)) {
    return { ...plan, inflight: null, deliver: true };
  }
  const m = marker.value;
  if (m === null) {
    return {
      ...plan,
      inflight: { entry: marker, set: { logId: log.id, buffered: null } },
      deliver: true,
    };
  }
  if (rec.overlap === "buffer_one" && m.buffered === null) {
    const buffered = newDelivery(log, rec.webhook, Date.parse(log.firedAt));
    return { ...plan, inflight: { entry: marker, set: { ...m, buffered } }, deliver: false };
  }
  const skipped: StoredLog = { ...log, outcome: "skipped", reason: "overlap" };
  return { ...plan, log: skipped, inflight: { entry: marker, set: null }, deliver: false };
}
