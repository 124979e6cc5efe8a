/**
 * Trigger records for the scheduler's benchmarks, built as the service would store them; they
 * write them with db/triggers.ts `insertTriggersBatch`, straight into a KV file: no HTTP, so a
 * store of 10,000 or 100,000 is ready in seconds.
 */
import { buildDefinition, newTriggerRecord } from "../scheduler/definition.ts";
import type { ScheduleInput } from "../core/schedule_schemas.ts";
import type { TriggerRecord } from "../core/schemas.ts";

/** A record exactly as `POST /api/triggers` would store it, created at `nowMs`. */
export function record(name: string, schedule: ScheduleInput, nowMs: number): TriggerRecord {
  return newTriggerRecord(
    buildDefinition({ name, schedule, payload: { name } }, nowMs, null),
    nowMs,
  );
}
