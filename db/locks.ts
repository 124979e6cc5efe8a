/** Locks in KV that let one of several instances do a periodic job. */
import { keys } from "./keys.ts";
import { retryLocked } from "./kv.ts";

/**
 * Takes the lock of `job` for the minute of `nowMs` with a null-versionstamp check; false when
 * another instance took it first. Locks expire by themselves after an hour.
 */
export async function takeCronLock(kv: Deno.Kv, job: string, nowMs: number): Promise<boolean> {
  const lock = keys.cronLock(job, Math.floor(nowMs / 60_000));
  const taken = await retryLocked(() =>
    kv.atomic()
      .check({ key: lock, versionstamp: null })
      .set(lock, { at: new Date(nowMs).toISOString() }, { expireIn: 3600_000 })
      .commit()
  );
  return taken.ok;
}
