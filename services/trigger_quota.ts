/**
 * `--max-triggers`: how many triggers a store may hold. Checked before each create against the
 * store's status counters, read at most once a second (concurrent creates share the read),
 * plus the creates this instance started since. A soft bound across instances: several
 * creating at once may pass it by what they create within that second.
 */
import type { Deps } from "../core/deps.ts";
import { ConflictError } from "../core/errors.ts";
import { SharedRun } from "../core/shared_run.ts";
import { countStoredTriggers } from "../db/trigger_query.ts";

/** How long a count of the store's triggers is used before it is read again. */
const FRESH_MS = 1_000;

interface Quota {
  counted: number;
  atMs: number;
  /** Creates started on this instance since `counted` was read (released when they fail). */
  since: number;
  read: SharedRun<{ atMs: number; counted: number }>;
}

/** Per app (`deps`): its creates since the last count are its own. */
const quotas = new WeakMap<Deps, Quota>();

/**
 * Takes room for one more trigger, or throws a 409 when the store is full. Call the returned
 * function when the create failed, to give the room back.
 */
export async function takeTriggerRoom(deps: Deps): Promise<() => void> {
  let q = quotas.get(deps);
  if (!q) {
    q = { counted: 0, atMs: -Infinity, since: 0, read: new SharedRun() };
    quotas.set(deps, q);
  }
  if (deps.clock.now() - q.atMs >= FRESH_MS) {
    const read = await q.read.run(async () => {
      const atMs = deps.clock.now();
      return { atMs, counted: await countStoredTriggers(deps.kv) };
    });
    // The first of the read's waiters to get here takes it. Creates started before the read
    // may or may not be in it; those in flight are missed until the next (a soft bound).
    if (read.atMs > q.atMs) Object.assign(q, { ...read, since: 0 });
  }
  const max = deps.config.maxTriggers;
  if (q.counted + q.since >= max) {
    throw new ConflictError(
      `This store holds ${max} triggers, the most --max-triggers allows: delete some first`,
    );
  }
  q.since++;
  const held = q;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    held.since = Math.max(0, held.since - 1);
  };
}
