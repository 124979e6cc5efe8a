/** Cheap reads for `/healthz` and `/metrics`: a storage probe and capped counts. */
import type { TriggerRecord } from "../schemas.ts";
import { keys } from "./keys.ts";

/** A read that must reach storage, bounded in time; rejects when KV does not answer. */
export async function probeKv(kv: Deno.Kv, timeoutMs = 2000): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      kv.list({ prefix: keys.duePrefix() }, { limit: 1 }).next(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`KV did not answer in ${timeoutMs / 1000} s`)),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Triggers per status, reading at most `max` records (KV has no keys-only listing). */
export async function countTriggersByStatus(
  kv: Deno.Kv,
  max: number,
): Promise<Record<TriggerRecord["status"], number>> {
  const byStatus: Record<TriggerRecord["status"], number> = { active: 0, paused: 0, completed: 0 };
  const iter = kv.list<TriggerRecord>({ prefix: keys.triggersPrefix() }, {
    limit: max,
    batchSize: 500,
  });
  for await (const e of iter) byStatus[e.value.status] = (byStatus[e.value.status] ?? 0) + 1;
  return byStatus;
}

/** Occurrences due before `beforeMs` and not yet claimed, counted up to `max`. */
export async function countOverdue(kv: Deno.Kv, beforeMs: number, max: number): Promise<number> {
  let n = 0;
  const iter = kv.list({ start: keys.duePrefix(), end: [...keys.duePrefix(), beforeMs] }, {
    limit: max,
  });
  for await (const _ of iter) n++;
  return n;
}
