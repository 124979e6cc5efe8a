/**
 * The overlap marker of issue 17: `["inflight", triggerId]` names the scheduled firing whose
 * delivery is pending and, for `buffer_one`, the delivery waiting behind it. Written by the
 * claim commit (only for triggers whose overlap is not "allow", so "allow" costs nothing) and
 * checked there by versionstamp; ended in the commit that records the delivery's final outcome,
 * which also promotes the buffered delivery. On-demand firings neither read nor set it.
 */
import type { DeliveryRecord } from "./delivery_record.ts";
import { getManyChunked, retryLocked } from "./kv.ts";
import { keys } from "./keys.ts";

/** What is in flight for one trigger. */
export interface Inflight {
  /** The log id whose delivery is pending. */
  logId: string;
  /** The delivery buffered behind it (buffer_one), not yet due: it has no record of its own. */
  buffered: DeliveryRecord | null;
}

/** The marker of a trigger as read, with its versionstamp (null: none), for a claim check. */
export type InflightEntry = Deno.KvEntryMaybe<Inflight>;

/** The markers of `ids`, in order. */
export function readInflight(kv: Deno.Kv, ids: string[]): Promise<InflightEntry[]> {
  return retryLocked(() => getManyChunked<Inflight>(kv, ids.map((id) => keys.inflight(id))));
}

/**
 * Adds to the commit that ends `logId`'s delivery series: clears the marker when it names
 * `logId`, or, with a buffered delivery, makes that one due at `nowMs` and in flight. Answers
 * the promoted log id. The caller checks `marker` in the same commit.
 */
export function addInflightEnd(
  op: Deno.AtomicOperation,
  marker: InflightEntry,
  logId: string,
  nowMs: number,
): string | null {
  const m = marker.value;
  if (!m || m.logId !== logId) return null;
  if (!m.buffered) {
    op.delete(marker.key);
    return null;
  }
  const rec: DeliveryRecord = { ...m.buffered, dueAtMs: nowMs };
  op.set(keys.delivery(rec.logId), rec);
  op.set(keys.deliveryDue(nowMs, rec.logId), rec.logId);
  op.set(marker.key, { logId: rec.logId, buffered: null } satisfies Inflight);
  return rec.logId;
}
