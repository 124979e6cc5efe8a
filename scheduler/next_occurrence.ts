/**
 * Pure schedule maths. Every function takes "now" (or "after") explicitly so it can be tested
 * without a clock, and is shared by the API (nextRunAt, preview) and the scheduler (claims).
 */
import { Cron } from "croner";
import type { Schedule, ScheduleInput } from "../core/schedule_schemas.ts";

const cronCache = new Map<string, Cron>();

function cronFor(expr: string, timezone: string): Cron {
  const key = `${timezone}\u0000${expr}`;
  let cron = cronCache.get(key);
  if (!cron) {
    // croner >= 11 implements ISC cron's DST rules, which are the contract's.
    cron = new Cron(expr, { timezone, paused: true, mode: "5-or-6-parts" });
    if (cronCache.size > 10_000) cronCache.clear();
    cronCache.set(key, cron);
  }
  return cron;
}

/**
 * croner's nextRun costs ~40 µs; a burst of triggers sharing an expression (every
 * "0 * * * *" at the top of the hour) asks the same question thousands of times, so answers
 * are remembered per expression, zone and instant.
 */
const nextRunMemo = new Map<string, number | null>();

function cronNextRun(expr: string, timezone: string, afterMs: number): number | null {
  const key = `${timezone}\u0000${expr}\u0000${afterMs}`;
  let next = nextRunMemo.get(key);
  if (next === undefined) {
    next = cronFor(expr, timezone).nextRun(new Date(afterMs))?.getTime() ?? null;
    if (nextRunMemo.size > 10_000) nextRunMemo.clear();
    nextRunMemo.set(key, next);
  }
  return next;
}

const ms = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso));
const iso = (t: number) => new Date(t).toISOString();

/**
 * Stores a schedule in its canonical form: `delaySeconds` becomes `at`, an `everySeconds`
 * schedule gets its anchor (`startAt`, default now + n), times become UTC ISO with milliseconds,
 * a cron gets its time zone (default UTC).
 */
export function normalizeSchedule(input: ScheduleInput, nowMs: number): Schedule {
  if ("at" in input) return { at: iso(Date.parse(input.at)) };
  if ("delaySeconds" in input) return { at: iso(nowMs + Math.round(input.delaySeconds * 1000)) };
  const bounds = {
    ...(input.endAt !== undefined ? { endAt: iso(Date.parse(input.endAt)) } : {}),
    ...(input.maxRuns !== undefined ? { maxRuns: input.maxRuns } : {}),
    ...(input.jitterSeconds !== undefined ? { jitterSeconds: input.jitterSeconds } : {}),
  };
  if ("everySeconds" in input) {
    const start = input.startAt !== undefined
      ? Date.parse(input.startAt)
      : nowMs + Math.round(input.everySeconds * 1000);
    return { everySeconds: input.everySeconds, startAt: iso(start), ...bounds };
  }
  return {
    cron: input.cron.trim().replace(/\s+/g, " "),
    timezone: input.timezone ?? "UTC",
    ...(input.startAt !== undefined ? { startAt: iso(Date.parse(input.startAt)) } : {}),
    ...bounds,
  };
}

/**
 * The first occurrence strictly after `afterMs`, or null when the schedule has none left.
 * `runsSoFar` counts scheduled firings already made, for `maxRuns`.
 * @example nextOccurrence({ everySeconds: 10, startAt: "2026-01-01T00:00:00.000Z" }, 0) // startAt
 */
export function nextOccurrence(schedule: Schedule, afterMs: number, runsSoFar = 0): number | null {
  if ("at" in schedule) {
    const at = Date.parse(schedule.at);
    return at > afterMs && runsSoFar === 0 ? at : null;
  }
  if (schedule.maxRuns !== undefined && runsSoFar >= schedule.maxRuns) return null;
  const endAt = ms(schedule.endAt);
  let next: number | null;
  if ("everySeconds" in schedule) {
    const start = Date.parse(schedule.startAt);
    const step = Math.round(schedule.everySeconds * 1000);
    // Occurrences are start + k*step exactly, so a late firing never drifts the series.
    next = afterMs < start ? start : start + (Math.floor((afterMs - start) / step) + 1) * step;
  } else {
    const startAt = ms(schedule.startAt);
    // croner's nextRun is strictly after its argument; startAt itself may match.
    const from = startAt !== undefined && startAt - 1 > afterMs ? startAt - 1 : afterMs;
    next = cronNextRun(schedule.cron, schedule.timezone, from);
  }
  if (next === null || (endAt !== undefined && next > endAt)) return null;
  return next;
}

/** Up to `count` occurrences after `afterMs`, honouring endAt and maxRuns. */
export function occurrences(
  schedule: Schedule,
  afterMs: number,
  count: number,
  runsSoFar = 0,
): number[] {
  const out: number[] = [];
  let t = afterMs;
  while (out.length < count) {
    const next = nextOccurrence(schedule, t, runsSoFar + out.length);
    if (next === null) break;
    out.push(next);
    t = next;
  }
  return out;
}

/**
 * The most recent occurrence at or before `nowMs`, starting from a known occurrence `fromMs`
 * (itself at or before now). Used to coalesce missed occurrences into one catch-up firing.
 * `maxRuns` does not cap it: it counts firings, and the missed occurrences make a single one.
 */
export function lastMissed(schedule: Schedule, fromMs: number, nowMs: number): number {
  if ("at" in schedule) return fromMs;
  const endAt = ms(schedule.endAt) ?? Infinity;
  const limit = Math.min(nowMs, endAt);
  if ("everySeconds" in schedule) {
    const step = Math.round(schedule.everySeconds * 1000);
    return fromMs + Math.max(0, Math.floor((limit - fromMs) / step)) * step;
  }
  // Cron has no "previous run": probe windows ending at the limit, doubling in length, so a
  // per-second cron missed for a day costs a few steps instead of 86,400.
  const unbounded = { ...schedule, maxRuns: undefined, endAt: undefined };
  for (let w = 1000;; w *= 2) {
    const probeFrom = Math.max(fromMs, limit - w);
    const probe = nextOccurrence(unbounded, probeFrom);
    if (probe !== null && probe <= limit) {
      let last = probe;
      for (let i = 0; i < 100_000; i++) {
        const next = nextOccurrence(unbounded, last);
        if (next === null || next > limit) break;
        last = next;
      }
      return last;
    }
    if (probeFrom === fromMs) return fromMs;
  }
}

/**
 * Most cron occurrences one missed-run count walks (croner costs ~50 µs a step, and the count
 * runs inside a claim): beyond it the count is a lower bound marked `countCapped`.
 */
export const MISSED_COUNT_CAP = 10_000;

/**
 * How many occurrences lie in [fromMs, lastMs], both occurrences of `schedule`. Arithmetic for
 * `everySeconds` (a per-second trigger down for a week is 604,800 without a loop); cron walks
 * at most MISSED_COUNT_CAP occurrences and says when it stopped there.
 */
export function countOccurrences(
  schedule: Schedule,
  fromMs: number,
  lastMs: number,
): { count: number; capped: boolean } {
  if (lastMs < fromMs) return { count: 0, capped: false };
  if ("at" in schedule) return { count: 1, capped: false };
  if ("everySeconds" in schedule) {
    const step = Math.round(schedule.everySeconds * 1000);
    return { count: Math.floor((lastMs - fromMs) / step) + 1, capped: false };
  }
  const unbounded = { ...schedule, maxRuns: undefined, endAt: undefined };
  let count = 1;
  for (let t = fromMs; count < MISSED_COUNT_CAP; count++) {
    const next = nextOccurrence(unbounded, t);
    if (next === null || next > lastMs) return { count, capped: false };
    t = next;
  }
  return { count, capped: true };
}
