/**
 * Jitter: each occurrence of a recurring schedule fires at a deterministic offset in
 * [0, jitterSeconds) after its nominal instant. The offset is a hash of the trigger id and the
 * nominal occurrence, so every instance and every restart computes the same instant; nothing
 * about it is stored but the resulting due time.
 */
import type { Schedule } from "../core/schedule_schemas.ts";
import type { TriggerRecord } from "../core/schemas.ts";
import { nextOccurrence } from "./next_occurrence.ts";

const iso = (ms: number) => new Date(ms).toISOString();

/** The schedule's jitter window in ms (0: none). */
export function jitterWindowMs(schedule: Schedule | null): number {
  if (!schedule || "at" in schedule) return 0;
  return Math.round((schedule.jitterSeconds ?? 0) * 1000);
}

/** FNV-1a over the UTF-16 units, then murmur3's finaliser so nearby instants spread evenly. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The offset of occurrence `nominalMs` of trigger `id`: in [0, jitter), and below the gap to
 * the following occurrence, so a jitter wider than the interval never reorders occurrences
 * (one pending occurrence per trigger relies on that order).
 */
export function jitterOffsetMs(id: string, schedule: Schedule | null, nominalMs: number): number {
  const window = jitterWindowMs(schedule);
  if (window === 0) return 0;
  const unbounded = { ...schedule!, maxRuns: undefined, endAt: undefined };
  const following = nextOccurrence(unbounded, nominalMs);
  const w = following === null ? window : Math.min(window, following - nominalMs);
  return w <= 1 ? 0 : hash32(`${id}:${nominalMs}`) % w;
}

/**
 * The due fields of a record whose pending nominal occurrence is `nominalMs`: `nextRunAt` is
 * the jittered instant (what the API shows and the due index holds), `nextOccurrenceAt` the
 * nominal one, kept only when they differ by design (jitter configured).
 */
export function dueFields(
  id: string,
  schedule: Schedule | null,
  nominalMs: number | null,
): Pick<TriggerRecord, "nextRunAt" | "nextOccurrenceAt"> {
  if (nominalMs === null) return { nextRunAt: null, nextOccurrenceAt: null };
  if (jitterWindowMs(schedule) === 0) return { nextRunAt: iso(nominalMs), nextOccurrenceAt: null };
  return {
    nextRunAt: iso(nominalMs + jitterOffsetMs(id, schedule, nominalMs)),
    nextOccurrenceAt: iso(nominalMs),
  };
}

/** The nominal instant of a record's pending occurrence (null when it has none). */
export function nominalOf(rec: TriggerRecord): number | null {
  const at = rec.nextOccurrenceAt ?? rec.nextRunAt;
  return at ? Date.parse(at) : null;
}
