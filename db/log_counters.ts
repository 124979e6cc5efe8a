/** Which counters a log entry counts under (stats, histogram, sweep): shared by their modules. */
import type { StoredLog } from "../core/schemas.ts";
import type { CounterId } from "./keys.ts";

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
