/**
 * Trigger records for the scheduler's benchmarks, built and written as the service would store
 * them, but straight into a KV file: no HTTP, so a store of 10,000 or 100,000 is ready in
 * seconds.
 */
import { addTriggerWrites } from "../db/triggers.ts";
import { keys } from "../db/keys.ts";
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

/** Writes records straight into the KV file, 40 per commit (each is one check + 3 writes). */
export async function insertAll(kv: Deno.Kv, recs: TriggerRecord[]): Promise<void> {
  for (let i = 0; i < recs.length; i += 40) {
    const op = kv.atomic();
    for (const r of recs.slice(i, i + 40)) {
      op.check({ key: keys.trigger(r.id), versionstamp: null });
      addTriggerWrites(op, null, r);
    }
    const res = await op.commit();
    if (!res.ok) throw new Error("insert conflict");
  }
}
