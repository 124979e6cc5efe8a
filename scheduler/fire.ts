/** Firings outside the schedule: `POST /api/triggers/:id/fire` (api, manual) and test firings. */
import type { Deps } from "../deps.ts";
import { keys } from "../db/keys.ts";
import { retryLocked } from "../db/kv.ts";
import { addLogWrites } from "../db/logs.ts";
import { ulid } from "../db/ulid.ts";
import type { StoredLog, TriggerRecord } from "../schemas.ts";

/** The log entry of an on-demand firing at `nowMs`. */
export function manualLog(rec: TriggerRecord, payload: unknown, nowMs: number): StoredLog {
  return {
    id: ulid(nowMs),
    triggerId: rec.id,
    triggerName: rec.name,
    triggerType: rec.type,
    source: rec.type === "api" ? "api" : "manual",
    test: false,
    scheduledFor: null,
    firedAt: new Date(nowMs).toISOString(),
    lateMs: null,
    catchUp: false,
    payload: payload as StoredLog["payload"],
    outcome: rec.webhook ? "pending" : "ok",
    delivery: null,
  };
}

/**
 * Adds the writes of an on-demand firing: the log and the trigger's run counters (summed, so
 * concurrent firings of one trigger never conflict), plus the webhook outbox record.
 */
export function addManualFiringWrites(
  deps: Deps,
  op: Deno.AtomicOperation,
  rec: TriggerRecord,
  log: StoredLog,
): void {
  addLogWrites(op, log, deps.config);
  op.sum(keys.triggerRuns(rec.id), 1n);
  op.max(keys.triggerLastRun(rec.id), BigInt(Date.parse(log.firedAt)));
  if (rec.webhook) deps.outbox?.addWrites(op, log, rec);
}

/** Fires `rec` now with `payload`; resolves once the log entry is durable. */
export async function fireNow(
  deps: Deps,
  rec: TriggerRecord,
  payload: unknown,
): Promise<StoredLog> {
  const log = manualLog(rec, payload, deps.clock.now());
  await retryLocked(() => {
    const op = deps.kv.atomic();
    addManualFiringWrites(deps, op, rec, log);
    return op.commit();
  });
  deps.bus.publish([log]);
  if (log.outcome === "pending") deps.outbox?.kick([log]);
  return log;
}

/**
 * A test firing of an unsaved definition: a log entry marked `test`, no trigger, no counters
 * of a trigger. A webhook in the definition is delivered like any other.
 */
export async function fireTest(
  deps: Deps,
  def: TriggerRecord,
  payload: unknown,
  atMs: number,
): Promise<StoredLog> {
  const log: StoredLog = {
    ...manualLog(def, payload, atMs),
    triggerId: null,
    source: "test",
    test: true,
  };
  await retryLocked(() => {
    const op = deps.kv.atomic();
    addLogWrites(op, log, deps.config);
    if (def.webhook) deps.outbox?.addWrites(op, log, def);
    return op.commit();
  });
  deps.bus.publish([log]);
  if (log.outcome === "pending") deps.outbox?.kick([log]);
  return log;
}
