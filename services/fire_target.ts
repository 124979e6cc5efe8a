/**
 * What an on-demand firing fires: a trigger resolved through this instance's definition cache
 * (db/trigger_cache.ts), with the checks that keep a cached definition exact.
 */
import type { Deps } from "../core/deps.ts";
import { type CachedTrigger, isCurrent, TriggerCache } from "../db/trigger_cache.ts";
import { UnprocessableError } from "../core/errors.ts";
import type { TriggerRecord } from "../core/schemas.ts";

const caches = new WeakMap<Deps, TriggerCache>();

/**
 * The trigger cache of one instance; a change published on its bus (made here, or read from
 * the change feed) drops what it made stale. Exactness does not rest on that: see
 * db/trigger_cache.ts.
 */
export function triggerCache(deps: Deps): TriggerCache {
  let c = caches.get(deps);
  if (!c) {
    const cache = c = new TriggerCache(deps.kv);
    deps.bus.onTriggerChange((_next, changes) => {
      for (const ch of changes) cache.forget(ch.id, ch.name);
    });
    caches.set(deps, c);
  }
  return c;
}

/** What a fire request names: a trigger by id (REST) or by name (`/trigger_api`). */
export type TriggerRef = { id: string } | { name: string };

/**
 * A trigger resolved for firing: its definition (from memory in the steady state) and the
 * checks its firing's commit carries, so a change made anywhere since fails that commit.
 */
export interface FireTarget {
  ref: TriggerRef;
  cached: CachedTrigger;
  name?: { id: string; stamp: string };
}

/** Resolves `ref` for a firing; NotFoundError when no such trigger exists. */
export async function resolveForFire(deps: Deps, ref: TriggerRef): Promise<FireTarget> {
  const cache = triggerCache(deps);
  if ("id" in ref) return { ref, cached: await cache.byId(ref.id) };
  const { t, name } = await cache.byName(ref.name);
  return { ref, cached: t, name };
}

/** Drops `t` from the cache and resolves its reference afresh (404 when it is gone). */
export function reresolve(deps: Deps, t: FireTarget): Promise<FireTarget> {
  triggerCache(deps).forget(t.cached.rec.id, "name" in t.ref ? t.ref.name : undefined);
  return resolveForFire(deps, t.ref);
}

/** A stored record fires without checks (tests, benchmarks); a resolved target with them. */
export function targetOf(t: FireTarget | TriggerRecord): FireTarget | null {
  return "cached" in t ? t : null;
}

/**
 * Validates `body` against the schema of `t`'s definition. A 422 from a cached definition is
 * answered only once that definition is confirmed current (one read); otherwise false: the
 * caller re-resolves and tries again.
 */
export async function validateFor(
  deps: Deps,
  rec: TriggerRecord,
  t: FireTarget | null,
  body: unknown,
): Promise<boolean> {
  if (rec.type !== "api") return true;
  try {
    await deps.schemas.validate(rec, body);
    return true;
  } catch (err) {
    if (t && err instanceof UnprocessableError && !(await isCurrent(deps.kv, t.cached))) {
      return false;
    }
    throw err;
  }
}
