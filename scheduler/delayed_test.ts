/**
 * Delayed test firings (`/test_trigger` with `delay_seconds`). The request waits for the firing,
 * but the firing does not depend on the request: a pending record in KV is written first and
 * claimed (check + delete) in the commit that writes the log entry. The in-process timer
 * normally claims it on time; should the process die first, housekeeping fires it late.
 */
import type { Deps } from "../deps.ts";
import { keys } from "../db/keys.ts";
import { retryLocked } from "../db/kv.ts";
import { addLogWrites } from "../db/logs.ts";
import type { StoredLog, TriggerRecord } from "../schemas.ts";
import { manualLog } from "./fire.ts";

/** A test firing that is due at `atMs` and not yet made. */
export interface PendingTest {
  atMs: number;
  def: TriggerRecord;
  payload: unknown;
}

/** Housekeeping fires pending test firings this late or later (the request's timer failed). */
export const PENDING_TEST_GRACE_MS = 30_000;
/** Pending records disappear by themselves after this long, even if nothing fired them. */
const PENDING_TEST_EXPIRE_MS = 24 * 3600_000;

/** Writes the durable pending record of a test firing due at `atMs`. */
export async function schedulePendingTest(
  deps: Deps,
  test: PendingTest,
): Promise<Deno.KvEntry<PendingTest>> {
  // Not a ULID: a future time would move this process's monotonic ULID clock ahead.
  const key = keys.pendingTest(test.atMs, crypto.randomUUID());
  const r = await retryLocked(() =>
    deps.kv.atomic().check({ key, versionstamp: null })
      .set(key, test, { expireIn: PENDING_TEST_EXPIRE_MS }).commit()
  );
  if (!r.ok) throw new Error("Pending test firing key clash");
  return { key, value: test, versionstamp: r.versionstamp };
}

/**
 * Fires a pending test firing now: one commit deletes the pending record (checked, so it fires
 * once whoever gets there first) and writes the log entry. Null when it was fired already.
 */
export async function firePendingTest(
  deps: Deps,
  entry: Deno.KvEntry<PendingTest>,
): Promise<StoredLog | null> {
  const { def, payload } = entry.value;
  const log: StoredLog = {
    ...manualLog(def, payload, deps.clock.now()),
    triggerId: null,
    source: "test",
    test: true,
  };
  const r = await retryLocked(() => {
    const op = deps.kv.atomic().check(entry).delete(entry.key);
    addLogWrites(op, log, deps.config);
    if (def.webhook) deps.outbox?.addWrites(op, log, def);
    return op.commit();
  });
  if (!r.ok) return null;
  deps.bus.publish([log]);
  if (log.outcome === "pending") deps.outbox?.kick([log]);
  return log;
}

/**
 * Waits until the pending firing is due, then fires it. Not tied to any request: a client that
 * disconnects meanwhile does not cancel it.
 */
export function fireWhenDue(
  deps: Deps,
  entry: Deno.KvEntry<PendingTest>,
): Promise<StoredLog | null> {
  const wait = Math.max(0, entry.value.atMs - deps.clock.now());
  return new Promise<void>((r) => setTimeout(r, wait)).then(() => firePendingTest(deps, entry));
}

/** Fires pending test firings due `graceMs` ago or earlier (their process died); how many. */
export async function fireOverdueTests(
  deps: Deps,
  nowMs: number,
  graceMs = PENDING_TEST_GRACE_MS,
): Promise<number> {
  const prefix = keys.pendingTestsPrefix();
  let fired = 0;
  const iter = deps.kv.list<PendingTest>({
    start: [...prefix, 0],
    end: [...prefix, nowMs - graceMs + 1],
  });
  for await (const e of iter) if (await firePendingTest(deps, e)) fired++;
  return fired;
}
