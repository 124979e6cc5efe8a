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

/** `getMany` calls one `getManyChunked` keeps in flight: KV's one thread serves them in turn. */
const CHUNKS_IN_FLIGHT = 32;

/**
 * Reads many keys in chunks of ten (the `getMany` limit), CHUNKS_IN_FLIGHT at a time: enough
 * to keep KV's thread busy, without thousands of pending reads for a list of 50,000 keys.
 */
export async function getManyChunked<T>(
  kv: Deno.Kv,
  keyList: Deno.KvKey[],
): Promise<Deno.KvEntryMaybe<T>[]> {
  const out = new Array<Deno.KvEntryMaybe<T>>(keyList.length);
  let next = 0;
  const worker = async () => {
    while (next < keyList.length) {
      const at = next;
      next += 10;
      const got = await kv.getMany<T[]>(keyList.slice(at, at + 10));
      for (let i = 0; i < got.length; i++) out[at + i] = got[i];
    }
  };
  const workers = Math.min(CHUNKS_IN_FLIGHT, Math.ceil(keyList.length / 10));
  await Promise.all(Array.from({ length: workers }, worker));
  return out;
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
