/** The one constructor of new log entries, shared by every kind of firing and record. */
import type { StoredLog, TriggerRecord } from "./schemas.ts";
import { ulid } from "./ulid.ts";

/**
 * A new log entry of `rec` made at `nowMs`: by default a firing of its payload, pending when
 * it has a webhook; `over` names the source and sets what differs (occurrence, lateness,
 * payload, outcome, record fields).
 */
export function newLogEntry(
  rec: Pick<TriggerRecord, "id" | "name" | "type" | "payload" | "webhook">,
  nowMs: number,
  over: Partial<StoredLog> & Pick<StoredLog, "source">,
): StoredLog {
  return {
    id: ulid(nowMs),
    triggerId: rec.id,
    triggerName: rec.name,
    triggerType: rec.type,
    test: false,
    scheduledFor: null,
    firedAt: new Date(nowMs).toISOString(),
    lateMs: null,
    catchUp: false,
    payload: rec.payload as StoredLog["payload"],
    outcome: rec.webhook ? "pending" : "ok",
    delivery: null,
    ...over,
  };
}
