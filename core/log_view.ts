/** Retention maths of log entries (pure): their state at an instant and the ULID key bounds. */
import type { LogEntry, StoredLog } from "./schemas.ts";
import type { Config } from "./config.ts";
import { ulidFloor, ulidTime } from "./ulid.ts";

/** The retention windows an entry's state is derived from. */
export type Windows = Pick<Config, "activeRetentionMs" | "archiveRetentionMs">;

/** Derives the retention state at `nowMs`, or null once the entry is past retention. */
export function stateAt(
  firedAtMs: number,
  nowMs: number,
  w: Windows,
): "active" | "archived" | null {
  const age = nowMs - firedAtMs;
  if (age < w.activeRetentionMs) return "active";
  if (age < w.activeRetentionMs + w.archiveRetentionMs) return "archived";
  return null;
}

/**
 * The instant retention counts from: the millisecond of the entry's ULID. Ids are made with
 * `ulid(firedAtMs)`, whose time part is always the millisecond asked for, so it is `firedAt`.
 * Listings, stats and the sweep all select by ULID key ranges; deriving the state from the
 * same instant makes them agree exactly, to the millisecond.
 */
export function retentionInstant(log: Pick<StoredLog, "id">): number {
  return ulidTime(log.id);
}

/** The API view of a stored entry at `nowMs`; null when past retention. */
export function toLogView(log: StoredLog, nowMs: number, w: Windows): LogEntry | null {
  const state = stateAt(retentionInstant(log), nowMs, w);
  return state === null ? null : { ...log, state };
}

/**
 * Key bounds of the retention states at `nowMs`: ids below `retainedFrom` are past retention,
 * ids in [retainedFrom, activeFrom) are archived, ids from `activeFrom` on are active.
 */
export function retentionBounds(nowMs: number, w: Windows): {
  retainedFrom: string;
  activeFrom: string;
} {
  return {
    retainedFrom: ulidFloor(nowMs - w.activeRetentionMs - w.archiveRetentionMs + 1),
    activeFrom: ulidFloor(nowMs - w.activeRetentionMs + 1),
  };
}

/** Listings hide ids at or beyond this bound (a minute ahead, for clock skew between instances). */
export function listedBefore(nowMs: number): string {
  return ulidFloor(nowMs + FUTURE_SLACK_MS);
}
export const FUTURE_SLACK_MS = 60_000;
