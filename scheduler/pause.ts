/**
 * Pause and resume as record transitions (pure), shared by the API (manual pause/resume) and
 * the claim (the automatic resume at `pausedUntil`), so both clear the same fields.
 */
import { ValidationError } from "../core/errors.ts";
import type { PauseBody } from "../core/request_schemas.ts";
import type { TriggerRecord } from "../core/schemas.ts";

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * `cur` paused at `nowMs` with the body's reason and end, or null when nothing changes (already
 * paused and no new reason or end given). A second pause with a body replaces reason and end
 * and keeps `pausedAt`: extending a pause is not a new one.
 */
export function pausedRecord(
  cur: TriggerRecord,
  nowMs: number,
  body: PauseBody,
): TriggerRecord | null {
  const until = body.until === undefined ? undefined : Date.parse(body.until);
  if (until !== undefined && until <= nowMs) {
    throw new ValidationError("The pause is invalid", [{
      path: "until",
      message: "Must be in the future",
    }]);
  }
  const alreadyPaused = cur.status === "paused";
  if (alreadyPaused && body.reason === undefined && until === undefined) return null;
  return {
    ...cur,
    status: "paused",
    pausedReason: body.reason ?? (alreadyPaused ? cur.pausedReason ?? null : null),
    pausedAt: alreadyPaused ? cur.pausedAt ?? iso(nowMs) : iso(nowMs),
    pausedUntil: until !== undefined
      ? iso(until)
      : (alreadyPaused ? cur.pausedUntil ?? null : null),
    updatedAt: iso(nowMs),
    version: cur.version + 1,
  };
}

/**
 * `cur` resumed at `nowMs`: active again with the pause fields cleared. Its pending occurrence
 * keeps its time; if that passed while paused, the next claim applies the misfire policy and
 * (through `pauseEndedAt`) records the missed occurrences as paused.
 */
export function resumedRecord(cur: TriggerRecord, nowMs: number): TriggerRecord {
  const missedSome = cur.nextRunAt !== null && Date.parse(cur.nextRunAt) < nowMs;
  return {
    ...cur,
    status: "active",
    pausedReason: null,
    pausedAt: null,
    pausedUntil: null,
    pauseEndedAt: missedSome ? iso(nowMs) : null,
    updatedAt: iso(nowMs),
    version: cur.version + 1,
  };
}
