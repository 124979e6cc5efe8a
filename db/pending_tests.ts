/**
 * Durable records of delayed test firings (`/test_trigger` with `delay_seconds`) not yet made,
 * under `["test_pending", atMs, uuid]`. Claimed (check + delete) in the commit that writes
 * the firing, so each fires once whoever gets there first.
 */
import type { StoredLog, TriggerRecord } from "../core/schemas.ts";
import { addFiringWrites } from "./firings.ts";
import { keys } from "./keys.ts";
import { retryLocked } from "./kv.ts";
import type { Windows } from "./log_writes.ts";

/** A test firing that is due at `atMs` and not yet made. */
export interface PendingTest {
  atMs: number;
  def: TriggerRecord;
  payload: unknown;
}

/** A stored pending test firing, with the versionstamp its claim checks. */
export type PendingTestEntry = Deno.KvEntry<PendingTest>;

/** Pending records disappear by themselves after this long, even if nothing fired them. */
const PENDING_TEST_EXPIRE_MS = 24 * 3600_000;

/** Writes the durable pending record of a test firing due at `test.atMs`. */
export async function savePendingTest(kv: Deno.Kv, test: PendingTest): Promise<PendingTestEntry> {
  // Not a ULID: a future time would move this process's monotonic ULID clock ahead.
  const key = keys.pendingTest(test.atMs, crypto.randomUUID());
  const r = await retryLocked(() =>
    kv.atomic().check({ key, versionstamp: null })
      .set(key, test, { expireIn: PENDING_TEST_EXPIRE_MS }).commit()
  );
  if (!r.ok) throw new Error("Pending test firing key clash");
  return { key, value: test, versionstamp: r.versionstamp };
}

/**
 * One commit deletes the pending record (checked) and writes the firing `log`. False when it
 * was fired already (by housekeeping, or another instance).
 */
export async function claimPendingTest(
  kv: Deno.Kv,
  entry: PendingTestEntry,
  log: StoredLog,
  w: Windows,
): Promise<boolean> {
  const r = await retryLocked(() => {
    const op = kv.atomic().check(entry).delete(entry.key);
    addFiringWrites(op, log, entry.value.def, w);
    return op.commit();
  });
  return r.ok;
}

/** Pending test firings due before `beforeMs`, oldest first, at most `limit`. */
export async function* pendingTestsBefore(
  kv: Deno.Kv,
  beforeMs: number,
  limit: number,
): AsyncGenerator<PendingTestEntry> {
  const prefix = keys.pendingTestsPrefix();
  yield* kv.list<PendingTest>({ start: [...prefix, 0], end: [...prefix, beforeMs] }, { limit });
}
