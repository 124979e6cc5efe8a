/** Which counters a log entry counts under (stats, histogram, sweep): shared by their modules. */
import type { StoredLog } from "../core/schemas.ts";
import { isUlid } from "../core/ulid.ts";
import { type CounterId, keys } from "./keys.ts";

/** The counter a log entry counts under: its trigger, or "test" for test firings. */
export function counterOf(log: Pick<StoredLog, "triggerId">): CounterId {
  return log.triggerId ?? "test";
}

/** The outcomes of log entries that record something not fired (issue 17). */
export const RECORD_OUTCOMES = ["missed", "skipped"] as const;
/** True for `missed` and `skipped`: entries that are records, not firings. */
export function isRecordOutcome(o: string): o is (typeof RECORD_OUTCOMES)[number] {
  return o === "missed" || o === "skipped";
}

/**
 * The counter a `trigger=` query names: a live trigger's name, else any trigger id (a deleted
 * trigger's too) or "test"; anything else names a counter that never exists.
 */
export async function counterOfRef(kv: Deno.Kv, ref: string): Promise<CounterId> {
  const id = (await kv.get<string>(keys.triggerName(ref))).value;
  return id ?? (isUlid(ref) || ref === "test" ? ref : "~none");
}
