/** Small helpers around Deno KV commits. */
import { setTimeout as delay } from "node:timers/promises";

const LOCKED = /database is locked|SQLITE_BUSY/i;

/**
 * Runs `attempt` (which builds and commits one atomic operation) again when SQLite reports
 * "database is locked" under contention between processes sharing one KV file. The error is
 * transient by nature; callers never see it unless it persists for ~`maxAttempts` tries.
 */
export async function retryLocked<T>(attempt: () => Promise<T>, maxAttempts = 50): Promise<T> {
  for (let i = 1;; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (i >= maxAttempts || !LOCKED.test(String((err as Error)?.message ?? err))) throw err;
      // Full jitter, growing to ~50 ms: contention clears in a few ms.
      await delay(Math.random() * Math.min(50, 2 ** i));
    }
  }
}

/** Reads many keys in chunks of ten (the `getMany` limit), in parallel. */
export async function getManyChunked<T>(
  kv: Deno.Kv,
  keyList: Deno.KvKey[],
): Promise<Deno.KvEntryMaybe<T>[]> {
  const chunks: Promise<Deno.KvEntryMaybe<T>[]>[] = [];
  for (let i = 0; i < keyList.length; i += 10) {
    chunks.push(kv.getMany<T[]>(keyList.slice(i, i + 10)));
  }
  return (await Promise.all(chunks)).flat();
}

const TWO_64 = 1n << 64n;
/** KvU64 to a signed number (the counters wrap when decremented below zero). */
export function signed(v: Deno.KvU64 | undefined): number {
  if (!v) return 0;
  return Number(v.value >= TWO_64 / 2n ? v.value - TWO_64 : v.value);
}
/** The KvU64 that, summed, adds `n` (negative n subtracts; sums wrap modulo 2^64). */
export function delta(n: number): bigint {
  return ((BigInt(n) % TWO_64) + TWO_64) % TWO_64;
}
