/**
 * Consecutive final delivery failures per trigger (issue 17, `webhook.pauseAfterFailures`): a
 * KvU64 summed in the commit that records a failed delivery series and deleted in the one that
 * records a success, so the count is exact without a read in the hot path.
 */
import { keys } from "./keys.ts";
import { retryLocked } from "./kv.ts";

/** Adds the counter's change for a finished series of trigger `triggerId` to `op`. */
export function addFailureCountWrites(
  op: Deno.AtomicOperation,
  triggerId: string,
  outcome: "ok" | "failed",
): void {
  if (outcome === "failed") op.sum(keys.deliveryFailures(triggerId), 1n);
  else op.delete(keys.deliveryFailures(triggerId));
}

/** The trigger's consecutive final delivery failures so far. */
export async function failureCount(kv: Deno.Kv, triggerId: string): Promise<number> {
  const e = await kv.get<Deno.KvU64>(keys.deliveryFailures(triggerId));
  return Number(e.value?.value ?? 0n);
}

/** Starts the count again (after the trigger was paused for it). */
export async function resetFailureCount(kv: Deno.Kv, triggerId: string): Promise<void> {
  await retryLocked(() => kv.delete(keys.deliveryFailures(triggerId)));
}
